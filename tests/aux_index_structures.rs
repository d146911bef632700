//! `impl/AuxIndexStructures_c.h`: id selectors, range-search results and the buffers FAISS
//! fills them from.

mod common;

use common::*;
use faissx::ffi::aux_index_structures::*;
use faissx::ffi::types::*;
use std::ptr;

#[test]
fn range_selector_is_half_open() {
    let sel = Selector::range(10, 20);
    let range: *const FaissIDSelectorRange = sel.0.cast();
    assert_eq!(unsafe { faissx_IDSelectorRange_imin(range) }, 10);
    assert_eq!(unsafe { faissx_IDSelectorRange_imax(range) }, 20);
    let members: Vec<idx_t> = (0..30).filter(|&i| sel.contains(i)).collect();
    assert_eq!(members, (10..20).collect::<Vec<_>>());
    let mut p = ptr::null_mut();
    check(unsafe { faissx_IDSelectorRange_new(&mut p, 0, 1) });
    unsafe { faissx_IDSelectorRange_free(p) };
}

#[test]
fn batch_selector_holds_exactly_its_ids() {
    let ids = [3, 1_000_003, 77, -5, 12];
    let sel = Selector::batch(&ids);
    for id in -10..100 {
        assert_eq!(sel.contains(id), ids.contains(&id), "id {id}");
    }
    assert!(sel.contains(1_000_003));
    assert!(!sel.contains(1_000_004));
    // The Bloom filter's mask covers nbits bits, with at least as many slots as ids.
    let batch: *const FaissIDSelectorBatch = sel.0.cast();
    let (nbits, mask) = unsafe {
        (
            faissx_IDSelectorBatch_nbits(batch),
            faissx_IDSelectorBatch_mask(batch),
        )
    };
    assert!(nbits > 0 && (1 << nbits) >= ids.len());
    assert_eq!(mask, (1 << nbits) - 1);
}

#[test]
fn bitmap_selector_reads_bit_i_of_byte_i_over_8() {
    let bitmap = [0b0000_0101u8, 0b1000_0000];
    let mut p = ptr::null_mut();
    check(unsafe { faissx_IDSelectorBitmap_new(&mut p, bitmap.len(), bitmap.as_ptr()) });
    assert_eq!(unsafe { faissx_IDSelectorBitmap_n(p) }, 2);
    let stored = unsafe { faissx_IDSelectorBitmap_bitmap(p) };
    assert_eq!(unsafe { std::slice::from_raw_parts(stored, 2) }, &bitmap);
    let members: Vec<idx_t> = (0..16)
        .filter(|&i| unsafe { faissx_IDSelector_is_member(p.cast(), i) } != 0)
        .collect();
    assert_eq!(members, vec![0, 2, 15]);
    unsafe { faissx_IDSelectorBitmap_free(p) };
}

#[test]
fn selectors_combine_like_sets() {
    let a = Selector::range(0, 10);
    let b = Selector::batch(&[5, 15, 25]);
    let (mut and, mut or, mut xor) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
    unsafe {
        check(faissx_IDSelectorAnd_new(&mut and, a.0, b.0));
        check(faissx_IDSelectorOr_new(&mut or, a.0, b.0));
        check(faissx_IDSelectorXOr_new(&mut xor, a.0, b.0));
    }
    let (and, or, xor) = (
        Selector(and.cast()),
        Selector(or.cast()),
        Selector(xor.cast()),
    );
    let mut p = ptr::null_mut();
    check(unsafe { faissx_IDSelectorNot_new(&mut p, a.0) });
    let not = Selector(p.cast());
    for id in -3..30 {
        let (x, y) = (a.contains(id), b.contains(id));
        assert_eq!(and.contains(id), x && y, "and {id}");
        assert_eq!(or.contains(id), x || y, "or {id}");
        assert_eq!(xor.contains(id), x != y, "xor {id}");
        assert_eq!(not.contains(id), !x, "not {id}");
    }
}

#[test]
fn range_search_result_allocates_from_counts() {
    let mut p = ptr::null_mut();
    check(unsafe { faissx_RangeSearchResult_new_with(&mut p, 3, 1) });
    let result = RangeResult(p);
    unsafe {
        assert_eq!(faissx_RangeSearchResult_nq(result.0), 3);
        assert!(faissx_RangeSearchResult_buffer_size(result.0) > 0);
        // Counts per query go into lims; do_allocation turns them into offsets.
        let mut lims = ptr::null_mut();
        faissx_RangeSearchResult_lims(result.0, &mut lims);
        let lims = std::slice::from_raw_parts_mut(lims, 4);
        lims.copy_from_slice(&[2, 0, 3, 0]);
        check(faissx_RangeSearchResult_do_allocation(result.0));
        assert_eq!(lims, &[0, 2, 2, 5]);
        let (mut labels, mut distances) = (ptr::null_mut(), ptr::null_mut());
        faissx_RangeSearchResult_labels(result.0, &mut labels, &mut distances);
        for i in 0..5 {
            *labels.add(i) = 10 * i as idx_t;
            *distances.add(i) = i as f32 / 2.0;
        }
    }
    let (lims, labels, distances) = result.raw();
    assert_eq!(lims, vec![0, 2, 2, 5]);
    assert_eq!(labels, vec![0, 10, 20, 30, 40]);
    assert_eq!(distances, vec![0.0, 0.5, 1.0, 1.5, 2.0]);
}

#[test]
fn buffer_list_spans_buffers() {
    let mut p = ptr::null_mut();
    check(unsafe { faissx_BufferList_new(&mut p, 4) });
    unsafe {
        assert_eq!(faissx_BufferList_buffer_size(p), 4);
        // A new list is "full": the first add opens a buffer.
        assert_eq!(faissx_BufferList_wp(p), 4);
        for i in 0..10 {
            check(faissx_BufferList_add(p, 100 + i, i as f32 * 0.25));
        }
        assert_eq!(
            faissx_BufferList_wp(p),
            2,
            "10 entries = 2 full buffers + 2"
        );
        let (mut ids, mut dis) = (vec![0; 5], vec![0.0; 5]);
        check(faissx_BufferList_copy_range(
            p,
            3,
            5,
            ids.as_mut_ptr(),
            dis.as_mut_ptr(),
        ));
        assert_eq!(ids, vec![103, 104, 105, 106, 107]);
        assert_eq!(dis, vec![0.75, 1.0, 1.25, 1.5, 1.75]);
        check(faissx_BufferList_append_buffer(p));
        assert_eq!(faissx_BufferList_wp(p), 0);
        faissx_BufferList_free(p);
    }
}

#[test]
fn partial_results_are_merged_per_query() {
    let mut p = ptr::null_mut();
    check(unsafe { faissx_RangeSearchResult_new(&mut p, 3) });
    let result = RangeResult(p);
    let mut partial = ptr::null_mut();
    check(unsafe { faissx_RangeSearchPartialResult_new(&mut partial, result.0) });
    assert_eq!(
        unsafe { faissx_RangeSearchPartialResult_res(partial) },
        result.0
    );
    // A query result is borrowed until the next new_result, which may move it.
    let mut q = ptr::null_mut();
    unsafe {
        check(faissx_RangeSearchPartialResult_new_result(
            partial, 0, &mut q,
        ));
        check(faissx_RangeQueryResult_add(q, 0.5, 7));
        check(faissx_RangeQueryResult_add(q, 0.25, 3));
        assert_eq!(faissx_RangeQueryResult_qno(q), 0);
        assert_eq!(faissx_RangeQueryResult_nres(q), 2);
        assert_eq!(faissx_RangeQueryResult_pres(q), partial);
        check(faissx_RangeSearchPartialResult_new_result(
            partial, 2, &mut q,
        ));
        check(faissx_RangeQueryResult_add(q, 1.5, 42));
        assert_eq!(faissx_RangeQueryResult_qno(q), 2);
        assert_eq!(faissx_RangeQueryResult_nres(q), 1);
        check(faissx_RangeSearchPartialResult_finalize(partial));
        faissx_RangeSearchPartialResult_free(partial);
    }
    let (lims, labels, distances) = result.raw();
    assert_eq!(lims, vec![0, 2, 2, 3]);
    assert_eq!(labels, vec![7, 3, 42]);
    assert_eq!(distances, vec![0.5, 0.25, 1.5]);

    // set_lims alone only records the counts.
    let mut p = ptr::null_mut();
    check(unsafe { faissx_RangeSearchResult_new(&mut p, 2) });
    let counts = RangeResult(p);
    let mut partial = ptr::null_mut();
    let mut q = ptr::null_mut();
    unsafe {
        check(faissx_RangeSearchPartialResult_new(&mut partial, counts.0));
        check(faissx_RangeSearchPartialResult_new_result(
            partial, 1, &mut q,
        ));
        for i in 0..4 {
            check(faissx_RangeQueryResult_add(q, 1.0, i));
        }
        check(faissx_RangeSearchPartialResult_set_lims(partial));
        faissx_RangeSearchPartialResult_free(partial);
        let mut lims = ptr::null_mut();
        faissx_RangeSearchResult_lims(counts.0, &mut lims);
        assert_eq!(std::slice::from_raw_parts(lims, 3), &[0, 4, 0]);
    }
}
