//! `utils/utils_c.h`: TODO module doc.

use crate::boundary;
use crate::local::sys;
use std::os::raw::c_char;

/// TODO faiss_get_version
#[no_mangle]
pub unsafe extern "C" fn faissx_get_version() -> *const c_char {
    boundary!(std::ptr::null(), { Ok(sys::faiss_get_version()) })
}
