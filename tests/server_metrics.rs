//! `--metrics-address` against a real faissx-server: /metrics counts what clients did and
//! describes the server's state, /health answers, and nothing sent to the HTTP port harms the
//! server.

mod common;
mod remote;

use common::*;
use faissx::protocol::*;
use remote::*;
use std::net::{TcpListener, TcpStream};

const D: usize = 4;

fn ntotal(raw: &mut Raw, index: &str) -> i64 {
    match raw.ok(
        Op::Info {
            index: index.into(),
        },
        vec![],
    ) {
        (Answer::Info(info), _) => info.ntotal,
        (other, _) => panic!("Info answered {other:?}"),
    }
}

fn search(raw: &mut Raw, index: &str, queries: &[f32]) {
    let op = Op::Search {
        index: index.into(),
        n: (queries.len() / D) as u64,
        k: 3,
        params: None,
    };
    raw.ok(op, vec![to_frame(queries)]);
}

#[test]
fn metrics_count_requests_errors_and_vectors() {
    let (server, address) = metrics_server(&[]);
    let mut rng = Rng::new(11);
    let mut acme = Raw::connect(&server.endpoint);
    acme.tenant = Some("acme".into());
    let mut other = Raw::connect(&server.endpoint);
    other.tenant = Some("other".into());

    acme.create_flat("a", D as u32);
    acme.create_flat("b", D as u32);
    for _ in 0..3 {
        acme.add("a", &rng.vectors(40, D), D);
    }
    acme.add("b", &rng.vectors(5, D), D);
    other.create_flat("a", D as u32);
    other.add("a", &rng.vectors(2, D), D);
    for _ in 0..7 {
        search(&mut acme, "a", &rng.vectors(2, D));
    }
    let missing = acme.err(
        Op::Info {
            index: "missing".into(),
        },
        vec![],
    );
    assert_eq!(missing.kind, ErrorKind::NotFound);
    let too_large = acme.err(
        Op::Search {
            index: "a".into(),
            n: 1,
            k: 1 << 40,
            params: None,
        },
        vec![to_frame(&rng.vectors(1, D))],
    );
    assert_eq!(too_large.kind, ErrorKind::Limit);
    // A header that does not decode: a Protocol error, before any operation is known.
    acme.send(vec![b"not msgpack".to_vec()]);
    let (reply, _) = acme.recv(10_000).expect("an answer to garbage");
    assert_eq!(reply.result.unwrap_err().kind, ErrorKind::Protocol);
    let (acme_a, acme_b, other_a) = (
        ntotal(&mut acme, "a"),
        ntotal(&mut acme, "b"),
        ntotal(&mut other, "a"),
    );
    assert_eq!((acme_a, acme_b, other_a), (120, 5, 2));

    let metrics = scrape(address);
    // Every request is counted before its reply leaves, so all of them are in. The search over
    // the limit was refused before it was served: it counts as rejected, not as a search.
    assert_eq!(
        sample(&metrics, r#"faissx_requests_total{op="search"}"#),
        7.0
    );
    assert_eq!(sample(&metrics, r#"faissx_requests_total{op="add"}"#), 5.0);
    assert_eq!(
        sample(&metrics, r#"faissx_requests_total{op="create"}"#),
        3.0
    );
    assert_eq!(sample(&metrics, r#"faissx_requests_total{op="info"}"#), 4.0);
    assert_eq!(
        sample(&metrics, r#"faissx_requests_total{op="rejected"}"#),
        2.0
    );
    assert_eq!(
        sample(&metrics, r#"faissx_requests_total{op="train"}"#),
        0.0
    );
    assert_eq!(
        sample(&metrics, r#"faissx_errors_total{kind="not_found"}"#),
        1.0
    );
    assert_eq!(
        sample(&metrics, r#"faissx_errors_total{kind="limit"}"#),
        1.0
    );
    assert_eq!(
        sample(&metrics, r#"faissx_errors_total{kind="protocol"}"#),
        1.0
    );
    assert_eq!(
        sample(&metrics, r#"faissx_errors_total{kind="faiss"}"#),
        0.0
    );
    assert_eq!(
        sample(
            &metrics,
            r#"faissx_request_duration_seconds_count{op="search"}"#
        ),
        7.0
    );
    assert_eq!(
        sample(
            &metrics,
            r#"faissx_request_duration_seconds_bucket{op="search",le="+Inf"}"#
        ),
        7.0
    );
    assert!(
        sample(
            &metrics,
            r#"faissx_request_duration_seconds_sum{op="search"}"#
        ) > 0.0
    );
    assert_eq!(
        sample(&metrics, r#"faissx_vectors{tenant="acme"}"#),
        (acme_a + acme_b) as f64
    );
    assert_eq!(
        sample(&metrics, r#"faissx_vectors{tenant="other"}"#),
        other_a as f64
    );
    assert_eq!(sample(&metrics, r#"faissx_indexes{tenant="acme"}"#), 2.0);
    assert_eq!(sample(&metrics, r#"faissx_indexes{tenant="other"}"#), 1.0);
    // At least the vectors added, and the distances and labels of the searches' results.
    let added_bytes = (125 + 2) * D * 4;
    assert!(sample(&metrics, "faissx_received_bytes_total") >= added_bytes as f64);
    let result_bytes = 7 * 2 * 3 * (4 + 8);
    assert!(sample(&metrics, "faissx_sent_bytes_total") >= result_bytes as f64);
    assert!(sample(&metrics, "process_resident_memory_bytes") > 1e6);

    // Deleting an index shows in the next scrape: the gauges are read when scraped.
    acme.ok(Op::Delete { index: "b".into() }, vec![]);
    let metrics = scrape(address);
    assert_eq!(
        sample(&metrics, r#"faissx_vectors{tenant="acme"}"#),
        acme_a as f64
    );
    assert_eq!(sample(&metrics, r#"faissx_indexes{tenant="acme"}"#), 1.0);
}

#[test]
fn ivf_searches_are_counted_as_faiss_counts_them() {
    let (server, address) = metrics_server(&[]);
    let mut rng = Rng::new(12);
    let mut raw = Raw::connect(&server.endpoint);
    // One list holds every vector, so each query scans one list and all of its vectors.
    let spec = IndexSpec::Factory {
        d: D as u32,
        description: "IVF1,Flat".into(),
        metric: faissx::ffi::types::METRIC_L2,
    };
    raw.ok(
        Op::Create {
            index: "ivf".into(),
            spec,
        },
        vec![],
    );
    raw.ok(
        Op::Train {
            index: "ivf".into(),
            n: 50,
        },
        vec![to_frame(&rng.vectors(50, D))],
    );
    raw.add("ivf", &rng.vectors(30, D), D);
    for _ in 0..4 {
        search(&mut raw, "ivf", &rng.vectors(2, D));
    }
    let metrics = scrape(address);
    assert_eq!(sample(&metrics, "faissx_ivf_queries_total"), 8.0);
    assert_eq!(sample(&metrics, "faissx_ivf_lists_scanned_total"), 8.0);
    assert_eq!(sample(&metrics, "faissx_ivf_distances_total"), 8.0 * 30.0);
    assert!(sample(&metrics, "faissx_ivf_heap_updates_total") >= 8.0 * 3.0);
}

#[test]
fn health_answers_with_the_index_count() {
    let (server, address) = metrics_server(&[]);
    let (status, head, body) = get(address, "/health");
    assert_eq!(status, 200, "{head}");
    assert_eq!(body.trim(), r#"{"status":"ok","indexes":0}"#);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("one", 2);
    let (status, _, body) = get(address, "/health?verbose=1");
    assert_eq!(status, 200);
    assert_eq!(body.trim(), r#"{"status":"ok","indexes":1}"#);

    // The HTTP threads do not hold up a clean shutdown.
    let mut server = server;
    assert!(server.terminate().success(), "{}", server.stderr());
    assert!(server.stderr().contains("stopped"), "{}", server.stderr());
}

#[test]
fn garbage_on_the_metrics_port_does_not_hurt_the_server() {
    let (server, address) = metrics_server(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("kept", D as u32);
    raw.add("kept", &Rng::new(5).vectors(10, D), D);

    let mut rng = Rng::new(99);
    let long_line = format!("GET /{} HTTP/1.1\r\n\r\n", "x".repeat(100_000));
    let requests: Vec<Vec<u8>> = vec![
        rng.bytes(4096),
        b"\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"GET /metrics HTTP/9.9\r\n\r\n".to_vec(),
        b"GET /metrics HTTP/1.1\r\nContent-Length: -5\r\n\r\n".to_vec(),
        b"POST /metrics HTTP/1.1\r\nContent-Length: 100000000\r\n\r\nabc".to_vec(),
        long_line.into_bytes(),
        b"GET /metrics".to_vec(),
    ];
    for request in &requests {
        exchange(address, request);
    }
    // A client that connects and goes away without a word.
    drop(TcpStream::connect(address).unwrap());

    assert_eq!(get(address, "/nowhere").0, 404);
    let (status, _, body) = get(address, "/../../etc/passwd");
    assert_eq!(status, 404, "{body}");
    let posted = exchange(
        address,
        b"POST /health HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert_eq!(posted.split_whitespace().nth(1), Some("405"), "{posted:?}");

    // Both sides of the server still work.
    assert_eq!(get(address, "/health").0, 200);
    let metrics = scrape(address);
    assert_eq!(
        sample(&metrics, r#"faissx_vectors{tenant="default"}"#),
        10.0
    );
    assert_eq!(ntotal(&mut raw, "kept"), 10);
    search(&mut raw, "kept", &Rng::new(6).vectors(1, D));
}

#[test]
fn metrics_are_off_unless_asked_for() {
    let server = Server::start(&[]);
    assert!(
        !server.stderr().contains("metrics on"),
        "{}",
        server.stderr()
    );
}

#[test]
fn an_unusable_metrics_address_stops_the_server_at_startup() {
    let failed = run_server(&["--port", "0", "--metrics-address", "no-port-here"]);
    assert!(!failed.status.success());
    assert!(
        failed.stderr.contains("--metrics-address no-port-here"),
        "{}",
        failed.stderr
    );

    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().to_string();
    let failed = run_server(&["--port", "0", "--metrics-address", &busy]);
    assert!(!failed.status.success());
    assert!(
        failed.stderr.contains(&busy) && failed.stderr.contains("cannot listen"),
        "{}",
        failed.stderr
    );
}
