//! faissx_merge_indices and faissx_split_index, on local indexes and on indexes of a real
//! faissx-server: what they contain afterwards, that the sources are untouched, that splitting
//! then merging gives the index back, and the errors.

mod common;
mod remote;

use common::*;
use faissx::ffi::modification::*;
use faissx::ffi::types::*;
use remote::*;
use std::ptr;

const D: usize = 8;

#[derive(Debug)]
struct Failure {
    code: std::os::raw::c_int,
    message: String,
}

fn failure(code: std::os::raw::c_int) -> Failure {
    Failure {
        code,
        message: last_error(),
    }
}

fn merge(sources: &[&Index]) -> Result<Index, Failure> {
    let handles: Vec<*const FaissIndex> = sources.iter().map(|i| i.ptr() as *const _).collect();
    let mut out = ptr::null_mut();
    let rc = unsafe { faissx_merge_indices(handles.as_ptr(), handles.len(), &mut out) };
    if rc != 0 {
        assert!(out.is_null(), "nothing is left in p_out on failure");
        return Err(failure(rc));
    }
    Ok(Index::from_new(0, out))
}

fn split(index: &Index, parts: usize) -> Result<Vec<Index>, Failure> {
    let mut out = vec![ptr::null_mut(); parts];
    let rc = unsafe { faissx_split_index(index.ptr(), parts, out.as_mut_ptr()) };
    if rc != 0 {
        assert!(
            out.iter().all(|p| p.is_null()),
            "nothing is left in out on failure"
        );
        return Err(failure(rc));
    }
    Ok(out.into_iter().map(|p| Index::from_new(0, p)).collect())
}

fn vectors(index: &Index) -> Vec<f32> {
    (0..index.ntotal() as idx_t)
        .flat_map(|i| index.reconstruct(i))
        .collect()
}

/// The checks, in whichever mode is configured when it runs.
fn merge_and_split(remote: bool) {
    let mut rng = Rng::new(5);
    let xb = rng.vectors(300, D);
    let xq = rng.vectors(10, D);
    let rows = |a: usize, b: usize| &xb[a * D..b * D];

    // Flat: ids are positions, so the merged index is the vectors in order.
    let parts = [(0, 120), (120, 130), (130, 300)].map(|(a, b)| {
        let index = Index::factory(D, "Flat", METRIC_L2);
        index.add(rows(a, b));
        index
    });
    assert_eq!(is_remote(parts[0].ptr()), remote);
    let merged = merge(&[&parts[0], &parts[1], &parts[2]]).expect("flat indexes merge");
    assert_eq!(is_remote(merged.ptr()), remote);
    let whole = Index::factory(D, "Flat", METRIC_L2);
    whole.add(&xb);
    assert_eq!(vectors(&merged), xb);
    assert_eq!(merged.search(&xq, 5), whole.search(&xq, 5));
    assert_eq!(
        parts.map(|p| p.ntotal()),
        [120, 10, 170],
        "sources untouched"
    );

    // Split into 4: contiguous ranges, labels counted from each part's first vector.
    let split4 = split(&whole, 4).expect("a flat index splits");
    assert_eq!(
        split4.iter().map(Index::ntotal).collect::<Vec<_>>(),
        [75; 4]
    );
    for (k, part) in split4.iter().enumerate() {
        assert_eq!(vectors(part), rows(75 * k, 75 * (k + 1)));
    }
    assert_eq!(whole.ntotal(), 300, "source untouched");
    let again = merge(&split4.iter().collect::<Vec<_>>()).expect("parts merge back");
    assert_eq!(vectors(&again), xb);

    // IDMap: own ids are kept by both.
    let ids: Vec<idx_t> = (0..300).map(|i| 10_000 - 13 * i).collect();
    let mapped = Index::factory(D, "IDMap,Flat", METRIC_L2);
    mapped.add_with_ids(&xb, &ids);
    let split3 = split(&mapped, 3).expect("an IDMap splits");
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    let mut seen = Vec::new();
    for (k, part) in split3.iter().enumerate() {
        assert_eq!(part.ntotal(), 100);
        let (_, labels) = part.search(&xq, 3);
        // A part's labels are ids of its own range of the sorted ids.
        let own = &sorted[100 * k..100 * (k + 1)];
        assert!(
            labels.iter().all(|l| own.contains(l)),
            "part {k}: {labels:?}"
        );
        seen.extend_from_slice(own);
    }
    assert_eq!(seen, sorted);
    let rejoined = merge(&split3.iter().collect::<Vec<_>>()).expect("IDMaps merge");
    assert_eq!(rejoined.ntotal(), 300);
    assert_eq!(rejoined.search(&xq, 5), mapped.search(&xq, 5));

    // IVF: the parts share the trained quantizer; ids live in the lists and are kept.
    let ivf = Index::factory(D, "IVF4,Flat", METRIC_L2);
    ivf.train(&xb);
    ivf.add(&xb);
    set_nprobe(&ivf, 4);
    let halves = split(&ivf, 2).expect("an IVF splits");
    assert_eq!(halves.iter().map(Index::ntotal).sum::<usize>(), 300);
    for half in &halves {
        set_nprobe(half, 4);
    }
    let (_, first) = halves[0].search(&xq, 3);
    assert!(first.iter().all(|&l| (0..150).contains(&l)), "{first:?}");
    let (_, second) = halves[1].search(&xq, 3);
    assert!(
        second.iter().all(|&l| (150..300).contains(&l)),
        "{second:?}"
    );
    let rejoined = merge(&[&halves[0], &halves[1]]).expect("IVFs merge");
    set_nprobe(&rejoined, 4);
    let (distances, labels) = rejoined.search(&xq, 5);
    assert_eq!((distances, labels), ivf.search(&xq, 5));

    // More parts than vectors: the extra parts are empty.
    let few = Index::factory(D, "Flat", METRIC_L2);
    few.add(rows(0, 2));
    let many = split(&few, 5).expect("more parts than vectors");
    assert_eq!(
        many.iter().map(Index::ntotal).sum::<usize>(),
        2,
        "every vector in exactly one part"
    );

    // What FAISS cannot do, and bad arguments.
    let hnsw = Index::factory(D, "HNSW8", METRIC_L2);
    hnsw.add(rows(0, 20));
    let failed = split(&hnsw, 2).err().expect("HNSW cannot remove vectors");
    assert!(failed.message.contains("faissx_split_index"), "{failed:?}");
    let failed = merge(&[&hnsw, &hnsw]).err().expect("HNSW cannot merge");
    assert!(failed.message.contains("indexes[1]"), "{failed:?}");
    let other_d = Index::factory(D * 2, "Flat", METRIC_L2);
    let failed = merge(&[&whole, &other_d]).err().expect("dimensions differ");
    assert_eq!(failed.code, FAISSX_ERR_INVALID_ARGUMENT, "{failed:?}");
    assert!(failed.message.contains("dimension"), "{failed:?}");
    let mut out = ptr::null_mut();
    let rc = unsafe { faissx_merge_indices(ptr::null(), 1, &mut out) };
    expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["indexes"]);
    let handles = [whole.ptr() as *const FaissIndex];
    let rc = unsafe { faissx_merge_indices(handles.as_ptr(), 0, &mut out) };
    expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["n must be at least 1"]);
    let with_null = [whole.ptr() as *const FaissIndex, ptr::null()];
    let rc = unsafe { faissx_merge_indices(with_null.as_ptr(), 2, &mut out) };
    expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["indexes[1]"]);
    assert!(out.is_null());
    let rc = unsafe { faissx_split_index(whole.ptr(), 0, [ptr::null_mut()].as_mut_ptr()) };
    expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["parts"]);
}

fn set_nprobe(index: &Index, nprobe: usize) {
    unsafe {
        faissx::ffi::index_ivf::faissx_IndexIVF_set_nprobe(index.ptr().cast(), nprobe);
    }
}

#[test]
fn local_indexes() {
    let _serial = exclusive();
    local_mode();
    merge_and_split(false);
}

#[test]
fn indexes_on_a_server() {
    let server = Server::start(&[]);
    let _serial = exclusive();
    configure(Some(&server.endpoint), None, None);
    merge_and_split(true);
    local_mode();
    // Every copy made on the way, failed calls' included, was deleted again.
    assert_eq!(Raw::connect(&server.endpoint).list(), Vec::<String>::new());
}

#[test]
fn local_and_remote_indexes_do_not_mix() {
    let server = Server::start(&[]);
    let _serial = exclusive();
    local_mode();
    let local = Index::factory(D, "Flat", METRIC_L2);
    local.add(&[0.5; D]);
    configure(Some(&server.endpoint), None, None);
    let remote = Index::factory(D, "Flat", METRIC_L2);
    remote.add(&[0.25; D]);
    local_mode();
    let failed = merge(&[&local, &remote])
        .err()
        .expect("one local, one remote");
    assert!(failed.message.contains("indexes[1]"), "{failed:?}");
    let failed = merge(&[&remote, &local])
        .err()
        .expect("one remote, one local");
    assert!(failed.message.contains("indexes[1]"), "{failed:?}");
    assert_eq!(
        (local.ntotal(), remote.ntotal()),
        (1, 1),
        "sources untouched"
    );
}
