//! `clone_index_c.h`: TODO module doc.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::c_int;

/// TODO faiss_clone_index
#[no_mangle]
pub unsafe extern "C" fn faissx_clone_index(
    idx: *const FaissIndex,
    p_out: *mut *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(idx, "idx")?;
        non_null(p_out, "p_out")?;
        faiss_status(sys::faiss_clone_index(idx, p_out))
    })
}

/// TODO faiss_clone_index_binary
#[no_mangle]
pub unsafe extern "C" fn faissx_clone_index_binary(
    idx: *const FaissIndexBinary,
    p_out: *mut *mut FaissIndexBinary,
) -> c_int {
    boundary!({
        non_null(idx, "idx")?;
        non_null(p_out, "p_out")?;
        faiss_status(sys::faiss_clone_index_binary(idx, p_out))
    })
}
