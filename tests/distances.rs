//! `utils/distances_c.h`, `utils/utils_c.h`, `error_c.h`: distance kernels checked against plain
//! loops, the process-wide BLAS knobs, versions, and the last-error slot.

mod common;

use common::*;
use faissx::ffi::distances::*;
use faissx::ffi::error::faissx_get_last_error;
use faissx::ffi::faissx::faissx_version;
use faissx::ffi::index_flat::faissx_IndexFlatL2_new_with;
use faissx::ffi::types::*;
use faissx::ffi::utils::faissx_get_version;
use std::ffi::CStr;
use std::ptr;

const D: usize = 10;

#[track_caller]
fn assert_close_all(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(close(*x, *y), "element {i}: {x} vs {y}");
    }
}

#[test]
fn pairwise_l2_matches_a_double_loop() {
    let mut rng = Rng::new(121);
    let (nq, nb) = (7, 13);
    let xq = rng.vectors(nq, D);
    let xb = rng.vectors(nb, D);
    let expected: Vec<f32> = xq
        .chunks(D)
        .flat_map(|q| xb.chunks(D).map(move |b| l2(q, b)))
        .collect();
    let mut dis = vec![f32::NAN; nq * nb];
    unsafe {
        faissx_pairwise_L2sqr_with_defaults(
            D as i64,
            nq as i64,
            xq.as_ptr(),
            nb as i64,
            xb.as_ptr(),
            dis.as_mut_ptr(),
        )
    };
    assert_close_all(&dis, &expected);

    // Padded rows: queries every D+3 floats, database rows every D+1, output rows every nb+2.
    let pad = |x: &[f32], ld: usize| -> Vec<f32> {
        x.chunks(D)
            .flat_map(|v| v.iter().copied().chain(std::iter::repeat_n(99.0, ld - D)))
            .collect()
    };
    let (ldq, ldb, ldd) = (D + 3, D + 1, nb + 2);
    let (pq, pb) = (pad(&xq, ldq), pad(&xb, ldb));
    let mut out = vec![-1.0f32; nq * ldd];
    unsafe {
        faissx_pairwise_L2sqr(
            D as i64,
            nq as i64,
            pq.as_ptr(),
            nb as i64,
            pb.as_ptr(),
            out.as_mut_ptr(),
            ldq as i64,
            ldb as i64,
            ldd as i64,
        )
    };
    for q in 0..nq {
        assert_close_all(&out[q * ldd..q * ldd + nb], &expected[q * nb..(q + 1) * nb]);
        assert_eq!(
            &out[q * ldd + nb..(q + 1) * ldd],
            &[-1.0, -1.0],
            "padding untouched"
        );
    }
}

#[test]
fn one_to_many_kernels_match_loops() {
    let mut rng = Rng::new(122);
    let x = rng.vectors(1, D);
    let y = rng.vectors(9, D);
    let mut ip = vec![0.0; 9];
    unsafe { faissx_fvec_inner_products_ny(ip.as_mut_ptr(), x.as_ptr(), y.as_ptr(), D, 9) };
    assert_close_all(&ip, &y.chunks(D).map(|v| dot(&x, v)).collect::<Vec<_>>());
    let mut dis = vec![0.0; 9];
    unsafe { faissx_fvec_L2sqr_ny(dis.as_mut_ptr(), x.as_ptr(), y.as_ptr(), D, 9) };
    assert_close_all(&dis, &y.chunks(D).map(|v| l2(&x, v)).collect::<Vec<_>>());
}

#[test]
fn norms_and_renormalization() {
    let mut y = Rng::new(123).vectors(6, D);
    let sq: Vec<f32> = y.chunks(D).map(|v| dot(v, v)).collect();
    assert!(close(
        unsafe { faissx_fvec_norm_L2sqr(y.as_ptr(), D) },
        sq[0]
    ));
    let mut norms = vec![0.0; 6];
    unsafe { faissx_fvec_norms_L2sqr(norms.as_mut_ptr(), y.as_ptr(), D, 6) };
    assert_close_all(&norms, &sq);
    unsafe { faissx_fvec_norms_L2(norms.as_mut_ptr(), y.as_ptr(), D, 6) };
    assert_close_all(&norms, &sq.iter().map(|s| s.sqrt()).collect::<Vec<_>>());
    let before = y.clone();
    unsafe { faissx_fvec_renorm_L2(D, 6, y.as_mut_ptr()) };
    for ((v, b), n) in y.chunks(D).zip(before.chunks(D)).zip(&norms) {
        assert!(close(dot(v, v), 1.0));
        assert_close_all(v, &b.iter().map(|c| c / n).collect::<Vec<_>>());
    }
}

/// The knobs are process-wide: one test sets and restores them all.
#[test]
fn blas_knobs_round_trip_and_do_not_change_results() {
    type Knob = (unsafe extern "C" fn() -> i32, unsafe extern "C" fn(i32));
    let knobs: [Knob; 4] = [
        (
            faissx_get_distance_compute_blas_threshold,
            faissx_set_distance_compute_blas_threshold,
        ),
        (
            faissx_get_distance_compute_blas_query_bs,
            faissx_set_distance_compute_blas_query_bs,
        ),
        (
            faissx_get_distance_compute_blas_database_bs,
            faissx_set_distance_compute_blas_database_bs,
        ),
        (
            faissx_get_distance_compute_min_k_reservoir,
            faissx_set_distance_compute_min_k_reservoir,
        ),
    ];
    let saved: Vec<i32> = knobs.iter().map(|(get, _)| unsafe { get() }).collect();
    assert!(saved.iter().all(|&v| v > 0), "defaults {saved:?}");

    let mut rng = Rng::new(124);
    let xb = rng.vectors(2000, D);
    let xq = rng.vectors(30, D);
    let mut p = ptr::null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexFlatL2_new_with(&mut p, D as idx_t) },
        p,
    );
    index.add(&xb);
    // 30 queries: below a threshold of 1000 FAISS loops, above a threshold of 1 it uses BLAS.
    for (threshold, query_bs, database_bs) in [(1000, 4096, 1024), (1, 7, 100)] {
        unsafe {
            faissx_set_distance_compute_blas_threshold(threshold);
            faissx_set_distance_compute_blas_query_bs(query_bs);
            faissx_set_distance_compute_blas_database_bs(database_bs);
            faissx_set_distance_compute_min_k_reservoir(5);
            assert_eq!(faissx_get_distance_compute_blas_threshold(), threshold);
            assert_eq!(faissx_get_distance_compute_blas_query_bs(), query_bs);
            assert_eq!(faissx_get_distance_compute_blas_database_bs(), database_bs);
            assert_eq!(faissx_get_distance_compute_min_k_reservoir(), 5);
        }
        let (dis, lab) = index.search(&xq, 10);
        assert_knn(&xb, &xq, D, 10, METRIC_L2, (&dis, &lab));
    }
    for ((_, set), value) in knobs.iter().zip(&saved) {
        unsafe { set(*value) };
    }
    let restored: Vec<i32> = knobs.iter().map(|(get, _)| unsafe { get() }).collect();
    assert_eq!(restored, saved);
}

#[test]
fn versions_name_the_same_faiss() {
    let faiss = unsafe { CStr::from_ptr(faissx_get_version()) }
        .to_str()
        .unwrap()
        .to_owned();
    let parts: Vec<&str> = faiss.split('.').collect();
    assert_eq!(parts.len(), 3, "FAISS version {faiss:?}");
    assert!(parts.iter().all(|p| p.parse::<u32>().is_ok()));
    let ours = unsafe { CStr::from_ptr(faissx_version()) }
        .to_str()
        .unwrap();
    assert!(
        ours.starts_with(&format!("faissx {} ", env!("CARGO_PKG_VERSION"))),
        "{ours}"
    );
    assert!(
        ours.ends_with(&format!("(FAISS {faiss})")),
        "{ours} vs {faiss}"
    );
}

#[test]
fn last_error_starts_empty_and_keeps_the_latest_failure() {
    std::thread::spawn(|| {
        assert!(
            unsafe { faissx_get_last_error() }.is_null(),
            "a fresh thread has no error"
        );
        let rc = unsafe { faissx::ffi::index::faissx_Index_add(ptr::null_mut(), 1, ptr::null()) };
        assert_eq!(rc, FAISSX_ERR_INVALID_ARGUMENT);
        let first = last_error();
        assert_eq!(first, "faissx_Index_add: index is NULL");
        // Successful calls leave the message alone.
        let mut p = ptr::null_mut();
        let flat = Index::from_new(unsafe { faissx_IndexFlatL2_new_with(&mut p, 4) }, p);
        flat.add(&[0.0; 4]);
        assert_eq!(last_error(), first);
        let rc = unsafe {
            faissx::ffi::index::faissx_Index_search(
                flat.ptr(),
                1,
                [0.0f32; 4].as_ptr(),
                0,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        assert_eq!(rc, FAISSX_ERR_INVALID_ARGUMENT);
        expect_message(&["faissx_Index_search", "k must be > 0"]);
    })
    .join()
    .unwrap();
}
