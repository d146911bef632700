//! `IndexReplicas_c.h`: the same data in several indexes, queries spread across them.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use crate::remote::face::{add_member, lent, remove_member};
use std::os::raw::c_int;

/// Frees an `IndexReplicas`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexReplicas_free(obj: *mut FaissIndexReplicas) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexReplicas_free(obj);
        }
        Ok(())
    })
}

/// `own_fields` of an `IndexReplicas`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexReplicas_own_fields(
    index: *const FaissIndexReplicas,
) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexReplicas")?;
        Ok(shim::faissx_shim_IndexReplicas_own_fields(index.cast()))
    })
}

/// Sets `own_fields` of an `IndexReplicas`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexReplicas_set_own_fields(
    index: *mut FaissIndexReplicas,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexReplicas")?;
        shim::faissx_shim_IndexReplicas_set_own_fields(index.cast(), value);
        Ok(())
    })
}

/// Creates an `IndexReplicas` in `*p_index`; the caller owns it. Returns 0 or an error code.
/// In remote mode too it lives in this process: its replicas may be remote indexes, each on
/// its own server.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexReplicas_new(
    p_index: *mut *mut FaissIndexReplicas,
    d: idx_t,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        // FAISS's default: threaded.
        new_replicas(p_index, d, 1)
    })
}

/// Creates an `IndexReplicas` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexReplicas_new_with_options(
    p_index: *mut *mut FaissIndexReplicas,
    d: idx_t,
    threaded: c_int,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        new_replicas(p_index, d, threaded)
    })
}

/// FAISS's IndexReplicas, as a class of the shim's that frees the faces of remote replicas.
unsafe fn new_replicas(
    p_index: *mut *mut FaissIndexReplicas,
    d: idx_t,
    threaded: c_int,
) -> Result<()> {
    let mut out: *mut std::os::raw::c_void = std::ptr::null_mut();
    shim_status(shim::faissx_shim_IndexReplicas_new(&mut out, d, threaded))?;
    *p_index = out.cast();
    Ok(())
}

/// Adds `replica` (same d; borrowed unless own_fields) to the replicas. A remote replica is
/// used through a face that keeps its handle alive while the replicas use it.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexReplicas_add_replica(
    index: *mut FaissIndexReplicas,
    replica: *mut FaissIndex,
) -> c_int {
    boundary!({
        of_class(index, c"IndexReplicas")?;
        non_null(replica, "replica")?;
        match as_remote(replica) {
            Some(remote) => add_member(index, remote),
            None => faiss_status(sys::faiss_IndexReplicas_add_replica(index, replica)),
        }
    })
}

/// Removes `replica` from the replicas (it is not freed, unless own_fields).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexReplicas_remove_replica(
    index: *mut FaissIndexReplicas,
    replica: *mut FaissIndex,
) -> c_int {
    boundary!({
        of_class(index, c"IndexReplicas")?;
        non_null(replica, "replica")?;
        match remove_member(index, replica) {
            Some(removed) => removed,
            None => faiss_status(sys::faiss_IndexReplicas_remove_replica(index, replica)),
        }
    })
}

/// `at` of an `IndexReplicas`; NULL (with the last error set) for a NULL handle. A remote
/// replica is returned as the handle that was added while the caller holds it, and as its
/// face (a local index that forwards to the same remote index) once the caller has freed it.
/// A face belongs to the composite: it goes when removed or when the composite is freed.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexReplicas_at(
    index: *mut FaissIndexReplicas,
    i: c_int,
) -> *mut FaissIndex {
    boundary!(std::ptr::null_mut(), {
        of_class(index, c"IndexReplicas")?;
        let count = shim::faissx_shim_IndexReplicas_count(index.cast());
        if !(0..count).contains(&i) {
            return Err(Error::invalid(format!(
                "i = {i} is out of range ({count} indexes)"
            )));
        }
        Ok(lent(index, sys::faiss_IndexReplicas_at(index, i)))
    })
}
