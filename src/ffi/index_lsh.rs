//! `IndexLSH_c.h`: locality-sensitive hashing.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::c_int;

/// Frees an `IndexLSH`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_free(obj: *mut FaissIndexLSH) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexLSH_free(obj);
        }
        Ok(())
    })
}

/// The same handle if it is an `IndexLSH` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_cast(index: *mut FaissIndex) -> *mut FaissIndexLSH {
    boundary!(std::ptr::null_mut(), {
        if let Some(cast) = remote_cast(index, "IndexLSH") {
            return Ok(cast);
        }
        non_null(index, "index")?;
        Ok(sys::faiss_IndexLSH_cast(index))
    })
}

/// `nbits` of an `IndexLSH`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_nbits(index: *const FaissIndexLSH) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexLSH")?;
        if let Some(remote) = as_remote(index) {
            let info = remote.cached_info();
            return Ok(info.lsh_nbits as c_int);
        }
        Ok(sys::faiss_IndexLSH_nbits(index))
    })
}

/// `code_size` of an `IndexLSH`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_code_size(index: *const FaissIndexLSH) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexLSH")?;
        if let Some(remote) = as_remote(index) {
            let info = remote.cached_info();
            return Ok(info.code_size as c_int);
        }
        Ok(sys::faiss_IndexLSH_code_size(index))
    })
}

/// `rotate_data` of an `IndexLSH`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_rotate_data(index: *const FaissIndexLSH) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexLSH")?;
        if let Some(remote) = as_remote(index) {
            let info = remote.cached_info();
            return Ok(c_int::from(info.lsh_rotate_data));
        }
        Ok(sys::faiss_IndexLSH_rotate_data(index))
    })
}

/// `train_thresholds` of an `IndexLSH`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_train_thresholds(index: *const FaissIndexLSH) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexLSH")?;
        if let Some(remote) = as_remote(index) {
            let info = remote.cached_info();
            return Ok(c_int::from(info.lsh_train_thresholds));
        }
        Ok(sys::faiss_IndexLSH_train_thresholds(index))
    })
}

/// Creates an `IndexLSH` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexLSH_new(
    p_index: *mut *mut FaissIndexLSH,
    d: idx_t,
    nbits: c_int,
) -> c_int {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_IndexLSH_new");
    // FAISS's defaults: the data rotated, no trained thresholds.
    faissx_IndexLSH_new_with_options(p_index, d, nbits, 1, 0)
}

/// Creates an `IndexLSH` in `*p_index`; the caller owns it. Returns 0 or an error code.
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
        lsh_shape(d, nbits.into())?;
        if let Some(handle) = create_remote(|| {
            Ok(IndexSpec::Lsh {
                d: d as u32,
                nbits: nbits as u32,
                rotate_data: rotate_data != 0,
                train_thresholds: train_thresholds != 0,
            })
        })? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexLSH_new_with_options(
            p_index,
            d,
            nbits,
            rotate_data,
            train_thresholds,
        ))
    })
}
