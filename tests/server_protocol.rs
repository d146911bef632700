//! Bad input to faissx-server — garbage frames, unknown operations, other protocol versions,
//! oversized messages, wrong shapes — gets an error reply (or, past the size limit, a dropped
//! connection), and the server keeps serving everyone else. Also: startup failures.

mod common;
mod remote;

use faissx::ffi::types::*;
use faissx::protocol::*;
use remote::*;
use serde::Serialize;

/// A request header whose operation this server does not know.
#[derive(Serialize)]
struct FutureRequest {
    version: u32,
    id: u64,
    api_key: Option<String>,
    tenant: Option<String>,
    op: FutureOp,
}

#[derive(Serialize)]
enum FutureOp {
    Teleport { index: String },
}

#[test]
fn malformed_requests_get_error_replies() {
    let server = Server::start(&["--max-message-mb", "1", "--max-k", "50"]);
    let mut raw = Raw::connect(&server.endpoint);

    raw.send(vec![b"\xc1 not msgpack at all".to_vec()]);
    let (reply, payload) = raw.recv(10_000).expect("a reply to garbage");
    let error = reply.result.expect_err("garbage cannot succeed");
    assert_eq!(error.kind, ErrorKind::Protocol, "{}", error.message);
    assert!(payload.is_empty());

    let unknown = FutureRequest {
        version: PROTOCOL_VERSION,
        id: 77,
        api_key: None,
        tenant: None,
        op: FutureOp::Teleport { index: "x".into() },
    };
    raw.send(vec![rmp_serde::to_vec_named(&unknown).unwrap()]);
    let (reply, _) = raw.recv(10_000).expect("a reply to an unknown operation");
    assert_eq!(
        reply.result.expect_err("unknown op").kind,
        ErrorKind::Protocol
    );

    let mut old = raw.request(Op::Ping);
    old.version = PROTOCOL_VERSION + 41;
    raw.send(vec![encode(&old)]);
    let (reply, _) = raw.recv(10_000).expect("a reply to another version");
    assert_eq!(reply.id, old.id);
    let error = reply.result.expect_err("other versions are refused");
    assert_eq!(error.kind, ErrorKind::Protocol);
    let (theirs, ours) = (
        (PROTOCOL_VERSION + 41).to_string(),
        PROTOCOL_VERSION.to_string(),
    );
    assert!(
        error.message.contains(&theirs) && error.message.contains(&ours),
        "{}",
        error.message
    );

    // Shapes that do not match the header.
    raw.create_flat("shapes", 4);
    let add = |n, with_ids| Op::Add {
        index: "shapes".into(),
        n,
        with_ids,
        part: 0,
        parts: 1,
    };
    let error = raw.err(add(3, false), vec![vec![0u8; 10]]);
    assert_eq!(error.kind, ErrorKind::InvalidArgument, "{}", error.message);
    assert!(error.message.contains("10"), "{}", error.message);
    let error = raw.err(add(3, false), vec![]);
    assert!(error.message.contains("missing payload frame"), "{error:?}");
    let error = raw.err(add(2, true), vec![to_frame(&[0f32; 8]), to_frame(&[1i64])]);
    assert_ne!(error.kind, ErrorKind::Server, "{}", error.message);
    let search = |n, k| Op::Search {
        index: "shapes".into(),
        n,
        k,
        params: None,
    };
    assert_eq!(
        raw.err(search(2, 1), vec![to_frame(&[0f32; 4])]).kind,
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        raw.err(search(1, 51), vec![to_frame(&[0f32; 4])]).kind,
        ErrorKind::Limit
    );
    assert_eq!(
        raw.err(search(1, 0), vec![to_frame(&[0f32; 4])]).kind,
        ErrorKind::InvalidArgument
    );
    let info = Op::Info {
        index: "shapes".into(),
    };
    match raw.ok(info.clone(), vec![]).0 {
        Answer::Info(info) => assert_eq!(info.ntotal, 0, "failed adds changed the index"),
        other => panic!("Info answered {other:?}"),
    }

    // Requests that would make the server allocate or read far beyond the index.
    raw.add("shapes", &[1.0; 8], 4);
    let reconstruct = |first, n| Op::Reconstruct {
        index: "shapes".into(),
        first,
        n,
    };
    assert!(raw.call(reconstruct(0, 5_000_000), vec![]).0.is_err());
    assert!(raw.call(reconstruct(1, 2), vec![]).0.is_err());
    assert!(raw.call(reconstruct(-3, 1), vec![]).0.is_err());
    let binary = IndexSpec::BinaryFlat { d: 64 };
    raw.ok(
        Op::Create {
            index: "codes".into(),
            spec: binary,
        },
        vec![],
    );
    raw.ok(
        Op::Add {
            index: "codes".into(),
            n: 2,
            with_ids: false,
            part: 0,
            parts: 1,
        },
        vec![vec![7u8; 16]],
    );
    for (first, n) in [(2, 1), (1, 2), (-1, 1), (1_000_000, 1)] {
        let result = raw
            .call(
                Op::Reconstruct {
                    index: "codes".into(),
                    first,
                    n,
                },
                vec![],
            )
            .0;
        assert!(
            result.is_err(),
            "binary reconstruct {first}+{n} answered {result:?}"
        );
    }
    let (_, payload) = raw.ok(
        Op::Reconstruct {
            index: "codes".into(),
            first: 1,
            n: 1,
        },
        vec![],
    );
    assert_eq!(payload, [vec![7u8; 8]]);

    let spec = IndexSpec::Flat {
        d: 0,
        metric: METRIC_L2,
    };
    assert_eq!(
        raw.err(
            Op::Create {
                index: "flat0".into(),
                spec
            },
            vec![]
        )
        .kind,
        ErrorKind::InvalidArgument
    );
    let spec = IndexSpec::Flat { d: 4, metric: 999 };
    assert_eq!(
        raw.err(
            Op::Create {
                index: "metric".into(),
                spec
            },
            vec![]
        )
        .kind,
        ErrorKind::InvalidArgument
    );
    let spec = IndexSpec::Factory {
        d: 4,
        description: "Bogus99".into(),
        metric: METRIC_L2,
    };
    assert_eq!(
        raw.err(
            Op::Create {
                index: "bogus".into(),
                spec
            },
            vec![]
        )
        .kind,
        ErrorKind::Faiss
    );
    let spec = IndexSpec::Flat {
        d: 4,
        metric: METRIC_L2,
    };
    assert_eq!(
        raw.err(
            Op::Create {
                index: "".into(),
                spec: spec.clone()
            },
            vec![]
        )
        .kind,
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        raw.err(
            Op::Create {
                index: "shapes".into(),
                spec
            },
            vec![]
        )
        .kind,
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        raw.err(
            Op::Load {
                index: "junk".into(),
                binary: false
            },
            vec![b"junk".to_vec()]
        )
        .kind,
        ErrorKind::Faiss
    );
    let merge = Op::MergeFrom {
        index: "shapes".into(),
        other: "shapes".into(),
        add_id: 0,
    };
    assert_eq!(raw.err(merge, vec![]).kind, ErrorKind::InvalidArgument);
    let merge = Op::MergeFrom {
        index: "shapes".into(),
        other: "codes".into(),
        add_id: 0,
    };
    assert!(raw.call(merge, vec![]).0.is_err());

    // The list of indexes shows no trace of the failed creations.
    assert_eq!(raw.list(), ["codes", "shapes"]);
    still_serves(&server, None);
}

#[test]
fn oversized_messages_drop_only_that_connection() {
    let server = Server::start(&["--max-message-mb", "1"]);
    let mut big = Raw::connect(&server.endpoint);
    big.create_flat("big", 4);
    let huge = vec![0u8; 2 << 20];
    let request = big.request(Op::Add {
        index: "big".into(),
        n: (huge.len() / 16) as u64,
        with_ids: false,
        part: 0,
        parts: 1,
    });
    big.send(vec![encode(&request), huge]);
    assert!(
        big.recv(1_000).is_none(),
        "an oversized message is not served"
    );

    let mut other = Raw::connect(&server.endpoint);
    match other
        .ok(
            Op::Info {
                index: "big".into(),
            },
            vec![],
        )
        .0
    {
        Answer::Info(info) => assert_eq!(info.ntotal, 0),
        answer => panic!("Info answered {answer:?}"),
    }
    // Just under the limit is fine.
    let rows = (1 << 20) / 16 - 64;
    other.add("big", &vec![0.5f32; rows * 4], 4);
    still_serves(&server, None);
}

#[test]
fn startup_failures_are_clear() {
    let first = Server::start(&[]);
    let port = first.port.to_string();
    let busy = run_server(&["--bind-address", "127.0.0.1", "--port", &port]);
    assert!(!busy.status.success());
    assert!(
        busy.stderr.contains(&port) && busy.stderr.contains("cannot listen"),
        "{}",
        busy.stderr
    );
    still_serves(&first, None);

    let bad_flag = run_server(&["--no-such-flag"]);
    assert!(!bad_flag.status.success());
    assert!(
        bad_flag.stderr.contains("--no-such-flag"),
        "{}",
        bad_flag.stderr
    );

    let dir = TempDir::new("cli");
    let missing = dir.path().join("no-keys.json");
    let no_file = run_server(&["--port", "0", "--auth-file", missing.to_str().unwrap()]);
    assert!(!no_file.status.success());
    assert!(
        no_file.stderr.contains(missing.to_str().unwrap()),
        "{}",
        no_file.stderr
    );

    let not_json = dir.path().join("keys.json");
    std::fs::write(&not_json, "key: tenant").unwrap();
    let bad_file = run_server(&["--port", "0", "--auth-file", not_json.to_str().unwrap()]);
    assert!(!bad_file.status.success());
    assert!(
        bad_file.stderr.contains(not_json.to_str().unwrap()),
        "{}",
        bad_file.stderr
    );

    let no_keys = run_server(&["--port", "0", "--enable-auth"]);
    assert!(!no_keys.status.success());
    assert!(
        no_keys.stderr.contains("--enable-auth"),
        "{}",
        no_keys.stderr
    );

    // A malformed entry is pointed at, not echoed: it may be a key.
    let bad_pair = run_server(&[
        "--port",
        "0",
        "--auth-keys",
        "good-key:t1,lonely-key-c0ffee",
    ]);
    assert!(!bad_pair.status.success());
    assert!(
        bad_pair.stderr.contains("--auth-keys"),
        "{}",
        bad_pair.stderr
    );
    assert!(
        !bad_pair.stderr.contains("c0ffee") && !bad_pair.stderr.contains("good-key"),
        "{}",
        bad_pair.stderr
    );
}

#[test]
fn sigterm_exits_cleanly() {
    let mut server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("x", 2);
    let status = server.terminate();
    assert!(status.success(), "{status:?}: {}", server.stderr());
}
