//! `VectorTransform_c.h`, `IndexPreTransform_c.h`, `IndexLSH_c.h`: transforms checked by their
//! algebra (rotations keep norms, PCA inverts, centering centres), and indexes built on them.

mod common;

use common::*;
use faissx::ffi::index::*;
use faissx::ffi::index_flat::*;
use faissx::ffi::index_lsh::*;
use faissx::ffi::index_pre_transform::*;
use faissx::ffi::types::*;
use faissx::ffi::vector_transform::*;
use std::os::raw::c_int;
use std::ptr;

const D: usize = 16;

/// Owns any `FaissVectorTransform*`.
struct Transform(*mut FaissVectorTransform);

impl Drop for Transform {
    fn drop(&mut self) {
        unsafe { faissx_VectorTransform_free(self.0) }
    }
}

impl Transform {
    #[track_caller]
    fn new(rc: c_int, p: *mut FaissVectorTransform) -> Self {
        check(rc);
        assert!(!p.is_null());
        Transform(p)
    }

    fn into_raw(self) -> *mut FaissVectorTransform {
        let p = self.0;
        std::mem::forget(self);
        p
    }

    fn d_in(&self) -> usize {
        unsafe { faissx_VectorTransform_d_in(self.0) as usize }
    }

    fn d_out(&self) -> usize {
        unsafe { faissx_VectorTransform_d_out(self.0) as usize }
    }

    fn trained(&self) -> bool {
        unsafe { faissx_VectorTransform_is_trained(self.0) != 0 }
    }

    #[track_caller]
    fn train(&self, x: &[f32]) {
        let n = (x.len() / self.d_in()) as idx_t;
        check(unsafe { faissx_VectorTransform_train(self.0, n, x.as_ptr()) });
        assert!(self.trained());
    }

    fn apply(&self, x: &[f32]) -> Vec<f32> {
        let n = x.len() / self.d_in();
        let mut out = vec![f32::NAN; n * self.d_out()];
        unsafe {
            faissx_VectorTransform_apply_noalloc(self.0, n as idx_t, x.as_ptr(), out.as_mut_ptr())
        };
        out
    }

    fn reverse(&self, xt: &[f32]) -> Vec<f32> {
        let n = xt.len() / self.d_out();
        let mut out = vec![f32::NAN; n * self.d_in()];
        unsafe {
            faissx_VectorTransform_reverse_transform(
                self.0,
                n as idx_t,
                xt.as_ptr(),
                out.as_mut_ptr(),
            )
        };
        out
    }
}

fn norms(x: &[f32], d: usize) -> Vec<f32> {
    x.chunks(d).map(|v| dot(v, v).sqrt()).collect()
}

#[track_caller]
fn assert_all_close(a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "element {i}: {x} vs {y}");
    }
}

#[test]
fn full_pca_is_an_invertible_orthonormal_map() {
    let x = Rng::new(91).vectors(500, D);
    let mut p = ptr::null_mut();
    let pca = Transform::new(
        unsafe { faissx_PCAMatrix_new_with(&mut p, D as i32, D as i32, 0.0, 0) },
        p,
    );
    assert_eq!((pca.d_in(), pca.d_out()), (D, D));
    unsafe {
        assert_eq!(faissx_PCAMatrix_eigen_power(pca.0), 0.0);
        assert_eq!(faissx_PCAMatrix_random_rotation(pca.0), 0);
    }
    assert!(!pca.trained());
    pca.train(&x);
    unsafe {
        assert_eq!(
            faissx_LinearTransform_have_bias(pca.0),
            1,
            "PCA subtracts the mean"
        );
        assert_eq!(faissx_LinearTransform_is_orthonormal(pca.0), 1);
    }
    let y = pca.apply(&x[..10 * D]);
    assert_all_close(&pca.reverse(&y), &x[..10 * D], 1e-4);
    let mut back = vec![0.0; 10 * D];
    unsafe { faissx_LinearTransform_transform_transpose(pca.0, 10, y.as_ptr(), back.as_mut_ptr()) };
    assert_all_close(&back, &x[..10 * D], 1e-4);

    // The allocating variant computes the same thing, in a buffer released with free().
    let allocated = unsafe { faissx_VectorTransform_apply(pca.0, 10, x.as_ptr()) };
    assert!(!allocated.is_null());
    assert_eq!(
        unsafe { std::slice::from_raw_parts(allocated, 10 * D) },
        &y[..]
    );
    unsafe { libc::free(allocated.cast()) };
}

#[test]
fn reduced_pca_orders_components_by_variance() {
    let mut rng = Rng::new(92);
    // Dimension t varies with amplitude (t + 1): variance grows with t.
    let x: Vec<f32> = (0..2000 * D)
        .map(|i| (rng.f32() - 0.5) * ((i % D) + 1) as f32)
        .collect();
    let mut p = ptr::null_mut();
    let pca = Transform::new(
        unsafe { faissx_PCAMatrix_new_with(&mut p, D as i32, 4, 0.0, 0) },
        p,
    );
    pca.train(&x);
    let y = pca.apply(&x);
    assert_eq!(y.len(), 2000 * 4);
    let variance = |c: usize| y.iter().skip(c).step_by(4).map(|v| v * v).sum::<f32>() / 2000.0;
    assert!(variance(0) >= variance(1) && variance(1) >= variance(2) && variance(2) >= variance(3));
    // The top component carries the variance of the widest input dimension, (16^2)/12.
    assert!(
        (variance(0) - 256.0 / 12.0).abs() < 3.0,
        "variance {}",
        variance(0)
    );
}

#[test]
fn random_rotation_keeps_norms() {
    let x = Rng::new(93).vectors(50, D);
    let mut p = ptr::null_mut();
    let rot = Transform::new(
        unsafe { faissx_RandomRotationMatrix_new_with(&mut p, D as i32, D as i32) },
        p,
    );
    rot.train(&x);
    unsafe {
        assert_eq!(faissx_LinearTransform_is_orthonormal(rot.0), 1);
        assert_eq!(faissx_LinearTransform_have_bias(rot.0), 0);
    }
    let y = rot.apply(&x);
    assert_ne!(y, x);
    assert_all_close(&norms(&y, D), &norms(&x, D), 1e-4);
    assert_all_close(&rot.reverse(&y), &x, 1e-4);
    unsafe { faissx_LinearTransform_set_is_orthonormal(rot.0) };
    assert_eq!(unsafe { faissx_LinearTransform_is_orthonormal(rot.0) }, 1);
    unsafe { faissx_RandomRotationMatrix_free(rot.into_raw()) };
}

#[test]
fn normalization_scales_to_unit_norm() {
    let x = Rng::new(94).vectors(30, D);
    let mut p = ptr::null_mut();
    // 2.0 is the exponent p of the L_p norm: L2 normalization.
    let norm = Transform::new(
        unsafe { faissx_NormalizationTransform_new_with(&mut p, D as i32, 2.0) },
        p,
    );
    assert_eq!(unsafe { faissx_NormalizationTransform_norm(norm.0) }, 2.0);
    assert!(norm.trained(), "normalization needs no training");
    let y = norm.apply(&x);
    assert_all_close(&norms(&y, D), &[1.0; 30], 1e-5);
    // Directions are kept: y is x divided by its norm.
    for (yv, xv) in y.chunks(D).zip(x.chunks(D)) {
        let n = dot(xv, xv).sqrt();
        assert_all_close(yv, &xv.iter().map(|v| v / n).collect::<Vec<_>>(), 1e-5);
    }
}

#[test]
fn centering_removes_the_mean() {
    let x: Vec<f32> = Rng::new(95)
        .vectors(400, D)
        .iter()
        .map(|v| v * 3.0 + 5.0)
        .collect();
    let mut p = ptr::null_mut();
    let center = Transform::new(
        unsafe { faissx_CenteringTransform_new_with(&mut p, D as i32) },
        p,
    );
    assert!(!center.trained());
    center.train(&x);
    let y = center.apply(&x);
    for t in 0..D {
        let mean = y.iter().skip(t).step_by(D).sum::<f32>() / 400.0;
        assert!(mean.abs() < 1e-4, "dimension {t} has mean {mean}");
    }
    assert_all_close(&center.reverse(&y), &x, 1e-4);
}

#[test]
fn remapping_moves_components_and_pads_with_zeros() {
    let x: Vec<f32> = Rng::new(96).vectors(3, 4).iter().map(|v| v + 1.0).collect();
    for uniform in [0, 1] {
        let mut p = ptr::null_mut();
        let remap = Transform::new(
            unsafe { faissx_RemapDimensionsTransform_new_with(&mut p, 4, 8, uniform) },
            p,
        );
        let y = remap.apply(&x);
        for (yv, xv) in y.chunks(8).zip(x.chunks(4)) {
            let kept: Vec<f32> = yv.iter().copied().filter(|v| *v != 0.0).collect();
            assert_eq!(kept, xv, "every input component lands once, in order");
            if uniform == 0 {
                assert_eq!(&yv[..4], xv);
            } else {
                assert_ne!(&yv[..4], xv, "a uniform remap spreads the components");
            }
        }
        assert_eq!(remap.reverse(&y), x);
    }
}

#[test]
fn itq_transforms_train_and_rotate() {
    let x = Rng::new(97).vectors(1000, D);
    let mut p = ptr::null_mut();
    let itq = Transform::new(unsafe { faissx_ITQMatrix_new_with(&mut p, D as i32) }, p);
    itq.train(&x);
    let y = itq.apply(&x[..20 * D]);
    assert_all_close(&norms(&y, D), &norms(&x[..20 * D], D), 1e-3);

    let mut p = ptr::null_mut();
    let itqt = Transform::new(
        unsafe { faissx_ITQTransform_new_with(&mut p, D as i32, 8, 1) },
        p,
    );
    assert_eq!(unsafe { faissx_ITQTransform_do_pca(itqt.0) }, 1);
    assert_eq!((itqt.d_in(), itqt.d_out()), (D, 8));
    itqt.train(&x);
    let y = itqt.apply(&x[..20 * D]);
    assert_eq!(y.len(), 20 * 8);
    assert!(y.iter().all(|v| v.is_finite()));
    unsafe {
        faissx_ITQMatrix_free(itq.into_raw());
        faissx_ITQTransform_free(itqt.into_raw());
    }
}

#[test]
fn opq_learns_a_rotation() {
    let x = Rng::new(98).vectors(1000, D);
    let mut p = ptr::null_mut();
    let opq = Transform::new(
        unsafe { faissx_OPQMatrix_new_with(&mut p, D as i32, 4, D as i32) },
        p,
    );
    unsafe {
        assert_eq!(faissx_OPQMatrix_verbose(opq.0), 0);
        faissx_OPQMatrix_set_verbose(opq.0, 1);
        assert_eq!(faissx_OPQMatrix_verbose(opq.0), 1);
        faissx_OPQMatrix_set_verbose(opq.0, 0);
        faissx_OPQMatrix_set_niter(opq.0, 3);
        assert_eq!(faissx_OPQMatrix_niter(opq.0), 3);
        faissx_OPQMatrix_set_niter_pq(opq.0, 2);
        assert_eq!(faissx_OPQMatrix_niter_pq(opq.0), 2);
    }
    opq.train(&x);
    let y = opq.apply(&x[..20 * D]);
    assert_all_close(&norms(&y, D), &norms(&x[..20 * D], D), 1e-3);
    unsafe { faissx_OPQMatrix_free(opq.into_raw()) };
}

#[test]
fn other_typed_frees_accept_their_objects() {
    let mut p = ptr::null_mut();
    check(unsafe { faissx_PCAMatrix_new_with(&mut p, 8, 4, 0.0, 0) });
    unsafe { faissx_PCAMatrix_free(p) };
    check(unsafe { faissx_RemapDimensionsTransform_new_with(&mut p, 8, 4, 0) });
    unsafe { faissx_RemapDimensionsTransform_free(p) };
    check(unsafe { faissx_NormalizationTransform_new_with(&mut p, 8, 2.0) });
    unsafe { faissx_NormalizationTransform_free(p) };
    check(unsafe { faissx_CenteringTransform_new_with(&mut p, 8) });
    unsafe { faissx_CenteringTransform_free(p) };
    check(unsafe { faissx_RandomRotationMatrix_new_with(&mut p, 8, 8) });
    unsafe { faissx_LinearTransform_free(p) };
    unsafe { faissx_VectorTransform_free(ptr::null_mut()) };
}

fn flat(d: usize) -> Index {
    let mut p = ptr::null_mut();
    Index::from_new(
        unsafe { faissx_IndexFlatL2_new_with(&mut p, d as idx_t) },
        p,
    )
}

#[test]
fn pre_transform_searches_in_the_transformed_space() {
    let mut rng = Rng::new(99);
    let xb = rng.vectors(500, D);
    let xq = rng.vectors(10, D);
    let mut p = ptr::null_mut();
    let pca = Transform::new(
        unsafe { faissx_PCAMatrix_new_with(&mut p, D as i32, 8, 0.0, 0) },
        p,
    );
    let inner = flat(8);
    let mut p = ptr::null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexPreTransform_new_with_transform(&mut p, pca.0, inner.ptr()) },
        p,
    );
    unsafe {
        assert_eq!(faissx_IndexPreTransform_cast(index.ptr()), index.ptr());
        assert!(faissx_IndexPreTransform_cast(inner.ptr()).is_null());
        assert_eq!(faissx_IndexPreTransform_index(index.ptr()), inner.ptr());
        assert_eq!(faissx_IndexPreTransform_own_fields(index.ptr()), 0);
        assert_eq!(faissx_Index_d(index.ptr()), D as i32);
        assert_eq!(faissx_Index_is_trained(index.ptr()), 0);
    }
    index.train(&xb);
    assert!(pca.trained(), "training the index trains its transform");
    index.add(&xb);
    assert_eq!(inner.ntotal(), 500);
    // Searching the wrapper is searching the inner index with transformed queries.
    let direct = inner.search(&pca.apply(&xq), 5);
    assert_eq!(index.search(&xq, 5), direct);
    assert_knn(
        &pca.apply(&xb),
        &pca.apply(&xq),
        8,
        5,
        METRIC_L2,
        (&direct.0, &direct.1),
    );
}

#[test]
fn prepended_transforms_run_first() {
    let mut rng = Rng::new(100);
    let xb: Vec<f32> = rng.vectors(300, D).iter().map(|v| v * 2.0 - 7.0).collect();
    let xq: Vec<f32> = rng.vectors(5, D).iter().map(|v| v * 2.0 - 7.0).collect();
    let inner = flat(D);
    let mut p = ptr::null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexPreTransform_new_with(&mut p, inner.ptr()) },
        p,
    );
    let mut p = ptr::null_mut();
    let norm = Transform::new(
        unsafe { faissx_NormalizationTransform_new_with(&mut p, D as i32, 2.0) },
        p,
    );
    let mut p = ptr::null_mut();
    let center = Transform::new(
        unsafe { faissx_CenteringTransform_new_with(&mut p, D as i32) },
        p,
    );
    check(unsafe { faissx_IndexPreTransform_prepend_transform(index.ptr(), norm.0) });
    check(unsafe { faissx_IndexPreTransform_prepend_transform(index.ptr(), center.0) });
    index.train(&xb);
    index.add(&xb);
    // Centre, then normalize: the stored vectors have unit norm around the data's mean.
    let stored = inner.reconstruct(3);
    assert!((dot(&stored, &stored) - 1.0).abs() < 1e-5);
    let expected = norm.apply(&center.apply(&xq));
    assert_eq!(index.search(&xq, 4), inner.search(&expected, 4));
    drop(index);
}

#[test]
fn pre_transform_can_own_everything() {
    let mut p = ptr::null_mut();
    let empty = Index::from_new(unsafe { faissx_IndexPreTransform_new(&mut p) }, p);
    assert_eq!(empty.ntotal(), 0);

    let inner = flat(4);
    let mut p = ptr::null_mut();
    check(unsafe { faissx_NormalizationTransform_new_with(&mut p, 4, 2.0) });
    let mut q = ptr::null_mut();
    let index = Index::from_new(
        unsafe { faissx_IndexPreTransform_new_with_transform(&mut q, p, inner.ptr()) },
        q,
    );
    unsafe { faissx_IndexPreTransform_set_own_fields(index.ptr(), 1) };
    assert_eq!(
        unsafe { faissx_IndexPreTransform_own_fields(index.ptr()) },
        1
    );
    let _ = inner.into_raw();
    index.add(&[3.0, 4.0, 0.0, 0.0]);
    let (dis, lab) = index.search(&[0.6, 0.8, 0.0, 0.0], 1);
    assert_eq!(lab, vec![0]);
    assert!(dis[0].abs() < 1e-6);
}

#[test]
fn lsh_codes_have_the_requested_shape() {
    let mut rng = Rng::new(101);
    let xb = rng.vectors(300, D);
    let mut p = ptr::null_mut();
    // FAISS's defaults: rotate the data, fixed thresholds (no training).
    let default = Index::from_new(unsafe { faissx_IndexLSH_new(&mut p, D as idx_t, 32) }, p);
    unsafe {
        assert_eq!(faissx_IndexLSH_nbits(default.ptr()), 32);
        assert_eq!(faissx_IndexLSH_code_size(default.ptr()), 4);
        assert_eq!(faissx_IndexLSH_rotate_data(default.ptr()), 1);
        assert_eq!(faissx_IndexLSH_train_thresholds(default.ptr()), 0);
        assert_eq!(faissx_Index_is_trained(default.ptr()), 1);
    }
    let mut p = ptr::null_mut();
    let plain = Index::from_new(
        unsafe { faissx_IndexLSH_new_with_options(&mut p, D as idx_t, D as i32, 0, 0) },
        p,
    );
    unsafe {
        assert_eq!(faissx_IndexLSH_cast(plain.ptr()), plain.ptr());
        assert_eq!(faissx_IndexLSH_nbits(plain.ptr()), D as i32);
        assert_eq!(faissx_IndexLSH_code_size(plain.ptr()), (D / 8) as i32);
        assert_eq!(faissx_IndexLSH_rotate_data(plain.ptr()), 0);
        assert_eq!(faissx_IndexLSH_train_thresholds(plain.ptr()), 0);
    }
    let mut p = ptr::null_mut();
    let rotated = Index::from_new(
        unsafe { faissx_IndexLSH_new_with_options(&mut p, D as idx_t, 64, 1, 1) },
        p,
    );
    unsafe {
        assert_eq!(faissx_IndexLSH_nbits(rotated.ptr()), 64);
        assert_eq!(faissx_IndexLSH_code_size(rotated.ptr()), 8);
        assert_eq!(faissx_IndexLSH_rotate_data(rotated.ptr()), 1);
        assert_eq!(faissx_IndexLSH_train_thresholds(rotated.ptr()), 1);
        assert_eq!(faissx_Index_is_trained(rotated.ptr()), 0);
        assert!(faissx_IndexLSH_cast(flat(4).ptr()).is_null());
    }
    rotated.train(&xb);
    for index in [&default, &plain, &rotated] {
        index.add(&xb);
        // A stored vector hashes to its own code: Hamming distance 0, among the first
        // results unless more vectors than asked for share that code.
        let (dis, lab) = index.search(&xb[42 * D..43 * D], 3);
        assert_eq!(dis[0], 0.0);
        assert!(dis[0] <= dis[1] && dis[1] <= dis[2]);
        assert!(lab.contains(&42) || dis[2] == 0.0, "{lab:?} {dis:?}");
    }
}

#[test]
fn typed_frees_release_their_indexes() {
    unsafe {
        let mut p = ptr::null_mut();
        check(faissx_IndexLSH_new(&mut p, D as idx_t, 32));
        faissx_IndexLSH_free(p);
        let inner = flat(D);
        check(faissx_IndexPreTransform_new_with(&mut p, inner.ptr()));
        faissx_IndexPreTransform_free(p);
        assert_eq!(inner.d(), D, "the borrowed index survives");
    }
}
