//! Parity with FAISS itself: the same data through the `faiss` crate (FAISS's C API, built by
//! `index_factory`) and through faissx's ABI (built by faissx's constructors) gives identical
//! labels and bitwise-identical distances. Indexes are only exchanged as serialized bytes,
//! never as pointers, so the comparison holds whatever a faissx handle is.

mod common;

use common::*;
use faiss::index::autotune::ParameterSpace;
use faiss::index::SearchResult;
use faiss::{index_binary_factory, index_factory, Idx, Index as _, MetricType};
use faissx::ffi::index_binary_flat::faissx_IndexBinaryFlat_new_with;
use faissx::ffi::index_flat::*;
use faissx::ffi::index_hnsw::*;
use faissx::ffi::index_ivf::*;
use faissx::ffi::index_ivf_flat::faissx_IndexIVFFlat_new_with;
use faissx::ffi::index_pq::*;
use faissx::ffi::index_scalar_quantizer::*;
use faissx::ffi::meta_indexes::faissx_IndexIDMap_new;
use faissx::ffi::types::*;
use std::ptr;

const D: usize = 32;
const NB: usize = 3000;
const NQ: usize = 25;
const K: usize = 10;

fn data() -> (Vec<f32>, Vec<f32>) {
    // Queries drawn from the same clusters as the database.
    let mut all = clustered(&mut Rng::new(141), NB + NQ, D, 20);
    let xq = all.split_off(NB * D);
    (all, xq)
}

fn faiss_metric(metric: FaissMetricType) -> MetricType {
    if metric == METRIC_L2 {
        MetricType::L2
    } else {
        MetricType::InnerProduct
    }
}

/// Labels equal and distances equal bit for bit.
#[track_caller]
fn assert_identical(what: &str, ours: &(Vec<f32>, Vec<idx_t>), theirs: &SearchResult) {
    let labels: Vec<idx_t> = theirs.labels.iter().map(|l: &Idx| l.to_native()).collect();
    assert_eq!(ours.1, labels, "{what}: labels differ");
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&ours.0),
        bits(&theirs.distances),
        "{what}: distances differ"
    );
    assert!(ours.1.iter().any(|&l| l >= 0), "{what}: nothing found");
}

/// The same index type built both ways: trained, filled and searched with the same data.
fn compare(
    what: &str,
    ours: Index,
    description: &str,
    metric: FaissMetricType,
    nprobe: Option<usize>,
) {
    let (xb, xq) = data();
    let mut theirs = index_factory(D as u32, description, faiss_metric(metric)).unwrap();
    if !theirs.is_trained() {
        theirs.train(&xb).unwrap();
        ours.train(&xb);
    }
    theirs.add(&xb).unwrap();
    ours.add(&xb);
    if let Some(nprobe) = nprobe {
        ParameterSpace::new()
            .unwrap()
            .set_index_parameter(&theirs, "nprobe", nprobe as f64)
            .unwrap();
        unsafe { faissx_IndexIVF_set_nprobe(ours.ptr(), nprobe) };
    }
    assert_eq!(ours.ntotal() as u64, theirs.ntotal());
    assert_identical(what, &ours.search(&xq, K), &theirs.search(&xq, K).unwrap());
}

fn owning(make: impl FnOnce(*mut FaissIndex) -> (i32, *mut FaissIndex), quantizer: Index) -> Index {
    let (rc, p) = make(quantizer.ptr());
    let index = Index::from_new(rc, p);
    unsafe { faissx_IndexIVF_set_own_fields(index.ptr(), 1) };
    let _ = quantizer.into_raw();
    index
}

fn flat_quantizer(metric: FaissMetricType) -> Index {
    let mut p = ptr::null_mut();
    Index::from_new(
        unsafe { faissx_IndexFlat_new_with(&mut p, D as idx_t, metric) },
        p,
    )
}

#[test]
fn flat_l2_and_ip() {
    let mut p = ptr::null_mut();
    let l2 = Index::from_new(
        unsafe { faissx_IndexFlatL2_new_with(&mut p, D as idx_t) },
        p,
    );
    compare("IndexFlatL2", l2, "Flat", METRIC_L2, None);
    let mut p = ptr::null_mut();
    let ip = Index::from_new(
        unsafe { faissx_IndexFlatIP_new_with(&mut p, D as idx_t) },
        p,
    );
    compare("IndexFlatIP", ip, "Flat", METRIC_INNER_PRODUCT, None);
}

#[test]
fn ivf_flat() {
    for nprobe in [1, 4] {
        let ours = owning(
            |q| {
                let mut p = ptr::null_mut();
                (unsafe { faissx_IndexIVFFlat_new_with(&mut p, q, D, 16) }, p)
            },
            flat_quantizer(METRIC_L2),
        );
        compare("IVF16,Flat", ours, "IVF16,Flat", METRIC_L2, Some(nprobe));
    }
}

#[test]
fn ivf_pq() {
    let ours = owning(
        |q| {
            let mut p = ptr::null_mut();
            (
                unsafe { faissx_IndexIVFPQ_new_with(&mut p, q, D, 16, 8, 8) },
                p,
            )
        },
        flat_quantizer(METRIC_L2),
    );
    compare("IVF16,PQ8", ours, "IVF16,PQ8np", METRIC_L2, Some(3));
}

#[test]
fn pq() {
    let mut p = ptr::null_mut();
    // "np": the factory would otherwise add polysemous training (a slow reordering of the
    // codes that leaves results unchanged), which faissx's constructor, like FAISS's, skips.
    let ours = Index::from_new(
        unsafe { faissx_IndexPQ_new_with(&mut p, D as i32, 8, 8, METRIC_L2) },
        p,
    );
    compare("PQ8", ours, "PQ8np", METRIC_L2, None);
    let mut p = ptr::null_mut();
    let ours = Index::from_new(
        unsafe { faissx_IndexPQ_new_with(&mut p, D as i32, 16, 4, METRIC_L2) },
        p,
    );
    compare("PQ16x4", ours, "PQ16x4np", METRIC_L2, None);
}

#[test]
fn scalar_quantizers() {
    for (qt, description) in [(QT_8bit, "SQ8"), (QT_fp16, "SQfp16")] {
        let mut p = ptr::null_mut();
        let ours = Index::from_new(
            unsafe { faissx_IndexScalarQuantizer_new_with(&mut p, D as idx_t, qt, METRIC_L2) },
            p,
        );
        compare(description, ours, description, METRIC_L2, None);
    }
    let ours = owning(
        |q| {
            let mut p = ptr::null_mut();
            (
                unsafe {
                    faissx_IndexIVFScalarQuantizer_new_with(&mut p, q, D as idx_t, 16, QT_8bit)
                },
                p,
            )
        },
        flat_quantizer(METRIC_L2),
    );
    compare("IVF16,SQ8", ours, "IVF16,SQ8", METRIC_L2, Some(2));
}

#[test]
fn id_map() {
    let (xb, xq) = data();
    let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 1_000_000 + 17 * i).collect();
    let sub = flat_quantizer(METRIC_L2);
    let mut p = ptr::null_mut();
    let ours = Index::from_new(unsafe { faissx_IndexIDMap_new(&mut p, sub.ptr()) }, p);
    ours.add_with_ids(&xb, &ids);
    let mut theirs = index_factory(D as u32, "IDMap,Flat", MetricType::L2).unwrap();
    let their_ids: Vec<Idx> = ids.iter().map(|&i| Idx::new(i as u64)).collect();
    theirs.add_with_ids(&xb, &their_ids).unwrap();
    assert_identical(
        "IDMap,Flat",
        &ours.search(&xq, K),
        &theirs.search(&xq, K).unwrap(),
    );
    drop(ours);
    drop(sub);
}

#[test]
fn range_search() {
    let (xb, xq) = data();
    let mut p = ptr::null_mut();
    let ours = Index::from_new(
        unsafe { faissx_IndexFlatL2_new_with(&mut p, D as idx_t) },
        p,
    );
    ours.add(&xb);
    let mut theirs = index_factory(D as u32, "Flat", MetricType::L2).unwrap();
    theirs.add(&xb).unwrap();
    let radius = 0.02;
    let mine = ours.range_search(&xq, radius);
    let other = theirs.range_search(&xq, radius).unwrap();
    let lims = other.lims();
    let (dist, labels) = other.distance_and_labels();
    let mut total = 0;
    for (q, hits) in mine.iter().enumerate() {
        let mut expected: Vec<(idx_t, u32)> = (lims[q]..lims[q + 1])
            .map(|j| (labels[j].to_native(), dist[j].to_bits()))
            .collect();
        expected.sort();
        let got: Vec<(idx_t, u32)> = hits.iter().map(|&(l, d)| (l, d.to_bits())).collect();
        assert_eq!(got, expected, "query {q}");
        total += got.len();
    }
    assert!(
        total > NQ,
        "the radius should catch several neighbours per query"
    );
}

#[test]
fn hnsw_same_graph_same_answers() {
    let mut rng = Rng::new(144);
    let (xb, xq) = (rng.vectors(NB, D), rng.vectors(NQ * 2, D));
    let mut p = ptr::null_mut();
    let ours = Index::from_new(
        unsafe { faissx_IndexHNSWFlat_new_with(&mut p, D as i32, 16) },
        p,
    );
    ours.add(&xb);
    unsafe { faissx_IndexHNSW_set_efSearch(ours.ptr(), 64) };
    // Construction is multithreaded and may differ run to run: FAISS reads the graph faissx
    // built, and both search it.
    let file = TempFile::new("hnsw");
    std::fs::write(file.path(), ours.to_bytes()).unwrap();
    let mut theirs = faiss::read_index(file.path().to_str().unwrap()).unwrap();
    assert_identical(
        "HNSW16",
        &ours.search(&xq, K),
        &theirs.search(&xq, K).unwrap(),
    );

    let mut exact = index_factory(D as u32, "Flat", MetricType::L2).unwrap();
    exact.add(&xb).unwrap();
    let truth: Vec<idx_t> = exact
        .search(&xq, 1)
        .unwrap()
        .labels
        .iter()
        .map(|l| l.to_native())
        .collect();
    let (_, found) = ours.search(&xq, K);
    let recall = recall_at(&truth, 1, &found, K);
    assert!(recall >= 0.9, "HNSW recall {recall}");
}

#[test]
fn binary_flat() {
    let xb = Rng::new(142).bytes(NB * 8);
    let xq = Rng::new(143).bytes(NQ * 8);
    let mut p = ptr::null_mut();
    let ours = BinaryIndex::from_new(unsafe { faissx_IndexBinaryFlat_new_with(&mut p, 64) }, p);
    ours.add(&xb);
    let mut theirs = index_binary_factory(64, "BFlat").unwrap();
    theirs.add(&xb).unwrap();
    let (dis, lab) = ours.search(&xq, K);
    let result = theirs.search(&xq, K).unwrap();
    assert_eq!(
        lab,
        result
            .labels
            .iter()
            .map(|l| l.to_native())
            .collect::<Vec<_>>()
    );
    assert_eq!(dis, result.distances);
}
