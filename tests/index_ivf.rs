//! `IndexIVF_c.h`, `IndexIVFFlat_c.h`, `IndexScalarQuantizer_c.h`: inverted-file indexes, their
//! search parameters and statistics, and scalar quantizers.
//!
//! FAISS counts IVF searches in one process-wide `indexIVF_stats`; every test here that
//! searches an IVF index holds `serial()` so the statistics test sees only its own searches.

mod common;

use common::*;
use faissx::ffi::clone_index::faissx_clone_index;
use faissx::ffi::index::*;
use faissx::ffi::index_flat::*;
use faissx::ffi::index_ivf::*;
use faissx::ffi::index_ivf_flat::*;
use faissx::ffi::index_scalar_quantizer::*;
use faissx::ffi::types::*;
use std::ptr;
use std::sync::{Mutex, MutexGuard};

const D: usize = 16;
const NLIST: usize = 8;

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn flat_quantizer(d: usize, metric: FaissMetricType) -> Index {
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx_IndexFlat_new_with(&mut p, d as idx_t, metric) };
    Index::from_new(rc, p)
}

/// An untrained IVFFlat that owns its flat quantizer.
fn ivf_flat(metric: FaissMetricType) -> Index {
    let quantizer = flat_quantizer(D, metric);
    let mut p = ptr::null_mut();
    let rc =
        unsafe { faissx_IndexIVFFlat_new_with_metric(&mut p, quantizer.ptr(), D, NLIST, metric) };
    let index = Index::from_new(rc, p);
    unsafe { faissx_IndexIVF_set_own_fields(index.ptr(), 1) };
    let _ = quantizer.into_raw();
    index
}

fn clone(index: &Index) -> Index {
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx_clone_index(index.ptr(), &mut p) };
    Index::from_new(rc, p)
}

fn data(seed: u64, n: usize) -> Vec<f32> {
    clustered(&mut Rng::new(seed), n, D, NLIST)
}

#[test]
fn ivf_flat_exposes_its_structure() {
    let _serial = serial();
    let xb = data(31, 2000);
    let quantizer = flat_quantizer(D, METRIC_L2);
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx_IndexIVFFlat_new_with(&mut p, quantizer.ptr(), D, NLIST) };
    let index = Index::from_new(rc, p);
    unsafe {
        assert_eq!(faissx_IndexIVFFlat_cast(index.ptr()), index.ptr());
        assert_eq!(faissx_IndexIVF_cast(index.ptr()), index.ptr());
        assert_eq!(faissx_IndexIVF_nlist(index.ptr()), NLIST);
        assert_eq!(faissx_IndexIVFFlat_nlist(index.ptr()), NLIST);
        assert_eq!(faissx_IndexIVF_nprobe(index.ptr()), 1);
        assert_eq!(faissx_IndexIVF_quantizer(index.ptr()), quantizer.ptr());
        assert_eq!(faissx_IndexIVFFlat_quantizer(index.ptr()), quantizer.ptr());
        assert_eq!(faissx_IndexIVF_quantizer_trains_alone(index.ptr()), 0);
        assert_eq!(faissx_IndexIVFFlat_quantizer_trains_alone(index.ptr()), 0);
        assert_eq!(faissx_IndexIVF_own_fields(index.ptr()), 0);
        assert_eq!(faissx_IndexIVFFlat_own_fields(index.ptr()), 0);
        faissx_IndexIVFFlat_set_nprobe(index.ptr(), 3);
        assert_eq!(faissx_IndexIVFFlat_nprobe(index.ptr()), 3);
        faissx_IndexIVF_set_nprobe(index.ptr(), 2);
        assert_eq!(faissx_IndexIVF_nprobe(index.ptr()), 2);
    }
    index.train(&xb);
    assert_eq!(
        quantizer.ntotal(),
        NLIST,
        "training fills the borrowed quantizer"
    );
    index.add(&xb);

    // Every id sits in exactly one list: the one its vector's nearest centroid names.
    let sizes: Vec<usize> = (0..NLIST)
        .map(|l| unsafe { faissx_IndexIVF_get_list_size(index.ptr(), l) })
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 2000);
    let (_, nearest) = quantizer.search(&xb, 1);
    let mut seen = vec![false; 2000];
    for (list, &size) in sizes.iter().enumerate() {
        let mut ids = vec![-7; size];
        unsafe { faissx_IndexIVF_invlists_get_ids(index.ptr(), list, ids.as_mut_ptr()) };
        for id in ids {
            assert_eq!(
                nearest[id as usize], list as idx_t,
                "id {id} in the wrong list"
            );
            assert!(!std::mem::replace(&mut seen[id as usize], true));
        }
    }
    let imbalance = unsafe { faissx_IndexIVF_imbalance_factor(index.ptr()) };
    assert!(imbalance >= 1.0, "imbalance factor {imbalance}");
    unsafe { faissx_IndexIVF_print_stats(index.ptr()) };
    drop(index);
    assert_eq!(
        quantizer.ntotal(),
        NLIST,
        "a borrowed quantizer outlives the index"
    );
}

#[test]
fn probing_every_list_is_exhaustive_search() {
    let _serial = serial();
    let xb = data(32, 2000);
    let xq = data(33, 20);
    for metric in [METRIC_L2, METRIC_INNER_PRODUCT] {
        let index = ivf_flat(metric);
        assert_eq!(unsafe { faissx_Index_metric_type(index.ptr()) }, metric);
        index.train(&xb);
        index.add(&xb);
        unsafe { faissx_IndexIVF_set_nprobe(index.ptr(), NLIST) };
        let (dis, lab) = index.search(&xq, 10);
        assert_knn(&xb, &xq, D, 10, metric, (&dis, &lab));
    }
}

#[test]
fn default_constructors_make_empty_indexes() {
    let mut p = ptr::null_mut();
    let ivf = Index::from_new(unsafe { faissx_IndexIVFFlat_new(&mut p) }, p);
    assert_eq!(unsafe { faissx_IndexIVFFlat_cast(ivf.ptr()) }, ivf.ptr());
    assert_eq!(ivf.ntotal(), 0);
    let mut p = ptr::null_mut();
    let sq = Index::from_new(unsafe { faissx_IndexScalarQuantizer_new(&mut p) }, p);
    assert_eq!(
        unsafe { faissx_IndexScalarQuantizer_cast(sq.ptr()) },
        sq.ptr()
    );
    let mut p = ptr::null_mut();
    let ivfsq = Index::from_new(unsafe { faissx_IndexIVFScalarQuantizer_new(&mut p) }, p);
    assert_eq!(
        unsafe { faissx_IndexIVFScalarQuantizer_cast(ivfsq.ptr()) },
        ivfsq.ptr()
    );
    assert_eq!(unsafe { faissx_IndexIVF_cast(ivfsq.ptr()) }, ivfsq.ptr());
    unsafe {
        assert!(faissx_IndexIVFFlat_cast(sq.ptr()).is_null());
        assert!(faissx_IndexIVF_cast(sq.ptr()).is_null());
        assert!(faissx_IndexScalarQuantizer_cast(ivf.ptr()).is_null());
        assert!(faissx_IndexIVFScalarQuantizer_cast(ivf.ptr()).is_null());
    }
}

#[test]
fn search_preassigned_equals_search() {
    let _serial = serial();
    let xb = data(34, 1500);
    let xq = data(35, 10);
    let index = ivf_flat(METRIC_L2);
    index.train(&xb);
    index.add(&xb);
    let nprobe = 3;
    unsafe { faissx_IndexIVF_set_nprobe(index.ptr(), nprobe) };
    let quantizer = Index::borrowed(unsafe { faissx_IndexIVF_quantizer(index.ptr()) });
    let (cdis, assign) = quantizer.search(&xq, nprobe);
    let (mut dis, mut lab) = (vec![0.0; 50], vec![0; 50]);
    check(unsafe {
        faissx_IndexIVF_search_preassigned(
            index.ptr(),
            10,
            xq.as_ptr(),
            5,
            assign.as_ptr(),
            cdis.as_ptr(),
            dis.as_mut_ptr(),
            lab.as_mut_ptr(),
            0,
        )
    });
    assert_eq!((dis, lab), index.search(&xq, 5));
}

#[test]
fn direct_map_enables_reconstruct_and_update() {
    let _serial = serial();
    let xb = data(36, 500);
    let index = ivf_flat(METRIC_L2);
    index.train(&xb);
    index.add(&xb);
    let mut out = vec![0.0; D];
    let rc = unsafe { faissx_Index_reconstruct(index.ptr(), 7, out.as_mut_ptr()) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_Index_reconstruct"]);
    check(unsafe { faissx_IndexIVF_make_direct_map(index.ptr(), 1) });
    assert_eq!(index.reconstruct(7), &xb[7 * D..8 * D]);

    let replacement = data(37, 1);
    let mut ids = [7 as idx_t];
    check(unsafe {
        faissx_IndexIVFFlat_update_vectors(index.ptr(), 1, ids.as_mut_ptr(), replacement.as_ptr())
    });
    assert_eq!(index.ntotal(), 500);
    assert_eq!(index.reconstruct(7), replacement);
    unsafe { faissx_IndexIVF_set_nprobe(index.ptr(), NLIST) };
    let (dis, lab) = index.search(&replacement, 1);
    assert_eq!((dis[0], lab[0]), (0.0, 7));
}

#[test]
fn merge_from_moves_every_vector() {
    let _serial = serial();
    let xb = data(38, 1200);
    let xq = data(39, 10);
    let a = ivf_flat(METRIC_L2);
    a.train(&xb);
    let b = clone(&a);
    a.add(&xb[..700 * D]);
    b.add(&xb[700 * D..]);
    check(unsafe { faissx_IndexIVF_merge_from(a.ptr(), b.ptr(), 700) });
    assert_eq!(a.ntotal(), 1200);
    assert_eq!(b.ntotal(), 0);
    unsafe { faissx_IndexIVF_set_nprobe(a.ptr(), NLIST) };
    let (dis, lab) = a.search(&xq, 8);
    assert_knn(&xb, &xq, D, 8, METRIC_L2, (&dis, &lab));
}

#[test]
fn copy_subset_to_copies_an_id_range() {
    let _serial = serial();
    let xb = data(40, 1000);
    let src = ivf_flat(METRIC_L2);
    src.train(&xb);
    let dst = clone(&src);
    src.add(&xb);
    // Subset type 0: ids in [a1, a2).
    check(unsafe { faissx_IndexIVF_copy_subset_to(src.ptr(), dst.ptr(), 0, 200, 300) });
    assert_eq!(dst.ntotal(), 100);
    assert_eq!(src.ntotal(), 1000, "the source keeps its vectors");
    unsafe { faissx_IndexIVF_set_nprobe(dst.ptr(), NLIST) };
    let (_, lab) = dst.search(&xb[250 * D..251 * D], 100);
    let mut found = lab.clone();
    found.sort();
    assert_eq!(found, (200..300).collect::<Vec<idx_t>>());
}

#[test]
fn search_parameters_ivf_override_the_index() {
    let _serial = serial();
    let xb = data(41, 1500);
    let xq = data(42, 12);
    let index = ivf_flat(METRIC_L2);
    index.train(&xb);
    index.add(&xb);

    let mut p = ptr::null_mut();
    check(unsafe { faissx_SearchParametersIVF_new(&mut p) });
    let defaults = Params(p);
    unsafe {
        assert_eq!(faissx_SearchParametersIVF_cast(defaults.0), defaults.0);
        assert_eq!(faissx_SearchParametersIVF_nprobe(defaults.0), 1);
        assert_eq!(faissx_SearchParametersIVF_max_codes(defaults.0), 0);
        assert!(faissx_SearchParametersIVF_sel(defaults.0).is_null());
        faissx_SearchParametersIVF_set_nprobe(defaults.0, NLIST);
        faissx_SearchParametersIVF_set_max_codes(defaults.0, 123);
        assert_eq!(faissx_SearchParametersIVF_nprobe(defaults.0), NLIST);
        assert_eq!(faissx_SearchParametersIVF_max_codes(defaults.0), 123);
        faissx_SearchParametersIVF_set_max_codes(defaults.0, 0);
    }
    // The index probes one list; the parameters make this one search exhaustive.
    let (dis, lab) = index.search_with_params(&xq, 6, defaults.0);
    assert_knn(&xb, &xq, D, 6, METRIC_L2, (&dis, &lab));
    assert_eq!(unsafe { faissx_IndexIVF_nprobe(index.ptr()) }, 1);

    let sel = Selector::batch(&[3, 99, 400, 1001, 1499]);
    let mut p = ptr::null_mut();
    check(unsafe { faissx_SearchParametersIVF_new_with(&mut p, sel.0, NLIST, 0) });
    let restricted = Params(p);
    assert_eq!(
        unsafe { faissx_SearchParametersIVF_sel(restricted.0) },
        sel.0.cast_const()
    );
    let (_, lab) = index.search_with_params(&xq, 5, restricted.0);
    for row in lab.chunks(5) {
        let mut row = row.to_vec();
        row.sort();
        assert_eq!(row, vec![3, 99, 400, 1001, 1499]);
    }

    // Plain search parameters are not IVF parameters.
    let mut p = ptr::null_mut();
    check(unsafe { faissx_SearchParameters_new(&mut p, ptr::null_mut()) });
    let plain = Params(p);
    assert!(unsafe { faissx_SearchParametersIVF_cast(plain.0) }.is_null());
}

#[test]
fn ivf_statistics_count_searches() {
    let _serial = serial();
    let xb = data(43, 1000);
    let xq = data(44, 7);
    let index = ivf_flat(METRIC_L2);
    index.train(&xb);
    index.add(&xb);
    unsafe { faissx_IndexIVF_set_nprobe(index.ptr(), 2) };

    let stats = unsafe { faissx_get_indexIVF_stats() };
    assert!(!stats.is_null());
    unsafe { faissx_IndexIVFStats_reset(stats) };
    assert_eq!(unsafe { *stats }, FaissIndexIVFStats::default());
    index.search(&xq, 3);
    let after = unsafe { *stats };
    assert_eq!(after.nq, 7);
    assert_eq!(after.nlist, 14, "7 queries probing 2 lists each");
    assert!(after.ndis > 0 && after.ndis <= 1000 * 7);

    let mut local = FaissIndexIVFStats {
        nq: 5,
        nlist: 6,
        ndis: 7,
        nheap_updates: 8,
        quantization_time: 1.5,
        search_time: 2.5,
    };
    unsafe { faissx_IndexIVFStats_init(&mut local) };
    assert_eq!(local, FaissIndexIVFStats::default());
    local.nq = 3;
    unsafe { faissx_IndexIVFStats_reset(&mut local) };
    assert_eq!(local, FaissIndexIVFStats::default());
}

#[test]
fn add_core_places_vectors_in_the_given_lists() {
    let _serial = serial();
    let xb = data(45, 600);
    let flat = ivf_flat(METRIC_L2);
    flat.train(&xb);
    let sq = {
        let quantizer = flat_quantizer(D, METRIC_L2);
        let mut p = ptr::null_mut();
        let rc = unsafe {
            faissx_IndexIVFScalarQuantizer_new_with(
                &mut p,
                quantizer.ptr(),
                D as idx_t,
                NLIST,
                QT_8bit,
            )
        };
        let index = Index::from_new(rc, p);
        unsafe { faissx_IndexIVFScalarQuantizer_set_own_fields(index.ptr(), 1) };
        let _ = quantizer.into_raw();
        index
    };
    sq.train(&xb);
    // Everything into list 5, with ids chosen here.
    let lists = vec![5 as idx_t; 100];
    let ids: Vec<idx_t> = (0..100).map(|i| 10_000 + i).collect();
    type AddCore =
        unsafe extern "C" fn(*mut FaissIndex, idx_t, *const f32, *const idx_t, *const idx_t) -> i32;
    let cases: [(&Index, AddCore); 2] = [
        (&flat, faissx_IndexIVFFlat_add_core),
        (&sq, faissx_IndexIVFScalarQuantizer_add_core),
    ];
    for (index, add_core) in cases {
        check(unsafe { add_core(index.ptr(), 100, xb.as_ptr(), ids.as_ptr(), lists.as_ptr()) });
        assert_eq!(index.ntotal(), 100);
        assert_eq!(
            unsafe { faissx_IndexIVF_get_list_size(index.ptr(), 5) },
            100
        );
        let mut stored = vec![0; 100];
        unsafe { faissx_IndexIVF_invlists_get_ids(index.ptr(), 5, stored.as_mut_ptr()) };
        assert_eq!(stored, ids);
    }
}

#[test]
fn ivf_scalar_quantizer_shape_and_search() {
    let _serial = serial();
    let xb = data(46, 2000);
    let xq = data(47, 20);
    let quantizer = flat_quantizer(D, METRIC_L2);
    let mut p = ptr::null_mut();
    let rc = unsafe {
        faissx_IndexIVFScalarQuantizer_new_with_metric(
            &mut p,
            quantizer.ptr(),
            D,
            NLIST,
            QT_fp16,
            METRIC_L2,
            1,
        )
    };
    let index = Index::from_new(rc, p);
    unsafe {
        assert_eq!(faissx_IndexIVFScalarQuantizer_nlist(index.ptr()), NLIST);
        assert_eq!(
            faissx_IndexIVFScalarQuantizer_quantizer(index.ptr()),
            quantizer.ptr()
        );
        assert_eq!(faissx_IndexIVFScalarQuantizer_own_fields(index.ptr()), 0);
        faissx_IndexIVFScalarQuantizer_set_nprobe(index.ptr(), NLIST);
        assert_eq!(faissx_IndexIVFScalarQuantizer_nprobe(index.ptr()), NLIST);
    }
    index.train(&xb);
    index.add(&xb);
    // fp16 keeps about 3 decimal digits: the neighbours are those of exact search, with
    // distances within half-precision rounding.
    let (dis, lab) = index.search(&xq, 1);
    let exact = Index::factory(D, "Flat", METRIC_L2);
    exact.add(&xb);
    let (edis, elab) = exact.search(&xq, 1);
    let agree = lab.iter().zip(&elab).filter(|(a, b)| a == b).count();
    assert!(agree >= 18, "only {agree}/20 nearest neighbours agree");
    for (a, b) in dis.iter().zip(&edis) {
        assert!((a - b).abs() < 1e-2, "{a} vs {b}");
    }
}

#[test]
fn train_encoder_trains_what_train_would() {
    let _serial = serial();
    let xb = data(48, 1000);
    // Two IVF-SQ indexes over identical, already filled quantizers: one trained the usual
    // way, one through train_encoder alone. Their encoders must come out the same.
    let build = || {
        let quantizer = flat_quantizer(D, METRIC_L2);
        quantizer.add(&xb[..NLIST * D]);
        let mut p = ptr::null_mut();
        let rc = unsafe {
            faissx_IndexIVFScalarQuantizer_new_with_metric(
                &mut p,
                quantizer.ptr(),
                D,
                NLIST,
                QT_8bit,
                METRIC_L2,
                0,
            )
        };
        let index = Index::from_new(rc, p);
        unsafe { faissx_IndexIVF_set_own_fields(index.ptr(), 1) };
        let _ = quantizer.into_raw();
        index
    };
    let trained = build();
    trained.train(&xb);
    let encoder_only = build();
    let untrained_bytes = encoder_only.to_bytes();
    // Without residual encoding FAISS's own train passes no assignment either.
    check(unsafe {
        faissx_IndexIVF_train_encoder(encoder_only.ptr(), 1000, xb.as_ptr(), ptr::null())
    });
    let (a, b) = (trained.to_bytes(), encoder_only.to_bytes());
    assert_ne!(b, untrained_bytes, "train_encoder changed nothing");
    assert_eq!(a.len(), b.len());
    // Only the header's is_trained flag may differ: train_encoder does not set it.
    let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    assert_eq!(differing, 1);
}

#[test]
fn scalar_quantizer_flat_index() {
    let mut rng = Rng::new(49);
    let xb = rng.vectors(1000, D);
    let xq = rng.vectors(10, D);
    let mut p = ptr::null_mut();
    let rc =
        unsafe { faissx_IndexScalarQuantizer_new_with(&mut p, D as idx_t, QT_8bit, METRIC_L2) };
    let index = Index::from_new(rc, p);
    assert_eq!(unsafe { faissx_Index_is_trained(index.ptr()) }, 0);
    index.train(&xb);
    index.add(&xb);
    let recons = index.reconstruct(3);
    for (a, b) in recons.iter().zip(&xb[3 * D..4 * D]) {
        assert!((a - b).abs() < 2.0 / 255.0);
    }
    let exact = Index::factory(D, "Flat", METRIC_L2);
    exact.add(&xb);
    let (_, elab) = exact.search(&xq, 1);
    let (_, lab) = index.search(&xq, 10);
    assert!(recall_at(&elab, 1, &lab, 10) >= 0.9);
}

#[test]
fn typed_frees_release_their_objects() {
    unsafe {
        let quantizer = flat_quantizer(D, METRIC_L2);
        let mut p = ptr::null_mut();
        check(faissx_IndexIVFFlat_new_with(
            &mut p,
            quantizer.ptr(),
            D,
            NLIST,
        ));
        faissx_IndexIVFFlat_free(p);
        check(faissx_IndexIVFFlat_new_with(
            &mut p,
            quantizer.ptr(),
            D,
            NLIST,
        ));
        faissx_IndexIVF_free(p);
        check(faissx_IndexIVFScalarQuantizer_new_with(
            &mut p,
            quantizer.ptr(),
            D as idx_t,
            NLIST,
            QT_8bit,
        ));
        faissx_IndexIVFScalarQuantizer_free(p);
        assert_eq!(quantizer.d(), D, "the borrowed quantizer survives");
        check(faissx_IndexScalarQuantizer_new_with(
            &mut p, D as idx_t, QT_4bit, METRIC_L2,
        ));
        faissx_IndexScalarQuantizer_free(p);

        // An IVFFlat told to own its quantizer frees it.
        let owned = flat_quantizer(D, METRIC_L2);
        check(faissx_IndexIVFFlat_new_with(&mut p, owned.ptr(), D, NLIST));
        faissx_IndexIVFFlat_set_own_fields(p, 1);
        assert_eq!(faissx_IndexIVFFlat_own_fields(p), 1);
        let _ = owned.into_raw();
        faissx_IndexIVFFlat_free(p);

        let mut sp = ptr::null_mut();
        check(faissx_SearchParametersIVF_new(&mut sp));
        faissx_SearchParametersIVF_free(sp);
    }
}
