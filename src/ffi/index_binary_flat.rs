//! Exhaustive search over binary codes (FAISS's `IndexBinaryFlat.h`), with Hamming distances.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status};
use std::os::raw::c_int;

/// Creates an `IndexBinaryFlat` for codes of `d` bits (a multiple of 8). The caller owns
/// `*p_index` and frees it with `faissx_IndexBinary_free`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryFlat_new_with(
    p_index: *mut *mut FaissIndexBinaryFlat,
    d: idx_t,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        binary_dimension(d)?;
        if let Some(handle) = create_remote(|| Ok(IndexSpec::BinaryFlat { d: d as u64 }))? {
            *p_index = handle.cast();
            return Ok(());
        }
        shim_status(shim::faissx_shim_IndexBinaryFlat_new(p_index.cast(), d))
    })
}

/// The same handle if it is an `IndexBinaryFlat`, NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryFlat_cast(
    index: *mut FaissIndexBinary,
) -> *mut FaissIndexBinaryFlat {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexBinaryFlat") {
            return Ok(cast);
        }
        Ok(shim::faissx_shim_cast_IndexBinaryFlat(index.cast()).cast())
    })
}

/// Frees an `IndexBinaryFlat`, as `faissx_IndexBinary_free`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryFlat_free(obj: *mut FaissIndexBinaryFlat) {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_IndexBinaryFlat_free");
    crate::ffi::index_binary::faissx_IndexBinary_free(obj)
}

/// Binary indexes count dimensions in bits and store whole bytes.
pub fn binary_dimension(d: idx_t) -> Result<()> {
    dimension(d, "d")?;
    if d % 8 != 0 {
        return Err(Error::invalid(format!(
            "d must be a multiple of 8 bits (got {d})"
        )));
    }
    Ok(())
}
