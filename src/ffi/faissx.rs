//! faissx's own functions, which FAISS has no counterpart for.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use std::os::raw::{c_char, c_int};

/// faissx's version and the FAISS version it runs, as "faissx X.Y.Z (FAISS A.B.C)". Static
/// storage: never free it.
#[no_mangle]
pub extern "C" fn faissx_version() -> *const c_char {
    concat!("faissx ", env!("CARGO_PKG_VERSION"), " (FAISS 1.12.0)\0")
        .as_ptr()
        .cast()
}

/// 1 if `index` lives on a faissx-server, 0 if FAISS runs it in this process;
/// FAISSX_ERR_INVALID_ARGUMENT (with the last error set) for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_is_remote(index: *const FaissIndex) -> c_int {
    boundary!(FAISSX_ERR_INVALID_ARGUMENT, {
        non_null(index, "index")?;
        // Remote handles do not exist yet: every index is FAISS's own object.
        Ok(0)
    })
}
