//! `AutoTune_c.h`: parameter spaces — named settings (nprobe, efSearch, ...) applied to any index by name.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::{shim, sys};
use std::os::raw::{c_char, c_int};

/// `name` of a `ParameterRange`; NULL (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ParameterRange_name(
    range: *const FaissParameterRange,
) -> *const c_char {
    boundary!(std::ptr::null(), {
        non_null(range, "range")?;
        Ok(sys::faiss_ParameterRange_name(range))
    })
}

/// The values of a parameter range: `*p_values` (borrowed from the range) holds `*p_size` doubles.
#[no_mangle]
pub unsafe extern "C" fn faissx_ParameterRange_values(
    range: *mut FaissParameterRange,
    p_values: *mut *mut f64,
    p_size: *mut usize,
) {
    boundary!((), {
        non_null(range, "range")?;
        non_null(p_values, "p_values")?;
        sys::faiss_ParameterRange_values(range, p_values, p_size);
        Ok(())
    })
}

/// Frees a `ParameterSpace`. NULL is a no-op. Borrowed pointers obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn faissx_ParameterSpace_free(obj: *mut FaissParameterSpace) {
    boundary!((), {
        if !obj.is_null() {
            sys::faiss_ParameterSpace_free(obj);
        }
        Ok(())
    })
}

/// Creates a `ParameterSpace` in `*space`; the caller owns it. Returns 0 or an error code.
#[no_mangle]
pub unsafe extern "C" fn faissx_ParameterSpace_new(space: *mut *mut FaissParameterSpace) -> c_int {
    boundary!({
        non_null(space, "space")?;
        faiss_status(sys::faiss_ParameterSpace_new(space))
    })
}

/// `n_combinations` of a `ParameterSpace`; 0 (with the last error set) for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn faissx_ParameterSpace_n_combinations(
    space: *const FaissParameterSpace,
) -> usize {
    boundary!(0, {
        non_null(space, "space")?;
        Ok(sys::faiss_ParameterSpace_n_combinations(space))
    })
}

/// Writes the name of combination `cno` (e.g. "nprobe=16") into `char_buf` of `size` bytes, NUL-terminated; fails if it does not fit.
#[no_mangle]
pub unsafe extern "C" fn faissx_ParameterSpace_combination_name(
    space: *const FaissParameterSpace,
    cno: usize,
    char_buf: *mut c_char,
    size: usize,
) -> c_int {
    boundary!({
        non_null(space, "space")?;
        non_null(char_buf, "char_buf")?;
        combination_in_range(space, cno)?;
        faiss_status(sys::faiss_ParameterSpace_combination_name(
            space, cno, char_buf, size,
        ))
    })
}

/// Sets `index_parameters` of a `ParameterSpace`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_ParameterSpace_set_index_parameters(
    space: *const FaissParameterSpace,
    index: *mut FaissIndex,
    param_string: *const c_char,
) -> c_int {
    boundary!({
        non_null(space, "space")?;
        non_null(index, "index")?;
        non_null(param_string, "param_string")?;
        if let Some(remote) = as_remote(index) {
            return set_remote_parameters(remote, c_str(param_string, "param_string")?);
        }
        // FAISS walks into the index's sub-indexes without looking for NULL.
        complete(index)?;
        faiss_status(sys::faiss_ParameterSpace_set_index_parameters(
            space,
            index,
            param_string,
        ))
    })
}

/// Sets `index_parameters_cno` of a `ParameterSpace`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_ParameterSpace_set_index_parameters_cno(
    space: *const FaissParameterSpace,
    index: *mut FaissIndex,
    cno: usize,
) -> c_int {
    boundary!({
        non_null(space, "space")?;
        non_null(index, "index")?;
        combination_in_range(space, cno)?;
        if let Some(remote) = as_remote(index) {
            // Each range's value itself: the combination's name prints values with %g.
            let (mut name, mut value) = (std::ptr::null(), 0f64);
            for range in 0.. {
                if shim::faissx_shim_ParameterSpace_setting(
                    space.cast(),
                    cno,
                    range,
                    &mut name,
                    &mut value,
                ) == 0
                {
                    break;
                }
                let name = std::ffi::CStr::from_ptr(name).to_string_lossy();
                remote.set_space_param(&name, value)?;
            }
            return Ok(());
        }
        complete(index)?;
        faiss_status(sys::faiss_ParameterSpace_set_index_parameters_cno(
            space, index, cno,
        ))
    })
}

/// Sets `index_parameter` of a `ParameterSpace`. A NULL handle sets the last error and changes nothing.
#[no_mangle]
pub unsafe extern "C" fn faissx_ParameterSpace_set_index_parameter(
    space: *const FaissParameterSpace,
    index: *mut FaissIndex,
    name: *const c_char,
    value: f64,
) -> c_int {
    boundary!({
        non_null(space, "space")?;
        non_null(index, "index")?;
        non_null(name, "name")?;
        if let Some(remote) = as_remote(index) {
            return remote.set_space_param(c_str(name, "name")?, value);
        }
        complete(index)?;
        faiss_status(sys::faiss_ParameterSpace_set_index_parameter(
            space, index, name, value,
        ))
    })
}

/// Prints the parameter space's ranges to stdout.
#[no_mangle]
pub unsafe extern "C" fn faissx_ParameterSpace_display(space: *const FaissParameterSpace) {
    boundary!((), {
        non_null(space, "space")?;
        sys::faiss_ParameterSpace_display(space);
        Ok(())
    })
}

/// Adds an empty range named `name` to the space; `*p_range` (may be NULL) borrows it from the space.
#[no_mangle]
pub unsafe extern "C" fn faissx_ParameterSpace_add_range(
    space: *mut FaissParameterSpace,
    name: *const c_char,
    p_range: *mut *mut FaissParameterRange,
) -> c_int {
    boundary!({
        non_null(space, "space")?;
        non_null(name, "name")?;
        faiss_status(sys::faiss_ParameterSpace_add_range(space, name, p_range))
    })
}

/// FAISS takes `cno` modulo each range's size without checking it: a range with no values
/// (the C API cannot add any) is a division by zero that kills the process.
unsafe fn combination_in_range(space: *const FaissParameterSpace, cno: usize) -> Result<()> {
    let n = sys::faiss_ParameterSpace_n_combinations(space);
    if cno < n {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "cno = {cno} is out of range: the space has {n} combinations"
        )))
    }
}

/// Applies FAISS's parameter string to a remote index as `ParameterSpace::set_index_parameters`
/// does locally: tokens split at spaces and commas, each read with FAISS's own `sscanf` format,
/// the settings before a malformed token applied.
fn set_remote_parameters(remote: &RemoteIndex, settings: &str) -> Result<()> {
    for token in settings.split([' ', ',']).filter(|t| !t.is_empty()) {
        let c_token = std::ffi::CString::new(token)
            .map_err(|_| Error::invalid("param_string contains NUL"))?;
        let mut name = [0 as c_char; 100];
        let mut value = 0f64;
        // SAFETY: name holds the 99 characters and NUL the format allows; value is a double.
        let read = unsafe {
            libc::sscanf(
                c_token.as_ptr(),
                c"%99[^=]=%lf".as_ptr(),
                name.as_mut_ptr(),
                &mut value as *mut f64,
            )
        };
        if read != 2 {
            return Err(Error::new(
                FAISSX_ERR_FAISS,
                format!("could not interpret parameters {token}"),
            ));
        }
        // SAFETY: sscanf wrote a NUL-terminated name.
        let name = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
        remote.set_space_param(&name.to_string_lossy(), value)?;
    }
    Ok(())
}
