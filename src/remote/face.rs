//! Remote handles as FAISS indexes: a face (`RemoteFace` in src/local/shim.cpp) is a C++
//! `faiss::Index` whose virtual methods call the functions below, which forward to the server
//! through the remote handle. FAISS's own composites (IndexShards, IndexReplicas, k-means)
//! then run over remote indexes in this process, each sub-index possibly on its own server.
//!
//! A face holds a reference on its handle ([`RemoteIndex::retain`]), so the caller may free
//! the handle while a composite still uses the face; the index on the server goes with the
//! last reference.
//!
//! Failures cross FAISS as exceptions, whose text carries the faissx code as
//! `[faissx error N]`: FAISS reports every exception of its own type with one code, and its
//! threaded composites rethrow a sub-index's exception from another thread, with the text
//! kept. [`carried_code`] reads the code back where faissx maps FAISS's failures.

use super::index::{as_remote, RemoteIndex};
use crate::ffi::boundary::{self, Error, Result};
use crate::ffi::dispatch::{copy_bytes_out, copy_out, vectors};
use crate::ffi::index::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::{c_char, c_int, c_void};

#[repr(C)]
struct FaceInfo {
    d: i64,
    ntotal: i64,
    is_trained: i32,
    metric: i32,
}

/// `faissx_FaceOps` of shim.cpp, field for field.
#[repr(C)]
struct FaceOps {
    retain: unsafe extern "C" fn(*mut c_void),
    release: unsafe extern "C" fn(*mut c_void, i32),
    info: unsafe extern "C" fn(*mut c_void, i32, *mut FaceInfo) -> c_int,
    train: unsafe extern "C" fn(*mut c_void, i64, *const f32) -> c_int,
    add: unsafe extern "C" fn(*mut c_void, i64, *const f32, *const i64) -> c_int,
    search: unsafe extern "C" fn(
        *mut c_void,
        i64,
        *const f32,
        i64,
        *const c_void,
        *mut f32,
        *mut i64,
    ) -> c_int,
    range_search: unsafe extern "C" fn(
        *mut c_void,
        i64,
        *const f32,
        f32,
        *mut c_void,
        *const c_void,
    ) -> c_int,
    assign: unsafe extern "C" fn(*mut c_void, i64, *const f32, *mut i64, i64) -> c_int,
    reset: unsafe extern "C" fn(*mut c_void) -> c_int,
    remove_ids: unsafe extern "C" fn(*mut c_void, *const c_void, *mut usize) -> c_int,
    remove_batch: unsafe extern "C" fn(*mut c_void, i64, *const i64, *mut usize) -> c_int,
    reconstruct: unsafe extern "C" fn(*mut c_void, i64, i64, *mut f32) -> c_int,
    last_error: unsafe extern "C" fn() -> *const c_char,
}

static OPS: FaceOps = FaceOps {
    retain,
    release,
    info,
    train,
    add,
    search,
    range_search,
    assign,
    reset,
    remove_ids,
    remove_batch,
    reconstruct,
    last_error,
};

/// Runs `body` as an export would (errors recorded for `last_error`, panics caught: nothing
/// may unwind into FAISS's C++).
fn run(what: &'static str, body: impl FnOnce() -> Result<()>) -> c_int {
    boundary::guard(|| what, |code| code, || body().map(|()| 0))
}

unsafe extern "C" fn retain(remote: *mut c_void) {
    RemoteIndex::retain(remote.cast());
}

/// Called by the face's destructor, which cannot fail: a failed delete on the server leaves
/// the index there, as a failed faissx_Index_free would.
unsafe extern "C" fn release(remote: *mut c_void, with_handle: i32) {
    let remote = remote.cast::<RemoteIndex>();
    let _ = std::panic::catch_unwind(|| {
        if with_handle != 0 {
            let _ = RemoteIndex::free(remote);
        }
        let _ = RemoteIndex::release(remote);
    });
}

unsafe extern "C" fn info(remote: *mut c_void, fresh: i32, out: *mut FaceInfo) -> c_int {
    run("remote index", || {
        let remote = &*remote.cast::<RemoteIndex>();
        if remote.is_binary() {
            return Err(Error::unsupported(
                "a binary remote index cannot serve where FAISS takes a float index",
            ));
        }
        let info = if fresh != 0 {
            remote.fresh_info()?
        } else {
            remote.cached_info()
        };
        *out = FaceInfo {
            d: info.d.into(),
            ntotal: info.ntotal,
            is_trained: info.is_trained.into(),
            metric: info.metric as i32,
        };
        Ok(())
    })
}

// The operations go through the exports, which check their arguments and dispatch on the
// remote handle as for any caller.

unsafe extern "C" fn train(remote: *mut c_void, n: i64, x: *const f32) -> c_int {
    faissx_Index_train(remote.cast(), n, x)
}

unsafe extern "C" fn add(remote: *mut c_void, n: i64, x: *const f32, ids: *const i64) -> c_int {
    if ids.is_null() {
        faissx_Index_add(remote.cast(), n, x)
    } else {
        faissx_Index_add_with_ids(remote.cast(), n, x, ids)
    }
}

unsafe extern "C" fn search(
    remote: *mut c_void,
    n: i64,
    x: *const f32,
    k: i64,
    params: *const c_void,
    distances: *mut f32,
    labels: *mut i64,
) -> c_int {
    run("remote search", || {
        let remote = &*remote.cast::<RemoteIndex>();
        let n = boundary::count(n, "n")?;
        let k = boundary::positive_k(k)? as usize;
        let params = wire_params(params)?;
        let (found_distances, found_labels) =
            remote.search(n, k, vectors(remote, x, n as idx_t), params)?;
        copy_bytes_out(&found_distances, distances);
        copy_out(&found_labels, labels);
        Ok(())
    })
}

/// The wire form of the parameters a composite hands its member: the caller's own, or ones the
/// composite made (FAISS's C API cannot tell those apart, so the selector is read from the
/// object itself). A selector FAISS built is code that runs per id in this process.
unsafe fn wire_params(params: *const c_void) -> Result<Option<crate::protocol::SearchParams>> {
    if params.is_null() {
        return Ok(None);
    }
    let mut wire = super::selectors::describe_params(params.cast())?.unwrap_or_default();
    let selector = shim::faissx_shim_SearchParameters_sel(params);
    if !selector.is_null() {
        wire.selector = Some(super::selectors::described(selector).ok_or_else(foreign_selector)?);
    }
    Ok(Some(wire))
}

fn foreign_selector() -> Error {
    Error::unsupported(
        "the id selector was built inside FAISS (an IndexIDMap translating ids, for one): it \
         tests ids one by one in this process and cannot be sent to a remote index",
    )
}

unsafe extern "C" fn range_search(
    remote: *mut c_void,
    n: i64,
    x: *const f32,
    radius: f32,
    result: *mut c_void,
    params: *const c_void,
) -> c_int {
    run("remote range search", || {
        let remote = &*remote.cast::<RemoteIndex>();
        let params = wire_params(params)?;
        fill_range_result(remote, n, x, radius, result.cast(), params)
    })
}

/// A range search, written into FAISS's result as FAISS fills one.
unsafe fn fill_range_result(
    remote: &RemoteIndex,
    n: i64,
    x: *const f32,
    radius: f32,
    result: *mut FaissRangeSearchResult,
    params: Option<crate::protocol::SearchParams>,
) -> Result<()> {
    let n = boundary::count(n, "n")?;
    boundary::range_result_fits(result, n as idx_t)?;
    let (lims, found_labels, found_distances) =
        remote.range_search(n, radius.into(), vectors(remote, x, n as idx_t), params)?;
    let mut result_lims: *mut usize = std::ptr::null_mut();
    sys::faiss_RangeSearchResult_lims(result, &mut result_lims);
    for query in 0..n {
        *result_lims.add(query) = (lims[query + 1] - lims[query]) as usize;
    }
    boundary::faiss_status(sys::faiss_RangeSearchResult_do_allocation(result))?;
    let (mut labels, mut distances) = (std::ptr::null_mut(), std::ptr::null_mut());
    sys::faiss_RangeSearchResult_labels(result, &mut labels, &mut distances);
    copy_out(&found_labels, labels);
    copy_bytes_out(&found_distances, distances);
    Ok(())
}

unsafe extern "C" fn assign(
    remote: *mut c_void,
    n: i64,
    x: *const f32,
    labels: *mut i64,
    k: i64,
) -> c_int {
    faissx_Index_assign(remote.cast(), n, x, labels, k)
}

unsafe extern "C" fn reset(remote: *mut c_void) -> c_int {
    faissx_Index_reset(remote.cast())
}

unsafe extern "C" fn remove_ids(
    remote: *mut c_void,
    sel: *const c_void,
    removed: *mut usize,
) -> c_int {
    if super::selectors::described(sel).is_none() {
        return run("remote remove_ids", || Err(foreign_selector()));
    }
    faissx_Index_remove_ids(remote.cast(), sel.cast(), removed)
}

/// The ids an IndexIDMap's translated selector picks among its sub-index's positions (see
/// `ids_are_positions` in shim.cpp).
unsafe extern "C" fn remove_batch(
    remote: *mut c_void,
    n: i64,
    ids: *const i64,
    removed: *mut usize,
) -> c_int {
    run("remote remove_ids", || {
        let remote = &*remote.cast::<RemoteIndex>();
        let ids = crate::ffi::dispatch::slice(ids, boundary::count(n, "n")?).to_vec();
        *removed = remote.remove_ids(crate::protocol::Selector::Batch { ids })? as usize;
        Ok(())
    })
}

unsafe extern "C" fn reconstruct(remote: *mut c_void, i0: i64, ni: i64, recons: *mut f32) -> c_int {
    if ni == 1 {
        faissx_Index_reconstruct(remote.cast(), i0, recons)
    } else {
        faissx_Index_reconstruct_n(remote.cast(), i0, ni, recons)
    }
}

unsafe extern "C" fn last_error() -> *const c_char {
    let message = boundary::last_error_ptr();
    if message.is_null() {
        c"failed without a message".as_ptr()
    } else {
        message
    }
}

/// A new face of `remote`, a FAISS index (owned by the caller: deleting it drops its
/// reference on the handle).
///
/// # Safety
/// `remote` must be a live handle.
pub unsafe fn new_face(remote: &RemoteIndex) -> Result<*mut FaissIndex> {
    if remote.is_binary() {
        return Err(Error::unsupported(
            "a binary remote index cannot serve where FAISS takes a float index",
        ));
    }
    let mut face: *mut c_void = std::ptr::null_mut();
    shim_status(shim::faissx_shim_RemoteFace_new(
        &mut face,
        (remote as *const RemoteIndex).cast_mut().cast(),
        (&OPS as *const FaceOps).cast(),
    ))?;
    Ok(face.cast())
}

/// Gives a new face of `remote` to `keep`, which hands it to a composite; the face is deleted
/// when `keep` fails (the composite did not take it).
unsafe fn hand_face<T>(
    remote: &RemoteIndex,
    keep: impl FnOnce(*mut c_void) -> Result<T>,
) -> Result<T> {
    let face = new_face(remote)?;
    let kept = keep(face.cast());
    if kept.is_err() {
        sys::faiss_Index_free(face);
    }
    kept
}

/// Adds the remote handle `remote` to `composite` (an IndexShards or IndexReplicas of the
/// shim's) through a new face.
///
/// # Safety
/// `composite` must be a live local index, `remote` a live handle.
pub unsafe fn add_member(composite: *mut FaissIndex, remote: &RemoteIndex) -> Result<()> {
    hand_face(remote, |face| {
        shim_status(shim::faissx_shim_composite_add_face(composite.cast(), face))
    })
}

/// Removes the face that `member` names (the face, or the remote handle behind it) from
/// `composite`; `None` when `member` names none, for FAISS to remove.
///
/// # Safety
/// `composite` must be a live local index.
pub unsafe fn remove_member(
    composite: *mut FaissIndex,
    member: *const FaissIndex,
) -> Option<Result<()>> {
    let face = shim::faissx_shim_composite_face(composite.cast(), member.cast());
    if face.is_null() {
        return None;
    }
    Some(shim_status(shim::faissx_shim_composite_remove_face(
        composite.cast(),
        face,
    )))
}

/// What `composite` lends out for its member `member`: for a face, the caller's remote handle
/// while the caller holds it (FAISS hands back what was added), the face itself after.
///
/// # Safety
/// `composite` must be a live local index.
pub unsafe fn lent(composite: *mut FaissIndex, member: *mut FaissIndex) -> *mut FaissIndex {
    let face = shim::faissx_shim_composite_face(composite.cast(), member.cast());
    if face.is_null() {
        return member;
    }
    match as_remote(shim::faissx_shim_face_remote(face).cast::<RemoteIndex>()) {
        Some(remote) if !remote.caller_freed() => (remote as *const RemoteIndex).cast_mut().cast(),
        _ => member,
    }
}

/// FAISS's composite made by `build` (one of the shim's `..._over_face`) in this process over a
/// new face of `remote`; the composite holds the face (`OverFace` in shim.cpp).
///
/// # Safety
/// `remote` must be a live handle.
pub unsafe fn composite_over(
    remote: &RemoteIndex,
    build: impl FnOnce(*mut c_void, *mut *mut c_void) -> Result<()>,
) -> Result<*mut FaissIndex> {
    hand_face(remote, |face| {
        let mut composite: *mut c_void = std::ptr::null_mut();
        build(face, &mut composite)?;
        Ok(composite.cast())
    })
}

/// Refuses to serialize an index that holds a face.
///
/// # Safety
/// `index` must be a live local index.
pub unsafe fn serializable(index: *const FaissIndex) -> Result<()> {
    shim_status(shim::faissx_shim_Index_check_serializable(index.cast()))
}

/// Refuses to deep-copy an index that holds a face: FAISS's cloner knows only FAISS's classes
/// (and would leave its half-made copy behind).
///
/// # Safety
/// `index` must be a live local index.
pub unsafe fn clonable(index: *const FaissIndex) -> Result<()> {
    if shim::faissx_shim_Index_holds_face(index.cast()) == 0 {
        return Ok(());
    }
    Err(Error::unsupported(
        "the index holds a remote index (a shard, replica or sub-index on a faissx-server), \
         which FAISS cannot copy; clone the remote indexes one by one (faissx_clone_index on \
         each handle) and build the composite over the copies",
    ))
}

/// The faissx code a FAISS failure's message carries from a face (see the module's notes).
pub fn carried_code(message: &str) -> Option<c_int> {
    const MARK: &str = "[faissx error ";
    let start = message.find(MARK)? + MARK.len();
    let end = start + message[start..].find(']')?;
    message[start..end].parse().ok()
}
