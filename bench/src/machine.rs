//! What about the machine decides the numbers: cores, SIMD, and which BLAS/OpenMP FAISS runs
//! on with how many threads. The BLAS is found at run time (dlsym/dladdr) because faiss-sys
//! links plain `-lblas`, which Debian's alternatives may point at any implementation.

use faissx::ffi::utils::faissx_get_version;
use std::ffi::{c_void, CStr};
use std::os::raw::{c_char, c_int};

/// Environment variables that change FAISS's or BLAS's threading or kernel choice.
pub const ENV_VARS: &[&str] = &[
    "OMP_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "GOMP_SPINCOUNT",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "FAISS_OPT_LEVEL",
    "FAISSX_SERVER",
    "GLIBC_TUNABLES",
];

fn symbol(name: &CStr) -> *mut c_void {
    unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) }
}

/// Calls `name()` returning a C string, if the process has that symbol.
fn string_fn(name: &CStr) -> Option<String> {
    let f = symbol(name);
    if f.is_null() {
        return None;
    }
    let f: extern "C" fn() -> *const c_char = unsafe { std::mem::transmute(f) };
    let text = f();
    (!text.is_null()).then(|| {
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned()
    })
}

fn int_fn(name: &CStr) -> Option<c_int> {
    let f = symbol(name);
    if f.is_null() {
        return None;
    }
    let f: extern "C" fn() -> c_int = unsafe { std::mem::transmute(f) };
    Some(f())
}

/// The file that provides `sgemm_`, with symlinks resolved: names the BLAS variant
/// (e.g. `.../openblas-openmp/libblas.so.3`).
fn blas_file() -> Option<String> {
    let f = symbol(c"sgemm_");
    if f.is_null() {
        return None;
    }
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    if unsafe { libc::dladdr(f, &mut info) } == 0 || info.dli_fname.is_null() {
        return None;
    }
    let file = unsafe { CStr::from_ptr(info.dli_fname) }
        .to_string_lossy()
        .into_owned();
    Some(match std::fs::canonicalize(&file) {
        Ok(real) if real.to_string_lossy() != file => format!("{file} -> {}", real.display()),
        _ => file,
    })
}

fn cpu() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |key: &str| {
        info.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let flags = field("flags");
    let simd: Vec<&str> = ["avx2", "fma", "avx512f", "avx512_vnni"]
        .into_iter()
        .filter(|f| flags.split_whitespace().any(|x| x == *f))
        .collect();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{} — {cores} cores visible to this process; SIMD: {}",
        field("model name"),
        simd.join(" ")
    )
}

/// `(what, value)` lines for the report header.
pub fn facts() -> Vec<(&'static str, String)> {
    let faiss_version = unsafe { CStr::from_ptr(faissx_get_version()) }
        .to_string_lossy()
        .into_owned();
    let openblas = match string_fn(c"openblas_get_config") {
        Some(config) => {
            let mode = match int_fn(c"openblas_get_parallel") {
                Some(0) => "sequential",
                Some(1) => "pthreads",
                Some(2) => "OpenMP",
                _ => "unknown threading",
            };
            format!(
                "{config}; core {}; {mode}; {} threads",
                string_fn(c"openblas_get_corename").unwrap_or_default(),
                int_fn(c"openblas_get_num_threads").unwrap_or(0),
            )
        }
        None => "not OpenBLAS (no openblas_get_config)".into(),
    };
    let mut facts = vec![
        ("CPU", cpu()),
        (
            "FAISS",
            format!(
                "{faiss_version} (faiss-sys static build, CXXFLAGS at build: {})",
                option_env!("CXXFLAGS").unwrap_or("unset")
            ),
        ),
        (
            "BLAS library",
            blas_file().unwrap_or_else(|| "sgemm_ not found".into()),
        ),
        ("OpenBLAS", openblas),
        (
            "OpenMP max threads",
            int_fn(c"omp_get_max_threads").map_or("no OpenMP".into(), |n| n.to_string()),
        ),
    ];
    let env: Vec<String> = ENV_VARS
        .iter()
        .map(|v| {
            format!(
                "{v}={}",
                std::env::var(v).unwrap_or_else(|_| "unset".into())
            )
        })
        .collect();
    facts.push(("Environment", env.join(" ")));
    facts.push(("Load average (1/5/15 min) at start", load_average()));
    facts
}

/// Other processes on a 2-core machine distort every number here (OpenMP barriers wait for
/// descheduled threads), so the report says how busy the machine was.
pub fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
