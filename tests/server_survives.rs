//! Requests that each killed faissx-server — for every tenant — get an error reply (or, for an
//! empty IDSelectorRange, FAISS's empty result), and the server goes on serving other clients.
//! Every test runs a real server process; tests/no_crash_local.rs sends the same input through
//! the exports in local mode.

mod common;
mod remote;

use common::*;
use faissx::ffi::index::faissx_Index_reconstruct_n;
use faissx::ffi::index_factory::faissx_index_factory;
use faissx::ffi::index_hnsw::faissx_IndexHNSWFlat_new_with;
use faissx::ffi::meta_indexes::faissx_IndexIDMap2_new;
use faissx::ffi::types::*;
use faissx::protocol::Selector;
use faissx::protocol::*;
use remote::*;
use std::os::raw::c_int;
use std::ptr::null_mut;

fn create(raw: &mut Raw, name: &str, spec: IndexSpec) -> Result<Answer, WireError> {
    raw.call(
        Op::Create {
            index: name.into(),
            spec,
        },
        vec![],
    )
    .0
}

fn factory(d: u32, description: &str) -> IndexSpec {
    IndexSpec::Factory {
        d,
        description: description.into(),
        metric: METRIC_L2,
    }
}

fn range_params(min: i64, max: i64) -> Option<SearchParams> {
    Some(SearchParams {
        selector: Some(Selector::Range { min, max }),
        ..Default::default()
    })
}

#[track_caller]
fn expect_kind(result: Result<Answer, WireError>, kind: ErrorKind, fragments: &[&str]) {
    let error = match result {
        Ok(answer) => panic!("expected a {kind:?} error, got {answer:?}"),
        Err(error) => error,
    };
    assert_eq!(error.kind, kind, "{}", error.message);
    for fragment in fragments {
        assert!(
            error.message.contains(fragment),
            "{:?} does not mention {fragment:?}",
            error.message
        );
    }
}

#[test]
fn empty_id_ranges_get_faiss_empty_result() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("flat", 4);
    raw.add("flat", &Rng::new(1).vectors(100, 4), 4);
    let queries = Rng::new(2).vectors(2, 4);
    for (min, max) in [(200, 300), (50, 10), (-9, -2)] {
        let search = Op::Search {
            index: "flat".into(),
            n: 2,
            k: 3,
            params: range_params(min, max),
        };
        let (_, payload) = raw.ok(search, vec![to_frame(&queries)]);
        let distances = from_frame::<f32>(&payload[0], 6, "distances").unwrap();
        let labels = from_frame::<i64>(&payload[1], 6, "labels").unwrap();
        assert_eq!(labels, [-1; 6], "[{min}, {max})");
        assert_eq!(distances, [f32::MAX; 6], "[{min}, {max})");
    }

    // A composite that would hand the range to its IndexFlat refuses it.
    create(&mut raw, "normalized", factory(4, "L2norm,Flat")).unwrap();
    raw.add("normalized", &Rng::new(1).vectors(100, 4), 4);
    let search = Op::Search {
        index: "normalized".into(),
        n: 2,
        k: 3,
        params: range_params(200, 300),
    };
    expect_kind(
        raw.call(search, vec![to_frame(&queries)]).0,
        ErrorKind::InvalidArgument,
        &["IDSelectorRange [200, 300)", "IndexPreTransform"],
    );

    // The same through libfaissx in remote mode.
    {
        let _serial = exclusive();
        configure(Some(&server.endpoint), None, None);
        let index = flat_l2(4);
        index.add(&Rng::new(1).vectors(100, 4));
        let selector = common::Selector::range(200, 300);
        let mut p = null_mut();
        check(unsafe { faissx::ffi::index::faissx_SearchParameters_new(&mut p, selector.0) });
        let params = Params(p);
        let (distances, labels) = index.search_with_params(&queries, 5, params.0);
        assert_eq!(labels, [-1; 10]);
        assert_eq!(distances, [f32::MAX; 10]);
        drop(index);
        local_mode();
    }
    still_serves(&server, None);
}

#[test]
fn results_too_large_for_memory_are_refused() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("tall", 1);
    // 10^6 queries of dimension 1 are 4 MB; with k = 10^5, n·k·12 bytes are 1.2 TB.
    let queries = to_frame(&vec![0.5f32; 1_000_000]);
    let search = Op::Search {
        index: "tall".into(),
        n: 1_000_000,
        k: 100_000,
        params: None,
    };
    expect_kind(
        raw.call(search, vec![queries.clone()]).0,
        ErrorKind::Limit,
        &["n = 1000000", "k = 100000", "1200000000000 bytes"],
    );
    let assign = Op::Assign {
        index: "tall".into(),
        n: 1_000_000,
        k: 100_000,
    };
    expect_kind(
        raw.call(assign, vec![queries.clone()]).0,
        ErrorKind::Limit,
        &["n = 1000000", "k = 100000"],
    );
    still_serves(&server, None);

    // Past every limit the operator set, an allocation that cannot succeed (800 TB, more than
    // the address space) is an error, not an abort.
    let lax = Server::start(&["--max-k", "100000000", "--max-result-mb", "4000000000000"]);
    let mut raw = Raw::connect(&lax.endpoint);
    raw.create_flat("tall", 1);
    for op in [
        Op::Search {
            index: "tall".into(),
            n: 1_000_000,
            k: 100_000_000,
            params: None,
        },
        Op::Assign {
            index: "tall".into(),
            n: 1_000_000,
            k: 100_000_000,
        },
    ] {
        expect_kind(
            raw.call(op, vec![queries.clone()]).0,
            ErrorKind::InvalidArgument,
            &[
                "n = 1000000",
                "k = 100000000",
                "cannot allocate 800000000000000 bytes",
            ],
        );
    }
    still_serves(&lax, None);

    // Reconstructions and range searches are bounded by the same limit.
    let small = Server::start(&["--max-result-mb", "1"]);
    let mut raw = Raw::connect(&small.endpoint);
    raw.create_flat("wide", 4096);
    raw.add("wide", &Rng::new(3).vectors(100, 4096), 4096);
    let reconstruct = |n| Op::Reconstruct {
        index: "wide".into(),
        first: 0,
        n,
    };
    expect_kind(
        raw.call(reconstruct(100), vec![]).0,
        ErrorKind::InvalidArgument,
        &["n = 100", "1638400 bytes", "1048576"],
    );
    let (_, payload) = raw.ok(reconstruct(10), vec![]);
    assert_eq!(payload[0].len(), 10 * 4096 * 4);
    raw.create_flat("many", 4);
    raw.add("many", &Rng::new(4).vectors(1000, 4), 4);
    let range = Op::RangeSearch {
        index: "many".into(),
        n: 200,
        radius: 1e30,
        params: None,
    };
    expect_kind(
        raw.call(range, vec![to_frame(&Rng::new(5).vectors(200, 4))])
            .0,
        ErrorKind::InvalidArgument,
        &["200000 results", "1048576"],
    );
    still_serves(&small, None);
}

/// A request header whose RemoveIds selector is `depth` Nots around a range, written byte by
/// byte: serializing it with serde would recurse as deeply as the server once did.
fn nested_not_header(depth: usize, api_key: Option<&str>) -> Vec<u8> {
    fn str(out: &mut Vec<u8>, s: &str) {
        assert!(s.len() < 32);
        out.push(0xa0 | s.len() as u8);
        out.extend_from_slice(s.as_bytes());
    }
    let mut out = vec![0x85];
    str(&mut out, "version");
    out.push(PROTOCOL_VERSION as u8);
    str(&mut out, "id");
    out.push(9);
    str(&mut out, "api_key");
    match api_key {
        Some(key) => str(&mut out, key),
        None => out.push(0xc0),
    }
    str(&mut out, "tenant");
    out.push(0xc0);
    str(&mut out, "op");
    out.push(0x81);
    str(&mut out, "RemoveIds");
    out.push(0x82);
    str(&mut out, "index");
    str(&mut out, "x");
    str(&mut out, "selector");
    for _ in 0..depth {
        out.push(0x81);
        str(&mut out, "Not");
    }
    out.push(0x81);
    str(&mut out, "Range");
    out.push(0x82);
    str(&mut out, "min");
    out.push(0);
    str(&mut out, "max");
    out.push(1);
    out
}

#[test]
fn deeply_nested_headers_are_refused_before_authentication() {
    let server = Server::start(&["--auth-keys", "key1:t1"]);
    let raw = Raw::connect(&server.endpoint);
    // Without a key: the header is refused before anyone knows who sent it. (200,000 levels
    // overflowed the I/O thread's 8 MB stack.)
    raw.send(vec![nested_not_header(200_000, None)]);
    let (reply, _) = raw.recv(10_000).expect("a reply to a deep header");
    assert_eq!(reply.id, 0);
    let error = reply.result.expect_err("a deep header cannot succeed");
    assert_eq!(error.kind, ErrorKind::Protocol, "{}", error.message);
    assert!(
        error.message.contains("nested more than 64"),
        "{}",
        error.message
    );

    // Within the header's bound but deeper than a selector may be.
    let mut raw = Raw::connect(&server.endpoint).with_key("key1");
    raw.create_flat("x", 4);
    raw.send(vec![nested_not_header(40, Some("key1"))]);
    let (reply, _) = raw.recv(10_000).expect("a reply to a deep selector");
    let error = reply.result.expect_err("a deep selector cannot succeed");
    assert_eq!(error.kind, ErrorKind::InvalidArgument, "{}", error.message);
    assert!(
        error.message.contains("more than 24 levels"),
        "{}",
        error.message
    );
    // A selector within the bounds still removes.
    raw.send(vec![nested_not_header(2, Some("key1"))]);
    let (reply, _) = raw.recv(10_000).expect("a reply to a shallow selector");
    assert!(reply.result.is_ok(), "{:?}", reply.result);
    still_serves(&server, Some(("key1", "t1")));
}

#[test]
fn unusable_index_parameters_are_refused() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("q", 8);
    create(&mut raw, "bq", IndexSpec::BinaryFlat { d: 64 }).unwrap();
    let hnsw = |m| IndexSpec::HnswFlat {
        d: 8,
        m,
        metric: METRIC_L2,
    };
    let pq = |m, nbits| IndexSpec::Pq {
        d: 8,
        m,
        nbits,
        metric: METRIC_L2,
    };
    let ivfpq = |nlist, m, nbits| IndexSpec::IvfPq {
        quantizer: "q".into(),
        d: 8,
        nlist,
        m,
        nbits,
        metric: METRIC_L2,
    };
    let refused: Vec<(IndexSpec, &str)> = vec![
        (hnsw(1), "M must be in 2..=4096"),
        (hnsw(0), "M must be in 2..=4096"),
        (hnsw(5000), "M must be in 2..=4096"),
        (factory(8, "HNSW1"), "IndexHNSW"),
        (factory(8, "HNSW2147483647"), "2147483647"),
        (factory(8, "PQ0"), "must be >= 1"),
        (factory(8, "IVF4,PQ0"), "must be >= 1"),
        (factory(8, "PQ2x0"), "must be >= 1"),
        (factory(8, "OPQ0,PQ2"), "must be >= 1"),
        (factory(8, "IVF0,Flat"), "must be >= 1"),
        (factory(8, "NSG0"), "must be >= 1"),
        (
            IndexSpec::Factory {
                d: 8,
                description: "IVF4,PQ2x4".into(),
                metric: METRIC_L1,
            },
            "only L2 and inner product",
        ),
        (
            IndexSpec::IvfScalarQuantizer {
                quantizer: "q".into(),
                d: 8,
                nlist: 4,
                qt: 0,
                metric: METRIC_L1,
                by_residual: true,
            },
            "L2 and inner product metrics only",
        ),
        (pq(0, 8), "M = 0 must divide d = 8"),
        (pq(2, 0), "nbits must be in 1..=24"),
        (ivfpq(4, 0, 8), "M = 0"),
        (ivfpq(4, 2, 0), "nbits"),
        (ivfpq(0, 2, 8), "nlist must be in 1..="),
        (
            IndexSpec::IvfFlat {
                quantizer: "q".into(),
                d: 8,
                nlist: 0,
                metric: METRIC_L2,
            },
            "nlist",
        ),
        (
            IndexSpec::IvfScalarQuantizer {
                quantizer: "q".into(),
                d: 8,
                nlist: 0,
                qt: 0,
                metric: METRIC_L2,
                by_residual: true,
            },
            "nlist",
        ),
        (
            IndexSpec::BinaryFactory {
                d: 64,
                description: "BIVF0".into(),
            },
            "must be >= 1",
        ),
        (
            IndexSpec::BinaryFactory {
                d: 64,
                description: "BHNSW1".into(),
            },
            "IndexBinaryHNSW",
        ),
        (
            IndexSpec::BinaryFactory {
                d: 64,
                description: "BHash100".into(),
            },
            "b = 100",
        ),
        (
            IndexSpec::BinaryIvf {
                quantizer: "bq".into(),
                d: 64,
                nlist: 0,
            },
            "nlist",
        ),
    ];
    for (i, (spec, fragment)) in refused.into_iter().enumerate() {
        let what = format!("{spec:?}");
        let result = create(&mut raw, &format!("bad{i}"), spec);
        match result {
            Err(error) => {
                assert_eq!(error.kind, ErrorKind::InvalidArgument, "{what}: {error:?}");
                assert!(error.message.contains(fragment), "{what}: {error:?}");
            }
            Ok(answer) => panic!("{what} was created: {answer:?}"),
        }
    }
    assert_eq!(
        raw.list(),
        ["bq", "q"],
        "refused indexes leave nothing behind"
    );

    // Through libfaissx in remote mode: "HNSW1" passes the client's own checks and is
    // refused by the server; M = 1 never leaves the client.
    {
        let _serial = exclusive();
        configure(Some(&server.endpoint), None, None);
        let mut p = null_mut();
        let desc = cstr("HNSW1");
        let rc = unsafe { faissx_index_factory(&mut p, 8, desc.as_ptr(), METRIC_L2) };
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_index_factory", "IndexHNSW"],
        );
        let rc = unsafe { faissx_IndexHNSWFlat_new_with(&mut p, 8, 1) };
        expect_err(
            rc,
            FAISSX_ERR_INVALID_ARGUMENT,
            &["faissx_IndexHNSWFlat_new_with", "M"],
        );
        assert!(p.is_null());
        local_mode();
    }
    still_serves(&server, None);
}

#[test]
fn long_factory_strings_are_refused() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    let long = "L2norm,".repeat(1000) + "Flat";
    expect_kind(
        create(&mut raw, "long", factory(8, &long)),
        ErrorKind::InvalidArgument,
        &["7004 bytes", "1024"],
    );
    let binary = IndexSpec::BinaryFactory {
        d: 64,
        description: "B".repeat(7000),
    };
    expect_kind(
        create(&mut raw, "long", binary),
        ErrorKind::InvalidArgument,
        &["7000 bytes", "1024"],
    );
    still_serves(&server, None);
}

#[test]
fn reconstructing_missing_ids_gets_an_error() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("sub", 4);
    create(
        &mut raw,
        "map",
        IndexSpec::IdMap {
            sub_index: "sub".into(),
            two_way: true,
        },
    )
    .unwrap();
    let xb = Rng::new(7).vectors(3, 4);
    let add = Op::Add {
        index: "map".into(),
        n: 3,
        with_ids: true,
        part: 0,
        parts: 1,
    };
    raw.ok(add, vec![to_frame(&xb), to_frame(&[10i64, 20, 30])]);
    let reconstruct = |index: &str, first, n| Op::Reconstruct {
        index: index.into(),
        first,
        n,
    };
    for (first, n) in [(10, 3), (10, 2), (29, 2)] {
        expect_kind(
            raw.call(reconstruct("map", first, n), vec![]).0,
            ErrorKind::Faiss,
            &["not found"],
        );
    }
    let (_, payload) = raw.ok(reconstruct("map", 20, 1), vec![]);
    assert_eq!(payload[0], to_frame(&xb[4..8]));

    // HNSW reads its storage by position, unchecked.
    create(&mut raw, "hnsw", factory(4, "HNSW8")).unwrap();
    raw.add("hnsw", &Rng::new(8).vectors(10, 4), 4);
    expect_kind(
        raw.call(reconstruct("hnsw", 5, 10), vec![]).0,
        ErrorKind::InvalidArgument,
        &["out of range (ntotal = 10)"],
    );

    // A binary IVF's codes come back in place (FAISS's own loop wrote them 8x too far).
    create(&mut raw, "bq", IndexSpec::BinaryFlat { d: 64 }).unwrap();
    let ivf = IndexSpec::BinaryIvf {
        quantizer: "bq".into(),
        d: 64,
        nlist: 2,
    };
    create(&mut raw, "bivf", ivf).unwrap();
    let codes = Rng::new(9).bytes(16 * 8);
    raw.ok(
        Op::Train {
            index: "bivf".into(),
            n: 16,
        },
        vec![codes.clone()],
    );
    let add = Op::Add {
        index: "bivf".into(),
        n: 16,
        with_ids: false,
        part: 0,
        parts: 1,
    };
    raw.ok(add, vec![codes.clone()]);
    let (_, payload) = raw.ok(reconstruct("bivf", 0, 16), vec![]);
    assert_eq!(payload[0], codes);

    // Through libfaissx in remote mode.
    {
        let _serial = exclusive();
        configure(Some(&server.endpoint), None, None);
        let sub = flat_l2(4);
        let mut p = null_mut();
        let map = Index::from_new(unsafe { faissx_IndexIDMap2_new(&mut p, sub.ptr()) }, p);
        map.add_with_ids(&xb, &[10, 20, 30]);
        let mut out = vec![0f32; 3 * 4];
        let rc: c_int = unsafe { faissx_Index_reconstruct_n(map.ptr(), 10, 3, out.as_mut_ptr()) };
        expect_err(
            rc,
            FAISSX_ERR_FAISS,
            &["faissx_Index_reconstruct_n", "not found"],
        );
        drop(map);
        drop(sub);
        local_mode();
    }
    still_serves(&server, None);
}

#[test]
fn a_full_file_size_limit_fails_the_write_not_the_server() {
    let dir = TempDir::new("fsize");
    let server = Server::start_with_file_size_limit(&["--data-dir", dir.arg()], 64 << 10);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("grows", 64);
    let batch = Rng::new(10).vectors(100, 64);
    let add = || Op::Add {
        index: "grows".into(),
        n: 100,
        with_ids: false,
        part: 0,
        parts: 1,
    };
    // Each add logs 25.6 kB: the third cannot fit under 64 kB.
    let mut failure = None;
    for _ in 0..4 {
        if let Err(error) = raw.call(add(), vec![to_frame(&batch)]).0 {
            failure = Some(error);
            break;
        }
    }
    let error = failure.expect("an add past the file size limit fails");
    assert_eq!(error.kind, ErrorKind::Server, "{}", error.message);
    assert!(raw.list().contains(&"grows".to_string()));
    still_serves(&server, None);
}

#[test]
fn components_that_are_not_finite_or_overflow_are_refused() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    create(&mut raw, "hnsw", factory(8, "HNSW8")).unwrap();
    let xb = Rng::new(12).vectors(50, 8);
    raw.add("hnsw", &xb, 8);
    // The fuzzer's query: NaN and infinite components made FAISS's search spin forever.
    let mut queries = xb[..16].to_vec();
    queries[9] = f32::NAN;
    queries[10] = f32::INFINITY;
    let search = Op::Search {
        index: "hnsw".into(),
        n: 2,
        k: 9,
        params: None,
    };
    expect_kind(
        raw.call(search, vec![to_frame(&queries)]).0,
        ErrorKind::InvalidArgument,
        &["queries: component 9 is NaN", "at most 1e15"],
    );
    let add = Op::Add {
        index: "hnsw".into(),
        n: 2,
        with_ids: false,
        part: 0,
        parts: 1,
    };
    expect_kind(
        raw.call(add, vec![to_frame(&queries)]).0,
        ErrorKind::InvalidArgument,
        &["vectors: component 9"],
    );
    // The fuzzer's efSearch: FAISS allocated 2^31 candidates per thread inside OpenMP.
    let search = Op::Search {
        index: "hnsw".into(),
        n: 2,
        k: 9,
        params: Some(SearchParams {
            ef_search: Some(i32::MAX),
            ..Default::default()
        }),
    };
    expect_kind(
        raw.call(search, vec![to_frame(&xb[..16])]).0,
        ErrorKind::InvalidArgument,
        &["ef_search must be in 1..=1048576 (got 2147483647)"],
    );
    for name in ["efSearch", "efConstruction"] {
        let set = Op::SetParam {
            index: "hnsw".into(),
            name: name.into(),
            value: 1e12,
            space: false,
        };
        expect_kind(
            raw.call(set, vec![]).0,
            ErrorKind::InvalidArgument,
            &[name, "must be in 1..=1048576"],
        );
    }
    let search = Op::Search {
        index: "hnsw".into(),
        n: 1,
        k: 1,
        params: None,
    };
    let (_, payload) = raw.ok(search, vec![to_frame(&xb[..8])]);
    assert_eq!(from_frame::<i64>(&payload[1], 1, "labels").unwrap(), [0]);
    // The fuzzer's range search: a flat quantizer's nearest-centroid kernel returned list
    // numbers past nlist for NaN distances, and the IVF threw inside OpenMP.
    create(&mut raw, "ivfsq", factory(8, "IVF4,SQ8")).unwrap();
    let train = Rng::new(26).vectors(200, 8);
    raw.ok(
        Op::Train {
            index: "ivfsq".into(),
            n: 200,
        },
        vec![to_frame(&train)],
    );
    raw.add("ivfsq", &train, 8);
    let mut queries = train[..64 * 8].to_vec();
    queries[100] = f32::NAN;
    let range = Op::RangeSearch {
        index: "ivfsq".into(),
        n: 64,
        radius: 1.0,
        params: None,
    };
    expect_kind(
        raw.call(range, vec![to_frame(&queries)]).0,
        ErrorKind::InvalidArgument,
        &["queries: component 100 is NaN"],
    );
    still_serves(&server, None);
}

#[test]
fn an_ivf_whose_quantizer_grew_is_refused() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("q", 8);
    let ivf = IndexSpec::IvfFlat {
        quantizer: "q".into(),
        d: 8,
        nlist: 4,
        metric: METRIC_L2,
    };
    create(&mut raw, "ivf", ivf).unwrap();
    let xb = Rng::new(15).vectors(200, 8);
    raw.ok(
        Op::Train {
            index: "ivf".into(),
            n: 200,
        },
        vec![to_frame(&xb)],
    );
    raw.add("ivf", &xb, 8);
    // Writing to the quantizer directly: 14 centroids for 4 lists.
    raw.add("q", &xb[..80], 8);
    let add = Op::Add {
        index: "ivf".into(),
        n: 10,
        with_ids: false,
        part: 0,
        parts: 1,
    };
    expect_kind(
        raw.call(add, vec![to_frame(&xb[..80])]).0,
        ErrorKind::InvalidArgument,
        &["holds 14 centroids for 4 inverted lists"],
    );

    create(&mut raw, "bq", IndexSpec::BinaryFlat { d: 64 }).unwrap();
    let bivf = IndexSpec::BinaryIvf {
        quantizer: "bq".into(),
        d: 64,
        nlist: 2,
    };
    create(&mut raw, "bivf", bivf).unwrap();
    let codes = Rng::new(16).bytes(64 * 8);
    raw.ok(
        Op::Train {
            index: "bivf".into(),
            n: 64,
        },
        vec![codes.clone()],
    );
    let add = |index: &str, n| Op::Add {
        index: index.into(),
        n,
        with_ids: false,
        part: 0,
        parts: 1,
    };
    raw.ok(add("bivf", 64), vec![codes.clone()]);
    // An nprobe past 2^63 turned negative in FAISS's binary heap search, which then read past
    // the probed lists and threw inside OpenMP (found by the wire fuzzer).
    let set_nprobe = |value| Op::SetParam {
        index: "bivf".into(),
        name: "nprobe".into(),
        value,
        space: false,
    };
    raw.ok(set_nprobe(1e19), vec![]);
    let search = Op::Search {
        index: "bivf".into(),
        n: 1,
        k: 2,
        params: None,
    };
    expect_kind(
        raw.call(search, vec![codes[..8].to_vec()]).0,
        ErrorKind::InvalidArgument,
        &["IndexBinaryIVF", "nprobe"],
    );
    raw.ok(set_nprobe(1.0), vec![]);
    raw.ok(add("bq", 3), vec![codes[..24].to_vec()]);
    // FAISS's binary IVF search threw "Invalid key" inside OpenMP: the process terminated.
    let search = Op::Search {
        index: "bivf".into(),
        n: 1,
        k: 2,
        params: None,
    };
    expect_kind(
        raw.call(search, vec![codes[..8].to_vec()]).0,
        ErrorKind::InvalidArgument,
        &["IndexBinaryIVF", "holds 5 centroids for 2 inverted lists"],
    );
    still_serves(&server, None);
}

#[test]
fn id_maps_refuse_what_their_borrowed_index_no_longer_matches() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    let id_map = |sub: &str, two_way| IndexSpec::IdMap {
        sub_index: sub.into(),
        two_way,
    };
    raw.create_flat("sub", 4);
    create(&mut raw, "map", id_map("sub", false)).unwrap();
    let xb = Rng::new(19).vectors(20, 4);
    let ids: Vec<i64> = (100..120).collect();
    let add = Op::Add {
        index: "map".into(),
        n: 20,
        with_ids: true,
        part: 0,
        parts: 1,
    };
    raw.ok(add, vec![to_frame(&xb), to_frame(&ids)]);
    raw.add("sub", &Rng::new(20).vectors(1000, 4), 4);
    let search = Op::Search {
        index: "map".into(),
        n: 1,
        k: 5,
        params: None,
    };
    expect_kind(
        raw.call(search, vec![to_frame(&xb[..4])]).0,
        ErrorKind::InvalidArgument,
        &["holds 1020 vectors for 20 ids"],
    );
    // FAISS asserted (an abort) that the map and its index agree.
    let remove = Op::RemoveIds {
        index: "map".into(),
        selector: Selector::Range {
            min: 2,
            max: -2147483648,
        },
    };
    expect_kind(
        raw.call(remove, vec![]).0,
        ErrorKind::InvalidArgument,
        &["holds 1020 vectors for 20 ids"],
    );

    // The fuzzer's merge: an IDMap2 from a plain IDMap wrote through a static_cast.
    raw.create_flat("sub2", 4);
    raw.create_flat("sub3", 4);
    create(&mut raw, "map2", id_map("sub2", true)).unwrap();
    create(&mut raw, "plain", id_map("sub3", false)).unwrap();
    let merge = Op::MergeFrom {
        index: "map2".into(),
        other: "plain".into(),
        add_id: 17,
    };
    expect_kind(
        raw.call(merge, vec![]).0,
        ErrorKind::InvalidArgument,
        &["an IndexIDMap2 merges only from another IndexIDMap2"],
    );

    // The fuzzer's range search: parameters without a selector made IndexIDMap wrap a NULL
    // selector and call through it.
    raw.create_flat("sub4", 4);
    create(&mut raw, "map4", id_map("sub4", false)).unwrap();
    let add = Op::Add {
        index: "map4".into(),
        n: 20,
        with_ids: true,
        part: 0,
        parts: 1,
    };
    raw.ok(add, vec![to_frame(&xb), to_frame(&ids)]);
    for selector in [None, Some(Selector::Range { min: 100, max: 105 })] {
        let range = Op::RangeSearch {
            index: "map4".into(),
            n: 1,
            radius: 1e9,
            params: Some(SearchParams {
                selector: selector.clone(),
                nprobe: Some(1),
                ..Default::default()
            }),
        };
        let (_, payload) = raw.ok(range, vec![to_frame(&xb[..4])]);
        let lims = from_frame::<u64>(&payload[0], 2, "lims").unwrap();
        let expected = if selector.is_some() { 5 } else { 20 };
        assert_eq!(lims, [0, expected], "{selector:?}");
    }
    still_serves(&server, None);
}

#[test]
fn training_on_no_vectors_is_refused() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    create(&mut raw, "ivfsq", factory(8, "IVF4,SQ8")).unwrap();
    let train = |n| Op::Train {
        index: "ivfsq".into(),
        n,
    };
    raw.ok(train(200), vec![to_frame(&Rng::new(22).vectors(200, 8))]);
    // The fuzzer's message: FAISS read the first of no vectors.
    expect_kind(
        raw.call(train(0), vec![vec![]]).0,
        ErrorKind::InvalidArgument,
        &["cannot train on n = 0 vectors"],
    );
    still_serves(&server, None);
}

#[test]
fn searching_nothing_answers_nothing() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("sub", 4);
    let map = IndexSpec::IdMap {
        sub_index: "sub".into(),
        two_way: false,
    };
    create(&mut raw, "map", map).unwrap();
    // 25 queries take FAISS's BLAS path, which returns without writing a result when there
    // is nothing to search: the IDMap looked up ids at what the buffer held.
    let queries = Rng::new(23).vectors(25, 4);
    for index in ["map", "sub"] {
        let search = Op::Search {
            index: index.into(),
            n: 25,
            k: 3,
            params: None,
        };
        let (_, payload) = raw.ok(search, vec![to_frame(&queries)]);
        let labels = from_frame::<i64>(&payload[1], 75, "labels").unwrap();
        assert_eq!(labels, [-1; 75], "{index}");
        let distances = from_frame::<f32>(&payload[0], 75, "distances").unwrap();
        assert_eq!(distances, [f32::MAX; 75], "{index}");
    }

    // An untrained IVF, and one whose quantizer was emptied after training, got uninitialized
    // list numbers from their quantizer.
    create(&mut raw, "untrained", factory(4, "IVF4,Flat")).unwrap();
    let range = Op::RangeSearch {
        index: "untrained".into(),
        n: 25,
        radius: 1.0,
        params: None,
    };
    expect_kind(
        raw.call(range, vec![to_frame(&queries)]).0,
        ErrorKind::Faiss,
        &["not trained"],
    );
    raw.create_flat("q", 4);
    let ivf = IndexSpec::IvfFlat {
        quantizer: "q".into(),
        d: 4,
        nlist: 4,
        metric: METRIC_L2,
    };
    create(&mut raw, "ivf", ivf).unwrap();
    let xb = Rng::new(24).vectors(200, 4);
    raw.ok(
        Op::Train {
            index: "ivf".into(),
            n: 200,
        },
        vec![to_frame(&xb)],
    );
    raw.ok(Op::Reset { index: "q".into() }, vec![]);
    let range = Op::RangeSearch {
        index: "ivf".into(),
        n: 25,
        radius: 1.0,
        params: None,
    };
    expect_kind(
        raw.call(range, vec![to_frame(&queries)]).0,
        ErrorKind::InvalidArgument,
        &["its quantizer is empty"],
    );
    still_serves(&server, None);
}

#[test]
fn id_map2_bytes_declaring_more_vectors_than_ids_are_refused() {
    let server = Server::start(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    let index = {
        let _serial = exclusive();
        local_mode();
        let index = Index::factory(4, "IDMap2,Flat", METRIC_L2);
        index.add_with_ids(
            &[0.0, 0.0, 0.0, 1.0, 5.0, 5.0, 5.0, 5.0, 9.0, 9.0, 9.0, 9.0],
            &[70, 7, 700],
        );
        index
    };
    let bytes = index.to_bytes();
    assert_eq!(&bytes[..4], b"IxM2");
    let load = |raw: &mut Raw, name: &str, bytes: Vec<u8>| {
        raw.call(
            Op::Load {
                index: name.into(),
                binary: false,
            },
            vec![bytes],
        )
        .0
    };
    // FAISS's reader rebuilds the reverse map from the header's count (after the 4-byte
    // fourcc and d) and walks that many ids: far past the three the bytes hold.
    for declared in [4i64, 1 << 40, i64::MAX, -1] {
        let mut patched = bytes.clone();
        patched[8..16].copy_from_slice(&declared.to_le_bytes());
        expect_kind(
            load(&mut raw, &format!("declared-{declared}"), patched),
            ErrorKind::InvalidArgument,
            &[&format!("declare {declared} vectors and hold 3 ids for 3")],
        );
    }
    // Ids that do not match the vectors are refused too.
    let mut short = bytes.clone();
    let ids_at = short.len() - 3 * 8 - 8;
    short[ids_at..ids_at + 8].copy_from_slice(&2u64.to_le_bytes());
    short.truncate(short.len() - 8);
    expect_kind(
        load(&mut raw, "short", short),
        ErrorKind::InvalidArgument,
        &["declare 3 vectors and hold 2 ids for 3"],
    );
    // A faithful copy answers by id, which needs the reverse map the server rebuilt.
    load(&mut raw, "faithful", bytes).unwrap();
    let reconstructed = raw.ok(
        Op::Reconstruct {
            index: "faithful".into(),
            first: 700,
            n: 1,
        },
        vec![],
    );
    assert_eq!(reconstructed.1[0], to_frame(&[9.0f32, 9.0, 9.0, 9.0]));
    still_serves(&server, None);
}
