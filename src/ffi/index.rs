//! `Index_c.h`: the operations every index has — add, search, range search, remove, reconstruct, ...

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::c_int;

/// Frees a `SearchParameters`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParameters_free(obj: *mut FaissSearchParameters) {
    boundary!((), {
        if !obj.is_null() {
            crate::remote::selectors::forget_params(obj);
            sys::faiss_SearchParameters_free(obj);
        }
        Ok(())
    })
}

/// Creates a `SearchParameters` in `*p_sp`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParameters_new(
    p_sp: *mut *mut FaissSearchParameters,
    sel: *mut FaissIDSelector,
) -> c_int {
    boundary!({
        non_null(p_sp, "p_sp")?;
        faiss_status(sys::faiss_SearchParameters_new(p_sp, sel))?;
        crate::remote::selectors::record_params_selector(*p_sp, sel);
        Ok(())
    })
}

/// Frees an `Index`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_free(obj: *mut FaissIndex) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_Index_free(obj);
        }
        Ok(())
    })
}

/// `d` of an `Index`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_d(index: *const FaissIndex) -> c_int {
    boundary!(0, {
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().d as c_int);
        }
        Ok(sys::faiss_Index_d(index))
    })
}

/// `is_trained` of an `Index`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_is_trained(index: *const FaissIndex) -> c_int {
    boundary!(0, {
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.is_trained.into());
        }
        Ok(sys::faiss_Index_is_trained(index))
    })
}

/// `ntotal` of an `Index`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_ntotal(index: *const FaissIndex) -> idx_t {
    boundary!(0, {
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.ntotal);
        }
        Ok(sys::faiss_Index_ntotal(index))
    })
}

/// `metric_type` of an `Index`; UINT_MAX (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_metric_type(index: *const FaissIndex) -> FaissMetricType {
    boundary!(FaissMetricType::MAX, {
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().metric);
        }
        Ok(sys::faiss_Index_metric_type(index))
    })
}

/// `verbose` of an `Index`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_verbose(index: *const FaissIndex) -> c_int {
    boundary!(0, {
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().verbose.into());
        }
        Ok(sys::faiss_Index_verbose(index))
    })
}

/// Sets `verbose` of an `Index`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_set_verbose(index: *mut FaissIndex, value: c_int) {
    boundary!((), {
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("verbose", value.into());
        }
        sys::faiss_Index_set_verbose(index, value);
        Ok(())
    })
}

/// Trains the index on `n` vectors `x` (n*d floats; n > 0). Indexes that need no training accept it as a no-op.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_train(
    index: *mut FaissIndex,
    n: idx_t,
    x: *const f32,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        training_count(n)?;
        buffer(x, n, "x")?;
        if let Some(remote) = as_remote(index) {
            return remote.train(n as usize, vectors(remote, x, n));
        }
        usable(index, x, n, "x", true)?;
        faiss_status(sys::faiss_Index_train(index, n, x))
    })
}

/// Adds `n` vectors `x` (n*d floats); they get the ids ntotal, ntotal+1, ... `x` may be NULL when n is 0.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_add(
    index: *mut FaissIndex,
    n: idx_t,
    x: *const f32,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        if let Some(remote) = as_remote(index) {
            return remote.add(n as usize, vectors(remote, x, n), None);
        }
        usable(index, x, n, "x", false)?;
        writable(index)?;
        faiss_status(sys::faiss_Index_add(index, n, x))
    })
}

/// Adds `n` vectors `x` (n*d floats) with the ids `xids` (n values). Indexes that cannot store ids (flat) fail: wrap them in an IndexIDMap.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_add_with_ids(
    index: *mut FaissIndex,
    n: idx_t,
    x: *const f32,
    xids: *const idx_t,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        buffer(xids, n, "xids")?;
        if let Some(remote) = as_remote(index) {
            let ids = slice(xids, n as usize);
            return remote.add(n as usize, vectors(remote, x, n), Some(ids));
        }
        usable(index, x, n, "x", false)?;
        writable(index)?;
        faiss_status(sys::faiss_Index_add_with_ids(index, n, x, xids))
    })
}

/// For each of the `n` queries `x` (n*d floats), writes the `k` nearest neighbours, closest first: `labels` and `distances` each hold n*k values; missing neighbours are -1.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_search(
    index: *const FaissIndex,
    n: idx_t,
    x: *const f32,
    k: idx_t,
    distances: *mut f32,
    labels: *mut idx_t,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        positive_k(k)?;
        buffer(distances, n, "distances")?;
        buffer(labels, n, "labels")?;
        if let Some(remote) = as_remote(index) {
            return remote_search(remote, n, x, k, None, distances, labels);
        }
        usable(index, x, n, "x", false)?;
        // The shim writes FAISS's empty result first, which FAISS leaves in place when it has
        // nothing to search.
        shim_status(shim::faissx_shim_Index_search_with_params(
            index.cast(),
            n,
            x,
            k,
            std::ptr::null(),
            distances,
            labels,
        ))
    })
}

/// As faissx_Index_search, with per-call parameters `params` (may be NULL): an id selector, nprobe for IVF, efSearch for HNSW.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_search_with_params(
    index: *const FaissIndex,
    n: idx_t,
    x: *const f32,
    k: idx_t,
    params: *const FaissSearchParameters,
    distances: *mut f32,
    labels: *mut idx_t,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        positive_k(k)?;
        buffer(distances, n, "distances")?;
        buffer(labels, n, "labels")?;
        if let Some(remote) = as_remote(index) {
            let params = crate::remote::selectors::describe_params(params)?;
            return remote_search(remote, n, x, k, params, distances, labels);
        }
        usable(index, x, n, "x", false)?;
        // The shim answers or refuses an IDSelectorRange that FAISS's IndexFlat cannot search.
        shim_status(shim::faissx_shim_Index_search_with_params(
            index.cast(),
            n,
            x,
            k,
            params.cast(),
            distances,
            labels,
        ))
    })
}

/// All neighbours within `radius` of each of the `n` queries, into `result` (created with faissx_RangeSearchResult_new(&r, n)).
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_range_search(
    index: *const FaissIndex,
    n: idx_t,
    x: *const f32,
    radius: f32,
    result: *mut FaissRangeSearchResult,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        non_null(result, "result")?;
        range_result_fits(result, n)?;
        if let Some(remote) = as_remote(index) {
            return remote_range_search(remote, n, x, radius.into(), result);
        }
        usable(index, x, n, "x", false)?;
        faiss_status(sys::faiss_Index_range_search(index, n, x, radius, result))
    })
}

/// The `k` nearest neighbours' labels of each of the `n` queries (n*k values in `labels`), without distances.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_assign(
    index: *mut FaissIndex,
    n: idx_t,
    x: *const f32,
    labels: *mut idx_t,
    k: idx_t,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        buffer(labels, n, "labels")?;
        positive_k(k)?;
        if let Some(remote) = as_remote(index) {
            let found = remote.assign(n as usize, k as usize, vectors(remote, x, n))?;
            copy_out(&found, labels);
            return Ok(());
        }
        usable(index, x, n, "x", false)?;
        // FAISS's empty result, which it leaves in place when it has nothing to search.
        let total = (n as usize)
            .checked_mul(k as usize)
            .ok_or_else(|| Error::invalid(format!("n = {n} times k = {k} labels overflow")))?;
        std::slice::from_raw_parts_mut(labels, total).fill(-1);
        shim_status(shim::faissx_shim_Index_assign(
            index.cast_const().cast(),
            n,
            x,
            labels,
            k,
        ))
    })
}

/// Removes every vector; the index stays trained.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_reset(index: *mut FaissIndex) -> c_int {
    boundary!({
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return remote.reset();
        }
        writable(index)?;
        faiss_status(sys::faiss_Index_reset(index))
    })
}

/// Removes the vectors whose ids `sel` selects; `*n_removed` (may be NULL) gets their number. Flat indexes renumber the remaining vectors.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_remove_ids(
    index: *mut FaissIndex,
    sel: *const FaissIDSelector,
    n_removed: *mut usize,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        non_null(sel, "sel")?;
        if let Some(remote) = as_remote(index) {
            let removed = remote.remove_ids(crate::remote::selectors::describe(sel)?)?;
            if !n_removed.is_null() {
                *n_removed = removed as usize;
            }
            return Ok(());
        }
        // An IDMap whose index was written to on its own fails an assertion (an abort).
        usable_inputs(index, std::ptr::null(), 0, "x", false)?;
        writable(index)?;
        faiss_status(sys::faiss_Index_remove_ids(index, sel, n_removed))
    })
}

/// Writes the stored (decoded) vector of id `key` into `recons` (d floats).
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_reconstruct(
    index: *const FaissIndex,
    key: idx_t,
    recons: *mut f32,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        non_null(recons, "recons")?;
        if let Some(remote) = as_remote(index) {
            copy_bytes_out(&remote.reconstruct(key, 1)?, recons);
            return Ok(());
        }
        // The shim checks the keys FAISS reads unchecked.
        shim_status(shim::faissx_shim_Index_reconstruct(
            index.cast(),
            key,
            recons,
        ))
    })
}

/// Writes the `ni` stored vectors of ids i0 .. i0+ni-1 into `recons` (ni*d floats).
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_reconstruct_n(
    index: *const FaissIndex,
    i0: idx_t,
    ni: idx_t,
    recons: *mut f32,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        buffer(recons, ni, "recons")?;
        if let Some(remote) = as_remote(index) {
            count(ni, "ni")?;
            copy_bytes_out(&remote.reconstruct(i0, ni as usize)?, recons);
            return Ok(());
        }
        // Not FAISS's own: it reconstructs inside an OpenMP region, where a missing id's
        // exception terminates the process.
        shim_status(shim::faissx_shim_Index_reconstruct_n(
            index.cast(),
            i0,
            ni,
            recons,
        ))
    })
}

/// Writes `x` minus the reconstruction of `key` into `residual` (d floats).
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_compute_residual(
    index: *const FaissIndex,
    x: *const f32,
    residual: *mut f32,
    key: idx_t,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        non_null(x, "x")?;
        non_null(residual, "residual")?;
        if let Some(remote) = as_remote(index) {
            copy_bytes_out(
                &remote.compute_residual(1, vectors(remote, x, 1), &[key])?,
                residual,
            );
            return Ok(());
        }
        shim_status(shim::faissx_shim_Index_compute_residual_n(
            index.cast(),
            1,
            x,
            residual,
            &key,
        ))
    })
}

/// Residuals of `n` vectors against the reconstructions of `keys`, into `residuals` (n*d floats).
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_compute_residual_n(
    index: *const FaissIndex,
    n: idx_t,
    x: *const f32,
    residuals: *mut f32,
    keys: *const idx_t,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        buffer(residuals, n, "residuals")?;
        buffer(keys, n, "keys")?;
        if let Some(remote) = as_remote(index) {
            let found = remote.compute_residual(
                n as usize,
                vectors(remote, x, n),
                slice(keys, n as usize),
            )?;
            copy_bytes_out(&found, residuals);
            return Ok(());
        }
        // Not FAISS's own, which reconstructs inside an OpenMP region (see reconstruct_n).
        shim_status(shim::faissx_shim_Index_compute_residual_n(
            index.cast(),
            n,
            x,
            residuals,
            keys,
        ))
    })
}

/// The size in bytes of one standalone code (faissx_Index_sa_encode) in `*size`.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_sa_code_size(
    index: *const FaissIndex,
    size: *mut usize,
) -> c_int {
    boundary!({
        non_null(size, "size")?;
        *size = sa_code_size(index)?;
        Ok(())
    })
}

unsafe fn sa_code_size(index: *const FaissIndex) -> Result<usize> {
    non_null(index, "index")?;
    if let Some(remote) = as_remote(index) {
        let code_size = remote.cached_info().code_size as usize;
        if code_size == 0 {
            // The server reports 0 for classes without standalone codes too. Encoding nothing
            // meets the checks it makes first and FAISS's refusal, with their messages, or
            // succeeds where the codes are empty (d = 0).
            remote.sa_encode(0, &[], 0)?;
        }
        return Ok(code_size);
    }
    complete(index)?;
    let mut size = 0;
    faiss_status(sys::faiss_Index_sa_code_size(index, &mut size))?;
    Ok(size)
}

/// Encodes `n` vectors into standalone codes, `bytes` holding n * sa_code_size bytes.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_sa_encode(
    index: *const FaissIndex,
    n: idx_t,
    x: *const f32,
    bytes: *mut u8,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        buffer(bytes, n, "bytes")?;
        if let Some(remote) = as_remote(index) {
            let code_size = sa_code_size(index)?;
            let codes = remote.sa_encode(n as usize, vectors(remote, x, n), code_size)?;
            copy_out(&codes, bytes);
            return Ok(());
        }
        // Codecs read what training left (a scalar quantizer's ranges, an IVF's centroids).
        usable(index, x, n, "x", false)?;
        faiss_status(sys::faiss_Index_sa_encode(index, n, x, bytes))
    })
}

/// Decodes `n` standalone codes into vectors, `x` holding n*d floats.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_sa_decode(
    index: *const FaissIndex,
    n: idx_t,
    bytes: *const u8,
    x: *mut f32,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(bytes, n, "bytes")?;
        buffer(x, n, "x")?;
        let codes = slice(bytes, n as usize * sa_code_size(index)?);
        if let Some(remote) = as_remote(index) {
            copy_bytes_out(&remote.sa_decode(n as usize, codes)?, x);
            return Ok(());
        }
        // An IVF's codes name lists its quantizer reconstructs unchecked.
        shim_status(shim::faissx_shim_Index_check_sa_codes(
            index.cast(),
            n,
            bytes,
        ))?;
        faiss_status(sys::faiss_Index_sa_decode(index, n, bytes, x))
    })
}

/// Moves every vector of `other` into `index` (same type and dimension), shifting the ids of
/// `other` by `add_id`; `other` is left empty. Supported by flat, IVF and IDMap indexes, as in
/// FAISS; other types return FAISSX_ERR_FAISS.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_merge_from(
    index: *mut FaissIndex,
    other: *mut FaissIndex,
    add_id: idx_t,
) -> c_int {
    boundary!({
        let index = non_null(index, "index")?;
        let other = non_null(other, "other")?;
        if let Some(merged) = remote_merge(index, other, add_id) {
            return merged;
        }
        let (d, other_d) = (sys::faiss_Index_d(index), sys::faiss_Index_d(other));
        if d != other_d {
            return Err(Error::invalid(format!(
                "index has dimension {d}, other has {other_d}"
            )));
        }
        writable(index)?;
        writable(other)?;
        shim_status(shim::faissx_shim_Index_merge_from(
            index.cast(),
            other.cast(),
            add_id,
        ))
    })
}

/// Search on a remote index, results copied into the caller's n*k buffers.
unsafe fn remote_search(
    remote: &RemoteIndex,
    n: idx_t,
    x: *const f32,
    k: idx_t,
    params: Option<crate::protocol::SearchParams>,
    distances: *mut f32,
    labels: *mut idx_t,
) -> Result<()> {
    let (found_distances, found_labels) =
        remote.search(n as usize, k as usize, vectors(remote, x, n), params)?;
    copy_bytes_out(&found_distances, distances);
    copy_out(&found_labels, labels);
    Ok(())
}

/// Range search on a remote index, written into the caller's (fresh) result object the way
/// FAISS fills one: per-query counts, `do_allocation`, then the hits.
pub(crate) unsafe fn remote_range_search<T>(
    remote: &RemoteIndex,
    n: idx_t,
    x: *const T,
    radius: f64,
    result: *mut FaissRangeSearchResult,
) -> Result<()> {
    let nq = sys::faiss_RangeSearchResult_nq(result);
    if nq != n as usize {
        return Err(Error::invalid(format!(
            "result was created for {nq} queries, the search has {n}"
        )));
    }
    let (lims, found_labels, found_distances) =
        remote.range_search(n as usize, radius, vectors(remote, x, n), None)?;
    let mut result_lims: *mut usize = std::ptr::null_mut();
    sys::faiss_RangeSearchResult_lims(result, &mut result_lims);
    for query in 0..nq {
        *result_lims.add(query) = (lims[query + 1] - lims[query]) as usize;
    }
    faiss_status(sys::faiss_RangeSearchResult_do_allocation(result))?;
    let (mut labels, mut distances) = (std::ptr::null_mut(), std::ptr::null_mut());
    sys::faiss_RangeSearchResult_labels(result, &mut labels, &mut distances);
    copy_out(&found_labels, labels);
    copy_bytes_out(&found_distances, distances);
    Ok(())
}

/// `n` vectors of `index`'s dimension that FAISS can add or search there (see usable_inputs);
/// `what` names the argument in errors.
pub(crate) unsafe fn usable(
    index: *const FaissIndex,
    x: *const f32,
    n: idx_t,
    what: &str,
    training: bool,
) -> Result<()> {
    let d = sys::faiss_Index_d(index).max(0) as usize;
    usable_inputs(
        index,
        x,
        (n.max(0) as usize).saturating_mul(d),
        what,
        training,
    )
}
