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
