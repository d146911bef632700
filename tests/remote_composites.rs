//! FAISS's composites run in this process over remote indexes (src/remote/face.rs): shards
//! and replicas spread over several servers, and k-means with a remote index, answer as one
//! local index holding the same data would, to the bit.

mod common;
mod remote;

use common::*;
use faissx::ffi::clustering::*;
use faissx::ffi::index::*;
use faissx::ffi::index_io::*;
use faissx::ffi::index_ivf::*;
use faissx::ffi::index_replicas::*;
use faissx::ffi::index_shards::*;
use faissx::ffi::types::*;
use remote::*;
use std::os::raw::c_int;
use std::ptr;

const D: usize = 16;
const NB: usize = 3000;
// Under 20 queries, the flat scan takes the per-query path both here and on the server (see
// ALONE_QUERIES in src/server/operations.rs): the same bits whether or not the server serves
// the search together with others.
const NQ: usize = 12;
const K: usize = 10;

fn data(seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(seed);
    (rng.vectors(NB, D), rng.vectors(NQ, D))
}

fn servers(n: usize) -> Vec<Server> {
    (0..n).map(|_| Server::start(&[])).collect()
}

/// One index per server, made by `make` with remote mode pointed at that server.
fn on_each(servers: &[Server], make: impl Fn() -> Index) -> Vec<Index> {
    let made = servers
        .iter()
        .map(|server| {
            configure(Some(&server.endpoint), None, None);
            let index = make();
            assert!(is_remote(index.ptr()));
            index
        })
        .collect();
    local_mode();
    made
}

fn shards(threaded: bool, successive_ids: bool) -> Index {
    let mut p = ptr::null_mut();
    let rc = unsafe {
        faissx_IndexShards_new_with_options(
            &mut p,
            D as idx_t,
            threaded.into(),
            successive_ids.into(),
        )
    };
    Index::from_new(rc, p)
}

fn replicas() -> Index {
    let mut p = ptr::null_mut();
    Index::from_new(unsafe { faissx_IndexReplicas_new(&mut p, D as idx_t) }, p)
}

fn add_shards(composite: &Index, parts: &[Index]) {
    for part in parts {
        check(unsafe { faissx_IndexShards_add_shard(composite.ptr(), part.ptr()) });
    }
}

#[track_caller]
fn same_bits(got: &(Vec<f32>, Vec<idx_t>), want: &(Vec<f32>, Vec<idx_t>)) {
    assert_eq!(got.1, want.1, "labels");
    let bits = |d: &[f32]| d.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&got.0), bits(&want.0), "distances");
}

fn set_nprobe(index: &Index, nprobe: usize) {
    unsafe { faissx_IndexIVF_set_nprobe(index.ptr(), nprobe) };
}

#[test]
fn shards_of_remote_flat_indexes_on_three_servers_answer_as_one_local_index() {
    let _serial = exclusive();
    let servers = servers(3);
    let (xb, xq) = data(1);
    let local = Index::factory(D, "Flat", METRIC_L2);
    local.add(&xb);
    let want = local.search(&xq, K);

    // Successive ids, the data added through the shards (FAISS splits it in order).
    for threaded in [false, true] {
        let parts = on_each(&servers, || flat_l2(D));
        let composite = shards(threaded, true);
        add_shards(&composite, &parts);
        composite.add(&xb);
        assert_eq!(composite.ntotal(), NB);
        for part in &parts {
            assert_eq!(part.ntotal(), NB / 3);
        }
        same_bits(&composite.search(&xq, K), &want);
    }

    // Successive ids, each remote index filled through its own handle, before and after it
    // joined: the shard set takes their sizes when it is searched.
    let parts = on_each(&servers, || flat_l2(D));
    parts[0].add(&xb[..D * NB / 3]);
    let composite = shards(false, true);
    add_shards(&composite, &parts);
    parts[1].add(&xb[D * NB / 3..D * 2 * NB / 3]);
    parts[2].add(&xb[D * 2 * NB / 3..]);
    same_bits(&composite.search(&xq, K), &want);

    // Local and remote shards together.
    let mut parts = on_each(&servers[..2], || flat_l2(D));
    parts.insert(1, flat_l2(D));
    assert!(!is_remote(parts[1].ptr()));
    let composite = shards(true, true);
    add_shards(&composite, &parts);
    composite.add(&xb);
    same_bits(&composite.search(&xq, K), &want);

    // Explicit ids, into remote IDMaps.
    let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 100_000 + 7 * i).collect();
    let local = Index::factory(D, "IDMap,Flat", METRIC_L2);
    local.add_with_ids(&xb, &ids);
    let want = local.search(&xq, K);
    let parts = on_each(&servers, || Index::factory(D, "IDMap,Flat", METRIC_L2));
    let composite = shards(true, false);
    add_shards(&composite, &parts);
    composite.add_with_ids(&xb, &ids);
    same_bits(&composite.search(&xq, K), &want);
    for part in &parts {
        assert_eq!(part.ntotal(), NB / 3);
    }
}

#[test]
fn shards_of_remote_ivf_indexes_answer_as_one_local_ivf() {
    let _serial = exclusive();
    let servers = servers(3);
    let (xb, xq) = data(2);
    // One trained (empty) IVF, copied to each server and kept here: every copy has the same
    // quantizer, so each query probes the same lists in every shard and the merged top k is
    // the top k of the whole.
    let trained = Index::factory(D, "IVF32,Flat", METRIC_L2);
    trained.train(&xb);
    let bytes = trained.to_bytes();
    let local = Index::from_bytes(&bytes);
    set_nprobe(&local, 6);
    local.add(&xb);
    let want = local.search(&xq, K);

    let parts = on_each(&servers, || Index::from_bytes(&bytes));
    for part in &parts {
        set_nprobe(part, 6);
    }
    let composite = shards(true, true);
    add_shards(&composite, &parts);
    composite.add(&xb);
    same_bits(&composite.search(&xq, K), &want);

    // With explicit ids, which IVF stores itself.
    let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 5 * i + 3).collect();
    let local = Index::from_bytes(&bytes);
    set_nprobe(&local, 6);
    local.add_with_ids(&xb, &ids);
    let parts = on_each(&servers, || Index::from_bytes(&bytes));
    for part in &parts {
        set_nprobe(part, 6);
    }
    let composite = shards(false, false);
    add_shards(&composite, &parts);
    composite.add_with_ids(&xb, &ids);
    same_bits(&composite.search(&xq, K), &local.search(&xq, K));
}

#[test]
fn replicas_on_two_servers_answer_as_one_local_index() {
    let _serial = exclusive();
    let servers = servers(2);
    let (xb, xq) = data(3);
    let local = Index::factory(D, "Flat", METRIC_L2);
    local.add(&xb);
    let parts = on_each(&servers, || flat_l2(D));
    let composite = replicas();
    for part in &parts {
        check(unsafe { faissx_IndexReplicas_add_replica(composite.ptr(), part.ptr()) });
    }
    // Every replica gets every vector; the queries are split between them.
    composite.add(&xb);
    for part in &parts {
        assert_eq!(part.ntotal(), NB);
    }
    same_bits(&composite.search(&xq, K), &local.search(&xq, K));
    unsafe {
        assert_eq!(faissx_IndexReplicas_at(composite.ptr(), 1), parts[1].ptr());
        assert!(faissx_IndexReplicas_at(composite.ptr(), 2).is_null());
        assert_eq!(faissx_IndexReplicas_own_fields(composite.ptr()), 0);
        check(faissx_IndexReplicas_remove_replica(
            composite.ptr(),
            parts[1].ptr(),
        ));
        assert_eq!(faissx_IndexReplicas_at(composite.ptr(), 0), parts[0].ptr());
        assert!(faissx_IndexReplicas_at(composite.ptr(), 1).is_null());
    }
    // The remaining replica alone still answers the same.
    same_bits(&composite.search(&xq, K), &local.search(&xq, K));
    // Adding a replica twice is refused, as FAISS refuses it.
    let rc = unsafe { faissx_IndexReplicas_add_replica(composite.ptr(), parts[0].ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["already in the collection"],
    );
}

#[test]
fn shard_functions_work_in_remote_mode() {
    let _serial = exclusive();
    let server = Server::start(&[]);
    configure(Some(&server.endpoint), None, None);
    let composite = shards(false, true);
    assert!(
        !is_remote(composite.ptr()),
        "the shard set lives in this process"
    );
    let parts = [flat_l2(D), flat_l2(D)];
    add_shards(&composite, &parts);
    unsafe {
        assert_eq!(faissx_IndexShards_at(composite.ptr(), 0), parts[0].ptr());
        assert_eq!(faissx_IndexShards_at(composite.ptr(), 1), parts[1].ptr());
        assert_eq!(faissx_IndexShards_successive_ids(composite.ptr()), 1);
        faissx_IndexShards_set_successive_ids(composite.ptr(), 0);
        assert_eq!(faissx_IndexShards_successive_ids(composite.ptr()), 0);
        faissx_IndexShards_set_successive_ids(composite.ptr(), 1);
        assert_eq!(faissx_IndexShards_own_fields(composite.ptr()), 0);
        check(faissx_IndexShards_remove_shard(
            composite.ptr(),
            parts[0].ptr(),
        ));
        assert_eq!(faissx_IndexShards_at(composite.ptr(), 0), parts[1].ptr());
        assert!(faissx_IndexShards_at(composite.ptr(), 1).is_null());
        // Removing what is not there is FAISS's error.
        let rc = faissx_IndexShards_remove_shard(composite.ptr(), parts[0].ptr());
        expect_err(rc, FAISSX_ERR_FAISS, &["not found"]);
    }
    drop(composite);
    // The removed and the remaining shard are still the caller's, and usable.
    for part in &parts {
        part.add(&[0.5; D]);
        assert_eq!(part.ntotal(), 1);
    }
    drop(parts);
    local_mode();
}

#[test]
fn a_freed_remote_handle_lives_on_while_the_shards_use_it() {
    let _serial = exclusive();
    let servers = servers(2);
    let (xb, xq) = data(4);
    let local = Index::factory(D, "Flat", METRIC_L2);
    local.add(&xb);
    let want = local.search(&xq, K);

    let composite = shards(true, true);
    let parts = on_each(&servers, || flat_l2(D));
    add_shards(&composite, &parts);
    composite.add(&xb);
    let names: Vec<String> = parts.iter().map(remote_name).collect();
    // The caller frees its handles: the shard set keeps them, and the indexes on the servers.
    drop(parts);
    same_bits(&composite.search(&xq, K), &want);
    // `at` now lends the face: a local handle that forwards to the same remote index.
    let face = unsafe { faissx_IndexShards_at(composite.ptr(), 0) };
    assert!(!face.is_null() && !is_remote(face));
    assert_eq!(unsafe { faissx_Index_ntotal(face) }, (NB / 2) as idx_t);
    same_bits(&Index::borrowed(face).search(&xq, K), &{
        let first = Index::factory(D, "Flat", METRIC_L2);
        first.add(&xb[..D * NB / 2]);
        first.search(&xq, K)
    });
    // Freeing the shard set drops the last references: the indexes go from the servers.
    drop(composite);
    for (server, name) in servers.iter().zip(&names) {
        configure(Some(&server.endpoint), None, None);
        assert_eq!(open(name).err(), Some(FAISSX_ERR_NOT_FOUND), "{name}");
    }

    // own_fields = 1: the shard set frees the caller's handles with it.
    let composite = shards(false, true);
    let parts = on_each(&servers, || flat_l2(D));
    add_shards(&composite, &parts);
    unsafe { faissx_IndexShards_set_own_fields(composite.ptr(), 1) };
    let names: Vec<String> = parts.iter().map(remote_name).collect();
    let handles: Vec<*mut FaissIndex> = parts.into_iter().map(Index::into_raw).collect();
    // Removing an owned shard frees it, as FAISS does.
    check(unsafe { faissx_IndexShards_remove_shard(composite.ptr(), handles[0]) });
    configure(Some(&servers[0].endpoint), None, None);
    assert_eq!(open(&names[0]).err(), Some(FAISSX_ERR_NOT_FOUND));
    configure(Some(&servers[1].endpoint), None, None);
    assert!(open(&names[1]).is_ok(), "still in the shard set");
    local_mode();
    drop(composite);
    for (server, name) in servers.iter().zip(&names) {
        configure(Some(&server.endpoint), None, None);
        assert_eq!(open(name).err(), Some(FAISSX_ERR_NOT_FOUND), "{name}");
    }
    local_mode();
}

#[test]
fn a_shard_set_with_a_remote_shard_cannot_be_written() {
    let _serial = exclusive();
    let server = Server::start(&[]);
    let parts = on_each(std::slice::from_ref(&server), || flat_l2(D));
    let composite = shards(false, true);
    add_shards(&composite, &parts);
    let (mut size, mut buf) = (0usize, ptr::null_mut());
    let rc = unsafe { faissx_write_index_buf(composite.ptr(), &mut size, &mut buf) };
    expect_err(
        rc,
        FAISSX_ERR_UNSUPPORTED,
        &["faissx_write_index_buf", "remote index", "file format"],
    );
    let file = TempFile::new("composite");
    let rc = unsafe { faissx_write_index_fname(composite.ptr(), file.c_path().as_ptr()) };
    expect_err(rc, FAISSX_ERR_UNSUPPORTED, &["faissx_write_index_fname"]);
    // A composite built on the server over it would need it uploaded in FAISS's format.
    configure(Some(&server.endpoint), None, None);
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx::ffi::meta_indexes::faissx_IndexIDMap_new(&mut p, composite.ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_UNSUPPORTED,
        &["faissx_IndexIDMap_new", "remote index"],
    );
    local_mode();
}

#[test]
fn a_remote_failure_inside_a_shard_search_is_an_error_code() {
    let _serial = exclusive();
    let mut servers = servers(3);
    let (xb, xq) = data(5);
    let parts = on_each(&servers, || flat_l2(D));
    let composite = shards(true, true);
    add_shards(&composite, &parts);
    composite.add(&xb);
    set_option("timeout_ms", "300");
    set_option("connect_timeout_ms", "300");
    check(faissx::ffi::faissx::faissx_configure_recovery(0, 0.0, 1.0));
    servers[2].kill9();
    // The search runs on the shard set's worker threads; the failure comes back as the
    // remote call's own code, with its message.
    let (mut distances, mut labels) = (vec![0f32; NQ * K], vec![0 as idx_t; NQ * K]);
    let rc = unsafe {
        faissx_Index_search(
            composite.ptr(),
            NQ as idx_t,
            xq.as_ptr(),
            K as idx_t,
            distances.as_mut_ptr(),
            labels.as_mut_ptr(),
        )
    };
    expect_err(
        rc,
        FAISSX_ERR_TRANSPORT,
        &[
            "faissx_Index_search",
            &servers[2].endpoint,
            "[faissx error -10]",
        ],
    );
    // The shards on the servers still up still answer.
    let alone = Index::borrowed(parts[0].ptr());
    assert_eq!(alone.search(&xq, K).1.len(), NQ * K);
    drop(composite);
    drop(parts);
    set_option("timeout_ms", "30000");
    set_option("connect_timeout_ms", "5000");
    check(faissx::ffi::faissx::faissx_configure_recovery(3, 0.1, 2.0));
}

/// k-means over `n` vectors with `index`; the centroids.
fn kmeans(x: &[f32], k: usize, index: &Index) -> Vec<f32> {
    let mut c = ptr::null_mut();
    check(unsafe { faissx_Clustering_new(&mut c, D as i32, k as i32) });
    check(unsafe { faissx_Clustering_train(c, (x.len() / D) as idx_t, x.as_ptr(), index.ptr()) });
    let (mut centroids, mut size) = (ptr::null_mut(), 0usize);
    unsafe { faissx_Clustering_centroids(c, &mut centroids, &mut size) };
    let out = unsafe { std::slice::from_raw_parts(centroids, size) }.to_vec();
    unsafe { faissx_Clustering_free(c) };
    out
}

#[test]
fn kmeans_with_any_remote_index_finds_the_local_centroids() {
    let _serial = exclusive();
    let server = Server::start(&[]);
    let mut rng = Rng::new(6);
    let x = clustered(&mut rng, 2000, D, 24);
    for description in ["Flat", "IVF4,Flat", "HNSW16"] {
        let local = Index::factory(D, description, METRIC_L2);
        let want = kmeans(&x, 16, &local);
        configure(Some(&server.endpoint), None, None);
        let remote = Index::factory(D, description, METRIC_L2);
        assert!(is_remote(remote.ptr()));
        let got = kmeans(&x, 16, &remote);
        local_mode();
        let bits = |c: &[f32]| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want), "{description}");
        // As FAISS leaves the index it is given: holding the centroids.
        assert_eq!(remote.ntotal(), local.ntotal(), "{description}");
        assert_eq!(remote.ntotal(), 16, "{description}");
    }
}

#[test]
fn selectors_reach_remote_shards_and_faiss_own_selectors_are_refused() {
    let _serial = exclusive();
    let servers = servers(2);
    let (xb, xq) = data(7);
    let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 3 * i + 1).collect();
    let chosen: Vec<idx_t> = ids.iter().copied().step_by(5).collect();
    let selector = Selector::batch(&chosen);
    let mut p = ptr::null_mut();
    check(unsafe { faissx_SearchParameters_new(&mut p, selector.0) });
    let params = Params(p);

    let local = Index::factory(D, "IDMap,Flat", METRIC_L2);
    local.add_with_ids(&xb, &ids);
    let parts = on_each(&servers, || Index::factory(D, "IDMap,Flat", METRIC_L2));
    let composite = shards(true, false);
    add_shards(&composite, &parts);
    composite.add_with_ids(&xb, &ids);
    let want = local.search_with_params(&xq, K, params.0);
    assert!(want.1.iter().all(|id| chosen.contains(id)));
    same_bits(&composite.search_with_params(&xq, K, params.0), &want);

    // An IDMap here over the shard set hands the shards a selector of its own, which tests
    // ids in this process: refused, not searched without it.
    let inner = shards(false, true);
    let flats = on_each(&servers, || flat_l2(D));
    add_shards(&inner, &flats);
    let mut p = ptr::null_mut();
    check(unsafe { faissx::ffi::meta_indexes::faissx_IndexIDMap_new(&mut p, inner.ptr()) });
    let id_map = Index::from_new(0, p);
    id_map.add_with_ids(&xb, &ids);
    // Without parameters, it searches as a local IDMap would.
    same_bits(&id_map.search(&xq, K), &local.search(&xq, K));
    let (mut distances, mut labels) = (vec![0f32; NQ * K], vec![0 as idx_t; NQ * K]);
    let rc = unsafe {
        faissx_Index_search_with_params(
            id_map.ptr(),
            NQ as idx_t,
            xq.as_ptr(),
            K as idx_t,
            params.0,
            distances.as_mut_ptr(),
            labels.as_mut_ptr(),
        )
    };
    expect_err(
        rc,
        FAISSX_ERR_UNSUPPORTED,
        &["selector was built inside FAISS"],
    );
    drop(id_map);
    drop(inner);
}

#[test]
fn shard_sets_over_remote_indexes_serve_several_threads_at_once() {
    let _serial = exclusive();
    let servers = servers(2);
    let (xb, xq) = data(8);
    let local = Index::factory(D, "Flat", METRIC_L2);
    local.add(&xb);
    let want = local.search(&xq, K);
    let parts = on_each(&servers, || flat_l2(D));
    let composite = shards(true, true);
    add_shards(&composite, &parts);
    composite.add(&xb);
    let shared = Shared(composite.ptr());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let view = Index::borrowed(shared.get());
                for _ in 0..20 {
                    same_bits(&view.search(&xq, K), &want);
                }
            });
        }
    });
}

// ---- FAISS's composites built in this process over one remote index ----

use faissx::ffi::index_flat::*;
use faissx::ffi::index_ivf_flat::*;
use faissx::ffi::index_pre_transform::*;
use faissx::ffi::index_scalar_quantizer::*;
use faissx::ffi::meta_indexes::*;
use faissx::ffi::vector_transform::*;

/// One remote index of `server`, made by `make` (remote mode is off again after).
fn remote_on(server: &Server, make: impl Fn() -> Index) -> Index {
    on_each(std::slice::from_ref(server), make).remove(0)
}

/// Runs `build(0)` with remote mode off, then `build(1)` with remote mode on `other` (a
/// server that does not hold the sub-index): both times the composite is built in this process.
fn built_here(other: &Server, build: impl Fn(usize) -> Index) -> Vec<Index> {
    let mut made = vec![];
    for (i, mode) in [None, Some(other.endpoint.as_str())]
        .into_iter()
        .enumerate()
    {
        configure(mode, None, None);
        let composite = build(i);
        local_mode();
        assert!(!is_remote(composite.ptr()), "built in this process");
        made.push(composite);
    }
    made
}

fn id_map(sub: *mut FaissIndex, two_way: bool) -> Index {
    let mut p = ptr::null_mut();
    let rc = unsafe {
        if two_way {
            faissx_IndexIDMap2_new(&mut p, sub)
        } else {
            faissx_IndexIDMap_new(&mut p, sub)
        }
    };
    Index::from_new(rc, p)
}

fn remove(index: &Index, selector: &Selector) -> usize {
    let mut removed = 0usize;
    check(unsafe { faissx_Index_remove_ids(index.ptr(), selector.0, &mut removed) });
    removed
}

#[test]
fn id_maps_built_here_over_a_remote_index_answer_as_local_ones() {
    let _serial = exclusive();
    let servers = servers(2);
    let (xb, xq) = data(9);
    let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 1_000 + 11 * i).collect();
    let gone = Selector::batch(&ids.iter().copied().step_by(7).collect::<Vec<_>>());
    for two_way in [false, true] {
        let local = Index::factory(
            D,
            ["IDMap,Flat", "IDMap2,Flat"][two_way as usize],
            METRIC_L2,
        );
        local.add_with_ids(&xb, &ids);
        let want = local.search(&xq, K);
        let removed = remove(&local, &gone);
        let want_after = local.search(&xq, K);
        let subs: Vec<Index> = (0..2)
            .map(|_| remote_on(&servers[0], || flat_l2(D)))
            .collect();
        let composites = built_here(&servers[1], |i| id_map(subs[i].ptr(), two_way));
        for (sub, composite) in subs.iter().zip(&composites) {
            // As FAISS: the very index it was built over.
            let lent = unsafe { faissx_IndexIDMap_sub_index(composite.ptr()) };
            assert_eq!(lent, sub.ptr());
            composite.add_with_ids(&xb, &ids);
            assert_eq!(
                sub.ntotal(),
                NB,
                "the caller's handle sees the composite's writes"
            );
            same_bits(&composite.search(&xq, K), &want);
            // FAISS's IDMap translates the caller's selector for its index: the positions it
            // selects go to the server as one batch.
            assert_eq!(remove(composite, &gone), removed);
            assert_eq!(composite.ntotal(), NB - removed);
            assert_eq!(sub.ntotal(), NB - removed);
            same_bits(&composite.search(&xq, K), &want_after);
            if two_way {
                assert_eq!(composite.reconstruct(ids[1]), local.reconstruct(ids[1]));
            }
        }
    }
}

fn ivf_flat(quantizer: *mut FaissIndex, nlist: usize) -> Index {
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx_IndexIVFFlat_new_with(&mut p, quantizer, D, nlist) };
    Index::from_new(rc, p)
}

fn ivf_sq(quantizer: *mut FaissIndex, nlist: usize, by_residual: bool) -> (c_int, Option<Index>) {
    let mut p = ptr::null_mut();
    let rc = unsafe {
        faissx_IndexIVFScalarQuantizer_new_with_metric(
            &mut p,
            quantizer,
            D,
            nlist,
            QT_8bit,
            METRIC_L2,
            by_residual.into(),
        )
    };
    (rc, (rc == 0).then(|| Index::from_new(rc, p)))
}

#[test]
fn ivf_indexes_built_here_over_a_remote_quantizer_answer_as_local_ones() {
    let _serial = exclusive();
    let servers = servers(2);
    let (xb, xq) = data(10);
    const NLIST: usize = 24;
    for sq in [false, true] {
        let make = |quantizer: *mut FaissIndex| {
            if sq {
                let (rc, index) = ivf_sq(quantizer, NLIST, false);
                check(rc);
                index.unwrap()
            } else {
                ivf_flat(quantizer, NLIST)
            }
        };
        let local_quantizer = flat_l2(D);
        let local = make(local_quantizer.ptr());
        local.train(&xb);
        local.add(&xb);
        set_nprobe(&local, 5);
        let want = local.search(&xq, K);

        let quantizers: Vec<Index> = (0..2)
            .map(|_| remote_on(&servers[0], || flat_l2(D)))
            .collect();
        let composites = built_here(&servers[1], |i| make(quantizers[i].ptr()));
        for (quantizer, composite) in quantizers.iter().zip(&composites) {
            assert_eq!(
                unsafe { faissx_IndexIVF_quantizer(composite.ptr()) },
                quantizer.ptr()
            );
            // FAISS's k-means trains the quantizer through its face, on the server.
            composite.train(&xb);
            assert_eq!(quantizer.ntotal(), NLIST);
            for c in [0, NLIST as idx_t - 1] {
                assert_eq!(quantizer.reconstruct(c), local_quantizer.reconstruct(c));
            }
            composite.add(&xb);
            set_nprobe(composite, 5);
            same_bits(&composite.search(&xq, K), &want);
        }
    }

    // Residuals are computed vector by vector from the quantizer, inside FAISS's parallel loops.
    let quantizer = remote_on(&servers[0], || flat_l2(D));
    let (rc, _) = ivf_sq(quantizer.ptr(), NLIST, true);
    expect_err(
        rc,
        FAISSX_ERR_UNSUPPORTED,
        &["IndexIVFScalarQuantizer", "residuals"],
    );
    let mut p = ptr::null_mut();
    let rc = unsafe {
        faissx::ffi::index_pq::faissx_IndexIVFPQ_new_with(&mut p, quantizer.ptr(), D, NLIST, 4, 8)
    };
    expect_err(rc, FAISSX_ERR_UNSUPPORTED, &["IndexIVFPQ", "residuals"]);
    assert_eq!(quantizer.ntotal(), 0, "nothing happened to it");
}

fn transform(pca: bool, d_out: usize) -> *mut FaissVectorTransform {
    let mut p = ptr::null_mut();
    check(unsafe {
        if pca {
            faissx_PCAMatrix_new_with(&mut p, D as c_int, d_out as c_int, 0.0, 0)
        } else {
            faissx_RandomRotationMatrix_new_with(&mut p, D as c_int, d_out as c_int)
        }
    });
    p.cast()
}

fn pre_transform(ltrans: *mut FaissVectorTransform, sub: *mut FaissIndex) -> Index {
    let mut p = ptr::null_mut();
    let rc = unsafe {
        if ltrans.is_null() {
            faissx_IndexPreTransform_new_with(&mut p, sub)
        } else {
            faissx_IndexPreTransform_new_with_transform(&mut p, ltrans, sub)
        }
    };
    Index::from_new(rc, p)
}

#[test]
fn pre_transforms_and_refinements_built_here_over_a_remote_index_answer_as_local_ones() {
    let _serial = exclusive();
    let servers = servers(2);
    let (xb, xq) = data(11);
    const D_OUT: usize = 8;
    for pca in [true, false] {
        // Each index owns its transform (own_fields = 1 would also free the sub-index).
        let mut transforms = vec![];
        let mut fresh = || {
            let t = transform(pca, D_OUT);
            transforms.push(t);
            t
        };
        let local_sub = flat_l2(D_OUT);
        let local = pre_transform(fresh(), local_sub.ptr());
        local.train(&xb);
        local.add(&xb);
        let want = local.search(&xq, K);
        let subs: Vec<Index> = (0..2)
            .map(|_| remote_on(&servers[0], || flat_l2(D_OUT)))
            .collect();
        let made: Vec<*mut FaissVectorTransform> = (0..2).map(|_| fresh()).collect();
        let composites = built_here(&servers[1], |i| {
            if i == 0 {
                pre_transform(made[i], subs[i].ptr())
            } else {
                // Without a transform, then one prepended: FAISS's own order.
                let composite = pre_transform(ptr::null_mut(), subs[i].ptr());
                check(unsafe {
                    faissx_IndexPreTransform_prepend_transform(composite.ptr(), made[i])
                });
                composite
            }
        });
        for (sub, composite) in subs.iter().zip(&composites) {
            assert_eq!(
                unsafe { faissx_IndexPreTransform_index(composite.ptr()) },
                sub.ptr()
            );
            composite.train(&xb);
            composite.add(&xb);
            assert_eq!(sub.ntotal(), NB);
            same_bits(&composite.search(&xq, K), &want);
            assert_eq!(composite.reconstruct(5), local.reconstruct(5));
        }
        drop(composites);
        drop(local);
        for t in transforms {
            unsafe { faissx_VectorTransform_free(t) };
        }
    }

    // IndexRefineFlat: the remote index proposes, the flat index in this process re-ranks.
    let local = Index::factory(D, "SQ4", METRIC_L2);
    let refine = |base: *mut FaissIndex| {
        let mut p = ptr::null_mut();
        let index = Index::from_new(unsafe { faissx_IndexRefineFlat_new(&mut p, base) }, p);
        unsafe { faissx_IndexRefineFlat_set_k_factor(index.ptr(), 3.0) };
        index
    };
    let local_refine = refine(local.ptr());
    local_refine.train(&xb);
    local_refine.add(&xb);
    let want = local_refine.search(&xq, K);
    let bases: Vec<Index> = (0..2)
        .map(|_| remote_on(&servers[0], || Index::factory(D, "SQ4", METRIC_L2)))
        .collect();
    let composites = built_here(&servers[1], |i| refine(bases[i].ptr()));
    for (base, composite) in bases.iter().zip(&composites) {
        composite.train(&xb);
        composite.add(&xb);
        assert_eq!(base.ntotal(), NB);
        same_bits(&composite.search(&xq, K), &want);
        assert_eq!(composite.reconstruct(7), xb[7 * D..8 * D].to_vec());
    }
}

#[test]
fn composites_built_here_keep_their_remote_index_alive_as_long_as_they_need_it() {
    let _serial = exclusive();
    let server = Server::start(&[]);
    let (xb, xq) = data(12);
    let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 7 * i).collect();
    let local = Index::factory(D, "IDMap,Flat", METRIC_L2);
    local.add_with_ids(&xb, &ids);
    let want = local.search(&xq, K);
    let name_of = |index: &Index| {
        configure(Some(&server.endpoint), None, None);
        let name = remote_name(index);
        local_mode();
        name
    };
    let gone = |name: &str| {
        configure(Some(&server.endpoint), None, None);
        let found = open(name).err();
        local_mode();
        found == Some(FAISSX_ERR_NOT_FOUND)
    };

    // The caller frees the sub-index first: the composite keeps it, and lends its face.
    let sub = remote_on(&server, || flat_l2(D));
    let name = name_of(&sub);
    let composite = id_map(sub.ptr(), false);
    composite.add_with_ids(&xb, &ids);
    drop(sub);
    assert!(!gone(&name));
    same_bits(&composite.search(&xq, K), &want);
    let face = unsafe { faissx_IndexIDMap_sub_index(composite.ptr()) };
    assert!(!face.is_null() && !is_remote(face));
    assert_eq!(unsafe { faissx_Index_ntotal(face) }, NB as idx_t);
    drop(composite);
    assert!(gone(&name), "the last reference deleted it");

    // The composite goes first: the sub-index stays the caller's.
    let sub = remote_on(&server, || flat_l2(D));
    let composite = id_map(sub.ptr(), true);
    composite.add_with_ids(&xb, &ids);
    drop(composite);
    assert_eq!(sub.ntotal(), NB);
    sub.add(&xb[..D]);
    assert_eq!(sub.ntotal(), NB + 1);
    drop(sub);

    // own_fields = 1: the composite frees the caller's handle with itself, as FAISS does.
    let quantizer = remote_on(&server, || flat_l2(D));
    let name = name_of(&quantizer);
    let composite = ivf_flat(quantizer.into_raw(), 4);
    unsafe { faissx_IndexIVF_set_own_fields(composite.ptr(), 1) };
    composite.train(&xb);
    drop(composite);
    assert!(gone(&name));
}

#[test]
fn composites_built_here_report_their_remote_index_failures_and_refusals() {
    let _serial = exclusive();
    let server = Server::start(&[]);
    let (xb, xq) = data(13);
    let ids: Vec<idx_t> = (0..NB as idx_t).collect();
    let sub = remote_on(&server, || flat_l2(D));
    let composite = id_map(sub.ptr(), false);
    composite.add_with_ids(&xb, &ids);

    // Neither written nor copied: FAISS knows nothing of remote indexes.
    let (mut size, mut buf) = (0usize, ptr::null_mut());
    let rc = unsafe { faissx_write_index_buf(composite.ptr(), &mut size, &mut buf) };
    expect_err(rc, FAISSX_ERR_UNSUPPORTED, &["remote index", "file format"]);
    let mut copy = ptr::null_mut();
    let rc = unsafe { faissx::ffi::clone_index::faissx_clone_index(composite.ptr(), &mut copy) };
    expect_err(rc, FAISSX_ERR_UNSUPPORTED, &["remote index", "cannot copy"]);

    // A selector the IDMap translates for a search would be tested id by id.
    let selector = Selector::batch(&[1, 2, 3]);
    let mut p = ptr::null_mut();
    check(unsafe { faissx_SearchParameters_new(&mut p, selector.0) });
    let params = Params(p);
    let (mut distances, mut labels) = (vec![0f32; NQ * K], vec![0 as idx_t; NQ * K]);
    let search =
        |params: *mut FaissSearchParameters, distances: &mut [f32], labels: &mut [idx_t]| unsafe {
            faissx_Index_search_with_params(
                composite.ptr(),
                NQ as idx_t,
                xq.as_ptr(),
                K as idx_t,
                params,
                distances.as_mut_ptr(),
                labels.as_mut_ptr(),
            )
        };
    expect_err(
        search(params.0, &mut distances, &mut labels),
        FAISSX_ERR_UNSUPPORTED,
        &["selector was built inside FAISS"],
    );

    // The index deleted under it: the server's own code and message.
    configure(Some(&server.endpoint), None, None);
    let name = cstr(&remote_name(&sub));
    check(unsafe { faissx::ffi::faissx::faissx_remote_drop(name.as_ptr()) });
    local_mode();
    expect_err(
        search(ptr::null_mut(), &mut distances, &mut labels),
        FAISSX_ERR_NOT_FOUND,
        &["faissx_Index_search", "[faissx error -12]"],
    );
    drop(composite);
    drop(sub);

    // Binary remote indexes have no face.
    configure(Some(&server.endpoint), None, None);
    let quantizer = BinaryIndex::factory(64, "BFlat");
    local_mode();
    let mut p = ptr::null_mut();
    let rc = unsafe {
        faissx::ffi::index_binary_ivf::faissx_IndexBinaryIVF_new_with(
            &mut p,
            quantizer.ptr(),
            64,
            4,
        )
    };
    expect_err(rc, FAISSX_ERR_UNSUPPORTED, &["binary", "remote"]);
}
