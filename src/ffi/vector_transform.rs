//! `VectorTransform_c.h`: PCA, OPQ, random rotations, normalization and other transforms.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use std::os::raw::c_int;

/// Frees a `VectorTransform`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_VectorTransform_free(obj: *mut FaissVectorTransform) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_VectorTransform_free(obj);
        }
        Ok(())
    })
}

/// `is_trained` of a `VectorTransform`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_VectorTransform_is_trained(
    vt: *const FaissVectorTransform,
) -> c_int {
    boundary!(0, {
        non_null(vt, "vt")?;
        Ok(sys::faiss_VectorTransform_is_trained(vt))
    })
}

/// `d_in` of a `VectorTransform`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_VectorTransform_d_in(vt: *const FaissVectorTransform) -> c_int {
    boundary!(0, {
        non_null(vt, "vt")?;
        Ok(sys::faiss_VectorTransform_d_in(vt))
    })
}

/// `d_out` of a `VectorTransform`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_VectorTransform_d_out(vt: *const FaissVectorTransform) -> c_int {
    boundary!(0, {
        non_null(vt, "vt")?;
        Ok(sys::faiss_VectorTransform_d_out(vt))
    })
}

/// Trains the transform on `n` vectors `x` (n*d_in floats).
#[no_mangle]
pub unsafe extern "C" fn faissx_VectorTransform_train(
    vt: *mut FaissVectorTransform,
    n: idx_t,
    x: *const f32,
) -> c_int {
    boundary!({
        non_null(vt, "vt")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        faiss_status(sys::faiss_VectorTransform_train(vt, n, x))
    })
}

/// Applies the transform to `n` vectors `x` (n*d_in floats) and returns the n*d_out results in a
/// new buffer, which the caller releases with `free()`; NULL (with the last error set) on failure.
#[no_mangle]
pub unsafe extern "C" fn faissx_VectorTransform_apply(
    vt: *const FaissVectorTransform,
    n: idx_t,
    x: *const f32,
) -> *mut f32 {
    boundary!(std::ptr::null_mut(), {
        non_null(vt, "vt")?;
        let rows = count(n, "n")?;
        buffer(x, n, "x")?;
        // FAISS's apply allocates with new[], which C cannot release: use malloc instead.
        let d_out = usize::try_from(sys::faiss_VectorTransform_d_out(vt)).unwrap_or(0);
        let len = rows
            .checked_mul(d_out)
            .ok_or_else(|| Error::invalid("n * d_out overflows"))?;
        let xt = libc::malloc(len.max(1) * std::mem::size_of::<f32>()).cast::<f32>();
        if xt.is_null() {
            return Err(Error::new(FAISSX_ERR_STD, "out of memory"));
        }
        if let Err(error) = shim_status(shim::faissx_shim_VectorTransform_apply_noalloc(
            vt.cast(),
            n,
            x,
            xt,
        )) {
            libc::free(xt.cast());
            return Err(error);
        }
        Ok(xt)
    })
}

/// Applies the transform to `n` vectors `x` (n*d_in floats), writing `xt` (n*d_out floats).
#[no_mangle]
pub unsafe extern "C" fn faissx_VectorTransform_apply_noalloc(
    vt: *const FaissVectorTransform,
    n: idx_t,
    x: *const f32,
    xt: *mut f32,
) {
    boundary!((), {
        non_null(vt, "vt")?;
        count(n, "n")?;
        buffer(x, n, "x")?;
        buffer(xt, n, "xt")?;
        shim_status(shim::faissx_shim_VectorTransform_apply_noalloc(
            vt.cast(),
            n,
            x,
            xt,
        ))
    })
}

/// Inverts the transform for `n` vectors `xt` (n*d_out floats) into `x` (n*d_in floats), where it is invertible.
#[no_mangle]
pub unsafe extern "C" fn faissx_VectorTransform_reverse_transform(
    vt: *const FaissVectorTransform,
    n: idx_t,
    xt: *const f32,
    x: *mut f32,
) {
    boundary!((), {
        non_null(vt, "vt")?;
        count(n, "n")?;
        buffer(xt, n, "xt")?;
        buffer(x, n, "x")?;
        shim_status(shim::faissx_shim_VectorTransform_reverse_transform(
            vt.cast(),
            n,
            xt,
            x,
        ))
    })
}

/// Frees a `LinearTransform`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_LinearTransform_free(obj: *mut FaissLinearTransform) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_LinearTransform_free(obj);
        }
        Ok(())
    })
}

/// Applies the transposed matrix to `n` vectors `y` (n*d_out floats), writing `x` (n*d_in floats).
#[no_mangle]
pub unsafe extern "C" fn faissx_LinearTransform_transform_transpose(
    vt: *const FaissLinearTransform,
    n: idx_t,
    y: *const f32,
    x: *mut f32,
) {
    boundary!((), {
        transform_of_class(vt, c"LinearTransform")?;
        count(n, "n")?;
        buffer(y, n, "y")?;
        buffer(x, n, "x")?;
        shim_status(shim::faissx_shim_LinearTransform_transform_transpose(
            vt.cast(),
            n,
            y,
            x,
        ))
    })
}

/// Sets `is_orthonormal` of a `LinearTransform`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_LinearTransform_set_is_orthonormal(vt: *mut FaissLinearTransform) {
    boundary!((), {
        transform_of_class(vt, c"LinearTransform")?;
        shim_status(shim::faissx_shim_LinearTransform_set_is_orthonormal(
            vt.cast(),
        ))
    })
}

/// `have_bias` of a `LinearTransform`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_LinearTransform_have_bias(
    vt: *const FaissLinearTransform,
) -> c_int {
    boundary!(0, {
        transform_of_class(vt, c"LinearTransform")?;
        Ok(sys::faiss_LinearTransform_have_bias(vt))
    })
}

/// `is_orthonormal` of a `LinearTransform`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_LinearTransform_is_orthonormal(
    vt: *const FaissLinearTransform,
) -> c_int {
    boundary!(0, {
        transform_of_class(vt, c"LinearTransform")?;
        Ok(sys::faiss_LinearTransform_is_orthonormal(vt))
    })
}

/// Frees a `RandomRotationMatrix`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_RandomRotationMatrix_free(obj: *mut FaissRandomRotationMatrix) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_RandomRotationMatrix_free(obj);
        }
        Ok(())
    })
}

/// Creates a `RandomRotationMatrix` in `*p_vt`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_RandomRotationMatrix_new_with(
    p_vt: *mut *mut FaissRandomRotationMatrix,
    d_in: c_int,
    d_out: c_int,
) -> c_int {
    boundary!({
        non_null(p_vt, "p_vt")?;
        faiss_status(sys::faiss_RandomRotationMatrix_new_with(p_vt, d_in, d_out))
    })
}

/// Frees a `PCAMatrix`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_PCAMatrix_free(obj: *mut FaissPCAMatrix) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_PCAMatrix_free(obj);
        }
        Ok(())
    })
}

/// Creates a `PCAMatrix` in `*p_vt`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_PCAMatrix_new_with(
    p_vt: *mut *mut FaissPCAMatrix,
    d_in: c_int,
    d_out: c_int,
    eigen_power: f32,
    random_rotation: c_int,
) -> c_int {
    boundary!({
        non_null(p_vt, "p_vt")?;
        faiss_status(sys::faiss_PCAMatrix_new_with(
            p_vt,
            d_in,
            d_out,
            eigen_power,
            random_rotation,
        ))
    })
}

/// `eigen_power` of a `PCAMatrix`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_PCAMatrix_eigen_power(vt: *const FaissPCAMatrix) -> f32 {
    boundary!(0.0, {
        transform_of_class(vt, c"PCAMatrix")?;
        Ok(sys::faiss_PCAMatrix_eigen_power(vt))
    })
}

/// `random_rotation` of a `PCAMatrix`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_PCAMatrix_random_rotation(vt: *const FaissPCAMatrix) -> c_int {
    boundary!(0, {
        transform_of_class(vt, c"PCAMatrix")?;
        Ok(sys::faiss_PCAMatrix_random_rotation(vt))
    })
}

/// Frees an `ITQMatrix`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_ITQMatrix_free(obj: *mut FaissITQMatrix) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_ITQMatrix_free(obj);
        }
        Ok(())
    })
}

/// Creates an `ITQMatrix` in `*p_vt`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_ITQMatrix_new_with(
    p_vt: *mut *mut FaissITQMatrix,
    d: c_int,
) -> c_int {
    boundary!({
        non_null(p_vt, "p_vt")?;
        faiss_status(sys::faiss_ITQMatrix_new_with(p_vt, d))
    })
}

/// Frees an `ITQTransform`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_ITQTransform_free(obj: *mut FaissITQTransform) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_ITQTransform_free(obj);
        }
        Ok(())
    })
}

/// Creates an `ITQTransform` in `*p_vt`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_ITQTransform_new_with(
    p_vt: *mut *mut FaissITQTransform,
    d_in: c_int,
    d_out: c_int,
    do_pca: c_int,
) -> c_int {
    boundary!({
        non_null(p_vt, "p_vt")?;
        faiss_status(sys::faiss_ITQTransform_new_with(p_vt, d_in, d_out, do_pca))
    })
}

/// `do_pca` of an `ITQTransform`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ITQTransform_do_pca(vt: *const FaissITQTransform) -> c_int {
    boundary!(0, {
        transform_of_class(vt, c"ITQTransform")?;
        Ok(sys::faiss_ITQTransform_do_pca(vt))
    })
}

/// Frees an `OPQMatrix`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_OPQMatrix_free(obj: *mut FaissOPQMatrix) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_OPQMatrix_free(obj);
        }
        Ok(())
    })
}

/// Creates an `OPQMatrix` in `*p_vt`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_OPQMatrix_new_with(
    p_vt: *mut *mut FaissOPQMatrix,
    d: c_int,
    M: c_int,
    d2: c_int,
) -> c_int {
    boundary!({
        non_null(p_vt, "p_vt")?;
        dimension(d.into(), "d")?;
        // Training divides d2 (d when -1) by M.
        let d_out = if d2 == -1 { d } else { d2 };
        dimension(d_out.into(), "d2")?;
        if M <= 0 || d_out % M != 0 {
            return Err(Error::invalid(format!(
                "M = {M} must be >= 1 and divide d2 = {d_out}"
            )));
        }
        faiss_status(sys::faiss_OPQMatrix_new_with(p_vt, d, M, d2))
    })
}

/// `verbose` of an `OPQMatrix`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_OPQMatrix_verbose(vt: *const FaissOPQMatrix) -> c_int {
    boundary!(0, {
        transform_of_class(vt, c"OPQMatrix")?;
        Ok(sys::faiss_OPQMatrix_verbose(vt))
    })
}

/// Sets `verbose` of an `OPQMatrix`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_OPQMatrix_set_verbose(vt: *mut FaissOPQMatrix, value: c_int) {
    boundary!((), {
        transform_of_class(vt, c"OPQMatrix")?;
        sys::faiss_OPQMatrix_set_verbose(vt, value);
        Ok(())
    })
}

/// `niter` of an `OPQMatrix`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_OPQMatrix_niter(vt: *const FaissOPQMatrix) -> c_int {
    boundary!(0, {
        transform_of_class(vt, c"OPQMatrix")?;
        Ok(sys::faiss_OPQMatrix_niter(vt))
    })
}

/// Sets `niter` of an `OPQMatrix`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_OPQMatrix_set_niter(vt: *mut FaissOPQMatrix, value: c_int) {
    boundary!((), {
        transform_of_class(vt, c"OPQMatrix")?;
        sys::faiss_OPQMatrix_set_niter(vt, value);
        Ok(())
    })
}

/// `niter_pq` of an `OPQMatrix`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_OPQMatrix_niter_pq(vt: *const FaissOPQMatrix) -> c_int {
    boundary!(0, {
        transform_of_class(vt, c"OPQMatrix")?;
        Ok(sys::faiss_OPQMatrix_niter_pq(vt))
    })
}

/// Sets `niter_pq` of an `OPQMatrix`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_OPQMatrix_set_niter_pq(vt: *mut FaissOPQMatrix, value: c_int) {
    boundary!((), {
        transform_of_class(vt, c"OPQMatrix")?;
        sys::faiss_OPQMatrix_set_niter_pq(vt, value);
        Ok(())
    })
}

/// Frees a `RemapDimensionsTransform`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_RemapDimensionsTransform_free(
    obj: *mut FaissRemapDimensionsTransform,
) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_RemapDimensionsTransform_free(obj);
        }
        Ok(())
    })
}

/// Creates a `RemapDimensionsTransform` in `*p_vt`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_RemapDimensionsTransform_new_with(
    p_vt: *mut *mut FaissRemapDimensionsTransform,
    d_in: c_int,
    d_out: c_int,
    uniform: c_int,
) -> c_int {
    boundary!({
        non_null(p_vt, "p_vt")?;
        faiss_status(sys::faiss_RemapDimensionsTransform_new_with(
            p_vt, d_in, d_out, uniform,
        ))
    })
}

/// Frees a `NormalizationTransform`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_NormalizationTransform_free(obj: *mut FaissNormalizationTransform) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_NormalizationTransform_free(obj);
        }
        Ok(())
    })
}

/// Creates a `NormalizationTransform` in `*p_vt`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_NormalizationTransform_new_with(
    p_vt: *mut *mut FaissNormalizationTransform,
    d: c_int,
    norm: f32,
) -> c_int {
    boundary!({
        non_null(p_vt, "p_vt")?;
        faiss_status(sys::faiss_NormalizationTransform_new_with(p_vt, d, norm))
    })
}

/// `norm` of a `NormalizationTransform`; 0.0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_NormalizationTransform_norm(
    vt: *const FaissNormalizationTransform,
) -> f32 {
    boundary!(0.0, {
        transform_of_class(vt, c"NormalizationTransform")?;
        Ok(sys::faiss_NormalizationTransform_norm(vt))
    })
}

/// Frees a `CenteringTransform`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_CenteringTransform_free(obj: *mut FaissCenteringTransform) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_CenteringTransform_free(obj);
        }
        Ok(())
    })
}

/// Creates a `CenteringTransform` in `*p_vt`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_CenteringTransform_new_with(
    p_vt: *mut *mut FaissCenteringTransform,
    d: c_int,
) -> c_int {
    boundary!({
        non_null(p_vt, "p_vt")?;
        faiss_status(sys::faiss_CenteringTransform_new_with(p_vt, d))
    })
}

/// FAISS's C API casts a transform to the class its function reads without checking: a field
/// read through another class's layout is garbage, a write corrupts the object.
///
/// # Safety
/// `vt` must be NULL or a live transform.
unsafe fn transform_of_class<T>(vt: *const T, class: &'static std::ffi::CStr) -> Result<()> {
    non_null(vt, "vt")?;
    if shim::faissx_shim_VectorTransform_is_class(vt.cast(), class.as_ptr()) != 0 {
        Ok(())
    } else {
        Err(Error::unsupported(format!(
            "vt is not a {}",
            class.to_str().unwrap_or_default()
        )))
    }
}
