//! HNSW graph indexes (FAISS's `IndexHNSW.h`), which FAISS 1.12's C API can only build through
//! `index_factory` and cannot tune: constructors, the graph's parameters, and
//! `SearchParametersHNSW` under the names FAISS ≥ 1.14 gives them.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status};
use std::os::raw::c_int;

/// The same handle if it is an HNSW index (any storage), NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexHNSW_cast(index: *mut FaissIndex) -> *mut FaissIndexHNSW {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexHNSW") {
            return Ok(cast);
        }
        Ok(shim::faissx_shim_cast_IndexHNSW(index.cast()).cast())
    })
}

/// The same handle if it is an `IndexHNSWFlat`, NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexHNSWFlat_cast(
    index: *mut FaissIndex,
) -> *mut FaissIndexHNSWFlat {
    boundary!(std::ptr::null_mut(), {
        non_null(index, "index")?;
        if let Some(cast) = remote_cast(index, "IndexHNSWFlat") {
            return Ok(cast);
        }
        Ok(shim::faissx_shim_cast_IndexHNSWFlat(index.cast()).cast())
    })
}

/// Frees an HNSW index, as `faissx_Index_free`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexHNSW_free(obj: *mut FaissIndexHNSW) {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_IndexHNSW_free");
    crate::ffi::index::faissx_Index_free(obj)
}

/// Frees an `IndexHNSWFlat`, as `faissx_Index_free`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexHNSWFlat_free(obj: *mut FaissIndexHNSWFlat) {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_IndexHNSWFlat_free");
    crate::ffi::index::faissx_Index_free(obj)
}

/// Creates an `IndexHNSWFlat` of dimension `d` with `M` neighbours per node (2*M on the base
/// level), for squared L2. The caller owns `*p_index`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexHNSWFlat_new_with(
    p_index: *mut *mut FaissIndexHNSWFlat,
    d: c_int,
    M: c_int,
) -> c_int {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_IndexHNSWFlat_new_with");
    faissx_IndexHNSWFlat_new_with_metric(p_index, d, M, METRIC_L2)
}

/// Creates an `IndexHNSWFlat` of dimension `d` with `M` neighbours per node for `metric`.
/// The caller owns `*p_index`.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexHNSWFlat_new_with_metric(
    p_index: *mut *mut FaissIndexHNSWFlat,
    d: c_int,
    M: c_int,
    metric: FaissMetricType,
) -> c_int {
    boundary!({
        non_null(p_index, "p_index")?;
        dimension(d.into(), "d")?;
        hnsw_m(M.into())?;
        known_metric(metric)?;
        if let Some(handle) = create_remote(|| {
            Ok(IndexSpec::HnswFlat {
                d: d as u32,
                m: M as u32,
                metric,
            })
        })? {
            *p_index = handle.cast();
            return Ok(());
        }
        shim_status(shim::faissx_shim_IndexHNSWFlat_new(
            p_index.cast(),
            d,
            M,
            metric as c_int,
        ))
    })
}

/// The IndexHNSW of a local `index` that `of_class` accepted (the cast adjusts the pointer
/// where the class needs it).
unsafe fn hnsw(index: *const FaissIndexHNSW) -> *mut std::os::raw::c_void {
    shim::faissx_shim_cast_IndexHNSW(index.cast_mut().cast())
}

/// `M` of an HNSW index: neighbours per node above the base level. 0 (and the last error)
/// for NULL or a non-HNSW index.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexHNSW_M(index: *const FaissIndexHNSW) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexHNSW")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.cached_info().hnsw_m);
        }
        Ok(shim::faissx_shim_IndexHNSW_M(hnsw(index)))
    })
}

/// `efSearch` of an HNSW index: the candidate list length at search time (recall vs speed).
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexHNSW_efSearch(index: *const FaissIndexHNSW) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexHNSW")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.ef_search);
        }
        Ok(shim::faissx_shim_IndexHNSW_efSearch(hnsw(index)))
    })
}

/// Sets `efSearch` (> 0) of an HNSW index; applies to the following searches.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexHNSW_set_efSearch(index: *mut FaissIndexHNSW, value: c_int) {
    boundary!((), {
        of_class(index, c"IndexHNSW")?;
        if let Some(remote) = as_remote(index) {
            hnsw_ef(value.into(), "efSearch")?;
            return remote.set_param("efSearch", value.into());
        }
        let graph = hnsw(index);
        hnsw_ef(value.into(), "efSearch")?;
        shim::faissx_shim_IndexHNSW_set_efSearch(graph, value);
        Ok(())
    })
}

/// `efConstruction` of an HNSW index: the candidate list length while adding.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexHNSW_efConstruction(index: *const FaissIndexHNSW) -> c_int {
    boundary!(0, {
        of_class(index, c"IndexHNSW")?;
        if let Some(remote) = as_remote(index) {
            return Ok(remote.fresh_info()?.ef_construction);
        }
        Ok(shim::faissx_shim_IndexHNSW_efConstruction(hnsw(index)))
    })
}

/// Sets `efConstruction` (> 0) of an HNSW index; applies to vectors added afterwards.
#[no_mangle]
pub unsafe extern "C" fn faissx_IndexHNSW_set_efConstruction(
    index: *mut FaissIndexHNSW,
    value: c_int,
) {
    boundary!((), {
        of_class(index, c"IndexHNSW")?;
        if let Some(remote) = as_remote(index) {
            hnsw_ef(value.into(), "efConstruction")?;
            return remote.set_param("efConstruction", value.into());
        }
        let graph = hnsw(index);
        hnsw_ef(value.into(), "efConstruction")?;
        shim::faissx_shim_IndexHNSW_set_efConstruction(graph, value);
        Ok(())
    })
}

/// Frees HNSW search parameters (not the selector they refer to). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersHNSW_free(obj: *mut FaissSearchParametersHNSW) {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_SearchParametersHNSW_free");
    crate::ffi::index::faissx_SearchParameters_free(obj)
}

/// The same handle if it holds HNSW search parameters, NULL otherwise or for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersHNSW_cast(
    params: *mut FaissSearchParameters,
) -> *mut FaissSearchParametersHNSW {
    boundary!(std::ptr::null_mut(), {
        non_null(params, "params")?;
        Ok(shim::faissx_shim_cast_SearchParametersHNSW(params.cast()).cast())
    })
}

/// Creates HNSW search parameters with FAISS's defaults (efSearch 16, no selector).
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersHNSW_new(
    p_sp: *mut *mut FaissSearchParametersHNSW,
) -> c_int {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_SearchParametersHNSW_new");
    faissx_SearchParametersHNSW_new_with(p_sp, std::ptr::null_mut(), 16)
}

/// Creates HNSW search parameters: `sel` (may be NULL; borrowed, must outlive the parameters)
/// restricts the ids searched, `efSearch` (> 0) overrides the index's.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersHNSW_new_with(
    p_sp: *mut *mut FaissSearchParametersHNSW,
    sel: *mut FaissIDSelector,
    efSearch: c_int,
) -> c_int {
    boundary!({
        non_null(p_sp, "p_sp")?;
        hnsw_ef(efSearch.into(), "efSearch")?;
        shim_status(shim::faissx_shim_SearchParametersHNSW_new(
            p_sp.cast(),
            sel.cast(),
            efSearch,
        ))
    })
}

/// The selector of HNSW search parameters (borrowed), NULL if none.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersHNSW_sel(
    params: *const FaissSearchParametersHNSW,
) -> *const FaissIDSelector {
    boundary!(std::ptr::null(), {
        let params = non_null(params, "params")?;
        Ok(
            shim::faissx_shim_SearchParametersHNSW_sel(params.cast_mut().cast())
                .cast_const()
                .cast(),
        )
    })
}

/// Fields of `SearchParametersHNSW` that the shim reads and writes by number.
#[derive(Clone, Copy)]
#[repr(i32)]
enum HnswParam {
    EfSearch = 0,
    CheckRelativeDistance = 1,
    BoundedQueue = 2,
}

unsafe fn get_param(params: *const FaissSearchParametersHNSW, field: HnswParam) -> Result<c_int> {
    let params = non_null(params, "params")?;
    Ok(shim::faissx_shim_SearchParametersHNSW_get(
        params.cast_mut().cast(),
        field as c_int,
    ))
}

unsafe fn set_param(
    params: *mut FaissSearchParametersHNSW,
    field: HnswParam,
    value: c_int,
) -> Result<()> {
    let params = non_null(params, "params")?;
    shim::faissx_shim_SearchParametersHNSW_set(params.cast(), field as c_int, value);
    Ok(())
}

/// `efSearch` of HNSW search parameters.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersHNSW_efSearch(
    params: *const FaissSearchParametersHNSW,
) -> c_int {
    boundary!(0, { get_param(params, HnswParam::EfSearch) })
}

/// Sets `efSearch` (> 0) of HNSW search parameters.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersHNSW_set_efSearch(
    params: *mut FaissSearchParametersHNSW,
    value: c_int,
) {
    boundary!((), {
        hnsw_ef(value.into(), "efSearch")?;
        set_param(params, HnswParam::EfSearch, value)
    })
}

/// `check_relative_distance` (bool) of HNSW search parameters.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersHNSW_check_relative_distance(
    params: *const FaissSearchParametersHNSW,
) -> c_int {
    boundary!(0, { get_param(params, HnswParam::CheckRelativeDistance) })
}

/// Sets `check_relative_distance` (bool) of HNSW search parameters.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersHNSW_set_check_relative_distance(
    params: *mut FaissSearchParametersHNSW,
    value: c_int,
) {
    boundary!((), {
        set_param(params, HnswParam::CheckRelativeDistance, value)
    })
}

/// `bounded_queue` (bool) of HNSW search parameters.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersHNSW_bounded_queue(
    params: *const FaissSearchParametersHNSW,
) -> c_int {
    boundary!(0, { get_param(params, HnswParam::BoundedQueue) })
}

/// Sets `bounded_queue` (bool) of HNSW search parameters.
#[no_mangle]
pub unsafe extern "C" fn faissx_SearchParametersHNSW_set_bounded_queue(
    params: *mut FaissSearchParametersHNSW,
    value: c_int,
) {
    boundary!((), { set_param(params, HnswParam::BoundedQueue, value) })
}
