//! faissx's extensions to FAISS's C API: HNSW and its search parameters, PQ and IVFPQ,
//! merge_from, in-memory serialization, and faissx's own functions.

mod common;

use common::*;
use faissx::ffi::faissx::*;
use faissx::ffi::index::*;
use faissx::ffi::index_binary::faissx_IndexBinary_d;
use faissx::ffi::index_binary_flat::*;
use faissx::ffi::index_hnsw::*;
use faissx::ffi::index_ivf::*;
use faissx::ffi::index_pq::*;
use faissx::ffi::types::*;
use std::ptr;

const D: usize = 32;

fn exact_neighbours(xb: &[f32], xq: &[f32], k: usize) -> Vec<idx_t> {
    let flat = Index::factory(D, "Flat", METRIC_L2);
    flat.add(xb);
    flat.search(xq, k).1
}

fn hnsw(m: i32) -> Index {
    let mut p = ptr::null_mut();
    Index::from_new(
        unsafe { faissx_IndexHNSWFlat_new_with(&mut p, D as i32, m) },
        p,
    )
}

#[test]
fn hnsw_parameters_and_recall() {
    let mut rng = Rng::new(131);
    let xb = rng.vectors(3000, D);
    let xq = rng.vectors(50, D);
    let index = hnsw(16);
    unsafe {
        assert_eq!(faissx_IndexHNSW_cast(index.ptr()), index.ptr());
        assert_eq!(faissx_IndexHNSWFlat_cast(index.ptr()), index.ptr());
        assert_eq!(faissx_IndexHNSW_M(index.ptr()), 16);
        // FAISS's defaults.
        assert_eq!(faissx_IndexHNSW_efSearch(index.ptr()), 16);
        assert_eq!(faissx_IndexHNSW_efConstruction(index.ptr()), 40);
        faissx_IndexHNSW_set_efConstruction(index.ptr(), 80);
        assert_eq!(faissx_IndexHNSW_efConstruction(index.ptr()), 80);
        faissx_IndexHNSW_set_efSearch(index.ptr(), 64);
        assert_eq!(faissx_IndexHNSW_efSearch(index.ptr()), 64);
    }
    index.add(&xb);
    assert_eq!(index.ntotal(), 3000);
    let exact = exact_neighbours(&xb, &xq, 1);
    let (dis, lab) = index.search(&xq, 10);
    let recall = recall_at(&exact, 1, &lab, 10);
    assert!(recall >= 0.9, "recall {recall}");
    // Whatever it finds, it reports true distances.
    for (q, (row_d, row_l)) in xq.chunks(D).zip(dis.chunks(10).zip(lab.chunks(10))) {
        for (&dd, &l) in row_d.iter().zip(row_l) {
            assert!(close(dd, l2(q, &xb[l as usize * D..(l as usize + 1) * D])));
        }
    }

    // Bad values are refused and change nothing.
    unsafe {
        faissx_IndexHNSW_set_efSearch(index.ptr(), 0);
        expect_message(&["faissx_IndexHNSW_set_efSearch", "efSearch"]);
        assert_eq!(faissx_IndexHNSW_efSearch(index.ptr()), 64);
        faissx_IndexHNSW_set_efConstruction(index.ptr(), -3);
        expect_message(&["faissx_IndexHNSW_set_efConstruction", "efConstruction"]);
        assert_eq!(faissx_IndexHNSW_efConstruction(index.ptr()), 80);
    }
}

#[test]
fn hnsw_with_inner_product() {
    let mut rng = Rng::new(132);
    let xb = rng.vectors(1000, D);
    let xq = rng.vectors(20, D);
    let mut p = ptr::null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexHNSWFlat_new_with_metric(&mut p, D as i32, 8, METRIC_INNER_PRODUCT) },
        p,
    );
    assert_eq!(
        unsafe { faissx_Index_metric_type(index.ptr()) },
        METRIC_INNER_PRODUCT
    );
    assert_eq!(unsafe { faissx_IndexHNSW_M(index.ptr()) }, 8);
    index.add(&xb);
    let flat = Index::factory(D, "Flat", METRIC_INNER_PRODUCT);
    flat.add(&xb);
    let (_, exact) = flat.search(&xq, 1);
    unsafe { faissx_IndexHNSW_set_efSearch(index.ptr(), 128) };
    let (_, lab) = index.search(&xq, 10);
    assert!(recall_at(&exact, 1, &lab, 10) >= 0.9);
}

#[test]
fn hnsw_accessors_refuse_other_indexes() {
    let flat = Index::factory(D, "Flat", METRIC_L2);
    unsafe {
        assert!(faissx_IndexHNSW_cast(flat.ptr()).is_null());
        assert!(faissx_IndexHNSWFlat_cast(flat.ptr()).is_null());
        assert_eq!(faissx_IndexHNSW_M(flat.ptr()), 0);
        expect_message(&["faissx_IndexHNSW_M", "not an IndexHNSW"]);
        assert_eq!(faissx_IndexHNSW_efSearch(flat.ptr()), 0);
        expect_message(&["faissx_IndexHNSW_efSearch", "not an IndexHNSW"]);
        assert_eq!(faissx_IndexHNSW_efConstruction(ptr::null()), 0);
        expect_message(&["faissx_IndexHNSW_efConstruction", "index is NULL"]);
    }
    // The factory's HNSW is an HNSW index too.
    let built = Index::factory(D, "HNSW12", METRIC_L2);
    assert_eq!(unsafe { faissx_IndexHNSW_M(built.ptr()) }, 12);
    unsafe { faissx_IndexHNSWFlat_free(built.into_raw()) };
    unsafe { faissx_IndexHNSW_free(hnsw(4).into_raw()) };
}

#[test]
fn hnsw_search_parameters() {
    let mut p = ptr::null_mut();
    check(unsafe { faissx_SearchParametersHNSW_new(&mut p) });
    let defaults = Params(p);
    unsafe {
        assert_eq!(faissx_SearchParametersHNSW_cast(defaults.0), defaults.0);
        assert_eq!(faissx_SearchParametersHNSW_efSearch(defaults.0), 16);
        assert!(faissx_SearchParametersHNSW_sel(defaults.0).is_null());
        assert_eq!(
            faissx_SearchParametersHNSW_check_relative_distance(defaults.0),
            1
        );
        assert_eq!(faissx_SearchParametersHNSW_bounded_queue(defaults.0), 1);
        faissx_SearchParametersHNSW_set_efSearch(defaults.0, 99);
        assert_eq!(faissx_SearchParametersHNSW_efSearch(defaults.0), 99);
        faissx_SearchParametersHNSW_set_efSearch(defaults.0, 0);
        expect_message(&["faissx_SearchParametersHNSW_set_efSearch", "efSearch"]);
        assert_eq!(faissx_SearchParametersHNSW_efSearch(defaults.0), 99);
        faissx_SearchParametersHNSW_set_check_relative_distance(defaults.0, 0);
        assert_eq!(
            faissx_SearchParametersHNSW_check_relative_distance(defaults.0),
            0
        );
        faissx_SearchParametersHNSW_set_bounded_queue(defaults.0, 0);
        assert_eq!(faissx_SearchParametersHNSW_bounded_queue(defaults.0), 0);
    }
    let mut p = ptr::null_mut();
    check(unsafe { faissx_SearchParameters_new(&mut p, ptr::null_mut()) });
    let plain = Params(p);
    assert!(unsafe { faissx_SearchParametersHNSW_cast(plain.0) }.is_null());

    let mut rng = Rng::new(133);
    let xb = rng.vectors(1000, D);
    let xq = rng.vectors(10, D);
    let index = hnsw(16);
    index.add(&xb);
    let wanted = [5, 50, 500, 555, 999];
    let sel = Selector::batch(&wanted);
    let mut p = ptr::null_mut();
    check(unsafe { faissx_SearchParametersHNSW_new_with(&mut p, sel.0, 200) });
    let restricted = Params(p);
    unsafe {
        assert_eq!(
            faissx_SearchParametersHNSW_sel(restricted.0),
            sel.0.cast_const()
        );
        assert_eq!(faissx_SearchParametersHNSW_efSearch(restricted.0), 200);
    }
    let (_, lab) = index.search_with_params(&xq, 3, restricted.0);
    assert!(lab.iter().all(|l| wanted.contains(l)), "{lab:?}");
    unsafe { faissx_SearchParametersHNSW_free(ptr::null_mut()) };
}

#[test]
fn product_quantizer_shape_and_search() {
    let mut rng = Rng::new(134);
    let xb = rng.vectors(2000, D);
    let xq = rng.vectors(20, D);
    let mut p = ptr::null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexPQ_new_with(&mut p, D as i32, 8, 6, METRIC_L2) },
        p,
    );
    unsafe {
        assert_eq!(faissx_IndexPQ_cast(index.ptr()), index.ptr());
        assert!(faissx_IndexIVFPQ_cast(index.ptr()).is_null());
        assert_eq!(faissx_IndexPQ_M(index.ptr()), 8);
        assert_eq!(faissx_IndexPQ_nbits(index.ptr()), 6);
        assert_eq!(faissx_Index_is_trained(index.ptr()), 0);
    }
    index.train(&xb);
    index.add(&xb);
    let mut size = 0;
    check(unsafe { faissx_Index_sa_code_size(index.ptr(), &mut size) });
    assert_eq!(size, 6, "8 codes of 6 bits");
    let exact = exact_neighbours(&xb, &xq, 1);
    let (_, lab) = index.search(&xq, 20);
    let recall = recall_at(&exact, 1, &lab, 20);
    assert!(recall >= 0.5, "recall {recall}");
    unsafe { faissx_IndexPQ_free(index.into_raw()) };

    let flat = Index::factory(D, "Flat", METRIC_L2);
    assert_eq!(unsafe { faissx_IndexPQ_M(flat.ptr()) }, 0);
    expect_message(&["faissx_IndexPQ_M", "neither an IndexPQ nor an IndexIVFPQ"]);
    assert_eq!(unsafe { faissx_IndexPQ_nbits(flat.ptr()) }, 0);
    expect_message(&["faissx_IndexPQ_nbits"]);
}

#[test]
fn ivfpq_is_an_ivf_with_a_product_quantizer() {
    let xb = clustered(&mut Rng::new(135), 3000, D, 16);
    let xq = clustered(&mut Rng::new(136), 20, D, 16);
    let quantizer = Index::factory(D, "Flat", METRIC_L2);
    let mut p = ptr::null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexIVFPQ_new_with(&mut p, quantizer.ptr(), D, 16, 8, 8) },
        p,
    );
    unsafe {
        assert_eq!(faissx_IndexIVFPQ_cast(index.ptr()), index.ptr());
        assert_eq!(faissx_IndexIVF_cast(index.ptr()), index.ptr());
        assert!(faissx_IndexPQ_cast(index.ptr()).is_null());
        assert_eq!(faissx_IndexIVFPQ_M(index.ptr()), 8);
        assert_eq!(faissx_IndexIVFPQ_nbits(index.ptr()), 8);
        assert_eq!(faissx_IndexPQ_M(index.ptr()), 8);
        assert_eq!(faissx_IndexIVF_nlist(index.ptr()), 16);
        assert_eq!(faissx_IndexIVF_quantizer(index.ptr()), quantizer.ptr());
        faissx_IndexIVF_set_own_fields(index.ptr(), 1);
    }
    let _ = quantizer.into_raw();
    index.train(&xb);
    index.add(&xb);
    unsafe { faissx_IndexIVF_set_nprobe(index.ptr(), 4) };
    let exact = exact_neighbours(&xb, &xq, 1);
    let (_, lab) = index.search(&xq, 10);
    let recall = recall_at(&exact, 1, &lab, 10);
    assert!(recall >= 0.7, "recall {recall}");

    let quantizer = Index::factory(D, "Flat", METRIC_INNER_PRODUCT);
    let mut p = ptr::null_mut();
    let ip = Index::from_new(
        unsafe {
            faissx_IndexIVFPQ_new_with_metric(
                &mut p,
                quantizer.ptr(),
                D,
                4,
                4,
                8,
                METRIC_INNER_PRODUCT,
            )
        },
        p,
    );
    assert_eq!(
        unsafe { faissx_Index_metric_type(ip.ptr()) },
        METRIC_INNER_PRODUCT
    );
    unsafe { faissx_IndexIVFPQ_free(ip.into_raw()) };
    drop(quantizer);
}

#[test]
fn merge_from_moves_vectors_and_shifts_ids() {
    let mut rng = Rng::new(137);
    let xa = rng.vectors(100, D);
    let xb = rng.vectors(50, D);
    let a = Index::factory(D, "Flat", METRIC_L2);
    let b = Index::factory(D, "Flat", METRIC_L2);
    a.add(&xa);
    b.add(&xb);
    check(unsafe { faissx_Index_merge_from(a.ptr(), b.ptr(), 0) });
    assert_eq!((a.ntotal(), b.ntotal()), (150, 0));
    assert_eq!(a.reconstruct(120), &xb[20 * D..21 * D]);

    let ma = Index::factory(D, "IDMap,Flat", METRIC_L2);
    let mb = Index::factory(D, "IDMap,Flat", METRIC_L2);
    ma.add_with_ids(&xa[..10 * D], &(0..10).collect::<Vec<_>>());
    mb.add_with_ids(&xb[..10 * D], &(0..10).collect::<Vec<_>>());
    check(unsafe { faissx_Index_merge_from(ma.ptr(), mb.ptr(), 1000) });
    let (_, lab) = ma.search(&xb[3 * D..4 * D], 1);
    assert_eq!(lab, vec![1003], "merged ids are shifted by add_id");

    let rc = unsafe { faissx_Index_merge_from(a.ptr(), a.ptr(), 0) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_Index_merge_from", "itself"],
    );
    let other_d = Index::factory(D / 2, "Flat", METRIC_L2);
    let rc = unsafe { faissx_Index_merge_from(a.ptr(), other_d.ptr(), 0) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_Index_merge_from", "dimension"],
    );
    let graph = hnsw(4);
    let graph2 = hnsw(4);
    let rc = unsafe { faissx_Index_merge_from(graph.ptr(), graph2.ptr(), 0) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_Index_merge_from"]);
    let rc = unsafe { faissx_Index_merge_from(a.ptr(), ptr::null_mut(), 0) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_Index_merge_from", "other is NULL"],
    );
    assert_eq!(a.ntotal(), 150, "failed merges change nothing");
}

#[test]
fn buffers_carry_a_built_graph() {
    let mut rng = Rng::new(138);
    let xb = rng.vectors(1500, D);
    let xq = rng.vectors(10, D);
    let index = hnsw(16);
    index.add(&xb);
    let copy = Index::from_bytes(&index.to_bytes());
    assert_eq!(unsafe { faissx_IndexHNSW_M(copy.ptr()) }, 16);
    assert_eq!(copy.search(&xq, 10), index.search(&xq, 10));
}

#[test]
fn binary_flat_needs_whole_bytes() {
    let mut p = ptr::null_mut();
    let index = BinaryIndex::from_new(unsafe { faissx_IndexBinaryFlat_new_with(&mut p, 256) }, p);
    assert_eq!(unsafe { faissx_IndexBinary_d(index.ptr()) }, 256);
    unsafe { faissx_IndexBinaryFlat_free(index.into_raw()) };
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx_IndexBinaryFlat_new_with(&mut p, 12) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_IndexBinaryFlat_new_with", "12"],
    );
    assert!(p.is_null());
}

#[test]
fn local_indexes_are_not_remote() {
    let index = Index::factory(D, "Flat", METRIC_L2);
    assert_eq!(unsafe { faissx_is_remote(index.ptr()) }, 0);
    assert_eq!(
        unsafe { faissx_is_remote(ptr::null()) },
        FAISSX_ERR_INVALID_ARGUMENT
    );
    expect_message(&["faissx_is_remote", "index is NULL"]);
}
