//! Concurrent searches of one index served as one FAISS call (faissx-server's batching): every
//! search gets the bytes it gets when the server answers it alone, for each index type the
//! server batches, with k and parameters that must not be merged mixed in, and the index types
//! it must not batch left alone.

mod common;
mod remote;

use common::*;
use faissx::ffi::types::{METRIC_INNER_PRODUCT, METRIC_L2};
use faissx::protocol::*;
use remote::*;
use std::collections::HashMap;

const D: usize = 32;
const STORED: usize = 3000;

struct Case {
    description: &'static str,
    metric: u32,
    binary: bool,
    /// Parameters the requests cycle through.
    params: Vec<Option<SearchParams>>,
    /// Whether the server may serve its searches together.
    batched: bool,
}

fn ivf(nprobe: u64) -> Option<SearchParams> {
    Some(SearchParams {
        nprobe: Some(nprobe),
        ..SearchParams::default()
    })
}

fn hnsw(ef_search: i32) -> Option<SearchParams> {
    Some(SearchParams {
        ef_search: Some(ef_search),
        ..SearchParams::default()
    })
}

fn cases() -> Vec<Case> {
    let plain = |description, metric, batched| Case {
        description,
        metric,
        binary: false,
        params: vec![None],
        batched,
    };
    let ivf_case = |description| Case {
        description,
        metric: METRIC_L2,
        binary: false,
        params: vec![None, ivf(3), ivf(8)],
        batched: true,
    };
    vec![
        plain("Flat", METRIC_L2, true),
        plain("Flat", METRIC_INNER_PRODUCT, true),
        plain("IDMap,Flat", METRIC_L2, true),
        plain("SQ8", METRIC_L2, true),
        ivf_case("IVF16,Flat"),
        ivf_case("IVF16,PQ8x4"),
        ivf_case("IVF16,SQ8"),
        Case {
            description: "HNSW16",
            metric: METRIC_L2,
            binary: false,
            params: vec![None, hnsw(8), hnsw(40)],
            batched: true,
        },
        Case {
            description: "BFlat",
            metric: METRIC_L2,
            binary: true,
            params: vec![None],
            batched: true,
        },
        Case {
            description: "BIVF8",
            metric: METRIC_L2,
            binary: true,
            params: vec![None],
            batched: true,
        },
        // Product quantizers compute their distance tables with BLAS for a whole batch: not
        // the same bits as for one query, so these are served one by one.
        plain("PQ8x4", METRIC_L2, false),
        plain("IVF16,PQ8x4fs", METRIC_L2, false),
    ]
}

/// The stored vectors (every tenth a copy of another: exact ties) and the query frames.
fn data(case: &Case, rng: &mut Rng) -> (Vec<u8>, Vec<Vec<u8>>, usize) {
    let (row, stored) = if case.binary {
        (D / 8, rng.bytes(STORED * D / 8))
    } else {
        (D * 4, to_frame(&clustered(rng, STORED, D, 20)))
    };
    let mut stored = stored;
    for i in (0..STORED).step_by(10) {
        let from = (i * 7 + 3) % STORED;
        let copy = stored[from * row..(from + 1) * row].to_vec();
        stored[i * row..(i + 1) * row].copy_from_slice(&copy);
    }
    // Query sizes under and at the batching bound (20), each query a stored vector (ties) or
    // a new one.
    let sizes = [1usize, 2, 1, 5, 1, 19, 3, 1, 20, 1, 7, 1];
    let queries = sizes
        .iter()
        .cycle()
        .take(48)
        .map(|&n| {
            let mut frame = Vec::new();
            for _ in 0..n {
                if rng.below(2) == 0 {
                    let at = rng.below(STORED);
                    frame.extend_from_slice(&stored[at * row..(at + 1) * row]);
                } else if case.binary {
                    frame.extend(rng.bytes(row));
                } else {
                    frame.extend(to_frame(&rng.vectors(1, D)));
                }
            }
            frame
        })
        .collect();
    (stored, queries, row)
}

/// The index's name on the server: unique per case.
fn name(case: &Case) -> String {
    format!("{}/{}", case.description, case.metric)
}

fn search_op(case: &Case, i: usize, n: u64) -> Op {
    Op::Search {
        index: name(case),
        n,
        k: [1, 10, 1, 4, 100][i % 5],
        params: case.params[i % case.params.len()].clone(),
    }
}

fn create(raw: &mut Raw, case: &Case, stored: &[u8], row: usize) {
    let spec = if case.binary {
        IndexSpec::BinaryFactory {
            d: D as u32,
            description: case.description.into(),
        }
    } else {
        IndexSpec::Factory {
            d: D as u32,
            description: case.description.into(),
            metric: case.metric,
        }
    };
    let name = name(case);
    raw.ok(
        Op::Create {
            index: name.clone(),
            spec,
        },
        vec![],
    );
    let n = (stored.len() / row) as u64;
    raw.ok(
        Op::Train {
            index: name.clone(),
            n,
        },
        vec![stored.to_vec()],
    );
    raw.ok(
        Op::Add {
            index: name,
            n,
            with_ids: case.description.starts_with("IDMap"),
            part: 0,
            parts: 1,
        },
        if case.description.starts_with("IDMap") {
            let ids: Vec<i64> = (0..n as i64).map(|i| 1000 + 3 * i).collect();
            vec![
                stored.to_vec(),
                ids.iter().flat_map(|i| i.to_le_bytes()).collect(),
            ]
        } else {
            vec![stored.to_vec()]
        },
    );
}

type Answered = (Result<Answer, WireError>, Vec<Vec<u8>>);

/// Sends every request before reading any reply, so that they queue up on the server together.
fn pipelined(raw: &mut Raw, requests: &[(Op, Vec<u8>)]) -> Vec<Answered> {
    let mut ids = Vec::new();
    for (op, frame) in requests {
        let request = raw.request(op.clone());
        ids.push(request.id);
        raw.send(vec![encode(&request), frame.clone()]);
    }
    let mut replies: HashMap<u64, Answered> = HashMap::new();
    while replies.len() < ids.len() {
        let (reply, payload) = raw.recv(30_000).expect("the server answers every search");
        replies.insert(reply.id, (reply.result, payload));
    }
    ids.iter().map(|id| replies.remove(id).unwrap()).collect()
}

fn batched_searches(metrics: std::net::SocketAddr) -> f64 {
    sample(&scrape(metrics), "faissx_batched_searches_total")
}

#[test]
fn searches_served_together_get_the_bytes_they_get_alone() {
    // One worker: while it serves one search, the others wait in its queue together.
    let (server, metrics) = metrics_server(&["--workers", "1"]);
    let mut raw = Raw::connect(&server.endpoint);
    let mut rng = Rng::new(20261204);
    for case in cases() {
        let (stored, queries, row) = data(&case, &mut rng);
        create(&mut raw, &case, &stored, row);
        let requests: Vec<(Op, Vec<u8>)> = queries
            .into_iter()
            .enumerate()
            .map(|(i, frame)| (search_op(&case, i, (frame.len() / row) as u64), frame))
            .collect();
        let alone: Vec<Answered> = requests
            .iter()
            .map(|(op, frame)| raw.call(op.clone(), vec![frame.clone()]))
            .collect();
        for (i, (result, _)) in alone.iter().enumerate() {
            assert!(
                result.is_ok(),
                "{} request {i}: {result:?}",
                case.description
            );
        }
        let before = batched_searches(metrics);
        let mut rounds = 0;
        loop {
            rounds += 1;
            let together = pipelined(&mut raw, &requests);
            for (i, (got, expected)) in together.iter().zip(&alone).enumerate() {
                assert_eq!(
                    got.0, expected.0,
                    "{} request {i} ({:?}): answer",
                    case.description, requests[i].0
                );
                assert!(
                    got.1 == expected.1,
                    "{} request {i} ({:?}): distances or labels differ from the search alone",
                    case.description,
                    requests[i].0
                );
            }
            let batched = batched_searches(metrics) - before;
            if !case.batched {
                assert_eq!(batched, 0.0, "{} must not be batched", case.description);
                if rounds == 3 {
                    break;
                }
            } else if batched > 0.0 {
                break;
            } else {
                assert!(
                    rounds < 10,
                    "{}: no searches were served together in {rounds} rounds",
                    case.description
                );
            }
        }
    }
    still_serves(&server, None);
}

#[test]
fn a_bad_search_among_batched_ones_fails_alone() {
    let (server, metrics) = metrics_server(&["--workers", "1"]);
    let mut raw = Raw::connect(&server.endpoint);
    let mut rng = Rng::new(7);
    let case = &cases()[0];
    let (stored, queries, row) = data(case, &mut rng);
    create(&mut raw, case, &stored, row);
    let single: Vec<Vec<u8>> = queries.into_iter().filter(|q| q.len() == row).collect();
    let op = |n: u64| Op::Search {
        index: name(case),
        n,
        k: 5,
        params: None,
    };
    let alone: Vec<Answered> = single
        .iter()
        .map(|frame| raw.call(op(1), vec![frame.clone()]))
        .collect();
    let mut requests: Vec<(Op, Vec<u8>)> = single.iter().map(|q| (op(1), q.clone())).collect();
    // A frame one vector short, a NaN query and a frame one vector long: each is refused, and
    // the bytes of the long one must not shift into its neighbours' queries.
    let nan = to_frame(&[f32::NAN; D]);
    let bad = [
        (op(2), single[0].clone()),
        (op(1), nan),
        (op(1), [single[1].clone(), single[2].clone()].concat()),
    ];
    for (at, request) in [3, 8, 13].into_iter().zip(bad) {
        requests.insert(at, request);
    }
    let before = batched_searches(metrics);
    for _ in 0..10 {
        let together = pipelined(&mut raw, &requests);
        let mut good = alone.iter();
        for (i, (result, payload)) in together.iter().enumerate() {
            if [3, 8, 13].contains(&i) {
                assert!(result.is_err(), "bad request {i} was answered: {result:?}");
                continue;
            }
            let expected = good.next().unwrap();
            assert_eq!(result, &expected.0, "request {i}");
            assert!(payload == &expected.1, "request {i}: results differ");
        }
        if batched_searches(metrics) > before {
            break;
        }
    }
    assert!(batched_searches(metrics) > before, "nothing was batched");
    still_serves(&server, None);
}
