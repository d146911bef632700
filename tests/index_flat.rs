//! `IndexFlat_c.h`: exhaustive indexes (Flat, FlatL2, FlatIP, Flat1D) and IndexRefineFlat.

mod common;

use common::*;
use faissx::ffi::index::*;
use faissx::ffi::index_flat::*;
use faissx::ffi::types::*;
use std::ptr;

const D: usize = 12;

#[test]
fn default_constructors_make_empty_indexes() {
    let mut p = ptr::null_mut();
    let flat = Index::from_new(unsafe { faissx_IndexFlat_new(&mut p) }, p);
    assert_eq!(flat.ntotal(), 0);
    assert_eq!(unsafe { faissx_IndexFlat_cast(flat.ptr()) }, flat.ptr());
    let mut p = ptr::null_mut();
    let l2 = Index::from_new(unsafe { faissx_IndexFlatL2_new(&mut p) }, p);
    assert_eq!(unsafe { faissx_Index_metric_type(l2.ptr()) }, METRIC_L2);
    // FAISS's default IndexFlatIP exists for deserialization: it is an IndexFlatIP by type
    // but keeps IndexFlat's default metric until read_index fills it in.
    let mut p = ptr::null_mut();
    let ip = Index::from_new(unsafe { faissx_IndexFlatIP_new(&mut p) }, p);
    assert_eq!(unsafe { faissx_IndexFlatIP_cast(ip.ptr()) }, ip.ptr());
}

#[test]
fn casts_follow_the_class_graph() {
    let mut p = ptr::null_mut();
    let l2 = Index::from_new(
        unsafe { faissx_IndexFlatL2_new_with(&mut p, D as idx_t) },
        p,
    );
    let mut p = ptr::null_mut();
    let ip = Index::from_new(
        unsafe { faissx_IndexFlatIP_new_with(&mut p, D as idx_t) },
        p,
    );
    unsafe {
        assert_eq!(faissx_IndexFlat_cast(l2.ptr()), l2.ptr());
        assert_eq!(faissx_IndexFlatL2_cast(l2.ptr()), l2.ptr());
        assert!(faissx_IndexFlatIP_cast(l2.ptr()).is_null());
        assert_eq!(faissx_IndexFlat_cast(ip.ptr()), ip.ptr());
        assert_eq!(faissx_IndexFlatIP_cast(ip.ptr()), ip.ptr());
        assert!(faissx_IndexFlatL2_cast(ip.ptr()).is_null());
        assert!(faissx_IndexFlat1D_cast(l2.ptr()).is_null());
        assert!(faissx_IndexRefineFlat_cast(l2.ptr()).is_null());
        assert!(faissx_IndexFlat_cast(ptr::null_mut()).is_null());
    }
    let hnsw = Index::factory(D, "HNSW8", METRIC_L2);
    assert!(unsafe { faissx_IndexFlat_cast(hnsw.ptr()) }.is_null());
}

#[test]
fn flat_with_l1_metric_ranks_by_l1() {
    let mut rng = Rng::new(21);
    let xb = rng.vectors(200, D);
    let q = rng.vectors(1, D);
    let mut p = ptr::null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexFlat_new_with(&mut p, D as idx_t, METRIC_L1) },
        p,
    );
    assert_eq!(unsafe { faissx_Index_metric_type(index.ptr()) }, METRIC_L1);
    index.add(&xb);
    let (dis, lab) = index.search(&q, 5);
    let l1 = |v: &[f32]| -> f32 { v.iter().zip(&q).map(|(a, b)| (a - b).abs()).sum() };
    let mut truth: Vec<f32> = xb.chunks(D).map(l1).collect();
    truth.sort_by(|a, b| a.total_cmp(b));
    for r in 0..5 {
        let own = l1(&xb[lab[r] as usize * D..(lab[r] as usize + 1) * D]);
        assert!(close(dis[r], own) && close(dis[r], truth[r]));
    }
}

#[test]
fn xb_borrows_the_stored_vectors() {
    let mut rng = Rng::new(22);
    let xb = rng.vectors(40, D);
    let mut p = ptr::null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexFlatL2_new_with(&mut p, D as idx_t) },
        p,
    );
    index.add(&xb);
    let (mut data, mut size) = (ptr::null_mut(), 0usize);
    unsafe { faissx_IndexFlat_xb(index.ptr(), &mut data, &mut size) };
    assert_eq!(size, 40 * D);
    assert_eq!(unsafe { std::slice::from_raw_parts(data, size) }, &xb[..]);
}

#[test]
fn compute_distance_subset_scores_the_given_labels() {
    let mut rng = Rng::new(23);
    let xb = rng.vectors(60, D);
    let xq = rng.vectors(3, D);
    let mut p = ptr::null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexFlatL2_new_with(&mut p, D as idx_t) },
        p,
    );
    index.add(&xb);
    let labels: Vec<idx_t> = vec![0, 5, 59, 3, 3, 10, 42, 1, 2];
    let mut dis = vec![0.0; 9];
    check(unsafe {
        faissx_IndexFlat_compute_distance_subset(
            index.ptr(),
            3,
            xq.as_ptr(),
            3,
            dis.as_mut_ptr(),
            labels.as_ptr(),
        )
    });
    for q in 0..3 {
        for j in 0..3 {
            let l = labels[q * 3 + j] as usize;
            assert!(close(
                dis[q * 3 + j],
                l2(&xq[q * D..(q + 1) * D], &xb[l * D..(l + 1) * D])
            ));
        }
    }
}

#[test]
fn flat_ip_ranks_by_inner_product() {
    let mut rng = Rng::new(24);
    let xb = rng.vectors(300, D);
    let xq = rng.vectors(6, D);
    let mut p = ptr::null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexFlatIP_new_with(&mut p, D as idx_t) },
        p,
    );
    index.add(&xb);
    let (dis, lab) = index.search(&xq, 7);
    assert_knn(&xb, &xq, D, 7, METRIC_INNER_PRODUCT, (&dis, &lab));
}

#[test]
fn flat_1d_searches_a_sorted_permutation() {
    let mut rng = Rng::new(25);
    let xb = rng.vectors(500, 1);
    let xq = rng.vectors(10, 1);
    // Without continuous updates the permutation is built on request.
    let mut p = ptr::null_mut();
    let lazy = Index::from_new(unsafe { faissx_IndexFlat1D_new_with(&mut p, 0) }, p);
    assert_eq!(unsafe { faissx_IndexFlat1D_cast(lazy.ptr()) }, lazy.ptr());
    lazy.add(&xb);
    check(unsafe { faissx_IndexFlat1D_update_permutation(lazy.ptr()) });
    let (dis, lab) = lazy.search(&xq, 4);
    // IndexFlat1D reports |q - x|, not its square.
    for (qi, &q) in xq.iter().enumerate() {
        let mut truth: Vec<f32> = xb.iter().map(|x| (q - x).abs()).collect();
        truth.sort_by(|a, b| a.total_cmp(b));
        for r in 0..4 {
            let (dist, label) = (dis[qi * 4 + r], lab[qi * 4 + r]);
            assert_eq!(dist, (q - xb[label as usize]).abs());
            assert_eq!(dist, truth[r]);
        }
    }

    let mut p = ptr::null_mut();
    let eager = Index::from_new(unsafe { faissx_IndexFlat1D_new(&mut p) }, p);
    eager.add(&xb);
    assert_eq!(eager.search(&xq, 4), (dis, lab));
}

#[test]
fn refine_flat_reranks_with_exact_distances() {
    let mut rng = Rng::new(26);
    let xb = rng.vectors(400, D);
    let xq = rng.vectors(10, D);
    let base = Index::factory(D, "PQ3x4", METRIC_L2);
    base.train(&xb);
    let mut p = ptr::null_mut();
    let refine = Index::from_new(unsafe { faissx_IndexRefineFlat_new(&mut p, base.ptr()) }, p);
    unsafe {
        assert_eq!(faissx_IndexRefineFlat_cast(refine.ptr()), refine.ptr());
        assert_eq!(faissx_IndexRefineFlat_own_fields(refine.ptr()), 0);
        assert_eq!(faissx_IndexRefineFlat_k_factor(refine.ptr()), 1.0);
        // Reranking every stored vector makes the search exhaustive.
        faissx_IndexRefineFlat_set_k_factor(refine.ptr(), 100.0);
        assert_eq!(faissx_IndexRefineFlat_k_factor(refine.ptr()), 100.0);
    }
    refine.add(&xb);
    assert_eq!(
        base.ntotal(),
        400,
        "adding to the refine index feeds its base"
    );
    let (dis, lab) = refine.search(&xq, 5);
    assert_knn(&xb, &xq, D, 5, METRIC_L2, (&dis, &lab));
    // The base alone only approximates distances.
    let (approx, _) = base.search(&xq, 5);
    assert_ne!(approx, dis);
    drop(refine);
    assert_eq!(base.ntotal(), 400, "the base is borrowed, not freed");
}

#[test]
fn refine_flat_can_own_its_base() {
    let base = Index::factory(D, "SQ8", METRIC_L2);
    let mut p = ptr::null_mut();
    let refine = Index::from_new(unsafe { faissx_IndexRefineFlat_new(&mut p, base.ptr()) }, p);
    unsafe { faissx_IndexRefineFlat_set_own_fields(refine.ptr(), 1) };
    assert_eq!(
        unsafe { faissx_IndexRefineFlat_own_fields(refine.ptr()) },
        1
    );
    let _ = base.into_raw();
    drop(refine);
}

#[test]
fn typed_frees_release_their_indexes() {
    unsafe {
        let mut p = ptr::null_mut();
        check(faissx_IndexFlat_new_with(&mut p, D as idx_t, METRIC_L2));
        faissx_IndexFlat_free(p);
        check(faissx_IndexFlatIP_new_with(&mut p, D as idx_t));
        faissx_IndexFlatIP_free(p);
        check(faissx_IndexFlatL2_new_with(&mut p, D as idx_t));
        faissx_IndexFlatL2_free(p);
        check(faissx_IndexFlat1D_new(&mut p));
        faissx_IndexFlat1D_free(p);
        let base = Index::factory(D, "Flat", METRIC_L2);
        check(faissx_IndexRefineFlat_new(&mut p, base.ptr()));
        faissx_IndexRefineFlat_free(p);
        assert_eq!(base.d(), D, "the borrowed base survives");
    }
}
