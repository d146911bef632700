//! Memory one client can make the server use is bounded: index bytes declaring arrays they do
//! not hold are refused without allocating them; requests past the memory budget or a
//! tenant's quota are refused before they allocate, with the numbers; a client that never
//! reads its replies does not make the server keep them all.

mod common;
mod remote;

use common::Rng;
use faissx::ffi::types::METRIC_L2;
use faissx::protocol::*;
use remote::*;

const D: usize = 8;

fn vectors(seed: u64, n: usize, d: usize) -> Vec<f32> {
    Rng::new(seed).vectors(n, d)
}

fn search(name: &str, n: usize, k: u64) -> Op {
    Op::Search {
        index: name.into(),
        n: n as u64,
        k,
        params: None,
    }
}

/// `bytes` sent to `Load` are refused as declaring more than they hold, and the server's peak
/// memory stayed below `peak_bound`.
#[track_caller]
fn load_is_refused(server: &Server, raw: &mut Raw, bytes: Vec<u8>, reason: &str, peak_bound: u64) {
    let op = Op::Load {
        index: "refused".into(),
        binary: false,
    };
    let error = raw.err(op, vec![bytes]);
    assert!(error.message.contains(reason), "{:?}", error);
    let peak = server.memory("VmHWM");
    assert!(
        peak < peak_bound,
        "the server's peak memory reached {} MB",
        peak >> 20
    );
}

#[test]
fn index_bytes_declaring_gigabytes_are_refused_without_allocating_them() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("empty", D as u32);
    let (_, frames) = raw.ok(
        Op::Save {
            index: "empty".into(),
        },
        vec![],
    );
    let mut bytes = frames[0].clone();
    // An empty IndexFlat ends with its codes array: a u64 length, 0, and no data. Declare
    // 3 GB of codes (and the matching ntotal, after the 4-byte tag and 4-byte d).
    let codes = 3u64 << 30;
    let len_at = bytes.len() - 8;
    bytes[len_at..].copy_from_slice(&codes.to_le_bytes());
    bytes[8..16].copy_from_slice(&(codes / (4 * D as u64)).to_le_bytes());
    assert!(bytes.len() < 100, "{} bytes", bytes.len());
    load_is_refused(
        &server,
        &mut raw,
        bytes,
        "more data than they hold",
        512 << 20,
    );
    // A real index of the same kind still loads, with its vectors.
    raw.add("empty", &vectors(1, 5, D), D);
    let (_, frames) = raw.ok(
        Op::Save {
            index: "empty".into(),
        },
        vec![],
    );
    raw.ok(
        Op::Load {
            index: "copy".into(),
            binary: false,
        },
        frames,
    );
    match raw
        .ok(
            Op::Info {
                index: "copy".into(),
            },
            vec![],
        )
        .0
    {
        Answer::Info(info) => assert_eq!(info.ntotal, 5),
        other => panic!("{other:?}"),
    }
}

#[test]
fn requests_past_the_memory_budget_are_refused_before_they_allocate() {
    let server = Server::start(&["--max-memory-mb", "150"]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("budget", D as u32);
    raw.add("budget", &vectors(1, 100, D), D);
    // 100 queries × 100k neighbours: about 240 MB of results and reply frames.
    let error = raw.err(
        search("budget", 100, 100_000),
        vec![to_frame(&vectors(2, 100, D))],
    );
    assert_eq!(error.kind, ErrorKind::Limit, "{}", error.message);
    assert!(
        error.message.contains("--max-memory-mb 150") && error.message.contains("100 queries"),
        "{}",
        error.message
    );
    assert!(server.memory("VmHWM") < 150 << 20);
    // An add of 100 MB (which the index would keep) is refused the same way; small requests
    // go on.
    let big = vec![0f32; 3_200_000 * D];
    let error = raw.try_add("budget", &big, D).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Limit, "{}", error.message);
    let (_, frames) = raw.ok(search("budget", 1, 3), vec![to_frame(&vectors(1, 1, D))]);
    assert_eq!(from_frame::<i64>(&frames[1], 3, "labels").unwrap()[0], 0);
    match raw
        .ok(
            Op::Info {
                index: "budget".into(),
            },
            vec![],
        )
        .0
    {
        Answer::Info(info) => assert_eq!(info.ntotal, 100, "a refused add was applied"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn tenant_quotas_refuse_adds_past_them_and_leave_other_tenants_alone() {
    let server = Server::start(&["--tenant-max-vectors", "100", "--tenant-max-mb", "1"]);
    let mut alice = Raw::connect(&server.endpoint);
    alice.tenant = Some("alice".into());
    let mut bob = Raw::connect(&server.endpoint);
    bob.tenant = Some("bob".into());
    alice.create_flat("a1", D as u32);
    alice.create_flat("a2", D as u32);
    alice.try_add("a1", &vectors(1, 60, D), D).unwrap();
    // The quota is the tenant's, over all its indexes.
    let error = alice.try_add("a2", &vectors(2, 50, D), D).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Limit);
    assert!(
        error.message.contains("'alice'") && error.message.contains("--tenant-max-vectors"),
        "{}",
        error.message
    );
    alice.try_add("a2", &vectors(3, 40, D), D).unwrap();
    // Bob has his own quota: bytes bind first at d = 4096 (16 KB a vector, 64 in 1 MB).
    bob.create_flat("b", 4096);
    bob.try_add("b", &vectors(4, 60, 4096), 4096).unwrap();
    let error = bob.try_add("b", &vectors(5, 10, 4096), 4096).unwrap_err();
    assert!(
        error.message.contains("--tenant-max-mb"),
        "{}",
        error.message
    );
    // Copies count too: cloning alice's full index would double her vectors.
    let error = alice.err(
        Op::Clone {
            index: "a1".into(),
            to: "a3".into(),
        },
        vec![],
    );
    assert_eq!(error.kind, ErrorKind::Limit, "{}", error.message);
    // Deleting frees the quota.
    alice.ok(Op::Delete { index: "a1".into() }, vec![]);
    alice.try_add("a2", &vectors(6, 60, D), D).unwrap();
}

#[test]
fn a_client_that_never_reads_its_replies_does_not_grow_the_server() {
    let server = Server::start(&[]);
    let mut setup = Raw::connect(&server.endpoint);
    setup.create_flat("big-replies", D as u32);
    setup.add("big-replies", &vectors(1, 2000, D), D);
    let before = server.memory("VmRSS");

    // A socket that stops reading: ZeroMQ on this side holds one message, the kernel a few KB.
    let context = zmq::Context::new();
    let slow = context.socket(zmq::DEALER).unwrap();
    slow.set_rcvhwm(1).unwrap();
    slow.set_rcvbuf(4096).unwrap();
    slow.set_linger(0).unwrap();
    slow.connect(&server.endpoint).unwrap();
    let queries = to_frame(&vectors(2, 100, D));
    // 400 searches of 100 queries × 1000 neighbours: 1.2 MB a reply, 480 MB in all.
    for id in 0..400u64 {
        let request = Request {
            version: PROTOCOL_VERSION,
            id,
            api_key: None,
            tenant: None,
            keepalive_ms: None,
            session: None,
            op: search("big-replies", 100, 1000),
        };
        slow.send_multipart([encode(&request), queries.clone()], 0)
            .unwrap();
    }
    // Everyone else is still served, while and after the server works through the slow
    // client's requests (a few ms each).
    for _ in 0..150 {
        let (_, frames) = setup.ok(
            search("big-replies", 1, 1),
            vec![to_frame(&vectors(1, 1, D))],
        );
        assert_eq!(from_frame::<i64>(&frames[1], 1, "labels").unwrap()[0], 0);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let grown = server.memory("VmRSS").saturating_sub(before);
    assert!(
        grown < 128 << 20,
        "the server holds {} MB more for a client that does not read",
        grown >> 20
    );
    drop(slow);
}

#[test]
fn memory_freed_after_a_burst_goes_back_to_the_system() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("burst", D as u32);
    raw.add("burst", &vectors(1, 1000, D), D);
    let idle = server.memory("VmRSS");
    for round in 0..5 {
        let (_, frames) = raw.ok(
            search("burst", 1000, 1000),
            vec![to_frame(&vectors(round, 1000, D))],
        );
        assert_eq!(frames[1].len(), 1000 * 1000 * 8);
        raw.create_flat(&format!("tmp-{round}"), D as u32);
        raw.add(&format!("tmp-{round}"), &vectors(round, 200_000, D), D);
        raw.ok(
            Op::Delete {
                index: format!("tmp-{round}"),
            },
            vec![],
        );
    }
    // The server trims its heap once it has been idle for a poll interval.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let after = server.memory("VmRSS");
    assert!(
        after < idle + (48 << 20),
        "RSS went from {} MB to {} MB after the burst",
        idle >> 20,
        after >> 20
    );
    let _ = METRIC_L2;
}

#[test]
fn credentials_are_checked_before_the_operation_is_built() {
    let server = Server::start(&["--auth-keys", "right:t"]);
    let mut raw = Raw::connect(&server.endpoint).with_key("wrong");
    // 60M ids of one msgpack byte each: 60 MB on the wire, 480 MB as a selector.
    let ids = 60_000_000;
    let header = Request {
        version: PROTOCOL_VERSION,
        id: 9,
        api_key: Some("wrong".into()),
        tenant: None,
        keepalive_ms: None,
        session: None,
        op: Op::RemoveIds {
            index: "x".into(),
            selector: Selector::Batch { ids: vec![1; ids] },
        },
    };
    let bytes = encode(&header);
    drop(header);
    assert!(bytes.len() < ids + 100);
    raw.send(vec![bytes]);
    let (reply, _) = raw.recv(30_000).expect("an answer");
    assert_eq!(reply.id, 9);
    assert_eq!(reply.result.unwrap_err().kind, ErrorKind::Auth);
    let peak = server.memory("VmHWM");
    assert!(
        peak < 300 << 20,
        "the server built the selector before checking the key: {} MB",
        peak >> 20
    );
    raw.api_key = Some("right".into());
    assert_eq!(raw.list(), Vec::<String>::new());
}

#[test]
fn a_client_that_reads_late_gets_every_reply_in_order() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    // One request at a time: every reply comes, however many (ZeroMQ's per-client queue is
    // short, and may look full for a moment after it was read).
    for _ in 0..300 {
        assert!(raw.list().is_empty());
    }
    // 200 requests before reading any, through a socket that queues one reply: the server
    // holds the rest and sends them as the client reads, in order.
    let context = zmq::Context::new();
    let late = context.socket(zmq::DEALER).unwrap();
    late.set_rcvhwm(1).unwrap();
    late.set_linger(0).unwrap();
    late.set_rcvtimeo(10_000).unwrap();
    late.connect(&server.endpoint).unwrap();
    for id in 0..200u64 {
        let request = Request {
            version: PROTOCOL_VERSION,
            id,
            api_key: None,
            tenant: None,
            keepalive_ms: None,
            session: None,
            op: Op::Ping,
        };
        late.send(encode(&request), 0).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    for id in 0..200u64 {
        let frames = late.recv_multipart(0).expect("every reply comes");
        let reply: Reply = decode(&frames[0]).unwrap();
        assert_eq!(reply.id, id);
        assert!(reply.result.is_ok());
    }
}

#[test]
fn index_bytes_declaring_many_arrays_are_refused_quickly() {
    // 730 bytes from the wire fuzzer: an IDMap2 whose fields declare array after array of
    // megabytes; with a cap on each allocation alone FAISS's reader allocated (and zeroed)
    // gigabytes in all before it reached the end of the bytes.
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fuzz/regressions/load-idmap2-declaring-more-than-it-holds.index"
    ))
    .unwrap();
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    // Its header declares 2^34 vectors, which FAISS's reader walked the ids for.
    load_is_refused(
        &server,
        &mut raw,
        bytes,
        "declare 17179869200 vectors and hold 16 ids",
        256 << 20,
    );
    assert!(raw.list().is_empty());
}
