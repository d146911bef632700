//! `error_c.h`: the per-thread message of the last failed call.

use crate::boundary;
use std::os::raw::c_char;

/// The message of the calling thread's last failed call: the faissx function, then what was
/// wrong (FAISS's own text when FAISS failed). NULL if no call of this thread has failed. The
/// string is owned by faissx and valid until this thread's next failing call; never free it.
#[no_mangle]
pub unsafe extern "C" fn faissx_get_last_error() -> *const c_char {
    boundary!(std::ptr::null(), {
        Ok(crate::ffi::boundary::last_error_ptr())
    })
}

/// The code of the calling thread's last failed call (a negative FAISSX_ERR_* code), or 0 if
/// none failed since `faissx_clear_last_error`. Getters cannot return a code (they return 0 /
/// NULL on failure): clear, call the getter, then check this.
#[no_mangle]
pub extern "C" fn faissx_get_last_error_code() -> std::os::raw::c_int {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_get_last_error_code");
    crate::ffi::boundary::last_error_code()
}

/// Resets the calling thread's last error code to 0 (see faissx_get_last_error_code).
#[no_mangle]
pub extern "C" fn faissx_clear_last_error() {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_clear_last_error");
    crate::ffi::boundary::clear_last_error()
}
