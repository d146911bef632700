//! `AutoTune_c.h`: parameter spaces set search parameters on any index by name.

mod common;

use common::*;
use faissx::ffi::auto_tune::*;
use faissx::ffi::index::faissx_Index_verbose;
use faissx::ffi::index_hnsw::faissx_IndexHNSW_efSearch;
use faissx::ffi::index_ivf::faissx_IndexIVF_nprobe;
use faissx::ffi::types::*;
use std::ffi::CStr;
use std::os::raw::c_char;
use std::ptr;

struct Space(*mut FaissParameterSpace);

impl Drop for Space {
    fn drop(&mut self) {
        unsafe { faissx_ParameterSpace_free(self.0) }
    }
}

fn space() -> Space {
    let mut p = ptr::null_mut();
    check(unsafe { faissx_ParameterSpace_new(&mut p) });
    assert!(!p.is_null());
    Space(p)
}

#[test]
fn parameters_are_set_by_name() {
    let ivf = Index::factory(8, "IVF4,Flat", METRIC_L2);
    let hnsw = Index::factory(8, "HNSW8", METRIC_L2);
    let space = space();
    unsafe {
        check(faissx_ParameterSpace_set_index_parameter(
            space.0,
            ivf.ptr(),
            cstr("nprobe").as_ptr(),
            3.0,
        ));
        assert_eq!(faissx_IndexIVF_nprobe(ivf.ptr()), 3);
        check(faissx_ParameterSpace_set_index_parameters(
            space.0,
            ivf.ptr(),
            cstr("nprobe=4,verbose=1").as_ptr(),
        ));
        assert_eq!(faissx_IndexIVF_nprobe(ivf.ptr()), 4);
        assert_eq!(faissx_Index_verbose(ivf.ptr()), 1);
        check(faissx_ParameterSpace_set_index_parameter(
            space.0,
            hnsw.ptr(),
            cstr("efSearch").as_ptr(),
            77.0,
        ));
        assert_eq!(faissx_IndexHNSW_efSearch(hnsw.ptr()), 77);

        let rc = faissx_ParameterSpace_set_index_parameter(
            space.0,
            hnsw.ptr(),
            cstr("nprobe").as_ptr(),
            2.0,
        );
        expect_err(
            rc,
            FAISSX_ERR_FAISS,
            &["faissx_ParameterSpace_set_index_parameter", "nprobe"],
        );
        let rc = faissx_ParameterSpace_set_index_parameters(
            space.0,
            ivf.ptr(),
            cstr("bogus=1").as_ptr(),
        );
        expect_err(
            rc,
            FAISSX_ERR_FAISS,
            &["faissx_ParameterSpace_set_index_parameters", "bogus"],
        );
    }
}

#[test]
fn an_empty_space_has_one_empty_combination() {
    let ivf = Index::factory(8, "IVF4,Flat", METRIC_L2);
    let space = space();
    unsafe {
        assert_eq!(faissx_ParameterSpace_n_combinations(space.0), 1);
        let mut buf = [b'x' as c_char; 16];
        check(faissx_ParameterSpace_combination_name(
            space.0,
            0,
            buf.as_mut_ptr(),
            buf.len(),
        ));
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_bytes(), b"");
        // Applying the one combination changes nothing.
        check(faissx_ParameterSpace_set_index_parameters_cno(
            space.0,
            ivf.ptr(),
            0,
        ));
        assert_eq!(faissx_IndexIVF_nprobe(ivf.ptr()), 1);
        faissx_ParameterSpace_display(space.0);
    }
}

#[test]
fn ranges_are_named_and_start_empty() {
    let space = space();
    let mut range = ptr::null_mut();
    check(unsafe { faissx_ParameterSpace_add_range(space.0, cstr("nprobe").as_ptr(), &mut range) });
    assert!(!range.is_null());
    let name = unsafe { CStr::from_ptr(faissx_ParameterRange_name(range)) };
    assert_eq!(name.to_str().unwrap(), "nprobe");
    let (mut values, mut size) = (ptr::null_mut(), 99usize);
    unsafe { faissx_ParameterRange_values(range, &mut values, &mut size) };
    assert_eq!(size, 0);
    // The C API cannot fill a range, so a space with one has no combination at all.
    assert_eq!(unsafe { faissx_ParameterSpace_n_combinations(space.0) }, 0);
}

#[test]
fn combination_numbers_beyond_the_space_are_errors() {
    let ivf = Index::factory(8, "IVF4,Flat", METRIC_L2);
    let space = space();
    let mut buf = [0 as c_char; 64];
    unsafe {
        let rc = faissx_ParameterSpace_set_index_parameters_cno(space.0, ivf.ptr(), 1);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_ParameterSpace_set_index_parameters_cno", "cno = 1"],
        );
        let rc = faissx_ParameterSpace_combination_name(space.0, 1, buf.as_mut_ptr(), buf.len());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_ParameterSpace_combination_name", "cno = 1"],
        );
        let mut range = ptr::null_mut();
        check(faissx_ParameterSpace_add_range(
            space.0,
            cstr("nprobe").as_ptr(),
            &mut range,
        ));
        // With an empty range FAISS would divide by its size: an error, never a crash.
        let rc = faissx_ParameterSpace_combination_name(space.0, 0, buf.as_mut_ptr(), buf.len());
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_ParameterSpace_combination_name", "cno = 0"],
        );
        let rc = faissx_ParameterSpace_set_index_parameters_cno(space.0, ivf.ptr(), 0);
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &[
                "faissx_ParameterSpace_set_index_parameters_cno",
                "0 combinations",
            ],
        );
    }
}
