//! `utils/distances_c.h`: distance kernels on raw vectors, and the process-wide exhaustive-search tuning knobs.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::local::sys;
use std::os::raw::c_int;

/// Squared L2 distances between `nq` vectors `xq` and `nb` vectors `xb` of dimension `d`, written to `dis`; `ldq`, `ldb`, `ldd` are the row strides (-1 for packed rows).
#[no_mangle]
pub unsafe extern "C" fn faissx_pairwise_L2sqr(
    d: i64,
    nq: i64,
    xq: *const f32,
    nb: i64,
    xb: *const f32,
    dis: *mut f32,
    ldq: i64,
    ldb: i64,
    ldd: i64,
) {
    boundary!((), {
        non_null(xq, "xq")?;
        non_null(xb, "xb")?;
        non_null(dis, "dis")?;
        pairwise_shape(d, nq, nb, ldq, ldb, ldd)?;
        sys::faiss_pairwise_L2sqr(d, nq, xq, nb, xb, dis, ldq, ldb, ldd);
        Ok(())
    })
}

/// Squared L2 distances between `nq` vectors `xq` and `nb` vectors `xb` into `dis` (nq*nb floats, packed rows).
#[no_mangle]
pub unsafe extern "C" fn faissx_pairwise_L2sqr_with_defaults(
    d: i64,
    nq: i64,
    xq: *const f32,
    nb: i64,
    xb: *const f32,
    dis: *mut f32,
) {
    boundary!((), {
        non_null(xq, "xq")?;
        non_null(xb, "xb")?;
        non_null(dis, "dis")?;
        pairwise_shape(d, nq, nb, -1, -1, -1)?;
        sys::faiss_pairwise_L2sqr_with_defaults(d, nq, xq, nb, xb, dis);
        Ok(())
    })
}

/// Inner products of `x` with each of the `ny` vectors `y` (dimension `d`) into `ip` (ny floats).
#[no_mangle]
pub unsafe extern "C" fn faissx_fvec_inner_products_ny(
    ip: *mut f32,
    x: *const f32,
    y: *const f32,
    d: usize,
    ny: usize,
) {
    boundary!((), {
        non_null(ip, "ip")?;
        non_null(x, "x")?;
        non_null(y, "y")?;
        sys::faiss_fvec_inner_products_ny(ip, x, y, d, ny);
        Ok(())
    })
}

/// Squared L2 distances from `x` to each of the `ny` vectors `y` (dimension `d`) into `dis` (ny floats).
#[no_mangle]
pub unsafe extern "C" fn faissx_fvec_L2sqr_ny(
    dis: *mut f32,
    x: *const f32,
    y: *const f32,
    d: usize,
    ny: usize,
) {
    boundary!((), {
        non_null(dis, "dis")?;
        non_null(x, "x")?;
        non_null(y, "y")?;
        sys::faiss_fvec_L2sqr_ny(dis, x, y, d, ny);
        Ok(())
    })
}

/// `norm_L2sqr` of a `fvec`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_fvec_norm_L2sqr(x: *const f32, d: usize) -> f32 {
    boundary!(0.0, {
        non_null(x, "x")?;
        Ok(sys::faiss_fvec_norm_L2sqr(x, d))
    })
}

/// L2 norms of `nx` vectors `x` of dimension `d` into `norms` (nx floats).
#[no_mangle]
pub unsafe extern "C" fn faissx_fvec_norms_L2(norms: *mut f32, x: *const f32, d: usize, nx: usize) {
    boundary!((), {
        non_null(norms, "norms")?;
        non_null(x, "x")?;
        sys::faiss_fvec_norms_L2(norms, x, d, nx);
        Ok(())
    })
}

/// Squared L2 norms of `nx` vectors `x` of dimension `d` into `norms` (nx floats).
#[no_mangle]
pub unsafe extern "C" fn faissx_fvec_norms_L2sqr(
    norms: *mut f32,
    x: *const f32,
    d: usize,
    nx: usize,
) {
    boundary!((), {
        non_null(norms, "norms")?;
        non_null(x, "x")?;
        sys::faiss_fvec_norms_L2sqr(norms, x, d, nx);
        Ok(())
    })
}

/// Normalizes `nx` vectors `x` of dimension `d` in place to unit L2 norm (zero vectors stay zero).
#[no_mangle]
pub unsafe extern "C" fn faissx_fvec_renorm_L2(d: usize, nx: usize, x: *mut f32) {
    boundary!((), {
        non_null(x, "x")?;
        sys::faiss_fvec_renorm_L2(d, nx, x);
        Ok(())
    })
}

/// Process-wide: queries batches at least this large use BLAS for exhaustive search (default 20).
#[no_mangle]
pub unsafe extern "C" fn faissx_set_distance_compute_blas_threshold(value: c_int) {
    boundary!((), {
        sys::faiss_set_distance_compute_blas_threshold(value);
        Ok(())
    })
}

/// Process-wide BLAS threshold for exhaustive search.
#[no_mangle]
pub unsafe extern "C" fn faissx_get_distance_compute_blas_threshold() -> c_int {
    boundary!(0, { Ok(sys::faiss_get_distance_compute_blas_threshold()) })
}

/// Process-wide: block size of queries in BLAS exhaustive search.
#[no_mangle]
pub unsafe extern "C" fn faissx_set_distance_compute_blas_query_bs(value: c_int) {
    boundary!((), {
        sys::faiss_set_distance_compute_blas_query_bs(value);
        Ok(())
    })
}

/// Process-wide block size of queries in BLAS exhaustive search.
#[no_mangle]
pub unsafe extern "C" fn faissx_get_distance_compute_blas_query_bs() -> c_int {
    boundary!(0, { Ok(sys::faiss_get_distance_compute_blas_query_bs()) })
}

/// Process-wide: block size of database vectors in BLAS exhaustive search.
#[no_mangle]
pub unsafe extern "C" fn faissx_set_distance_compute_blas_database_bs(value: c_int) {
    boundary!((), {
        sys::faiss_set_distance_compute_blas_database_bs(value);
        Ok(())
    })
}

/// Process-wide block size of database vectors in BLAS exhaustive search.
#[no_mangle]
pub unsafe extern "C" fn faissx_get_distance_compute_blas_database_bs() -> c_int {
    boundary!(0, {
        Ok(sys::faiss_get_distance_compute_blas_database_bs())
    })
}

/// Process-wide: from this k on, exhaustive search keeps results in a reservoir instead of a heap.
#[no_mangle]
pub unsafe extern "C" fn faissx_set_distance_compute_min_k_reservoir(value: c_int) {
    boundary!((), {
        sys::faiss_set_distance_compute_min_k_reservoir(value);
        Ok(())
    })
}

/// Process-wide k from which exhaustive search uses a reservoir.
#[no_mangle]
pub unsafe extern "C" fn faissx_get_distance_compute_min_k_reservoir() -> c_int {
    boundary!(0, { Ok(sys::faiss_get_distance_compute_min_k_reservoir()) })
}

/// Negative sizes reach BLAS, which prints an error and leaves `dis` unwritten, or crash
/// FAISS's own loops; a leading dimension of -1 means "packed", as in FAISS.
fn pairwise_shape(d: i64, nq: i64, nb: i64, ldq: i64, ldb: i64, ldd: i64) -> Result<()> {
    for (value, name) in [(d, "d"), (nq, "nq"), (nb, "nb")] {
        if value < 0 {
            return Err(Error::invalid(format!("{name} must be >= 0 (got {value})")));
        }
    }
    for (ld, least, name) in [(ldq, d, "ldq"), (ldb, d, "ldb"), (ldd, nb, "ldd")] {
        if ld != -1 && ld < least {
            return Err(Error::invalid(format!(
                "{name} = {ld} is less than the row length {least}"
            )));
        }
    }
    Ok(())
}
