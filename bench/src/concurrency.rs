//! `concurrency`: many client threads sending 1-query searches, in this process against one
//! shared local index and against the same index on a faissx-server on loopback, in one run:
//! what a shared server gives (or costs) each service compared with running FAISS itself.

use crate::data::Data;
use crate::remote::{check, flat, search, set_option, set_remote, Server};
use faissx::ffi::index::*;
use faissx::ffi::index_factory::faissx_index_factory;
use faissx::ffi::index_ivf::{faissx_IndexIVF_cast, faissx_IndexIVF_set_nprobe};
use faissx::ffi::types::*;
use std::ffi::CString;
use std::time::{Duration, Instant};

const D: usize = crate::data::D;
/// Client thread counts when none are given.
pub const THREADS: [usize; 3] = [1, 8, 32];

/// Thread counts from a comma-separated list such as `1,16,64`.
pub fn parse_threads(list: &str) -> Result<Vec<usize>, String> {
    list.split(',')
        .map(|count| match count.trim().parse::<usize>() {
            Ok(n) if (1..=1024).contains(&n) => Ok(n),
            _ => Err(format!(
                "thread counts are 1 to 1024, comma-separated (got {count:?} in {list:?})"
            )),
        })
        .collect()
}
/// How long each side runs at each thread count.
const SPAN: Duration = Duration::from_secs(3);

/// What `clients` threads got together: searches per second, and per-search latency.
pub struct Load {
    pub qps: f64,
    pub p50: Duration,
    pub p99: Duration,
}

/// `clients` threads each send 1-query searches of `index` (queries taken in turn from
/// `data`, each thread its own) for `span`.
pub fn load(index: *mut FaissIndex, data: &Data, clients: usize, span: Duration) -> Load {
    let index = index as usize;
    let nq = data.queries.len() / D;
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..clients)
            .map(|client| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    let start = Instant::now();
                    let mut i = client;
                    while start.elapsed() < span {
                        let q = (i % nq) * D;
                        mine.push(search(index as *mut FaissIndex, &data.queries[q..q + D], 1));
                        i += clients;
                    }
                    mine
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("client thread"))
            .collect()
    });
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    Load {
        qps: latencies.len() as f64 / span.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// An IVF1024,Flat index trained and filled with `n` base vectors, probing 16 lists.
fn ivf(data: &Data, n: usize) -> *mut FaissIndex {
    let description = CString::new("IVF1024,Flat").unwrap();
    let mut index = std::ptr::null_mut();
    // SAFETY: out-pointer, a C string, and buffers of n vectors of D floats.
    unsafe {
        check(
            faissx_index_factory(&mut index, D as i32, description.as_ptr(), METRIC_L2),
            "index_factory",
        );
        check(
            faissx_Index_train(index, n as idx_t, data.base.as_ptr()),
            "train",
        );
        check(
            faissx_Index_add(index, n as idx_t, data.base.as_ptr()),
            "add",
        );
        faissx_IndexIVF_set_nprobe(faissx_IndexIVF_cast(index), 16);
    }
    index
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

pub fn run(data: &Data, thread_counts: &[usize]) -> Result<(), String> {
    let server = Server::start()?;
    set_option("timeout_ms", "120000");
    let n_large = data.base.len() / D;
    let workloads: [(&str, &dyn Fn() -> *mut FaissIndex); 3] = [
        ("Flat L2, 10k", &|| flat(data, 10_000).0),
        ("Flat L2, 100k", &|| flat(data, n_large).0),
        ("IVF1024,Flat nprobe 16, 100k", &|| ivf(data, n_large)),
    ];
    println!("\n## concurrency: 1-query searches from many client threads, local vs remote\n");
    println!(
        "| index | threads | local q/s | remote q/s | remote/local | local p50 | local p99 \
         | remote p50 | remote p99 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, build) in workloads {
        set_remote(None);
        let local = build();
        set_remote(Some(&server.endpoint));
        let remote = build();
        set_remote(None);
        for &threads in thread_counts {
            let l = load(local, data, threads, SPAN);
            let r = load(remote, data, threads, SPAN);
            println!(
                "| {name} | {threads} | {:.0} | {:.0} | {:.2} | {} | {} | {} | {} |",
                l.qps,
                r.qps,
                r.qps / l.qps,
                ms(l.p50),
                ms(l.p99),
                ms(r.p50),
                ms(r.p99)
            );
        }
        // SAFETY: both created above, freed once.
        unsafe {
            faissx_Index_free(local);
            faissx_Index_free(remote);
        }
    }
    println!(
        "\nEach cell: {} s of searches per side and thread count; local threads share one \
         in-process index, remote threads one index on the server.",
        SPAN.as_secs()
    );
    Ok(())
}
