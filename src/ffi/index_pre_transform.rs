//! `IndexPreTransform_c.h`: an index behind a chain of vector transforms.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::c_int;

/// Frees an `IndexPreTransform`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPreTransform_free(obj: *mut FaissIndexPreTransform) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexPreTransform_free(obj);
        }
        Ok(())
    })
}

/// The same handle if it is an `IndexPreTransform` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPreTransform_cast(
    index: *mut FaissIndex,
) -> *mut FaissIndexPreTransform {
    boundary!(std::ptr::null_mut(), {
        if let Some(cast) = remote_cast(index, "IndexPreTransform") {
            return Ok(cast);
        }
        non_null(index, "index")?;
        Ok(sys::faiss_IndexPreTransform_cast(index))
    })
}

/// `index` of an `IndexPreTransform`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPreTransform_index(
    index: *const FaissIndexPreTransform,
) -> *mut FaissIndex {
    boundary!(std::ptr::null_mut(), {
        of_class(index, c"IndexPreTransform")?;
        if let Some(remote) = as_remote(index) {
            return remote_sub_index(remote, pre_transform_index);
        }
        Ok(lent(
            index.cast_mut().cast(),
            sys::faiss_IndexPreTransform_index(index),
        ))
    })
}

/// `own_fields` of an `IndexPreTransform`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPreTransform_own_fields(
    index: *const FaissIndexPreTransform,
) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexPreTransform")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.own_fields());
        }
        Ok(sys::faiss_IndexPreTransform_own_fields(index))
    })
}

/// Sets `own_fields` of an `IndexPreTransform`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPreTransform_set_own_fields(
    index: *mut FaissIndexPreTransform,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexPreTransform")?;
        if let Some(remote) = as_remote(index) {
            remote.set_own_fields(value);
            return Ok(());
        }
        sys::faiss_IndexPreTransform_set_own_fields(index, value);
        Ok(())
    })
}

/// Creates an `IndexPreTransform` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPreTransform_new(
    p_index: *mut *mut FaissIndexPreTransform,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        if let Some(handle) = create_default("IndexPreTransform")? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexPreTransform_new(p_index))
    })
}

/// Creates an `IndexPreTransform` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPreTransform_new_with(
    p_index: *mut *mut FaissIndexPreTransform,
    index: *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        non_null(index, "index")?;
        // No transform yet: an empty one on the wire.
        if let Some(handle) = create_composite(
            index,
            false,
            |index| {
                Ok(IndexSpec::PreTransform {
                    index,
                    transform: Vec::new(),
                })
            },
            |face, out| pre_transform_over_face(out, face, std::ptr::null_mut()),
        )? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexPreTransform_new_with(p_index, index))
    })
}

/// Creates an `IndexPreTransform` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPreTransform_new_with_transform(
    p_index: *mut *mut FaissIndexPreTransform,
    ltrans: *mut FaissVectorTransform,
    index: *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        non_null(ltrans, "ltrans")?;
        non_null(index, "index")?;
        if let Some(handle) = create_composite(
            index,
            false,
            |index| {
                Ok(IndexSpec::PreTransform {
                    index,
                    transform: serialized(ltrans)?,
                })
            },
            |face, out| pre_transform_over_face(out, face, ltrans.cast()),
        )? {
            if let Some(remote) = as_remote(handle) {
                remote.lend_transform(ltrans.cast());
            }
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexPreTransform_new_with_transform(
            p_index, ltrans, index,
        ))
    })
}

/// Puts `ltrans` in front of the chain of transforms; the index takes ownership if it owns its fields.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPreTransform_prepend_transform(
    index: *mut FaissIndexPreTransform,
    ltrans: *mut FaissVectorTransform,
) -> c_int {
    boundary!({
        of_class(index, c"IndexPreTransform")?;
        non_null(ltrans, "ltrans")?;
        if let Some(remote) = as_remote(index) {
            remote.prepend_transform(&serialized(ltrans)?)?;
            remote.lend_transform(ltrans.cast());
            return Ok(());
        }
        faiss_status(sys::faiss_IndexPreTransform_prepend_transform(
            index, ltrans,
        ))
    })
}

unsafe extern "C" fn pre_transform_index(index: *mut FaissIndex) -> *mut FaissIndex {
    sys::faiss_IndexPreTransform_index(index)
}

unsafe fn pre_transform_over_face(
    out: *mut *mut std::os::raw::c_void,
    face: *mut std::os::raw::c_void,
    transform: *mut std::os::raw::c_void,
) -> Result<()> {
    shim_status(shim::faissx_shim_IndexPreTransform_over_face(
        out, face, transform,
    ))
}

/// The server gets its own copy of a caller's transform, in FAISS's serialized form; the
/// caller keeps its object.
unsafe fn serialized(transform: *const FaissVectorTransform) -> Result<Vec<u8>> {
    let (mut size, mut buf) = (0usize, std::ptr::null_mut());
    shim_status(shim::faissx_shim_write_VectorTransform(
        transform.cast(),
        &mut size,
        &mut buf,
    ))?;
    let bytes = std::slice::from_raw_parts(buf, size).to_vec();
    libc::free(buf.cast());
    Ok(bytes)
}
