//! Execution by FAISS in the calling process: FAISS's own C API (`sys`, generated from the
//! inventory) and the C++ entry points it lacks (`shim`).

/// cbindgen:ignore
pub mod index;
/// cbindgen:ignore
pub mod shim;
/// cbindgen:ignore
pub mod sys;

use crate::ffi::boundary::{Error, Result};
use crate::ffi::types::*;
use std::ffi::CStr;
use std::os::raw::c_int;

/// Maps a status returned by the shim to a `Result`, with the C++ exception's text.
pub fn shim_status(code: c_int) -> Result<()> {
    if code == 0 {
        return Ok(());
    }
    // SAFETY: the shim's last error is a thread-local NUL-terminated string.
    let message = unsafe { CStr::from_ptr(shim::faissx_shim_last_error()) }
        .to_string_lossy()
        .into_owned();
    let code = match code {
        -2 => FAISSX_ERR_FAISS,
        -4 => FAISSX_ERR_STD,
        // The shim's own checks (`refuse` in shim.cpp).
        -5 => FAISSX_ERR_INVALID_ARGUMENT,
        _ => FAISSX_ERR_UNKNOWN,
    };
    Err(Error::new(
        crate::remote::face::carried_code(&message).unwrap_or(code),
        message,
    ))
}
