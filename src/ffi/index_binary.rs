//! `IndexBinary_c.h`: the operations of binary (Hamming) indexes; vectors are d/8 bytes.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::c_int;

/// Frees an `IndexBinary`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_free(obj: *mut FaissIndexBinary) {
    boundary!((), {
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
        Ok(sys::faiss_IndexBinary_d(index))
    })
}

/// `is_trained` of an `IndexBinary`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_is_trained(index: *const FaissIndexBinary) -> c_int {
    boundary!(0, {
        non_null(index, "index")?;
        Ok(sys::faiss_IndexBinary_is_trained(index))
    })
}

/// `ntotal` of an `IndexBinary`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_ntotal(index: *const FaissIndexBinary) -> idx_t {
    boundary!(0, {
        non_null(index, "index")?;
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
        Ok(sys::faiss_IndexBinary_metric_type(index))
    })
}

/// `verbose` of an `IndexBinary`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_verbose(index: *const FaissIndexBinary) -> c_int {
    boundary!(0, {
        non_null(index, "index")?;
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
        sys::faiss_IndexBinary_set_verbose(index, value);
        Ok(())
    })
}

/// Trains the binary index on `n` codes `x` (n*d/8 bytes).
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
        faiss_status(sys::faiss_IndexBinary_assign(index, n, x, labels, k))
    })
}

/// Removes every code; the index stays trained.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinary_reset(index: *mut FaissIndexBinary) -> c_int {
    boundary!({
        non_null(index, "index")?;
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
        faiss_status(sys::faiss_IndexBinary_reconstruct(index, key, recons))
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
        faiss_status(sys::faiss_IndexBinary_reconstruct_n(index, i0, ni, recons))
    })
}
