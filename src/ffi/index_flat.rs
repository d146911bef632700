//! `IndexFlat_c.h`: exhaustive search (flat L2/IP, 1-D, refinement).

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::c_int;

/// Creates an `IndexFlat` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat_new(p_index: *mut *mut FaissIndexFlat) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        if let Some(handle) = create_default("IndexFlat")? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexFlat_new(p_index))
    })
}

/// Creates an `IndexFlat` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat_new_with(
    p_index: *mut *mut FaissIndexFlat,
    d: idx_t,
    metric: FaissMetricType,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        dimension(d, "d")?;
        known_metric(metric)?;
        if let Some(handle) = create_remote(|| {
            Ok(IndexSpec::Flat {
                d: d as u32,
                metric,
            })
        })? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexFlat_new_with(p_index, d, metric))
    })
}

/// `*p_xb` borrows the stored vectors (ntotal*d floats), `*p_size` (may be NULL) gets their count of floats. Valid until the index is modified or freed.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat_xb(
    index: *mut FaissIndexFlat,
    p_xb: *mut *mut f32,
    p_size: *mut usize,
) {
    boundary!((), {
        of_class(index, c"IndexFlat")?;
        non_null(p_xb, "p_xb")?;
        if let Some(remote) = as_remote(index) {
            let (xb, size) = remote.xb()?;
            *p_xb = xb;
            if !p_size.is_null() {
                *p_size = size;
            }
            return Ok(());
        }
        sys::faiss_IndexFlat_xb(index, p_xb, p_size);
        Ok(())
    })
}

/// The same handle if it is an `IndexFlat` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat_cast(index: *mut FaissIndex) -> *mut FaissIndexFlat {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexFlat") {
            return Ok(cast);
        }
        Ok(sys::faiss_IndexFlat_cast(index))
    })
}

/// Frees an `IndexFlat`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat_free(obj: *mut FaissIndexFlat) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexFlat_free(obj);
        }
        Ok(())
    })
}

/// For each of the `n` queries, distances to the `k` stored vectors listed in `labels` (n*k), into `distances` (n*k).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat_compute_distance_subset(
    index: *mut FaissIndex,
    n: idx_t,
    x: *const f32,
    k: idx_t,
    distances: *mut f32,
    labels: *const idx_t,
) -> c_int {
    boundary!({
        non_null(index, "index")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        positive_k(k)?;
        buffer(distances, n, "distances")?;
        buffer(labels, n, "labels")?;
        if let Some(remote) = as_remote(index) {
            return remote_distance_subset(remote, n, x, k, distances, labels);
        }
        // FAISS reads the vector of every label it is given, unchecked.
        labels_stored(labels, n * k, sys::faiss_Index_ntotal(index))?;
        faiss_status(sys::faiss_IndexFlat_compute_distance_subset(
            index, n, x, k, distances, labels,
        ))
    })
}

/// The same handle if it is an `IndexFlatIP` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatIP_cast(index: *mut FaissIndex) -> *mut FaissIndexFlatIP {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexFlatIP") {
            return Ok(cast);
        }
        Ok(sys::faiss_IndexFlatIP_cast(index))
    })
}

/// Frees an `IndexFlatIP`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatIP_free(obj: *mut FaissIndexFlatIP) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexFlatIP_free(obj);
        }
        Ok(())
    })
}

/// Creates an `IndexFlatIP` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatIP_new(p_index: *mut *mut FaissIndexFlatIP) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        if let Some(handle) = create_default("IndexFlatIP")? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexFlatIP_new(p_index))
    })
}

/// Creates an `IndexFlatIP` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatIP_new_with(
    p_index: *mut *mut FaissIndexFlatIP,
    d: idx_t,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        dimension(d, "d")?;
        if let Some(handle) = create_remote(|| Ok(IndexSpec::FlatIP { d: d as u32 }))? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexFlatIP_new_with(p_index, d))
    })
}

/// The same handle if it is an `IndexFlatL2` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatL2_cast(index: *mut FaissIndex) -> *mut FaissIndexFlatL2 {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexFlatL2") {
            return Ok(cast);
        }
        Ok(sys::faiss_IndexFlatL2_cast(index))
    })
}

/// Frees an `IndexFlatL2`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatL2_free(obj: *mut FaissIndexFlatL2) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexFlatL2_free(obj);
        }
        Ok(())
    })
}

/// Creates an `IndexFlatL2` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatL2_new(p_index: *mut *mut FaissIndexFlatL2) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        if let Some(handle) = create_default("IndexFlatL2")? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexFlatL2_new(p_index))
    })
}

/// Creates an `IndexFlatL2` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlatL2_new_with(
    p_index: *mut *mut FaissIndexFlatL2,
    d: idx_t,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        dimension(d, "d")?;
        if let Some(handle) = create_remote(|| Ok(IndexSpec::FlatL2 { d: d as u32 }))? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexFlatL2_new_with(p_index, d))
    })
}

/// Creates an `IndexRefineFlat` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_new(
    p_index: *mut *mut FaissIndexRefineFlat,
    base_index: *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        non_null(base_index, "base_index")?;
        if let Some(handle) = create_composite(
            base_index,
            false,
            |base| Ok(IndexSpec::RefineFlat { base }),
            |face, out| shim_status(shim::faissx_shim_IndexRefineFlat_over_face(out, face)),
        )? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexRefineFlat_new(p_index, base_index))
    })
}

/// Frees an `IndexRefineFlat`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_free(obj: *mut FaissIndexRefineFlat) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexRefineFlat_free(obj);
        }
        Ok(())
    })
}

/// The same handle if it is an `IndexRefineFlat` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_cast(
    index: *mut FaissIndex,
) -> *mut FaissIndexRefineFlat {
    boundary!(std::ptr::null_mut(), {
        if let Some(cast) = remote_cast(index, "IndexRefineFlat") {
            return Ok(cast);
        }
        non_null(index, "index")?;
        Ok(sys::faiss_IndexRefineFlat_cast(index))
    })
}

/// `own_fields` of an `IndexRefineFlat`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_own_fields(
    index: *const FaissIndexRefineFlat,
) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexRefineFlat")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.own_fields());
        }
        Ok(sys::faiss_IndexRefineFlat_own_fields(index))
    })
}

/// Sets `own_fields` of an `IndexRefineFlat`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_set_own_fields(
    index: *mut FaissIndexRefineFlat,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexRefineFlat")?;
        if let Some(remote) = as_remote(index) {
            remote.set_own_fields(value);
            return Ok(());
        }
        sys::faiss_IndexRefineFlat_set_own_fields(index, value);
        Ok(())
    })
}

/// `k_factor` of an `IndexRefineFlat`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_k_factor(
    index: *const FaissIndexRefineFlat,
) -> f32 {
    boundary!(0.0, {
        of_class(index, c"IndexRefineFlat")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.k_factor);
        }
        Ok(sys::faiss_IndexRefineFlat_k_factor(index))
    })
}

/// Sets `k_factor` of an `IndexRefineFlat`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexRefineFlat_set_k_factor(
    index: *mut FaissIndexRefineFlat,
    value: f32,
) {
    boundary!((), {
        of_class(index, c"IndexRefineFlat")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("k_factor", value.into());
        }
        sys::faiss_IndexRefineFlat_set_k_factor(index, value);
        Ok(())
    })
}

/// The same handle if it is an `IndexFlat1D` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat1D_cast(index: *mut FaissIndex) -> *mut FaissIndexFlat1D {
    boundary!(std::ptr::null_mut(), {
        if let Some(cast) = remote_cast(index, "IndexFlat1D") {
            return Ok(cast);
        }
        non_null(index, "index")?;
        Ok(sys::faiss_IndexFlat1D_cast(index))
    })
}

/// Frees an `IndexFlat1D`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat1D_free(obj: *mut FaissIndexFlat1D) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexFlat1D_free(obj);
        }
        Ok(())
    })
}

/// Creates an `IndexFlat1D` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat1D_new(p_index: *mut *mut FaissIndexFlat1D) -> c_int {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_IndexFlat1D_new");
    // FAISS's default: the permutation kept sorted on every add.
    faissx_IndexFlat1D_new_with(p_index, 1)
}

/// Creates an `IndexFlat1D` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat1D_new_with(
    p_index: *mut *mut FaissIndexFlat1D,
    continuous_update: c_int,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        if let Some(handle) = create_remote(|| {
            Ok(IndexSpec::Flat1D {
                continuous_update: continuous_update != 0,
            })
        })? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexFlat1D_new_with(p_index, continuous_update))
    })
}

/// Re-sorts the 1-D index after additions (needed when continuous_update is off).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexFlat1D_update_permutation(
    index: *mut FaissIndexFlat1D,
) -> c_int {
    boundary!({
        of_class(index, c"IndexFlat1D")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("update_permutation", 0.0);
        }
        faiss_status(sys::faiss_IndexFlat1D_update_permutation(index))
    })
}

/// Checks that each of the `count` labels is a stored vector's (or negative: FAISS's "none").
unsafe fn labels_stored(labels: *const idx_t, count: idx_t, ntotal: idx_t) -> Result<()> {
    let labels = std::slice::from_raw_parts(labels, count as usize);
    match labels.iter().position(|&label| label >= ntotal) {
        Some(at) => Err(Error::invalid(format!(
            "labels[{at}] = {} is not a stored vector (ntotal = {ntotal})",
            labels[at]
        ))),
        None => Ok(()),
    }
}

/// compute_distance_subset on a remote flat index, from a client-side copy of its vectors
/// (the same kernel FAISS uses for one pair: squared L2 or inner product).
unsafe fn remote_distance_subset(
    remote: &RemoteIndex,
    n: idx_t,
    x: *const f32,
    k: idx_t,
    distances: *mut f32,
    labels: *const idx_t,
) -> Result<()> {
    let info = remote.cached_info();
    let d = info.d as usize;
    let (xb, size) = remote.xb()?;
    let stored = size / d.max(1);
    labels_stored(labels, n * k, stored as idx_t)?;
    for query in 0..n as usize {
        for j in 0..k as usize {
            let at = query * k as usize + j;
            let label = *labels.add(at);
            let out = distances.add(at);
            // As FAISS: no vector is infinitely far, or infinitely dissimilar.
            if label < 0 {
                *out = if info.metric == METRIC_INNER_PRODUCT {
                    f32::NEG_INFINITY
                } else {
                    f32::INFINITY
                };
                continue;
            }
            let (q, v) = (x.add(query * d), xb.add(label as usize * d));
            *out = if info.metric == METRIC_INNER_PRODUCT {
                let mut ip = 0f32;
                sys::faiss_fvec_inner_products_ny(&mut ip, q, v, d, 1);
                ip
            } else {
                let mut l2 = 0f32;
                sys::faiss_fvec_L2sqr_ny(&mut l2, q, v, d, 1);
                l2
            };
        }
    }
    Ok(())
}
