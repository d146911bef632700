//! Input that crashed the calling process inside FAISS (a segfault, a division by zero, an
//! exception thrown through an OpenMP region or out of the shim) gets an error code and a
//! message from the faissx_* exports in local mode — or, for an empty IDSelectorRange on a
//! flat index, FAISS's answer when nothing is selected. tests/server_survives.rs sends the same
//! input to a server.

mod common;

use common::*;
use faissx::ffi::index::*;
use faissx::ffi::index_binary::*;
use faissx::ffi::index_binary_ivf::*;
use faissx::ffi::index_factory::*;
use faissx::ffi::index_flat::*;
use faissx::ffi::index_hnsw::*;
use faissx::ffi::index_ivf::*;
use faissx::ffi::index_ivf_flat::*;
use faissx::ffi::index_pq::*;
use faissx::ffi::index_pre_transform::*;
use faissx::ffi::index_scalar_quantizer::*;
use faissx::ffi::index_shards::*;
use faissx::ffi::meta_indexes::*;
use faissx::ffi::types::*;
use faissx::ffi::vector_transform::*;
use std::os::raw::c_int;
use std::ptr::null_mut;

const D: usize = 8;
const NB: usize = 100;

fn flat(metric: FaissMetricType) -> (Index, Vec<f32>) {
    let mut p = null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexFlat_new_with(&mut p, D as idx_t, metric) },
        p,
    );
    let xb = Rng::new(5).vectors(NB, D);
    index.add(&xb);
    (index, xb)
}

fn params(selector: &Selector) -> Params {
    let mut p = null_mut();
    check(unsafe { faissx_SearchParameters_new(&mut p, selector.0) });
    Params(p)
}

/// faissx_Index_search_with_params: its return code, distances and labels.
fn search_rc(index: &Index, q: &[f32], k: usize, params: &Params) -> (c_int, Vec<f32>, Vec<idx_t>) {
    let n = q.len() / index.d();
    let (mut dis, mut lab) = (vec![f32::NAN; n * k], vec![-7; n * k]);
    let rc = unsafe {
        faissx_Index_search_with_params(
            index.ptr(),
            n as idx_t,
            q.as_ptr(),
            k as idx_t,
            params.0,
            dis.as_mut_ptr(),
            lab.as_mut_ptr(),
        )
    };
    (rc, dis, lab)
}

fn factory_rc(d: usize, description: &str) -> c_int {
    let mut p = null_mut();
    let desc = cstr(description);
    let rc = unsafe { faissx_index_factory(&mut p, d as c_int, desc.as_ptr(), METRIC_L2) };
    if rc == 0 {
        drop(Index::from_new(rc, p));
    } else {
        assert!(
            p.is_null(),
            "{description}: a refused index is not handed out"
        );
    }
    rc
}

fn binary_factory_rc(d: usize, description: &str) -> c_int {
    let mut p = null_mut();
    let desc = cstr(description);
    let rc = unsafe { faissx_index_binary_factory(&mut p, d as c_int, desc.as_ptr()) };
    if rc == 0 {
        drop(BinaryIndex::from_new(rc, p));
    } else {
        assert!(
            p.is_null(),
            "{description}: a refused index is not handed out"
        );
    }
    rc
}

#[test]
fn empty_ranges_on_a_flat_index_answer_as_if_nothing_were_selected() {
    for metric in [METRIC_L2, METRIC_INNER_PRODUCT] {
        let (index, xb) = flat(metric);
        let nothing = Selector::batch(&[]);
        let nothing = params(&nothing);
        // 3 queries take FAISS's sequential path, 25 its BLAS path; k = 1, heaps, reservoirs.
        for nq in [3, 25] {
            let q = Rng::new(nq as u64).vectors(nq, D);
            for k in [1, 5, 150] {
                let (rc, want_d, want_l) = search_rc(&index, &q, k, &nothing);
                check(rc);
                assert!(want_l.iter().all(|&l| l == -1));
                for (imin, imax) in [(200, 300), (NB as idx_t, NB as idx_t), (50, 10), (-20, -5)] {
                    let range = Selector::range(imin, imax);
                    let (rc, dis, lab) = search_rc(&index, &q, k, &params(&range));
                    check(rc);
                    assert_eq!(
                        lab, want_l,
                        "metric {metric}, [{imin}, {imax}), nq {nq}, k {k}"
                    );
                    assert_eq!(
                        dis, want_d,
                        "metric {metric}, [{imin}, {imax}), nq {nq}, k {k}"
                    );
                }
            }
        }
        // A range that selects something still searches it.
        let range = Selector::range(90, 300);
        let (dis, lab) = index.search_with_params(&xb[95 * D..96 * D], 3, params(&range).0);
        if metric == METRIC_L2 {
            assert_eq!(lab[0], 95);
        }
        assert!(lab.iter().all(|l| (90..NB as idx_t).contains(l)), "{lab:?}");
        assert!(dis.iter().all(|d| d.is_finite()));
    }
}

#[test]
fn empty_ranges_forwarded_to_a_flat_index_are_refused() {
    let q = Rng::new(3).vectors(2, D);
    let past_end = Selector::range(200, 300);
    let inside = Selector::range(10, 20);

    // IndexPreTransform hands the parameters to its IndexFlat.
    let pre = Index::factory(D, "L2norm,Flat", METRIC_L2);
    pre.add(&Rng::new(5).vectors(NB, D));
    let (rc, _, _) = search_rc(&pre, &q, 4, &params(&past_end));
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &[
            "faissx_Index_search_with_params",
            "IDSelectorRange [200, 300)",
            "IndexPreTransform",
        ],
    );
    let (rc, _, lab) = search_rc(&pre, &q, 4, &params(&inside));
    check(rc);
    assert!(lab.iter().all(|l| (10..20).contains(l)), "{lab:?}");

    // IndexShards hands them to every shard.
    let mut p = null_mut();
    check(unsafe { faissx_IndexShards_new(&mut p, D as idx_t) });
    let shards = Index::from_new(0, p.cast());
    let (a, _) = flat(METRIC_L2);
    let (b, _) = flat(METRIC_L2);
    check(unsafe { faissx_IndexShards_add_shard(shards.ptr().cast(), a.ptr()) });
    check(unsafe { faissx_IndexShards_add_shard(shards.ptr().cast(), b.ptr()) });
    let (rc, _, _) = search_rc(&shards, &q, 4, &params(&past_end));
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["IndexShards", "IDSelectorRange"],
    );
    let (rc, _, _) = search_rc(&shards, &q, 4, &params(&inside));
    check(rc);
    drop(shards);
}

#[test]
fn hnsw_m_outside_2_to_4096_is_refused() {
    for m in [1, 0, -3, 4097, c_int::MAX] {
        let mut p = null_mut();
        let rc = unsafe { faissx_IndexHNSWFlat_new_with(&mut p, D as c_int, m) };
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &[
                "faissx_IndexHNSWFlat_new_with",
                "M must be in 2..=4096",
                &m.to_string(),
            ],
        );
        assert!(p.is_null());
    }
    for description in ["HNSW1", "HNSW5000,Flat", "IVF4_HNSW1,Flat"] {
        let rc = factory_rc(D, description);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_index_factory", "IndexHNSW"],
        );
    }
    expect_err(
        factory_rc(D, "HNSW2147483647"),
        FAISSX_ERR_INVALID_ARGUMENT,
        &[
            "faissx_index_factory",
            "2147483647",
            "more than the 16777216",
        ],
    );
    expect_err(
        factory_rc(D, "HNSW0"),
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_index_factory", "HNSW0", "is 0"],
    );
    expect_err(
        binary_factory_rc(64, "BHNSW1"),
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_index_binary_factory", "IndexBinaryHNSW", "M < 2"],
    );
    // The smallest M FAISS supports works, and its getter reads it.
    let hnsw = Index::factory(D, "HNSW2", METRIC_L2);
    hnsw.add(&Rng::new(1).vectors(50, D));
    assert_eq!(unsafe { faissx_IndexHNSW_M(hnsw.ptr()) }, 2);
    let mut p = null_mut();
    let hnsw = Index::from_new(
        unsafe { faissx_IndexHNSWFlat_new_with(&mut p, D as c_int, 4096) },
        p,
    );
    assert_eq!(unsafe { faissx_IndexHNSW_M(hnsw.ptr()) }, 4096);
}

#[test]
fn zero_sized_quantizers_and_lists_are_refused() {
    for description in [
        "PQ0",
        "IVF4,PQ0",
        "PQ2x0",
        "OPQ0,PQ2",
        "IVF0,Flat",
        "IVF0k,Flat",
        "NSG0",
        "IVF4,PQ2x0",
        "RQ1x0",
    ] {
        expect_err(
            factory_rc(D, description),
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_index_factory", description, "must be >= 1"],
        );
    }
    for description in ["IVF32M,Flat", "IVF99999999,Flat", "IMI2x13,Flat"] {
        expect_err(
            factory_rc(D, description),
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_index_factory", description, "faissx accepts"],
        );
    }
    for description in ["BIVF0", "BIVF-4", "BHash0", "BIVF 4"] {
        let rc = binary_factory_rc(64, description);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_index_binary_factory"],
        );
    }
    // Hashes of more bits than a code or a 64-bit key hold.
    expect_err(
        binary_factory_rc(64, "BHash100"),
        FAISSX_ERR_INVALID_ARGUMENT,
        &["IndexBinaryHash", "b = 100"],
    );
    // The same families with usable parameters still build.
    for description in [
        "PQ2",
        "IVF4,PQ2x4",
        "OPQ2,PQ2",
        "NSG8",
        "IVF4,Flat",
        "SQ8",
        "HNSW8",
    ] {
        check(factory_rc(D, description));
    }
    for description in ["BIVF4", "BHNSW8", "BHash8", "BFlat"] {
        check(binary_factory_rc(64, description));
    }

    // Constructors check the same parameters.
    let mut p = null_mut();
    for (m, nbits) in [(0usize, 8usize), (3, 8), (2, 0), (2, 25)] {
        let rc = unsafe { faissx_IndexPQ_new_with(&mut p, D as c_int, m, nbits, METRIC_L2) };
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IndexPQ_new_with"],
        );
        let quantizer = Index::factory(D, "Flat", METRIC_L2);
        let rc = unsafe { faissx_IndexIVFPQ_new_with(&mut p, quantizer.ptr(), D, 4, m, nbits) };
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IndexIVFPQ_new_with"],
        );
    }
    let quantizer = Index::factory(D, "Flat", METRIC_L2);
    let rc = unsafe { faissx_IndexIVFFlat_new_with(&mut p, quantizer.ptr(), D, 0) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_IndexIVFFlat_new_with", "nlist must be in 1..="],
    );
    let rc = unsafe { faissx_IndexIVFPQ_new_with(&mut p, quantizer.ptr(), D, 0, 2, 8) };
    expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["nlist"]);
    assert!(p.is_null());
    let bq = BinaryIndex::factory(64, "BFlat");
    let mut b = null_mut();
    let rc = unsafe { faissx_IndexBinaryIVF_new_with(&mut b, bq.ptr(), 64, 0) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_IndexBinaryIVF_new_with", "nlist"],
    );
    let mut vt = null_mut();
    for (m, d2) in [(0, -1), (3, -1), (2, 6 - 1)] {
        let rc = unsafe { faissx_OPQMatrix_new_with(&mut vt, D as c_int, m, d2) };
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_OPQMatrix_new_with", "M = "],
        );
    }
}

#[test]
fn long_factory_strings_are_refused_before_faiss_parses_them() {
    let long = "L2norm,".repeat(1000) + "Flat";
    let rc = factory_rc(D, &long);
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_index_factory", "7004 bytes", "1024"],
    );
    let rc = binary_factory_rc(64, &"B".repeat(5000));
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_index_binary_factory", "1024"],
    );
    // A long description within the bound still builds.
    check(factory_rc(D, &("L2norm,".repeat(100) + "Flat")));
}

/// faissx_Index_reconstruct_n's return code.
fn reconstruct_n_rc(index: &Index, i0: idx_t, n: usize) -> c_int {
    let mut out = vec![0f32; n * index.d()];
    unsafe { faissx_Index_reconstruct_n(index.ptr(), i0, n as idx_t, out.as_mut_ptr()) }
}

#[test]
fn reconstructing_missing_ids_is_an_error() {
    let xb = Rng::new(2).vectors(3, D);
    let ids = [10, 20, 30];
    let sub = Index::factory(D, "Flat", METRIC_L2);
    let mut p = null_mut();
    let map2 = Index::from_new(unsafe { faissx_IndexIDMap2_new(&mut p, sub.ptr()) }, p);
    map2.add_with_ids(&xb, &ids);
    for (i0, n) in [(10, 3), (10, 2), (29, 2), (31, 1)] {
        let rc = reconstruct_n_rc(&map2, i0, n);
        expect_err(
            rc,
            FAISSX_ERR_FAISS,
            &["faissx_Index_reconstruct_n", "not found"],
        );
    }
    let mut out = vec![0f32; D];
    check(unsafe { faissx_Index_reconstruct_n(map2.ptr(), 20, 1, out.as_mut_ptr()) });
    assert_eq!(out, &xb[D..2 * D]);

    // A plain IDMap cannot reconstruct at all, and said so from inside OpenMP.
    let sub1 = Index::factory(D, "Flat", METRIC_L2);
    let map = Index::from_new(unsafe { faissx_IndexIDMap_new(&mut p, sub1.ptr()) }, p);
    map.add_with_ids(&xb, &ids);
    expect_err(
        reconstruct_n_rc(&map, 10, 2),
        FAISSX_ERR_FAISS,
        &["faissx_Index_reconstruct_n"],
    );

    // HNSW's storage was read past its end (or thrown from, inside OpenMP).
    let hnsw = Index::factory(D, "HNSW8", METRIC_L2);
    hnsw.add(&Rng::new(4).vectors(10, D));
    for (i0, n) in [(5, 10), (-1, 2), (0, 11)] {
        let rc = reconstruct_n_rc(&hnsw, i0, n);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_reconstruct_n", "out of range (ntotal = 10)"],
        );
    }
    let rc = unsafe { faissx_Index_reconstruct(hnsw.ptr(), -5, out.as_mut_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_Index_reconstruct", "out of range"],
    );
    check(reconstruct_n_rc(&hnsw, 0, 10));

    // Residuals reconstruct inside OpenMP too.
    let keys = [10, 11];
    let mut residuals = vec![0f32; 2 * D];
    let rc = unsafe {
        faissx_Index_compute_residual_n(
            map2.ptr(),
            2,
            xb.as_ptr(),
            residuals.as_mut_ptr(),
            keys.as_ptr(),
        )
    };
    expect_err(
        rc,
        FAISSX_ERR_FAISS,
        &["faissx_Index_compute_residual_n", "not found"],
    );
    let keys = [10, 30];
    check(unsafe {
        faissx_Index_compute_residual_n(
            map2.ptr(),
            2,
            xb.as_ptr(),
            residuals.as_mut_ptr(),
            keys.as_ptr(),
        )
    });
    assert!(residuals[..D].iter().all(|&r| r == 0.0));
    let quantizer = Index::factory(D, "Flat", METRIC_L2);
    let mut p = null_mut();
    let ivf = Index::from_new(
        unsafe { faissx_IndexIVFFlat_new_with(&mut p, quantizer.ptr(), D, 2) },
        p,
    );
    let train = Rng::new(6).vectors(100, D);
    ivf.train(&train);
    ivf.add(&train);
    // No direct map: reconstructing by id is FAISS's error, not a terminated process.
    let rc = unsafe {
        faissx_Index_compute_residual_n(
            ivf.ptr(),
            2,
            xb.as_ptr(),
            residuals.as_mut_ptr(),
            [0, 1].as_ptr(),
        )
    };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_Index_compute_residual_n"]);
    check(unsafe { faissx_IndexIVF_make_direct_map(ivf.ptr(), 1) });
    check(reconstruct_n_rc(&ivf, 0, 100));
}

#[test]
fn binary_ivf_reconstruct_n_writes_only_its_codes() {
    const BITS: usize = 64;
    const N: usize = 16;
    let codes = Rng::new(8).bytes(N * BITS / 8);
    let quantizer = BinaryIndex::factory(BITS, "BFlat");
    let mut p = null_mut();
    let ivf = BinaryIndex::from_new(
        unsafe { faissx_IndexBinaryIVF_new_with(&mut p, quantizer.ptr(), BITS, 2) },
        p,
    );
    ivf.train(&codes);
    ivf.add(&codes);
    // FAISS's own loop put code i at i * d, d in bits: eight times past its place, out of a
    // buffer of N codes. The guard after the N codes must stay as it is.
    let mut out = vec![0xAAu8; N * BITS];
    check(unsafe { faissx_IndexBinary_reconstruct_n(ivf.ptr(), 0, N as idx_t, out.as_mut_ptr()) });
    assert_eq!(&out[..codes.len()], &codes[..]);
    assert!(out[codes.len()..].iter().all(|&b| b == 0xAA));
    let rc = unsafe { faissx_IndexBinary_reconstruct_n(ivf.ptr(), 8, 9, out.as_mut_ptr()) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_IndexBinary_reconstruct_n"]);

    let hnsw = BinaryIndex::factory(BITS, "BHNSW8");
    hnsw.add(&codes);
    let rc = unsafe { faissx_IndexBinary_reconstruct_n(hnsw.ptr(), 10, 10, out.as_mut_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_IndexBinary_reconstruct_n", "out of range"],
    );
}

#[test]
fn components_that_are_not_finite_or_overflow_are_refused() {
    let hnsw = Index::factory(D, "HNSW8", METRIC_L2);
    let xb = Rng::new(11).vectors(50, D);
    hnsw.add(&xb);
    // FAISS's HNSW candidate loop spun forever on NaN distances: from NaN or infinite
    // components, or from products that overflow.
    for bad in [f32::NAN, f32::INFINITY, f32::MIN, 1e16] {
        let mut q = xb[..2 * D].to_vec();
        q[D + 3] = bad;
        let (mut dis, mut lab) = (vec![0f32; 2 * 4], vec![0; 2 * 4]);
        let rc = unsafe {
            faissx_Index_search(
                hnsw.ptr(),
                2,
                q.as_ptr(),
                4,
                dis.as_mut_ptr(),
                lab.as_mut_ptr(),
            )
        };
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_search", "component 11", "at most 1e15"],
        );
        let rc = unsafe { faissx_Index_add(hnsw.ptr(), 2, q.as_ptr()) };
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_add", "component 11"],
        );
    }
    assert_eq!(hnsw.ntotal(), 50, "refused adds added nothing");
    // FAISS allocates efSearch candidates per thread inside OpenMP: 2^31 of them aborted.
    unsafe { faissx_IndexHNSW_set_efSearch(hnsw.ptr(), c_int::MAX) };
    expect_message(&[
        "faissx_IndexHNSW_set_efSearch",
        "efSearch must be in 1..=1048576",
    ]);
    let mut sp = null_mut();
    let rc = unsafe { faissx_SearchParametersHNSW_new_with(&mut sp, null_mut(), c_int::MAX) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_SearchParametersHNSW_new_with", "efSearch"],
    );
    let (_, lab) = hnsw.search(&xb[..D], 1);
    assert_eq!(lab, [0]);

    // A flat quantizer's nearest-centroid kernel (k = 1, 20 queries or more) returned list
    // numbers past nlist for NaN distances: the IVF's search threw inside OpenMP.
    let ivf = Index::factory(D, "IVF4,Flat", METRIC_L2);
    let train = Rng::new(12).vectors(200, D);
    ivf.train(&train);
    ivf.add(&train);
    let mut q = train[..64 * D].to_vec();
    q[0] = f32::NAN;
    let (mut dis, mut lab) = (vec![0f32; 64 * 4], vec![0; 64 * 4]);
    let rc = unsafe {
        faissx_Index_search(
            ivf.ptr(),
            64,
            q.as_ptr(),
            4,
            dis.as_mut_ptr(),
            lab.as_mut_ptr(),
        )
    };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_Index_search", "component 0"],
    );

    let rc = unsafe { faissx_Index_train(ivf.ptr(), 64, q.as_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_Index_train", "component 0"],
    );
}

#[test]
fn an_ivf_whose_quantizer_grew_is_refused() {
    let quantizer = Index::factory(D, "Flat", METRIC_L2);
    let mut p = null_mut();
    let ivf = Index::from_new(
        unsafe { faissx_IndexIVFFlat_new_with(&mut p, quantizer.ptr(), D, 4) },
        p,
    );
    let xb = Rng::new(13).vectors(200, D);
    ivf.train(&xb);
    ivf.add(&xb);
    // The quantizer is borrowed and still writable: 14 centroids for 4 lists make FAISS add
    // to lists that do not exist.
    quantizer.add(&xb[..10 * D]);
    let rc = unsafe { faissx_Index_add(ivf.ptr(), 10, xb.as_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &[
            "faissx_Index_add",
            "holds 14 centroids for 4 inverted lists",
        ],
    );
    let (mut dis, mut lab) = (vec![0f32; 4], vec![0; 4]);
    let rc = unsafe {
        faissx_Index_search(
            ivf.ptr(),
            1,
            xb.as_ptr(),
            4,
            dis.as_mut_ptr(),
            lab.as_mut_ptr(),
        )
    };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_Index_search", "quantizer"],
    );
    assert_eq!(ivf.ntotal(), 200);
    // Training rebuilds the quantizer, so it is not refused.
    ivf.train(&xb);

    const BITS: usize = 64;
    let codes = Rng::new(14).bytes(64 * BITS / 8);
    let bq = BinaryIndex::factory(BITS, "BFlat");
    let mut b = null_mut();
    let bivf = BinaryIndex::from_new(
        unsafe { faissx_IndexBinaryIVF_new_with(&mut b, bq.ptr(), BITS, 2) },
        b,
    );
    bivf.train(&codes);
    bivf.add(&codes);
    // Binary IVF checks list numbers inside OpenMP: its exception terminated the process.
    let cidx = [1, 5];
    let cdis = [0, 0];
    let (mut dis, mut lab) = (vec![0i32; 2], vec![0; 2]);
    let rc = unsafe {
        faissx_IndexBinaryIVF_search_preassigned(
            bivf.ptr(),
            1,
            codes.as_ptr(),
            2,
            cidx.as_ptr(),
            cdis.as_ptr(),
            dis.as_mut_ptr(),
            lab.as_mut_ptr(),
            0,
            null_mut(),
        )
    };
    assert_eq!(unsafe { faissx_IndexBinaryIVF_nprobe(bivf.ptr()) }, 1);
    check(rc);
    unsafe { faissx_IndexBinaryIVF_set_nprobe(bivf.ptr(), 2) };
    let rc = unsafe {
        faissx_IndexBinaryIVF_search_preassigned(
            bivf.ptr(),
            1,
            codes.as_ptr(),
            2,
            cidx.as_ptr(),
            cdis.as_ptr(),
            dis.as_mut_ptr(),
            lab.as_mut_ptr(),
            0,
            null_mut(),
        )
    };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &[
            "faissx_IndexBinaryIVF_search_preassigned",
            "cidx[1] = 5",
            "nlist = 2",
        ],
    );
    bq.add(&codes[..3 * BITS / 8]);
    let (mut dis, mut lab) = (vec![0i32; 2], vec![0; 2]);
    let rc = unsafe {
        faissx_IndexBinary_search(
            bivf.ptr(),
            1,
            codes.as_ptr(),
            2,
            dis.as_mut_ptr(),
            lab.as_mut_ptr(),
        )
    };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_IndexBinary_search", "holds 5 centroids"],
    );
}

#[test]
fn an_id_map_whose_index_was_written_to_directly_is_refused() {
    let xb = Rng::new(17).vectors(20, D);
    let ids: Vec<idx_t> = (100..120).collect();
    let sub = Index::factory(D, "Flat", METRIC_L2);
    let mut p = null_mut();
    let map = Index::from_new(unsafe { faissx_IndexIDMap_new(&mut p, sub.ptr()) }, p);
    map.add_with_ids(&xb, &ids);
    // 1000 vectors behind the map's 20 ids: FAISS looked their ids up past the table's end.
    sub.add(&Rng::new(18).vectors(1000, D));
    let (mut dis, mut lab) = (vec![0f32; 5], vec![0; 5]);
    let rc = unsafe {
        faissx_Index_search(
            map.ptr(),
            1,
            xb.as_ptr(),
            5,
            dis.as_mut_ptr(),
            lab.as_mut_ptr(),
        )
    };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_Index_search", "holds 1020 vectors for 20 ids"],
    );
    // FAISS asserted (an abort) that the map and its index agree.
    let all = Selector::range(0, 1000);
    let rc = unsafe { faissx_Index_remove_ids(map.ptr(), all.0, null_mut()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_Index_remove_ids", "1020 vectors"],
    );

    // IndexIDMap2::merge_from cleared a plain IDMap's (missing) reverse map.
    let sub2 = Index::factory(D, "Flat", METRIC_L2);
    let map2 = Index::from_new(unsafe { faissx_IndexIDMap2_new(&mut p, sub2.ptr()) }, p);
    let sub3 = Index::factory(D, "Flat", METRIC_L2);
    let plain = Index::from_new(unsafe { faissx_IndexIDMap_new(&mut p, sub3.ptr()) }, p);
    plain.add_with_ids(&xb, &ids);
    let rc = unsafe { faissx_Index_merge_from(map2.ptr(), plain.ptr(), 0) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &[
            "faissx_Index_merge_from",
            "an IndexIDMap2 merges only from another IndexIDMap2",
        ],
    );
    assert_eq!(plain.ntotal(), 20);
}

#[test]
fn ivf_scanners_refuse_metrics_they_cannot_scan() {
    // IVF scalar quantizers terminated the process (an exception inside OpenMP), IVFPQ
    // segfaulted, on their first search with another metric than L2 or inner product.
    for description in ["IVF4,SQ8", "IVF4,PQ2x4"] {
        let mut p = null_mut();
        let desc = cstr(description);
        let rc = unsafe { faissx_index_factory(&mut p, D as c_int, desc.as_ptr(), METRIC_L1) };
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &[
                "faissx_index_factory",
                "is not supported (only L2 and inner product)",
            ],
        );
        assert!(p.is_null());
    }
    let quantizer = Index::factory(D, "Flat", METRIC_L1);
    let mut p = null_mut();
    let rc = unsafe {
        faissx_IndexIVFPQ_new_with_metric(&mut p, quantizer.ptr(), D, 4, 2, 4, METRIC_Linf)
    };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_IndexIVFPQ_new_with_metric", "L2 and inner product"],
    );
    // IVFFlat scans any metric.
    check(factory_rc(D, "IVF4,Flat"));
}

#[test]
fn training_on_no_vectors_is_refused() {
    // A trained IVF scalar quantizer read the first of no vectors when trained again.
    let ivf = Index::factory(D, "IVF4,SQ8", METRIC_L2);
    let xb = Rng::new(21).vectors(200, D);
    ivf.train(&xb);
    let rc = unsafe { faissx_Index_train(ivf.ptr(), 0, xb.as_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_Index_train", "n = 0"],
    );
    let bivf = BinaryIndex::factory(64, "BIVF2");
    let rc = unsafe { faissx_IndexBinary_train(bivf.ptr(), 0, [0u8; 8].as_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_IndexBinary_train", "n = 0"],
    );
}

#[test]
fn searching_nothing_answers_nothing() {
    let sub = Index::factory(D, "Flat", METRIC_INNER_PRODUCT);
    let mut p = null_mut();
    let map = Index::from_new(unsafe { faissx_IndexIDMap_new(&mut p, sub.ptr()) }, p);
    // 25 queries take FAISS's BLAS path, which returns without writing a result when there
    // is nothing to search: the IDMap looked up ids at what the caller's buffer held (-7).
    let q = Rng::new(25).vectors(25, D);
    let (dis, lab) = map.search(&q, 3);
    assert_eq!(lab, [-1; 75]);
    assert_eq!(dis, [f32::MIN; 75]);
    let mut labels = vec![7; 75];
    check(unsafe { faissx_Index_assign(map.ptr(), 25, q.as_ptr(), labels.as_mut_ptr(), 3) });
    assert_eq!(labels, [-1; 75]);

    // An untrained IVF searched its empty quantizer the same way, then its lists at those
    // uninitialized numbers.
    let ivf = Index::factory(D, "IVF4,Flat", METRIC_L2);
    let (mut dis, mut lab) = (vec![0f32; 75], vec![0; 75]);
    let rc = unsafe {
        faissx_Index_search(
            ivf.ptr(),
            25,
            q.as_ptr(),
            3,
            dis.as_mut_ptr(),
            lab.as_mut_ptr(),
        )
    };
    expect_err(
        rc,
        FAISSX_ERR_FAISS,
        &["faissx_Index_search", "not trained"],
    );
}

/// Reads `index`'s file back with FAISS's `io_flags`.
fn read_back(index: &Index, io_flags: c_int) -> Index {
    let file = TempFile::new("mapped");
    check(unsafe {
        faissx::ffi::index_io::faissx_write_index_fname(index.ptr(), file.c_path().as_ptr())
    });
    let mut p = null_mut();
    Index::from_new(
        unsafe {
            faissx::ffi::index_io::faissx_read_index_fname(file.c_path().as_ptr(), io_flags, &mut p)
        },
        p,
    )
}

/// FAISS's IO_FLAG_MMAP and IO_FLAG_MMAP_IFC (index_io.h).
const IO_FLAG_MMAP: c_int = 8 | 0x646f_0000;
const IO_FLAG_MMAP_IFC: c_int = 1 << 9;

#[test]
fn writes_to_indexes_mapped_from_their_file_are_refused() {
    let xb = Rng::new(3).vectors(NB, D);
    let ivf = Index::factory(D, "IVF4,Flat", METRIC_L2);
    ivf.train(&xb);
    ivf.add(&xb);
    let (flat, _) = flat(METRIC_L2);
    for (source, flags) in [
        (&ivf, IO_FLAG_MMAP),
        (&ivf, IO_FLAG_MMAP_IFC),
        (&flat, IO_FLAG_MMAP_IFC),
    ] {
        let mapped = read_back(source, flags);
        // Searches read the mapped file as FAISS does.
        assert_eq!(mapped.search(&xb[..D], 1).1, source.search(&xb[..D], 1).1);
        // FAISS throws inside OpenMP (IO_FLAG_MMAP) or asserts (IO_FLAG_MMAP_IFC) on a write:
        // either ended the process.
        let rc = unsafe { faissx_Index_add(mapped.ptr(), 1, xb.as_ptr()) };
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["mapped", "read it without the flag"],
        );
        expect_err(
            unsafe { faissx_Index_reset(mapped.ptr()) },
            FAISSX_ERR_INVALID_ARGUMENT,
            &["mapped"],
        );
        assert_eq!(mapped.ntotal(), NB);
    }
}

thread_local! {
    static WRITTEN: std::cell::RefCell<(Vec<u8>, usize)> = Default::default();
}

unsafe extern "C" fn write_bytes(ptr: *const std::ffi::c_void, size: usize, n: usize) -> usize {
    let bytes = std::slice::from_raw_parts(ptr.cast::<u8>(), size * n);
    WRITTEN.with(|w| w.borrow_mut().0.extend_from_slice(bytes));
    n
}

unsafe extern "C" fn read_bytes(ptr: *mut std::ffi::c_void, size: usize, n: usize) -> usize {
    WRITTEN.with(|w| {
        let (data, at) = &mut *w.borrow_mut();
        let items = n.min((data.len() - *at) / size.max(1));
        std::ptr::copy_nonoverlapping(data[*at..].as_ptr(), ptr.cast::<u8>(), items * size);
        *at += items * size;
        items
    })
}

#[test]
fn an_hnsw_written_without_its_storage_is_refused_not_searched() {
    use faissx::ffi::index_io::*;
    use faissx::ffi::io::*;
    let xb = Rng::new(4).vectors(NB, D);
    let hnsw = Index::factory(D, "HNSW8", METRIC_L2);
    hnsw.add(&xb);
    // Flag 1 is IO_FLAG_SKIP_STORAGE in FAISS 1.12, and what FAISS's C API calls
    // FAISS_IO_FLAG_MMAP: the graph is written without its vectors.
    let (mut writer, mut reader) = (null_mut(), null_mut());
    unsafe {
        check(faissx_CustomIOWriter_new(&mut writer, Some(write_bytes)));
        check(faissx_write_index_custom(hnsw.ptr(), writer.cast(), 1));
        faissx_CustomIOWriter_free(writer);
        check(faissx_CustomIOReader_new(&mut reader, Some(read_bytes)));
    }
    let mut p = null_mut();
    let read = Index::from_new(
        unsafe { faissx_read_index_custom(reader.cast(), 0, &mut p) },
        p,
    );
    unsafe { faissx_CustomIOReader_free(reader) };
    let (mut distances, mut labels) = (vec![0f32; 1], vec![0 as idx_t; 1]);
    let rc = unsafe {
        faissx_Index_search(
            read.ptr(),
            1,
            xb.as_ptr(),
            1,
            distances.as_mut_ptr(),
            labels.as_mut_ptr(),
        )
    };
    expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["no storage"]);
    let rc = unsafe { faissx_Index_add(read.ptr(), 1, xb.as_ptr()) };
    expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["no storage"]);
}

#[test]
fn scalar_quantizers_that_were_never_trained_are_refused() {
    // Found by the server fuzzer: an IVF over a quantizer that already holds its centroids
    // searches before it is trained (FAISS's IVF search does not check is_trained), and the
    // scalar quantizer's decoder reads its empty table of trained ranges.
    let quantizer = Index::factory(D, "Flat", METRIC_L2);
    quantizer.add(&Rng::new(3).vectors(16, D));
    let queries = Rng::new(4).vectors(3, D);
    for qt in [QT_8bit, QT_4bit, QT_8bit_uniform, QT_4bit_uniform, QT_6bit] {
        let mut p = null_mut();
        let rc = unsafe {
            faissx_IndexIVFScalarQuantizer_new_with(&mut p, quantizer.ptr(), D as idx_t, 16, qt)
        };
        let ivf = Index::from_new(rc, p.cast());
        let (rc, _, _) = search_rc(&ivf, &queries, 4, &Params(null_mut()));
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["IndexIVFScalarQuantizer", "not trained"],
        );
        let mut labels = vec![0; 3 * 4];
        let rc =
            unsafe { faissx_Index_assign(ivf.ptr(), 3, queries.as_ptr(), labels.as_mut_ptr(), 4) };
        expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["not trained"]);
    }
    // Standalone codes go through the same decoder.
    let sq = Index::factory(D, "SQ8", METRIC_L2);
    let mut codes = vec![0u8; 3 * D];
    let rc = unsafe { faissx_Index_sa_encode(sq.ptr(), 3, queries.as_ptr(), codes.as_mut_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["IndexScalarQuantizer", "not trained"],
    );
    let mut decoded = vec![0f32; 3 * D];
    let rc = unsafe { faissx_Index_sa_decode(sq.ptr(), 3, codes.as_ptr(), decoded.as_mut_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["IndexScalarQuantizer", "not trained"],
    );
    // Types whose codes need no trained ranges search as FAISS does: nothing found yet.
    let mut p = null_mut();
    let rc = unsafe {
        faissx_IndexIVFScalarQuantizer_new_with(&mut p, quantizer.ptr(), D as idx_t, 16, QT_fp16)
    };
    let ivf = Index::from_new(rc, p.cast());
    let (rc, _, labels) = search_rc(&ivf, &queries, 4, &Params(null_mut()));
    check(rc);
    assert!(labels.iter().all(|&l| l == -1));
}

#[test]
fn pre_transforms_with_an_untrained_transform_are_refused() {
    // Found by the server fuzzer: a transform put in front of an index that already holds
    // vectors is untrained; FAISS reverses it (an empty matrix) to reconstruct.
    let (flat, xb) = flat(METRIC_L2);
    let mut rotation = null_mut();
    check(unsafe { faissx_RandomRotationMatrix_new_with(&mut rotation, D as c_int, D as c_int) });
    let mut p = null_mut();
    let rc =
        unsafe { faissx_IndexPreTransform_new_with_transform(&mut p, rotation.cast(), flat.ptr()) };
    let index = Index::from_new(rc, p.cast());
    assert_eq!(index.ntotal(), NB);
    let mut out = vec![0f32; 4 * D];
    let rc = unsafe { faissx_Index_reconstruct_n(index.ptr(), 0, 4, out.as_mut_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["IndexPreTransform", "not trained"],
    );
    let rc = unsafe { faissx_Index_reconstruct(index.ptr(), 1, out.as_mut_ptr()) };
    expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["not trained"]);
    // Trained, it reconstructs what was added.
    index.train(&xb);
    check(unsafe { faissx_Index_reconstruct(index.ptr(), 1, out.as_mut_ptr()) });
    drop(index);
    unsafe { faissx_VectorTransform_free(rotation.cast()) };
}

#[test]
fn transforms_read_with_dimensions_their_matrices_lack_are_refused() {
    // Found by the server fuzzer: FAISS checks a LinearTransform's matrix against d_in × d_out
    // before it reads them (both still 0), so a file can give dimensions far past the matrix,
    // which applying or reversing the transform then reads.
    let (_, xb) = flat(METRIC_L2);
    let index = Index::factory(D, "RR8,Flat", METRIC_L2);
    index.train(&xb);
    index.add(&xb);
    let mut bytes = index.to_bytes();
    // The same rotation on its own (FAISS seeds it alike), to find it inside the file.
    let mut rotation = null_mut();
    check(unsafe { faissx_RandomRotationMatrix_new_with(&mut rotation, D as c_int, D as c_int) });
    check(unsafe { faissx_VectorTransform_train(rotation.cast(), NB as idx_t, xb.as_ptr()) });
    let (mut size, mut buf) = (0usize, null_mut());
    let rc = unsafe {
        faissx::local::shim::faissx_shim_write_VectorTransform(
            rotation.cast_const().cast(),
            &mut size,
            &mut buf,
        )
    };
    assert_eq!(rc, 0);
    let alone = unsafe { std::slice::from_raw_parts(buf, size) }.to_vec();
    unsafe {
        libc::free(buf.cast());
        faissx_VectorTransform_free(rotation.cast());
    }
    let at = bytes
        .windows(alone.len())
        .position(|w| w == alone)
        .expect("the rotation inside the index's file");
    // Its d_in (then d_out, then is_trained) closes the transform's bytes.
    let d_in = at + alone.len() - 9;
    assert!(
        Index::from_bytes(&bytes).ntotal() == NB,
        "the file reads back as written"
    );
    bytes[d_in..d_in + 4].copy_from_slice(&4096i32.to_le_bytes());
    // The reader of bytes nobody vouches for (a client's upload, a file in --data-dir).
    let refused = faissx::local::index::LocalIndex::load(&bytes, false)
        .err()
        .expect("a transform of dimension 4096 over 64 matrix values is refused");
    assert!(
        refused.message.contains("IndexPreTransform"),
        "{}",
        refused.message
    );
}

#[test]
fn range_searches_into_results_they_cannot_fill_are_refused() {
    use faissx::ffi::aux_index_structures::*;
    let (index, xb) = flat(METRIC_L2);
    let range_search = |result: *mut FaissRangeSearchResult| unsafe {
        faissx_Index_range_search(index.ptr(), 2, xb.as_ptr(), 1.0, result)
    };
    // FAISS writes the counts through lims, which a result made with alloc_lims = 0 lacks.
    let mut without_lims = null_mut();
    check(unsafe { faissx_RangeSearchResult_new_with(&mut without_lims, 2, 0) });
    expect_err(
        range_search(without_lims),
        FAISSX_ERR_INVALID_ARGUMENT,
        &["no lims"],
    );
    // A filled result would be allocated again from inside FAISS's threads, which throws
    // through OpenMP: the process ended.
    let mut result = null_mut();
    check(unsafe { faissx_RangeSearchResult_new(&mut result, 2) });
    check(range_search(result));
    expect_err(
        range_search(result),
        FAISSX_ERR_INVALID_ARGUMENT,
        &["already holds"],
    );
    unsafe {
        faissx_RangeSearchResult_free(without_lims);
        faissx_RangeSearchResult_free(result);
    }
}
