//! `remote`: the same faissx calls on an index in this process and on one held by a
//! faissx-server started on loopback, in one run, so the table shows what the wire costs.
//! Local and remote calls alternate; both sides use the same data and queries.

use crate::data::Data;
use crate::report::duration;
use crate::workload::{median, stat, Stat};
use faissx::ffi::faissx::{faissx_configure, faissx_set_option};
use faissx::ffi::index::*;
use faissx::ffi::index_flat::faissx_IndexFlatL2_new_with;
use faissx::ffi::types::*;
use std::ffi::CString;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const D: usize = crate::data::D;
const K: usize = 10;

/// The server process, stopped when dropped.
pub struct Server {
    child: Child,
    pub endpoint: String,
}

impl Server {
    pub fn start() -> Result<Self, String> {
        let binary = std::env::current_exe()
            .map_err(|e| e.to_string())?
            .with_file_name("faissx-server");
        let mut child = Command::new(&binary)
            .args([
                "--bind-address",
                "127.0.0.1",
                "--port",
                "0",
                "--log-level",
                "warn",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start {}: {e} (cargo build --release first)",
                    binary.display()
                )
            })?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let endpoint = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("unexpected first line from faissx-server: {line:?}"))?
            .to_string();
        Ok(Server { child, endpoint })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn check(rc: i32, what: &str) {
    assert_eq!(rc, 0, "{what} failed: {}", last_error());
}

fn last_error() -> String {
    // SAFETY: the message is a thread-local C string or NULL.
    unsafe {
        let message = faissx::ffi::error::faissx_get_last_error();
        if message.is_null() {
            String::new()
        } else {
            std::ffi::CStr::from_ptr(message)
                .to_string_lossy()
                .into_owned()
        }
    }
}

pub fn set_option(name: &str, value: &str) {
    let (name, value) = (CString::new(name).unwrap(), CString::new(value).unwrap());
    // SAFETY: valid C strings.
    check(
        unsafe { faissx_set_option(name.as_ptr(), value.as_ptr()) },
        "set_option",
    );
}

/// Remote mode applies to indexes created while it is configured.
pub fn set_remote(endpoint: Option<&str>) {
    let endpoint = endpoint.map(|e| CString::new(e).expect("no NUL"));
    let server = endpoint.as_ref().map_or(std::ptr::null(), |e| e.as_ptr());
    // SAFETY: NULL or a valid C string; key and tenant NULL (no auth).
    check(
        unsafe { faissx_configure(server, std::ptr::null(), std::ptr::null()) },
        "configure",
    );
}

/// A flat L2 index holding `n` base vectors (timed: the add).
pub fn flat(data: &Data, n: usize) -> (*mut FaissIndex, Duration) {
    let mut index = std::ptr::null_mut();
    // SAFETY: out-pointer and buffers sized for n vectors of D floats.
    unsafe {
        check(
            faissx_IndexFlatL2_new_with(&mut index, D as idx_t),
            "IndexFlatL2_new_with",
        );
        let start = Instant::now();
        check(
            faissx_Index_add(index, n as idx_t, data.base.as_ptr()),
            "add",
        );
        (index, start.elapsed())
    }
}

pub fn search(index: *mut FaissIndex, queries: &[f32], nq: usize) -> Duration {
    let mut distances = vec![0f32; nq * K];
    let mut labels = vec![0i64; nq * K];
    let start = Instant::now();
    // SAFETY: buffers hold nq*K results, queries nq vectors.
    check(
        unsafe {
            faissx_Index_search(
                index,
                nq as idx_t,
                queries.as_ptr(),
                K as idx_t,
                distances.as_mut_ptr(),
                labels.as_mut_ptr(),
            )
        },
        "search",
    );
    start.elapsed()
}

/// What issue 4 asks of a row.
#[derive(Clone, Copy)]
enum Target {
    /// The row shows a fixed cost; nothing is asked of it.
    None,
    /// remote/local at most this.
    Ratio(f64),
    /// remote − local at most this many seconds.
    Extra(f64),
}

/// Timings of the two sides, taken in pairs (one local and one remote call after another).
struct Measured {
    local: Stat,
    remote: Stat,
    /// Medians of remote/local and remote − local over the pairs: a load that comes and goes
    /// slows both calls of a pair, so these hold up better than ratios of medians.
    ratio: f64,
    extra: f64,
}

impl Measured {
    fn new(local: Vec<Duration>, remote: Vec<Duration>) -> Self {
        let pairs = || local.iter().zip(&remote);
        let ratio = median(
            pairs()
                .map(|(l, r)| r.as_secs_f64() / l.as_secs_f64())
                .collect(),
        );
        let extra = median(
            pairs()
                .map(|(l, r)| r.as_secs_f64() - l.as_secs_f64())
                .collect(),
        );
        Measured {
            local: stat(local),
            remote: stat(remote),
            ratio,
            extra,
        }
    }
}

struct Row {
    label: String,
    measured: Measured,
    target: Target,
}

impl Row {
    fn new(label: String, measured: Measured, target: Target) -> Self {
        Row {
            label,
            measured,
            target,
        }
    }
}

fn micros(secs: f64) -> String {
    format!("{:.0} µs", secs * 1e6)
}

/// Medians, their ratio and difference, and the target with whether the medians meet it.
fn print_rows(rows: &[Row]) {
    println!("\n## remote (faissx-server on loopback) vs local faissx\n");
    println!("| workload | local | remote | remote/local | remote − local | target | met |");
    println!("|---|---:|---:|---:|---:|---|---|");
    for row in rows {
        let m = &row.measured;
        let (target, met) = match row.target {
            Target::None => ("—".to_string(), "—"),
            Target::Ratio(max) => (
                format!("≤ {max:.2}×"),
                if m.ratio <= max { "yes" } else { "no" },
            ),
            Target::Extra(max) => (
                format!("≤ local + {}", micros(max)),
                if m.extra <= max { "yes" } else { "no" },
            ),
        };
        println!(
            "| {} | {} | {} | {:.3} | {} | {target} | {met} |",
            row.label,
            duration(m.local.median),
            duration(m.remote.median),
            m.ratio,
            micros(m.extra),
        );
    }
    println!(
        "\nlocal, remote: medians. remote/local, remote − local: medians over the pairs of calls \
         (a local and a remote call, one after the other), which the targets are checked on. \
         The fastest runs are listed below the table."
    );
}

/// Local and remote timings of `f`, alternating which goes first.
fn alternate(runs: usize, mut f: impl FnMut(bool) -> Duration) -> Measured {
    let (mut local, mut remote) = (Vec::new(), Vec::new());
    for run in 0..runs {
        for remote_side in [run % 2 == 1, run % 2 == 0] {
            let elapsed = f(remote_side);
            if remote_side {
                remote.push(elapsed)
            } else {
                local.push(elapsed)
            }
        }
    }
    Measured::new(local, remote)
}

pub fn run(data: &Data) -> Result<(), String> {
    let server = Server::start()?;
    // Timeouts stay generous: a loaded 2-core machine must not turn a slow reply into a failure.
    set_option("timeout_ms", "120000");
    let n_large = data.base.len() / D;
    let mut lines = Vec::new();
    let mut extra = Vec::new();
    // 100 vectors: the search itself takes a few µs, so the row is the round trip's fixed cost.
    for n in [100usize, 10_000, n_large] {
        set_remote(None);
        let (local, local_add) = flat(data, n);
        set_remote(Some(&server.endpoint));
        let (remote, remote_add) = flat(data, n);
        set_remote(None);
        if n == n_large {
            let (mut l, mut r) = (vec![local_add], vec![remote_add]);
            // Four more adds each, into fresh indexes, for a median of five.
            for _ in 0..4 {
                let (i, t) = flat(data, n);
                l.push(t);
                unsafe { faissx_Index_free(i) };
                set_remote(Some(&server.endpoint));
                let (i, t) = flat(data, n);
                r.push(t);
                unsafe { faissx_Index_free(i) };
                set_remote(None);
            }
            lines.push(Row::new(
                format!("add {n} × d={D} (median of 5)"),
                Measured::new(l, r),
                Target::Ratio(1.5),
            ));
        }
        let nq = data.queries.len() / D;
        let mut q = 0usize;
        let measured = alternate(300, |remote_side| {
            q = (q + 1) % nq;
            let query = &data.queries[q * D..(q + 1) * D];
            search(if remote_side { remote } else { local }, query, 1)
        });
        lines.push(Row::new(
            format!("1-query search, {n} vectors (median of 300)"),
            measured,
            if n < 10_000 {
                Target::None
            } else {
                Target::Extra(150e-6)
            },
        ));
        let batch = 1000.min(nq);
        if n < 10_000 {
            // SAFETY: both created above, freed once.
            unsafe {
                faissx_Index_free(local);
                faissx_Index_free(remote);
            }
            continue;
        }
        let measured = alternate(15, |remote_side| {
            search(
                if remote_side { remote } else { local },
                &data.queries[..batch * D],
                batch,
            )
        });
        lines.push(Row::new(
            format!("{batch}-query batch, {n} vectors (median of 15)"),
            measured,
            Target::Ratio(1.10),
        ));
        if n == n_large {
            for clients in [1usize, 4, 16] {
                let span = Duration::from_secs(2);
                let qps_local = crate::concurrency::load(local, data, clients, span).qps;
                let qps_remote = crate::concurrency::load(remote, data, clients, span).qps;
                extra.push(format!(
                    "- throughput, {clients} client thread(s), 1-query searches on {n} vectors: \
                     remote {qps_remote:.0}/s, local {qps_local:.0}/s"
                ));
            }
        }
        // SAFETY: both created above, freed once.
        unsafe {
            faissx_Index_free(local);
            faissx_Index_free(remote);
        }
    }
    print_rows(&lines);
    println!();
    for row in &lines {
        println!(
            "- fastest runs, {}: local {}, remote {} (remote/local {:.3})",
            row.label,
            duration(row.measured.local.min),
            duration(row.measured.remote.min),
            row.measured.remote.min / row.measured.local.min
        );
    }
    for line in extra {
        println!("{line}");
    }
    Ok(())
}
