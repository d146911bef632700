//! `Clustering_c.h`: TODO module doc.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::sys;
use std::os::raw::c_int;

/// TODO faiss_ClusteringParameters_init
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
pub unsafe extern "C" fn faissx_Clustering_niter(obj: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_niter(obj))
    })
}

/// `nredo` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_nredo(obj: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_nredo(obj))
    })
}

/// `verbose` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_verbose(obj: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_verbose(obj))
    })
}

/// `spherical` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_spherical(obj: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_spherical(obj))
    })
}

/// `int_centroids` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_int_centroids(obj: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_int_centroids(obj))
    })
}

/// `update_index` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_update_index(obj: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_update_index(obj))
    })
}

/// `frozen_centroids` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_frozen_centroids(obj: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_frozen_centroids(obj))
    })
}

/// `min_points_per_centroid` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_min_points_per_centroid(
    obj: *const FaissClustering,
) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_min_points_per_centroid(obj))
    })
}

/// `max_points_per_centroid` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_max_points_per_centroid(
    obj: *const FaissClustering,
) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_max_points_per_centroid(obj))
    })
}

/// `seed` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_seed(obj: *const FaissClustering) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_seed(obj))
    })
}

/// `decode_block_size` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_decode_block_size(obj: *const FaissClustering) -> usize {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_decode_block_size(obj))
    })
}

/// `d` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_d(obj: *const FaissClustering) -> usize {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_d(obj))
    })
}

/// `k` of a `Clustering`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_Clustering_k(obj: *const FaissClustering) -> usize {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_Clustering_k(obj))
    })
}

/// `obj` of a `ClusteringIterationStats`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ClusteringIterationStats_obj(
    obj: *const FaissClusteringIterationStats,
) -> f32 {
    boundary!(0.0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_ClusteringIterationStats_obj(obj))
    })
}

/// `time` of a `ClusteringIterationStats`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ClusteringIterationStats_time(
    obj: *const FaissClusteringIterationStats,
) -> f64 {
    boundary!(0.0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_ClusteringIterationStats_time(obj))
    })
}

/// `time_search` of a `ClusteringIterationStats`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ClusteringIterationStats_time_search(
    obj: *const FaissClusteringIterationStats,
) -> f64 {
    boundary!(0.0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_ClusteringIterationStats_time_search(obj))
    })
}

/// `imbalance_factor` of a `ClusteringIterationStats`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ClusteringIterationStats_imbalance_factor(
    obj: *const FaissClusteringIterationStats,
) -> f64 {
    boundary!(0.0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_ClusteringIterationStats_imbalance_factor(obj))
    })
}

/// `nsplit` of a `ClusteringIterationStats`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ClusteringIterationStats_nsplit(
    obj: *const FaissClusteringIterationStats,
) -> c_int {
    boundary!(0, {
        non_null(obj, "obj")?;
        Ok(sys::faiss_ClusteringIterationStats_nsplit(obj))
    })
}

/// TODO faiss_Clustering_centroids
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

/// TODO faiss_Clustering_iteration_stats
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

/// TODO faiss_Clustering_train
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

/// TODO faiss_kmeans_clustering
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
        faiss_status(sys::faiss_kmeans_clustering(d, n, k, x, centroids, q_error))
    })
}
