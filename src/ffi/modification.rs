//! Index modification from the seed project: merging several indexes into one and splitting one
//! into parts. Both are built from functions that work in either mode (clone, merge_from,
//! remove_ids), so they work on local indexes and, unchanged, on indexes of one server.

use crate::boundary;
use crate::ffi::aux_index_structures::*;
use crate::ffi::boundary::*;
use crate::ffi::clone_index::faissx_clone_index;
use crate::ffi::dispatch::*;
use crate::ffi::index::*;
use crate::ffi::index_ivf::faissx_IndexIVF_cast;
use crate::ffi::meta_indexes::{faissx_IndexIDMap_cast, faissx_IndexIDMap_id_map};
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::c_int;

/// An index this module made, freed unless handed to the caller.
struct Made(*mut FaissIndex);

impl Made {
    unsafe fn clone_of(index: *const FaissIndex) -> Result<Made> {
        let mut copy = std::ptr::null_mut();
        reported(faissx_clone_index(index, &mut copy))?;
        Ok(Made(copy))
    }

    fn hand_over(self) -> *mut FaissIndex {
        let index = self.0;
        std::mem::forget(self);
        index
    }
}

impl Drop for Made {
    fn drop(&mut self) {
        // SAFETY: an index this module created and still owns.
        unsafe { faissx_Index_free(self.0) };
    }
}

/// Merges `n` indexes of one kind into a new index in `*p_out`, which the caller owns: the
/// vectors of `indexes[0]`, then of `indexes[1]`, ..., as FAISS's `merge_from` with `add_id` 0
/// merges them. Explicit ids (IDMap, IVF) are kept; where ids are positions (flat, PQ, scalar
/// quantizer), those of `indexes[i]` continue after the vectors before it. The sources are not
/// modified. Either every index is local, or all are on one server, where the result is made
/// too. Kinds FAISS cannot merge (HNSW, for one) get its error.
#[no_mangle]
pub unsafe extern "C" fn faissx_merge_indices(
    indexes: *const *const FaissIndex,
    n: usize,
    p_out: *mut *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(indexes, "indexes")?;
        non_null(p_out, "p_out")?;
        if n == 0 {
            return Err(Error::invalid("n must be at least 1 (no indexes to merge)"));
        }
        let sources = std::slice::from_raw_parts(indexes, n);
        for (i, source) in sources.iter().enumerate() {
            non_null(*source, &format!("indexes[{i}]"))?;
        }
        let merged = Made::clone_of(sources[0])?;
        for (i, source) in sources.iter().enumerate().skip(1) {
            // merge_from empties the index it takes from: take from a copy.
            let copy = Made::clone_of(*source)?;
            reported(faissx_Index_merge_from(merged.0, copy.0, 0))
                .map_err(|e| Error::new(e.code, format!("indexes[{i}]: {}", e.message)))?;
        }
        *p_out = merged.hand_over();
        Ok(())
    })
}

/// Splits an index into `parts` new indexes of its kind, in `out[0]` ... `out[parts - 1]`, which
/// the caller owns. Part k holds the k-th of `parts` ranges of the stored ids, near-equal in
/// count, and keeps the ids: a vector's label in its part is its label in the index. Where ids
/// are positions (flat, PQ, scalar quantizer), a part's labels start at 0: label i of part k is
/// label `first + i` of the index, `first` being the number of vectors in the parts before it
/// (as IndexShards numbers successive shards). Merging the parts in order gives the index back.
/// The source is not modified. Indexes that cannot remove vectors (HNSW, for one) cannot be
/// split. On failure nothing is left in `out`.
#[no_mangle]
pub unsafe extern "C" fn faissx_split_index(
    index: *const FaissIndex,
    parts: usize,
    out: *mut *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        non_null(out, "out")?;
        if parts == 0 {
            return Err(Error::invalid("parts must be at least 1"));
        }
        let mut ids = stored_ids(index as *mut FaissIndex)?;
        ids.sort_unstable();
        let mut made = Vec::with_capacity(parts);
        for part in 0..parts {
            let bound = |k: usize| match ids.get(k * ids.len() / parts) {
                Some(&id) if k < parts => id,
                // The last range is open-ended.
                _ => idx_t::MAX,
            };
            let (first, end) = (bound(part), bound(part + 1));
            let split = Made::clone_of(index)?;
            keep_only(split.0, first, end)?;
            made.push(split);
        }
        for (slot, split) in made.into_iter().enumerate() {
            *out.add(slot) = split.hand_over();
        }
        Ok(())
    })
}

/// Removes from `index` every vector whose id is outside `[first, end)`.
unsafe fn keep_only(index: *mut FaissIndex, first: idx_t, end: idx_t) -> Result<()> {
    let mut range = std::ptr::null_mut();
    reported(faissx_IDSelectorRange_new(&mut range, first, end))?;
    let mut outside = std::ptr::null_mut();
    let made = reported(faissx_IDSelectorNot_new(&mut outside, range.cast()));
    let removed = made.and_then(|()| {
        reported(faissx_Index_remove_ids(
            index,
            outside.cast(),
            std::ptr::null_mut(),
        ))
    });
    faissx_IDSelector_free(outside.cast());
    faissx_IDSelector_free(range.cast());
    removed
}

/// Every id `index` stores: an IDMap's own ids, an IVF's list entries, or else the positions.
unsafe fn stored_ids(index: *mut FaissIndex) -> Result<Vec<idx_t>> {
    let ntotal = usize::try_from(faissx_Index_ntotal(index)).unwrap_or(0);
    if !faissx_IndexIDMap_cast(index).is_null() {
        let (mut ids, mut size) = (std::ptr::null_mut(), 0usize);
        clear_last_error();
        faissx_IndexIDMap_id_map(index.cast(), &mut ids, &mut size);
        reported(last_error_code())?;
        return Ok(if size == 0 {
            Vec::new()
        } else {
            std::slice::from_raw_parts(ids, size).to_vec()
        });
    }
    if !faissx_IndexIVF_cast(index).is_null() {
        if let Some(remote) = as_remote(index) {
            let sizes = remote.list_sizes()?;
            let mut ids = Vec::with_capacity(ntotal);
            for (list, &size) in sizes.iter().enumerate() {
                if size > 0 {
                    ids.extend(remote.list_ids(list)?);
                }
            }
            return Ok(ids);
        }
        let mut ids = Vec::with_capacity(ntotal);
        for list in 0..sys::faiss_IndexIVF_nlist(index) {
            let size = sys::faiss_IndexIVF_get_list_size(index, list);
            let start = ids.len();
            ids.resize(start + size, 0);
            sys::faiss_IndexIVF_invlists_get_ids(index, list, ids[start..].as_mut_ptr());
        }
        return Ok(ids);
    }
    Ok((0..ntotal as idx_t).collect())
}
