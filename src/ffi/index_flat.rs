//! `IndexFlat_c.h`: TODO module doc.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::c_int;

/// Creates a `IndexFlat` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat_new(p_index: *mut *mut FaissIndexFlat) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        faiss_status(sys::faiss_IndexFlat_new(p_index))
    })
}

/// Creates a `IndexFlat` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat_new_with(
    p_index: *mut *mut FaissIndexFlat,
    d: idx_t,
    metric: FaissMetricType,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        known_metric(metric)?;
        faiss_status(sys::faiss_IndexFlat_new_with(p_index, d, metric))
    })
}

/// TODO faiss_IndexFlat_xb
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat_xb(
    index: *mut FaissIndexFlat,
    p_xb: *mut *mut f32,
    p_size: *mut usize,
) {
    boundary!((), {
        non_null(index, "index")?;
        non_null(p_xb, "p_xb")?;
        sys::faiss_IndexFlat_xb(index, p_xb, p_size);
        Ok(())
    })
}

/// The same handle if it is a `IndexFlat` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat_cast(obj: *mut FaissIndex) -> *mut FaissIndexFlat {
    boundary!(std::ptr::null_mut(), { Ok(sys::faiss_IndexFlat_cast(obj)) })
}

/// Frees a `IndexFlat`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat_free(obj: *mut FaissIndexFlat) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_IndexFlat_free(obj);
        }
        Ok(())
    })
}

/// TODO faiss_IndexFlat_compute_distance_subset
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat_compute_distance_subset(
    index: *mut FaissIndex,
    n: idx_t,
    x: *const f32,
    k: idx_t,
    distances: *mut f32,
    labels: *const idx_t,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        positive_k(k)?;
        buffer(distances, n, "distances")?;
        buffer(labels, n, "labels")?;
        faiss_status(sys::faiss_IndexFlat_compute_distance_subset(
            index, n, x, k, distances, labels,
        ))
    })
}

/// The same handle if it is a `IndexFlatIP` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatIP_cast(obj: *mut FaissIndex) -> *mut FaissIndexFlatIP {
    boundary!(std::ptr::null_mut(), {
        Ok(sys::faiss_IndexFlatIP_cast(obj))
    })
}

/// Frees a `IndexFlatIP`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatIP_free(obj: *mut FaissIndexFlatIP) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_IndexFlatIP_free(obj);
        }
        Ok(())
    })
}

/// Creates a `IndexFlatIP` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatIP_new(p_index: *mut *mut FaissIndexFlatIP) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        faiss_status(sys::faiss_IndexFlatIP_new(p_index))
    })
}

/// Creates a `IndexFlatIP` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatIP_new_with(
    p_index: *mut *mut FaissIndexFlatIP,
    d: idx_t,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        faiss_status(sys::faiss_IndexFlatIP_new_with(p_index, d))
    })
}

/// The same handle if it is a `IndexFlatL2` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatL2_cast(obj: *mut FaissIndex) -> *mut FaissIndexFlatL2 {
    boundary!(std::ptr::null_mut(), {
        Ok(sys::faiss_IndexFlatL2_cast(obj))
    })
}

/// Frees a `IndexFlatL2`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatL2_free(obj: *mut FaissIndexFlatL2) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_IndexFlatL2_free(obj);
        }
        Ok(())
    })
}

/// Creates a `IndexFlatL2` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatL2_new(p_index: *mut *mut FaissIndexFlatL2) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        faiss_status(sys::faiss_IndexFlatL2_new(p_index))
    })
}

/// Creates a `IndexFlatL2` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatL2_new_with(
    p_index: *mut *mut FaissIndexFlatL2,
    d: idx_t,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        faiss_status(sys::faiss_IndexFlatL2_new_with(p_index, d))
    })
}

/// Creates a `IndexRefineFlat` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_new(
    p_index: *mut *mut FaissIndexRefineFlat,
    base_index: *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        non_null(base_index, "base_index")?;
        faiss_status(sys::faiss_IndexRefineFlat_new(p_index, base_index))
    })
}

/// Frees a `IndexRefineFlat`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_free(obj: *mut FaissIndexRefineFlat) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_IndexRefineFlat_free(obj);
        }
        Ok(())
    })
}

/// The same handle if it is a `IndexRefineFlat` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_cast(
    obj: *mut FaissIndex,
) -> *mut FaissIndexRefineFlat {
    boundary!(std::ptr::null_mut(), {
        Ok(sys::faiss_IndexRefineFlat_cast(obj))
    })
}

/// `own_fields` of a `IndexRefineFlat`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_own_fields(
    obj: *const FaissIndexRefineFlat,
) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexRefineFlat_own_fields(obj))
    })
}

/// Sets `own_fields` of a `IndexRefineFlat`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_set_own_fields(
    obj: *mut FaissIndexRefineFlat,
    value: c_int,
) {
    boundary!((), {
        non_null(obj, "obj")?;
        sys::faiss_IndexRefineFlat_set_own_fields(obj, value);
        Ok(())
    })
}

/// `k_factor` of a `IndexRefineFlat`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_k_factor(obj: *const FaissIndexRefineFlat) -> f32 {
    boundary!(0.0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexRefineFlat_k_factor(obj))
    })
}

/// Sets `k_factor` of a `IndexRefineFlat`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_set_k_factor(
    obj: *mut FaissIndexRefineFlat,
    value: f32,
) {
    boundary!((), {
        non_null(obj, "obj")?;
        sys::faiss_IndexRefineFlat_set_k_factor(obj, value);
        Ok(())
    })
}

/// The same handle if it is a `IndexFlat1D` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat1D_cast(obj: *mut FaissIndex) -> *mut FaissIndexFlat1D {
    boundary!(std::ptr::null_mut(), {
        Ok(sys::faiss_IndexFlat1D_cast(obj))
    })
}

/// Frees a `IndexFlat1D`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat1D_free(obj: *mut FaissIndexFlat1D) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_IndexFlat1D_free(obj);
        }
        Ok(())
    })
}

/// Creates a `IndexFlat1D` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat1D_new(p_index: *mut *mut FaissIndexFlat1D) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        faiss_status(sys::faiss_IndexFlat1D_new(p_index))
    })
}

/// Creates a `IndexFlat1D` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat1D_new_with(
    p_index: *mut *mut FaissIndexFlat1D,
    continuous_update: c_int,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        faiss_status(sys::faiss_IndexFlat1D_new_with(p_index, continuous_update))
    })
}

/// TODO faiss_IndexFlat1D_update_permutation
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat1D_update_permutation(
    index: *mut FaissIndexFlat1D,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        faiss_status(sys::faiss_IndexFlat1D_update_permutation(index))
    })
}
