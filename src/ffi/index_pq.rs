//! Product quantization (FAISS's `IndexPQ.h` and `IndexIVFPQ.h`), which FAISS 1.12's C API can
//! only build through `index_factory`: constructors and the quantizer's shape.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::{c_int, c_void};

/// The same handle if it is an `IndexPQ`, NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPQ_cast(index: *mut FaissIndex) -> *mut FaissIndexPQ {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexPQ") {
            return Ok(cast);
        }
        Ok(shim::faissx_shim_cast_IndexPQ(index.cast()).cast())
    })
}

/// Frees an `IndexPQ`, as `faissx_Index_free`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPQ_free(obj: *mut FaissIndexPQ) {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_IndexPQ_free");
    crate::ffi::index::faissx_Index_free(obj)
}

/// Creates an `IndexPQ`: vectors of dimension `d` cut into `M` sub-vectors (M divides d), each
/// encoded on `nbits` bits. Needs training. The caller owns `*p_index`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPQ_new_with(
    p_index: *mut *mut FaissIndexPQ,
    d: c_int,
    M: usize,
    nbits: usize,
    metric: FaissMetricType,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        pq_shape(d.into(), M as u64, nbits as u64)?;
        known_metric(metric)?;
        if let Some(handle) = create_remote(|| {
            Ok(IndexSpec::Pq {
                d: d as u32,
                m: M as u64,
                nbits: nbits as u64,
                metric,
            })
        })? {
            *p_index = handle.cast();
            return Ok(());
        }
        shim_status(shim::faissx_shim_IndexPQ_new(
            p_index.cast(),
            d,
            M,
            nbits,
            metric as c_int,
        ))
    })
}

/// The same handle if it is an `IndexIVFPQ`, NULL otherwise or for NULL. An IVFPQ is also an
/// IVF: `faissx_IndexIVF_cast` accepts it, and the IndexIVF functions apply.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFPQ_cast(index: *mut FaissIndex) -> *mut FaissIndexIVFPQ {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexIVFPQ") {
            return Ok(cast);
        }
        Ok(shim::faissx_shim_cast_IndexIVFPQ(index.cast()).cast())
    })
}

/// Frees an `IndexIVFPQ`, as `faissx_Index_free`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFPQ_free(obj: *mut FaissIndexIVFPQ) {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_IndexIVFPQ_free");
    crate::ffi::index::faissx_Index_free(obj)
}

/// Creates an `IndexIVFPQ` for squared L2, as `faissx_IndexIVFPQ_new_with_metric`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFPQ_new_with(
    p_index: *mut *mut FaissIndexIVFPQ,
    quantizer: *mut FaissIndex,
    d: usize,
    nlist: usize,
    M: usize,
    nbits: usize,
) -> c_int {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_IndexIVFPQ_new_with");
    faissx_IndexIVFPQ_new_with_metric(p_index, quantizer, d, nlist, M, nbits, METRIC_L2)
}

/// Creates an `IndexIVFPQ`: `nlist` inverted lists over `quantizer` (dimension `d`, borrowed
/// unless `faissx_IndexIVF_set_own_fields(index, 1)`), residuals encoded by a product
/// quantizer of `M` sub-vectors of `nbits` bits. The caller owns `*p_index`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFPQ_new_with_metric(
    p_index: *mut *mut FaissIndexIVFPQ,
    quantizer: *mut FaissIndex,
    d: usize,
    nlist: usize,
    M: usize,
    nbits: usize,
    metric: FaissMetricType,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        let quantizer = non_null(quantizer, "quantizer")?;
        let d_signed = i64::try_from(d).map_err(|_| Error::invalid("d is too large"))?;
        pq_shape(d_signed, M as u64, nbits as u64)?;
        nlist_in_range(nlist as u64)?;
        ivf_scan_metric(metric, "IndexIVFPQ")?;
        if let Some(handle) = create_composite(
            quantizer,
            false,
            |quantizer| {
                Ok(IndexSpec::IvfPq {
                    quantizer,
                    d: d as u64,
                    nlist: nlist as u64,
                    m: M as u64,
                    nbits: nbits as u64,
                    metric,
                })
            },
            |_, _| Err(residuals_over_face("IndexIVFPQ")),
        )? {
            *p_index = handle.cast();
            return Ok(());
        }
        let quantizer_d = sys::faiss_Index_d(quantizer);
        if quantizer_d as i64 != d_signed {
            return Err(Error::invalid(format!(
                "quantizer has dimension {quantizer_d}, index has {d}"
            )));
        }
        shim_status(shim::faissx_shim_IndexIVFPQ_new(
            p_index.cast(),
            quantizer.cast(),
            d,
            nlist,
            M,
            nbits,
            metric as c_int,
        ))
    })
}

/// `M` (sub-vectors per vector) of an `IndexPQ` or `IndexIVFPQ`; 0 and the last error otherwise.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPQ_M(index: *const FaissIndexPQ) -> usize {
    boundary!(0, { pq_m(index) })
}

/// `nbits` (bits per sub-vector code) of an `IndexPQ` or `IndexIVFPQ`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexPQ_nbits(index: *const FaissIndexPQ) -> usize {
    boundary!(0, { pq_nbits(index) })
}

/// `M` of an `IndexIVFPQ`, as `faissx_IndexPQ_M`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFPQ_M(index: *const FaissIndexIVFPQ) -> usize {
    // Its own boundary, so that an error names this function.
    boundary!(0, { pq_m(index) })
}

/// `nbits` of an `IndexIVFPQ`, as `faissx_IndexPQ_nbits`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexIVFPQ_nbits(index: *const FaissIndexIVFPQ) -> usize {
    boundary!(0, { pq_nbits(index) })
}

unsafe fn pq_m(index: *const FaissIndex) -> Result<usize> {
    if let Some(remote) = as_remote(index) {
        if !(remote.is("IndexPQ") || remote.is("IndexIVFPQ")) {
            return Err(not_product_quantized());
        }
        return Ok(remote.cached_info().pq_m as usize);
    }
    Ok(shim::faissx_shim_pq_M(product_quantized(index)?))
}

unsafe fn pq_nbits(index: *const FaissIndex) -> Result<usize> {
    if let Some(remote) = as_remote(index) {
        if !(remote.is("IndexPQ") || remote.is("IndexIVFPQ")) {
            return Err(not_product_quantized());
        }
        return Ok(remote.cached_info().pq_nbits as usize);
    }
    Ok(shim::faissx_shim_pq_nbits(product_quantized(index)?))
}

unsafe fn product_quantized(index: *const FaissIndex) -> Result<*mut c_void> {
    let index = non_null(index, "index")?.cast_mut().cast::<c_void>();
    let is_pq = !shim::faissx_shim_cast_IndexPQ(index).is_null()
        || !shim::faissx_shim_cast_IndexIVFPQ(index).is_null();
    if is_pq {
        Ok(index)
    } else {
        Err(not_product_quantized())
    }
}

fn not_product_quantized() -> Error {
    Error::unsupported("index is neither an IndexPQ nor an IndexIVFPQ")
}
