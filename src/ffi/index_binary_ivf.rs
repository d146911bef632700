//! `IndexBinaryIVF_c.h`: inverted-file binary indexes.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use crate::protocol::SearchParams;
use std::os::raw::c_int;

/// Frees an `IndexBinaryIVF`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_free(obj: *mut FaissIndexBinaryIVF) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexBinaryIVF_free(obj);
        }
        Ok(())
    })
}

/// The same handle if it is an `IndexBinaryIVF` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_cast(
    index: *mut FaissIndexBinary,
) -> *mut FaissIndexBinaryIVF {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexBinaryIVF") {
            return Ok(cast);
        }
        Ok(sys::faiss_IndexBinaryIVF_cast(index))
    })
}

/// `nlist` of an `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_nlist(index: *const FaissIndexBinaryIVF) -> usize {
    boundary!(0, {
        of_class(index, c"IndexBinaryIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().nlist as usize);
        }
        Ok(sys::faiss_IndexBinaryIVF_nlist(index))
    })
}

/// `nprobe` of an `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_nprobe(index: *const FaissIndexBinaryIVF) -> usize {
    boundary!(0, {
        of_class(index, c"IndexBinaryIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.nprobe as usize);
        }
        Ok(sys::faiss_IndexBinaryIVF_nprobe(index))
    })
}

/// Sets `nprobe` of an `IndexBinaryIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_set_nprobe(
    index: *mut FaissIndexBinaryIVF,
    value: usize,
) {
    boundary!((), {
        of_class(index, c"IndexBinaryIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("nprobe", value as f64);
        }
        sys::faiss_IndexBinaryIVF_set_nprobe(index, value);
        Ok(())
    })
}

/// `quantizer` of an `IndexBinaryIVF`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_quantizer(
    index: *const FaissIndexBinaryIVF,
) -> *mut FaissIndexBinary {
    boundary!(std::ptr::null_mut(), {
        of_class(index, c"IndexBinaryIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote_quantizer(remote);
        }
        Ok(sys::faiss_IndexBinaryIVF_quantizer(index))
    })
}

/// `own_fields` of an `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_own_fields(
    index: *const FaissIndexBinaryIVF,
) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexBinaryIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.own_fields());
        }
        Ok(sys::faiss_IndexBinaryIVF_own_fields(index))
    })
}

/// Sets `own_fields` of an `IndexBinaryIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_set_own_fields(
    index: *mut FaissIndexBinaryIVF,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexBinaryIVF")?;
        if let Some(remote) = as_remote(index) {
            remote.set_own_fields(value);
            return Ok(());
        }
        sys::faiss_IndexBinaryIVF_set_own_fields(index, value);
        Ok(())
    })
}

/// `max_codes` of an `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_max_codes(
    index: *const FaissIndexBinaryIVF,
) -> usize {
    boundary!(0, {
        of_class(index, c"IndexBinaryIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.max_codes as usize);
        }
        Ok(sys::faiss_IndexBinaryIVF_max_codes(index))
    })
}

/// Sets `max_codes` of an `IndexBinaryIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_set_max_codes(
    index: *mut FaissIndexBinaryIVF,
    value: usize,
) {
    boundary!((), {
        of_class(index, c"IndexBinaryIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("max_codes", value as f64);
        }
        sys::faiss_IndexBinaryIVF_set_max_codes(index, value);
        Ok(())
    })
}

/// `use_heap` of an `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_use_heap(
    index: *const FaissIndexBinaryIVF,
) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexBinaryIVF")?;
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.use_heap.into());
        }
        Ok(sys::faiss_IndexBinaryIVF_use_heap(index))
    })
}

/// Sets `use_heap` of an `IndexBinaryIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_set_use_heap(
    index: *mut FaissIndexBinaryIVF,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexBinaryIVF")?;
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("use_heap", value.into());
        }
        sys::faiss_IndexBinaryIVF_set_use_heap(index, value);
        Ok(())
    })
}

/// `per_invlist_search` of an `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_per_invlist_search(
    index: *const FaissIndexBinaryIVF,
) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexBinaryIVF")?;
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.per_invlist_search.into());
        }
        Ok(sys::faiss_IndexBinaryIVF_per_invlist_search(index))
    })
}

/// Sets `per_invlist_search` of an `IndexBinaryIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_set_per_invlist_search(
    index: *mut FaissIndexBinaryIVF,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexBinaryIVF")?;
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("per_invlist_search", value.into());
        }
        sys::faiss_IndexBinaryIVF_set_per_invlist_search(index, value);
        Ok(())
    })
}

/// Moves the codes of `other` (same quantizer and shape) into `index`, shifting their ids by `add_id`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_merge_from(
    index: *mut FaissIndexBinaryIVF,
    other: *mut FaissIndexBinaryIVF,
    add_id: idx_t,
) -> c_int {
    boundary!({
        of_class(index, c"IndexBinaryIVF")?;
        non_null(other, "other")?;
        // FAISS's C API casts `other` blindly.
        if of_class(other, c"IndexBinaryIVF").is_err() {
            return Err(Error::unsupported("other is not an IndexBinaryIVF"));
        }
        if let Some(merged) = remote_merge(index, other, add_id) {
            return merged;
        }
        faiss_status(sys::faiss_IndexBinaryIVF_merge_from(index, other, add_id))
    })
}

/// Searches with the inverted lists already chosen: `cidx`/`cdis` hold n*nprobe list numbers and distances.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_search_preassigned(
    index: *const FaissIndexBinaryIVF,
    n: idx_t,
    x: *const u8,
    k: idx_t,
    cidx: *const idx_t,
    cdis: *const i32,
    dis: *mut i32,
    idx: *mut idx_t,
    store_pairs: c_int,
    params: *const FaissSearchParametersIVF,
) -> c_int {
    boundary!({
        of_class(index, c"IndexBinaryIVF")?;
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        positive_k(k)?;
        buffer(cidx, n, "cidx")?;
        buffer(cdis, n, "cdis")?;
        buffer(dis, n, "dis")?;
        buffer(idx, n, "idx")?;
        if let Some(remote) = as_remote(index) {
            let info = remote.fresh_info()?;
            // FAISS reads nprobe and max_codes of the parameters and ignores their selector.
            let wire = (!params.is_null()).then(|| SearchParams {
                nprobe: Some(sys::faiss_SearchParametersIVF_nprobe(params) as u64),
                max_codes: Some(sys::faiss_SearchParametersIVF_max_codes(params) as u64),
                ..Default::default()
            });
            let nprobe = wire.as_ref().and_then(|p| p.nprobe).unwrap_or(info.nprobe);
            let probes = (n as usize).saturating_mul(nprobe.min(info.nlist) as usize);
            let (found_distances, found_labels) = remote.search_preassigned(
                n as usize,
                k as usize,
                vectors(remote, x, n),
                slice(cidx, probes),
                slice(cdis, probes),
                store_pairs != 0,
                wire,
            )?;
            copy_bytes_out(&found_distances, dis);
            copy_out(&found_labels, idx);
            return Ok(());
        }
        shim_status(shim::faissx_shim_IndexBinaryIVF_search_preassigned(
            index.cast(),
            n,
            x,
            k,
            cidx,
            cdis,
            dis,
            idx,
            store_pairs,
            params.cast(),
        ))
    })
}

/// `get_list_size` of an `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_get_list_size(
    index: *const FaissIndexBinaryIVF,
    list_no: usize,
) -> usize {
    boundary!(0, {
        of_class(index, c"IndexBinaryIVF")?;
        list_in_range(list_no, faissx_IndexBinaryIVF_nlist(index))?;
        if let Some(remote) = as_remote(index) {
            return remote.list_size(list_no);
        }
        Ok(sys::faiss_IndexBinaryIVF_get_list_size(index, list_no))
    })
}

/// Builds (1) or drops (0) the id → list entry map that reconstruct needs.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_make_direct_map(
    index: *mut FaissIndexBinaryIVF,
    new_maintain_direct_map: c_int,
) -> c_int {
    boundary!({
        of_class(index, c"IndexBinaryIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("direct_map", new_maintain_direct_map.into());
        }
        faiss_status(sys::faiss_IndexBinaryIVF_make_direct_map(
            index,
            new_maintain_direct_map,
        ))
    })
}

/// `imbalance_factor` of an `IndexBinaryIVF`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_imbalance_factor(
    index: *const FaissIndexBinaryIVF,
) -> f64 {
    boundary!(0.0, {
        of_class(index, c"IndexBinaryIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote.imbalance_factor();
        }
        Ok(sys::faiss_IndexBinaryIVF_imbalance_factor(index))
    })
}

/// Prints the inverted lists' size statistics to stdout.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_print_stats(index: *const FaissIndexBinaryIVF) {
    boundary!((), {
        of_class(index, c"IndexBinaryIVF")?;
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            // FAISS prints the lists of a copy of the server's index: the same lines.
            return remote.with_local_copy(|copy| match copy.raw() {
                // SAFETY: the copy is a live local index; the cast returns NULL for another class.
                RawIndex::Binary(local) => unsafe {
                    let ivf = sys::faiss_IndexBinaryIVF_cast(local);
                    if !ivf.is_null() {
                        sys::faiss_IndexBinaryIVF_print_stats(ivf);
                    }
                },
                RawIndex::Float(_) => {}
            });
        }
        sys::faiss_IndexBinaryIVF_print_stats(index);
        Ok(())
    })
}

/// Copies the ids of inverted list `list_no` into `invlist` (get_list_size entries).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_invlists_get_ids(
    index: *const FaissIndexBinaryIVF,
    list_no: usize,
    invlist: *mut idx_t,
) {
    boundary!((), {
        of_class(index, c"IndexBinaryIVF")?;
        non_null(invlist, "invlist")?;
        list_in_range(list_no, faissx_IndexBinaryIVF_nlist(index))?;
        if let Some(remote) = as_remote(index) {
            copy_out(&remote.list_ids(list_no)?, invlist);
            return Ok(());
        }
        sys::faiss_IndexBinaryIVF_invlists_get_ids(index, list_no, invlist);
        Ok(())
    })
}

/// Creates an `IndexBinaryIVF`: `nlist` inverted lists of `d`-bit codes over `quantizer` (a
/// binary index of the same `d`, borrowed unless `faissx_IndexBinaryIVF_set_own_fields(index,
/// 1)`). Needs training. The caller owns `*p_index`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_new_with(
    p_index: *mut *mut FaissIndexBinaryIVF,
    quantizer: *mut FaissIndexBinary,
    d: usize,
    nlist: usize,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        let quantizer = non_null(quantizer, "quantizer")?;
        let d_signed = i64::try_from(d).map_err(|_| Error::invalid("d is too large"))?;
        crate::ffi::index_binary_flat::binary_dimension(d_signed)?;
        nlist_in_range(nlist as u64)?;
        if let Some(handle) = create_composite(
            quantizer,
            true,
            |quantizer| {
                Ok(IndexSpec::BinaryIvf {
                    quantizer,
                    d: d as u64,
                    nlist: nlist as u64,
                })
            },
            |_, _| unreachable!("binary remote indexes have no face: refused before"),
        )? {
            *p_index = handle.cast();
            return Ok(());
        }
        let quantizer_d = sys::faiss_IndexBinary_d(quantizer);
        if quantizer_d as i64 != d_signed {
            return Err(Error::invalid(format!(
                "quantizer has dimension {quantizer_d}, index has {d}"
            )));
        }
        shim_status(shim::faissx_shim_IndexBinaryIVF_new(
            p_index.cast(),
            quantizer.cast(),
            d,
            nlist,
        ))
    })
}
