//! `IndexIVFFlat_c.h`: inverted lists holding full vectors.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::index::usable;
use crate::ffi::index_ivf::ivf_add_core;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::{c_char, c_int};

/// Frees an `IndexIVFFlat`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_free(obj: *mut FaissIndexIVFFlat) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexIVFFlat_free(obj);
        }
        Ok(())
    })
}

/// The same handle if it is an `IndexIVFFlat` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_cast(
    index: *mut FaissIndex,
) -> *mut FaissIndexIVFFlat {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexIVFFlat") {
            return Ok(cast);
        }
        Ok(sys::faiss_IndexIVFFlat_cast(index))
    })
}

/// `nlist` of an `IndexIVFFlat`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_nlist(index: *const FaissIndexIVFFlat) -> usize {
    boundary!(0, {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().nlist as usize);
        }
        Ok(sys::faiss_IndexIVFFlat_nlist(index))
    })
}

/// `nprobe` of an `IndexIVFFlat`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_nprobe(index: *const FaissIndexIVFFlat) -> usize {
    boundary!(0, {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.nprobe as usize);
        }
        Ok(sys::faiss_IndexIVFFlat_nprobe(index))
    })
}

/// Sets `nprobe` of an `IndexIVFFlat`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_set_nprobe(
    index: *mut FaissIndexIVFFlat,
    value: usize,
) {
    boundary!((), {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("nprobe", value as f64);
        }
        sys::faiss_IndexIVFFlat_set_nprobe(index, value);
        Ok(())
    })
}

/// `quantizer` of an `IndexIVFFlat`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_quantizer(
    index: *const FaissIndexIVFFlat,
) -> *mut FaissIndex {
    boundary!(std::ptr::null_mut(), {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote_quantizer(remote);
        }
        Ok(lent(
            index.cast_mut().cast(),
            sys::faiss_IndexIVFFlat_quantizer(index),
        ))
    })
}

/// `quantizer_trains_alone` of an `IndexIVFFlat`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_quantizer_trains_alone(
    index: *const FaissIndexIVFFlat,
) -> c_char {
    boundary!(0, {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().quantizer_trains_alone as c_char);
        }
        Ok(sys::faiss_IndexIVFFlat_quantizer_trains_alone(index))
    })
}

/// `own_fields` of an `IndexIVFFlat`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_own_fields(index: *const FaissIndexIVFFlat) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.own_fields());
        }
        Ok(sys::faiss_IndexIVFFlat_own_fields(index))
    })
}

/// Sets `own_fields` of an `IndexIVFFlat`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_set_own_fields(
    index: *mut FaissIndexIVFFlat,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            remote.set_own_fields(value);
            return Ok(());
        }
        sys::faiss_IndexIVFFlat_set_own_fields(index, value);
        Ok(())
    })
}

/// Creates an `IndexIVFFlat` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_new(p_index: *mut *mut FaissIndexIVFFlat) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        if let Some(handle) = create_default("IndexIVFFlat")? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexIVFFlat_new(p_index))
    })
}

/// Creates an `IndexIVFFlat` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_new_with(
    p_index: *mut *mut FaissIndexIVFFlat,
    quantizer: *mut FaissIndex,
    d: usize,
    nlist: usize,
) -> c_int {
    boundary!({ ivf_flat_new(p_index, quantizer, d, nlist, METRIC_L2) })
}

/// Creates an `IndexIVFFlat` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_new_with_metric(
    p_index: *mut *mut FaissIndexIVFFlat,
    quantizer: *mut FaissIndex,
    d: usize,
    nlist: usize,
    metric: FaissMetricType,
) -> c_int {
    boundary!({ ivf_flat_new(p_index, quantizer, d, nlist, metric) })
}

/// An IVFFlat over `quantizer`: on the quantizer's server, over its face here, or FAISS's own
/// over a local one.
unsafe fn ivf_flat_new(
    p_index: *mut *mut FaissIndexIVFFlat,
    quantizer: *mut FaissIndex,
    d: usize,
    nlist: usize,
    metric: FaissMetricType,
) -> Result<()> {
    non_null(p_index, "p_index")?;
    non_null(quantizer, "quantizer")?;
    known_metric(metric)?;
    quantizer_dimension(quantizer, d)?;
    nlist_in_range(nlist as u64)?;
    if let Some(handle) = create_composite(
        quantizer,
        false,
        |quantizer| {
            Ok(IndexSpec::IvfFlat {
                quantizer,
                d: d as u64,
                nlist: nlist as u64,
                metric,
            })
        },
        |face, out| ivf_flat_over_face(out, face, d, nlist, metric),
    )? {
        *p_index = handle.cast();
        return Ok(());
    }
    faiss_status(sys::faiss_IndexIVFFlat_new_with_metric(
        p_index, quantizer, d, nlist, metric,
    ))
}

/// Adds `n` vectors with ids `xids` (may be NULL: sequential ids) to the lists `precomputed_idx` (n values) chosen by the caller.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_add_core(
    index: *mut FaissIndexIVFFlat,
    n: idx_t,
    x: *const f32,
    xids: *const idx_t,
    precomputed_idx: *const i64,
) -> c_int {
    boundary!({ ivf_add_core(index, n, x, xids, precomputed_idx) })
}

/// Replaces the stored vectors of the `nv` ids `idx` with `v` (nv*d floats); the index needs a direct map.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFFlat_update_vectors(
    index: *mut FaissIndexIVFFlat,
    nv: c_int,
    idx: *mut idx_t,
    v: *const f32,
) -> c_int {
    boundary!({
        of_class(index, c"IndexIVFFlat")?;
        non_null(index, "index")?;
        non_null(idx, "idx")?;
        non_null(v, "v")?;
        let n = count(nv.into(), "nv")? as idx_t;
        if let Some(remote) = as_remote(index) {
            return remote.update_vectors(
                n as usize,
                slice(idx, n as usize),
                vectors(remote, v, n),
            );
        }
        usable(index.cast_const().cast(), v, n, "v", false)?;
        shim_status(shim::faissx_shim_IndexIVF_update_vectors(
            index.cast(),
            nv,
            idx,
            v,
        ))
    })
}

unsafe fn ivf_flat_over_face(
    out: *mut *mut std::os::raw::c_void,
    face: *mut std::os::raw::c_void,
    d: usize,
    nlist: usize,
    metric: FaissMetricType,
) -> Result<()> {
    shim_status(shim::faissx_shim_IndexIVFFlat_over_face(
        out,
        face,
        d,
        nlist,
        metric as c_int,
    ))
}
