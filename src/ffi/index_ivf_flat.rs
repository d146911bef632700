//! `IndexIVFFlat_c.h`: TODO module doc.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::{c_char, c_int};

/// Frees a `IndexIVFFlat`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_free(obj: *mut FaissIndexIVFFlat) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_IndexIVFFlat_free(obj);
        }
        Ok(())
    })
}

/// The same handle if it is a `IndexIVFFlat` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_cast(obj: *mut FaissIndex) -> *mut FaissIndexIVFFlat {
    boundary!(std::ptr::null_mut(), {
        Ok(sys::faiss_IndexIVFFlat_cast(obj))
    })
}

/// `nlist` of a `IndexIVFFlat`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_nlist(obj: *const FaissIndexIVFFlat) -> usize {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexIVFFlat_nlist(obj))
    })
}

/// `nprobe` of a `IndexIVFFlat`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_nprobe(obj: *const FaissIndexIVFFlat) -> usize {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexIVFFlat_nprobe(obj))
    })
}

/// Sets `nprobe` of a `IndexIVFFlat`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_set_nprobe(obj: *mut FaissIndexIVFFlat, value: usize) {
    boundary!((), {
        non_null(obj, "obj")?;
        sys::faiss_IndexIVFFlat_set_nprobe(obj, value);
        Ok(())
    })
}

/// `quantizer` of a `IndexIVFFlat`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_quantizer(
    obj: *const FaissIndexIVFFlat,
) -> *mut FaissIndex {
    boundary!(std::ptr::null_mut(), {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexIVFFlat_quantizer(obj))
    })
}

/// `quantizer_trains_alone` of a `IndexIVFFlat`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_quantizer_trains_alone(
    obj: *const FaissIndexIVFFlat,
) -> c_char {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexIVFFlat_quantizer_trains_alone(obj))
    })
}

/// `own_fields` of a `IndexIVFFlat`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_own_fields(obj: *const FaissIndexIVFFlat) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexIVFFlat_own_fields(obj))
    })
}

/// Sets `own_fields` of a `IndexIVFFlat`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_set_own_fields(
    obj: *mut FaissIndexIVFFlat,
    value: c_int,
) {
    boundary!((), {
        non_null(obj, "obj")?;
        sys::faiss_IndexIVFFlat_set_own_fields(obj, value);
        Ok(())
    })
}

/// Creates a `IndexIVFFlat` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_new(p_index: *mut *mut FaissIndexIVFFlat) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        faiss_status(sys::faiss_IndexIVFFlat_new(p_index))
    })
}

/// Creates a `IndexIVFFlat` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_new_with(
    p_index: *mut *mut FaissIndexIVFFlat,
    quantizer: *mut FaissIndex,
    d: usize,
    nlist: usize,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        non_null(quantizer, "quantizer")?;
        faiss_status(sys::faiss_IndexIVFFlat_new_with(
            p_index, quantizer, d, nlist,
        ))
    })
}

/// Creates a `IndexIVFFlat` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_new_with_metric(
    p_index: *mut *mut FaissIndexIVFFlat,
    quantizer: *mut FaissIndex,
    d: usize,
    nlist: usize,
    metric: FaissMetricType,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        non_null(quantizer, "quantizer")?;
        known_metric(metric)?;
        faiss_status(sys::faiss_IndexIVFFlat_new_with_metric(
            p_index, quantizer, d, nlist, metric,
        ))
    })
}

/// TODO faiss_IndexIVFFlat_add_core
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_add_core(
    index: *mut FaissIndexIVFFlat,
    n: idx_t,
    x: *const f32,
    xids: *const idx_t,
    precomputed_idx: *const i64,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        buffer(precomputed_idx, n, "precomputed_idx")?;
        faiss_status(sys::faiss_IndexIVFFlat_add_core(
            index,
            n,
            x,
            xids,
            precomputed_idx,
        ))
    })
}

/// TODO faiss_IndexIVFFlat_update_vectors
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_update_vectors(
    index: *mut FaissIndexIVFFlat,
    nv: c_int,
    idx: *mut idx_t,
    v: *const f32,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        non_null(idx, "idx")?;
        non_null(v, "v")?;
        faiss_status(sys::faiss_IndexIVFFlat_update_vectors(index, nv, idx, v))
    })
}
