//! `IndexScalarQuantizer_c.h`: per-component scalar quantization, flat or inverted-file.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::index_ivf::ivf_add_core;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::c_int;

/// Creates an `IndexScalarQuantizer` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexScalarQuantizer_new(
    p_index: *mut *mut FaissIndexScalarQuantizer,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        if let Some(handle) = create_default("IndexScalarQuantizer")? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexScalarQuantizer_new(p_index))
    })
}

/// Creates an `IndexScalarQuantizer` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexScalarQuantizer_new_with(
    p_index: *mut *mut FaissIndexScalarQuantizer,
    d: idx_t,
    qt: FaissQuantizerType,
    metric: FaissMetricType,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        dimension(d, "d")?;
        known_quantizer_type(qt)?;
        known_metric(metric)?;
        if let Some(handle) = create_remote(|| {
            Ok(IndexSpec::ScalarQuantizer {
                d: d as u32,
                qt,
                metric,
            })
        })? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexScalarQuantizer_new_with(
            p_index, d, qt, metric,
        ))
    })
}

/// The same handle if it is an `IndexScalarQuantizer` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexScalarQuantizer_cast(
    index: *mut FaissIndex,
) -> *mut FaissIndexScalarQuantizer {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexScalarQuantizer") {
            return Ok(cast);
        }
        Ok(sys::faiss_IndexScalarQuantizer_cast(index))
    })
}

/// Frees an `IndexScalarQuantizer`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexScalarQuantizer_free(obj: *mut FaissIndexScalarQuantizer) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexScalarQuantizer_free(obj);
        }
        Ok(())
    })
}

/// The same handle if it is an `IndexIVFScalarQuantizer` (or a subclass), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFScalarQuantizer_cast(
    index: *mut FaissIndex,
) -> *mut FaissIndexIVFScalarQuantizer {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexIVFScalarQuantizer") {
            return Ok(cast);
        }
        Ok(sys::faiss_IndexIVFScalarQuantizer_cast(index))
    })
}

/// Frees an `IndexIVFScalarQuantizer`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFScalarQuantizer_free(
    obj: *mut FaissIndexIVFScalarQuantizer,
) {
    boundary!((), {
        if let Some(remote) = as_remote(obj) {
            return RemoteIndex::free(remote);
        }
        if !obj.is_null() {
            sys::faiss_IndexIVFScalarQuantizer_free(obj);
        }
        Ok(())
    })
}

/// Creates an `IndexIVFScalarQuantizer` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFScalarQuantizer_new(
    p_index: *mut *mut FaissIndexIVFScalarQuantizer,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        if let Some(handle) = create_default("IndexIVFScalarQuantizer")? {
            *p_index = handle.cast();
            return Ok(());
        }
        shim_status(shim::faissx_shim_IndexIVFScalarQuantizer_new(
            p_index.cast(),
        ))
    })
}

/// Creates an `IndexIVFScalarQuantizer` in `*p_index`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFScalarQuantizer_new_with(
    p_index: *mut *mut FaissIndexIVFScalarQuantizer,
    quantizer: *mut FaissIndex,
    d: idx_t,
    nlist: usize,
    qt: FaissQuantizerType,
) -> c_int {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_IndexIVFScalarQuantizer_new_with");
    let Ok(d) = usize::try_from(d) else {
        return boundary!({ Err(Error::invalid(format!("d must be > 0 (got {d})"))) });
    };
    // FAISS's C++ constructor defaults to L2 and to encoding residuals.
    faissx_IndexIVFScalarQuantizer_new_with_metric(p_index, quantizer, d, nlist, qt, METRIC_L2, 1)
}

#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFScalarQuantizer_new_with_metric(
    p_index: *mut *mut FaissIndexIVFScalarQuantizer,
    quantizer: *mut FaissIndex,
    d: usize,
    nlist: usize,
    qt: FaissQuantizerType,
    metric: FaissMetricType,
    encode_residual: c_int,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        non_null(quantizer, "quantizer")?;
        known_quantizer_type(qt)?;
        ivf_scan_metric(metric, "IndexIVFScalarQuantizer")?;
        quantizer_dimension(quantizer, d)?;
        nlist_in_range(nlist as u64)?;
        if let Some(handle) = create_composite(
            quantizer,
            false,
            |quantizer| {
                Ok(IndexSpec::IvfScalarQuantizer {
                    quantizer,
                    d: d as u64,
                    nlist: nlist as u64,
                    qt,
                    metric,
                    by_residual: encode_residual != 0,
                })
            },
            |face, out| {
                if encode_residual != 0 {
                    return Err(residuals_over_face("IndexIVFScalarQuantizer"));
                }
                shim_status(shim::faissx_shim_IndexIVFScalarQuantizer_over_face(
                    out,
                    face,
                    d,
                    nlist,
                    qt as c_int,
                    metric as c_int,
                    encode_residual,
                ))
            },
        )? {
            *p_index = handle.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_IndexIVFScalarQuantizer_new_with_metric(
            p_index,
            quantizer,
            d,
            nlist,
            qt,
            metric,
            encode_residual,
        ))
    })
}

/// `nlist` of an `IndexIVFScalarQuantizer`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFScalarQuantizer_nlist(
    index: *const FaissIndexIVFScalarQuantizer,
) -> usize {
    boundary!(0, {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().nlist as usize);
        }
        Ok(sys::faiss_IndexIVFScalarQuantizer_nlist(index))
    })
}

/// `nprobe` of an `IndexIVFScalarQuantizer`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFScalarQuantizer_nprobe(
    index: *const FaissIndexIVFScalarQuantizer,
) -> usize {
    boundary!(0, {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.nprobe as usize);
        }
        Ok(sys::faiss_IndexIVFScalarQuantizer_nprobe(index))
    })
}

/// Sets `nprobe` of an `IndexIVFScalarQuantizer`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFScalarQuantizer_set_nprobe(
    index: *mut FaissIndexIVFScalarQuantizer,
    value: usize,
) {
    boundary!((), {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_param("nprobe", value as f64);
        }
        sys::faiss_IndexIVFScalarQuantizer_set_nprobe(index, value);
        Ok(())
    })
}

/// `quantizer` of an `IndexIVFScalarQuantizer`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFScalarQuantizer_quantizer(
    index: *const FaissIndexIVFScalarQuantizer,
) -> *mut FaissIndex {
    boundary!(std::ptr::null_mut(), {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return remote_quantizer(remote);
        }
        Ok(lent(
            index.cast_mut().cast(),
            sys::faiss_IndexIVFScalarQuantizer_quantizer(index),
        ))
    })
}

/// `own_fields` of an `IndexIVFScalarQuantizer`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFScalarQuantizer_own_fields(
    index: *const FaissIndexIVFScalarQuantizer,
) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.own_fields());
        }
        Ok(sys::faiss_IndexIVFScalarQuantizer_own_fields(index))
    })
}

/// Sets `own_fields` of an `IndexIVFScalarQuantizer`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFScalarQuantizer_set_own_fields(
    index: *mut FaissIndexIVFScalarQuantizer,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexIVF")?;
        if let Some(remote) = as_remote(index) {
            remote.set_own_fields(value);
            return Ok(());
        }
        sys::faiss_IndexIVFScalarQuantizer_set_own_fields(index, value);
        Ok(())
    })
}

/// Adds `n` vectors with ids `xids` (may be NULL) to the lists `precomputed_idx` chosen by the caller.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFScalarQuantizer_add_core(
    index: *mut FaissIndexIVFScalarQuantizer,
    n: idx_t,
    x: *const f32,
    xids: *const idx_t,
    precomputed_idx: *const idx_t,
) -> c_int {
    boundary!({ ivf_add_core(index, n, x, xids, precomputed_idx) })
}
