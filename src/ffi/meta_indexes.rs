//! `MetaIndexes_c.h`: IndexIDMap and IndexIDMap2, which keep your own 64-bit ids.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::c_int;

/// `own_fields` of an `IndexIDMap`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap_own_fields(index: *const FaissIndexIDMap) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexIDMap")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.own_fields());
        }
        Ok(sys::faiss_IndexIDMap_own_fields(index))
    })
}

/// Sets `own_fields` of an `IndexIDMap`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap_set_own_fields(
    index: *mut FaissIndexIDMap,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexIDMap")?;
        if let Some(remote) = as_remote(index) {
            remote.set_own_fields(value);
            return Ok(());
        }
        sys::faiss_IndexIDMap_set_own_fields(index, value);
        Ok(())
    })
}

/// Creates an `IndexIDMap` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap_new(
    p_index: *mut *mut FaissIndexIDMap,
    index: *mut FaissIndex,
) -> c_int {
    boundary!({ id_map_new(p_index.cast(), index, false) })
}

/// An IDMap (IDMap2 when `two_way`) over `index`: on the sub-index's server, over its face
/// here, or FAISS's own over a local one.
unsafe fn id_map_new(
    p_index: *mut *mut FaissIndex,
    index: *mut FaissIndex,
    two_way: bool,
) -> Result<()> {
    non_null(p_index, "p_index")?;
    non_null(index, "index")?;
    if let Some(handle) = create_composite(
        index,
        false,
        |index| {
            Ok(IndexSpec::IdMap {
                sub_index: index,
                two_way,
            })
        },
        |face, out| {
            shim_status(shim::faissx_shim_IndexIDMap_over_face(
                out,
                face,
                c_int::from(two_way),
            ))
        },
    )? {
        *p_index = handle.cast();
        return Ok(());
    }
    faiss_status(if two_way {
        sys::faiss_IndexIDMap2_new(p_index.cast(), index)
    } else {
        sys::faiss_IndexIDMap_new(p_index.cast(), index)
    })
}

/// The same handle if it is an `IndexIDMap` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap_cast(index: *mut FaissIndex) -> *mut FaissIndexIDMap {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexIDMap") {
            return Ok(cast);
        }
        Ok(sys::faiss_IndexIDMap_cast(index))
    })
}

/// `*p_id_map` (may be NULL) borrows the ids of the stored vectors in insertion order, `*p_size` (may be NULL) gets their count. Valid until the index is modified or freed.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap_id_map(
    index: *mut FaissIndexIDMap,
    p_id_map: *mut *mut idx_t,
    p_size: *mut usize,
) {
    boundary!((), {
        of_class(index, c"IndexIDMap")?;
        if let Some(remote) = as_remote(index) {
            let (ids, size) = remote.id_map()?;
            if !p_id_map.is_null() {
                *p_id_map = ids;
            }
            if !p_size.is_null() {
                *p_size = size;
            }
            return Ok(());
        }
        sys::faiss_IndexIDMap_id_map(index, p_id_map, p_size);
        Ok(())
    })
}

/// `sub_index` of an `IndexIDMap`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap_sub_index(
    index: *mut FaissIndexIDMap,
) -> *mut FaissIndex {
    boundary!(std::ptr::null_mut(), {
        of_class(index, c"IndexIDMap")?;
        if let Some(remote) = as_remote(index) {
            return remote_sub_index(remote, sys::faiss_IndexIDMap_sub_index);
        }
        Ok(lent(index.cast(), sys::faiss_IndexIDMap_sub_index(index)))
    })
}

/// `own_fields` of an `IndexIDMap2`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap2_own_fields(index: *const FaissIndexIDMap2) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexIDMap")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.own_fields());
        }
        Ok(sys::faiss_IndexIDMap2_own_fields(index))
    })
}

/// Sets `own_fields` of an `IndexIDMap2`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap2_set_own_fields(
    index: *mut FaissIndexIDMap2,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexIDMap")?;
        if let Some(remote) = as_remote(index) {
            remote.set_own_fields(value);
            return Ok(());
        }
        sys::faiss_IndexIDMap2_set_own_fields(index, value);
        Ok(())
    })
}

/// Creates an `IndexIDMap2` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap2_new(
    p_index: *mut *mut FaissIndexIDMap2,
    index: *mut FaissIndex,
) -> c_int {
    boundary!({ id_map_new(p_index.cast(), index, true) })
}

/// Rebuilds the id → position map (after the id_map was changed by hand).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap2_construct_rev_map(
    index: *mut FaissIndexIDMap2,
) -> c_int {
    boundary!({
        of_class(index, c"IndexIDMap2")?;
        if let Some(remote) = as_remote(index) {
            // The server's IDMap2 keeps its reverse map current on every write; what it cannot
            // know of is ids the caller edited through faissx_IndexIDMap2_id_map.
            return remote.send_lent_ids();
        }
        faiss_status(sys::faiss_IndexIDMap2_construct_rev_map(index))
    })
}

/// The same handle if it is an `IndexIDMap2` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap2_cast(index: *mut FaissIndex) -> *mut FaissIndexIDMap2 {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexIDMap2") {
            return Ok(cast);
        }
        Ok(sys::faiss_IndexIDMap2_cast(index))
    })
}

/// `*p_id_map` (may be NULL) borrows the stored ids, `*p_size` (may be NULL) gets their count. Valid until the index is modified or freed.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap2_id_map(
    index: *mut FaissIndexIDMap2,
    p_id_map: *mut *mut idx_t,
    p_size: *mut usize,
) {
    boundary!((), {
        of_class(index, c"IndexIDMap")?;
        if let Some(remote) = as_remote(index) {
            let (ids, size) = remote.id_map()?;
            if !p_id_map.is_null() {
                *p_id_map = ids;
            }
            if !p_size.is_null() {
                *p_size = size;
            }
            return Ok(());
        }
        sys::faiss_IndexIDMap2_id_map(index, p_id_map, p_size);
        Ok(())
    })
}

/// `sub_index` of an `IndexIDMap2`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIDMap2_sub_index(
    index: *mut FaissIndexIDMap2,
) -> *mut FaissIndex {
    boundary!(std::ptr::null_mut(), {
        of_class(index, c"IndexIDMap")?;
        if let Some(remote) = as_remote(index) {
            return remote_sub_index(remote, sys::faiss_IndexIDMap2_sub_index);
        }
        Ok(lent(index.cast(), sys::faiss_IndexIDMap2_sub_index(index)))
    })
}
