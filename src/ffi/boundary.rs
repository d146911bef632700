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
    function: impl Fn() -> &'static str,
    on_error: impl FnOnce(c_int) -> T,
    body: impl FnOnce() -> Result<T>,
) -> T {
    let _call = calls::enter(&function);
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

/// Which exports a caller reached, for the test that every inventory function runs in both
/// modes (tests/remote_parity.rs). Off, it costs one relaxed load per call; on, it records
/// only the outermost export of each thread, so an export that another calls internally does
/// not count as tested.
#[doc(hidden)]
pub mod calls {
    use std::cell::Cell;
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;

    static RECORDING: AtomicBool = AtomicBool::new(false);
    static SEEN: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

    thread_local! {
        static DEPTH: Cell<u32> = const { Cell::new(0) };
    }

    /// Starts recording, forgetting what was recorded before.
    pub fn start() {
        SEEN.lock().unwrap().clear();
        RECORDING.store(true, Ordering::SeqCst);
    }

    /// Stops recording and returns the exports called since `start`.
    pub fn stop() -> BTreeSet<&'static str> {
        RECORDING.store(false, Ordering::SeqCst);
        std::mem::take(&mut *SEEN.lock().unwrap())
    }

    /// Notes a call to an export; what it returns must live until the export returns.
    /// Exports that do not run inside `boundary!` call it themselves.
    #[inline(always)]
    pub fn enter(function: &impl Fn() -> &'static str) -> Option<Nesting> {
        if !RECORDING.load(Ordering::Relaxed) {
            return None;
        }
        let depth = DEPTH.with(|d| {
            d.set(d.get() + 1);
            d.get()
        });
        if depth == 1 {
            SEEN.lock().unwrap().insert(function());
        }
        Some(Nesting)
    }

    pub struct Nesting;

    impl Drop for Nesting {
        fn drop(&mut self) {
            DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
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
    // A remote index under a FAISS composite failed: its own code, not FAISS's.
    let code = crate::remote::face::carried_code(&message).unwrap_or(code);
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

/// The metric of an IVF index whose lists FAISS scans for L2 and inner product only (scalar
/// quantizer, PQ): with another, its scanner throws inside OpenMP or reads the wrong tables.
pub fn ivf_scan_metric(metric: FaissMetricType, what: &str) -> Result<FaissMetricType> {
    match known_metric(metric)? {
        METRIC_L2 | METRIC_INNER_PRODUCT => Ok(metric),
        other => Err(Error::invalid(format!(
            "{what} supports the L2 and inner product metrics only (got {other})"
        ))),
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
    use crate::local::sys;
    let nq = sys::faiss_RangeSearchResult_nq(result);
    if usize::try_from(n).ok() != Some(nq) {
        return Err(Error::invalid(format!(
            "result was created for {nq} queries, the search has {n}"
        )));
    }
    // FAISS writes the counts into lims without looking (NULL when the result was made with
    // alloc_lims = 0), and allocates labels and distances from inside its threads, where
    // finding them allocated already throws past OpenMP and ends the process.
    let result = result.cast_mut();
    let mut lims = std::ptr::null_mut();
    sys::faiss_RangeSearchResult_lims(result, &mut lims);
    if lims.is_null() {
        return Err(Error::invalid(
            "result has no lims (made with alloc_lims = 0): a search needs them",
        ));
    }
    let (mut labels, mut distances) = (std::ptr::null_mut(), std::ptr::null_mut());
    sys::faiss_RangeSearchResult_labels(result, &mut labels, &mut distances);
    if !labels.is_null() || !distances.is_null() {
        return Err(Error::invalid(
            "result already holds a search's results: give each range search a new one",
        ));
    }
    Ok(())
}

/// A dimension or size passed as a signed integer: positive, and within the `int` FAISS
/// keeps it in.
pub fn dimension(d: i64, name: &str) -> Result<i64> {
    if d <= 0 {
        Err(Error::invalid(format!("{name} must be > 0 (got {d})")))
    } else if d > i64::from(i32::MAX) {
        Err(Error::invalid(format!(
            "{name} = {d} is more than FAISS's int holds ({})",
            i32::MAX
        )))
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

/// `M` of an HNSW graph: FAISS builds no level above the base with M < 2 (its getters then
/// throw and its add reads past its tables), and overflows its tables with huge ones.
pub fn hnsw_m(m: i64) -> Result<c_int> {
    if (2..=i64::from(FAISSX_MAX_HNSW_M)).contains(&m) {
        Ok(m as c_int)
    } else {
        Err(Error::invalid(format!(
            "M must be in 2..={FAISSX_MAX_HNSW_M} (got {m})"
        )))
    }
}

/// The number of training vectors: FAISS's trainers read the first vector before checking
/// there is one (a scalar quantizer's range, for one), so training on none is refused for
/// every index.
pub fn training_count(n: idx_t) -> Result<usize> {
    match count(n, "n")? {
        0 => Err(Error::invalid("cannot train on n = 0 vectors")),
        n => Ok(n),
    }
}

/// HNSW's `efSearch` or `efConstruction` (`name`): see [`FAISSX_MAX_EF`].
pub fn hnsw_ef(value: i64, name: &str) -> Result<c_int> {
    if (1..=i64::from(FAISSX_MAX_EF)).contains(&value) {
        Ok(value as c_int)
    } else {
        Err(Error::invalid(format!(
            "{name} must be in 1..={FAISSX_MAX_EF} (got {value})"
        )))
    }
}

/// The number of inverted lists of an IVF index: FAISS allocates them all at construction, and
/// with none its add and search divide by zero or read an empty table.
pub fn nlist_in_range(nlist: u64) -> Result<usize> {
    if (1..=FAISSX_MAX_NLIST as u64).contains(&nlist) {
        Ok(nlist as usize)
    } else {
        Err(Error::invalid(format!(
            "nlist must be in 1..={FAISSX_MAX_NLIST} (got {nlist})"
        )))
    }
}

/// A product quantizer's shape: FAISS computes d % M before checking M (a division by zero),
/// and supports 1..=24 bits per code.
pub fn pq_shape(d: i64, m: u64, nbits: u64) -> Result<()> {
    dimension(d, "d")?;
    if (d as u64).checked_rem(m) != Some(0) {
        return Err(Error::invalid(format!("M = {m} must divide d = {d}")));
    }
    if nbits == 0 || nbits > 24 {
        return Err(Error::invalid(format!(
            "nbits must be in 1..=24 (got {nbits})"
        )));
    }
    Ok(())
}

/// An LSH index's shape: FAISS takes nbits unchecked, sizes its codes and its rotation
/// (d × nbits floats) with it, and divides by it when training thresholds.
pub fn lsh_shape(d: i64, nbits: i64) -> Result<()> {
    dimension(d, "d")?;
    const MAX_ROTATION: i64 = 1 << 28;
    if nbits <= 0 || nbits > 65_536 || d.saturating_mul(nbits) > MAX_ROTATION {
        return Err(Error::invalid(format!(
            "nbits must be in 1..=65536 with d × nbits at most 2^28 (got d = {d}, nbits = {nbits})"
        )));
    }
    Ok(())
}

/// Checks a factory string before FAISS parses it. FAISS's parser accepts numbers its
/// constructors then divide by ("PQ0", "OPQ0,PQ2", "PQ2x0") or build unusable indexes from
/// ("IVF0,Flat", "NSG0", "HNSW0"), and recurses on long strings; what its constructors accept
/// beyond this, `faissx_shim_check_index` checks on the index built.
///
/// Rules: at most [`FAISSX_MAX_FACTORY_LENGTH`] bytes; every integer in it is at least 1 and
/// at most 2^24 (an IVF's list count with its `k`/`M` suffix applied, `IMI2xN` and
/// `ResidualMxN` as the 2^(2N) and 2^(M*N) lists they make); the binary factory, which reads
/// its numbers with `sscanf`, also takes no signs or spaces. The period of a spectral hash
/// (`SH1.5`) is a float and exempt.
pub fn factory_description(description: &str, binary: bool) -> Result<()> {
    const MAX_NUMBER: u64 = 1 << 24;
    const MAX_LIST_BITS: u64 = 24;
    let bytes = description.as_bytes();
    let refuse = |why: String| {
        let shown: String = description.chars().take(64).collect();
        let more = if shown.len() < description.len() {
            "..."
        } else {
            ""
        };
        Err(Error::invalid(format!(
            "factory string '{shown}{more}': {why}"
        )))
    };
    if bytes.len() > FAISSX_MAX_FACTORY_LENGTH {
        return refuse(format!(
            "{} bytes, more than the {FAISSX_MAX_FACTORY_LENGTH} faissx accepts",
            bytes.len()
        ));
    }
    if binary {
        if let Some(bad) = description
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
        {
            return refuse(format!("'{bad}' has no place in a binary factory string"));
        }
    }
    let before = |at: usize, text: &str| bytes[..at].ends_with(text.as_bytes());
    // The value of the previous integer, for `ResidualMxN`.
    let mut previous: Option<u64> = None;
    let mut i = 0;
    while i < bytes.len() {
        if !binary && before(i, "SH") && matches!(bytes[i], b'-' | b'.' | b'0'..=b'9') {
            while i < bytes.len() && matches!(bytes[i], b'-' | b'.' | b'e' | b'0'..=b'9') {
                i += 1;
            }
            continue;
        }
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let value = description[start..i].parse::<u64>().unwrap_or(u64::MAX);
        if value == 0 {
            return refuse(format!(
                "the number at byte {start} is 0; every number in a factory string must be >= 1"
            ));
        }
        let multiplier = match bytes.get(i) {
            Some(b'k') if before(start, "IVF") => 1 << 10,
            Some(b'M') if before(start, "IVF") => 1 << 20,
            _ => 1,
        };
        if value.saturating_mul(multiplier) > MAX_NUMBER {
            return refuse(format!(
                "the number at byte {start} is {}, more than the {MAX_NUMBER} faissx accepts",
                &description[start..i]
            ));
        }
        let list_bits = if before(start, "IMI2x") {
            Some(2 * value)
        } else if before(start, "x") && previous.is_some() && {
            let head = &bytes[..start - 1];
            let digits = head.iter().rev().take_while(|b| b.is_ascii_digit()).count();
            head[..head.len() - digits].ends_with(b"Residual")
        } {
            previous.map(|m| m.saturating_mul(value))
        } else {
            None
        };
        if list_bits.is_some_and(|bits| bits > MAX_LIST_BITS) {
            return refuse(format!(
                "the coarse quantizer at byte {start} would make 2^{} inverted lists, more than \
                 the 2^{MAX_LIST_BITS} faissx accepts",
                list_bits.unwrap_or_default()
            ));
        }
        previous = Some(value);
    }
    Ok(())
}

/// Checks, before FAISS adds, searches or trains on `len` floats `x` in `index`, what would
/// crash or hang it there: components beyond [`FAISSX_MAX_COMPONENT`] (or not finite), and
/// (unless `training`, which rebuilds an IVF's quantizer) a composite whose borrowed sub-index
/// was written to on its own (an IVF's quantizer with more centroids than lists, or none,
/// assigns lists that do not exist; an IDMap's index with more vectors than ids returns
/// positions past the id table).
///
/// # Safety
/// `index` must be a live local index; `x` must hold `len` floats (or be NULL with `len` 0).
pub unsafe fn usable_inputs(
    index: *const FaissIndex,
    x: *const f32,
    len: usize,
    what: &str,
    training: bool,
) -> Result<()> {
    crate::local::shim_status(crate::local::shim::faissx_shim_Index_check_use(
        index.cast(),
        c_int::from(training),
    ))?;
    if len == 0 {
        return Ok(());
    }
    finite_components(std::slice::from_raw_parts(x, len).iter().copied(), what)
}

/// Refuses a component that is not finite or beyond [`FAISSX_MAX_COMPONENT`].
pub fn finite_components(values: impl Iterator<Item = f32> + Clone, what: &str) -> Result<()> {
    // One pass without an early exit, which the compiler vectorizes (NaN fails `<=` too);
    // only input that fails it is scanned again to say where.
    if values
        .clone()
        .fold(true, |ok, value| ok & (value.abs() <= FAISSX_MAX_COMPONENT))
    {
        return Ok(());
    }
    for (at, value) in values.enumerate() {
        if value.is_nan() || value.abs() > FAISSX_MAX_COMPONENT {
            return Err(Error::invalid(format!(
                "{what}: component {at} is {value}; faissx takes finite components of \
                 magnitude at most {FAISSX_MAX_COMPONENT:e}"
            )));
        }
    }
    Ok(())
}

/// Refuses a write (add, removal, reset, merge) to an index whose storage FAISS mapped
/// read-only from its file (read with `IO_FLAG_MMAP` or `IO_FLAG_MMAP_IFC`), which would end the
/// process inside FAISS.
///
/// # Safety
/// `index` must be a live local index.
pub unsafe fn writable(index: *const FaissIndex) -> Result<()> {
    crate::local::shim_status(crate::local::shim::faissx_shim_Index_check_writable(
        index.cast(),
    ))
}

/// Refuses an index made by a FAISS constructor without arguments that still lacks a part
/// FAISS dereferences: an IVF's quantizer or inverted lists, an IndexPreTransform's index.
///
/// # Safety
/// `index` must be a live local index.
pub unsafe fn complete(index: *const FaissIndex) -> Result<()> {
    crate::local::shim_status(crate::local::shim::faissx_shim_Index_check_parts(
        index.cast(),
    ))
}

/// As [`usable_inputs`] for binary indexes: their IVF's quantizer.
///
/// # Safety
/// `index` must be a live local binary index.
pub unsafe fn usable_binary(index: *const FaissIndexBinary) -> Result<()> {
    crate::local::shim_status(crate::local::shim::faissx_shim_IndexBinary_check_use(
        index.cast(),
    ))
}
