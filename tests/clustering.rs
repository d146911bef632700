//! `Clustering_c.h`: k-means, checked through what k-means promises: centroids are the means
//! of the points nearest to them, and the reported error is the sum of those distances.

mod common;

use common::*;
use faissx::ffi::clustering::*;
use faissx::ffi::index_flat::faissx_IndexFlatL2_new_with;
use faissx::ffi::types::*;
use std::ptr;

const D: usize = 8;
const K: usize = 4;
const N: usize = 1000;

struct Clustering(*mut FaissClustering);

impl Drop for Clustering {
    fn drop(&mut self) {
        unsafe { faissx_Clustering_free(self.0) }
    }
}

fn params_of(c: *const FaissClustering) -> FaissClusteringParameters {
    unsafe {
        FaissClusteringParameters {
            niter: faissx_Clustering_niter(c),
            nredo: faissx_Clustering_nredo(c),
            verbose: faissx_Clustering_verbose(c),
            spherical: faissx_Clustering_spherical(c),
            int_centroids: faissx_Clustering_int_centroids(c),
            update_index: faissx_Clustering_update_index(c),
            frozen_centroids: faissx_Clustering_frozen_centroids(c),
            min_points_per_centroid: faissx_Clustering_min_points_per_centroid(c),
            max_points_per_centroid: faissx_Clustering_max_points_per_centroid(c),
            seed: faissx_Clustering_seed(c),
            decode_block_size: faissx_Clustering_decode_block_size(c),
        }
    }
}

/// Sum of squared distances of each point to its nearest centroid, and the per-centroid
/// means of the points assigned to it.
fn objective(x: &[f32], centroids: &[f32]) -> (f64, Vec<Vec<f32>>) {
    let k = centroids.len() / D;
    let mut sums = vec![vec![0f64; D]; k];
    let mut counts = vec![0usize; k];
    let mut err = 0f64;
    for p in x.chunks(D) {
        let (best, dist) = centroids
            .chunks(D)
            .map(|c| l2(p, c))
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        err += dist as f64;
        counts[best] += 1;
        for t in 0..D {
            sums[best][t] += p[t] as f64;
        }
    }
    let means = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| s.iter().map(|v| (v / c.max(1) as f64) as f32).collect())
        .collect();
    (err, means)
}

#[test]
fn default_parameters_are_those_of_a_new_clustering() {
    let mut cp = FaissClusteringParameters::default();
    unsafe { faissx_ClusteringParameters_init(&mut cp) };
    // FAISS documents 25 iterations, one run and seed 1234 as its defaults.
    assert_eq!((cp.niter, cp.nredo, cp.seed), (25, 1, 1234));
    let mut p = ptr::null_mut();
    check(unsafe { faissx_Clustering_new(&mut p, D as i32, K as i32) });
    let c = Clustering(p);
    assert_eq!(params_of(c.0), cp);
    assert_eq!(unsafe { faissx_Clustering_d(c.0) }, D);
    assert_eq!(unsafe { faissx_Clustering_k(c.0) }, K);
}

#[test]
fn train_finds_a_lloyd_fixed_point() {
    let x = clustered(&mut Rng::new(81), N, D, K);
    let mut cp = FaissClusteringParameters::default();
    unsafe { faissx_ClusteringParameters_init(&mut cp) };
    cp.niter = 20;
    cp.seed = 42;
    let mut p = ptr::null_mut();
    check(unsafe { faissx_Clustering_new_with_params(&mut p, D as i32, K as i32, &cp) });
    let c = Clustering(p);
    assert_eq!(params_of(c.0), cp);

    let mut q = ptr::null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexFlatL2_new_with(&mut q, D as idx_t) },
        q,
    );
    check(unsafe { faissx_Clustering_train(c.0, N as idx_t, x.as_ptr(), index.ptr()) });
    let (mut data, mut size) = (ptr::null_mut(), 0usize);
    unsafe { faissx_Clustering_centroids(c.0, &mut data, &mut size) };
    assert_eq!(size, K * D);
    let centroids = unsafe { std::slice::from_raw_parts(data, size) }.to_vec();
    // The assignment index ends up holding the centroids.
    assert_eq!(index.ntotal(), K);

    let (err, means) = objective(&x, &centroids);
    for (c, m) in centroids.chunks(D).zip(&means) {
        for (a, b) in c.iter().zip(m) {
            assert!((a - b).abs() < 1e-3, "centroid {c:?} is not the mean {m:?}");
        }
    }

    let (mut stats, mut nstats) = (ptr::null_mut(), 0usize);
    unsafe { faissx_Clustering_iteration_stats(c.0, &mut stats, &mut nstats) };
    assert_eq!(nstats, 20, "one record per iteration");
    let record = |i: usize| {
        stats
            .cast::<u8>()
            .wrapping_add(i * iteration_stats_stride())
            .cast::<FaissClusteringIterationStats>()
    };
    let first = unsafe { faissx_ClusteringIterationStats_obj(record(0)) };
    let last = unsafe { faissx_ClusteringIterationStats_obj(record(nstats - 1)) };
    assert!(
        last <= first,
        "k-means made things worse: {first} -> {last}"
    );
    // At a fixed point the last iteration's objective is the error of the final centroids.
    assert!(
        ((last as f64) - err).abs() <= 1e-3 * err.max(1.0),
        "{last} vs {err}"
    );
    for i in 0..nstats {
        unsafe {
            assert!(faissx_ClusteringIterationStats_time(record(i)) >= 0.0);
            assert!(faissx_ClusteringIterationStats_time_search(record(i)) >= 0.0);
            assert!(faissx_ClusteringIterationStats_imbalance_factor(record(i)) >= 1.0);
            assert!(faissx_ClusteringIterationStats_nsplit(record(i)) >= 0);
        }
    }
}

/// FAISS's `ClusteringIterationStats` is {float obj; double time, time_search,
/// imbalance_factor; int nsplit}: 40 bytes with C alignment. The C API hands out the first
/// record only, so walking the array needs the stride.
fn iteration_stats_stride() -> usize {
    #[repr(C)]
    struct Layout {
        obj: f32,
        time: f64,
        time_search: f64,
        imbalance_factor: f64,
        nsplit: i32,
    }
    std::mem::size_of::<Layout>()
}

#[test]
fn kmeans_clustering_reports_its_quantization_error() {
    let x = clustered(&mut Rng::new(82), N, D, K);
    let mut centroids = vec![f32::NAN; K * D];
    let mut q_error = -1.0f32;
    check(unsafe {
        faissx_kmeans_clustering(D, N, K, x.as_ptr(), centroids.as_mut_ptr(), &mut q_error)
    });
    assert!(centroids.iter().all(|v| v.is_finite()));
    let (err, _) = objective(&x, &centroids);
    assert!(
        ((q_error as f64) - err).abs() <= 1e-3 * err.max(1.0),
        "{q_error} vs {err}"
    );
    // Well-separated blobs: each point is within the blob's noise of a centroid.
    let per_point = err / N as f64;
    assert!(per_point < 0.01, "mean squared error {per_point}");
}
