//! Parity of remote mode with local mode: each scenario drives indexes only through faissx's C
//! ABI and records what the calls returned; it runs once with remote mode off and once against
//! a real faissx-server, and the two records must agree — labels, ids, counts and return codes
//! exactly, distances and vectors bit for bit.

#[path = "remote_parity/classes.rs"]
mod classes;
mod common;
#[path = "remote_parity/objects.rs"]
mod objects;
mod remote;

use common::*;
use faissx::ffi::auto_tune::*;
use faissx::ffi::aux_index_structures::*;
use faissx::ffi::boundary::calls;
use faissx::ffi::clone_index::*;
use faissx::ffi::error::*;
use faissx::ffi::index::*;
use faissx::ffi::index_binary::*;
use faissx::ffi::index_binary_flat::*;
use faissx::ffi::index_binary_ivf::*;
use faissx::ffi::index_flat::*;
use faissx::ffi::index_hnsw::*;
use faissx::ffi::index_io::*;
use faissx::ffi::index_ivf::*;
use faissx::ffi::index_ivf_flat::*;
use faissx::ffi::index_lsh::*;
use faissx::ffi::index_pq::*;
use faissx::ffi::index_pre_transform::*;
use faissx::ffi::index_replicas::*;
use faissx::ffi::index_scalar_quantizer::*;
use faissx::ffi::index_shards::*;
use faissx::ffi::meta_indexes::*;
use faissx::ffi::types::*;
use faissx::ffi::vector_transform::*;
use remote::*;
use std::collections::BTreeSet;
use std::os::raw::c_int;
use std::ptr;
use std::sync::Mutex;

const D: usize = 16;
const NB: usize = 1000;
const NQ: usize = 12;
const K: usize = 5;
const NLIST: usize = 8;

fn data() -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(4242);
    (
        clustered(&mut rng, NB, D, 20),
        clustered(&mut rng, NQ, D, 20),
    )
}

enum Value {
    Exact(Vec<i64>),
    Floats(Vec<f32>),
}

/// What a scenario observed, in order.
struct Record {
    remote: bool,
    items: Vec<(String, Value)>,
}

impl Record {
    fn exact(&mut self, what: &str, values: impl IntoIterator<Item = i64>) {
        self.items
            .push((what.into(), Value::Exact(values.into_iter().collect())));
    }

    fn num(&mut self, what: &str, value: impl Into<i64>) {
        self.exact(what, [value.into()]);
    }

    fn flag(&mut self, what: &str, value: bool) {
        self.num(what, value as i64);
    }

    fn floats(&mut self, what: &str, values: &[f32]) {
        self.items
            .push((what.into(), Value::Floats(values.to_vec())));
    }

    fn knn(&mut self, what: &str, (distances, labels): (Vec<f32>, Vec<idx_t>)) {
        assert!(labels.iter().any(|&l| l >= 0), "{what}: nothing found");
        self.floats(&format!("{what}: distances"), &distances);
        self.exact(&format!("{what}: labels"), labels);
    }

    fn range(&mut self, what: &str, hits: Vec<Vec<(idx_t, f32)>>) {
        self.exact(
            &format!("{what}: counts"),
            hits.iter().map(|h| h.len() as i64),
        );
        self.exact(
            &format!("{what}: labels"),
            hits.iter().flatten().map(|h| h.0),
        );
        let distances: Vec<f32> = hits.iter().flatten().map(|h| h.1).collect();
        self.floats(&format!("{what}: distances"), &distances);
    }

    /// Checks that a constructor made its index where the mode says.
    #[track_caller]
    fn made<T>(&self, index: *const T) {
        assert_eq!(
            is_remote(index.cast()),
            self.remote,
            "index created in the wrong mode"
        );
    }

    fn getters(&mut self, what: &str, index: &Index) {
        let p = index.ptr();
        unsafe {
            self.num(&format!("{what}: d"), faissx_Index_d(p));
            self.num(&format!("{what}: ntotal"), faissx_Index_ntotal(p));
            self.num(&format!("{what}: is_trained"), faissx_Index_is_trained(p));
            self.num(&format!("{what}: metric"), faissx_Index_metric_type(p));
        }
    }
}

/// The exports the remote runs of the scenarios called (outermost calls only).
static CALLED_REMOTELY: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());

/// Runs `scenario` locally, then against a fresh server, and compares the two records.
fn parity(scenario: impl Fn(&mut Record)) {
    let _serial = exclusive();
    let server = Server::start(&["--log-level", "warn"]);
    local_mode();
    let mut local = Record {
        remote: false,
        items: Vec::new(),
    };
    scenario(&mut local);
    configure(Some(&server.endpoint), None, None);
    let mut remote = Record {
        remote: true,
        items: Vec::new(),
    };
    calls::start();
    scenario(&mut remote);
    CALLED_REMOTELY.lock().unwrap().extend(calls::stop());
    local_mode();
    assert_same(&local, &remote);
}

fn assert_same(local: &Record, remote: &Record) {
    let names = |r: &Record| r.items.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(local),
        names(remote),
        "the scenario took another path remotely"
    );
    for ((what, l), (_, r)) in local.items.iter().zip(&remote.items) {
        match (l, r) {
            (Value::Exact(l), Value::Exact(r)) => assert_eq!(l, r, "{what}: local vs remote"),
            (Value::Floats(l), Value::Floats(r)) => {
                assert_eq!(l.len(), r.len(), "{what}: lengths");
                // Bits, not a tolerance: both modes run the same FAISS code on the same input,
                // and near-ties swap places as soon as the last bit differs.
                for (i, (a, b)) in l.iter().zip(r).enumerate() {
                    let same = (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits();
                    assert!(same, "{what}[{i}]: local {a:e} vs remote {b:e}");
                }
            }
            _ => panic!("{what}: different kinds of values"),
        }
    }
}

/// What `print` writes to the process's stdout (FAISS prints with printf, past Rust's capture).
fn stdout_of(print: impl FnOnce()) -> Vec<u8> {
    let file = TempFile::new("stdout");
    unsafe {
        libc::fflush(ptr::null_mut());
        let saved = libc::dup(1);
        let out = libc::open(
            file.c_path().as_ptr(),
            libc::O_CREAT | libc::O_TRUNC | libc::O_WRONLY,
            0o600,
        );
        assert!(saved >= 0 && out >= 0);
        libc::dup2(out, 1);
        libc::close(out);
        print();
        libc::fflush(ptr::null_mut());
        libc::dup2(saved, 1);
        libc::close(saved);
    }
    std::fs::read(file.path()).unwrap()
}

fn flat_with(d: usize, metric: FaissMetricType) -> Index {
    let mut p = ptr::null_mut();
    Index::from_new(
        unsafe { faissx_IndexFlat_new_with(&mut p, d as idx_t, metric) },
        p,
    )
}

fn xb_of(index: &Index) -> Vec<f32> {
    let (mut p, mut size) = (ptr::null_mut(), 0usize);
    unsafe { faissx_IndexFlat_xb(index.ptr(), &mut p, &mut size) };
    assert!(!p.is_null() || size == 0, "xb: {}", last_error());
    if size == 0 {
        return Vec::new();
    }
    unsafe { std::slice::from_raw_parts(p, size) }.to_vec()
}

fn reconstruct_n(index: &Index, i0: usize, n: usize) -> Vec<f32> {
    let mut out = vec![f32::NAN; n * index.d()];
    check(unsafe {
        faissx_Index_reconstruct_n(index.ptr(), i0 as idx_t, n as idx_t, out.as_mut_ptr())
    });
    out
}

fn assign(index: &Index, q: &[f32], k: usize) -> Vec<idx_t> {
    let mut labels = vec![-7; q.len() / index.d() * k];
    let n = (q.len() / index.d()) as idx_t;
    check(unsafe {
        faissx_Index_assign(index.ptr(), n, q.as_ptr(), labels.as_mut_ptr(), k as idx_t)
    });
    labels
}

fn remove(index: &Index, selector: &Selector) -> i64 {
    let mut removed = usize::MAX;
    check(unsafe { faissx_Index_remove_ids(index.ptr(), selector.0, &mut removed) });
    removed as i64
}

fn not(selector: &Selector) -> Selector {
    let mut p = ptr::null_mut();
    check(unsafe { faissx_IDSelectorNot_new(&mut p, selector.0) });
    Selector(p.cast())
}

fn and(a: &Selector, b: &Selector) -> Selector {
    let mut p = ptr::null_mut();
    check(unsafe { faissx_IDSelectorAnd_new(&mut p, a.0, b.0) });
    Selector(p.cast())
}

fn or(a: &Selector, b: &Selector) -> Selector {
    let mut p = ptr::null_mut();
    check(unsafe { faissx_IDSelectorOr_new(&mut p, a.0, b.0) });
    Selector(p.cast())
}

fn ivf_params(selector: Option<&Selector>, nprobe: usize) -> Params {
    let mut p = ptr::null_mut();
    let sel = selector.map_or(ptr::null_mut(), |s| s.0);
    check(unsafe { faissx_SearchParametersIVF_new_with(&mut p, sel, nprobe, 0) });
    Params(p.cast())
}

fn generic_params(selector: &Selector) -> Params {
    let mut p = ptr::null_mut();
    check(unsafe { faissx_SearchParameters_new(&mut p, selector.0) });
    Params(p)
}

fn parameter_space() -> *mut FaissParameterSpace {
    let mut p = ptr::null_mut();
    check(unsafe { faissx_ParameterSpace_new(&mut p) });
    p
}

fn set_parameter(index: &Index, name: &str, value: f64) {
    let space = parameter_space();
    let name = cstr(name);
    check(unsafe {
        faissx_ParameterSpace_set_index_parameter(space, index.ptr(), name.as_ptr(), value)
    });
    unsafe { faissx_ParameterSpace_free(space) };
}

fn set_parameters(index: &Index, description: &str) {
    let space = parameter_space();
    let description = cstr(description);
    check(unsafe {
        faissx_ParameterSpace_set_index_parameters(space, index.ptr(), description.as_ptr())
    });
    unsafe { faissx_ParameterSpace_free(space) };
}

/// A cast returned the handle itself (casts keep a handle's identity, as in FAISS).
fn is_same<T, U>(cast: *mut T, index: *mut U) -> bool {
    std::ptr::eq(cast.cast::<U>(), index)
}

fn flat_indexes() {
    parity(|rec| {
        let (xb, xq) = data();
        for (metric, radius) in [(METRIC_L2, 0.02f32), (METRIC_INNER_PRODUCT, 5.0)] {
            let index = flat_with(D, metric);
            rec.made(index.ptr());
            rec.getters("empty", &index);
            index.add(&xb);
            rec.getters("filled", &index);
            rec.knn("search", index.search(&xq, K));
            rec.knn("one query, k 3", index.search(&xq[..D], 3));
            let (distances, labels) = index.search(&[], 3);
            rec.num(
                "no queries: results",
                (distances.len() + labels.len()) as i64,
            );
            index.add(&[]);
            rec.getters("after adding nothing", &index);
            let p = index.ptr();
            unsafe {
                rec.flag("IndexFlat cast", is_same(faissx_IndexFlat_cast(p), p));
                rec.flag("IndexFlatL2 cast", is_same(faissx_IndexFlatL2_cast(p), p));
                rec.flag("IndexFlatIP cast", is_same(faissx_IndexFlatIP_cast(p), p));
                rec.flag("IndexIVF cast is NULL", faissx_IndexIVF_cast(p).is_null());
            }
            // The metric's own classes, as their constructors make them.
            let mut made = ptr::null_mut();
            let own = Index::from_new(
                unsafe {
                    if metric == METRIC_L2 {
                        faissx_IndexFlatL2_new_with(&mut made, D as idx_t)
                    } else {
                        faissx_IndexFlatIP_new_with(&mut made, D as idx_t)
                    }
                },
                made,
            );
            let q = own.ptr();
            unsafe {
                rec.flag(
                    "own class: IndexFlat cast",
                    is_same(faissx_IndexFlat_cast(q), q),
                );
                rec.flag(
                    "own class: IndexFlatL2 cast",
                    is_same(faissx_IndexFlatL2_cast(q), q),
                );
                rec.flag(
                    "own class: IndexFlatIP cast",
                    is_same(faissx_IndexFlatIP_cast(q), q),
                );
            }
            rec.num("own class: metric", unsafe { faissx_Index_metric_type(q) });
            rec.floats("reconstruct 17", &index.reconstruct(17));
            rec.floats("reconstruct_n 5..15", &reconstruct_n(&index, 5, 10));
            let xb_copy = xb_of(&index);
            assert_eq!(xb_copy.len(), NB * D);
            rec.floats("xb", &xb_copy);
            rec.exact("assign", assign(&index, &xq, 3));
            rec.range("range search", index.range_search(&xq, radius));
            let every_third = Selector::batch(&(0..NB as idx_t).step_by(3).collect::<Vec<_>>());
            let outside = not(&every_third);
            let params = generic_params(&outside);
            let found = index.search_with_params(&xq, K, params.0);
            assert!(found.1.iter().all(|&l| l % 3 != 0));
            rec.knn("generic parameters, Not(Batch) selector", found);
            // A flat index takes the selector of any parameters, even IVF ones.
            let low = Selector::range(0, 500);
            let found = index.search_with_params(&xq, K, ivf_params(Some(&low), 7).0.cast());
            assert!(found.1.iter().all(|&l| l < 500));
            rec.knn("IVF parameters on a flat index", found);

            let labels: Vec<idx_t> = (0..NQ as idx_t * 3)
                .map(|i| (i * 37) % NB as idx_t)
                .collect();
            let mut distances = vec![f32::NAN; NQ * 3];
            check(unsafe {
                faissx_IndexFlat_compute_distance_subset(
                    p,
                    NQ as idx_t,
                    xq.as_ptr(),
                    3,
                    distances.as_mut_ptr(),
                    labels.as_ptr(),
                )
            });
            rec.floats("compute_distance_subset", &distances);
            // A negative label means none (infinite distance); one past the stored vectors is
            // refused, not read.
            let mut two = [f32::NAN; 2];
            check(unsafe {
                faissx_IndexFlat_compute_distance_subset(
                    p,
                    1,
                    xq.as_ptr(),
                    2,
                    two.as_mut_ptr(),
                    [-1, 3].as_ptr(),
                )
            });
            let none = if metric == METRIC_L2 {
                f32::INFINITY
            } else {
                f32::NEG_INFINITY
            };
            assert_eq!(two[0], none);
            rec.floats("compute_distance_subset, label -1", &two);
            let rc = unsafe {
                faissx_IndexFlat_compute_distance_subset(
                    p,
                    1,
                    xq.as_ptr(),
                    2,
                    two.as_mut_ptr(),
                    [0, NB as idx_t].as_ptr(),
                )
            };
            expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["labels[1]", "ntotal"]);

            let mut copy = ptr::null_mut();
            check(unsafe { faissx_clone_index(p, &mut copy) });
            let copy = Index::from_new(0, copy);
            rec.made(copy.ptr());
            copy.add(&xq);
            rec.num("clone grows", copy.ntotal() as i64);
            rec.num("original unchanged by the clone", index.ntotal() as i64);
            rec.knn("clone search", copy.search(&xq, K));

            // Writes through the handle must refresh the copies it lent out.
            rec.num("removed by range", remove(&index, &Selector::range(0, 100)));
            rec.getters("after remove", &index);
            rec.floats("xb after remove", &xb_of(&index));
            rec.floats("reconstruct 17 after remove", &index.reconstruct(17));
            rec.knn("search after remove", index.search(&xq, K));

            let other = flat_with(D, metric);
            other.add(&xq);
            rec.num("merge_from", unsafe {
                faissx_Index_merge_from(p, other.ptr(), 0)
            });
            rec.num("merged ntotal", index.ntotal() as i64);
            rec.num("merged-from ntotal", other.ntotal() as i64);
            rec.knn("search after merge", index.search(&xq, K));

            check(unsafe { faissx_Index_reset(p) });
            rec.getters("after reset", &index);
            rec.floats("xb after reset", &xb_of(&index));
            let (_, labels) = index.search(&xq, K);
            rec.exact("search after reset", labels);
        }
    });
}

fn flat_scans_of_every_query_count() {
    // The server scans flat indexes for fewer than 20 queries through its own tiles of
    // several pairs at once: they must give FAISS's bits for every dimension, query count,
    // metric and k (dimensions that are not a multiple of 8 take FAISS's function).
    let flags = option_env!("CXXFLAGS").unwrap_or("");
    if flags.contains("-mavx2") && flags.contains("-mfma") {
        assert_eq!(
            unsafe { faissx::local::shim::faissx_shim_flat_tiles_match() },
            1,
            "an AVX2/FMA build whose tiles do not give FAISS's bits"
        );
    }
    parity(|r| {
        let mut rng = Rng::new(77);
        for (d, metric) in [
            (8, METRIC_L2),
            (128, METRIC_L2),
            (136, METRIC_INNER_PRODUCT),
            (100, METRIC_L2),
        ] {
            let index = flat_with(d, metric);
            r.made(index.ptr());
            let stored = clustered(&mut rng, 700, d, 10);
            index.add(&stored);
            for n in [1, 2, 3, 4, 5, 7, 8, 9, 19] {
                let queries = clustered(&mut rng, n, d, 10);
                for k in [1, 7, 100] {
                    r.knn(
                        &format!("d {d} metric {metric} n {n} k {k}"),
                        index.search(&queries, k),
                    );
                }
            }
        }
        // Larger than the caches (8.7 MB): the server's threads split its rows among them,
        // through tiles of 4, 3 and 2 queries and single queries left over. Every vector is
        // stored twice, so that results tie and must be broken as FAISS breaks them.
        for metric in [METRIC_L2, METRIC_INNER_PRODUCT] {
            let index = flat_with(128, metric);
            let stored = clustered(&mut rng, 8_500, 128, 50);
            index.add(&stored);
            index.add(&stored);
            for n in [1, 2, 3, 4, 5, 6, 7, 9, 19] {
                let queries = clustered(&mut rng, n, 128, 50);
                for k in [1, 7, 100] {
                    r.knn(
                        &format!("17000 stored, metric {metric}, n {n}, k {k}"),
                        index.search(&queries, k),
                    );
                }
            }
        }
        // 300 000 vectors of d = 8 (9.6 MB): a table holds 13 queries' distances, so 19
        // queries are scanned as two tables.
        let index = flat_with(8, METRIC_L2);
        index.add(&clustered(&mut rng, 300_000, 8, 50));
        for n in [13, 14, 19] {
            let queries = clustered(&mut rng, n, 8, 50);
            for k in [1, 7] {
                r.knn(
                    &format!("300000 stored, d 8, n {n}, k {k}"),
                    index.search(&queries, k),
                );
            }
        }
    });
}

fn batches_split_into_chunks_search_as_one_batch() {
    // A remote search travels in chunks of a few MB. FAISS answers fewer than 20 queries on
    // another path than a batch (no BLAS), whose last bits differ: no chunk may be smaller
    // than that unless the whole batch is. The shapes are ones whose plain split into 4 MB
    // chunks left a tail of 5 queries.
    parity(|rec| {
        let mut rng = Rng::new(77);
        let d = 128;
        let xb = clustered(&mut rng, 3000, d, 30);
        for metric in [METRIC_L2, METRIC_INNER_PRODUCT] {
            let index = flat_with(d, metric);
            index.add(&xb);
            for (nq, k) in [(340, 1000), (6641, 10), (5000, 1000), (19, 7), (20, 7)] {
                let xq = clustered(&mut rng, nq, d, 30);
                rec.knn(
                    &format!("metric {metric}, nq {nq}, k {k}"),
                    index.search(&xq, k),
                );
            }
        }
    });
}

fn ivf_flat_with_parameters_and_selectors() {
    parity(|rec| {
        let (xb, xq) = data();
        let quantizer = flat_with(D, METRIC_L2);
        let mut p = ptr::null_mut();
        let ivf = Index::from_new(
            unsafe { faissx_IndexIVFFlat_new_with(&mut p, quantizer.ptr(), D, NLIST) },
            p,
        );
        rec.made(ivf.ptr());
        rec.getters("untrained", &ivf);
        rec.num("add before training", unsafe {
            faissx_Index_add(ivf.ptr(), NB as idx_t, xb.as_ptr())
        });
        ivf.train(&xb);
        rec.getters("trained", &ivf);
        rec.num("quantizer ntotal after training", quantizer.ntotal() as i64);
        ivf.add(&xb);
        rec.getters("filled", &ivf);
        let v = ivf.ptr();
        unsafe {
            rec.num("nlist", faissx_IndexIVF_nlist(v) as i64);
            rec.num("default nprobe", faissx_IndexIVF_nprobe(v) as i64);
            rec.knn("nprobe 1", ivf.search(&xq, K));
            faissx_IndexIVF_set_nprobe(v, 3);
            rec.num("nprobe", faissx_IndexIVF_nprobe(v) as i64);
            rec.knn("nprobe 3", ivf.search(&xq, K));

            rec.flag("IndexIVF cast", is_same(faissx_IndexIVF_cast(v), v));
            rec.flag("IndexIVFFlat cast", is_same(faissx_IndexIVFFlat_cast(v), v));
            rec.flag(
                "IndexFlatL2 cast of an IVF is NULL",
                faissx_IndexFlatL2_cast(v).is_null(),
            );
            rec.flag(
                "IndexFlat cast of an IVF is NULL",
                faissx_IndexFlat_cast(v).is_null(),
            );
            rec.flag(
                "IndexIVFPQ cast of an IVFFlat is NULL",
                faissx_IndexIVFPQ_cast(v).is_null(),
            );

            let q = faissx_IndexIVF_quantizer(v);
            assert!(!q.is_null(), "quantizer: {}", last_error());
            rec.num("quantizer() ntotal", faissx_Index_ntotal(q));
            rec.num("quantizer() d", faissx_Index_d(q));
            rec.num(
                "quantizer_trains_alone",
                faissx_IndexIVF_quantizer_trains_alone(v),
            );

            let sizes: Vec<i64> = (0..NLIST)
                .map(|l| faissx_IndexIVF_get_list_size(v, l) as i64)
                .collect();
            assert_eq!(sizes.iter().sum::<i64>(), NB as i64);
            rec.exact("list sizes", sizes.clone());
            for (list, &size) in sizes.iter().enumerate() {
                let mut ids = vec![-7; size as usize];
                faissx_IndexIVF_invlists_get_ids(v, list, ids.as_mut_ptr());
                rec.exact(&format!("list {list} ids"), ids);
            }
            rec.floats(
                "imbalance factor",
                &[faissx_IndexIVF_imbalance_factor(v) as f32],
            );
            rec.num(
                "size of a list past nlist",
                faissx_IndexIVF_get_list_size(v, NLIST + 3) as i64,
            );
            expect_message(&["out of range"]);
        }
        rec.range("range search", ivf.range_search(&xq, 0.02));
        rec.exact("assign", assign(&ivf, &xq, 2));

        // Per-search parameters travel with the search and change nothing on the index.
        let range = Selector::range(200, 700);
        let params = ivf_params(Some(&range), NLIST);
        let found = ivf.search_with_params(&xq, K, params.0.cast());
        assert!(found.1.iter().all(|&l| l == -1 || (200..700).contains(&l)));
        rec.knn("selector range, every list", found);
        // FAISS's IVF rejects parameters that are not SearchParametersIVF; so must the server.
        let batch = Selector::batch(&(0..NB as idx_t).step_by(3).collect::<Vec<_>>());
        let generic = generic_params(&batch);
        let (mut dis, mut lab) = (vec![0f32; NQ * K], vec![0 as idx_t; NQ * K]);
        rec.num("generic parameters on an IVF", unsafe {
            faissx_Index_search_with_params(
                ivf.ptr(),
                NQ as idx_t,
                xq.as_ptr(),
                K as idx_t,
                generic.0,
                dis.as_mut_ptr(),
                lab.as_mut_ptr(),
            )
        });
        rec.num(
            "nprobe untouched by parameters",
            unsafe { faissx_IndexIVF_nprobe(ivf.ptr()) } as i64,
        );

        set_parameter(&ivf, "nprobe", 5.0);
        rec.num(
            "nprobe via ParameterSpace",
            unsafe { faissx_IndexIVF_nprobe(ivf.ptr()) } as i64,
        );
        rec.knn("nprobe 5", ivf.search(&xq, K));
        set_parameters(&ivf, "nprobe=2");
        rec.num(
            "nprobe via parameter string",
            unsafe { faissx_IndexIVF_nprobe(ivf.ptr()) } as i64,
        );
        rec.knn("nprobe 2", ivf.search(&xq, K));

        check(unsafe { faissx_IndexIVF_make_direct_map(ivf.ptr(), 1) });
        rec.floats("reconstruct 123", &ivf.reconstruct(123));

        // A second IVF over the same (trained) quantizer, merged into the first.
        let mut p = ptr::null_mut();
        let other = Index::from_new(
            unsafe { faissx_IndexIVFFlat_new_with(&mut p, quantizer.ptr(), D, NLIST) },
            p,
        );
        rec.getters("second IVF", &other);
        other.add(&xq);
        check(unsafe { faissx_IndexIVF_make_direct_map(ivf.ptr(), 0) });
        rec.num("IVF merge_from", unsafe {
            faissx_IndexIVF_merge_from(ivf.ptr(), other.ptr(), NB as idx_t)
        });
        rec.num("merged ntotal", ivf.ntotal() as i64);
        rec.num("merged-from ntotal", other.ntotal() as i64);
        unsafe { faissx_IndexIVF_set_nprobe(ivf.ptr(), NLIST) };
        rec.knn("after merge", ivf.search(&xq, K));

        rec.num(
            "removed",
            remove(&ivf, &Selector::batch(&[3, 4, 5, 999, 5000])),
        );
        rec.knn("after remove", ivf.search(&xq, K));
        check(unsafe { faissx_Index_reset(ivf.ptr()) });
        rec.getters("after reset", &ivf);
    });
}

fn quantized_indexes() {
    parity(|rec| {
        let (xb, xq) = data();
        let quantizer = flat_with(D, METRIC_L2);
        let mut built: Vec<(&str, Index)> = Vec::new();
        unsafe {
            let mut p = ptr::null_mut();
            check(faissx_IndexIVFScalarQuantizer_new_with(
                &mut p,
                quantizer.ptr(),
                D as idx_t,
                NLIST,
                QT_8bit,
            ));
            built.push(("IVFSQ8", Index::from_new(0, p)));
            let mut p = ptr::null_mut();
            check(faissx_IndexIVFPQ_new_with(
                &mut p,
                quantizer.ptr(),
                D,
                NLIST,
                4,
                4,
            ));
            built.push(("IVFPQ4x4", Index::from_new(0, p)));
            let mut p = ptr::null_mut();
            check(faissx_IndexPQ_new_with(&mut p, D as c_int, 4, 4, METRIC_L2));
            built.push(("PQ4x4", Index::from_new(0, p)));
            let mut p = ptr::null_mut();
            check(faissx_IndexScalarQuantizer_new_with(
                &mut p, D as idx_t, QT_8bit, METRIC_L2,
            ));
            built.push(("SQ8", Index::from_new(0, p)));
            let mut p = ptr::null_mut();
            check(faissx_IndexScalarQuantizer_new_with(
                &mut p,
                D as idx_t,
                QT_fp16,
                METRIC_INNER_PRODUCT,
            ));
            built.push(("SQfp16 IP", Index::from_new(0, p)));
        }
        for (name, index) in &built {
            rec.made(index.ptr());
            rec.getters(name, index);
            index.train(&xb);
            index.add(&xb);
            rec.getters(&format!("{name} filled"), index);
            let p = index.ptr();
            unsafe {
                if !faissx_IndexIVF_cast(p).is_null() {
                    faissx_IndexIVF_set_nprobe(p, 4);
                    rec.num(&format!("{name} nprobe"), faissx_IndexIVF_nprobe(p) as i64);
                }
                let mut code_size = 0usize;
                check(faissx_Index_sa_code_size(p, &mut code_size));
                rec.num(&format!("{name} sa_code_size"), code_size as i64);
                rec.flag(
                    &format!("{name} is IVFSQ"),
                    is_same(faissx_IndexIVFScalarQuantizer_cast(p), p),
                );
                rec.flag(
                    &format!("{name} is IVFPQ"),
                    is_same(faissx_IndexIVFPQ_cast(p), p),
                );
                rec.flag(&format!("{name} is PQ"), is_same(faissx_IndexPQ_cast(p), p));
                rec.flag(
                    &format!("{name} is SQ"),
                    is_same(faissx_IndexScalarQuantizer_cast(p), p),
                );
                if !faissx_IndexPQ_cast(p).is_null() {
                    rec.num("PQ M", faissx_IndexPQ_M(p) as i64);
                    rec.num("PQ nbits", faissx_IndexPQ_nbits(p) as i64);
                }
                if !faissx_IndexIVFPQ_cast(p).is_null() {
                    rec.num("IVFPQ M", faissx_IndexIVFPQ_M(p) as i64);
                    rec.num("IVFPQ nbits", faissx_IndexIVFPQ_nbits(p) as i64);
                }
                if faissx_IndexIVF_cast(p).is_null() {
                    rec.floats(&format!("{name} reconstruct 9"), &index.reconstruct(9));
                }
            }
            rec.knn(name, index.search(&xq, K));
        }
    });
}

/// Factory-made indexes trained and filled in local mode (IDMaps with ids 0, 7, 14, ...), as
/// FAISS files: graph builds differ from run to run, so both modes load the same ones.
fn built_locally(descriptions: &[&str]) -> Vec<Vec<u8>> {
    let _serial = exclusive();
    local_mode();
    let (xb, _) = data();
    descriptions
        .iter()
        .map(|description| {
            let index = Index::factory(D, description, METRIC_L2);
            index.train(&xb);
            if description.starts_with("IDMap") {
                let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 7 * i).collect();
                index.add_with_ids(&xb, &ids);
            } else {
                index.add(&xb);
            }
            index.to_bytes()
        })
        .collect()
}

fn search_parameters_reach_the_index_inside_wrappers() {
    // FAISS hands an IDMap's or a PreTransform's parameters on to the index inside, with their
    // class: nprobe and efSearch given to the wrapper apply to the IVF or HNSW it wraps.
    let descriptions = [
        "IDMap,IVF8,Flat",
        "IDMap2,IVF8,Flat",
        "PCA8,IVF8,Flat",
        "IDMap,HNSW16",
        "PCA8,HNSW16",
    ];
    // HNSW's parallel construction differs run to run: build once, compare searches on it.
    let built = built_locally(&descriptions);
    parity(|rec| {
        let (_, xq) = data();
        for (description, bytes) in descriptions.iter().zip(&built) {
            let index = Index::from_bytes(bytes);
            rec.made(index.ptr());
            let what = |s: &str| format!("{description}: {s}");
            rec.knn(&what("own settings"), index.search(&xq, K));
            if description.contains("IVF") {
                for nprobe in [1, NLIST] {
                    let params = ivf_params(None, nprobe);
                    let found = index.search_with_params(&xq, K, params.0);
                    rec.knn(&what(&format!("nprobe {nprobe}")), found);
                }
            } else {
                for ef in [1, 64] {
                    let mut p = ptr::null_mut();
                    check(unsafe {
                        faissx_SearchParametersHNSW_new_with(&mut p, ptr::null_mut(), ef)
                    });
                    let params = Params(p.cast());
                    let found = index.search_with_params(&xq, 50, params.0);
                    rec.knn(&what(&format!("efSearch {ef}")), found);
                }
            }
            // Parameters of the other family: refused by an IVF, ignored by the others.
            let selector = Selector::range(0, 7 * 500);
            let generic = generic_params(&selector);
            let mut labels = vec![0; NQ * K];
            let mut distances = vec![0f32; NQ * K];
            rec.num(&what("generic parameters"), unsafe {
                faissx_Index_search_with_params(
                    index.ptr(),
                    NQ as idx_t,
                    xq.as_ptr(),
                    K as idx_t,
                    generic.0,
                    distances.as_mut_ptr(),
                    labels.as_mut_ptr(),
                )
            });
        }
    });
}

fn parameter_space_on_wrapped_indexes_and_malformed_strings() {
    // ParameterSpace walks into IDMaps, PreTransforms and IVF quantizers as FAISS does, and
    // parses "name=value" lists FAISS's way, applying the settings before a malformed one.
    let descriptions = [
        "IVF8,Flat",
        "IDMap,IVF8,Flat",
        "PCA8,IVF8,Flat",
        "IDMap,HNSW16",
        "IVF8_HNSW8,Flat",
    ];
    let built = built_locally(&descriptions);
    parity(|rec| {
        let (_, xq) = data();
        let space = parameter_space();
        for (description, bytes) in descriptions.iter().zip(&built) {
            let index = Index::from_bytes(bytes);
            let what = |s: &str| format!("{description}: {s}");
            for (name, value) in [
                ("nprobe", 3.0),
                ("max_codes", 50.0),
                ("efSearch", 2.0),
                ("efConstruction", 20.0),
                ("quantizer_efSearch", 1.0),
                ("verbose", 0.0),
                ("k_factor_rf", 2.0),
                ("no_such_parameter", 1.0),
            ] {
                let c_name = cstr(name);
                rec.num(&what(&format!("set {name}")), unsafe {
                    faissx_ParameterSpace_set_index_parameter(
                        space,
                        index.ptr(),
                        c_name.as_ptr(),
                        value,
                    )
                });
                rec.knn(&what(&format!("search after {name}")), index.search(&xq, K));
            }
            for setting in [
                "nprobe=2",
                "nprobe=5 max_codes=0",
                "nprobe=4,,max_codes=0",
                "nprobe=1e0",
                "nprobe=6x",
                "nprobe",
                "nprobe=",
                "=3",
                "nprobe=7,bogus=1",
                "nprobe=8,bogus",
                "",
            ] {
                let c_setting = cstr(setting);
                rec.num(&what(&format!("set '{setting}'")), unsafe {
                    faissx_ParameterSpace_set_index_parameters(
                        space,
                        index.ptr(),
                        c_setting.as_ptr(),
                    )
                });
                rec.knn(
                    &what(&format!("search after '{setting}'")),
                    index.search(&xq, K),
                );
            }
            rec.num(&what("verbose"), unsafe {
                faissx_Index_verbose(index.ptr())
            });
        }
        unsafe { faissx_ParameterSpace_free(space) };
    });
}

fn sub_indexes_are_the_indexes_composites_were_built_over() {
    // FAISS hands back the very index a composite was built over, which sees every write made
    // through the composite.
    parity(|rec| {
        let (xb, xq) = data();
        let flat = flat_with(D, METRIC_L2);
        let mut p = ptr::null_mut();
        let map = Index::from_new(unsafe { faissx_IndexIDMap_new(&mut p, flat.ptr()) }, p);
        let sub = unsafe { faissx_IndexIDMap_sub_index(map.ptr()) };
        rec.flag("IDMap: sub_index is the wrapped index", sub == flat.ptr());
        let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 5 * i).collect();
        map.add_with_ids(&xb, &ids);
        let sub = Index::borrowed(unsafe { faissx_IndexIDMap_sub_index(map.ptr()) });
        rec.num("IDMap: sub_index after the add", sub.ntotal() as i64);
        rec.knn("IDMap: search of the sub_index", sub.search(&xq, K));

        let quantizer = flat_with(D, METRIC_L2);
        let mut p = ptr::null_mut();
        let ivf = Index::from_new(
            unsafe { faissx_IndexIVFFlat_new_with(&mut p, quantizer.ptr(), D, NLIST) },
            p.cast(),
        );
        let q = unsafe { faissx_IndexIVF_quantizer(ivf.ptr().cast()) };
        rec.flag("IVF: quantizer is the one given", q == quantizer.ptr());
        ivf.train(&xb);
        rec.num("IVF: quantizer after training", quantizer.ntotal() as i64);
        rec.floats("IVF: centroids", &reconstruct_n(&quantizer, 0, NLIST));
    });
}

fn a_remote_ivf_trains_the_callers_local_quantizer() {
    // Handles made before faissx_configure stay local; an IVF created remotely over such a
    // quantizer trains it as FAISS would.
    let _serial = exclusive();
    let (xb, xq) = data();
    let run = |server: Option<&str>| {
        local_mode();
        let quantizer = flat_with(D, METRIC_L2);
        if let Some(endpoint) = server {
            configure(Some(endpoint), None, None);
        }
        let mut p = ptr::null_mut();
        let ivf = Index::from_new(
            unsafe { faissx_IndexIVFFlat_new_with(&mut p, quantizer.ptr(), D, NLIST) },
            p.cast(),
        );
        assert_eq!(is_remote(ivf.ptr().cast()), server.is_some());
        assert!(!is_remote(quantizer.ptr().cast()));
        ivf.train(&xb);
        ivf.add(&xb);
        let centroids = reconstruct_n(&quantizer, 0, quantizer.ntotal());
        let found = ivf.search(&xq, K);
        drop(ivf);
        local_mode();
        (centroids, found)
    };
    let local = run(None);
    let server = Server::start(&["--log-level", "warn"]);
    let remote = run(Some(&server.endpoint));
    assert_eq!(
        local.0.len(),
        NLIST * D,
        "the quantizer holds the centroids"
    );
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&local.0), bits(&remote.0), "centroids");
    assert_eq!(local.1 .1, remote.1 .1, "labels");
    assert_eq!(bits(&local.1 .0), bits(&remote.1 .0), "distances");
}

fn codes_residuals_and_preassigned_searches() {
    // Functions that used to need FAISS's object in the caller's process.
    parity(|rec| {
        let (xb, xq) = data();
        // 4-bit PQ codes: 16 centroids per sub-quantizer train in milliseconds.
        for description in ["SQ8", "PQ4x4", "IVF8,Flat", "IVF8,PQ4x4", "PCA8,IVF8,SQ8"] {
            let index = Index::factory(D, description, METRIC_L2);
            index.train(&xb);
            index.add(&xb);
            let what = |s: &str| format!("{description}: {s}");
            let p = index.ptr();
            let mut code_size = 0usize;
            check(unsafe { faissx_Index_sa_code_size(p, &mut code_size) });
            rec.num(&what("sa_code_size"), code_size as i64);
            let mut codes = vec![0u8; NQ * code_size];
            check(unsafe {
                faissx_Index_sa_encode(p, NQ as idx_t, xq.as_ptr(), codes.as_mut_ptr())
            });
            rec.exact(&what("codes"), codes.iter().map(|&b| i64::from(b)));
            let mut decoded = vec![0f32; NQ * D];
            check(unsafe {
                faissx_Index_sa_decode(p, NQ as idx_t, codes.as_ptr(), decoded.as_mut_ptr())
            });
            rec.floats(&what("decoded"), &decoded);
            let keys: Vec<idx_t> = (0..NQ as idx_t).map(|i| 3 * i).collect();
            let mut residuals = vec![0f32; NQ * D];
            rec.num(&what("compute_residual_n"), unsafe {
                faissx_Index_compute_residual_n(
                    p,
                    NQ as idx_t,
                    xq.as_ptr(),
                    residuals.as_mut_ptr(),
                    keys.as_ptr(),
                )
            });
            rec.floats(&what("residuals"), &residuals);
            let ivf = unsafe { faissx_IndexIVF_cast(p) };
            if ivf.is_null() {
                continue;
            }
            // The coarse assignment a caller makes itself, then the search in those lists.
            let nprobe = 3;
            unsafe { faissx_IndexIVF_set_nprobe(ivf, nprobe) };
            let quantizer = Index::borrowed(unsafe { faissx_IndexIVF_quantizer(ivf) });
            let (coarse, lists) = quantizer.search(&xq, nprobe);
            for store_pairs in [0, 1] {
                let (mut distances, mut labels) = (vec![0f32; NQ * K], vec![0 as idx_t; NQ * K]);
                check(unsafe {
                    faissx_IndexIVF_search_preassigned(
                        ivf,
                        NQ as idx_t,
                        xq.as_ptr(),
                        K as idx_t,
                        lists.as_ptr(),
                        coarse.as_ptr(),
                        distances.as_mut_ptr(),
                        labels.as_mut_ptr(),
                        store_pairs,
                    )
                });
                rec.knn(
                    &what(&format!("search_preassigned, store_pairs {store_pairs}")),
                    (distances, labels),
                );
            }
            // A list the index does not have is refused, not read.
            let mut bad = lists.clone();
            bad[4] = NLIST as idx_t + 7;
            let (mut distances, mut labels) = (vec![0f32; NQ * K], vec![0 as idx_t; NQ * K]);
            rec.num(&what("search_preassigned of a list past nlist"), unsafe {
                faissx_IndexIVF_search_preassigned(
                    ivf,
                    NQ as idx_t,
                    xq.as_ptr(),
                    K as idx_t,
                    bad.as_ptr(),
                    coarse.as_ptr(),
                    distances.as_mut_ptr(),
                    labels.as_mut_ptr(),
                    0,
                )
            });
            // Codes naming a list past nlist are refused too.
            if !description.starts_with("PCA") {
                let mut forged = codes.clone();
                forged[0] = 0xff;
                rec.num(
                    &what("sa_decode of a code naming a list past nlist"),
                    unsafe {
                        faissx_Index_sa_decode(
                            p,
                            NQ as idx_t,
                            forged.as_ptr(),
                            decoded.as_mut_ptr(),
                        )
                    },
                );
            }
        }
    });
}

fn flat_1d_indexes() {
    parity(|rec| {
        let mut rng = Rng::new(31);
        let xb = rng.vectors(500, 1);
        let xq = rng.vectors(NQ, 1);
        for continuous_update in [1, 0] {
            let mut p = ptr::null_mut();
            let index = Index::from_new(
                unsafe { faissx_IndexFlat1D_new_with(&mut p, continuous_update) },
                p.cast(),
            );
            rec.made(index.ptr());
            rec.flag("Flat1D cast", unsafe {
                is_same(faissx_IndexFlat1D_cast(index.ptr()), index.ptr())
            });
            index.add(&xb);
            if continuous_update == 0 {
                // FAISS refuses to search a permutation that is out of date.
                let (mut distances, mut labels) = (vec![0f32; NQ * K], vec![0 as idx_t; NQ * K]);
                rec.num("search before update_permutation", unsafe {
                    faissx_Index_search(
                        index.ptr(),
                        NQ as idx_t,
                        xq.as_ptr(),
                        K as idx_t,
                        distances.as_mut_ptr(),
                        labels.as_mut_ptr(),
                    )
                });
                check(unsafe { faissx_IndexFlat1D_update_permutation(index.ptr().cast()) });
            }
            rec.knn(
                &format!("continuous_update {continuous_update}"),
                index.search(&xq, K),
            );
        }
    });
}

fn pre_transforms_built_around_an_index() {
    parity(|rec| {
        let (xb, xq) = data();
        let flat = flat_with(D / 2, METRIC_L2);
        let mut p = ptr::null_mut();
        let index = Index::from_new(
            unsafe { faissx_IndexPreTransform_new_with(&mut p, flat.ptr()) },
            p.cast(),
        );
        rec.made(index.ptr());
        rec.getters("no transform yet", &index);
        let (mut rotation, mut wrong) = (ptr::null_mut(), ptr::null_mut());
        check(unsafe {
            faissx_RandomRotationMatrix_new_with(&mut rotation, D as c_int, D as c_int / 2)
        });
        check(unsafe { faissx_RandomRotationMatrix_new_with(&mut wrong, D as c_int, D as c_int) });
        // FAISS's own check: the transform must feed the index's dimension.
        rec.num("prepend a transform of the wrong dimension", unsafe {
            faissx_IndexPreTransform_prepend_transform(index.ptr().cast(), wrong.cast())
        });
        check(unsafe {
            faissx_IndexPreTransform_prepend_transform(index.ptr().cast(), rotation.cast())
        });
        rec.getters("with a rotation", &index);
        index.train(&xb);
        index.add(&xb);
        rec.getters("filled", &index);
        rec.num("the wrapped index grew", flat.ntotal() as i64);
        rec.knn("search", index.search(&xq, K));
        drop(index);
        unsafe {
            faissx_VectorTransform_free(rotation.cast());
            faissx_VectorTransform_free(wrong.cast());
        }
    });
}

fn id_maps_with_selectors() {
    parity(|rec| {
        let (xb, xq) = data();
        let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| 10_000 + 3 * i).collect();
        for two_way in [false, true] {
            let flat = flat_with(D, METRIC_L2);
            let mut p = ptr::null_mut();
            let rc = unsafe {
                if two_way {
                    faissx_IndexIDMap2_new(&mut p, flat.ptr())
                } else {
                    faissx_IndexIDMap_new(&mut p, flat.ptr())
                }
            };
            let map = Index::from_new(rc, p);
            rec.made(map.ptr());
            let m = map.ptr();
            rec.num("add without ids", unsafe {
                faissx_Index_add(m, NB as idx_t, xb.as_ptr())
            });
            map.add_with_ids(&xb, &ids);
            rec.getters("filled", &map);
            let found = map.search(&xq, K);
            assert!(found.1.iter().all(|l| ids.contains(l)));
            rec.knn("search", found);
            unsafe {
                rec.flag("IDMap cast", is_same(faissx_IndexIDMap_cast(m), m));
                rec.flag(
                    "Flat cast of an IDMap is NULL",
                    faissx_IndexFlat_cast(m).is_null(),
                );
                let sub = faissx_IndexIDMap_sub_index(m);
                assert!(!sub.is_null(), "sub_index: {}", last_error());
                rec.num("sub_index ntotal", faissx_Index_ntotal(sub));
            }
            rec.num("the wrapped flat index grew", flat.ntotal() as i64);
            let id_map = || {
                let (mut p, mut n) = (ptr::null_mut(), 0usize);
                unsafe { faissx_IndexIDMap_id_map(m, &mut p, &mut n) };
                unsafe { std::slice::from_raw_parts(p, n) }.to_vec()
            };
            assert_eq!(id_map(), ids);
            rec.exact("id_map", id_map());

            let batch = Selector::batch(&[ids[0], ids[5], 777]);
            rec.num("removed by Batch", remove(&map, &batch));
            rec.num(
                "removed by Range",
                remove(&map, &Selector::range(ids[100], ids[200])),
            );
            let low = Selector::range(0, ids[900]);
            rec.num("removed by Not(Range)", remove(&map, &not(&low)));
            let band = Selector::range(ids[300], ids[400]);
            let odd: Vec<idx_t> = ids.iter().copied().filter(|i| i % 2 == 1).collect();
            rec.num(
                "removed by And(Range, Batch)",
                remove(&map, &and(&band, &Selector::batch(&odd))),
            );
            // Combinators borrow their operands, as in FAISS.
            let (few, pair) = (
                Selector::range(ids[500], ids[510]),
                Selector::batch(&[ids[600], ids[601]]),
            );
            rec.num("removed by Or", remove(&map, &or(&few, &pair)));
            rec.getters("after removals", &map);
            rec.exact("id_map after removals", id_map());
            rec.knn("search after removals", map.search(&xq, K));
            if two_way {
                rec.floats("reconstruct by id", &map.reconstruct(ids[450]));
                rec.num("reconstruct a removed id", unsafe {
                    faissx_Index_reconstruct(m, ids[0], vec![0f32; D].as_mut_ptr())
                });
            }
            drop(map);
        }
    });
}

fn hnsw_built_locally_searches_the_same_remotely() {
    let (xb, _) = data();
    // HNSW's parallel construction differs run to run: build once, compare searches on it.
    let bytes = {
        let _serial = exclusive();
        local_mode();
        let mut p = ptr::null_mut();
        let index = Index::from_new(
            unsafe { faissx_IndexHNSWFlat_new_with(&mut p, D as c_int, 16) },
            p,
        );
        index.add(&xb);
        index.to_bytes()
    };
    parity(|rec| {
        let (_, xq) = data();
        let index = Index::from_bytes(&bytes);
        rec.made(index.ptr());
        rec.getters("loaded", &index);
        let p = index.ptr();
        unsafe {
            rec.flag("HNSW cast", is_same(faissx_IndexHNSW_cast(p), p));
            rec.flag("HNSWFlat cast", is_same(faissx_IndexHNSWFlat_cast(p), p));
            rec.flag("IVF cast is NULL", faissx_IndexIVF_cast(p).is_null());
            rec.num("M", faissx_IndexHNSW_M(p));
            rec.num("efSearch", faissx_IndexHNSW_efSearch(p));
            rec.num("efConstruction", faissx_IndexHNSW_efConstruction(p));
        }
        rec.knn("default efSearch", index.search(&xq, K));
        unsafe { faissx_IndexHNSW_set_efSearch(p, 64) };
        rec.num("efSearch set", unsafe { faissx_IndexHNSW_efSearch(p) });
        rec.knn("efSearch 64", index.search(&xq, K));
        set_parameter(&index, "efSearch", 8.0);
        rec.num("efSearch via ParameterSpace", unsafe {
            faissx_IndexHNSW_efSearch(p)
        });
        rec.knn("efSearch 8", index.search(&xq, K));

        let range = Selector::range(100, 900);
        let mut params = ptr::null_mut();
        check(unsafe { faissx_SearchParametersHNSW_new_with(&mut params, range.0, 32) });
        let params = Params(params.cast());
        let found = index.search_with_params(&xq, K, params.0);
        assert!(found.1.iter().all(|&l| l == -1 || (100..900).contains(&l)));
        rec.knn("HNSW parameters with a selector", found);
        let ivf = ivf_params(None, 4);
        let (mut dis, mut lab) = (vec![0f32; NQ * K], vec![0 as idx_t; NQ * K]);
        rec.num("IVF parameters on an HNSW index", unsafe {
            faissx_Index_search_with_params(
                p,
                NQ as idx_t,
                xq.as_ptr(),
                K as idx_t,
                ivf.0.cast(),
                dis.as_mut_ptr(),
                lab.as_mut_ptr(),
            )
        });
        rec.range("range search", index.range_search(&xq, 0.02));
        rec.floats("reconstruct", &index.reconstruct(321));
    });
}

fn factory_strings() {
    parity(|rec| {
        let (xb, xq) = data();
        let ids: Vec<idx_t> = (0..NB as idx_t).map(|i| i * 2 + 1).collect();
        for (description, metric) in [
            ("Flat", METRIC_L2),
            ("Flat", METRIC_INNER_PRODUCT),
            ("IVF8,Flat", METRIC_L2),
            ("IVF8,SQ8", METRIC_INNER_PRODUCT),
            ("IVF8,PQ4x4", METRIC_L2),
            ("PQ4x4", METRIC_L2),
            ("SQ8", METRIC_L2),
            ("IDMap,Flat", METRIC_L2),
            ("PCA8,Flat", METRIC_L2),
            ("LSH", METRIC_L2),
        ] {
            let index = Index::factory(D, description, metric);
            rec.made(index.ptr());
            rec.getters(description, &index);
            index.train(&xb);
            if description.starts_with("IDMap") {
                index.add_with_ids(&xb, &ids);
            } else {
                index.add(&xb);
            }
            if description.starts_with("IVF") {
                set_parameter(&index, "nprobe", 3.0);
            }
            rec.getters(&format!("{description} filled"), &index);
            rec.knn(description, index.search(&xq, K));
        }
        let mut p = ptr::null_mut();
        let desc = cstr("NoSuchIndex42");
        rec.num("unknown factory string", unsafe {
            faissx::ffi::index_factory::faissx_index_factory(
                &mut p,
                D as c_int,
                desc.as_ptr(),
                METRIC_L2,
            )
        });
        assert!(p.is_null());
    });
}

fn binary_indexes() {
    const DB: usize = 64;
    parity(|rec| {
        let mut rng = Rng::new(77);
        let codes = rng.bytes(NB * DB / 8);
        let queries = codes[..NQ * DB / 8].to_vec();
        let mut p = ptr::null_mut();
        let flat = BinaryIndex::from_new(
            unsafe { faissx_IndexBinaryFlat_new_with(&mut p, DB as idx_t) },
            p,
        );
        rec.made(flat.ptr());
        flat.add(&codes);
        let f = flat.ptr();
        unsafe {
            rec.num("d", faissx_IndexBinary_d(f));
            rec.num("ntotal", faissx_IndexBinary_ntotal(f));
            rec.num("is_trained", faissx_IndexBinary_is_trained(f));
            rec.flag(
                "BinaryFlat cast",
                is_same(faissx_IndexBinaryFlat_cast(f), f),
            );
            rec.flag(
                "BinaryIVF cast is NULL",
                faissx_IndexBinaryIVF_cast(f).is_null(),
            );
        }
        let (distances, labels) = flat.search(&queries, K);
        assert_eq!(&labels[..1], &[0]);
        rec.exact("flat distances", distances.iter().map(|&d| d as i64));
        rec.exact("flat labels", labels);
        let result = RangeResult::new(NQ);
        check(unsafe {
            faissx_IndexBinary_range_search(f, NQ as idx_t, queries.as_ptr(), 26, result.0)
        });
        let hits = result.per_query();
        rec.exact("range counts", hits.iter().map(|h| h.len() as i64));
        rec.exact("range labels", hits.iter().flatten().map(|h| h.0));
        rec.exact("range distances", hits.iter().flatten().map(|h| h.1 as i64));
        let mut labels = vec![-7; NQ * 2];
        check(unsafe {
            faissx_IndexBinary_assign(f, NQ as idx_t, queries.as_ptr(), labels.as_mut_ptr(), 2)
        });
        rec.exact("assign", labels);
        let mut code = vec![0u8; DB / 8 * 3];
        check(unsafe { faissx_IndexBinary_reconstruct_n(f, 40, 3, code.as_mut_ptr()) });
        rec.exact("reconstruct_n", code.iter().map(|&b| b as i64));
        let mut removed = 0usize;
        check(unsafe { faissx_IndexBinary_remove_ids(f, Selector::range(0, 10).0, &mut removed) });
        rec.num("removed", removed as i64);
        rec.num("ntotal after remove", unsafe {
            faissx_IndexBinary_ntotal(f)
        });

        let mut copy = ptr::null_mut();
        check(unsafe { faissx_clone_index_binary(f, &mut copy) });
        let copy = BinaryIndex::from_new(0, copy);
        rec.made(copy.ptr());
        let (distances, labels) = copy.search(&queries, K);
        rec.exact("clone distances", distances.iter().map(|&d| d as i64));
        rec.exact("clone labels", labels);

        let (mut size, mut buf) = (0usize, ptr::null_mut());
        check(unsafe { faissx_write_index_binary_buf(f, &mut size, &mut buf) });
        let bytes = unsafe { std::slice::from_raw_parts(buf, size) }.to_vec();
        unsafe { faissx_free_buf(&mut buf) };
        rec.exact("serialized", bytes.iter().map(|&b| b as i64));
        let mut read = ptr::null_mut();
        check(unsafe { faissx_read_index_binary_buf(bytes.as_ptr(), bytes.len(), 0, &mut read) });
        let read = BinaryIndex::from_new(0, read);
        rec.made(read.ptr());
        rec.num("read ntotal", unsafe {
            faissx_IndexBinary_ntotal(read.ptr())
        });
        let file = TempFile::new("binary-stdio");
        std::fs::write(file.path(), &bytes).unwrap();
        let read = unsafe {
            let input = libc::fopen(file.c_path().as_ptr(), c"rb".as_ptr());
            assert!(!input.is_null());
            let mut p = ptr::null_mut();
            let rc = faissx_read_index_binary(input, 0, &mut p);
            libc::fclose(input);
            BinaryIndex::from_new(rc, p)
        };
        rec.made(read.ptr());
        let (distances, labels) = read.search(&queries, K);
        rec.exact(
            "read from FILE* distances",
            distances.iter().map(|&d| d as i64),
        );
        rec.exact("read from FILE* labels", labels);
        let (rc, written, calls) =
            write_custom(|w| unsafe { faissx_write_index_binary_custom(f, w) });
        check(rc);
        assert_eq!(written, bytes);
        rec.exact("custom writer calls", calls.iter().map(|&c| c as i64));
        let (rc, p) = read_custom(&written, |r| {
            let mut p = ptr::null_mut();
            (unsafe { faissx_read_index_binary_custom(r, 0, &mut p) }, p)
        });
        let read = BinaryIndex::from_new(rc, p);
        rec.made(read.ptr());
        let (distances, labels) = read.search(&queries, K);
        rec.exact(
            "read from a custom reader distances",
            distances.iter().map(|&d| d as i64),
        );
        rec.exact("read from a custom reader labels", labels);

        let mut p = ptr::null_mut();
        let quantizer = BinaryIndex::from_new(
            unsafe { faissx_IndexBinaryFlat_new_with(&mut p, DB as idx_t) },
            p,
        );
        let mut p = ptr::null_mut();
        let ivf = BinaryIndex::from_new(
            unsafe { faissx_IndexBinaryIVF_new_with(&mut p, quantizer.ptr(), DB, NLIST) },
            p,
        );
        rec.made(ivf.ptr());
        ivf.train(&codes);
        ivf.add(&codes);
        let v = ivf.ptr();
        unsafe {
            faissx_IndexBinaryIVF_set_nprobe(v, 3);
            rec.num("binary nprobe", faissx_IndexBinaryIVF_nprobe(v) as i64);
            rec.num("binary nlist", faissx_IndexBinaryIVF_nlist(v) as i64);
            rec.flag("BinaryIVF cast", is_same(faissx_IndexBinaryIVF_cast(v), v));
            let sizes: Vec<i64> = (0..NLIST)
                .map(|l| faissx_IndexBinaryIVF_get_list_size(v, l) as i64)
                .collect();
            assert_eq!(sizes.iter().sum::<i64>(), NB as i64);
            rec.exact("binary list sizes", sizes);
            let mut ids = vec![-7; faissx_IndexBinaryIVF_get_list_size(v, 1)];
            faissx_IndexBinaryIVF_invlists_get_ids(v, 1, ids.as_mut_ptr());
            rec.exact("binary list 1 ids", ids);
        }
        let (distances, labels) = ivf.search(&queries, K);
        rec.exact("ivf distances", distances.iter().map(|&d| d as i64));
        rec.exact("ivf labels", labels);

        let factory = BinaryIndex::factory(DB, "BIVF4");
        rec.made(factory.ptr());
        factory.train(&codes);
        factory.add(&codes);
        let (distances, labels) = factory.search(&queries, K);
        rec.exact("factory distances", distances.iter().map(|&d| d as i64));
        rec.exact("factory labels", labels);
    });
}

fn ivf_statistics_and_binary_ivf_options() {
    const DB: usize = 64;
    parity(|rec| {
        let (xb, _) = data();
        let index = Index::factory(D, "IVF8,Flat", METRIC_L2);
        index.train(&xb);
        index.add(&xb);
        let ivf = unsafe { faissx_IndexIVF_cast(index.ptr()) };
        let printed = stdout_of(|| unsafe { faissx_IndexIVF_print_stats(ivf) });
        assert!(!printed.is_empty(), "print_stats printed nothing");
        rec.exact("IVF print_stats", printed.iter().map(|&b| b as i64));

        let mut rng = Rng::new(78);
        let codes = rng.bytes(NB * DB / 8);
        let binary = BinaryIndex::factory(DB, "BIVF8");
        binary.train(&codes);
        binary.add(&codes);
        let v = unsafe { faissx_IndexBinaryIVF_cast(binary.ptr()) };
        let printed = stdout_of(|| unsafe { faissx_IndexBinaryIVF_print_stats(v) });
        assert!(!printed.is_empty(), "print_stats printed nothing");
        rec.exact("BinaryIVF print_stats", printed.iter().map(|&b| b as i64));

        // Search options that take another path through the lists: the same answers.
        let queries = codes[..NQ * DB / 8].to_vec();
        unsafe { faissx_IndexBinaryIVF_set_nprobe(v, 3) };
        for (use_heap, per_invlist) in [(1, 0), (0, 0), (0, 1), (7, 1)] {
            unsafe {
                faissx_IndexBinaryIVF_set_use_heap(v, use_heap);
                faissx_IndexBinaryIVF_set_per_invlist_search(v, per_invlist);
                rec.num("use_heap", faissx_IndexBinaryIVF_use_heap(v));
                rec.num(
                    "per_invlist_search",
                    faissx_IndexBinaryIVF_per_invlist_search(v),
                );
            }
            let (distances, labels) = binary.search(&queries, K);
            let what = format!("use_heap {use_heap}, per_invlist_search {per_invlist}");
            rec.exact(&what, distances.iter().map(|&d| d as i64));
            rec.exact(&what, labels);
        }

        // Preassigned searches of each kind, with the lists the quantizer picks.
        let quantizer = unsafe { faissx_IndexBinaryIVF_quantizer(v) };
        let coarse = |nprobe: usize| {
            let (mut dis, mut lists) = (vec![0i32; NQ * nprobe], vec![0 as idx_t; NQ * nprobe]);
            check(unsafe {
                faissx_IndexBinary_search(
                    quantizer,
                    NQ as idx_t,
                    queries.as_ptr(),
                    nprobe as idx_t,
                    dis.as_mut_ptr(),
                    lists.as_mut_ptr(),
                )
            });
            (dis, lists)
        };
        let preassigned = |rec: &mut Record,
                           what: &str,
                           lists: &[idx_t],
                           dis: &[i32],
                           store_pairs: c_int,
                           params: *const FaissSearchParametersIVF| {
            let (mut distances, mut labels) = (vec![0i32; NQ * K], vec![0 as idx_t; NQ * K]);
            let rc = unsafe {
                faissx_IndexBinaryIVF_search_preassigned(
                    v,
                    NQ as idx_t,
                    queries.as_ptr(),
                    K as idx_t,
                    lists.as_ptr(),
                    dis.as_ptr(),
                    distances.as_mut_ptr(),
                    labels.as_mut_ptr(),
                    store_pairs,
                    params,
                )
            };
            rec.num(&format!("{what}: rc"), rc);
            if rc == 0 {
                rec.exact(
                    &format!("{what}: distances"),
                    distances.iter().map(|&d| d as i64),
                );
                rec.exact(&format!("{what}: labels"), labels);
            }
            rc
        };
        let (dis, lists) = coarse(3);
        for (use_heap, per_invlist) in [(1, 0), (0, 0), (0, 1)] {
            unsafe {
                faissx_IndexBinaryIVF_set_use_heap(v, use_heap);
                faissx_IndexBinaryIVF_set_per_invlist_search(v, per_invlist);
            }
            for store_pairs in [0, 1] {
                // The per-list search refuses store_pairs (FAISS's own check).
                let what = format!(
                    "binary search_preassigned, use_heap {use_heap}, \
                     per_invlist_search {per_invlist}, store_pairs {store_pairs}"
                );
                let rc = preassigned(rec, &what, &lists, &dis, store_pairs, ptr::null());
                assert_eq!(rc != 0, per_invlist == 1 && store_pairs == 1, "{what}");
            }
            // Lists the index does not have are refused, not read.
            let mut bad = lists.clone();
            bad[4] = NLIST as idx_t + 7;
            let rc = preassigned(rec, "a list past nlist", &bad, &dis, 0, ptr::null());
            assert_ne!(rc, 0);
            bad[4] = -3;
            let rc = preassigned(rec, "a list below -1", &bad, &dis, 0, ptr::null());
            assert_ne!(rc, 0);
            // -1 (no list) is skipped, except by the per-list search, which cannot skip it.
            bad[4] = -1;
            let rc = preassigned(rec, "list -1", &bad, &dis, 0, ptr::null());
            assert_eq!(rc != 0, per_invlist == 1);
        }
        unsafe { faissx_IndexBinaryIVF_set_per_invlist_search(v, 0) };
        // Parameters choose how many lists each query has (5 here, not the index's 3).
        let (dis, lists) = coarse(5);
        for max_codes in [0, 40] {
            let mut params = ptr::null_mut();
            check(unsafe {
                faissx_SearchParametersIVF_new_with(&mut params, ptr::null_mut(), 5, max_codes)
            });
            let what = format!("binary search_preassigned, nprobe 5, max_codes {max_codes}");
            assert_eq!(preassigned(rec, &what, &lists, &dis, 0, params), 0);
            let mut bad = lists.clone();
            bad[NQ * 5 - 1] = NLIST as idx_t;
            let what = "parameters' last list past nlist";
            assert_ne!(preassigned(rec, what, &bad, &dis, 0, params), 0);
            unsafe { faissx_SearchParametersIVF_free(params) };
        }
    });
}

fn ivf_encoders_train_alone() {
    parity(|rec| {
        let (xb, xq) = data();
        for description in ["IVF8,SQ8", "IVF8,PQ4x4", "IVF8,Flat"] {
            let what = |s: &str| format!("{description}: {s}");
            let index = Index::factory(D, description, METRIC_L2);
            index.train(&xb);
            let ivf = unsafe { faissx_IndexIVF_cast(index.ptr()) };
            // The encoder retrained on other data, with and without the lists it falls in.
            let other: Vec<f32> = xb.iter().map(|v| v * 0.5 + 0.25).collect();
            let lists = assign(
                &Index::borrowed(unsafe { faissx_IndexIVF_quantizer(ivf) }),
                &other,
                1,
            );
            for with_assign in [true, false] {
                let assigned = if with_assign {
                    lists.as_ptr()
                } else {
                    ptr::null()
                };
                check(unsafe {
                    faissx_IndexIVF_train_encoder(ivf, NB as idx_t, other.as_ptr(), assigned)
                });
            }
            let p = index.ptr();
            let mut code_size = 0usize;
            check(unsafe { faissx_Index_sa_code_size(p, &mut code_size) });
            let mut codes = vec![0u8; NQ * code_size];
            check(unsafe {
                faissx_Index_sa_encode(p, NQ as idx_t, xq.as_ptr(), codes.as_mut_ptr())
            });
            rec.exact(&what("codes"), codes.iter().map(|&b| i64::from(b)));
            index.add(&xb);
            rec.knn(&what("search"), index.search(&xq, K));
            // Lists the index does not have, and no vectors at all, are refused.
            let mut bad = lists.clone();
            bad[7] = NLIST as idx_t;
            let rc = unsafe {
                faissx_IndexIVF_train_encoder(ivf, NB as idx_t, other.as_ptr(), bad.as_ptr())
            };
            assert_ne!(rc, 0);
            rec.num(&what("train_encoder with a list past nlist"), rc);
            bad[7] = -1;
            let rc = unsafe {
                faissx_IndexIVF_train_encoder(ivf, NB as idx_t, other.as_ptr(), bad.as_ptr())
            };
            assert_ne!(rc, 0);
            rec.num(&what("train_encoder with list -1"), rc);
            let rc = unsafe { faissx_IndexIVF_train_encoder(ivf, 0, other.as_ptr(), ptr::null()) };
            assert_ne!(rc, 0);
            rec.num(&what("train_encoder on no vectors"), rc);
            rec.knn(&what("search after the refusals"), index.search(&xq, K));
        }
        // An IVFPQ on residuals precomputes tables from every centroid: none yet is refused.
        let untrained = Index::factory(D, "IVF8,PQ4x4", METRIC_L2);
        let ivf = unsafe { faissx_IndexIVF_cast(untrained.ptr()) };
        let rc =
            unsafe { faissx_IndexIVF_train_encoder(ivf, NB as idx_t, xb.as_ptr(), ptr::null()) };
        assert_ne!(rc, 0);
        rec.num("train_encoder before the quantizer", rc);
    });
}

fn vectors_added_to_chosen_lists() {
    parity(|rec| {
        let (xb, xq) = data();
        for description in ["IVF8,Flat", "IVF8,SQ8"] {
            let what = |s: &str| format!("{description}: {s}");
            let index = Index::factory(D, description, METRIC_L2);
            index.train(&xb);
            let ivf = unsafe { faissx_IndexIVF_cast(index.ptr()) };
            let quantizer = Index::borrowed(unsafe { faissx_IndexIVF_quantizer(ivf) });
            let mut lists = assign(&quantizer, &xb, 1);
            // Some vectors in another list than their nearest, one in none.
            for i in (0..NB).step_by(7) {
                lists[i] = (lists[i] + 1) % NLIST as idx_t;
            }
            lists[3] = -1;
            let half = NB / 2 * D;
            let add_core = |n: usize, x: &[f32], ids: *const idx_t, lists: &[idx_t]| unsafe {
                if description.contains("SQ") {
                    faissx_IndexIVFScalarQuantizer_add_core(
                        ivf.cast(),
                        n as idx_t,
                        x.as_ptr(),
                        ids,
                        lists.as_ptr(),
                    )
                } else {
                    faissx_IndexIVFFlat_add_core(
                        ivf.cast(),
                        n as idx_t,
                        x.as_ptr(),
                        ids,
                        lists.as_ptr(),
                    )
                }
            };
            check(add_core(NB / 2, &xb[..half], ptr::null(), &lists[..NB / 2]));
            let ids: Vec<idx_t> = (0..NB as idx_t / 2).map(|i| 1000 + 3 * i).collect();
            check(add_core(
                NB / 2,
                &xb[half..],
                ids.as_ptr(),
                &lists[NB / 2..],
            ));
            rec.num(&what("ntotal"), index.ntotal() as i64);
            let sizes: Vec<i64> = (0..NLIST)
                .map(|l| unsafe { faissx_IndexIVF_get_list_size(ivf, l) } as i64)
                .collect();
            rec.exact(&what("list sizes"), sizes);
            set_parameter(&index, "nprobe", 4.0);
            rec.knn(&what("search"), index.search(&xq, K));
            // A list the index does not have is refused before anything is added.
            let mut bad = lists[..4].to_vec();
            bad[2] = NLIST as idx_t;
            let rc = add_core(4, &xb[..4 * D], ptr::null(), &bad);
            assert_ne!(rc, 0);
            rec.num(&what("add_core to a list past nlist"), rc);
            bad[2] = -2;
            let rc = add_core(4, &xb[..4 * D], ptr::null(), &bad);
            assert_ne!(rc, 0);
            rec.num(&what("add_core to list -2"), rc);
            rec.num(&what("ntotal after the refusals"), index.ntotal() as i64);
        }
    });
}

fn ivf_vectors_updated_in_place() {
    parity(|rec| {
        let (xb, xq) = data();
        let index = Index::factory(D, "IVF8,Flat", METRIC_L2);
        index.train(&xb);
        index.add(&xb);
        let ivf = unsafe { faissx_IndexIVF_cast(index.ptr()) };
        let update = |ids: &mut [idx_t], v: &[f32]| unsafe {
            faissx_IndexIVFFlat_update_vectors(
                ivf.cast(),
                ids.len() as c_int,
                ids.as_mut_ptr(),
                v.as_ptr(),
            )
        };
        let fresh: Vec<f32> = xq[..3 * D].to_vec();
        // Without a direct map FAISS cannot find the ids.
        let rc = update(&mut [3, 10, 500], &fresh);
        assert_ne!(rc, 0);
        rec.num("update_vectors without a direct map", rc);
        check(unsafe { faissx_IndexIVF_make_direct_map(ivf, 1) });
        check(update(&mut [3, 10, 500], &fresh));
        assert_eq!(reconstruct_n(&index, 10, 1), fresh[D..2 * D]);
        rec.floats("updated vectors", &reconstruct_n(&index, 3, 1));
        rec.floats("vector 500", &reconstruct_n(&index, 500, 1));
        rec.knn("search after the update", index.search(&xq, K));
        // Ids the index does not have are refused before anything changes.
        for bad in [NB as idx_t + 5, -1] {
            let rc = update(&mut [7, bad], &fresh[..2 * D]);
            assert_ne!(rc, 0);
            rec.num(&format!("update_vectors of id {bad}"), rc);
        }
        rec.floats("vector 7 after the refusals", &reconstruct_n(&index, 7, 1));
        rec.knn("search after the refusals", index.search(&xq, K));
        rec.num("ntotal", index.ntotal() as i64);
    });
}

fn files_buffers_and_clones() {
    parity(|rec| {
        let (xb, xq) = data();
        let index = Index::factory(D, "IVF8,Flat", METRIC_L2);
        index.train(&xb);
        index.add(&xb);
        set_parameter(&index, "nprobe", 4.0);
        let expected = index.search(&xq, K);
        rec.knn("original", expected.clone());

        // Files are the client's, whatever the mode.
        let file = TempFile::new("parity");
        check(unsafe { faissx_write_index_fname(index.ptr(), file.c_path().as_ptr()) });
        let on_disk = std::fs::read(file.path()).expect("the index file is on the client");
        rec.exact("file bytes", on_disk.iter().map(|&b| b as i64));
        let mut p = ptr::null_mut();
        check(unsafe { faissx_read_index_fname(file.c_path().as_ptr(), 0, &mut p) });
        let read = Index::from_new(0, p);
        rec.made(read.ptr());
        rec.getters("read from file", &read);
        rec.knn("read from file", read.search(&xq, K));

        // The same through open FILE*s.
        let file2 = TempFile::new("parity-stdio");
        unsafe {
            let out = libc::fopen(file2.c_path().as_ptr(), c"wb".as_ptr());
            assert!(!out.is_null());
            check(faissx_write_index(index.ptr(), out));
            libc::fclose(out);
        }
        assert_eq!(std::fs::read(file2.path()).unwrap(), on_disk);
        let read = unsafe {
            let input = libc::fopen(file2.c_path().as_ptr(), c"rb".as_ptr());
            assert!(!input.is_null());
            let mut p = ptr::null_mut();
            let rc = faissx_read_index(input, 0, &mut p);
            libc::fclose(input);
            Index::from_new(rc, p)
        };
        rec.made(read.ptr());
        rec.knn("read from FILE*", read.search(&xq, K));

        let bytes = index.to_bytes();
        assert_eq!(bytes, on_disk);
        let from_buf = Index::from_bytes(&bytes);
        rec.made(from_buf.ptr());
        rec.knn("read from buffer", from_buf.search(&xq, K));

        // Through the caller's own writer and reader: the same bytes in the same calls.
        let (rc, written, calls) =
            write_custom(|w| unsafe { faissx_write_index_custom(index.ptr(), w, 0) });
        check(rc);
        assert_eq!(written, on_disk);
        rec.exact("custom writer calls", calls.iter().map(|&c| c as i64));
        // io_flags reach FAISS's writer in both modes (16: IO_FLAG_SKIP_IVF_DATA).
        let (rc, skipped, _) =
            write_custom(|w| unsafe { faissx_write_index_custom(index.ptr(), w, 16) });
        rec.num("custom writer with io_flags", rc);
        rec.exact("bytes with io_flags", skipped.iter().map(|&b| b as i64));
        let (rc, p) = read_custom(&written, |r| {
            let mut p = ptr::null_mut();
            (unsafe { faissx_read_index_custom(r, 0, &mut p) }, p)
        });
        let read = Index::from_new(rc, p);
        rec.made(read.ptr());
        rec.knn("read from a custom reader", read.search(&xq, K));
        // A reader that runs dry fails the same way in both modes.
        let (rc, p) = read_custom(&written[..written.len() / 2], |r| {
            let mut p = ptr::null_mut();
            (unsafe { faissx_read_index_custom(r, 0, &mut p) }, p)
        });
        rec.num("truncated custom reader", rc);
        assert!(p.is_null());

        let mut p = ptr::null_mut();
        check(unsafe { faissx_clone_index(index.ptr(), &mut p) });
        let copy = Index::from_new(0, p);
        rec.made(copy.ptr());
        rec.knn("clone", copy.search(&xq, K));
        check(unsafe { faissx_Index_reset(copy.ptr()) });
        rec.num("original after the clone's reset", index.ntotal() as i64);

        let missing = cstr("/nonexistent/faissx/index");
        let mut p = ptr::null_mut();
        rec.num("missing file", unsafe {
            faissx_read_index_fname(missing.as_ptr(), 0, &mut p)
        });
        rec.num("unwritable file", unsafe {
            faissx_write_index_fname(index.ptr(), missing.as_ptr())
        });
    });
}

fn error_codes() {
    parity(|rec| {
        let (xb, xq) = data();
        let index = flat_with(D, METRIC_L2);
        index.add(&xb);
        let p = index.ptr();
        let (mut dis, mut lab) = (vec![0f32; NQ * K], vec![0i64; NQ * K]);
        unsafe {
            rec.num(
                "k = 0",
                faissx_Index_search(
                    p,
                    NQ as idx_t,
                    xq.as_ptr(),
                    0,
                    dis.as_mut_ptr(),
                    lab.as_mut_ptr(),
                ),
            );
            rec.num("n < 0", faissx_Index_add(p, -1, xb.as_ptr()));
            rec.num("NULL x", faissx_Index_add(p, 3, ptr::null()));
            let mut out = vec![0f32; D];
            rec.num(
                "reconstruct beyond ntotal",
                faissx_Index_reconstruct(p, NB as idx_t + 5, out.as_mut_ptr()),
            );
            rec.num(
                "add_with_ids on a flat index",
                faissx_Index_add_with_ids(p, 1, xb.as_ptr(), [5i64].as_ptr()),
            );
        }
        let small = flat_with(D / 2, METRIC_L2);
        rec.num("merge of different dimensions", unsafe {
            faissx_Index_merge_from(p, small.ptr(), 0)
        });
        rec.num("still there", index.ntotal() as i64);
        // FAISS's C API casts these operands blindly: a flat index as an IVF's merge source
        // or as a shard set, and an IVF merged into itself, are refused in both modes.
        let ivf = Index::factory(D, "IVF4,Flat", METRIC_L2);
        ivf.train(&xb);
        ivf.add(&xb);
        unsafe {
            rec.num(
                "IVF merged into itself",
                faissx_IndexIVF_merge_from(ivf.ptr().cast(), ivf.ptr().cast(), 0),
            );
            rec.num(
                "IVF merged from a flat index",
                faissx_IndexIVF_merge_from(ivf.ptr().cast(), p.cast(), 0),
            );
            rec.num("index merged into itself", faissx_Index_merge_from(p, p, 0));
            faissx_clear_last_error();
            rec.num(
                "shard count of a flat index",
                faissx_IndexShards_successive_ids(p.cast()),
            );
            rec.num("its code", faissx_get_last_error_code());
            rec.flag(
                "replica 0 of a flat index",
                faissx_IndexReplicas_at(p.cast(), 0).is_null(),
            );
            rec.num("its code", faissx_get_last_error_code());
        }
        rec.num("IVF still there", ivf.ntotal() as i64);
    });
}

/// An index written remotely reads back locally (and vice versa): one file format.
fn errors_and_casts_agree_between_modes() {
    // What a call returns and what it leaves in the last error code, for input of the wrong
    // class or out of range, is the same in both modes.
    parity(|rec| {
        let (xb, xq) = data();
        let flat = flat_with(D, METRIC_L2);
        flat.add(&xb);
        let hnsw = Index::factory(D, "HNSW16", METRIC_L2);
        let ivf = Index::factory(D, "IVF8,Flat", METRIC_L2);
        ivf.train(&xb);
        let code = || faissx_get_last_error_code();
        let mut out = vec![0f32; D];
        for key in [-3, -1, NB as idx_t] {
            rec.num(&format!("reconstruct({key})"), unsafe {
                faissx_Index_reconstruct(flat.ptr(), key, out.as_mut_ptr())
            });
        }
        for (name, index) in [("flat", &flat), ("hnsw", &hnsw), ("ivf", &ivf)] {
            let mut size = 12345usize;
            rec.num(&format!("sa_code_size of {name}"), unsafe {
                faissx_Index_sa_code_size(index.ptr(), &mut size)
            });
            rec.num(&format!("sa_code_size of {name}: size"), size as i64);
            let p = index.ptr();
            unsafe {
                faissx_clear_last_error();
                let casts = [
                    faissx_IndexFlat_cast(p).is_null(),
                    faissx_IndexIVF_cast(p).is_null(),
                    faissx_IndexIVFFlat_cast(p).is_null(),
                    faissx_IndexHNSW_cast(p).is_null(),
                    faissx_IndexPQ_cast(p).is_null(),
                    faissx_IndexIDMap_cast(p).is_null(),
                    faissx_IndexPreTransform_cast(p).is_null(),
                    faissx_IndexLSH_cast(p).is_null(),
                    faissx_IndexRefineFlat_cast(p).is_null(),
                    faissx_IndexScalarQuantizer_cast(p).is_null(),
                ];
                rec.exact(&format!("casts of {name}"), casts.map(i64::from));
                rec.num(&format!("casts of {name}: error code"), code());
                // Getters handed an index of another class.
                faissx_clear_last_error();
                rec.num(
                    &format!("nprobe of {name}"),
                    faissx_IndexIVF_nprobe(p.cast()) as i64,
                );
                rec.num(&format!("nprobe of {name}: error code"), code());
                faissx_clear_last_error();
                rec.num(
                    &format!("efSearch of {name}"),
                    faissx_IndexHNSW_efSearch(p.cast()),
                );
                rec.num(&format!("efSearch of {name}: error code"), code());
            }
        }
        // k beyond what the index holds: FAISS pads with -1.
        let k = 150_000;
        let found = flat.search(&xq[..D], k);
        rec.exact("large k: labels", found.1.iter().copied());
        rec.floats("large k: distances", &found.0);
    });
}

fn files_move_between_modes() {
    let _serial = exclusive();
    let server = Server::start(&["--log-level", "warn"]);
    let (xb, xq) = data();
    configure(Some(&server.endpoint), None, None);
    let remote_index = Index::factory(D, "IVF8,Flat", METRIC_L2);
    assert!(is_remote(remote_index.ptr()));
    remote_index.train(&xb);
    remote_index.add(&xb);
    set_parameter(&remote_index, "nprobe", 2.0);
    let file = TempFile::new("between-modes");
    check(unsafe { faissx_write_index_fname(remote_index.ptr(), file.c_path().as_ptr()) });
    local_mode();
    let mut p = ptr::null_mut();
    check(unsafe { faissx_read_index_fname(file.c_path().as_ptr(), 0, &mut p) });
    let local_index = Index::from_new(0, p);
    assert!(!is_remote(local_index.ptr()));
    let (local, remote) = (local_index.search(&xq, K), remote_index.search(&xq, K));
    assert_eq!(local.1, remote.1);
    for (a, b) in local.0.iter().zip(&remote.0) {
        assert!(close(*a, *b), "{a} vs {b}");
    }
    // A remote handle keeps working after remote mode is switched off.
    remote_index.add(&xq);
    assert_eq!(remote_index.ntotal(), NB + NQ);
}

/// Every scenario. Each runs its calls locally, then against a real server, and compares the
/// two records bit for bit; together they must call every function of FAISS 1.12's C API
/// (tools/faiss-c-api-1.12.tsv, as `faissx_*`) in remote mode.
const SCENARIOS: &[(&str, fn())] = &[
    (
        "ivf_subsets_copied_to_another_index",
        ivf_subsets_copied_to_another_index,
    ),
    (
        "constructors_without_a_dimension",
        constructors_without_a_dimension,
    ),
    ("flat_indexes", flat_indexes),
    (
        "flat_scans_of_every_query_count",
        flat_scans_of_every_query_count,
    ),
    (
        "batches_split_into_chunks_search_as_one_batch",
        batches_split_into_chunks_search_as_one_batch,
    ),
    (
        "ivf_flat_with_parameters_and_selectors",
        ivf_flat_with_parameters_and_selectors,
    ),
    ("quantized_indexes", quantized_indexes),
    (
        "search_parameters_reach_the_index_inside_wrappers",
        search_parameters_reach_the_index_inside_wrappers,
    ),
    (
        "parameter_space_on_wrapped_indexes_and_malformed_strings",
        parameter_space_on_wrapped_indexes_and_malformed_strings,
    ),
    (
        "sub_indexes_are_the_indexes_composites_were_built_over",
        sub_indexes_are_the_indexes_composites_were_built_over,
    ),
    (
        "a_remote_ivf_trains_the_callers_local_quantizer",
        a_remote_ivf_trains_the_callers_local_quantizer,
    ),
    (
        "codes_residuals_and_preassigned_searches",
        codes_residuals_and_preassigned_searches,
    ),
    ("flat_1d_indexes", flat_1d_indexes),
    (
        "pre_transforms_built_around_an_index",
        pre_transforms_built_around_an_index,
    ),
    ("id_maps_with_selectors", id_maps_with_selectors),
    (
        "hnsw_built_locally_searches_the_same_remotely",
        hnsw_built_locally_searches_the_same_remotely,
    ),
    ("factory_strings", factory_strings),
    ("binary_indexes", binary_indexes),
    (
        "ivf_statistics_and_binary_ivf_options",
        ivf_statistics_and_binary_ivf_options,
    ),
    ("ivf_encoders_train_alone", ivf_encoders_train_alone),
    (
        "vectors_added_to_chosen_lists",
        vectors_added_to_chosen_lists,
    ),
    ("ivf_vectors_updated_in_place", ivf_vectors_updated_in_place),
    ("files_buffers_and_clones", files_buffers_and_clones),
    ("error_codes", error_codes),
    (
        "errors_and_casts_agree_between_modes",
        errors_and_casts_agree_between_modes,
    ),
    ("files_move_between_modes", files_move_between_modes),
];

#[test]
fn every_inventory_function_gives_the_same_results_in_both_modes() {
    for (name, scenario) in [SCENARIOS, classes::SCENARIOS, objects::SCENARIOS].concat() {
        eprintln!("scenario {name}");
        scenario();
    }
    let called = CALLED_REMOTELY.lock().unwrap();
    let inventory = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tools/faiss-c-api-1.12.tsv"
    ))
    .unwrap();
    let missing: Vec<String> = inventory
        .lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("header\t"))
        .map(|line| {
            line.split('\t')
                .nth(1)
                .unwrap()
                .replacen("faiss_", "faissx_", 1)
        })
        .filter(|name| !called.contains(name.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} inventory functions no scenario calls in remote mode: {}",
        missing.len(),
        missing.join(" ")
    );
}

/// FAISS's constructors without arguments make an index of dimension 0 with the class's
/// default fields; the IVF and IndexPreTransform ones lack the quantizer or index their readers
/// fill in. What each then does, or refuses, is the same in both modes.
fn constructors_without_a_dimension() {
    type New = unsafe extern "C" fn(*mut *mut FaissIndex) -> c_int;
    unsafe extern "C" fn flat(p: *mut *mut FaissIndex) -> c_int {
        faissx_IndexFlat_new(p.cast())
    }
    unsafe extern "C" fn flat_l2(p: *mut *mut FaissIndex) -> c_int {
        faissx_IndexFlatL2_new(p.cast())
    }
    unsafe extern "C" fn flat_ip(p: *mut *mut FaissIndex) -> c_int {
        faissx_IndexFlatIP_new(p.cast())
    }
    unsafe extern "C" fn sq(p: *mut *mut FaissIndex) -> c_int {
        faissx_IndexScalarQuantizer_new(p.cast())
    }
    unsafe extern "C" fn ivf_flat(p: *mut *mut FaissIndex) -> c_int {
        faissx_IndexIVFFlat_new(p.cast())
    }
    unsafe extern "C" fn ivf_sq(p: *mut *mut FaissIndex) -> c_int {
        faissx_IndexIVFScalarQuantizer_new(p.cast())
    }
    unsafe extern "C" fn pre_transform(p: *mut *mut FaissIndex) -> c_int {
        faissx_IndexPreTransform_new(p.cast())
    }
    let constructors: [(&str, New); 7] = [
        ("IndexFlat", flat),
        ("IndexFlatL2", flat_l2),
        ("IndexFlatIP", flat_ip),
        ("IndexScalarQuantizer", sq),
        ("IndexIVFFlat", ivf_flat),
        ("IndexIVFScalarQuantizer", ivf_sq),
        ("IndexPreTransform", pre_transform),
    ];
    parity(|rec| {
        for (class, new) in constructors {
            let mut p = ptr::null_mut();
            let index = Index::from_new(unsafe { new(&mut p) }, p);
            rec.made(index.ptr());
            let p = index.ptr();
            rec.getters(class, &index);
            let x = [0.5f32; 8];
            let (mut dis, mut lab) = ([f32::NAN; 6], [-7i64; 6]);
            let mut search = |what: &str, rec: &mut Record| {
                let rc = unsafe {
                    faissx_Index_search(p, 2, x.as_ptr(), 3, dis.as_mut_ptr(), lab.as_mut_ptr())
                };
                rec.num(&format!("{class}: {what}"), rc);
                if rc == 0 {
                    rec.floats(&format!("{class}: {what}: distances"), &dis);
                    rec.exact(&format!("{class}: {what}: labels"), lab);
                }
            };
            search("search empty", rec);
            // FAISS's ParameterSpace walks into sub-indexes these lack.
            let space = parameter_space();
            for name in ["verbose", "nprobe", "efSearch"] {
                let name = cstr(name);
                rec.num(&format!("{class}: ParameterSpace sets {name:?}"), unsafe {
                    faissx_ParameterSpace_set_index_parameter(space, p, name.as_ptr(), 1.0)
                });
            }
            unsafe { faissx_ParameterSpace_free(space) };
            unsafe {
                rec.num(
                    &format!("{class}: train"),
                    faissx_Index_train(p, 3, x.as_ptr()),
                );
                rec.num(&format!("{class}: add"), faissx_Index_add(p, 3, x.as_ptr()));
                rec.num(
                    &format!("{class}: add none"),
                    faissx_Index_add(p, 0, x.as_ptr()),
                );
                rec.num(
                    &format!("{class}: add_with_ids"),
                    faissx_Index_add_with_ids(p, 2, x.as_ptr(), [5, 6].as_ptr()),
                );
            }
            rec.getters(&format!("{class}: after adds"), &index);
            search("search", rec);
            let result = RangeResult::new(2);
            let rc = unsafe { faissx_Index_range_search(p, 2, x.as_ptr(), 1.0, result.0) };
            rec.num(&format!("{class}: range_search"), rc);
            if rc == 0 {
                rec.range(&format!("{class}: range_search"), result.per_query());
            }
            let mut out = [f32::NAN; 4];
            rec.num(&format!("{class}: reconstruct"), unsafe {
                faissx_Index_reconstruct(p, 0, out.as_mut_ptr())
            });
            let mut size = 0usize;
            let rc = unsafe { faissx_Index_sa_code_size(p, &mut size) };
            rec.num(&format!("{class}: sa_code_size"), rc);
            rec.num(&format!("{class}: sa_code_size value"), size as i64);
            let mut removed = 0usize;
            let range = Selector::range(0, 1);
            rec.num(&format!("{class}: remove_ids"), unsafe {
                faissx_Index_remove_ids(p, range.0, &mut removed)
            });
            rec.num(&format!("{class}: removed"), removed as i64);
            let mut copy = ptr::null_mut();
            let rc = unsafe { faissx_clone_index(p, &mut copy) };
            rec.num(&format!("{class}: clone"), rc);
            if rc == 0 {
                let copy = Index::from_new(rc, copy);
                rec.made(copy.ptr());
                rec.getters(&format!("{class}: clone"), &copy);
            }
            let ivf = unsafe { faissx_IndexIVF_cast(p) };
            if !ivf.is_null() {
                unsafe {
                    rec.num(
                        &format!("{class}: nlist"),
                        faissx_IndexIVF_nlist(ivf) as i64,
                    );
                    rec.num(
                        &format!("{class}: nprobe"),
                        faissx_IndexIVF_nprobe(ivf) as i64,
                    );
                    rec.flag(
                        &format!("{class}: no quantizer"),
                        faissx_IndexIVF_quantizer(ivf).is_null(),
                    );
                    rec.num(
                        &format!("{class}: make_direct_map"),
                        faissx_IndexIVF_make_direct_map(ivf, 1),
                    );
                    rec.num(
                        &format!("{class}: get_list_size"),
                        faissx_IndexIVF_get_list_size(ivf, 0) as i64,
                    );
                    rec.floats(
                        &format!("{class}: imbalance_factor"),
                        &[faissx_IndexIVF_imbalance_factor(ivf) as f32],
                    );
                    let mut q = ptr::null_mut();
                    let other = Index::from_new(new(&mut q), q);
                    rec.num(
                        &format!("{class}: copy_subset_to"),
                        faissx_IndexIVF_copy_subset_to(ivf, other.ptr().cast(), 0, 0, 10),
                    );
                }
            }
            if class == "IndexPreTransform" {
                rec.flag("IndexPreTransform: no index", unsafe {
                    faissx_IndexPreTransform_index(p.cast()).is_null()
                });
            }
            // What FAISS's writer makes of it, and what its reader makes of that.
            let bytes = index.to_bytes();
            rec.exact(
                &format!("{class}: written"),
                bytes.iter().map(|&b| i64::from(b)),
            );
            let read = Index::from_bytes(&bytes);
            rec.made(read.ptr());
            rec.getters(&format!("{class}: read back"), &read);
            rec.num(&format!("{class}: reset"), unsafe { faissx_Index_reset(p) });
            rec.getters(&format!("{class}: after reset"), &index);
        }
    });
}

/// An empty IVF over the same trained quantizer as `source` (FAISS copies entries between
/// indexes with the same lists).
fn empty_copy(source: &Index) -> Index {
    let mut copy = ptr::null_mut();
    check(unsafe { faissx_clone_index(source.ptr(), &mut copy) });
    let copy = Index::from_new(0, copy);
    check(unsafe { faissx_Index_reset(copy.ptr()) });
    copy
}

fn list_sizes(index: &Index) -> Vec<i64> {
    let ivf = index.ptr().cast();
    let nlist = unsafe { faissx_IndexIVF_nlist(ivf) };
    (0..nlist)
        .map(|l| unsafe { faissx_IndexIVF_get_list_size(ivf, l) } as i64)
        .collect()
}

fn ivf_subsets_copied_to_another_index() {
    parity(|rec| {
        let (xb, xq) = data();
        let quantizer = flat_with(D, METRIC_L2);
        let mut p = ptr::null_mut();
        let source = Index::from_new(
            unsafe { faissx_IndexIVFFlat_new_with(&mut p, quantizer.ptr(), D, NLIST) },
            p,
        );
        source.train(&xb);
        source.add_with_ids(
            &xb,
            &(0..NB as idx_t).map(|i| i * 3 - 50).collect::<Vec<_>>(),
        );
        let ntotal = NB as idx_t;
        let copy = |what: &str, rec: &mut Record, subset_type: c_int, a1: idx_t, a2: idx_t| {
            let target = empty_copy(&source);
            let rc = unsafe {
                faissx_IndexIVF_copy_subset_to(
                    source.ptr().cast(),
                    target.ptr().cast(),
                    subset_type,
                    a1,
                    a2,
                )
            };
            rec.num(&format!("{what}: rc"), rc);
            rec.num(&format!("{what}: ntotal"), target.ntotal() as i64);
            rec.exact(&format!("{what}: list sizes"), list_sizes(&target));
            if rc == 0 && target.ntotal() > 0 {
                unsafe { faissx_IndexIVF_set_nprobe(target.ptr().cast(), NLIST) };
                rec.knn(&format!("{what}: search"), target.search(&xq, K));
            }
            rec.num(&format!("{what}: source unchanged"), source.ntotal() as i64);
            (rc, target.ntotal())
        };
        let copied = |what: &str, rec: &mut Record, subset_type, a1, a2| {
            let (rc, copied) = copy(what, rec, subset_type, a1, a2);
            assert_eq!(rc, 0, "{what}: {}", last_error());
            copied
        };
        assert_eq!(copied("ids in a range", rec, 0, 100, 1200), 367);
        assert!(copied("ids modulo", rec, 1, 7, 3) > 100);
        assert_eq!(copied("entries in order", rec, 2, 250, 700), 450);
        assert_eq!(copied("entries, all", rec, 2, 0, ntotal), NB);
        assert!(copied("fraction of each list", rec, 3, 4, 1) > 200);
        assert!(copied("lists", rec, 4, 2, 5) > 0);
        assert_eq!(copied("an empty id range", rec, 0, 5000, 6000), 0);
        // Arguments FAISS divides by, or reads past a list's end with, are refused first.
        for (what, subset_type, a1, a2) in [
            ("modulo 0", 1, 0, 0),
            ("negative modulo", 1, -3, 0),
            ("entries past the end", 2, 10, ntotal + 1),
            ("entries backwards", 2, 20, 10),
            ("fraction a2 >= a1", 3, 4, 4),
            ("fraction of 0", 3, 0, 0),
            ("no such subset type", 5, 0, 10),
            ("negative subset type", -1, 0, 10),
        ] {
            let (rc, copied) = copy(what, rec, subset_type, a1, a2);
            expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["copy_subset_to"]);
            assert_eq!(copied, 0, "{what}");
        }
        let target = empty_copy(&source);
        check(unsafe { faissx_Index_reset(source.ptr()) });
        rec.num("entries of an empty index", unsafe {
            faissx_IndexIVF_copy_subset_to(source.ptr().cast(), target.ptr().cast(), 2, 0, 0)
        });
        source.add(&xb[..100 * D]);
        // Into itself: the lists read would grow while they are read.
        let rc = unsafe {
            faissx_IndexIVF_copy_subset_to(source.ptr().cast(), source.ptr().cast(), 0, 0, 10)
        };
        expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["same index"]);
        rec.num("into itself", rc);
        // Into another class, or an IVF with other lists.
        let flat = flat_with(D, METRIC_L2);
        let rc = unsafe {
            faissx_IndexIVF_copy_subset_to(source.ptr().cast(), flat.ptr().cast(), 0, 0, 10)
        };
        rec.num("into a flat index", rc);
        let quantizer = flat_with(D, METRIC_L2);
        let mut p = ptr::null_mut();
        let fewer = Index::from_new(
            unsafe { faissx_IndexIVFFlat_new_with(&mut p, quantizer.ptr(), D, NLIST / 2) },
            p,
        );
        fewer.train(&xb);
        let rc = unsafe {
            faissx_IndexIVF_copy_subset_to(source.ptr().cast(), fewer.ptr().cast(), 0, 0, 10)
        };
        rec.num("into an IVF with other lists", rc);
        rec.num(
            "into an IVF with other lists: ntotal",
            fewer.ntotal() as i64,
        );
    });
}

/// copy_subset_to between a local and a remote index, or indexes of two servers: the target
/// ends as it does when both are local.
#[test]
fn ivf_subsets_copied_across_modes_and_servers() {
    let _serial = exclusive();
    local_mode();
    let (xb, xq) = data();
    let source = Index::factory(D, "IVF8,Flat", METRIC_L2);
    source.train(&xb);
    source.add(&xb);
    let empty = empty_copy(&source);
    let state = |target: &Index| {
        unsafe { faissx_IndexIVF_set_nprobe(target.ptr().cast(), NLIST) };
        let (distances, labels) = target.search(&xq, K);
        let bits: Vec<u32> = distances.iter().map(|d| d.to_bits()).collect();
        (target.ntotal(), list_sizes(target), bits, labels)
    };
    let copy = |from: &Index, to: &Index| {
        check(unsafe {
            faissx_IndexIVF_copy_subset_to(from.ptr().cast(), to.ptr().cast(), 0, 100, 600)
        })
    };
    let reference = Index::from_bytes(&empty.to_bytes());
    copy(&source, &reference);
    let want = state(&reference);
    assert_eq!(want.0, 500);

    let (one, two) = (
        Server::start(&["--log-level", "warn"]),
        Server::start(&["--log-level", "warn"]),
    );
    configure(Some(&one.endpoint), None, None);
    let remote_source = Index::from_bytes(&source.to_bytes());
    let remote_target = Index::from_bytes(&empty.to_bytes());
    configure(Some(&two.endpoint), None, None);
    let other_server_target = Index::from_bytes(&empty.to_bytes());
    assert!(is_remote(remote_source.ptr()) && is_remote(other_server_target.ptr()));
    local_mode();
    let local_target = Index::from_bytes(&empty.to_bytes());

    copy(&remote_source, &local_target);
    assert_eq!(state(&local_target), want, "remote source, local target");
    copy(&source, &remote_target);
    assert_eq!(state(&remote_target), want, "local source, remote target");
    copy(&remote_source, &other_server_target);
    assert_eq!(state(&other_server_target), want, "another server's source");
    // Arguments are checked wherever the copy runs.
    let rc = unsafe {
        faissx_IndexIVF_copy_subset_to(source.ptr().cast(), remote_target.ptr().cast(), 1, 0, 0)
    };
    expect_err(rc, FAISSX_ERR_INVALID_ARGUMENT, &["a1 must be > 0"]);
    drop((remote_source, remote_target, other_server_target));
}
