//! Rust's `faiss` crate, as its users call it, on faissx: the crate is built without its `static`
//! feature and linked to faissx's libfaiss_c.so (see .cargo/config.toml); bindings/faiss_c/
//! run_tests.sh checks that the test binary really takes FAISS's functions from that library.
//! Expected values come from brute force computed here, never from FAISS.
#![cfg(test)]

use faiss::cluster::{kmeans_clustering, Clustering};
use faiss::error::Error;
use faiss::index::{
    flat::FlatIndex, id_map::IdMap, io::read_index, io::write_index, ivf_flat::IVFFlatIndex,
    TryClone,
};
use faiss::selector::IdSelector;
use faiss::{index_factory, Idx, Index, MetricType};

const D: usize = 8;
const NB: usize = 300;
const GROUPS: usize = 4;

/// `n` vectors in `GROUPS` far-apart clusters: vector i is in group i % GROUPS, its components
/// in [10 g, 10 g + 1). splitmix64 keeps the data identical on every platform.
fn data(n: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
    };
    (0..n * D)
        .map(|i| next() + (10 * ((i / D) % GROUPS)) as f32)
        .collect()
}

fn l2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn vector(xb: &[f32], i: usize) -> &[f32] {
    &xb[i * D..(i + 1) * D]
}

/// Distances of the `k` nearest database vectors to `q`, ascending.
fn brute_force(q: &[f32], xb: &[f32], k: usize) -> Vec<f32> {
    let mut all: Vec<f32> = xb.chunks(D).map(|x| l2(q, x)).collect();
    all.sort_by(f32::total_cmp);
    all.truncate(k);
    all
}

/// FAISS computes L2 as |q|^2 + |x|^2 - 2<q,x> in float: its error scales with the norms.
fn assert_close(got: f32, want: f32, q: &[f32]) {
    let scale = 1.0 + 4.0 * q.iter().map(|v| v * v).sum::<f32>();
    assert!((got - want).abs() <= 1e-5 * scale, "{got} vs {want}");
}

fn label(i: usize) -> Idx {
    Idx::new(i as u64)
}

#[test]
fn flat_search_finds_each_vector_itself_and_the_true_neighbours() {
    let xb = data(NB, 1);
    let mut index = FlatIndex::new_l2(D as u32).unwrap();
    index.add(&xb).unwrap();
    assert_eq!(index.ntotal(), NB as u64);
    assert_eq!(index.d(), D as u32);
    assert_eq!(index.metric_type(), MetricType::L2);

    let k = 5;
    let queries = &xb[..10 * D];
    let res = index.search(queries, k).unwrap();
    for q in 0..10 {
        assert_eq!(res.labels[q * k], label(q));
        assert_eq!(res.distances[q * k], 0.0);
        let query = vector(&xb, q);
        let want = brute_force(query, &xb, k);
        let got = &res.labels[q * k..(q + 1) * k];
        for ((w, d), l) in want.iter().zip(&res.distances[q * k..]).zip(got) {
            assert_close(*d, *w, query);
            // A near-tie may swap labels: each must sit at the distance brute force expects.
            let found = vector(&xb, l.get().unwrap() as usize);
            assert_close(l2(query, found), *w, query);
        }
    }
    // Stored vectors are readable back through the crate's own accessor.
    assert_eq!(index.xb(), &xb[..]);
}

#[test]
fn ivf_probing_every_list_equals_flat() {
    let xb = data(NB, 2);
    let xq = data(15, 3);
    let nlist = 4;
    let quantizer = FlatIndex::new_l2(D as u32).unwrap();
    let mut ivf = IVFFlatIndex::new_l2(quantizer, D as u32, nlist).unwrap();
    assert!(!ivf.is_trained());
    ivf.train(&xb).unwrap();
    assert!(ivf.is_trained());
    ivf.add(&xb).unwrap();
    assert_eq!(ivf.nlist(), nlist);
    ivf.set_nprobe(nlist);
    assert_eq!(ivf.nprobe(), nlist);

    let mut flat = FlatIndex::new_l2(D as u32).unwrap();
    flat.add(&xb).unwrap();
    let k = 6;
    let got = ivf.search(&xq, k).unwrap();
    let want = flat.search(&xq, k).unwrap();
    assert_eq!(got.labels, want.labels);
    for (g, w) in got.distances.iter().zip(&want.distances) {
        assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{g} vs {w}");
    }
}

#[test]
fn index_factory_builds_the_described_index() {
    let xb = data(NB, 4);
    let index = index_factory(D as u32, "IVF4,Flat", MetricType::L2).unwrap();
    let mut ivf = index.into_ivf_flat().unwrap();
    assert_eq!(ivf.nlist(), 4);
    ivf.train(&xb).unwrap();
    ivf.add(&xb).unwrap();
    assert_eq!(ivf.ntotal(), NB as u64);
}

#[test]
fn id_map_returns_the_callers_ids() {
    let xb = data(NB, 5);
    let ids: Vec<Idx> = (0..NB).map(|i| Idx::new(1000 + 7 * i as u64)).collect();
    let mut index = IdMap::new(FlatIndex::new_l2(D as u32).unwrap()).unwrap();
    index.add_with_ids(&xb, &ids).unwrap();
    assert_eq!(index.id_map(), &ids[..]);

    let res = index.search(vector(&xb, 42), 3).unwrap();
    assert_eq!(res.labels[0], ids[42]);
    assert_eq!(res.distances[0], 0.0);
    // The inner index comes back intact, with FAISS's sequential labels.
    let mut inner = index.into_inner();
    assert_eq!(inner.ntotal(), NB as u64);
    assert_eq!(
        inner.search(vector(&xb, 42), 1).unwrap().labels[0],
        label(42)
    );
}

#[test]
fn range_search_returns_exactly_the_vectors_within_the_radius() {
    let xb = data(NB, 6);
    let xq = data(3, 7);
    let mut index = FlatIndex::new_l2(D as u32).unwrap();
    index.add(&xb).unwrap();
    let radius = 1.5;
    let res = index.range_search(&xq, radius).unwrap();
    assert_eq!(res.nq(), 3);
    let lims = res.lims();
    let (distances, labels) = res.distance_and_labels();
    for q in 0..3 {
        let query = vector(&xq, q);
        let mut got: Vec<u64> = labels[lims[q]..lims[q + 1]]
            .iter()
            .map(|l| l.get().unwrap())
            .collect();
        got.sort_unstable();
        let want: Vec<u64> = (0..NB)
            .filter(|&i| l2(query, vector(&xb, i)) < radius)
            .map(|i| i as u64)
            .collect();
        assert!(!want.is_empty(), "the radius should catch some vectors");
        assert_eq!(got, want);
        for (d, l) in distances[lims[q]..lims[q + 1]]
            .iter()
            .zip(&labels[lims[q]..lims[q + 1]])
        {
            let stored = vector(&xb, l.get().unwrap() as usize);
            assert_close(*d, l2(query, stored), query);
        }
    }
}

#[test]
fn reconstruct_returns_the_stored_vectors() {
    let xb = data(NB, 8);
    let mut index = FlatIndex::new_l2(D as u32).unwrap();
    index.add(&xb).unwrap();
    let mut one = vec![0.0; D];
    index.reconstruct(label(17), &mut one).unwrap();
    assert_eq!(one, vector(&xb, 17));
    let mut many = vec![0.0; 5 * D];
    index.reconstruct_n(label(100), 5, &mut many).unwrap();
    assert_eq!(many, &xb[100 * D..105 * D]);
}

#[test]
fn remove_ids_removes_exactly_the_selected_vectors() {
    let xb = data(NB, 9);
    let mut index = FlatIndex::new_l2(D as u32).unwrap();
    index.add(&xb).unwrap();

    let batch: Vec<Idx> = [3, 5, 7].iter().map(|&i| label(i)).collect();
    let removed = index
        .remove_ids(&IdSelector::batch(&batch).unwrap())
        .unwrap();
    assert_eq!(removed, 3);
    assert_eq!(index.ntotal(), NB as u64 - 3);
    // A flat index renumbers what follows: vector 4 is now label 3, its old label gone.
    let res = index.search(vector(&xb, 4), 1).unwrap();
    assert_eq!(res.labels[0], label(3));
    assert_eq!(res.distances[0], 0.0);

    let removed = index
        .remove_ids(&IdSelector::range(label(0), label(10)).unwrap())
        .unwrap();
    assert_eq!(removed, 10);
    assert_eq!(index.ntotal(), NB as u64 - 13);
    let first = index.search(vector(&xb, 13), 1).unwrap();
    assert_eq!(first.labels[0], label(0));
}

#[test]
fn written_index_reads_back_with_the_same_answers() {
    let xb = data(NB, 10);
    let xq = data(10, 11);
    let mut index = FlatIndex::new_l2(D as u32).unwrap();
    index.add(&xb).unwrap();
    let want = index.search(&xq, 4).unwrap();

    let path =
        std::env::temp_dir().join(format!("faiss_rs_on_faissx_{}.index", std::process::id()));
    write_index(&index, path.to_str().unwrap()).unwrap();
    let mut loaded = read_index(path.to_str().unwrap()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.ntotal(), NB as u64);
    assert_eq!(loaded.search(&xq, 4).unwrap(), want);
    let flat = loaded.into_flat().unwrap();
    assert_eq!(flat.xb(), &xb[..]);
}

#[test]
fn clone_is_independent_of_the_original() {
    let xb = data(NB, 12);
    let mut index = FlatIndex::new_l2(D as u32).unwrap();
    index.add(&xb).unwrap();
    let mut copy = index.try_clone().unwrap();
    assert_eq!(copy.ntotal(), NB as u64);
    assert_eq!(
        copy.search(&xb[..D], 3).unwrap(),
        index.search(&xb[..D], 3).unwrap()
    );
    copy.reset().unwrap();
    assert_eq!(copy.ntotal(), 0);
    assert_eq!(index.ntotal(), NB as u64);
}

/// The centroid's group, from its first component (groups are 10 apart, components in [0, 1)).
fn group_of(centroid: &[f32]) -> usize {
    let g = (centroid[0] / 10.0).floor();
    assert!(
        (0.0..GROUPS as f32).contains(&g),
        "centroid outside the data: {centroid:?}"
    );
    g as usize
}

#[test]
fn kmeans_finds_one_centroid_per_cluster() {
    let xb = data(NB, 13);
    let res = kmeans_clustering(D as u32, GROUPS as u32, &xb).unwrap();
    assert_eq!(res.centroids.len(), GROUPS * D);
    let mut groups: Vec<usize> = res.centroids.chunks(D).map(group_of).collect();
    groups.sort_unstable();
    assert_eq!(groups, (0..GROUPS).collect::<Vec<_>>());
    // The error is the sum of each point's squared distance to its nearest centroid.
    let want: f32 = xb
        .chunks(D)
        .map(|x| brute_force(x, &res.centroids, 1)[0])
        .sum();
    assert!(
        (res.q_error - want).abs() <= 1e-3 * want,
        "{} vs {want}",
        res.q_error
    );

    let mut clustering = Clustering::new(D as u32, GROUPS as u32).unwrap();
    let mut assigner = FlatIndex::new_l2(D as u32).unwrap();
    clustering.train(&xb, &mut assigner).unwrap();
    let centroids = clustering.centroids().unwrap();
    assert_eq!(centroids.len(), GROUPS);
    let mut groups: Vec<usize> = centroids.iter().map(|c| group_of(c)).collect();
    groups.sort_unstable();
    assert_eq!(groups, (0..GROUPS).collect::<Vec<_>>());
    let stats = clustering.iteration_stats();
    assert_eq!(stats.len(), clustering.niter() as usize);
    assert!(stats.last().unwrap().obj() <= stats[0].obj());
}

#[test]
fn faiss_errors_reach_the_caller_with_code_and_message() {
    match index_factory(D as u32, "NoSuchIndex", MetricType::L2) {
        Err(Error::Native(e)) => {
            assert_eq!(e.code(), -2);
            assert!(e.msg().contains("NoSuchIndex"), "{}", e.msg());
        }
        other => panic!("expected a native error, got {:?}", other.map(|_| ())),
    }

    let xb = data(10, 14);
    let quantizer = FlatIndex::new_l2(D as u32).unwrap();
    let mut ivf = IVFFlatIndex::new_l2(quantizer, D as u32, 4).unwrap();
    match ivf.add(&xb) {
        Err(Error::Native(e)) => {
            assert_eq!(e.code(), -2);
            assert!(e.msg().contains("is_trained"), "{}", e.msg());
        }
        other => panic!("expected a native error, got {other:?}"),
    }
    assert_eq!(ivf.ntotal(), 0);

    // A failed read names the file and leaves nothing behind.
    match read_index("/nonexistent/faissx.index") {
        Err(Error::Native(e)) => {
            assert!(e.msg().contains("/nonexistent/faissx.index"), "{}", e.msg())
        }
        other => panic!("expected a native error, got {:?}", other.map(|_| ())),
    }
}
