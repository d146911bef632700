//! `impl/io_c.h`: custom readers and writers for index I/O.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::{shim, sys};
use std::os::raw::{c_int, c_void};

/// Frees an `IOReader`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IOReader_free(obj: *mut FaissIOReader) {
    boundary!((), {
        if !obj.is_null() {
            shim::faissx_shim_IOReader_free(obj.cast());
        }
        Ok(())
    })
}

/// Frees an `IOWriter`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IOWriter_free(obj: *mut FaissIOWriter) {
    boundary!((), {
        if !obj.is_null() {
            shim::faissx_shim_IOWriter_free(obj.cast());
        }
        Ok(())
    })
}

/// Frees a `CustomIOReader`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_CustomIOReader_free(obj: *mut FaissCustomIOReader) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_CustomIOReader_free(obj);
        }
        Ok(())
    })
}

/// Creates a `CustomIOReader` in `*p_out`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_CustomIOReader_new(
    p_out: *mut *mut FaissCustomIOReader,
    func_in: Option<unsafe extern "C" fn(*mut c_void, usize, usize) -> usize>,
) -> c_int {
    boundary!({
        non_null(p_out, "p_out")?;
        non_null(func_in, "func_in")?;
        faiss_status(sys::faiss_CustomIOReader_new(p_out, func_in))
    })
}

/// Frees a `CustomIOWriter`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_CustomIOWriter_free(obj: *mut FaissCustomIOWriter) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_CustomIOWriter_free(obj);
        }
        Ok(())
    })
}

/// Creates a `CustomIOWriter` in `*p_out`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_CustomIOWriter_new(
    p_out: *mut *mut FaissCustomIOWriter,
    func_in: Option<unsafe extern "C" fn(*const c_void, usize, usize) -> usize>,
) -> c_int {
    boundary!({
        non_null(p_out, "p_out")?;
        non_null(func_in, "func_in")?;
        faiss_status(sys::faiss_CustomIOWriter_new(p_out, func_in))
    })
}
