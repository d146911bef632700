//! The one way into libfaissx from C. Every export's body runs inside [`boundary!`], which
//!
//! - turns a Rust `Err` into the function's error return (a negative code, NULL, 0) and stores
//!   a message naming the function and the argument at fault, read by `faissx_get_last_error`;
//! - catches panics, which must never unwind into C;
//! - carries FAISS's own message when FAISS's C API reports a failure.
//!
//! The argument checks below run before FAISS sees a pointer, because FAISS's C API trusts its
//! caller: a NULL buffer or a negative count there is a segfault, not an error code.

use crate::ffi::types::*;
use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};

/// Why a call failed: a code from the header and a message for `faissx_get_last_error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: c_int,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: c_int, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }

    /// The caller's fault: something faissx checks before calling FAISS.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(FAISSX_ERR_INVALID_ARGUMENT, message)
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(FAISSX_ERR_UNSUPPORTED, message)
    }

    pub fn io(message: impl Into<String>) -> Self {
        Self::new(FAISSX_ERR_IO, message)
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
    static LAST_CODE: std::cell::Cell<c_int> = const { std::cell::Cell::new(0) };
}

fn set_last_error(function: &str, code: c_int, message: &str) {
    let text = format!("{function}: {message}").replace('\0', " ");
    let text = CString::new(text).expect("NULs were replaced");
    LAST_ERROR.with(|slot| *slot.borrow_mut() = Some(text));
    LAST_CODE.with(|slot| slot.set(code));
}

/// The code of the calling thread's last failure (0 if none since the last clear).
pub fn last_error_code() -> c_int {
    LAST_CODE.with(|slot| slot.get())
}

/// Forgets the calling thread's last failure, so a getter's failure can be told apart from a
/// legitimate 0 afterwards. The message string stays allocated until the next failure.
pub fn clear_last_error() {
    LAST_CODE.with(|slot| slot.set(0));
}

/// The failure another export just reported with `code` (and recorded for this thread), as an
/// error of the export that called it; `Ok` for 0.
pub fn reported(code: c_int) -> Result<()> {
    if code == 0 {
        return Ok(());
    }
    let message = LAST_ERROR.with(|slot| {
        slot.borrow()
            .as_ref()
            .map(|text| text.to_string_lossy().into_owned())
    });
    Err(Error::new(
        code,
        message.unwrap_or_else(|| "failed without a message".into()),
    ))
}

/// The calling thread's last error message, valid until that thread's next failing call.
pub fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|slot| match &*slot.borrow() {
        Some(text) => text.as_ptr(),
        None => std::ptr::null(),
    })
}

/// Runs an export's body; on failure records the message and returns `on_error(code)`.
/// `function` is only evaluated on failure, so naming the export costs nothing on success.
#[inline(always)]
pub fn guard<T>(
    function: impl FnOnce() -> &'static str,
    on_error: impl FnOnce(c_int) -> T,
    body: impl FnOnce() -> Result<T>,
) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(error)) => {
            set_last_error(function(), error.code, &error.message);
            on_error(error.code)
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(
                function(),
                FAISSX_ERR_UNKNOWN,
                &format!("internal error: {what}"),
            );
            on_error(FAISSX_ERR_UNKNOWN)
        }
    }
}

/// Strips the module path and the marker fn from `type_name_of_val` output.
pub fn export_name(marker_path: &'static str) -> &'static str {
    let path = marker_path.strip_suffix("::here").unwrap_or(marker_path);
    path.rsplit("::").next().unwrap_or(path)
}

/// Wraps an export's body. `boundary!({ ... })` is for functions returning a status code (0 or
/// a negative error code); `boundary!(fallback, { ... })` for getters and casts, which return
/// `fallback` (0, NULL, nothing) on failure. The body evaluates to a `Result`.
#[macro_export]
macro_rules! boundary {
    ($body:block) => {
        // The inner closure gives `return` in the body the type Result<()>.
        $crate::boundary!(@run |code| code, {
            $crate::ffi::boundary::status(|| -> $crate::ffi::boundary::Result<()> { $body })
        })
    };
    (@run $on_error:expr, $body:block) => {{
        fn here() {}
        $crate::ffi::boundary::guard(
            || $crate::ffi::boundary::export_name(::std::any::type_name_of_val(&here)),
            $on_error,
            #[inline(always)]
            || $body,
        )
    }};
    ($fallback:expr, $body:block) => {
        $crate::boundary!(@run |_| $fallback, $body)
    };
}

/// A status-returning body as the 0 / error-code result C sees.
#[inline(always)]
pub fn status(body: impl FnOnce() -> Result<()>) -> Result<c_int> {
    body().map(|()| 0)
}

/// Maps a status returned by FAISS's C API to a `Result`, carrying FAISS's message.
pub fn faiss_status(code: c_int) -> Result<()> {
    if code == 0 {
        return Ok(());
    }
    // SAFETY: FAISS's last error is a thread-local C string or NULL.
    let message = unsafe {
        let text = crate::local::sys::faiss_get_last_error();
        if text.is_null() {
            "FAISS reported an error without a message".to_string()
        } else {
            CStr::from_ptr(text).to_string_lossy().into_owned()
        }
    };
    let code = match code {
        -2 => FAISSX_ERR_FAISS,
        -4 => FAISSX_ERR_STD,
        _ => FAISSX_ERR_UNKNOWN,
    };
    Err(Error::new(code, message))
}

/// Pointers of either mutability, so one check serves `const T*` and `T*` arguments.
pub trait Pointer: Copy {
    fn is_null_ptr(self) -> bool;
}
impl<T> Pointer for *const T {
    fn is_null_ptr(self) -> bool {
        self.is_null()
    }
}
impl<T> Pointer for *mut T {
    fn is_null_ptr(self) -> bool {
        self.is_null()
    }
}
impl<T: Copy> Pointer for Option<T> {
    fn is_null_ptr(self) -> bool {
        self.is_none()
    }
}

/// A pointer the function cannot do without: a handle, an out-parameter, a string.
pub fn non_null<P: Pointer>(pointer: P, name: &str) -> Result<P> {
    if pointer.is_null_ptr() {
        Err(Error::invalid(format!("{name} is NULL")))
    } else {
        Ok(pointer)
    }
}

/// A count of vectors: never negative.
pub fn count(n: idx_t, name: &str) -> Result<usize> {
    usize::try_from(n).map_err(|_| Error::invalid(format!("{name} must be >= 0 (got {n})")))
}

/// A buffer of `n` items: may be NULL only when there is nothing in it.
pub fn buffer<P: Pointer>(pointer: P, n: idx_t, name: &str) -> Result<P> {
    count(n, "n")?;
    if n > 0 && pointer.is_null_ptr() {
        Err(Error::invalid(format!("{name} is NULL but n = {n}")))
    } else {
        Ok(pointer)
    }
}

/// The number of neighbours asked for.
pub fn positive_k(k: idx_t) -> Result<idx_t> {
    if k <= 0 {
        Err(Error::invalid(format!("k must be > 0 (got {k})")))
    } else if k > FAISSX_MAX_K {
        // FAISS allocates k-sized heaps per thread inside OpenMP regions, where a failed
        // allocation aborts the process instead of throwing.
        Err(Error::invalid(format!(
            "k must be <= {FAISSX_MAX_K} (got {k})"
        )))
    } else {
        Ok(k)
    }
}

/// A metric FAISS knows; anything else would be cast blindly to its C++ enum.
pub fn known_metric(metric: FaissMetricType) -> Result<FaissMetricType> {
    #[allow(non_upper_case_globals)]
    match metric {
        METRIC_INNER_PRODUCT | METRIC_L2 | METRIC_L1 | METRIC_Linf | METRIC_Lp
        | METRIC_Canberra | METRIC_BrayCurtis | METRIC_JensenShannon => Ok(metric),
        other => Err(Error::invalid(format!("unknown metric type {other}"))),
    }
}

/// A scalar quantizer type FAISS knows.
pub fn known_quantizer_type(qt: FaissQuantizerType) -> Result<FaissQuantizerType> {
    if qt <= QT_8bit_direct_signed {
        Ok(qt)
    } else {
        Err(Error::invalid(format!("unknown quantizer type {qt}")))
    }
}

/// FAISS indexes its lists without a bounds check: a bad `list_no` would read past them.
pub fn list_in_range(list_no: usize, nlist: usize) -> Result<()> {
    if list_no < nlist {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "list_no {list_no} is out of range (nlist = {nlist})"
        )))
    }
}

/// An IVF index's `d` must be its quantizer's. FAISS checks too, but only after allocating the
/// inverted lists, which its throwing constructor then leaks.
///
/// # Safety
/// `quantizer` must be a valid, non-NULL index.
pub unsafe fn quantizer_dimension(quantizer: *const FaissIndex, d: usize) -> Result<()> {
    let quantizer_d = match crate::ffi::dispatch::as_remote(quantizer) {
        Some(remote) => remote.cached_info().d as std::os::raw::c_int,
        None => crate::local::sys::faiss_Index_d(quantizer),
    };
    if usize::try_from(quantizer_d).ok() == Some(d) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "quantizer has dimension {quantizer_d}, index has {d}"
        )))
    }
}

/// A range search writes `n + 1` lims into `result`, made for `nq` queries: FAISS does not
/// check that they agree, and overruns the array when they do not.
///
/// # Safety
/// `result` must be a valid, non-NULL RangeSearchResult.
pub unsafe fn range_result_fits(result: *const FaissRangeSearchResult, n: idx_t) -> Result<()> {
    let nq = crate::local::sys::faiss_RangeSearchResult_nq(result);
    if usize::try_from(n).ok() == Some(nq) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "result was created for {nq} queries, the search has {n}"
        )))
    }
}

/// A dimension or size passed as a signed integer: must be positive.
pub fn dimension(d: i64, name: &str) -> Result<i64> {
    if d <= 0 {
        Err(Error::invalid(format!("{name} must be > 0 (got {d})")))
    } else {
        Ok(d)
    }
}

/// A NUL-terminated string argument, as UTF-8 for messages.
///
/// # Safety
/// `text` must be NULL or point to a NUL-terminated string.
pub unsafe fn c_str<'a>(text: *const c_char, name: &str) -> Result<&'a str> {
    let text = non_null(text, name)?;
    CStr::from_ptr(text)
        .to_str()
        .map_err(|_| Error::invalid(format!("{name} is not valid UTF-8")))
}
