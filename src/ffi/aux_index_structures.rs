//! `impl/AuxIndexStructures_c.h`: range-search results, id selectors, and the buffers behind range search.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use crate::protocol::Selector;
use crate::remote::selectors::Recorded;
use std::os::raw::c_int;

/// `nq` of a `RangeSearchResult`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchResult_nq(
    result: *const FaissRangeSearchResult,
) -> usize {
    boundary!(0, {
        non_null(result, "result")?;
        Ok(sys::faiss_RangeSearchResult_nq(result))
    })
}

/// Creates a `RangeSearchResult` in `*p_rsr`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchResult_new(
    p_rsr: *mut *mut FaissRangeSearchResult,
    nq: idx_t,
) -> c_int {
    boundary!({
        non_null(p_rsr, "p_rsr")?;
        count(nq, "nq")?;
        faiss_status(sys::faiss_RangeSearchResult_new(p_rsr, nq))
    })
}

/// Creates a `RangeSearchResult` in `*p_rsr`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchResult_new_with(
    p_rsr: *mut *mut FaissRangeSearchResult,
    nq: idx_t,
    alloc_lims: c_int,
) -> c_int {
    boundary!({
        non_null(p_rsr, "p_rsr")?;
        count(nq, "nq")?;
        faiss_status(sys::faiss_RangeSearchResult_new_with(p_rsr, nq, alloc_lims))
    })
}

/// Allocates the labels/distances arrays once the per-query counts are in `lims` (for callers filling a result by hand).
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchResult_do_allocation(
    rsr: *mut FaissRangeSearchResult,
) -> c_int {
    boundary!({
        non_null(rsr, "rsr")?;
        faiss_status(sys::faiss_RangeSearchResult_do_allocation(rsr))
    })
}

/// Frees a `RangeSearchResult`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchResult_free(obj: *mut FaissRangeSearchResult) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_RangeSearchResult_free(obj);
        }
        Ok(())
    })
}

/// `buffer_size` of a `RangeSearchResult`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchResult_buffer_size(
    result: *const FaissRangeSearchResult,
) -> usize {
    boundary!(0, {
        non_null(result, "result")?;
        Ok(sys::faiss_RangeSearchResult_buffer_size(result))
    })
}

/// `*lims` borrows the result's `nq + 1` offsets: results of query i are at [lims[i], lims[i+1]). Valid until the result is freed or reused.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchResult_lims(
    rsr: *mut FaissRangeSearchResult,
    lims: *mut *mut usize,
) {
    boundary!((), {
        non_null(rsr, "rsr")?;
        non_null(lims, "lims")?;
        sys::faiss_RangeSearchResult_lims(rsr, lims);
        Ok(())
    })
}

/// `*labels` and `*distances` borrow the result's arrays (lims[nq] entries each, unsorted within a query). Valid until the result is freed or reused.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchResult_labels(
    rsr: *mut FaissRangeSearchResult,
    labels: *mut *mut idx_t,
    distances: *mut *mut f32,
) {
    boundary!((), {
        non_null(rsr, "rsr")?;
        non_null(labels, "labels")?;
        non_null(distances, "distances")?;
        sys::faiss_RangeSearchResult_labels(rsr, labels, distances);
        Ok(())
    })
}

/// Frees an `IDSelector`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelector_free(obj: *mut FaissIDSelector) {
    boundary!((), {
        if !obj.is_null() {
            crate::remote::selectors::forget(obj);
            sys::faiss_IDSelector_free(obj);
        }
        Ok(())
    })
}

/// `is_member` of an `IDSelector`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelector_is_member(
    sel: *const FaissIDSelector,
    id: idx_t,
) -> c_int {
    boundary!(0, {
        non_null(sel, "sel")?;
        Ok(sys::faiss_IDSelector_is_member(sel, id))
    })
}

/// Frees an `IDSelectorRange`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorRange_free(obj: *mut FaissIDSelectorRange) {
    boundary!((), {
        if !obj.is_null() {
            crate::remote::selectors::forget(obj);
            sys::faiss_IDSelectorRange_free(obj);
        }
        Ok(())
    })
}

/// `imin` of an `IDSelectorRange`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorRange_imin(sel: *const FaissIDSelectorRange) -> idx_t {
    boundary!(0, {
        non_null(sel, "sel")?;
        Ok(sys::faiss_IDSelectorRange_imin(sel))
    })
}

/// `imax` of an `IDSelectorRange`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorRange_imax(sel: *const FaissIDSelectorRange) -> idx_t {
    boundary!(0, {
        non_null(sel, "sel")?;
        Ok(sys::faiss_IDSelectorRange_imax(sel))
    })
}

/// Creates an `IDSelectorRange` in `*p_sel`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorRange_new(
    p_sel: *mut *mut FaissIDSelectorRange,
    imin: idx_t,
    imax: idx_t,
) -> c_int {
    boundary!({
        non_null(p_sel, "p_sel")?;
        faiss_status(sys::faiss_IDSelectorRange_new(p_sel, imin, imax))?;
        crate::remote::selectors::record(
            *p_sel,
            Recorded::Fixed(Selector::Range {
                min: imin,
                max: imax,
            }),
        );
        Ok(())
    })
}

/// `nbits` of an `IDSelectorBatch`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorBatch_nbits(sel: *const FaissIDSelectorBatch) -> c_int {
    boundary!(0, {
        non_null(sel, "sel")?;
        Ok(sys::faiss_IDSelectorBatch_nbits(sel))
    })
}

/// `mask` of an `IDSelectorBatch`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorBatch_mask(sel: *const FaissIDSelectorBatch) -> idx_t {
    boundary!(0, {
        non_null(sel, "sel")?;
        Ok(sys::faiss_IDSelectorBatch_mask(sel))
    })
}

/// Creates an `IDSelectorBatch` in `*p_sel`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorBatch_new(
    p_sel: *mut *mut FaissIDSelectorBatch,
    n: usize,
    indices: *const idx_t,
) -> c_int {
    boundary!({
        non_null(p_sel, "p_sel")?;
        if n > 0 {
            non_null(indices, "indices")?;
        }
        faiss_status(sys::faiss_IDSelectorBatch_new(p_sel, n, indices))?;
        crate::remote::selectors::record(
            *p_sel,
            Recorded::Fixed(Selector::Batch {
                ids: crate::ffi::dispatch::slice(indices, n).to_vec(),
            }),
        );
        Ok(())
    })
}

/// Frees an `IDSelectorBitmap`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorBitmap_free(obj: *mut FaissIDSelectorBitmap) {
    boundary!((), {
        if !obj.is_null() {
            crate::remote::selectors::forget(obj);
            sys::faiss_IDSelectorBitmap_free(obj);
        }
        Ok(())
    })
}

/// `n` of an `IDSelectorBitmap`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorBitmap_n(sel: *const FaissIDSelectorBitmap) -> usize {
    boundary!(0, {
        non_null(sel, "sel")?;
        Ok(sys::faiss_IDSelectorBitmap_n(sel))
    })
}

/// `bitmap` of an `IDSelectorBitmap`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorBitmap_bitmap(
    sel: *const FaissIDSelectorBitmap,
) -> *const u8 {
    boundary!(std::ptr::null(), {
        non_null(sel, "sel")?;
        Ok(sys::faiss_IDSelectorBitmap_bitmap(sel))
    })
}

/// Creates an `IDSelectorBitmap` in `*p_sel`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorBitmap_new(
    p_sel: *mut *mut FaissIDSelectorBitmap,
    n: usize,
    bitmap: *const u8,
) -> c_int {
    boundary!({
        non_null(p_sel, "p_sel")?;
        non_null(bitmap, "bitmap")?;
        faiss_status(sys::faiss_IDSelectorBitmap_new(p_sel, n, bitmap))?;
        crate::remote::selectors::record(
            *p_sel,
            Recorded::Bitmap {
                n,
                bits: bitmap as usize,
            },
        );
        Ok(())
    })
}

/// Creates an `IDSelectorNot` in `*p_sel`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorNot_new(
    p_sel: *mut *mut FaissIDSelectorNot,
    sel: *const FaissIDSelector,
) -> c_int {
    boundary!({
        non_null(p_sel, "p_sel")?;
        non_null(sel, "sel")?;
        faiss_status(sys::faiss_IDSelectorNot_new(p_sel, sel))?;
        if crate::remote::selectors::described(sel).is_some() {
            crate::remote::selectors::record(*p_sel, Recorded::Not(sel as usize));
        }
        Ok(())
    })
}

/// Records a combination of two selectors when both can be sent to a server.
fn combine<T>(
    selector: *const T,
    lhs: *const FaissIDSelector,
    rhs: *const FaissIDSelector,
    combination: fn(usize, usize) -> Recorded,
) {
    use crate::remote::selectors::{described, record};
    if described(lhs).is_some() && described(rhs).is_some() {
        record(selector, combination(lhs as usize, rhs as usize));
    }
}

/// Creates an `IDSelectorAnd` in `*p_sel`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorAnd_new(
    p_sel: *mut *mut FaissIDSelectorAnd,
    lhs_sel: *const FaissIDSelector,
    rhs_sel: *const FaissIDSelector,
) -> c_int {
    boundary!({
        non_null(p_sel, "p_sel")?;
        non_null(lhs_sel, "lhs_sel")?;
        non_null(rhs_sel, "rhs_sel")?;
        faiss_status(sys::faiss_IDSelectorAnd_new(p_sel, lhs_sel, rhs_sel))?;
        combine(*p_sel, lhs_sel, rhs_sel, Recorded::And);
        Ok(())
    })
}

/// Creates an `IDSelectorOr` in `*p_sel`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorOr_new(
    p_sel: *mut *mut FaissIDSelectorOr,
    lhs_sel: *const FaissIDSelector,
    rhs_sel: *const FaissIDSelector,
) -> c_int {
    boundary!({
        non_null(p_sel, "p_sel")?;
        non_null(lhs_sel, "lhs_sel")?;
        non_null(rhs_sel, "rhs_sel")?;
        faiss_status(sys::faiss_IDSelectorOr_new(p_sel, lhs_sel, rhs_sel))?;
        combine(*p_sel, lhs_sel, rhs_sel, Recorded::Or);
        Ok(())
    })
}

/// Creates an `IDSelectorXOr` in `*p_sel`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IDSelectorXOr_new(
    p_sel: *mut *mut FaissIDSelectorXOr,
    lhs_sel: *const FaissIDSelector,
    rhs_sel: *const FaissIDSelector,
) -> c_int {
    boundary!({
        non_null(p_sel, "p_sel")?;
        non_null(lhs_sel, "lhs_sel")?;
        non_null(rhs_sel, "rhs_sel")?;
        faiss_status(sys::faiss_IDSelectorXOr_new(p_sel, lhs_sel, rhs_sel))?;
        combine(*p_sel, lhs_sel, rhs_sel, Recorded::Xor);
        Ok(())
    })
}

/// Frees a `BufferList`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_BufferList_free(obj: *mut FaissBufferList) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_BufferList_free(obj);
        }
        Ok(())
    })
}

/// `buffer_size` of a `BufferList`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_BufferList_buffer_size(bl: *const FaissBufferList) -> usize {
    boundary!(0, {
        non_null(bl, "bl")?;
        Ok(sys::faiss_BufferList_buffer_size(bl))
    })
}

/// `wp` of a `BufferList`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_BufferList_wp(bl: *const FaissBufferList) -> usize {
    boundary!(0, {
        non_null(bl, "bl")?;
        Ok(sys::faiss_BufferList_wp(bl))
    })
}

/// Appends a new buffer of `buffer_size` entries to the list.
#[no_mangle]
pub unsafe extern "C" fn faissx_BufferList_append_buffer(bl: *mut FaissBufferList) -> c_int {
    boundary!({
        non_null(bl, "bl")?;
        faiss_status(sys::faiss_BufferList_append_buffer(bl))
    })
}

/// Creates a `BufferList` in `*p_bl`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_BufferList_new(
    p_bl: *mut *mut FaissBufferList,
    buffer_size: usize,
) -> c_int {
    boundary!({
        non_null(p_bl, "p_bl")?;
        faiss_status(sys::faiss_BufferList_new(p_bl, buffer_size))
    })
}

/// Appends one (id, distance) pair, growing the list as needed.
#[no_mangle]
pub unsafe extern "C" fn faissx_BufferList_add(
    bl: *mut FaissBufferList,
    id: idx_t,
    dis: f32,
) -> c_int {
    boundary!({
        non_null(bl, "bl")?;
        faiss_status(sys::faiss_BufferList_add(bl, id, dis))
    })
}

/// Copies `n` entries starting at `ofs` into `dest_ids` and `dest_dis` (each holding `n` items).
#[no_mangle]
pub unsafe extern "C" fn faissx_BufferList_copy_range(
    bl: *mut FaissBufferList,
    ofs: usize,
    n: usize,
    dest_ids: *mut idx_t,
    dest_dis: *mut f32,
) -> c_int {
    boundary!({
        non_null(bl, "bl")?;
        non_null(dest_ids, "dest_ids")?;
        non_null(dest_dis, "dest_dis")?;
        faiss_status(sys::faiss_BufferList_copy_range(
            bl, ofs, n, dest_ids, dest_dis,
        ))
    })
}

/// `qno` of a `RangeQueryResult`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeQueryResult_qno(qr: *const FaissRangeQueryResult) -> idx_t {
    boundary!(0, {
        non_null(qr, "qr")?;
        Ok(sys::faiss_RangeQueryResult_qno(qr))
    })
}

/// `nres` of a `RangeQueryResult`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeQueryResult_nres(qr: *const FaissRangeQueryResult) -> usize {
    boundary!(0, {
        non_null(qr, "qr")?;
        Ok(sys::faiss_RangeQueryResult_nres(qr))
    })
}

/// `pres` of a `RangeQueryResult`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeQueryResult_pres(
    qr: *const FaissRangeQueryResult,
) -> *mut FaissRangeSearchPartialResult {
    boundary!(std::ptr::null_mut(), {
        non_null(qr, "qr")?;
        Ok(sys::faiss_RangeQueryResult_pres(qr))
    })
}

/// Adds one (distance, id) hit to a query's partial result.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeQueryResult_add(
    qr: *mut FaissRangeQueryResult,
    dis: f32,
    id: idx_t,
) -> c_int {
    boundary!({
        non_null(qr, "qr")?;
        faiss_status(sys::faiss_RangeQueryResult_add(qr, dis, id))
    })
}

/// `res` of a `RangeSearchPartialResult`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchPartialResult_res(
    res: *const FaissRangeSearchPartialResult,
) -> *mut FaissRangeSearchResult {
    boundary!(std::ptr::null_mut(), {
        non_null(res, "res")?;
        Ok(sys::faiss_RangeSearchPartialResult_res(res))
    })
}

/// Creates a `RangeSearchPartialResult` in `*p_res`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchPartialResult_new(
    p_res: *mut *mut FaissRangeSearchPartialResult,
    res_in: *mut FaissRangeSearchResult,
) -> c_int {
    boundary!({
        non_null(p_res, "p_res")?;
        non_null(res_in, "res_in")?;
        faiss_status(sys::faiss_RangeSearchPartialResult_new(p_res, res_in))
    })
}

/// Frees a `RangeSearchPartialResult` (not its `RangeSearchResult`). NULL is a no-op. FAISS's C
/// API creates these but has no function to free them; BufferList_free would run the wrong
/// destructor.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchPartialResult_free(
    obj: *mut FaissRangeSearchPartialResult,
) {
    boundary!((), {
        if !obj.is_null() {
            shim::faissx_shim_RangeSearchPartialResult_free(obj.cast());
        }
        Ok(())
    })
}

/// Merges the partial result into its RangeSearchResult (sets lims, then copies the hits).
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchPartialResult_finalize(
    res: *mut FaissRangeSearchPartialResult,
) -> c_int {
    boundary!({
        non_null(res, "res")?;
        faiss_status(sys::faiss_RangeSearchPartialResult_finalize(res))
    })
}

/// Sets `lims` of a `RangeSearchPartialResult`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchPartialResult_set_lims(
    res: *mut FaissRangeSearchPartialResult,
) -> c_int {
    boundary!({
        non_null(res, "res")?;
        faiss_status(sys::faiss_RangeSearchPartialResult_set_lims(res))
    })
}

/// Starts the results of query `qno` in `res`: `*qr` is borrowed from `res` and valid until
/// the next `new_result` on it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_RangeSearchPartialResult_new_result(
    res: *mut FaissRangeSearchPartialResult,
    qno: idx_t,
    qr: *mut *mut FaissRangeQueryResult,
) -> c_int {
    boundary!({
        non_null(res, "res")?;
        non_null(qr, "qr")?;
        shim_status(shim::faissx_shim_RangeSearchPartialResult_new_result(
            res.cast(),
            qno,
            qr.cast(),
        ))
    })
}

/// Sets `query` of a `DistanceComputer`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_DistanceComputer_set_query(
    dc: *mut FaissDistanceComputer,
    x: *const f32,
) -> c_int {
    boundary!({
        non_null(dc, "dc")?;
        non_null(x, "x")?;
        faiss_status(sys::faiss_DistanceComputer_set_query(dc, x))
    })
}

/// Writes into `*qd` the distance between stored vector `i` and the current query.
#[no_mangle]
pub unsafe extern "C" fn faissx_DistanceComputer_vector_to_query_dis(
    dc: *mut FaissDistanceComputer,
    i: idx_t,
    qd: *mut f32,
) -> c_int {
    boundary!({
        non_null(dc, "dc")?;
        non_null(qd, "qd")?;
        faiss_status(sys::faiss_DistanceComputer_vector_to_query_dis(dc, i, qd))
    })
}

/// Writes into `*vd` the distance between stored vectors `i` and `j`.
#[no_mangle]
pub unsafe extern "C" fn faissx_DistanceComputer_symmetric_dis(
    dc: *mut FaissDistanceComputer,
    i: idx_t,
    j: idx_t,
    vd: *mut f32,
) -> c_int {
    boundary!({
        non_null(dc, "dc")?;
        non_null(vd, "vd")?;
        faiss_status(sys::faiss_DistanceComputer_symmetric_dis(dc, i, j, vd))
    })
}

/// Frees a `DistanceComputer`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_DistanceComputer_free(obj: *mut FaissDistanceComputer) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_DistanceComputer_free(obj);
        }
        Ok(())
    })
}
