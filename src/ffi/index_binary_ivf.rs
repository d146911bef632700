//! `IndexBinaryIVF_c.h`: TODO module doc.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::c_int;

/// Frees a `IndexBinaryIVF`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_free(obj: *mut FaissIndexBinaryIVF) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_IndexBinaryIVF_free(obj);
        }
        Ok(())
    })
}

/// The same handle if it is a `IndexBinaryIVF` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_cast(
    obj: *mut FaissIndexBinary,
) -> *mut FaissIndexBinaryIVF {
    boundary!(std::ptr::null_mut(), {
        Ok(sys::faiss_IndexBinaryIVF_cast(obj))
    })
}

/// `nlist` of a `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_nlist(obj: *const FaissIndexBinaryIVF) -> usize {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexBinaryIVF_nlist(obj))
    })
}

/// `nprobe` of a `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_nprobe(obj: *const FaissIndexBinaryIVF) -> usize {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexBinaryIVF_nprobe(obj))
    })
}

/// Sets `nprobe` of a `IndexBinaryIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_set_nprobe(
    obj: *mut FaissIndexBinaryIVF,
    value: usize,
) {
    boundary!((), {
        non_null(obj, "obj")?;
        sys::faiss_IndexBinaryIVF_set_nprobe(obj, value);
        Ok(())
    })
}

/// `quantizer` of a `IndexBinaryIVF`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_quantizer(
    obj: *const FaissIndexBinaryIVF,
) -> *mut FaissIndexBinary {
    boundary!(std::ptr::null_mut(), {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexBinaryIVF_quantizer(obj))
    })
}

/// `own_fields` of a `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_own_fields(
    obj: *const FaissIndexBinaryIVF,
) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexBinaryIVF_own_fields(obj))
    })
}

/// Sets `own_fields` of a `IndexBinaryIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_set_own_fields(
    obj: *mut FaissIndexBinaryIVF,
    value: c_int,
) {
    boundary!((), {
        non_null(obj, "obj")?;
        sys::faiss_IndexBinaryIVF_set_own_fields(obj, value);
        Ok(())
    })
}

/// `max_codes` of a `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_max_codes(obj: *const FaissIndexBinaryIVF) -> usize {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexBinaryIVF_max_codes(obj))
    })
}

/// Sets `max_codes` of a `IndexBinaryIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_set_max_codes(
    obj: *mut FaissIndexBinaryIVF,
    value: usize,
) {
    boundary!((), {
        non_null(obj, "obj")?;
        sys::faiss_IndexBinaryIVF_set_max_codes(obj, value);
        Ok(())
    })
}

/// `use_heap` of a `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_use_heap(obj: *const FaissIndexBinaryIVF) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexBinaryIVF_use_heap(obj))
    })
}

/// Sets `use_heap` of a `IndexBinaryIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_set_use_heap(
    obj: *mut FaissIndexBinaryIVF,
    value: c_int,
) {
    boundary!((), {
        non_null(obj, "obj")?;
        sys::faiss_IndexBinaryIVF_set_use_heap(obj, value);
        Ok(())
    })
}

/// `per_invlist_search` of a `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_per_invlist_search(
    obj: *const FaissIndexBinaryIVF,
) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_IndexBinaryIVF_per_invlist_search(obj))
    })
}

/// Sets `per_invlist_search` of a `IndexBinaryIVF`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_set_per_invlist_search(
    obj: *mut FaissIndexBinaryIVF,
    value: c_int,
) {
    boundary!((), {
        non_null(obj, "obj")?;
        sys::faiss_IndexBinaryIVF_set_per_invlist_search(obj, value);
        Ok(())
    })
}

/// TODO faiss_IndexBinaryIVF_merge_from
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_merge_from(
    index: *mut FaissIndexBinaryIVF,
    other: *mut FaissIndexBinaryIVF,
    add_id: idx_t,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        non_null(other, "other")?;
        faiss_status(sys::faiss_IndexBinaryIVF_merge_from(index, other, add_id))
    })
}

/// TODO faiss_IndexBinaryIVF_search_preassigned
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
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        positive_k(k)?;
        buffer(cidx, n, "cidx")?;
        buffer(cdis, n, "cdis")?;
        buffer(dis, n, "dis")?;
        buffer(idx, n, "idx")?;
        faiss_status(sys::faiss_IndexBinaryIVF_search_preassigned(
            index,
            n,
            x,
            k,
            cidx,
            cdis,
            dis,
            idx,
            store_pairs,
            params,
        ))
    })
}

/// `get_list_size` of a `IndexBinaryIVF`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_get_list_size(
    index: *const FaissIndexBinaryIVF,
    list_no: usize,
) -> usize {
    boundary!(0, {
        non_null(index, "index")?;
        Ok(sys::faiss_IndexBinaryIVF_get_list_size(index, list_no))
    })
}

/// TODO faiss_IndexBinaryIVF_make_direct_map
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_make_direct_map(
    index: *mut FaissIndexBinaryIVF,
    new_maintain_direct_map: c_int,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        faiss_status(sys::faiss_IndexBinaryIVF_make_direct_map(
            index,
            new_maintain_direct_map,
        ))
    })
}

/// `imbalance_factor` of a `IndexBinaryIVF`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_imbalance_factor(
    index: *const FaissIndexBinaryIVF,
) -> f64 {
    boundary!(0.0, {
        non_null(index, "index")?;
        Ok(sys::faiss_IndexBinaryIVF_imbalance_factor(index))
    })
}

/// TODO faiss_IndexBinaryIVF_print_stats
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_print_stats(index: *const FaissIndexBinaryIVF) {
    boundary!((), {
        non_null(index, "index")?;
        sys::faiss_IndexBinaryIVF_print_stats(index);
        Ok(())
    })
}

/// TODO faiss_IndexBinaryIVF_invlists_get_ids
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexBinaryIVF_invlists_get_ids(
    index: *const FaissIndexBinaryIVF,
    list_no: usize,
    invlist: *mut idx_t,
) {
    boundary!((), {
        non_null(index, "index")?;
        non_null(invlist, "invlist")?;
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
        dimension(nlist as i64, "nlist")?;
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
