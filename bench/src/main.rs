//! faissx benchmarks (see BENCHMARKS.md).
//!
//! - `local`: the same workload through the `faiss` crate and through faissx's exported
//!   `faissx_*` functions, both on the one FAISS build of faiss-sys; calls alternate.
//! - `python`: faissx against Python's faiss-cpu wheel (`bench/python_bench.py`).
//! - `remote`: faissx against a faissx-server it starts on loopback, against local faissx.
//! - `concurrency [THREADS]`: 1, 8 and 32 client threads (or the comma-separated counts given,
//!   e.g. `1,16,64`) of 1-query searches, local against remote.
//! - `all`: local and python.
//! - `control`: faissx against itself, the same procedure: how far apart two identical sides
//!   land on this machine, i.e. what a ratio of 1.03 is worth.

mod concurrency;
mod data;
mod machine;
mod python;
mod remote;
mod report;
mod scan;
mod sides;
mod workload;

use report::{print_table, Line};
use sides::Lib;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Holds the data files and saved indexes; removed on the way out, panics included.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<Self> {
        let path = std::env::temp_dir().join(format!("faissx-bench-{}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `libs[0]` is the reference, `libs[1]` the side under test; `paired_ratio` is side 1/side 0.
fn compare(data: &data::Data, dir: &Path, libs: [Lib; 2], title: &str, ratio: &str) {
    let (mut rows, mut built) = workload::build(&libs, data, dir);
    let (searches, labels) = workload::search(&mut built, data);
    rows.extend(searches);
    let lines: Vec<Line> = rows
        .iter()
        .map(|r| Line::new(&r.label, r.stats[1], r.stats[0], r.paired_ratio))
        .collect();
    print_table(title, libs[0].name(), ratio, 1.02, &lines);
    println!();
    for l in &labels {
        println!(
            "- {}: batch labels equal between the two sides: {:.2}%",
            l.key,
            100.0 * workload::agreement(&l.per_side[0], &l.per_side[1])
        );
    }
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if !matches!(
        mode.as_str(),
        "local" | "python" | "all" | "control" | "remote" | "concurrency" | "scan"
    ) {
        eprintln!("usage: faissx-bench local|python|remote|concurrency [THREADS]|scan|all|control");
        std::process::exit(2);
    }
    let threads = match std::env::args().nth(2) {
        Some(list) if mode == "concurrency" => {
            concurrency::parse_threads(&list).unwrap_or_else(|e| {
                eprintln!("concurrency: {e}");
                std::process::exit(2);
            })
        }
        _ => concurrency::THREADS.to_vec(),
    };
    let start = Instant::now();
    // Which side is remote is the benchmark's choice (`remote` starts its own server): with
    // FAISSX_SERVER set, faissx would create every index on that server.
    if std::env::var_os("FAISSX_SERVER").is_some() {
        eprintln!("note: FAISSX_SERVER ignored");
        std::env::remove_var("FAISSX_SERVER");
    }
    println!("## Machine\n");
    for (what, value) in machine::facts() {
        println!("- {what}: {value}");
    }
    let data = data::generate(workload::N_LARGE, workload::N_QUERIES);
    let dir = TempDir::new().expect("create a temporary directory");
    if mode == "local" || mode == "all" {
        let libs = [Lib::FaissCrate, Lib::Faissx];
        let title = "faissx vs the faiss crate (same FAISS build)";
        compare(&data, &dir.0, libs, title, "faissx/FAISS");
    }
    if mode == "control" {
        let title = "faissx vs faissx (control: the measurement's own noise)";
        compare(&data, &dir.0, [Lib::Faissx; 2], title, "ratio");
    }
    let mut failed = false;
    if mode == "remote" {
        if let Err(e) = remote::run(&data) {
            eprintln!("remote comparison: {e}");
            failed = true;
        }
    }
    if mode == "concurrency" {
        if let Err(e) = concurrency::run(&data, &threads) {
            eprintln!("concurrency comparison: {e}");
            failed = true;
        }
    }
    if mode == "scan" {
        if let Err(e) = scan::run(&data) {
            eprintln!("scan comparison: {e}");
            failed = true;
        }
    }
    if mode == "python" || mode == "all" {
        if let Err(e) = python::run(&data, &dir.0) {
            eprintln!("python comparison: {e}");
            failed = true;
        }
    }
    println!(
        "\nTotal wall time: {:.0} s; load average at the end: {}",
        start.elapsed().as_secs_f64(),
        machine::load_average()
    );
    drop(dir);
    if failed {
        std::process::exit(1);
    }
}
