//! Requests that take longer than the client's timeout: the server sends signs of life while
//! it works on them, so the client waits for the answer instead of giving up (and the server
//! finishing a job nobody waits for).

mod common;
mod remote;

use common::*;
use faissx::ffi::faissx::faissx_configure_recovery;
use faissx::ffi::types::*;
use faissx::protocol::*;
use remote::*;
use std::time::{Duration, Instant};

const D: usize = 64;

#[test]
fn a_train_longer_than_the_timeout_completes() {
    let _remote = exclusive();
    let server = Server::start(&[]);
    configure(Some(&server.endpoint), None, None);
    check(faissx_configure_recovery(0, 0.0, 1.0));
    set_option("timeout_ms", "100");
    // About a second of k-means on the 2-core CI machine: three times the 300 ms asked below.
    let index = Index::factory(D, "IVF1024,Flat", METRIC_L2);
    let xb = clustered(&mut Rng::new(8), 100_000, D, 1200);
    let started = Instant::now();
    index.train(&xb);
    let took = started.elapsed();
    set_option("timeout_ms", "30000");
    assert!(
        took > Duration::from_millis(300),
        "the train took {took:?}: too short to show anything; train on more vectors"
    );
    index.add(&xb[..1000 * D]);
    assert_eq!(index.ntotal(), 1000);
    local_mode();
}

#[test]
fn signs_of_life_come_as_asked_and_only_when_asked() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.ok(
        Op::Create {
            index: "ivf".into(),
            spec: IndexSpec::Factory {
                d: D as u32,
                description: "IVF256,Flat".into(),
                metric: METRIC_L2,
            },
        },
        vec![],
    );
    let xb = to_frame(&clustered(&mut Rng::new(9), 40_000, D, 300));
    let train = |raw: &mut Raw, keepalive_ms| {
        let mut request = raw.request(Op::Train {
            index: "ivf".into(),
            n: 40_000,
        });
        request.keepalive_ms = keepalive_ms;
        raw.send(vec![encode(&request), xb.clone()]);
        request
    };
    // Asked: Working replies for the request's id, then its answer.
    let request = train(&mut raw, Some(30));
    let mut working = 0;
    loop {
        let (reply, _) = raw.recv(30_000).expect("an answer");
        assert_eq!(reply.id, request.id);
        match reply.result {
            Ok(Answer::Working) => working += 1,
            Ok(Answer::Info(info)) => {
                assert!(info.is_trained);
                break;
            }
            other => panic!("train answered {other:?}"),
        }
    }
    assert!(working > 0, "no sign of life during a long train");
    // Not asked (clients that predate them): the answer only.
    train(&mut raw, None);
    let (reply, _) = raw.recv(30_000).expect("an answer");
    assert!(
        matches!(reply.result, Ok(Answer::Info(_))),
        "{:?}",
        reply.result
    );
}
