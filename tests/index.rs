//! `Index_c.h` and `index_factory_c.h`: the operations every index shares, checked against
//! exhaustive search done in the test.

mod common;

use common::*;
use faissx::ffi::index::*;
use faissx::ffi::index_flat::*;
use faissx::ffi::types::*;
use std::ptr;

const D: usize = 16;

fn flat_l2(d: usize) -> Index {
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx_IndexFlatL2_new_with(&mut p, d as idx_t) };
    Index::from_new(rc, p)
}

#[test]
fn getters_describe_the_index() {
    let index = flat_l2(D);
    unsafe {
        assert_eq!(faissx_Index_d(index.ptr()), D as i32);
        assert_eq!(faissx_Index_is_trained(index.ptr()), 1);
        assert_eq!(faissx_Index_ntotal(index.ptr()), 0);
        assert_eq!(faissx_Index_metric_type(index.ptr()), METRIC_L2);
        assert_eq!(faissx_Index_verbose(index.ptr()), 0);
        faissx_Index_set_verbose(index.ptr(), 1);
        assert_eq!(faissx_Index_verbose(index.ptr()), 1);
        faissx_Index_set_verbose(index.ptr(), 0);
        assert_eq!(faissx_Index_verbose(index.ptr()), 0);
    }
    let ip = Index::factory(8, "Flat", METRIC_INNER_PRODUCT);
    assert_eq!(
        unsafe { faissx_Index_metric_type(ip.ptr()) },
        METRIC_INNER_PRODUCT
    );
    assert_eq!(ip.d(), 8);
}

#[test]
fn flat_search_matches_brute_force() {
    let mut rng = Rng::new(1);
    let xb = rng.vectors(500, D);
    let xq = rng.vectors(20, D);
    for metric in [METRIC_L2, METRIC_INNER_PRODUCT] {
        let index = Index::factory(D, "Flat", metric);
        index.add(&xb);
        assert_eq!(index.ntotal(), 500);
        let (dis, lab) = index.search(&xq, 10);
        assert_knn(&xb, &xq, D, 10, metric, (&dis, &lab));
    }
}

#[test]
fn k_beyond_ntotal_pads_with_minus_one() {
    let mut rng = Rng::new(2);
    let xb = rng.vectors(3, D);
    let index = flat_l2(D);
    index.add(&xb);
    let (dis, lab) = index.search(&xb[..D], 5);
    assert_knn(&xb, &xb[..D], D, 5, METRIC_L2, (&dis, &lab));
    assert_eq!(lab[0], 0, "a stored vector is its own nearest neighbour");
    assert_eq!(&lab[3..], &[-1, -1]);
}

#[test]
fn empty_batches_are_accepted() {
    let index = flat_l2(D);
    unsafe {
        check(faissx_Index_add(index.ptr(), 0, ptr::null()));
        check(faissx_Index_search(
            index.ptr(),
            0,
            ptr::null(),
            3,
            ptr::null_mut(),
            ptr::null_mut(),
        ));
    }
    assert_eq!(index.ntotal(), 0);
}

#[test]
fn training_is_required_before_adding_to_ivf() {
    let mut rng = Rng::new(3);
    let xb = clustered(&mut rng, 1000, D, 8);
    let index = Index::factory(D, "IVF8,Flat", METRIC_L2);
    assert_eq!(unsafe { faissx_Index_is_trained(index.ptr()) }, 0);
    let rc = unsafe { faissx_Index_add(index.ptr(), 1000, xb.as_ptr()) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_Index_add", "is_trained"]);
    index.train(&xb);
    assert_eq!(unsafe { faissx_Index_is_trained(index.ptr()) }, 1);
    index.add(&xb);
    assert_eq!(index.ntotal(), 1000);
}

#[test]
fn add_with_ids_reports_the_callers_ids() {
    let mut rng = Rng::new(4);
    let xb = rng.vectors(100, D);
    let ids: Vec<idx_t> = (0..100).map(|i| 1000 + 7 * i).collect();
    let index = Index::factory(D, "IDMap,Flat", METRIC_L2);
    index.add_with_ids(&xb, &ids);
    let (dis, lab) = index.search(&xb[5 * D..6 * D], 1);
    assert_eq!(lab[0], ids[5]);
    assert_eq!(dis[0], 0.0);
    // A flat index numbers vectors itself and refuses ids.
    let flat = flat_l2(D);
    let rc = unsafe { faissx_Index_add_with_ids(flat.ptr(), 100, xb.as_ptr(), ids.as_ptr()) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_Index_add_with_ids"]);
    assert_eq!(flat.ntotal(), 0);
}

#[test]
fn range_search_returns_every_vector_within_the_radius() {
    let mut rng = Rng::new(5);
    let xb = rng.vectors(400, D);
    let xq = rng.vectors(8, D);
    let index = flat_l2(D);
    index.add(&xb);
    let radius = 1.0;
    let hits = index.range_search(&xq, radius);
    assert_eq!(hits.len(), 8);
    let mut total = 0;
    for (q, found) in xq.chunks(D).zip(&hits) {
        for &(label, dist) in found {
            let v = &xb[label as usize * D..(label as usize + 1) * D];
            assert!(close(dist, l2(q, v)));
            assert!(dist < radius);
        }
        for (i, v) in xb.chunks(D).enumerate() {
            // Vectors right at the radius may fall either side of it in float32.
            if l2(q, v) < radius - 1e-4 {
                assert!(found.iter().any(|h| h.0 == i as idx_t), "missing {i}");
            }
        }
        total += found.len();
    }
    assert!(
        total > 0,
        "the radius must catch something for the test to mean anything"
    );
}

#[test]
fn assign_gives_the_search_labels() {
    let mut rng = Rng::new(6);
    let xb = rng.vectors(200, D);
    let xq = rng.vectors(10, D);
    let index = flat_l2(D);
    index.add(&xb);
    let (_, expected) = index.search(&xq, 4);
    let mut labels = vec![-7; 40];
    check(unsafe { faissx_Index_assign(index.ptr(), 10, xq.as_ptr(), labels.as_mut_ptr(), 4) });
    assert_eq!(labels, expected);
}

#[test]
fn reset_empties_the_index() {
    let mut rng = Rng::new(7);
    let xb = rng.vectors(50, D);
    let index = flat_l2(D);
    index.add(&xb);
    check(unsafe { faissx_Index_reset(index.ptr()) });
    assert_eq!(index.ntotal(), 0);
    let (_, lab) = index.search(&xb[..D], 2);
    assert_eq!(lab, vec![-1, -1]);
}

#[test]
fn remove_ids_counts_and_compacts() {
    let mut rng = Rng::new(8);
    let xb = rng.vectors(50, D);
    let index = flat_l2(D);
    index.add(&xb);
    let sel = Selector::range(10, 20);
    let mut removed = 0usize;
    check(unsafe { faissx_Index_remove_ids(index.ptr(), sel.0, &mut removed) });
    assert_eq!(removed, 10);
    assert_eq!(index.ntotal(), 40);
    // A flat index renumbers what follows the removed block.
    assert_eq!(index.reconstruct(10), &xb[20 * D..21 * D]);
    assert_eq!(index.reconstruct(9), &xb[9 * D..10 * D]);
}

#[test]
fn reconstruct_returns_the_stored_vectors() {
    let mut rng = Rng::new(9);
    let xb = rng.vectors(30, D);
    let index = flat_l2(D);
    index.add(&xb);
    assert_eq!(index.reconstruct(17), &xb[17 * D..18 * D]);
    let mut out = vec![0.0; 5 * D];
    check(unsafe { faissx_Index_reconstruct_n(index.ptr(), 12, 5, out.as_mut_ptr()) });
    assert_eq!(out, &xb[12 * D..17 * D]);
    let rc = unsafe { faissx_Index_reconstruct(index.ptr(), 30, out.as_mut_ptr()) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_Index_reconstruct"]);
}

#[test]
fn residuals_are_differences_to_stored_vectors() {
    let mut rng = Rng::new(10);
    let xb = rng.vectors(20, D);
    let x = rng.vectors(3, D);
    let index = flat_l2(D);
    index.add(&xb);
    let mut residual = vec![0.0; D];
    check(unsafe {
        faissx_Index_compute_residual(index.ptr(), x.as_ptr(), residual.as_mut_ptr(), 4)
    });
    let expected: Vec<f32> = (0..D).map(|t| x[t] - xb[4 * D + t]).collect();
    assert_eq!(residual, expected);

    let keys: Vec<idx_t> = vec![0, 19, 7];
    let mut residuals = vec![0.0; 3 * D];
    check(unsafe {
        faissx_Index_compute_residual_n(
            index.ptr(),
            3,
            x.as_ptr(),
            residuals.as_mut_ptr(),
            keys.as_ptr(),
        )
    });
    for (i, &key) in keys.iter().enumerate() {
        for t in 0..D {
            assert_eq!(
                residuals[i * D + t],
                x[i * D + t] - xb[key as usize * D + t]
            );
        }
    }
}

#[test]
fn standalone_codes_round_trip() {
    let mut rng = Rng::new(11);
    let x = rng.vectors(10, D);
    // Flat codes are the raw floats: the round trip is exact.
    let flat = flat_l2(D);
    let mut size = 0usize;
    check(unsafe { faissx_Index_sa_code_size(flat.ptr(), &mut size) });
    assert_eq!(size, D * 4);
    let mut codes = vec![0u8; 10 * size];
    check(unsafe { faissx_Index_sa_encode(flat.ptr(), 10, x.as_ptr(), codes.as_mut_ptr()) });
    let mut back = vec![0.0; 10 * D];
    check(unsafe { faissx_Index_sa_decode(flat.ptr(), 10, codes.as_ptr(), back.as_mut_ptr()) });
    assert_eq!(back, x);

    // An 8-bit scalar quantizer: one byte a component, within one step of the trained range.
    let sq = Index::factory(D, "SQ8", METRIC_L2);
    sq.train(&rng.vectors(500, D));
    check(unsafe { faissx_Index_sa_code_size(sq.ptr(), &mut size) });
    assert_eq!(size, D);
    let mut codes = vec![0u8; 10 * size];
    check(unsafe { faissx_Index_sa_encode(sq.ptr(), 10, x.as_ptr(), codes.as_mut_ptr()) });
    check(unsafe { faissx_Index_sa_decode(sq.ptr(), 10, codes.as_ptr(), back.as_mut_ptr()) });
    for (a, b) in back.iter().zip(&x) {
        assert!((a - b).abs() < 2.0 / 255.0, "{a} vs {b}");
    }
}

#[test]
fn search_with_params_honours_the_selector() {
    let mut rng = Rng::new(12);
    let xb = rng.vectors(300, D);
    let xq = rng.vectors(5, D);
    let index = flat_l2(D);
    index.add(&xb);
    let sel = Selector::range(100, 150);
    let mut p = ptr::null_mut();
    check(unsafe { faissx_SearchParameters_new(&mut p, sel.0) });
    let params = Params(p);
    let (dis, lab) = index.search_with_params(&xq, 5, params.0);
    for &l in &lab {
        assert!((100..150).contains(&l), "label {l} is outside the selector");
    }
    // The same as exhaustive search over the selected block only (labels shifted by 100).
    let shifted: Vec<idx_t> = lab.iter().map(|l| l - 100).collect();
    assert_knn(
        &xb[100 * D..150 * D],
        &xq,
        D,
        5,
        METRIC_L2,
        (&dis, &shifted),
    );
}

#[test]
fn factory_builds_the_described_types() {
    use faissx::ffi::index_ivf::faissx_IndexIVF_cast;
    let ivf = Index::factory(D, "IVF4,Flat", METRIC_L2);
    assert!(!unsafe { faissx_IndexIVF_cast(ivf.ptr()) }.is_null());
    assert!(unsafe { faissx_IndexFlat_cast(ivf.ptr()) }.is_null());
    let flat = Index::factory(D, "Flat", METRIC_L2);
    assert_eq!(unsafe { faissx_IndexFlat_cast(flat.ptr()) }, flat.ptr());
    let mut p = ptr::null_mut();
    let desc = cstr("NoSuchIndex42");
    let rc = unsafe {
        faissx::ffi::index_factory::faissx_index_factory(&mut p, D as i32, desc.as_ptr(), METRIC_L2)
    };
    expect_err(
        rc,
        FAISSX_ERR_FAISS,
        &["faissx_index_factory", "NoSuchIndex42"],
    );
    assert!(p.is_null());
}
