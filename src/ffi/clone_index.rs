//! `clone_index_c.h`: deep copies of indexes.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::c_int;

/// Deep-copies `idx` into `*p_out` (owned by the caller): sub-indexes are copied too, and the copy owns them.
#[no_mangle]
pub unsafe extern "C" fn faissx_clone_index(
    idx: *const FaissIndex,
    p_out: *mut *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(idx, "idx")?;
        non_null(p_out, "p_out")?;
        if let Some(remote) = as_remote(idx) {
            *p_out = remote.duplicate()?.cast();
            return Ok(());
        }
        crate::remote::face::clonable(idx)?;
        crate::ffi::boundary::complete(idx)?;
        faiss_status(sys::faiss_clone_index(idx, p_out))
    })
}

/// Deep-copies a binary index into `*p_out`, owned by the caller.
#[no_mangle]
pub unsafe extern "C" fn faissx_clone_index_binary(
    idx: *const FaissIndexBinary,
    p_out: *mut *mut FaissIndexBinary,
) -> c_int {
    boundary!({
        non_null(idx, "idx")?;
        non_null(p_out, "p_out")?;
        if let Some(remote) = as_remote(idx) {
            *p_out = remote.duplicate()?.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_clone_index_binary(idx, p_out))
    })
}
