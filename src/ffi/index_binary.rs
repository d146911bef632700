//! `IndexBinary_c.h`: TODO module doc.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::c_int;

/// Frees a `IndexBinary`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_free(obj: *mut FaissIndexBinary) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_IndexBinary_free(obj);
        }
        Ok(())
    })
}

/// `d` of a `IndexBinary`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_d(obj: *const FaissIndexBinary) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexBinary_d(obj))
    })
}

/// `is_trained` of a `IndexBinary`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_is_trained(obj: *const FaissIndexBinary) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexBinary_is_trained(obj))
    })
}

/// `ntotal` of a `IndexBinary`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_ntotal(obj: *const FaissIndexBinary) -> idx_t {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexBinary_ntotal(obj))
    })
}

/// `metric_type` of a `IndexBinary`; UINT_MAX (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_metric_type(
    obj: *const FaissIndexBinary,
) -> FaissMetricType {
    boundary!(FaissMetricType::MAX, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexBinary_metric_type(obj))
    })
}

/// `verbose` of a `IndexBinary`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_verbose(obj: *const FaissIndexBinary) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexBinary_verbose(obj))
    })
}

/// Sets `verbose` of a `IndexBinary`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_set_verbose(obj: *mut FaissIndexBinary, value: c_int) {
    boundary!((), {
        non_null(obj, "obj")?;
        sys::faiss_IndexBinary_set_verbose(obj, value);
        Ok(())
    })
}

/// TODO faiss_IndexBinary_train
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_train(
    index: *mut FaissIndexBinary,
    n: idx_t,
    x: *const u8,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        faiss_status(sys::faiss_IndexBinary_train(index, n, x))
    })
}

/// TODO faiss_IndexBinary_add
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
        faiss_status(sys::faiss_IndexBinary_add(index, n, x))
    })
}

/// TODO faiss_IndexBinary_add_with_ids
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
        faiss_status(sys::faiss_IndexBinary_add_with_ids(index, n, x, xids))
    })
}

/// TODO faiss_IndexBinary_search
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
        faiss_status(sys::faiss_IndexBinary_search(
            index, n, x, k, distances, labels,
        ))
    })
}

/// TODO faiss_IndexBinary_range_search
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
        faiss_status(sys::faiss_IndexBinary_range_search(
            index, n, x, radius, result,
        ))
    })
}

/// TODO faiss_IndexBinary_assign
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
        faiss_status(sys::faiss_IndexBinary_assign(index, n, x, labels, k))
    })
}

/// TODO faiss_IndexBinary_reset
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_reset(index: *mut FaissIndexBinary) -> c_int {
    boundary!({
        non_null(index, "index")?;
        faiss_status(sys::faiss_IndexBinary_reset(index))
    })
}

/// TODO faiss_IndexBinary_remove_ids
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_remove_ids(
    index: *mut FaissIndexBinary,
    sel: *const FaissIDSelector,
    n_removed: *mut usize,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        non_null(sel, "sel")?;
        faiss_status(sys::faiss_IndexBinary_remove_ids(index, sel, n_removed))
    })
}

/// TODO faiss_IndexBinary_reconstruct
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_reconstruct(
    index: *const FaissIndexBinary,
    key: idx_t,
    recons: *mut u8,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        non_null(recons, "recons")?;
        faiss_status(sys::faiss_IndexBinary_reconstruct(index, key, recons))
    })
}

/// TODO faiss_IndexBinary_reconstruct_n
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
        faiss_status(sys::faiss_IndexBinary_reconstruct_n(index, i0, ni, recons))
    })
}
