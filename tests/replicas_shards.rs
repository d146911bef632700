//! `IndexShards_c.h` and `IndexReplicas_c.h`: one index spread over several (shards) or
//! copied to several (replicas) answers as a single exhaustive index would.

mod common;

use common::*;
use faissx::ffi::index_flat::faissx_IndexFlatL2_new_with;
use faissx::ffi::index_replicas::*;
use faissx::ffi::index_shards::*;
use faissx::ffi::types::*;
use std::ptr;

const D: usize = 8;

fn flat(d: usize) -> Index {
    let mut p = ptr::null_mut();
    Index::from_new(
        unsafe { faissx_IndexFlatL2_new_with(&mut p, d as idx_t) },
        p,
    )
}

#[test]
fn shards_split_the_data_and_merge_the_answers() {
    let mut rng = Rng::new(111);
    let xb = rng.vectors(300, D);
    let xq = rng.vectors(10, D);
    let mut p = ptr::null_mut();
    let shards = Index::from_new(unsafe { faissx_IndexShards_new(&mut p, D as idx_t) }, p);
    let parts: Vec<Index> = (0..3).map(|_| flat(D)).collect();
    for part in &parts {
        check(unsafe { faissx_IndexShards_add_shard(shards.ptr(), part.ptr()) });
    }
    unsafe {
        assert_eq!(faissx_IndexShards_own_fields(shards.ptr()), 0);
        assert_eq!(faissx_IndexShards_successive_ids(shards.ptr()), 1);
        for (i, part) in parts.iter().enumerate() {
            assert_eq!(faissx_IndexShards_at(shards.ptr(), i as i32), part.ptr());
        }
        assert!(faissx_IndexShards_at(shards.ptr(), 3).is_null());
        expect_message(&["faissx_IndexShards_at", "i = 3"]);
    }
    shards.add(&xb);
    assert_eq!(shards.ntotal(), 300);
    assert_eq!(
        parts.iter().map(Index::ntotal).collect::<Vec<_>>(),
        vec![100, 100, 100]
    );
    // Successive ids: shard i holds vectors [100 i, 100 (i + 1)).
    assert_eq!(parts[1].reconstruct(0), &xb[100 * D..101 * D]);
    let (dis, lab) = shards.search(&xq, 7);
    assert_knn(&xb, &xq, D, 7, METRIC_L2, (&dis, &lab));

    check(unsafe { faissx_IndexShards_remove_shard(shards.ptr(), parts[2].ptr()) });
    assert_eq!(shards.ntotal(), 200);
    let (dis, lab) = shards.search(&xq, 7);
    assert_knn(&xb[..200 * D], &xq, D, 7, METRIC_L2, (&dis, &lab));
}

#[test]
fn shards_without_successive_ids_keep_the_callers_ids() {
    let mut rng = Rng::new(112);
    let xb = rng.vectors(120, D);
    let ids: Vec<idx_t> = (0..120).map(|i| 9_000 + 3 * i).collect();
    let mut p = ptr::null_mut();
    let shards = Index::from_new(
        unsafe { faissx_IndexShards_new_with_options(&mut p, D as idx_t, 1, 0) },
        p,
    );
    assert_eq!(
        unsafe { faissx_IndexShards_successive_ids(shards.ptr()) },
        0
    );
    for _ in 0..2 {
        let part = Index::factory(D, "IDMap,Flat", METRIC_L2);
        check(unsafe { faissx_IndexShards_add_shard(shards.ptr(), part.ptr()) });
        let _ = part.into_raw();
    }
    unsafe { faissx_IndexShards_set_own_fields(shards.ptr(), 1) };
    assert_eq!(unsafe { faissx_IndexShards_own_fields(shards.ptr()) }, 1);
    shards.add_with_ids(&xb, &ids);
    let (dis, lab) = shards.search(&xb[77 * D..78 * D], 1);
    assert_eq!((dis[0], lab[0]), (0.0, ids[77]));
    unsafe { faissx_IndexShards_set_successive_ids(shards.ptr(), 1) };
    assert_eq!(
        unsafe { faissx_IndexShards_successive_ids(shards.ptr()) },
        1
    );
}

#[test]
fn a_shard_of_another_dimension_is_refused() {
    let mut p = ptr::null_mut();
    let shards = Index::from_new(unsafe { faissx_IndexShards_new(&mut p, D as idx_t) }, p);
    let wrong = flat(D + 1);
    let rc = unsafe { faissx_IndexShards_add_shard(shards.ptr(), wrong.ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_FAISS,
        &["faissx_IndexShards_add_shard", "dimension"],
    );
    let mut p = ptr::null_mut();
    let replicas = Index::from_new(unsafe { faissx_IndexReplicas_new(&mut p, D as idx_t) }, p);
    let rc = unsafe { faissx_IndexReplicas_add_replica(replicas.ptr(), wrong.ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_FAISS,
        &["faissx_IndexReplicas_add_replica", "dimension"],
    );
}

#[test]
fn replicas_hold_everything_and_answer_alike() {
    let mut rng = Rng::new(113);
    let xb = rng.vectors(200, D);
    let xq = rng.vectors(12, D);
    for threaded in [0, 1] {
        let mut p = ptr::null_mut();
        let replicas = Index::from_new(
            unsafe { faissx_IndexReplicas_new_with_options(&mut p, D as idx_t, threaded) },
            p,
        );
        let copies: Vec<Index> = (0..2).map(|_| flat(D)).collect();
        for copy in &copies {
            check(unsafe { faissx_IndexReplicas_add_replica(replicas.ptr(), copy.ptr()) });
        }
        assert_eq!(
            unsafe { faissx_IndexReplicas_own_fields(replicas.ptr()) },
            0
        );
        for (i, copy) in copies.iter().enumerate() {
            assert_eq!(
                unsafe { faissx_IndexReplicas_at(replicas.ptr(), i as i32) },
                copy.ptr()
            );
        }
        assert!(unsafe { faissx_IndexReplicas_at(replicas.ptr(), -1) }.is_null());
        expect_message(&["faissx_IndexReplicas_at", "i = -1"]);
        replicas.add(&xb);
        assert_eq!(replicas.ntotal(), 200);
        assert!(
            copies.iter().all(|c| c.ntotal() == 200),
            "every replica gets every vector"
        );
        let (dis, lab) = replicas.search(&xq, 5);
        assert_knn(&xb, &xq, D, 5, METRIC_L2, (&dis, &lab));

        check(unsafe { faissx_IndexReplicas_remove_replica(replicas.ptr(), copies[0].ptr()) });
        assert_eq!(
            unsafe { faissx_IndexReplicas_at(replicas.ptr(), 0) },
            copies[1].ptr()
        );
        assert_eq!(replicas.search(&xq, 5), (dis, lab));
    }
}

#[test]
fn replicas_can_own_their_copies() {
    let mut p = ptr::null_mut();
    let replicas = Index::from_new(unsafe { faissx_IndexReplicas_new(&mut p, D as idx_t) }, p);
    let copy = flat(D);
    check(unsafe { faissx_IndexReplicas_add_replica(replicas.ptr(), copy.ptr()) });
    unsafe { faissx_IndexReplicas_set_own_fields(replicas.ptr(), 1) };
    assert_eq!(
        unsafe { faissx_IndexReplicas_own_fields(replicas.ptr()) },
        1
    );
    let _ = copy.into_raw();
    replicas.add(&Rng::new(114).vectors(10, D));
    assert_eq!(replicas.ntotal(), 10);
}

#[test]
fn typed_frees_release_their_indexes() {
    let part = flat(D);
    unsafe {
        let mut p = ptr::null_mut();
        check(faissx_IndexShards_new(&mut p, D as idx_t));
        check(faissx_IndexShards_add_shard(p, part.ptr()));
        faissx_IndexShards_free(p);
        check(faissx_IndexReplicas_new(&mut p, D as idx_t));
        check(faissx_IndexReplicas_add_replica(p, part.ptr()));
        faissx_IndexReplicas_free(p);
    }
    part.add(&[0.0; D]);
    assert_eq!(part.ntotal(), 1, "a borrowed member outlives its container");
}
