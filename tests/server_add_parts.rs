//! An add larger than one chunk travels as parts sent without waiting for replies. The server
//! must apply them in the order they were sent, whichever worker is free, and must not apply the
//! parts after one that failed.

mod common;
mod remote;

use common::*;
use faissx::ffi::types::*;
use faissx::protocol::*;
use remote::*;

const D: usize = 4;

/// `n` vectors whose first component is their row number, counted from `first`.
fn rows(first: usize, n: usize) -> Vec<f32> {
    (first..first + n)
        .flat_map(|row| [row as f32, 1.0, 2.0, 3.0])
        .collect()
}

fn part(name: &str, n: usize, part: u32, parts: u32) -> Op {
    Op::Add {
        index: name.into(),
        n: n as u64,
        with_ids: false,
        part,
        parts,
    }
}

/// Sends every part back to back on one connection, then collects the replies in id order.
fn send_parts(raw: &mut Raw, parts: Vec<(Op, Vec<u8>)>) -> Vec<Result<Answer, WireError>> {
    let mut ids = Vec::new();
    for (op, frame) in parts {
        let request = raw.request(op);
        ids.push(request.id);
        raw.send(vec![encode(&request), frame]);
    }
    let mut replies: Vec<(u64, Result<Answer, WireError>)> = ids
        .iter()
        .map(|_| {
            let (reply, _) = raw.recv(20_000).expect("every part is answered");
            (reply.id, reply.result)
        })
        .collect();
    replies.sort_by_key(|(id, _)| *id);
    assert_eq!(replies.iter().map(|(id, _)| *id).collect::<Vec<_>>(), ids);
    replies.into_iter().map(|(_, result)| result).collect()
}

fn stored(raw: &mut Raw, name: &str, n: usize) -> Vec<f32> {
    let (_, payload) = raw.ok(
        Op::Reconstruct {
            index: name.into(),
            first: 0,
            n: n as u64,
        },
        vec![],
    );
    from_frame::<f32>(&payload[0], n * D, "vectors").expect("n vectors")
}

#[test]
fn parts_are_applied_in_the_order_sent() {
    // Four workers, and a first part far bigger than the others: were the parts handed to
    // whichever worker is free, the small ones would overtake it.
    let server = Server::start(&["--workers", "4"]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("ordered", D as u32);
    let sizes = [40_000usize, 3, 5, 1, 7, 2, 9, 4];
    let parts = sizes.len() as u32;
    let mut first = 0;
    let requests = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let frame = to_frame(&rows(first, n));
            first += n;
            (part("ordered", n, i as u32, parts), frame)
        })
        .collect();
    for reply in send_parts(&mut raw, requests) {
        reply.expect("every part is applied");
    }
    assert_eq!(stored(&mut raw, "ordered", first), rows(0, first));

    // The stream is over: a plain add afterwards lands after it.
    raw.add("ordered", &rows(first, 2), D);
    assert_eq!(stored(&mut raw, "ordered", first + 2), rows(0, first + 2));
}

#[test]
fn parts_after_a_failed_part_are_not_applied() {
    let server = Server::start(&["--workers", "3"]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("broken", D as u32);
    let requests = vec![
        (part("broken", 2, 0, 4), to_frame(&rows(0, 2))),
        // Says 2 vectors, carries 3.
        (part("broken", 2, 1, 4), to_frame(&rows(2, 3))),
        (part("broken", 2, 2, 4), to_frame(&rows(4, 2))),
        (part("broken", 2, 3, 4), to_frame(&rows(6, 2))),
    ];
    let replies = send_parts(&mut raw, requests);
    assert!(replies[0].is_ok(), "{:?}", replies[0]);
    let failed = replies[1].as_ref().expect_err("a part of the wrong size");
    assert_eq!(
        failed.kind,
        ErrorKind::InvalidArgument,
        "{}",
        failed.message
    );
    for later in &replies[2..] {
        let error = later.as_ref().expect_err("not applied after a failure");
        assert!(
            error.message.contains("earlier part failed") && error.message.contains("bytes"),
            "{}",
            error.message
        );
    }
    match raw
        .ok(
            Op::Info {
                index: "broken".into(),
            },
            vec![],
        )
        .0
    {
        Answer::Info(info) => assert_eq!(info.ntotal, 2, "only the part before the failure"),
        other => panic!("Info answered {other:?}"),
    }

    // The failure is forgotten once the last part went by.
    raw.add("broken", &rows(2, 1), D);
    assert_eq!(stored(&mut raw, "broken", 3), rows(0, 3));
}

/// Through libfaissx: adds of several chunks, with and without ids, give the index a local add
/// gives.
#[test]
fn chunked_adds_match_local() {
    let server = Server::start(&["--workers", "4"]);
    let _serial = exclusive();
    let d = 128;
    // 4 MB chunks hold 8192 vectors of d = 128: this is four parts.
    let n = 30_000;
    let mut rng = Rng::new(17);
    let base = rng.vectors(n, d);
    let queries = rng.vectors(20, d);
    let ids: Vec<idx_t> = (0..n as idx_t).map(|i| 1_000_000 - 7 * i).collect();

    local_mode();
    let local = Index::factory(d, "Flat", METRIC_L2);
    local.add(&base);
    let local_ids = Index::factory(d, "IDMap,Flat", METRIC_L2);
    local_ids.add_with_ids(&base, &ids);

    configure(Some(&server.endpoint), None, None);
    let remote = Index::factory(d, "Flat", METRIC_L2);
    remote.add(&base);
    let remote_ids = Index::factory(d, "IDMap,Flat", METRIC_L2);
    remote_ids.add_with_ids(&base, &ids);
    local_mode();

    assert!(is_remote(remote.ptr()) && is_remote(remote_ids.ptr()));
    assert_eq!(remote.ntotal(), n);
    assert_eq!(remote_ids.ntotal(), n);
    for row in [0, 8191, 8192, 16_385, n - 1] {
        assert_eq!(
            remote.reconstruct(row as idx_t),
            local.reconstruct(row as idx_t)
        );
    }
    assert_eq!(remote.search(&queries, 5), local.search(&queries, 5));
    assert_eq!(
        remote_ids.search(&queries, 5),
        local_ids.search(&queries, 5)
    );
}

/// A client that numbers its parts wrongly gets an answer for every part, not a reply that
/// never comes (found by the wire fuzzer): a part numbered past the end is refused, and so is a
/// part that names an add whose last part was applied (the ids of one add's parts are
/// consecutive, so part 1 with id 8 and part 3 with id 10 name one add).
#[test]
fn miscounted_parts_are_answered() {
    let server = Server::start(&["--workers", "2"]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("miscounted", D as u32);
    let requests = vec![
        (part("miscounted", 2, 1, 2), to_frame(&rows(0, 2))),
        (part("miscounted", 2, 2, 2), to_frame(&rows(2, 2))),
    ];
    let replies = send_parts(&mut raw, requests);
    assert!(replies[0].is_ok(), "{:?}", replies[0]);
    let error = replies[1].as_ref().expect_err("a part past the end");
    assert!(
        error.message.contains("numbered from 0"),
        "{}",
        error.message
    );

    // Part 1 of 2 (the last) then, with the next id, part 2 of 3: one add to the server.
    let requests = vec![
        (part("miscounted", 2, 1, 2), to_frame(&rows(2, 2))),
        (part("miscounted", 2, 2, 3), to_frame(&rows(4, 2))),
    ];
    let replies = send_parts(&mut raw, requests);
    assert!(replies[0].is_ok(), "{:?}", replies[0]);
    // Refused if it arrived while part 1 was applied; a new add (and applied) if after.
    let applied = match &replies[1] {
        Ok(_) => 2,
        Err(error) => {
            assert!(
                error.message.contains("last part was already applied"),
                "{}",
                error.message
            );
            0
        }
    };
    assert_eq!(
        stored(&mut raw, "miscounted", 4 + applied),
        rows(0, 4 + applied)
    );
}
