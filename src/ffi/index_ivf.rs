//! `IndexIVF_c.h`: inverted-file indexes (coarse quantizer + lists), their search parameters and statistics.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::index::usable;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::{c_char, c_int};

/// Frees a `SearchParametersIVF`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersIVF_free(obj: *mut FaissSearchParametersIVF) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_SearchParametersIVF_free(obj);
        }
        Ok(())
    })
}

/// The same handle if it is a `SearchParametersIVF` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersIVF_cast(
    params: *mut FaissSearchParameters,
) -> *mut FaissSearchParametersIVF {
    boundary!(std::ptr::null_mut(), {
        non_null(params, "params")?;
        Ok(sys::faiss_SearchParametersIVF_cast(params))
    })
}

/// Creates a `SearchParametersIVF` in `*p_sp`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersIVF_new(
    p_sp: *mut *mut FaissSearchParametersIVF,
) -> c_int {
    boundary!({
        non_null(p_sp, "p_sp")?;
        faiss_status(sys::faiss_SearchParametersIVF_new(p_sp))
    })
}

/// Creates a `SearchParametersIVF` in `*p_sp`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersIVF_new_with(
    p_sp: *mut *mut FaissSearchParametersIVF,
    sel: *mut FaissIDSelector,
    nprobe: usize,
    max_codes: usize,
) -> c_int {
    boundary!({
        non_null(p_sp, "p_sp")?;
        faiss_status(sys::faiss_SearchParametersIVF_new_with(
            p_sp, sel, nprobe, max_codes,
        ))
    })
}

/// `sel` of a `SearchParametersIVF`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersIVF_sel(
    params: *const FaissSearchParametersIVF,
) -> *const FaissIDSelector {
    boundary!(std::ptr::null(), {
        non_null(params, "params")?;
        Ok(sys::faiss_SearchParametersIVF_sel(params))
    })
}

/// `nprobe` of a `SearchParametersIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersIVF_nprobe(
    params: *const FaissSearchParametersIVF,
) -> usize {
    boundary!(0, {
        non_null(params, "params")?;
        Ok(sys::faiss_SearchParametersIVF_nprobe(params))
    })
}

/// Sets `nprobe` of a `SearchParametersIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersIVF_set_nprobe(
    params: *mut FaissSearchParametersIVF,
    value: usize,
) {
    boundary!((), {
        non_null(params, "params")?;
        sys::faiss_SearchParametersIVF_set_nprobe(params, value);
        Ok(())
    })
}

/// `max_codes` of a `SearchParametersIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersIVF_max_codes(
    params: *const FaissSearchParametersIVF,
) -> usize {
    boundary!(0, {
        non_null(params, "params")?;
        Ok(sys::faiss_SearchParametersIVF_max_codes(params))
    })
}

/// Sets `max_codes` of a `SearchParametersIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersIVF_set_max_codes(
    params: *mut FaissSearchParametersIVF,
    value: usize,
) {
    boundary!((), {
        non_null(params, "params")?;
        sys::faiss_SearchParametersIVF_set_max_codes(params, value);
        Ok(())
    })
}

/// Frees an `IndexIVF`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_free(obj: *mut FaissIndexIVF) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexIVF_free(obj);
        }
        Ok(())
    })
}

/// The same handle if it is an `IndexIVF` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_cast(index: *mut FaissIndex) -> *mut FaissIndexIVF {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexIVF") {
            return Ok(cast);
        }
        Ok(sys::faiss_IndexIVF_cast(index))
    })
}

/// `nlist` of an `IndexIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_nlist(index: *const FaissIndexIVF) -> usize {
    boundary!(0, {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().nlist as usize);
        }
        Ok(sys::faiss_IndexIVF_nlist(index))
    })
}

/// `nprobe` of an `IndexIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_nprobe(index: *const FaissIndexIVF) -> usize {
    boundary!(0, {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.nprobe as usize);
        }
        Ok(sys::faiss_IndexIVF_nprobe(index))
    })
}

/// Sets `nprobe` of an `IndexIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_set_nprobe(index: *mut FaissIndexIVF, value: usize) {
    boundary!((), {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("nprobe", value as f64);
        }
        sys::faiss_IndexIVF_set_nprobe(index, value);
        Ok(())
    })
}

/// `quantizer` of an `IndexIVF`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_quantizer(index: *const FaissIndexIVF) -> *mut FaissIndex {
    boundary!(std::ptr::null_mut(), {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote_quantizer(remote);
        }
        Ok(lent(
            index.cast_mut().cast(),
            sys::faiss_IndexIVF_quantizer(index),
        ))
    })
}

/// `quantizer_trains_alone` of an `IndexIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_quantizer_trains_alone(
    index: *const FaissIndexIVF,
) -> c_char {
    boundary!(0, {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().quantizer_trains_alone as c_char);
        }
        Ok(sys::faiss_IndexIVF_quantizer_trains_alone(index))
    })
}

/// `own_fields` of an `IndexIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_own_fields(index: *const FaissIndexIVF) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.own_fields());
        }
        Ok(sys::faiss_IndexIVF_own_fields(index))
    })
}

/// Sets `own_fields` of an `IndexIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_set_own_fields(index: *mut FaissIndexIVF, value: c_int) {
    boundary!((), {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            remote.set_own_fields(value);
            return Ok(());
        }
        sys::faiss_IndexIVF_set_own_fields(index, value);
        Ok(())
    })
}

/// Moves the vectors of `other` (same quantizer, same type) into `index`, shifting their ids by `add_id`; `other` is left empty.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_merge_from(
    index: *mut FaissIndexIVF,
    other: *mut FaissIndexIVF,
    add_id: idx_t,
) -> c_int {
    boundary!({
        of_class(index, c"IndexIVF")?;
        non_null(other, "other")?;
        // FAISS's C API casts `other` blindly.
        if of_class(other, c"IndexIVF").is_err() {
            return Err(Error::unsupported("other is not an IndexIVF"));
        }
        if let Some(merged) = remote_merge(index, other, add_id) {
            return merged;
        }
        faiss_status(sys::faiss_IndexIVF_merge_from(index, other, add_id))
    })
}

/// Copies a subset of the entries into `other` (an IVF index with the same lists and code size; `index` is unchanged): `subset_type` 0 = ids in [a1, a2), 1 = ids with id % a1 == a2 (a1 > 0), 2 = entries a1 to a2 of the lists taken in order (0 <= a1 <= a2 <= ntotal), 3 = fraction a2 of a1 of each list (0 <= a2 < a1), 4 = lists a1 to a2. Either index may be remote.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_copy_subset_to(
    index: *const FaissIndexIVF,
    other: *mut FaissIndexIVF,
    subset_type: c_int,
    a1: idx_t,
    a2: idx_t,
) -> c_int {
    boundary!({
        of_class(index, c"IndexIVF")?;
        non_null(other, "other")?;
        of_class(other, c"IndexIVF").map_err(|_| Error::unsupported("other is not an IndexIVF"))?;
        if let Some(copied) = remote_copy_subset(index, other, subset_type, a1, a2) {
            return copied;
        }
        shim_status(shim::faissx_shim_IndexIVF_copy_subset_to(
            index.cast(),
            other.cast(),
            subset_type,
            a1,
            a2,
        ))
    })
}

/// Searches with the inverted lists already chosen: `assign` and `centroid_dis` hold n*nprobe list numbers and distances.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_search_preassigned(
    index: *const FaissIndexIVF,
    n: idx_t,
    x: *const f32,
    k: idx_t,
    assign: *const idx_t,
    centroid_dis: *const f32,
    distances: *mut f32,
    labels: *mut idx_t,
    store_pairs: c_int,
) -> c_int {
    boundary!({
        of_class(index, c"IndexIVF")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        positive_k(k)?;
        buffer(assign, n, "assign")?;
        buffer(centroid_dis, n, "centroid_dis")?;
        buffer(distances, n, "distances")?;
        buffer(labels, n, "labels")?;
        if let Some(remote) = as_remote(index) {
            let info = remote.fresh_info()?;
            let probes = n as usize * info.nprobe.min(info.nlist) as usize;
            let (found_distances, found_labels) = remote.search_preassigned(
                n as usize,
                k as usize,
                vectors(remote, x, n),
                slice(assign, probes),
                slice(centroid_dis, probes),
                store_pairs != 0,
                None,
            )?;
            copy_bytes_out(&found_distances, distances);
            copy_out(&found_labels, labels);
            return Ok(());
        }
        shim_status(shim::faissx_shim_IndexIVF_search_preassigned(
            index.cast(),
            n,
            x,
            k,
            assign,
            centroid_dis,
            distances,
            labels,
            store_pairs,
        ))
    })
}

/// `get_list_size` of an `IndexIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_get_list_size(
    index: *const FaissIndexIVF,
    list_no: usize,
) -> usize {
    boundary!(0, {
        of_class(index, c"IndexIVF")?;
        list_in_range(list_no, faissx_IndexIVF_nlist(index))?;
        if let Some(remote) = as_remote(index) {
            return remote.list_size(list_no);
        }
        Ok(sys::faiss_IndexIVF_get_list_size(index, list_no))
    })
}

/// Builds (1) or drops (0) the id → list entry map that reconstruct needs.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_make_direct_map(
    index: *mut FaissIndexIVF,
    new_maintain_direct_map: c_int,
) -> c_int {
    boundary!({
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("direct_map", new_maintain_direct_map.into());
        }
        complete(index.cast())?;
        faiss_status(sys::faiss_IndexIVF_make_direct_map(
            index,
            new_maintain_direct_map,
        ))
    })
}

/// `imbalance_factor` of an `IndexIVF`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_imbalance_factor(index: *const FaissIndexIVF) -> f64 {
    boundary!(0.0, {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote.imbalance_factor();
        }
        complete(index.cast())?;
        Ok(sys::faiss_IndexIVF_imbalance_factor(index))
    })
}

/// Prints the inverted lists' size statistics to stdout.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_print_stats(index: *const FaissIndexIVF) {
    boundary!((), {
        of_class(index, c"IndexIVF")?;
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            // FAISS prints the lists of a copy of the server's index: the same lines.
            return remote.with_local_copy(|copy| match copy.raw() {
                // SAFETY: the copy is a live local index; the cast returns NULL for another class.
                RawIndex::Float(local) => unsafe {
                    complete(local)?;
                    let ivf = sys::faiss_IndexIVF_cast(local);
                    if !ivf.is_null() {
                        sys::faiss_IndexIVF_print_stats(ivf);
                    }
                    Ok(())
                },
                RawIndex::Binary(_) => Ok(()),
            })?;
        }
        complete(index.cast())?;
        sys::faiss_IndexIVF_print_stats(index);
        Ok(())
    })
}

/// Copies the ids of inverted list `list_no` into `invlist` (get_list_size entries).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_invlists_get_ids(
    index: *const FaissIndexIVF,
    list_no: usize,
    invlist: *mut idx_t,
) {
    boundary!((), {
        of_class(index, c"IndexIVF")?;
        non_null(invlist, "invlist")?;
        list_in_range(list_no, faissx_IndexIVF_nlist(index))?;
        if let Some(remote) = as_remote(index) {
            copy_out(&remote.list_ids(list_no)?, invlist);
            return Ok(());
        }
        sys::faiss_IndexIVF_invlists_get_ids(index, list_no, invlist);
        Ok(())
    })
}

/// Trains only the vector encoder (not the quantizer) on `n` vectors with their list
/// assignments `assign`, which may be NULL (as FAISS's own `train` passes for indexes that do
/// not encode residuals).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVF_train_encoder(
    index: *mut FaissIndexIVF,
    n: idx_t,
    x: *const f32,
    assign: *const idx_t,
) -> c_int {
    boundary!({
        of_class(index, c"IndexIVF")?;
        non_null(index, "index")?;
        // A scalar quantizer reads the first vector before checking there is one.
        training_count(n)?;
        buffer(x, n, "x")?;
        if let Some(remote) = as_remote(index) {
            let assign = (!assign.is_null()).then(|| slice(assign, n as usize));
            return remote.train_encoder(n as usize, vectors(remote, x, n), assign);
        }
        usable(index.cast_const().cast(), x, n, "x", true)?;
        shim_status(shim::faissx_shim_IndexIVF_train_encoder(
            index.cast(),
            n,
            x,
            assign,
        ))
    })
}

/// Zeroes the statistics in `stats`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFStats_reset(stats: *mut FaissIndexIVFStats) {
    boundary!((), {
        non_null(stats, "stats")?;
        sys::faiss_IndexIVFStats_reset(stats);
        Ok(())
    })
}

/// Zeroes the statistics in `stats` (as faissx_IndexIVFStats_reset).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFStats_init(stats: *mut FaissIndexIVFStats) {
    boundary!((), {
        non_null(stats, "stats")?;
        sys::faiss_IndexIVFStats_reset(stats);
        Ok(())
    })
}

/// FAISS's process-wide IVF search statistics (borrowed; updated by every IVF search in the process).
#[no_mangle]
pub unsafe extern "C" fn faissx_get_indexIVF_stats() -> *mut FaissIndexIVFStats {
    boundary!(std::ptr::null_mut(), {
        Ok(sys::faiss_get_indexIVF_stats())
    })
}

/// FAISS's add_core of an IVF (IVFFlat's and IVFScalarQuantizer's C functions): n vectors into
/// the lists the caller chose, the list numbers checked by the shim.
pub(crate) unsafe fn ivf_add_core(
    index: *mut FaissIndexIVF,
    n: idx_t,
    x: *const f32,
    xids: *const idx_t,
    precomputed_idx: *const idx_t,
) -> Result<()> {
    of_class(index, c"IndexIVF")?;
    count(n, "n")?;
    buffer(x, n, "x")?;
    buffer(precomputed_idx, n, "precomputed_idx")?;
    if let Some(remote) = as_remote(index) {
        let ids = (!xids.is_null()).then(|| slice(xids, n as usize));
        return remote.add_core(
            n as usize,
            vectors(remote, x, n),
            slice(precomputed_idx, n as usize),
            ids,
        );
    }
    usable(index.cast_const().cast(), x, n, "x", false)?;
    shim_status(shim::faissx_shim_IndexIVF_add_core(
        index.cast(),
        n,
        x,
        xids,
        precomputed_idx,
    ))
}
