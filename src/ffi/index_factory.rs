//! `index_factory_c.h`: indexes from FAISS's factory strings.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::{c_char, c_int};

/// Creates an index of dimension `d` from a FAISS factory string ("Flat", "IVF256,Flat", "HNSW32", "IVF1024,PQ16", "IDMap,Flat", ...) for `metric`; the caller owns `*p_index`. An unknown string returns FAISSX_ERR_FAISS.
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
        dimension(d.into(), "d")?;
        if let Some(handle) = create_remote(|| {
            Ok(IndexSpec::Factory {
                d: d as u32,
                description: c_str(description, "description")?.to_string(),
                metric,
            })
        })? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_index_factory(p_index, d, description, metric))
    })
}

/// Creates a binary index of `d` bits from a factory string ("BFlat", "BIVF64", ...); the caller owns `*p_index`.
#[no_mangle]
pub unsafe extern "C" fn faissx_index_binary_factory(
    p_index: *mut *mut FaissIndexBinary,
    d: c_int,
    description: *const c_char,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        non_null(description, "description")?;
        if let Some(handle) = create_remote(|| {
            Ok(IndexSpec::BinaryFactory {
                d: d as u32,
                description: c_str(description, "description")?.to_string(),
            })
        })? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_index_binary_factory(p_index, d, description))
    })
}
