//! `utils/utils_c.h`: FAISS's version.

use crate::boundary;
use crate::local::sys;
use std::os::raw::c_char;

/// FAISS's version, "1.12.0". Static storage.
#[no_mangle]
pub unsafe extern "C" fn faissx_get_version() -> *const c_char {
    boundary!(std::ptr::null(), { Ok(sys::faiss_get_version()) })
}
