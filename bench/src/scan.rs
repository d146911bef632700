//! `scan`: the server's flat scan of a batch of small searches (`LocalIndex::search_each`)
//! against FAISS's own search of the same queries one search at a time, in this process, with
//! every result compared bit for bit. What batching buys the server before any transport.

use crate::data::{Data, D};
use faissx::local::index::LocalIndex;
use faissx::protocol::IndexSpec;
use std::time::{Duration, Instant};

const K: u64 = 10;
const BATCHES: [usize; 6] = [1, 2, 4, 8, 16, 32];

fn bytes(floats: &[f32]) -> &[u8] {
    // SAFETY: f32 has no padding and any bytes are valid u8.
    unsafe { std::slice::from_raw_parts(floats.as_ptr().cast(), std::mem::size_of_val(floats)) }
}

/// Median wall time of `f`, run until `budget` is spent (at least 5 times).
fn median(budget: Duration, mut f: impl FnMut()) -> Duration {
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || start.elapsed() < budget {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

pub fn run(data: &Data) -> Result<(), String> {
    println!("\n## scan: a batch of 1-query searches, server's batched scan vs FAISS one by one\n");
    println!("| vectors | queries | FAISS, one search per query | batched scan | FAISS/batched | same bits |");
    println!("|---:|---:|---:|---:|---:|---|");
    let n_large = data.base.len() / D;
    for ntotal in [10_000, n_large] {
        let index = LocalIndex::create(&IndexSpec::FlatL2 { d: D as u32 }, &|_| {
            Err(faissx::ffi::boundary::Error::invalid("no sub-index"))
        })
        .map_err(|e| e.message)?;
        index
            .add(ntotal as u64, bytes(&data.base[..ntotal * D]), None)
            .map_err(|e| e.message)?;
        for n in BATCHES {
            let queries = bytes(&data.queries[..n * D]);
            let one_by_one = || -> Vec<(Vec<u8>, Vec<u8>)> {
                (0..n)
                    .map(|q| {
                        let query = &queries[q * D * 4..(q + 1) * D * 4];
                        index.search_faiss(1, K, query).expect("FAISS search")
                    })
                    .collect()
            };
            let batched = || {
                index
                    .search_each(n as u64, K, queries, None)
                    .expect("batched scan")
            };
            let want = one_by_one();
            let (distances, labels) = batched();
            let same = want.iter().enumerate().all(|(q, (d, l))| {
                let (dn, ln) = (d.len(), l.len());
                distances[q * dn..(q + 1) * dn] == d[..] && labels[q * ln..(q + 1) * ln] == l[..]
            });
            let budget = Duration::from_millis(if ntotal > 10_000 { 1500 } else { 500 });
            let faiss = median(budget, || drop(one_by_one()));
            let ours = median(budget, || drop(batched()));
            println!(
                "| {ntotal} | {n} | {:.0} µs | {:.0} µs | {:.2} | {} |",
                faiss.as_secs_f64() * 1e6,
                ours.as_secs_f64() * 1e6,
                faiss.as_secs_f64() / ours.as_secs_f64(),
                if same { "yes" } else { "NO" }
            );
            if !same {
                return Err(format!(
                    "batched scan of {n} queries on {ntotal} differs from FAISS"
                ));
            }
        }
    }
    Ok(())
}
