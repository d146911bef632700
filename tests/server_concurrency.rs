//! Many client threads against one faissx-server: adds and searches interleave on one shared
//! index and on per-thread indexes, and nothing is lost or mixed up.

mod common;
mod remote;

use common::*;
use faissx::ffi::index::*;
use faissx::ffi::types::*;
use remote::*;
use std::sync::Barrier;

const THREADS: usize = 10;
const ROUNDS: usize = 15;
const BATCH: usize = 8;
const D: usize = 8;

fn id(thread: usize, round: usize, i: usize) -> idx_t {
    (thread * 1_000_000 + round * 100 + i) as idx_t
}

/// Searches `index` for `vectors` (k = 1) and checks that each finds `expected[i]` at distance
/// 0 (to the rounding of FAISS's batched ||x||² + ||y||² - 2<x, y>).
#[track_caller]
fn found_exactly(index: *mut FaissIndex, vectors: &[f32], expected: impl Fn(usize) -> idx_t) {
    let n = vectors.len() / D;
    let (mut distances, mut labels) = (vec![f32::NAN; n], vec![-7; n]);
    check(unsafe {
        faissx_Index_search(
            index,
            n as idx_t,
            vectors.as_ptr(),
            1,
            distances.as_mut_ptr(),
            labels.as_mut_ptr(),
        )
    });
    for i in 0..n {
        assert_eq!(labels[i], expected(i), "vector {i}");
        assert!(close(distances[i], 0.0), "vector {i} at {}", distances[i]);
    }
}

#[test]
fn threads_mixing_adds_and_searches() {
    let _serial = exclusive();
    let server = Server::start(&["--workers", "4", "--log-level", "warn"]);
    configure(Some(&server.endpoint), None, None);
    let shared = Index::factory(D, "IDMap2,Flat", METRIC_L2);
    let shared_name = remote_name(&shared);
    let handle = Shared(shared.ptr());
    let start = Barrier::new(THREADS);

    let per_thread: Vec<(Index, Vec<f32>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (start, shared_name) = (&start, &shared_name);
                scope.spawn(move || {
                    // Half the threads share one handle, half open their own on the same index.
                    let opened =
                        (t % 2 == 1).then(|| open(shared_name).expect("open the shared index"));
                    let shared = opened.as_ref().map_or(handle.get(), |o| o.ptr());
                    let own = flat_l2(D);
                    let mut rng = Rng::new(t as u64 + 1);
                    let mut added = Vec::new();
                    start.wait();
                    for round in 0..ROUNDS {
                        let batch = rng.vectors(BATCH, D);
                        let ids: Vec<idx_t> = (0..BATCH).map(|i| id(t, round, i)).collect();
                        check(unsafe {
                            faissx_Index_add_with_ids(
                                shared,
                                BATCH as idx_t,
                                batch.as_ptr(),
                                ids.as_ptr(),
                            )
                        });
                        own.add(&batch);
                        // Read-your-writes: an acknowledged add is visible to the next search,
                        // whatever the other threads are doing.
                        found_exactly(shared, &batch, |i| ids[i]);
                        let first = (round * BATCH) as idx_t;
                        found_exactly(own.ptr(), &batch, |i| first + i as idx_t);
                        added.extend_from_slice(&batch);
                    }
                    (Shared(own.into_raw()), added)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("client thread"))
            .map(|(own, added)| (Index::from_new(0, own.0), added))
            .collect()
    });

    assert_eq!(shared.ntotal(), THREADS * ROUNDS * BATCH);
    for (t, (own, added)) in per_thread.iter().enumerate() {
        assert_eq!(own.ntotal(), ROUNDS * BATCH);
        found_exactly(own.ptr(), added, |i| i as idx_t);
        found_exactly(shared.ptr(), added, |i| id(t, i / BATCH, i % BATCH));
    }
    drop(per_thread);
    drop(shared);
    local_mode();
}

/// Concurrent searches against one index, while another index takes writes, give the same
/// answers as a search made alone.
#[test]
fn parallel_searches_agree_with_a_lone_search() {
    let _serial = exclusive();
    let server = Server::start(&["--workers", "4", "--log-level", "warn"]);
    searches_agree_with_a_lone_search(&server);
}

/// With several ZeroMQ I/O threads on both sides, the clients' connections are spread over
/// them, and every answer is still the one a lone search gets.
#[test]
fn several_io_threads_give_the_same_answers() {
    let _serial = exclusive();
    let one = Server::start(&["--workers", "4", "--log-level", "warn"]);
    let four = Server::start(&["--workers", "4", "--log-level", "warn", "--io-threads", "4"]);
    // Both start their threads in their own time: compare once they are all up.
    let started = std::time::Instant::now();
    while four.threads() != one.threads() + 3 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "--io-threads 4 runs 3 more threads: {} against {}",
            four.threads(),
            one.threads()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    set_option("io_threads", "4");
    configure(Some(&four.endpoint), None, None);
    // ZeroMQ starts a context's threads with its first connection: its reaper and the I/O
    // threads.
    let before = threads_of_this_process();
    check(ping());
    assert_eq!(threads_of_this_process(), before + 1 + 4);
    searches_agree_with_a_lone_search(&four);
    set_option("io_threads", "1");
}

fn threads_of_this_process() -> usize {
    std::fs::read_dir("/proc/self/task").expect("Linux").count()
}

fn searches_agree_with_a_lone_search(server: &Server) {
    configure(Some(&server.endpoint), None, None);
    let mut rng = Rng::new(99);
    let xb = clustered(&mut rng, 2000, D, 10);
    let xq = clustered(&mut rng, 20, D, 10);
    let index = Index::factory(D, "IVF16,Flat", METRIC_L2);
    index.train(&xb);
    index.add(&xb);
    let expected = index.search(&xq, 10);
    let busy = flat_l2(D);
    let (searched, busy_handle) = (Shared(index.ptr()), Shared(busy.ptr()));
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (xq, expected, xb) = (&xq, &expected, &xb);
            scope.spawn(move || {
                for round in 0..10 {
                    if t == 0 {
                        let rows = &xb[round * 50 * D..(round + 1) * 50 * D];
                        check(unsafe { faissx_Index_add(busy_handle.get(), 50, rows.as_ptr()) });
                    }
                    let (mut distances, mut labels) = (vec![0f32; 20 * 10], vec![0; 20 * 10]);
                    check(unsafe {
                        faissx_Index_search(
                            searched.get(),
                            20,
                            xq.as_ptr(),
                            10,
                            distances.as_mut_ptr(),
                            labels.as_mut_ptr(),
                        )
                    });
                    assert_eq!(labels, expected.1);
                    assert_eq!(distances, expected.0);
                }
            });
        }
    });
    assert_eq!(busy.ntotal(), 500);
    drop((index, busy));
    local_mode();
}
