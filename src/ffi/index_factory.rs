//! `index_factory_c.h`: indexes from FAISS's factory strings.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
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
        factory_description(c_str(description, "description")?, false)?;
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
        faiss_status(sys::faiss_index_factory(p_index, d, description, metric))?;
        checked_structure(
            p_index,
            |index| shim::faissx_shim_check_index(index.cast()),
            |index| sys::faiss_Index_free(index),
        )
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
        dimension(d.into(), "d")?;
        factory_description(c_str(description, "description")?, true)?;
        if let Some(handle) = create_remote(|| {
            Ok(IndexSpec::BinaryFactory {
                d: d as u32,
                description: c_str(description, "description")?.to_string(),
            })
        })? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_index_binary_factory(p_index, d, description))?;
        checked_structure(
            p_index,
            |index| shim::faissx_shim_check_index_binary(index.cast()),
            |index| sys::faiss_IndexBinary_free(index),
        )
    })
}

/// Frees and refuses what the factory built when its structure is unusable (see
/// `faissx_shim_check_index`), leaving `*p_index` NULL.
unsafe fn checked_structure<T>(
    p_index: *mut *mut T,
    check: impl FnOnce(*mut T) -> c_int,
    free: impl FnOnce(*mut T),
) -> Result<()> {
    let built = *p_index;
    if let Err(error) = shim_status(check(built)) {
        free(built);
        *p_index = std::ptr::null_mut();
        return Err(error);
    }
    Ok(())
}
