//! `IndexShards_c.h`: data split across several indexes, queried together.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use crate::remote::face::{add_member, lent, remove_member};
use std::os::raw::c_int;

/// Frees an `IndexShards`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexShards_free(obj: *mut FaissIndexShards) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexShards_free(obj);
        }
        Ok(())
    })
}

/// `own_fields` of an `IndexShards`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexShards_own_fields(index: *const FaissIndexShards) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexShards")?;
        Ok(shim::faissx_shim_IndexShards_own_fields(index.cast()))
    })
}

/// Sets `own_fields` of an `IndexShards`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexShards_set_own_fields(
    index: *mut FaissIndexShards,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexShards")?;
        shim::faissx_shim_IndexShards_set_own_fields(index.cast(), value);
        Ok(())
    })
}

/// `successive_ids` of an `IndexShards`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexShards_successive_ids(
    index: *const FaissIndexShards,
) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexShards")?;
        Ok(sys::faiss_IndexShards_successive_ids(index))
    })
}

/// Sets `successive_ids` of an `IndexShards`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexShards_set_successive_ids(
    index: *mut FaissIndexShards,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexShards")?;
        sys::faiss_IndexShards_set_successive_ids(index, value);
        Ok(())
    })
}

/// Creates an `IndexShards` in `*p_index`; the caller owns it. Returns 0 or an error code.
/// In remote mode too it lives in this process: its shards may be remote indexes, each on
/// its own server.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexShards_new(
    p_index: *mut *mut FaissIndexShards,
    d: idx_t,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        // FAISS's defaults: not threaded, successive ids.
        new_shards(p_index, d, 0, 1)
    })
}

/// Creates an `IndexShards` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexShards_new_with_options(
    p_index: *mut *mut FaissIndexShards,
    d: idx_t,
    threaded: c_int,
    successive_ids: c_int,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        new_shards(p_index, d, threaded, successive_ids)
    })
}

/// FAISS's IndexShards, as a class of the shim's that frees the faces of remote shards.
unsafe fn new_shards(
    p_index: *mut *mut FaissIndexShards,
    d: idx_t,
    threaded: c_int,
    successive_ids: c_int,
) -> Result<()> {
    let mut out: *mut std::os::raw::c_void = std::ptr::null_mut();
    shim_status(shim::faissx_shim_IndexShards_new(
        &mut out,
        d,
        threaded,
        successive_ids,
    ))?;
    *p_index = out.cast();
    Ok(())
}

/// Adds `shard` (same d; borrowed unless own_fields) to the shards. A remote shard is used
/// through a face that keeps its handle alive while the shards use it.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexShards_add_shard(
    index: *mut FaissIndexShards,
    shard: *mut FaissIndex,
) -> c_int {
    boundary!({
        of_class(index, c"IndexShards")?;
        non_null(shard, "shard")?;
        match as_remote(shard) {
            Some(remote) => add_member(index, remote),
            None => faiss_status(sys::faiss_IndexShards_add_shard(index, shard)),
        }
    })
}

/// Removes `shard` from the shards (it is not freed, unless own_fields).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexShards_remove_shard(
    index: *mut FaissIndexShards,
    shard: *mut FaissIndex,
) -> c_int {
    boundary!({
        of_class(index, c"IndexShards")?;
        non_null(shard, "shard")?;
        match remove_member(index, shard) {
            Some(removed) => removed,
            None => faiss_status(sys::faiss_IndexShards_remove_shard(index, shard)),
        }
    })
}

/// `at` of an `IndexShards`; NULL (with the last error set) for a NULL handle. A remote shard
/// is returned as the handle that was added while the caller holds it, and as its face (a
/// local index that forwards to the same remote index) once the caller has freed it. A face
/// belongs to the composite: it goes when removed or when the composite is freed.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexShards_at(
    index: *mut FaissIndexShards,
    i: c_int,
) -> *mut FaissIndex {
    boundary!(std::ptr::null_mut(), {
        of_class(index, c"IndexShards")?;
        let count = shim::faissx_shim_IndexShards_count(index.cast());
        if !(0..count).contains(&i) {
            return Err(Error::invalid(format!(
                "i = {i} is out of range ({count} indexes)"
            )));
        }
        Ok(lent(index, sys::faiss_IndexShards_at(index, i)))
    })
}
