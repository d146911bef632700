//! The error contract shared by every export: bad arguments come back as
//! FAISSX_ERR_INVALID_ARGUMENT, FAISS's refusals as FAISSX_ERR_FAISS, each with a message that
//! names the function and what was wrong, kept per thread; nothing crashes.

mod common;

use common::*;
use faissx::ffi::aux_index_structures::*;
use faissx::ffi::clustering::*;
use faissx::ffi::index::*;
use faissx::ffi::index_binary::*;
use faissx::ffi::index_binary_flat::*;
use faissx::ffi::index_binary_ivf::*;
use faissx::ffi::index_factory::*;
use faissx::ffi::index_flat::*;
use faissx::ffi::index_hnsw::*;
use faissx::ffi::index_io::*;
use faissx::ffi::index_ivf::*;
use faissx::ffi::index_ivf_flat::*;
use faissx::ffi::index_pq::*;
use faissx::ffi::index_scalar_quantizer::*;
use faissx::ffi::meta_indexes::*;
use faissx::ffi::types::*;
use faissx::ffi::vector_transform::*;
use std::ptr::{null, null_mut};
use std::sync::{Arc, Barrier};

const D: usize = 8;

fn flat() -> Index {
    let mut p = null_mut();
    Index::from_new(
        unsafe { faissx_IndexFlatL2_new_with(&mut p, D as idx_t) },
        p,
    )
}

#[test]
fn null_handles_are_refused() {
    let x = [0.0f32; D];
    let (mut dis, mut lab) = ([0.0f32; 1], [0 as idx_t; 1]);
    unsafe {
        let rc = faissx_Index_add(null_mut(), 1, x.as_ptr());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_add", "index is NULL"],
        );
        let rc = faissx_Index_search(null(), 1, x.as_ptr(), 1, dis.as_mut_ptr(), lab.as_mut_ptr());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_search", "index is NULL"],
        );
        let rc = faissx_Index_train(null_mut(), 1, x.as_ptr());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_train", "index is NULL"],
        );
        let rc = faissx_Index_reset(null_mut());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_reset", "index is NULL"],
        );
        let rc = faissx_IndexBinary_add(null_mut(), 1, [0u8].as_ptr());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IndexBinary_add", "index is NULL"],
        );
        let rc = faissx_IndexIVF_make_direct_map(null_mut(), 1);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IndexIVF_make_direct_map", "NULL"],
        );
        let rc = faissx_Clustering_train(null_mut(), 1, x.as_ptr(), null_mut());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Clustering_train", "NULL"],
        );
        let rc = faissx_VectorTransform_train(null_mut(), 1, x.as_ptr());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_VectorTransform_train", "NULL"],
        );
        let rc = faissx_write_index_fname(null(), cstr("/tmp/x").as_ptr());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_write_index_fname", "idx is NULL"],
        );
        // DistanceComputer has no constructor in the C API; NULL is all a caller can pass wrong.
        let rc = faissx_DistanceComputer_set_query(null_mut(), x.as_ptr());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_DistanceComputer_set_query", "NULL"],
        );
        let mut out = 0.0;
        let rc = faissx_DistanceComputer_vector_to_query_dis(null_mut(), 0, &mut out);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_DistanceComputer_vector_to_query_dis", "NULL"],
        );
        let rc = faissx_DistanceComputer_symmetric_dis(null_mut(), 0, 1, &mut out);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_DistanceComputer_symmetric_dis", "NULL"],
        );
        faissx_DistanceComputer_free(null_mut());
    }
}

#[test]
fn getters_on_null_return_zero_and_say_why() {
    unsafe {
        assert_eq!(faissx_Index_d(null()), 0);
        expect_message(&["faissx_Index_d", "NULL"]);
        assert_eq!(faissx_Index_ntotal(null()), 0);
        expect_message(&["faissx_Index_ntotal", "NULL"]);
        assert_eq!(faissx_Index_is_trained(null()), 0);
        expect_message(&["faissx_Index_is_trained", "NULL"]);
        assert_eq!(faissx_Index_metric_type(null()), u32::MAX);
        expect_message(&["faissx_Index_metric_type", "NULL"]);
        faissx_Index_set_verbose(null_mut(), 1);
        expect_message(&["faissx_Index_set_verbose", "NULL"]);
        assert_eq!(faissx_IndexIVF_nlist(null()), 0);
        expect_message(&["faissx_IndexIVF_nlist", "NULL"]);
        assert!(faissx_IndexIVF_quantizer(null()).is_null());
        expect_message(&["faissx_IndexIVF_quantizer", "NULL"]);
        assert_eq!(faissx_IndexBinary_ntotal(null()), 0);
        expect_message(&["faissx_IndexBinary_ntotal", "NULL"]);
        assert_eq!(faissx_IndexBinaryIVF_nprobe(null()), 0);
        expect_message(&["faissx_IndexBinaryIVF_nprobe", "NULL"]);
        assert_eq!(faissx_RangeSearchResult_nq(null()), 0);
        expect_message(&["faissx_RangeSearchResult_nq", "NULL"]);
        assert_eq!(faissx_IDSelector_is_member(null(), 3), 0);
        expect_message(&["faissx_IDSelector_is_member", "NULL"]);
        assert_eq!(faissx_Clustering_k(null()), 0);
        expect_message(&["faissx_Clustering_k", "NULL"]);
        assert_eq!(faissx_VectorTransform_d_out(null()), 0);
        expect_message(&["faissx_VectorTransform_d_out", "NULL"]);
        assert!(faissx_IndexIDMap_sub_index(null_mut()).is_null());
        expect_message(&["faissx_IndexIDMap_sub_index", "NULL"]);
        assert_eq!(faissx_SearchParametersHNSW_efSearch(null()), 0);
        expect_message(&["faissx_SearchParametersHNSW_efSearch", "NULL"]);
        assert_eq!(faissx_IndexPQ_nbits(null()), 0);
        expect_message(&["faissx_IndexPQ_nbits", "NULL"]);
        let mut size = 7usize;
        let mut xb = null_mut();
        faissx_IndexFlat_xb(null_mut(), &mut xb, &mut size);
        expect_message(&["faissx_IndexFlat_xb", "NULL"]);
        assert!(xb.is_null());
    }
}

#[test]
fn frees_accept_null_silently() {
    let rc = unsafe { faissx_Index_reset(null_mut()) };
    assert_eq!(rc, FAISSX_ERR_INVALID_ARGUMENT);
    let before = last_error();
    unsafe {
        faissx_Index_free(null_mut());
        faissx_IndexBinary_free(null_mut());
        faissx_RangeSearchResult_free(null_mut());
        faissx_IDSelector_free(null_mut());
        faissx_SearchParameters_free(null_mut());
        faissx_Clustering_free(null_mut());
        faissx_VectorTransform_free(null_mut());
        faissx_free_buf(null_mut());
    }
    assert_eq!(last_error(), before);
}

#[test]
fn casts_of_null_are_null_and_say_so() {
    type Cast = unsafe extern "C" fn(*mut FaissIndex) -> *mut FaissIndex;
    let casts: [(&str, Cast); 6] = [
        ("faissx_IndexIVF_cast", faissx_IndexIVF_cast),
        ("faissx_IndexFlat_cast", faissx_IndexFlat_cast),
        ("faissx_IndexIDMap_cast", faissx_IndexIDMap_cast),
        ("faissx_IndexHNSW_cast", faissx_IndexHNSW_cast),
        ("faissx_IndexPQ_cast", faissx_IndexPQ_cast),
        (
            "faissx_IndexScalarQuantizer_cast",
            faissx_IndexScalarQuantizer_cast,
        ),
    ];
    for (name, cast) in casts {
        assert!(unsafe { cast(null_mut()) }.is_null());
        expect_message(&[name, "NULL"]);
    }
    assert!(unsafe { faissx_IndexBinaryIVF_cast(null_mut()) }.is_null());
    expect_message(&["faissx_IndexBinaryIVF_cast", "NULL"]);
    // A handle of another type casts to NULL too.
    let index = flat();
    for (name, cast) in casts.iter().skip(2).chain(&casts[..1]) {
        assert!(
            unsafe { cast(index.ptr()) }.is_null(),
            "{name} of a flat index"
        );
    }
}

#[test]
fn null_out_pointers_are_refused() {
    unsafe {
        let rc = faissx_IndexFlatL2_new_with(null_mut(), D as idx_t);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IndexFlatL2_new_with", "NULL"],
        );
        let rc = faissx_index_factory(null_mut(), D as i32, cstr("Flat").as_ptr(), METRIC_L2);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_index_factory", "p_index is NULL"],
        );
        let mut p = null_mut();
        let rc = faissx_index_factory(&mut p, D as i32, null(), METRIC_L2);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_index_factory", "description is NULL"],
        );
        let rc = faissx_read_index_fname(cstr("/tmp/x").as_ptr(), 0, null_mut());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_read_index_fname", "p_out is NULL"],
        );
        let rc = faissx_read_index_fname(null(), 0, &mut p);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_read_index_fname", "fname is NULL"],
        );
        let index = flat();
        let rc = faissx_write_index_buf(index.ptr(), null_mut(), null_mut());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_write_index_buf", "p_size is NULL"],
        );
        let rc = faissx_RangeSearchResult_new(null_mut(), 1);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_RangeSearchResult_new", "NULL"],
        );
        let rc = faissx_Index_sa_code_size(index.ptr(), null_mut());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_sa_code_size", "size is NULL"],
        );
        let rc = faissx_Index_remove_ids(index.ptr(), null(), null_mut());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_remove_ids", "sel is NULL"],
        );
        assert_eq!(index.ntotal(), 0);
    }
}

#[test]
fn null_buffers_with_data_are_refused() {
    let index = flat();
    let x = [0.5f32; 3 * D];
    let (mut dis, mut lab) = ([0.0f32; 6], [0 as idx_t; 6]);
    unsafe {
        let rc = faissx_Index_add(index.ptr(), 3, null());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_add", "x is NULL but n = 3"],
        );
        let rc = faissx_Index_add_with_ids(index.ptr(), 3, x.as_ptr(), null());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_add_with_ids", "xids is NULL"],
        );
        let rc = faissx_Index_search(index.ptr(), 3, x.as_ptr(), 2, null_mut(), lab.as_mut_ptr());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_search", "distances is NULL"],
        );
        let rc = faissx_Index_search(index.ptr(), 3, x.as_ptr(), 2, dis.as_mut_ptr(), null_mut());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_search", "labels is NULL"],
        );
        let rc = faissx_Index_assign(index.ptr(), 3, x.as_ptr(), null_mut(), 2);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_assign", "labels is NULL"],
        );
        let rc = faissx_Index_reconstruct(index.ptr(), 0, null_mut());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_reconstruct", "recons is NULL"],
        );
        let rc = faissx_IDSelectorBatch_new(&mut null_mut(), 2, null());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IDSelectorBatch_new", "indices is NULL"],
        );
        let rc = faissx_read_index_buf(null(), 10, 0, &mut null_mut());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_read_index_buf", "buf is NULL"],
        );
    }
    assert_eq!(index.ntotal(), 0, "nothing was added by the refused calls");
}

#[test]
fn negative_counts_are_refused() {
    let index = flat();
    let x = [0.5f32; D];
    let (mut dis, mut lab) = ([0.0f32; 1], [0 as idx_t; 1]);
    let ids = [1 as idx_t];
    let mut out = [0.0f32; D];
    let mut p = null_mut();
    let binary = BinaryIndex::from_new(unsafe { faissx_IndexBinaryFlat_new_with(&mut p, 64) }, p);
    let code = [0u8; 8];
    let mut q = null_mut();
    check(unsafe { faissx_PCAMatrix_new_with(&mut q, D as i32, 2, 0.0, 0) });
    let cases: Vec<(&str, i32)> = unsafe {
        vec![
            (
                "faissx_Index_add",
                faissx_Index_add(index.ptr(), -1, x.as_ptr()),
            ),
            (
                "faissx_Index_train",
                faissx_Index_train(index.ptr(), -2, x.as_ptr()),
            ),
            (
                "faissx_Index_add_with_ids",
                faissx_Index_add_with_ids(index.ptr(), -1, x.as_ptr(), ids.as_ptr()),
            ),
            (
                "faissx_Index_search",
                faissx_Index_search(
                    index.ptr(),
                    -1,
                    x.as_ptr(),
                    1,
                    dis.as_mut_ptr(),
                    lab.as_mut_ptr(),
                ),
            ),
            (
                "faissx_Index_assign",
                faissx_Index_assign(index.ptr(), -1, x.as_ptr(), lab.as_mut_ptr(), 1),
            ),
            (
                "faissx_Index_range_search",
                faissx_Index_range_search(index.ptr(), -1, x.as_ptr(), 1.0, RangeResult::new(1).0),
            ),
            (
                "faissx_Index_reconstruct_n",
                faissx_Index_reconstruct_n(index.ptr(), 0, -1, out.as_mut_ptr()),
            ),
            (
                "faissx_IndexBinary_add",
                faissx_IndexBinary_add(binary.ptr(), -1, code.as_ptr()),
            ),
            (
                "faissx_VectorTransform_train",
                faissx_VectorTransform_train(q, -1, x.as_ptr()),
            ),
        ]
    };
    for (function, rc) in cases {
        assert_eq!(rc, FAISSX_ERR_INVALID_ARGUMENT, "{function}");
    }
    // Each call replaced the message: the last one is still there.
    expect_message(&["faissx_VectorTransform_train", "n must be >= 0 (got -1)"]);
    let rc = unsafe { faissx_Index_add(index.ptr(), -7, x.as_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_Index_add", "n must be >= 0 (got -7)"],
    );
    unsafe { faissx_VectorTransform_free(q) };
    assert_eq!(index.ntotal(), 0);
}

#[test]
fn k_must_be_positive() {
    let index = flat();
    index.add(&[1.0; D]);
    let x = [0.0f32; D];
    let (mut dis, mut lab) = ([0.0f32; 4], [0 as idx_t; 4]);
    for k in [0, -3] {
        let rc = unsafe {
            faissx_Index_search(
                index.ptr(),
                1,
                x.as_ptr(),
                k,
                dis.as_mut_ptr(),
                lab.as_mut_ptr(),
            )
        };
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_Index_search", &format!("k must be > 0 (got {k})")],
        );
    }
    let rc = unsafe { faissx_Index_assign(index.ptr(), 1, x.as_ptr(), lab.as_mut_ptr(), 0) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_Index_assign", "k must be > 0"],
    );
    let mut p = null_mut();
    let binary = BinaryIndex::from_new(unsafe { faissx_IndexBinaryFlat_new_with(&mut p, 64) }, p);
    let mut idis = [0i32; 4];
    let rc = unsafe {
        faissx_IndexBinary_search(
            binary.ptr(),
            1,
            [0u8; 8].as_ptr(),
            0,
            idis.as_mut_ptr(),
            lab.as_mut_ptr(),
        )
    };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_IndexBinary_search", "k must be > 0"],
    );
}

#[test]
fn unknown_enums_are_refused() {
    let mut p = null_mut();
    unsafe {
        let rc = faissx_IndexFlat_new_with(&mut p, D as idx_t, 99);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IndexFlat_new_with", "unknown metric type 99"],
        );
        let rc = faissx_index_factory(&mut p, D as i32, cstr("Flat").as_ptr(), 5);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_index_factory", "unknown metric type 5"],
        );
        let rc = faissx_IndexScalarQuantizer_new_with(&mut p, D as idx_t, 42, METRIC_L2);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &[
                "faissx_IndexScalarQuantizer_new_with",
                "unknown quantizer type 42",
            ],
        );
        let rc = faissx_IndexHNSWFlat_new_with_metric(&mut p, D as i32, 8, 1000);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IndexHNSWFlat_new_with_metric", "1000"],
        );
        let q = flat();
        let rc = faissx_IndexIVFFlat_new_with_metric(&mut p, q.ptr(), D, 4, 77);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &[
                "faissx_IndexIVFFlat_new_with_metric",
                "unknown metric type 77",
            ],
        );
    }
    assert!(p.is_null(), "no index was created");
}

#[test]
fn unknown_factory_strings_are_faiss_errors() {
    let mut p = null_mut();
    for description in ["", "IVF", "Flat,Flat", "HNSW,Bogus"] {
        let rc = unsafe {
            faissx_index_factory(&mut p, D as i32, cstr(description).as_ptr(), METRIC_L2)
        };
        expect_err(rc, FAISSX_ERR_FAISS, &["faissx_index_factory"]);
        assert!(p.is_null(), "{description:?} made an index");
    }
}

#[test]
fn shapes_that_do_not_fit_are_refused() {
    let q = Index::factory(D + 4, "Flat", METRIC_L2);
    let mut p = null_mut();
    unsafe {
        let rc = faissx_IndexIVFPQ_new_with(&mut p, q.ptr(), D, 4, 2, 8);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IndexIVFPQ_new_with", "quantizer has dimension 12"],
        );
        let rc = faissx_IndexPQ_new_with(&mut p, D as i32, 3, 8, METRIC_L2);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IndexPQ_new_with", "M = 3 must divide d = 8"],
        );
        let rc = faissx_IndexPQ_new_with(&mut p, D as i32, 2, 0, METRIC_L2);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IndexPQ_new_with", "nbits"],
        );
        let rc = faissx_IndexHNSWFlat_new_with(&mut p, 0, 8);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IndexHNSWFlat_new_with", "d must be > 0"],
        );
        let mut bq = null_mut();
        check(faissx_IndexBinaryFlat_new_with(&mut bq, 64));
        let bq = BinaryIndex(bq);
        let mut b = null_mut();
        let rc = faissx_IndexBinaryIVF_new_with(&mut b, bq.ptr(), 128, 4);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &[
                "faissx_IndexBinaryIVF_new_with",
                "quantizer has dimension 64",
            ],
        );
        assert!(b.is_null());
    }
    assert!(p.is_null());
}

#[test]
fn faiss_refusals_carry_faiss_messages() {
    let ivf = Index::factory(D, "IVF4,Flat", METRIC_L2);
    let x = [0.0f32; D];
    let rc = unsafe { faissx_Index_add(ivf.ptr(), 1, x.as_ptr()) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_Index_add: ", "is_trained"]);
    // Too few points to train 4 centroids.
    let rc = unsafe { faissx_Index_train(ivf.ptr(), 1, x.as_ptr()) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_Index_train: "]);
    // Updating in place needs a direct map.
    let mut ids = [0 as idx_t];
    let rc =
        unsafe { faissx_IndexIVFFlat_update_vectors(ivf.ptr(), 1, ids.as_mut_ptr(), x.as_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_FAISS,
        &["faissx_IndexIVFFlat_update_vectors"],
    );
}

/// The message slot is per thread: two threads fail differently at the same moment and each
/// reads back its own failure.
#[test]
fn last_error_is_per_thread() {
    let barrier = Arc::new(Barrier::new(2));
    let spawn = |function: &'static str, fail: fn() -> i32| {
        let barrier = barrier.clone();
        std::thread::spawn(move || {
            assert_eq!(fail(), FAISSX_ERR_INVALID_ARGUMENT);
            let mine = last_error();
            assert!(mine.starts_with(function), "{mine}");
            // Both threads have failed before either reads again.
            barrier.wait();
            assert_eq!(last_error(), mine);
            mine
        })
    };
    let a = spawn("faissx_Index_add", || unsafe {
        faissx_Index_add(null_mut(), 1, null())
    });
    let b = spawn("faissx_IndexFlat_new_with", || unsafe {
        faissx_IndexFlat_new_with(&mut null_mut(), 4, 1234)
    });
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    assert_ne!(a, b);
    // And neither touched this thread's slot.
    let rc = unsafe { faissx_Index_reset(null_mut()) };
    assert_eq!(rc, FAISSX_ERR_INVALID_ARGUMENT);
    let here = last_error();
    let handle = std::thread::spawn(|| unsafe { faissx_Index_train(null_mut(), 0, null()) });
    assert_eq!(handle.join().unwrap(), FAISSX_ERR_INVALID_ARGUMENT);
    assert_eq!(last_error(), here);
}
