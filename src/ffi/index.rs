//! `Index_c.h`: TODO module doc.

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

/// Frees a `Index`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_free(obj: *mut FaissIndex) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_Index_free(obj);
        }
        Ok(())
    })
}

/// `d` of a `Index`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_d(obj: *const FaissIndex) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Index_d(obj))
    })
}

/// `is_trained` of a `Index`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_is_trained(obj: *const FaissIndex) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Index_is_trained(obj))
    })
}

/// `ntotal` of a `Index`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_ntotal(obj: *const FaissIndex) -> idx_t {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Index_ntotal(obj))
    })
}

/// `metric_type` of a `Index`; UINT_MAX (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_metric_type(obj: *const FaissIndex) -> FaissMetricType {
    boundary!(FaissMetricType::MAX, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Index_metric_type(obj))
    })
}

/// `verbose` of a `Index`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_verbose(obj: *const FaissIndex) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Index_verbose(obj))
    })
}

/// Sets `verbose` of a `Index`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_set_verbose(obj: *mut FaissIndex, value: c_int) {
    boundary!((), {
        non_null(obj, "obj")?;
        sys::faiss_Index_set_verbose(obj, value);
        Ok(())
    })
}

/// TODO faiss_Index_train
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

/// TODO faiss_Index_add
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

/// TODO faiss_Index_add_with_ids
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

/// TODO faiss_Index_search
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

/// TODO faiss_Index_search_with_params
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

/// TODO faiss_Index_range_search
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

/// TODO faiss_Index_assign
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

/// TODO faiss_Index_reset
#[no_mangle]
pub unsafe extern "C" fn faissx_Index_reset(index: *mut FaissIndex) -> c_int {
    boundary!({
        non_null(index, "index")?;
        faiss_status(sys::faiss_Index_reset(index))
    })
}

/// TODO faiss_Index_remove_ids
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

/// TODO faiss_Index_reconstruct
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

/// TODO faiss_Index_reconstruct_n
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

/// TODO faiss_Index_compute_residual
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

/// TODO faiss_Index_compute_residual_n
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

/// TODO faiss_Index_sa_code_size
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

/// TODO faiss_Index_sa_encode
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

/// TODO faiss_Index_sa_decode
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
