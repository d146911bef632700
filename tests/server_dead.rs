//! A server that is not there, or stops answering: calls fail with FAISSX_ERR_TRANSPORT after
//! the configured timeout, naming the server; only operations that are safe to repeat are
//! retried, as often as faissx_configure_recovery says.

mod common;
mod remote;

use common::*;
use faissx::ffi::faissx::faissx_configure_recovery;
use faissx::ffi::index::*;
use faissx::ffi::types::*;
use faissx::protocol::{decode, encode, Answer, IndexInfo, Op, Reply, Request, PROTOCOL_VERSION};
use remote::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn recovery(max_retries: i32, initial_backoff_s: f64, backoff_factor: f64) {
    check(faissx_configure_recovery(
        max_retries,
        initial_backoff_s,
        backoff_factor,
    ));
}

#[test]
fn no_server_is_a_transport_error_naming_it() {
    let _serial = exclusive();
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    configure(Some(&endpoint), None, None);
    // Without a connection, a request waits the connect timeout, not the answer timeout.
    set_option("connect_timeout_ms", "150");
    recovery(1, 0.0, 1.0);
    expect_err(ping(), FAISSX_ERR_TRANSPORT, &[&endpoint, "150 ms"]);
    let (rc, index) = try_flat_l2(4);
    expect_err(rc, FAISSX_ERR_TRANSPORT, &[&endpoint, "create"]);
    assert!(index.is_none());
    // Without the scheme, the address means the same server.
    configure(Some(&format!("127.0.0.1:{port}")), None, None);
    expect_err(ping(), FAISSX_ERR_TRANSPORT, &[&endpoint]);

    assert_eq!(
        faissx_configure_recovery(-1, 0.1, 2.0),
        FAISSX_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        faissx_configure_recovery(1, 0.1, 0.5),
        FAISSX_ERR_INVALID_ARGUMENT
    );
    let (name, value) = (cstr("timeout_ms"), cstr("soon"));
    let rc = unsafe { faissx::ffi::faissx::faissx_set_option(name.as_ptr(), value.as_ptr()) };
    assert_eq!(rc, FAISSX_ERR_INVALID_ARGUMENT);
    set_option("connect_timeout_ms", "5000");
    recovery(3, 0.1, 2.0);
    local_mode();
}

/// A server that answers index creation and deletion, counts every request, and never
/// answers anything else.
struct Silent {
    endpoint: String,
    seen: Arc<Mutex<HashMap<&'static str, usize>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Silent {
    fn start() -> Silent {
        let context = zmq::Context::new();
        let router = context.socket(zmq::ROUTER).unwrap();
        router.bind("tcp://127.0.0.1:*").unwrap();
        let endpoint = router.get_last_endpoint().unwrap().unwrap();
        let seen: Arc<Mutex<HashMap<&'static str, usize>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (counts, halt) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let _context = context;
            while !halt.load(Ordering::SeqCst) {
                if router.poll(zmq::POLLIN, 20).unwrap() == 0 {
                    continue;
                }
                let frames = router.recv_multipart(0).unwrap();
                let request: Request = decode(&frames[1]).expect("libfaissx sends valid headers");
                let (kind, answer) = match &request.op {
                    Op::Create { .. } => ("create", Some(Answer::Info(flat_info()))),
                    Op::Delete { .. } => ("delete", Some(Answer::Done)),
                    Op::Search { .. } => ("search", None),
                    Op::Add { .. } => ("add", None),
                    Op::Train { .. } => ("train", None),
                    Op::RemoveIds { .. } => ("remove_ids", None),
                    Op::Reset { .. } => ("reset", None),
                    Op::Reconstruct { .. } => ("reconstruct", None),
                    Op::Info { .. } => ("info", None),
                    _ => ("other", None),
                };
                *counts.lock().unwrap().entry(kind).or_default() += 1;
                if let Some(answer) = answer {
                    let reply = Reply {
                        version: PROTOCOL_VERSION,
                        id: request.id,
                        result: Ok(answer),
                    };
                    router
                        .send_multipart([frames[0].clone(), encode(&reply)], 0)
                        .unwrap();
                }
            }
        });
        Silent {
            endpoint,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen(&self, kind: &str) -> usize {
        self.seen.lock().unwrap().get(kind).copied().unwrap_or(0)
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn flat_info() -> IndexInfo {
    IndexInfo {
        d: 4,
        metric: METRIC_L2,
        is_trained: true,
        classes: ["Index", "IndexFlat", "IndexFlatL2"]
            .map(String::from)
            .to_vec(),
        ..Default::default()
    }
}

#[test]
fn only_repeatable_operations_are_retried() {
    let _serial = exclusive();
    let silent = Silent::start();
    configure(Some(&silent.endpoint), None, None);
    set_option("timeout_ms", "100");
    recovery(2, 0.01, 2.0);
    let index = flat_l2(4);
    let p = index.ptr();
    let x = [0.5f32; 8];
    let (mut distances, mut labels) = ([0f32; 2], [0 as idx_t; 2]);

    let rc = unsafe {
        faissx_Index_search(
            p,
            1,
            x.as_ptr(),
            2,
            distances.as_mut_ptr(),
            labels.as_mut_ptr(),
        )
    };
    expect_err(
        rc,
        FAISSX_ERR_TRANSPORT,
        &[&silent.endpoint, "search", "100 ms"],
    );
    assert_eq!(silent.seen("search"), 3, "one search and two retries");
    let mut out = [0f32; 4];
    expect_err(
        unsafe { faissx_Index_reconstruct(p, 0, out.as_mut_ptr()) },
        FAISSX_ERR_TRANSPORT,
        &[],
    );
    assert_eq!(silent.seen("reconstruct"), 3);

    // Writes whose reply was lost may have happened: sending them again could apply them twice.
    expect_err(
        unsafe { faissx_Index_add(p, 2, x.as_ptr()) },
        FAISSX_ERR_TRANSPORT,
        &[&silent.endpoint, "add"],
    );
    expect_err(
        unsafe { faissx_Index_add_with_ids(p, 1, x.as_ptr(), [4].as_ptr()) },
        FAISSX_ERR_TRANSPORT,
        &[],
    );
    assert_eq!(silent.seen("add"), 2, "adds are sent once");
    expect_err(
        unsafe { faissx_Index_train(p, 2, x.as_ptr()) },
        FAISSX_ERR_TRANSPORT,
        &[],
    );
    assert_eq!(silent.seen("train"), 1);
    let selector = Selector::range(0, 1);
    expect_err(
        unsafe { faissx_Index_remove_ids(p, selector.0, std::ptr::null_mut()) },
        FAISSX_ERR_TRANSPORT,
        &[],
    );
    assert_eq!(silent.seen("remove_ids"), 1);
    expect_err(unsafe { faissx_Index_reset(p) }, FAISSX_ERR_TRANSPORT, &[]);
    assert_eq!(silent.seen("reset"), 1);

    recovery(0, 0.0, 1.0);
    let rc = unsafe {
        faissx_Index_search(
            p,
            1,
            x.as_ptr(),
            2,
            distances.as_mut_ptr(),
            labels.as_mut_ptr(),
        )
    };
    assert_eq!(rc, FAISSX_ERR_TRANSPORT);
    assert_eq!(silent.seen("search"), 4, "no retries configured");

    drop(index);
    assert_eq!(silent.seen("delete"), 1);
    set_option("timeout_ms", "30000");
    recovery(3, 0.1, 2.0);
    local_mode();
}

/// An add of several parts whose replies never come: every part was sent (the parts do not
/// wait for each other's replies), the call fails after the timeout, and returns only once
/// ZeroMQ has let go of the caller's array, which it read in place.
#[test]
fn unanswered_chunked_add_fails_and_gives_the_array_back() {
    let _serial = exclusive();
    let silent = Silent::start();
    configure(Some(&silent.endpoint), None, None);
    set_option("timeout_ms", "200");
    let index = flat_l2(4);
    // 4 MB parts of d = 4 vectors: three parts.
    let n = 600_000;
    let mut x = vec![0.25f32; n * 4];
    expect_err(
        unsafe { faissx_Index_add(index.ptr(), n as idx_t, x.as_ptr()) },
        FAISSX_ERR_TRANSPORT,
        &[&silent.endpoint, "add", "200 ms"],
    );
    // The array is the caller's again: overwrite it, then free it.
    x.fill(f32::NAN);
    drop(x);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while silent.seen("add") < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(silent.seen("add"), 3, "all parts sent before any reply");
    drop(index);
    set_option("timeout_ms", "30000");
    local_mode();
}
