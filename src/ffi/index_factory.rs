//! `index_factory_c.h`: TODO module doc.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::{c_char, c_int};

/// TODO faiss_index_factory
#[no_mangle]
pub unsafe extern "C" fn faissx_index_factory(
    p_index: *mut *mut FaissIndex,
    d: c_int,
    description: *const c_char,
    metric: FaissMetricType,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        non_null(description, "description")?;
        known_metric(metric)?;
        faiss_status(sys::faiss_index_factory(p_index, d, description, metric))
    })
}

/// TODO faiss_index_binary_factory
#[no_mangle]
pub unsafe extern "C" fn faissx_index_binary_factory(
    p_index: *mut *mut FaissIndexBinary,
    d: c_int,
    description: *const c_char,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        non_null(description, "description")?;
        faiss_status(sys::faiss_index_binary_factory(p_index, d, description))
    })
}
