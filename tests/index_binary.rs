//! `IndexBinary_c.h`, `IndexBinaryIVF_c.h`, faissx's `IndexBinaryFlat` constructor and the
//! binary factory: Hamming search checked against popcount done in the test.

mod common;

use common::*;
use faissx::ffi::clone_index::faissx_clone_index_binary;
use faissx::ffi::index::faissx_SearchParameters_free;
use faissx::ffi::index_binary::*;
use faissx::ffi::index_binary_flat::*;
use faissx::ffi::index_binary_ivf::*;
use faissx::ffi::index_factory::faissx_index_binary_factory;
use faissx::ffi::index_ivf::faissx_SearchParametersIVF_new_with;
use faissx::ffi::types::*;
use std::ptr;

const BITS: usize = 64;
const B: usize = BITS / 8;
const NLIST: usize = 4;

fn binary_flat() -> BinaryIndex {
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx_IndexBinaryFlat_new_with(&mut p, BITS as idx_t) };
    BinaryIndex::from_new(rc, p)
}

/// Codes near a few random centres, so a binary IVF has clusters to find.
fn codes(seed: u64, n: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let centres = Rng::new(999).bytes(NLIST * B);
    let mut out = Vec::with_capacity(n * B);
    for _ in 0..n {
        let c = rng.below(NLIST);
        let mut code = centres[c * B..(c + 1) * B].to_vec();
        for _ in 0..6 {
            let bit = rng.below(BITS);
            code[bit / 8] ^= 1 << (bit % 8);
        }
        out.extend(code);
    }
    out
}

/// Every reported distance is the Hamming distance of its label and the i-th best one.
#[track_caller]
fn assert_hamming_knn(xb: &[u8], xq: &[u8], k: usize, (dis, lab): (&[i32], &[idx_t])) {
    for (qi, q) in xq.chunks(B).enumerate() {
        let mut truth: Vec<i32> = xb.chunks(B).map(|v| hamming(q, v)).collect();
        truth.sort();
        for r in 0..k.min(truth.len()) {
            let (d, l) = (dis[qi * k + r], lab[qi * k + r]);
            assert!(l >= 0, "query {qi} rank {r}: no result");
            assert_eq!(d, hamming(q, &xb[l as usize * B..(l as usize + 1) * B]));
            assert_eq!(d, truth[r], "query {qi} rank {r}");
        }
    }
}

#[test]
fn binary_flat_describes_itself() {
    let index = binary_flat();
    unsafe {
        assert_eq!(faissx_IndexBinaryFlat_cast(index.ptr()), index.ptr());
        assert!(faissx_IndexBinaryIVF_cast(index.ptr()).is_null());
        assert_eq!(faissx_IndexBinary_d(index.ptr()), BITS as i32);
        assert_eq!(faissx_IndexBinary_is_trained(index.ptr()), 1);
        assert_eq!(faissx_IndexBinary_ntotal(index.ptr()), 0);
        assert_eq!(faissx_IndexBinary_metric_type(index.ptr()), METRIC_L2);
        assert_eq!(faissx_IndexBinary_verbose(index.ptr()), 0);
        faissx_IndexBinary_set_verbose(index.ptr(), 1);
        assert_eq!(faissx_IndexBinary_verbose(index.ptr()), 1);
        faissx_IndexBinary_set_verbose(index.ptr(), 0);
    }
}

#[test]
fn binary_flat_search_is_exact_hamming() {
    let xb = Rng::new(61).bytes(500 * B);
    let xq = Rng::new(62).bytes(20 * B);
    let index = binary_flat();
    index.add(&xb);
    assert_eq!(unsafe { faissx_IndexBinary_ntotal(index.ptr()) }, 500);
    let (dis, lab) = index.search(&xq, 8);
    assert_hamming_knn(&xb, &xq, 8, (&dis, &lab));

    let mut labels = vec![0; 20 * 8];
    check(unsafe {
        faissx_IndexBinary_assign(index.ptr(), 20, xq.as_ptr(), labels.as_mut_ptr(), 8)
    });
    assert_eq!(labels, lab);
}

#[test]
fn binary_range_search_finds_everything_closer_than_the_radius() {
    let xb = Rng::new(63).bytes(300 * B);
    let xq = Rng::new(64).bytes(5 * B);
    let index = binary_flat();
    index.add(&xb);
    let radius = 26;
    let result = RangeResult::new(5);
    check(unsafe {
        faissx_IndexBinary_range_search(index.ptr(), 5, xq.as_ptr(), radius, result.0)
    });
    let hits = result.per_query();
    let mut total = 0;
    for (q, found) in xq.chunks(B).zip(&hits) {
        let expected: Vec<(idx_t, f32)> = xb
            .chunks(B)
            .enumerate()
            .filter(|(_, v)| hamming(q, v) < radius)
            .map(|(i, v)| (i as idx_t, hamming(q, v) as f32))
            .collect();
        assert_eq!(found, &expected);
        total += found.len();
    }
    assert!(total > 0);
}

#[test]
fn binary_reconstruct_remove_and_reset() {
    let xb = Rng::new(65).bytes(40 * B);
    let index = binary_flat();
    index.add(&xb);
    let mut one = vec![0u8; B];
    check(unsafe { faissx_IndexBinary_reconstruct(index.ptr(), 9, one.as_mut_ptr()) });
    assert_eq!(one, &xb[9 * B..10 * B]);
    let mut many = vec![0u8; 5 * B];
    check(unsafe { faissx_IndexBinary_reconstruct_n(index.ptr(), 30, 5, many.as_mut_ptr()) });
    assert_eq!(many, &xb[30 * B..35 * B]);

    let sel = Selector::range(0, 10);
    let mut removed = 0;
    check(unsafe { faissx_IndexBinary_remove_ids(index.ptr(), sel.0, &mut removed) });
    assert_eq!(removed, 10);
    assert_eq!(unsafe { faissx_IndexBinary_ntotal(index.ptr()) }, 30);
    check(unsafe { faissx_IndexBinary_reconstruct(index.ptr(), 0, one.as_mut_ptr()) });
    assert_eq!(one, &xb[10 * B..11 * B]);

    check(unsafe { faissx_IndexBinary_reset(index.ptr()) });
    assert_eq!(unsafe { faissx_IndexBinary_ntotal(index.ptr()) }, 0);
    let ids = [1 as idx_t, 2];
    let rc = unsafe { faissx_IndexBinary_add_with_ids(index.ptr(), 2, xb.as_ptr(), ids.as_ptr()) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_IndexBinary_add_with_ids"]);
}

/// A trained binary IVF that owns its flat quantizer.
fn binary_ivf(train: &[u8]) -> BinaryIndex {
    let quantizer = binary_flat();
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx_IndexBinaryIVF_new_with(&mut p, quantizer.ptr(), BITS, NLIST) };
    let index = BinaryIndex::from_new(rc, p);
    unsafe {
        assert_eq!(
            faissx_IndexBinaryIVF_quantizer(index.ptr()),
            quantizer.ptr()
        );
        assert_eq!(faissx_IndexBinaryIVF_own_fields(index.ptr()), 0);
        faissx_IndexBinaryIVF_set_own_fields(index.ptr(), 1);
        assert_eq!(faissx_IndexBinaryIVF_own_fields(index.ptr()), 1);
    }
    let _ = quantizer.into_raw();
    assert_eq!(unsafe { faissx_IndexBinary_is_trained(index.ptr()) }, 0);
    index.train(train);
    assert_eq!(unsafe { faissx_IndexBinary_is_trained(index.ptr()) }, 1);
    index
}

#[test]
fn binary_ivf_exposes_its_lists_and_knobs() {
    let xb = codes(66, 800);
    let index = binary_ivf(&xb);
    index.add(&xb);
    unsafe {
        assert_eq!(faissx_IndexBinaryIVF_cast(index.ptr()), index.ptr());
        assert!(faissx_IndexBinaryFlat_cast(index.ptr()).is_null());
        assert_eq!(faissx_IndexBinaryIVF_nlist(index.ptr()), NLIST);
        assert_eq!(faissx_IndexBinaryIVF_nprobe(index.ptr()), 1);
        faissx_IndexBinaryIVF_set_nprobe(index.ptr(), 2);
        assert_eq!(faissx_IndexBinaryIVF_nprobe(index.ptr()), 2);
        assert_eq!(faissx_IndexBinaryIVF_max_codes(index.ptr()), 0);
        faissx_IndexBinaryIVF_set_max_codes(index.ptr(), 77);
        assert_eq!(faissx_IndexBinaryIVF_max_codes(index.ptr()), 77);
        faissx_IndexBinaryIVF_set_max_codes(index.ptr(), 0);
        assert_eq!(faissx_IndexBinaryIVF_use_heap(index.ptr()), 1);
        faissx_IndexBinaryIVF_set_use_heap(index.ptr(), 0);
        assert_eq!(faissx_IndexBinaryIVF_use_heap(index.ptr()), 0);
        assert_eq!(faissx_IndexBinaryIVF_per_invlist_search(index.ptr()), 0);
        faissx_IndexBinaryIVF_set_per_invlist_search(index.ptr(), 1);
        assert_eq!(faissx_IndexBinaryIVF_per_invlist_search(index.ptr()), 1);
        faissx_IndexBinaryIVF_set_per_invlist_search(index.ptr(), 0);
        assert!(faissx_IndexBinaryIVF_imbalance_factor(index.ptr()) >= 1.0);
        faissx_IndexBinaryIVF_print_stats(index.ptr());
    }
    let sizes: Vec<usize> = (0..NLIST)
        .map(|l| unsafe { faissx_IndexBinaryIVF_get_list_size(index.ptr(), l) })
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 800);
    let mut all = Vec::new();
    for (l, &size) in sizes.iter().enumerate() {
        let mut ids = vec![0; size];
        unsafe { faissx_IndexBinaryIVF_invlists_get_ids(index.ptr(), l, ids.as_mut_ptr()) };
        all.extend(ids);
    }
    all.sort();
    assert_eq!(all, (0..800).collect::<Vec<idx_t>>());

    // Probing every list makes the search exact.
    unsafe { faissx_IndexBinaryIVF_set_nprobe(index.ptr(), NLIST) };
    let xq = codes(67, 10);
    let (dis, lab) = index.search(&xq, 5);
    assert_hamming_knn(&xb, &xq, 5, (&dis, &lab));
}

#[test]
fn binary_ivf_search_preassigned_equals_search() {
    let xb = codes(68, 600);
    let xq = codes(69, 8);
    let index = binary_ivf(&xb);
    index.add(&xb);
    let nprobe = 2;
    unsafe { faissx_IndexBinaryIVF_set_nprobe(index.ptr(), nprobe) };
    let quantizer = unsafe { faissx_IndexBinaryIVF_quantizer(index.ptr()) };
    let (mut cdis, mut cidx) = (vec![0i32; 8 * nprobe], vec![0; 8 * nprobe]);
    check(unsafe {
        faissx_IndexBinary_search(
            quantizer,
            8,
            xq.as_ptr(),
            nprobe as idx_t,
            cdis.as_mut_ptr(),
            cidx.as_mut_ptr(),
        )
    });
    let mut p = ptr::null_mut();
    check(unsafe { faissx_SearchParametersIVF_new_with(&mut p, ptr::null_mut(), nprobe, 0) });
    let (mut dis, mut lab) = (vec![0i32; 8 * 4], vec![0; 8 * 4]);
    let rc = unsafe {
        faissx_IndexBinaryIVF_search_preassigned(
            index.ptr(),
            8,
            xq.as_ptr(),
            4,
            cidx.as_ptr(),
            cdis.as_ptr(),
            dis.as_mut_ptr(),
            lab.as_mut_ptr(),
            0,
            p,
        )
    };
    unsafe { faissx_SearchParameters_free(p) };
    check(rc);
    let (sdis, slab) = index.search(&xq, 4);
    assert_eq!(dis, sdis);
    // Equal distances may come in either order; the sets per distance must agree.
    for row in 0..8 {
        let mut a: Vec<_> = (0..4)
            .map(|j| (dis[row * 4 + j], lab[row * 4 + j]))
            .collect();
        let mut b: Vec<_> = (0..4)
            .map(|j| (sdis[row * 4 + j], slab[row * 4 + j]))
            .collect();
        a.sort();
        b.sort();
        let last = a[3].0;
        a.retain(|h| h.0 < last);
        b.retain(|h| h.0 < last);
        assert_eq!(a, b);
    }
}

#[test]
fn binary_ivf_ids_direct_map_and_merge() {
    let xb = codes(70, 400);
    let a = binary_ivf(&xb);
    let mut p = ptr::null_mut();
    check(unsafe { faissx_clone_index_binary(a.ptr(), &mut p) });
    let b = BinaryIndex::from_new(0, p);
    let ids_a: Vec<idx_t> = (0..200).map(|i| 2 * i).collect();
    let ids_b: Vec<idx_t> = (0..200).map(|i| 2 * i + 1).collect();
    check(unsafe { faissx_IndexBinary_add_with_ids(a.ptr(), 200, xb.as_ptr(), ids_a.as_ptr()) });
    check(unsafe {
        faissx_IndexBinary_add_with_ids(b.ptr(), 200, xb[200 * B..].as_ptr(), ids_b.as_ptr())
    });
    check(unsafe { faissx_IndexBinaryIVF_merge_from(a.ptr(), b.ptr(), 0) });
    assert_eq!(unsafe { faissx_IndexBinary_ntotal(a.ptr()) }, 400);
    assert_eq!(unsafe { faissx_IndexBinary_ntotal(b.ptr()) }, 0);

    // Reconstruction by id needs the direct map.
    let mut out = vec![0u8; B];
    let rc = unsafe { faissx_IndexBinary_reconstruct(a.ptr(), 5, out.as_mut_ptr()) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_IndexBinary_reconstruct"]);
    check(unsafe { faissx_IndexBinaryIVF_make_direct_map(a.ptr(), 1) });
    check(unsafe { faissx_IndexBinary_reconstruct(a.ptr(), 5, out.as_mut_ptr()) });
    // Id 5 = 2*2+1: the third vector given to `b`.
    assert_eq!(out, &xb[202 * B..203 * B]);
    check(unsafe { faissx_IndexBinary_reconstruct(a.ptr(), 8, out.as_mut_ptr()) });
    assert_eq!(out, &xb[4 * B..5 * B]);
}

#[test]
fn binary_factory_builds_the_described_types() {
    let flat = BinaryIndex::factory(BITS, "BFlat");
    assert_eq!(
        unsafe { faissx_IndexBinaryFlat_cast(flat.ptr()) },
        flat.ptr()
    );
    let ivf = BinaryIndex::factory(BITS, "BIVF4");
    assert_eq!(unsafe { faissx_IndexBinaryIVF_cast(ivf.ptr()) }, ivf.ptr());
    assert_eq!(unsafe { faissx_IndexBinaryIVF_nlist(ivf.ptr()) }, 4);
    let mut p = ptr::null_mut();
    let desc = cstr("BNothing");
    let rc = unsafe { faissx_index_binary_factory(&mut p, BITS as i32, desc.as_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_FAISS,
        &["faissx_index_binary_factory", "BNothing"],
    );
}

#[test]
fn binary_ivf_free_leaves_a_borrowed_quantizer() {
    let quantizer = binary_flat();
    let mut p = ptr::null_mut();
    check(unsafe { faissx_IndexBinaryIVF_new_with(&mut p, quantizer.ptr(), BITS, NLIST) });
    unsafe { faissx_IndexBinaryIVF_free(p) };
    quantizer.add(&[0u8; B]);
    assert_eq!(unsafe { faissx_IndexBinary_ntotal(quantizer.ptr()) }, 1);
}
