//! `IndexLSH_c.h`: TODO module doc.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::c_int;

/// Frees a `IndexLSH`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_free(obj: *mut FaissIndexLSH) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_IndexLSH_free(obj);
        }
        Ok(())
    })
}

/// The same handle if it is a `IndexLSH` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_cast(obj: *mut FaissIndex) -> *mut FaissIndexLSH {
    boundary!(std::ptr::null_mut(), { Ok(sys::faiss_IndexLSH_cast(obj)) })
}

/// `nbits` of a `IndexLSH`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_nbits(obj: *const FaissIndexLSH) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexLSH_nbits(obj))
    })
}

/// `code_size` of a `IndexLSH`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_code_size(obj: *const FaissIndexLSH) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexLSH_code_size(obj))
    })
}

/// `rotate_data` of a `IndexLSH`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_rotate_data(obj: *const FaissIndexLSH) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexLSH_rotate_data(obj))
    })
}

/// `train_thresholds` of a `IndexLSH`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_train_thresholds(obj: *const FaissIndexLSH) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexLSH_train_thresholds(obj))
    })
}

/// Creates a `IndexLSH` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_new(
    p_index: *mut *mut FaissIndexLSH,
    d: idx_t,
    nbits: c_int,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        faiss_status(sys::faiss_IndexLSH_new(p_index, d, nbits))
    })
}

/// Creates a `IndexLSH` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_new_with_options(
    p_index: *mut *mut FaissIndexLSH,
    d: idx_t,
    nbits: c_int,
    rotate_data: c_int,
    train_thresholds: c_int,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        faiss_status(sys::faiss_IndexLSH_new_with_options(
            p_index,
            d,
            nbits,
            rotate_data,
            train_thresholds,
        ))
    })
}
