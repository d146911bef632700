//! `Clustering_c.h`: k-means.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::c_int;

/// Fills `params` with FAISS's defaults (25 iterations, 1 redo, seed 1234, ...).
#[no_mangle]
pub unsafe extern "C" fn faissx_ClusteringParameters_init(params: *mut FaissClusteringParameters) {
    boundary!((), {
        non_null(params, "params")?;
        sys::faiss_ClusteringParameters_init(params);
        Ok(())
    })
}

/// `niter` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_niter(clustering: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_niter(clustering))
    })
}

/// `nredo` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_nredo(clustering: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_nredo(clustering))
    })
}

/// `verbose` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_verbose(clustering: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_verbose(clustering))
    })
}

/// `spherical` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_spherical(clustering: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_spherical(clustering))
    })
}

/// `int_centroids` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_int_centroids(
    clustering: *const FaissClustering,
) -> c_int {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_int_centroids(clustering))
    })
}

/// `update_index` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_update_index(
    clustering: *const FaissClustering,
) -> c_int {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_update_index(clustering))
    })
}

/// `frozen_centroids` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_frozen_centroids(
    clustering: *const FaissClustering,
) -> c_int {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_frozen_centroids(clustering))
    })
}

/// `min_points_per_centroid` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_min_points_per_centroid(
    clustering: *const FaissClustering,
) -> c_int {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_min_points_per_centroid(clustering))
    })
}

/// `max_points_per_centroid` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_max_points_per_centroid(
    clustering: *const FaissClustering,
) -> c_int {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_max_points_per_centroid(clustering))
    })
}

/// `seed` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_seed(clustering: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_seed(clustering))
    })
}

/// `decode_block_size` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_decode_block_size(
    clustering: *const FaissClustering,
) -> usize {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_decode_block_size(clustering))
    })
}

/// `d` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_d(clustering: *const FaissClustering) -> usize {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_d(clustering))
    })
}

/// `k` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_k(clustering: *const FaissClustering) -> usize {
    boundary!(0, {
        non_null(clustering, "clustering")?;
        Ok(sys::faiss_Clustering_k(clustering))
    })
}

/// `stats` of a `ClusteringIterationStats`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ClusteringIterationStats_obj(
    stats: *const FaissClusteringIterationStats,
) -> f32 {
    boundary!(0.0, {
        non_null(stats, "stats")?;
        Ok(sys::faiss_ClusteringIterationStats_obj(stats))
    })
}

/// `time` of a `ClusteringIterationStats`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ClusteringIterationStats_time(
    stats: *const FaissClusteringIterationStats,
) -> f64 {
    boundary!(0.0, {
        non_null(stats, "stats")?;
        Ok(sys::faiss_ClusteringIterationStats_time(stats))
    })
}

/// `time_search` of a `ClusteringIterationStats`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ClusteringIterationStats_time_search(
    stats: *const FaissClusteringIterationStats,
) -> f64 {
    boundary!(0.0, {
        non_null(stats, "stats")?;
        Ok(sys::faiss_ClusteringIterationStats_time_search(stats))
    })
}

/// `imbalance_factor` of a `ClusteringIterationStats`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ClusteringIterationStats_imbalance_factor(
    stats: *const FaissClusteringIterationStats,
) -> f64 {
    boundary!(0.0, {
        non_null(stats, "stats")?;
        Ok(sys::faiss_ClusteringIterationStats_imbalance_factor(stats))
    })
}

/// `nsplit` of a `ClusteringIterationStats`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ClusteringIterationStats_nsplit(
    stats: *const FaissClusteringIterationStats,
) -> c_int {
    boundary!(0, {
        non_null(stats, "stats")?;
        Ok(sys::faiss_ClusteringIterationStats_nsplit(stats))
    })
}

/// `*centroids` (may be NULL) borrows the k*d centroids, `*size` (may be NULL) gets their count of floats. Valid while the clustering lives and is not retrained.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_centroids(
    clustering: *mut FaissClustering,
    centroids: *mut *mut f32,
    size: *mut usize,
) {
    boundary!((), {
        non_null(clustering, "clustering")?;
        sys::faiss_Clustering_centroids(clustering, centroids, size);
        Ok(())
    })
}

/// `*iteration_stats` (may be NULL) borrows the per-iteration statistics, `*size` (may be NULL) gets their count.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_iteration_stats(
    clustering: *mut FaissClustering,
    iteration_stats: *mut *mut FaissClusteringIterationStats,
    size: *mut usize,
) {
    boundary!((), {
        non_null(clustering, "clustering")?;
        sys::faiss_Clustering_iteration_stats(clustering, iteration_stats, size);
        Ok(())
    })
}

/// Creates a `Clustering` in `*p_clustering`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_new(
    p_clustering: *mut *mut FaissClustering,
    d: c_int,
    k: c_int,
) -> c_int {
    boundary!({
        non_null(p_clustering, "p_clustering")?;
        faiss_status(sys::faiss_Clustering_new(p_clustering, d, k))
    })
}

/// Creates a `Clustering` in `*p_clustering`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_new_with_params(
    p_clustering: *mut *mut FaissClustering,
    d: c_int,
    k: c_int,
    cp: *const FaissClusteringParameters,
) -> c_int {
    boundary!({
        non_null(p_clustering, "p_clustering")?;
        non_null(cp, "cp")?;
        faiss_status(sys::faiss_Clustering_new_with_params(
            p_clustering,
            d,
            k,
            cp,
        ))
    })
}

/// Runs k-means on `n` vectors `x` (n*d floats), using `index` (d must match; typically an IndexFlatL2) for assignment. Centroids are then in faissx_Clustering_centroids.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_train(
    clustering: *mut FaissClustering,
    n: idx_t,
    x: *const f32,
    index: *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(clustering, "clustering")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        non_null(index, "index")?;
        if let Some(remote) = as_remote(index) {
            return train_with_remote_index(clustering, n, x, remote);
        }
        faiss_status(sys::faiss_Clustering_train(clustering, n, x, index))
    })
}

/// Frees a `Clustering`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_free(clustering: *mut FaissClustering) {
    boundary!((), {
        if !clustering.is_null() {
            sys::faiss_Clustering_free(clustering);
        }
        Ok(())
    })
}

/// k-means in one call: clusters `n` vectors `x` of dimension `d` into `k` centroids written to `centroids` (k*d floats); `*q_error` (may be NULL) gets the quantization error.
#[no_mangle]
pub unsafe extern "C" fn faissx_kmeans_clustering(
    d: usize,
    n: usize,
    k: usize,
    x: *const f32,
    centroids: *mut f32,
    q_error: *mut f32,
) -> c_int {
    boundary!({
        non_null(x, "x")?;
        // FAISS copies the k*d results into it unchecked.
        non_null(centroids, "centroids")?;
        faiss_status(sys::faiss_kmeans_clustering(d, n, k, x, centroids, q_error))
    })
}

/// k-means with a remote index. With a flat one, the iterations run here on a local flat index
/// of the same dimension and metric (k-means searches it once per iteration, too often to
/// send over the wire; the flat search is the same either side), then the remote index ends
/// as FAISS leaves the one it is given: holding the k centroids. Any other runs FAISS's own
/// k-means over the remote index's face, each iteration's search and add a request.
unsafe fn train_with_remote_index(
    clustering: *mut FaissClustering,
    n: idx_t,
    x: *const f32,
    remote: &RemoteIndex,
) -> Result<()> {
    if !remote.is("IndexFlat") {
        let face = crate::remote::face::new_face(remote)?;
        let trained = faiss_status(sys::faiss_Clustering_train(clustering, n, x, face));
        sys::faiss_Index_free(face);
        return trained;
    }
    let info = remote.cached_info();
    let mut local: *mut FaissIndexFlat = std::ptr::null_mut();
    faiss_status(sys::faiss_IndexFlat_new_with(
        &mut local,
        info.d.into(),
        info.metric,
    ))?;
    let trained = faiss_status(sys::faiss_Clustering_train(clustering, n, x, local));
    sys::faiss_Index_free(local);
    trained?;
    let (mut centroids, mut size): (*mut f32, usize) = (std::ptr::null_mut(), 0);
    sys::faiss_Clustering_centroids(clustering, &mut centroids, &mut size);
    let k = size / info.d as usize;
    remote.reset()?;
    remote.add(k, vectors(remote, centroids, k as idx_t), None)
}
