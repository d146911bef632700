//! The load-time CPU check. FAISS is compiled with the instruction-set extensions of the C++
//! flags it was built with (`-mavx2 -mfma -mf16c -mpopcnt` by default, .cargo/config.toml), and
//! its code may use them anywhere, static initializers included: on a CPU without them the
//! process would die of SIGILL at some later call, or while the library loads. Instead, before
//! any of that code runs, the library checks the CPU and refuses to load with a message naming
//! the missing features.
//!
//! "Before" is arranged by the ELF loader: `CHECK` sits in `.init_array` with a priority, and the
//! linker sorts prioritized entries ahead of every plain constructor (C++ static initializers
//! included) of the same object. This code itself is Rust compiled for the baseline target, so
//! it runs on any x86-64 CPU.

use std::sync::atomic::{AtomicBool, Ordering};

include!("cpu_features.rs");

/// The features the build's C/C++ flags asked for, comma-separated (written by build.rs).
const REQUIRED: &str = env!("FAISSX_BUILD_CPU_FEATURES");
/// Those flags as given, for the message.
const FLAGS: &str = env!("FAISSX_BUILD_CPU_FLAGS");

/// The features of `REQUIRED` the running CPU lacks.
pub fn missing_features() -> Vec<&'static str> {
    REQUIRED
        .split(',')
        .filter(|name| !name.is_empty())
        // build.rs only writes names of the table, so None cannot happen; were it to, the
        // feature could not be checked, and refusing on that guess would be wrong.
        .filter(|name| cpu_has(name) == Some(false))
        .collect()
}

/// The features this build needs, as build.rs found them in the C/C++ flags.
pub fn required_features() -> Vec<&'static str> {
    REQUIRED
        .split(',')
        .filter(|name| !name.is_empty())
        .collect()
}

static CHECKED: AtomicBool = AtomicBool::new(false);

/// Exits the process with status 1 and a message on standard error when the CPU lacks a
/// feature this build needs; returns otherwise. Runs from `.init_array`, before `main`: the
/// message goes out with `write(2)`, since Rust's stderr may not be set up yet.
pub extern "C" fn check_or_exit() {
    // libfaissx's own entry and faissx-server's (which links the rlib) may both be linked in.
    if CHECKED.swap(true, Ordering::Relaxed) {
        return;
    }
    let missing = missing_features();
    if missing.is_empty() {
        return;
    }
    let message = format!(
        "faissx: this CPU lacks {} ({}), which this build of faissx needs: FAISS was compiled \
         with `{}`. Use a build made for this CPU (see \"CPU portability\" in faissx's README).\n",
        missing.join(", "),
        if missing.len() == 1 {
            "an instruction-set extension"
        } else {
            "instruction-set extensions"
        },
        FLAGS,
    );
    // SAFETY: writes a valid buffer to fd 2, then ends the process without running atexit
    // handlers or destructors of libraries that may be half initialized.
    unsafe {
        libc::write(2, message.as_ptr().cast(), message.len());
        libc::_exit(1);
    }
}

/// Priority 101, the first one open to programs (0–100 belong to the C runtime): ahead of
/// FAISS's, libzmq's and the C++ runtime's plain constructors in the same object.
#[used]
#[link_section = ".init_array.00101"]
static CHECK: extern "C" fn() = check_or_exit;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_feature_is_detectable() {
        for name in required_features() {
            assert!(
                cpu_has(name).is_some(),
                "build.rs wrote {name}, which the check cannot detect"
            );
        }
    }

    #[test]
    fn every_table_feature_is_detectable() {
        if !cfg!(any(target_arch = "x86", target_arch = "x86_64")) {
            return;
        }
        for (_, name) in CPU_FEATURES {
            assert!(cpu_has(name).is_some(), "{name} is in the table only");
        }
    }
}
