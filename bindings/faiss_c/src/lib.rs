//! libfaiss_c.so: FAISS's C API under FAISS's own names (`faiss_Index_add`, ...), so programs and
//! bindings written for FAISS's libfaiss_c run on faissx unchanged. Every export forwards to its
//! `faissx_*` twin in libfaissx.so; the forwarders and the C headers in include/faiss/c_api are
//! generated from include/faissx_c.h by tools/gen_compat.py (`--verify` checks they are current).
//! The one export written by hand is `faiss_get_last_error`, below.
mod forward;

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};

extern "C" {
    fn faissx_get_last_error() -> *const c_char;
}

thread_local! {
    /// The last message handed out by `faiss_get_last_error` on this thread, renamed.
    static RENAMED: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// libfaissx's messages start with the faissx_ function that failed; a FAISS program called the
/// faiss_ one, so that is the name it gets. The renamed copy is replaced only when the message
/// changes, which takes a new failing call: the pointer stays valid as long as faissx's would.
#[no_mangle]
pub extern "C" fn faiss_get_last_error() -> *const c_char {
    // SAFETY: no arguments; the result is NULL or a NUL-terminated string owned by libfaissx.
    let message = unsafe { faissx_get_last_error() };
    if message.is_null() {
        return message;
    }
    // SAFETY: non-NULL, so a valid C string until this thread's next failing call.
    let bytes = unsafe { CStr::from_ptr(message) }.to_bytes();
    let Some(rest) = bytes.strip_prefix(b"faissx_") else {
        return message;
    };
    // try_with: during thread teardown the cache may be gone; faissx's text is still correct.
    RENAMED
        .try_with(|cell| {
            let mut cached = cell.borrow_mut();
            let current = cached.as_ref().map(|c| &c.as_bytes()[b"faiss_".len()..]);
            if current != Some(rest) {
                let renamed = [b"faiss_", rest].concat();
                // `rest` comes from a C string: it holds no NUL.
                *cached = CString::new(renamed).ok();
            }
            cached.as_ref().map_or(message, |c| c.as_ptr())
        })
        .unwrap_or(message)
}
