//! `IndexBinary_c.h`: the operations of binary (Hamming) indexes; vectors are d/8 bytes.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::c_int;

/// Frees an `IndexBinary`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_free(obj: *mut FaissIndexBinary) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexBinary_free(obj);
        }
        Ok(())
    })
}

/// `d` of an `IndexBinary`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_d(index: *const FaissIndexBinary) -> c_int {
    boundary!(0, {
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().d as c_int);
        }
        Ok(sys::faiss_IndexBinary_d(index))
    })
}

/// `is_trained` of an `IndexBinary`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_is_trained(index: *const FaissIndexBinary) -> c_int {
    boundary!(0, {
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.is_trained.into());
        }
        Ok(sys::faiss_IndexBinary_is_trained(index))
    })
}

/// `ntotal` of an `IndexBinary`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_ntotal(index: *const FaissIndexBinary) -> idx_t {
    boundary!(0, {
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.ntotal);
        }
        Ok(sys::faiss_IndexBinary_ntotal(index))
    })
}

/// `metric_type` of an `IndexBinary`; UINT_MAX (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_metric_type(
    index: *const FaissIndexBinary,
) -> FaissMetricType {
    boundary!(FaissMetricType::MAX, {
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().metric);
        }
        Ok(sys::faiss_IndexBinary_metric_type(index))
    })
}

/// `verbose` of an `IndexBinary`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_verbose(index: *const FaissIndexBinary) -> c_int {
    boundary!(0, {
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().verbose.into());
        }
        Ok(sys::faiss_IndexBinary_verbose(index))
    })
}

/// Sets `verbose` of an `IndexBinary`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_set_verbose(
    index: *mut FaissIndexBinary,
    value: c_int,
) {
    boundary!((), {
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("verbose", value.into());
        }
        sys::faiss_IndexBinary_set_verbose(index, value);
        Ok(())
    })
}

/// Trains the binary index on `n` codes `x` (n*d/8 bytes; n > 0).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_train(
    index: *mut FaissIndexBinary,
    n: idx_t,
    x: *const u8,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        training_count(n)?;
        buffer(x, n, "x")?;
        if let Some(remote) = as_remote(index) {
            return remote.train(n as usize, vectors(remote, x, n));
        }
        faiss_status(sys::faiss_IndexBinary_train(index, n, x))
    })
}

/// Adds `n` codes `x` (n*d/8 bytes).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_add(
    index: *mut FaissIndexBinary,
    n: idx_t,
    x: *const u8,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        if let Some(remote) = as_remote(index) {
            return remote.add(n as usize, vectors(remote, x, n), None);
        }
        usable_binary(index)?;
        faiss_status(sys::faiss_IndexBinary_add(index, n, x))
    })
}

/// Adds `n` codes `x` (n*d/8 bytes) with the ids `xids`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_add_with_ids(
    index: *mut FaissIndexBinary,
    n: idx_t,
    x: *const u8,
    xids: *const idx_t,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        buffer(xids, n, "xids")?;
        if let Some(remote) = as_remote(index) {
            return remote.add(
                n as usize,
                vectors(remote, x, n),
                Some(slice(xids, n as usize)),
            );
        }
        usable_binary(index)?;
        faiss_status(sys::faiss_IndexBinary_add_with_ids(index, n, x, xids))
    })
}

/// The `k` nearest codes of each of the `n` queries by Hamming distance: `distances` and `labels` each hold n*k values.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_search(
    index: *const FaissIndexBinary,
    n: idx_t,
    x: *const u8,
    k: idx_t,
    distances: *mut i32,
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
            let (found_distances, found_labels) =
                remote.search(n as usize, k as usize, vectors(remote, x, n), None)?;
            copy_bytes_out(&found_distances, distances);
            copy_out(&found_labels, labels);
            return Ok(());
        }
        usable_binary(index)?;
        faiss_status(sys::faiss_IndexBinary_search(
            index, n, x, k, distances, labels,
        ))
    })
}

/// All codes within Hamming distance `radius` of each query, into `result`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_range_search(
    index: *const FaissIndexBinary,
    n: idx_t,
    x: *const u8,
    radius: c_int,
    result: *mut FaissRangeSearchResult,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        non_null(result, "result")?;
        range_result_fits(result, n)?;
        if let Some(remote) = as_remote(index) {
            return crate::ffi::index::remote_range_search(remote, n, x, radius.into(), result);
        }
        usable_binary(index)?;
        faiss_status(sys::faiss_IndexBinary_range_search(
            index, n, x, radius, result,
        ))
    })
}

/// The `k` nearest labels of each of the `n` query codes, into `labels` (n*k).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_assign(
    index: *mut FaissIndexBinary,
    n: idx_t,
    x: *const u8,
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
            copy_out(
                &remote.assign(n as usize, k as usize, vectors(remote, x, n))?,
                labels,
            );
            return Ok(());
        }
        usable_binary(index)?;
        faiss_status(sys::faiss_IndexBinary_assign(index, n, x, labels, k))
    })
}

/// Removes every code; the index stays trained.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_reset(index: *mut FaissIndexBinary) -> c_int {
    boundary!({
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return remote.reset();
        }
        faiss_status(sys::faiss_IndexBinary_reset(index))
    })
}

/// Removes the codes whose ids `sel` selects; `*n_removed` (may be NULL) gets their number.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_remove_ids(
    index: *mut FaissIndexBinary,
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
        usable_binary(index)?;
        faiss_status(sys::faiss_IndexBinary_remove_ids(index, sel, n_removed))
    })
}

/// Writes the stored code of id `key` into `recons` (d/8 bytes).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_reconstruct(
    index: *const FaissIndexBinary,
    key: idx_t,
    recons: *mut u8,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        non_null(recons, "recons")?;
        flat_range(index, key, 1)?;
        if let Some(remote) = as_remote(index) {
            copy_out(&remote.reconstruct(key, 1)?, recons);
            return Ok(());
        }
        shim_status(shim::faissx_shim_IndexBinary_reconstruct(
            index.cast(),
            key,
            recons,
        ))
    })
}

/// Writes the `ni` codes of ids i0 .. i0+ni-1 into `recons` (ni*d/8 bytes).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_reconstruct_n(
    index: *const FaissIndexBinary,
    i0: idx_t,
    ni: idx_t,
    recons: *mut u8,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        buffer(recons, ni, "recons")?;
        flat_range(index, i0, ni)?;
        if let Some(remote) = as_remote(index) {
            count(ni, "ni")?;
            copy_out(&remote.reconstruct(i0, ni as usize)?, recons);
            return Ok(());
        }
        // Not FAISS's own: IndexBinaryIVF's writes past the end of `recons`.
        shim_status(shim::faissx_shim_IndexBinary_reconstruct_n(
            index.cast(),
            i0,
            ni,
            recons,
        ))
    })
}

/// IndexBinaryFlat copies codes at `key * code_size` unchecked (the float indexes check): keep
/// ids i0 .. i0+ni-1 inside its storage. Other binary indexes check for themselves.
/// A remote index is no FAISS object: the server does the same check.
unsafe fn flat_range(index: *const FaissIndexBinary, i0: idx_t, ni: idx_t) -> Result<()> {
    if as_remote(index).is_some()
        || shim::faissx_shim_cast_IndexBinaryFlat(index.cast_mut().cast()).is_null()
    {
        return Ok(());
    }
    let ntotal = sys::faiss_IndexBinary_ntotal(index);
    if i0 < 0 || ni < 0 || !matches!(i0.checked_add(ni), Some(end) if end <= ntotal) {
        return Err(Error::invalid(format!(
            "ids {i0} .. {i0} + {ni} are out of range (ntotal = {ntotal})"
        )));
    }
    Ok(())
}
