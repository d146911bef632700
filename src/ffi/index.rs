//! `Index_c.h`: the operations every index has — add, search, range search, remove, reconstruct, ...

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::c_int;

/// Frees a `SearchParameters`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParameters_free(obj: *mut FaissSearchParameters) {
    boundary!((), {
        if !obj.is_null() {
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
        faiss_status(sys::faiss_SearchParameters_new(p_sp, sel))
    })
}

/// Frees an `Index`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_free(obj: *mut FaissIndex) {
    boundary!((), {
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
        Ok(sys::faiss_Index_d(index))
    })
}

/// `is_trained` of an `Index`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_is_trained(index: *const FaissIndex) -> c_int {
    boundary!(0, {
        non_null(index, "index")?;
        Ok(sys::faiss_Index_is_trained(index))
    })
}

/// `ntotal` of an `Index`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_ntotal(index: *const FaissIndex) -> idx_t {
    boundary!(0, {
        non_null(index, "index")?;
        Ok(sys::faiss_Index_ntotal(index))
    })
}

/// `metric_type` of an `Index`; UINT_MAX (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_metric_type(index: *const FaissIndex) -> FaissMetricType {
    boundary!(FaissMetricType::MAX, {
        non_null(index, "index")?;
        Ok(sys::faiss_Index_metric_type(index))
    })
}

/// `verbose` of an `Index`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_verbose(index: *const FaissIndex) -> c_int {
    boundary!(0, {
        non_null(index, "index")?;
        Ok(sys::faiss_Index_verbose(index))
    })
}

/// Sets `verbose` of an `Index`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_set_verbose(index: *mut FaissIndex, value: c_int) {
    boundary!((), {
        non_null(index, "index")?;
        sys::faiss_Index_set_verbose(index, value);
        Ok(())
    })
}

/// Trains the index on `n` vectors `x` (n*d floats). Indexes that need no training accept it as a no-op.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_train(
    index: *mut FaissIndex,
    n: idx_t,
    x: *const f32,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
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
        faiss_status(sys::faiss_Index_search(index, n, x, k, distances, labels))
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
        faiss_status(sys::faiss_Index_search_with_params(
            index, n, x, k, params, distances, labels,
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
        faiss_status(sys::faiss_Index_assign(index, n, x, labels, k))
    })
}

/// Removes every vector; the index stays trained.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_reset(index: *mut FaissIndex) -> c_int {
    boundary!({
        non_null(index, "index")?;
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
        faiss_status(sys::faiss_Index_reconstruct(index, key, recons))
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
        faiss_status(sys::faiss_Index_reconstruct_n(index, i0, ni, recons))
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
        faiss_status(sys::faiss_Index_compute_residual(index, x, residual, key))
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
        faiss_status(sys::faiss_Index_compute_residual_n(
            index, n, x, residuals, keys,
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
        non_null(index, "index")?;
        non_null(size, "size")?;
        faiss_status(sys::faiss_Index_sa_code_size(index, size))
    })
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
        if index == other {
            return Err(Error::invalid("cannot merge an index into itself"));
        }
        let (d, other_d) = (sys::faiss_Index_d(index), sys::faiss_Index_d(other));
        if d != other_d {
            return Err(Error::invalid(format!(
                "index has dimension {d}, other has {other_d}"
            )));
        }
        shim_status(shim::faissx_shim_Index_merge_from(
            index.cast(),
            other.cast(),
            add_id,
        ))
    })
}
