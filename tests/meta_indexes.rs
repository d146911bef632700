//! `MetaIndexes_c.h`: IndexIDMap and IndexIDMap2, which put the caller's ids on any index.

mod common;

use common::*;
use faissx::ffi::index::*;
use faissx::ffi::index_flat::*;
use faissx::ffi::meta_indexes::*;
use faissx::ffi::types::*;
use std::ptr;

const D: usize = 8;

fn flat() -> Index {
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx_IndexFlatL2_new_with(&mut p, D as idx_t) };
    Index::from_new(rc, p)
}

fn id_map_of(
    get: unsafe extern "C" fn(*mut FaissIndex, *mut *mut idx_t, *mut usize),
    index: &Index,
) -> Vec<idx_t> {
    let (mut ids, mut size) = (ptr::null_mut(), 0usize);
    unsafe { get(index.ptr(), &mut ids, &mut size) };
    if size == 0 {
        return Vec::new();
    }
    unsafe { std::slice::from_raw_parts(ids, size) }.to_vec()
}

#[test]
fn id_map_translates_ids_both_ways() {
    let mut rng = Rng::new(51);
    let xb = rng.vectors(60, D);
    let ids: Vec<idx_t> = (0..60).map(|i| 5000 - 13 * i).collect();
    let sub = flat();
    let mut p = ptr::null_mut();
    let map = Index::from_new(unsafe { faissx_IndexIDMap_new(&mut p, sub.ptr()) }, p);
    unsafe {
        assert_eq!(faissx_IndexIDMap_cast(map.ptr()), map.ptr());
        assert!(faissx_IndexIDMap2_cast(map.ptr()).is_null());
        assert!(faissx_IndexIDMap_cast(sub.ptr()).is_null());
        assert_eq!(faissx_IndexIDMap_sub_index(map.ptr()), sub.ptr());
        assert_eq!(faissx_IndexIDMap_own_fields(map.ptr()), 0);
    }
    map.add_with_ids(&xb, &ids);
    assert_eq!(sub.ntotal(), 60, "vectors land in the sub-index");
    assert_eq!(id_map_of(faissx_IndexIDMap_id_map, &map), ids);

    let (dis, lab) = map.search(&xb[10 * D..12 * D], 1);
    assert_eq!(lab, vec![ids[10], ids[11]]);
    assert_eq!(dis, vec![0.0, 0.0]);
    // The sub-index still numbers vectors 0..n.
    let (_, raw) = sub.search(&xb[10 * D..11 * D], 1);
    assert_eq!(raw, vec![10]);

    let sel = Selector::batch(&[ids[3], ids[4], 123_456]);
    let mut removed = 0;
    check(unsafe { faissx_Index_remove_ids(map.ptr(), sel.0, &mut removed) });
    assert_eq!(removed, 2);
    let left = id_map_of(faissx_IndexIDMap_id_map, &map);
    assert_eq!(left.len(), 58);
    assert!(!left.contains(&ids[3]) && !left.contains(&ids[4]));
    let (_, lab) = map.search(&xb[3 * D..4 * D], 58);
    assert!(!lab.contains(&ids[3]));
}

#[test]
fn id_map2_reconstructs_by_id() {
    let mut rng = Rng::new(52);
    let xb = rng.vectors(30, D);
    let ids: Vec<idx_t> = (0..30).map(|i| 100 + i * i).collect();
    let sub = flat();
    let mut p = ptr::null_mut();
    let map = Index::from_new(unsafe { faissx_IndexIDMap2_new(&mut p, sub.ptr()) }, p);
    unsafe {
        assert_eq!(faissx_IndexIDMap2_cast(map.ptr()), map.ptr());
        // An IDMap2 is an IDMap.
        assert_eq!(faissx_IndexIDMap_cast(map.ptr()), map.ptr());
        assert_eq!(faissx_IndexIDMap2_sub_index(map.ptr()), sub.ptr());
        assert_eq!(faissx_IndexIDMap2_own_fields(map.ptr()), 0);
    }
    map.add_with_ids(&xb, &ids);
    assert_eq!(id_map_of(faissx_IndexIDMap2_id_map, &map), ids);
    assert_eq!(map.reconstruct(ids[17]), &xb[17 * D..18 * D]);
    check(unsafe { faissx_IndexIDMap2_construct_rev_map(map.ptr()) });
    assert_eq!(map.reconstruct(ids[29]), &xb[29 * D..30 * D]);
    let mut out = vec![0.0; D];
    let rc = unsafe { faissx_Index_reconstruct(map.ptr(), 1, out.as_mut_ptr()) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_Index_reconstruct"]);

    // A plain IDMap keeps no reverse map and cannot reconstruct by id.
    let sub1 = flat();
    let mut p = ptr::null_mut();
    let plain = Index::from_new(unsafe { faissx_IndexIDMap_new(&mut p, sub1.ptr()) }, p);
    plain.add_with_ids(&xb, &ids);
    let rc = unsafe { faissx_Index_reconstruct(plain.ptr(), ids[0], out.as_mut_ptr()) };
    expect_err(rc, FAISSX_ERR_FAISS, &["faissx_Index_reconstruct"]);
}

#[test]
fn id_maps_can_own_their_sub_index() {
    let mut rng = Rng::new(53);
    let xb = rng.vectors(5, D);
    for (new, set_own, own) in [
        (
            faissx_IndexIDMap_new as unsafe extern "C" fn(_, _) -> _,
            faissx_IndexIDMap_set_own_fields as unsafe extern "C" fn(_, _),
            faissx_IndexIDMap_own_fields as unsafe extern "C" fn(_) -> _,
        ),
        (
            faissx_IndexIDMap2_new,
            faissx_IndexIDMap2_set_own_fields,
            faissx_IndexIDMap2_own_fields,
        ),
    ] {
        let sub = flat();
        let mut p = ptr::null_mut();
        let map = Index::from_new(unsafe { new(&mut p, sub.ptr()) }, p);
        unsafe { set_own(map.ptr(), 1) };
        assert_eq!(unsafe { own(map.ptr()) }, 1);
        let _ = sub.into_raw();
        map.add_with_ids(&xb, &[1, 2, 3, 4, 5]);
        assert_eq!(map.ntotal(), 5);
    }
}
