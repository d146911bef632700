//! Helpers shared by the integration tests: a seeded generator, RAII owners for the handles the
//! C ABI hands out, `check`/`expect_err` for return codes, and brute-force references.
//!
//! Every test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use faissx::ffi::aux_index_structures::*;
use faissx::ffi::error::faissx_get_last_error;
use faissx::ffi::index::*;
use faissx::ffi::index_binary::*;
use faissx::ffi::index_factory::*;
use faissx::ffi::io::*;
use faissx::ffi::types::*;
use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::os::raw::{c_int, c_void};
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

/// splitmix64: tiny, seeded, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn vectors(&mut self, n: usize, d: usize) -> Vec<f32> {
        (0..n * d).map(|_| self.f32()).collect()
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// Points scattered around `centers` random centres, so that k-means and IVF have structure
/// to find (uniform noise would make every partition equally bad). The centres depend only
/// on `centers` and `d`: database and queries drawn in separate calls share them.
pub fn clustered(rng: &mut Rng, n: usize, d: usize, centers: usize) -> Vec<f32> {
    let c = Rng::new((centers * 1000 + d) as u64).vectors(centers, d);
    let mut out = Vec::with_capacity(n * d);
    for _ in 0..n {
        let j = rng.below(centers);
        out.extend((0..d).map(|t| c[j * d + t] + 0.05 * (rng.f32() - 0.5)));
    }
    out
}

/// The calling thread's last error message ("" when there is none).
pub fn last_error() -> String {
    let text = unsafe { faissx_get_last_error() };
    if text.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned()
    }
}

/// Panics with the faissx message when a call failed.
#[track_caller]
pub fn check(rc: c_int) {
    assert_eq!(rc, 0, "call failed with {rc}: {}", last_error());
}

/// Asserts the code and that the message names every fragment (function, argument, ...).
#[track_caller]
pub fn expect_err(rc: c_int, code: c_int, fragments: &[&str]) {
    assert_eq!(rc, code, "unexpected code; last error: {}", last_error());
    expect_message(fragments);
}

/// Asserts that the last error names every fragment.
#[track_caller]
pub fn expect_message(fragments: &[&str]) {
    let message = last_error();
    for fragment in fragments {
        assert!(
            message.contains(fragment),
            "last error {message:?} does not mention {fragment:?}"
        );
    }
}

pub fn cstr(text: &str) -> CString {
    CString::new(text).expect("no NUL in test strings")
}

/// A file under the system temp dir, removed on drop; unique per process and per call, as
/// the tests of one binary run in parallel.
pub struct TempFile(PathBuf);

impl TempFile {
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        TempFile(std::env::temp_dir().join(format!("faissx-test-{}-{tag}-{n}", std::process::id())))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn c_path(&self) -> CString {
        cstr(self.0.to_str().expect("temp paths are UTF-8"))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A `FaissIndex*` with safe helpers; frees it on drop unless it is a borrowed view.
pub struct Index(pub *mut FaissIndex, bool);

impl Drop for Index {
    fn drop(&mut self) {
        if self.1 {
            unsafe { faissx_Index_free(self.0) }
        }
    }
}

impl Index {
    /// Takes ownership of what a `*_new` function wrote.
    #[track_caller]
    pub fn from_new(rc: c_int, ptr: *mut FaissIndex) -> Self {
        check(rc);
        assert!(!ptr.is_null(), "constructor succeeded but returned NULL");
        Index(ptr, true)
    }

    /// A view of an index owned elsewhere (a quantizer, a shard, a sub-index).
    pub fn borrowed(ptr: *mut FaissIndex) -> Self {
        assert!(!ptr.is_null(), "borrowed NULL");
        Index(ptr, false)
    }

    #[track_caller]
    pub fn factory(d: usize, description: &str, metric: FaissMetricType) -> Self {
        let mut p = ptr::null_mut();
        let desc = cstr(description);
        let rc = unsafe { faissx_index_factory(&mut p, d as c_int, desc.as_ptr(), metric) };
        Index::from_new(rc, p)
    }

    pub fn ptr(&self) -> *mut FaissIndex {
        self.0
    }

    /// Gives up ownership, for a parent that takes it (own_fields, shards, ...).
    pub fn into_raw(mut self) -> *mut FaissIndex {
        self.1 = false;
        self.0
    }

    pub fn d(&self) -> usize {
        unsafe { faissx_Index_d(self.0) as usize }
    }

    pub fn ntotal(&self) -> usize {
        unsafe { faissx_Index_ntotal(self.0) as usize }
    }

    #[track_caller]
    pub fn train(&self, x: &[f32]) {
        let n = (x.len() / self.d()) as idx_t;
        check(unsafe { faissx_Index_train(self.0, n, x.as_ptr()) });
    }

    #[track_caller]
    pub fn add(&self, x: &[f32]) {
        let n = (x.len() / self.d()) as idx_t;
        check(unsafe { faissx_Index_add(self.0, n, x.as_ptr()) });
    }

    #[track_caller]
    pub fn add_with_ids(&self, x: &[f32], ids: &[idx_t]) {
        assert_eq!(x.len(), ids.len() * self.d());
        check(unsafe {
            faissx_Index_add_with_ids(self.0, ids.len() as idx_t, x.as_ptr(), ids.as_ptr())
        });
    }

    /// k nearest neighbours of each query: (distances, labels), row-major.
    #[track_caller]
    pub fn search(&self, q: &[f32], k: usize) -> (Vec<f32>, Vec<idx_t>) {
        let n = q.len() / self.d();
        let mut dis = vec![f32::NAN; n * k];
        let mut lab = vec![-7; n * k];
        check(unsafe {
            faissx_Index_search(
                self.0,
                n as idx_t,
                q.as_ptr(),
                k as idx_t,
                dis.as_mut_ptr(),
                lab.as_mut_ptr(),
            )
        });
        (dis, lab)
    }

    #[track_caller]
    pub fn search_with_params(
        &self,
        q: &[f32],
        k: usize,
        params: *const FaissSearchParameters,
    ) -> (Vec<f32>, Vec<idx_t>) {
        let n = q.len() / self.d();
        let mut dis = vec![f32::NAN; n * k];
        let mut lab = vec![-7; n * k];
        check(unsafe {
            faissx_Index_search_with_params(
                self.0,
                n as idx_t,
                q.as_ptr(),
                k as idx_t,
                params,
                dis.as_mut_ptr(),
                lab.as_mut_ptr(),
            )
        });
        (dis, lab)
    }

    /// Range search: per query, the (label, distance) pairs sorted by label.
    #[track_caller]
    pub fn range_search(&self, q: &[f32], radius: f32) -> Vec<Vec<(idx_t, f32)>> {
        let n = q.len() / self.d();
        let result = RangeResult::new(n);
        check(unsafe {
            faissx_Index_range_search(self.0, n as idx_t, q.as_ptr(), radius, result.0)
        });
        result.per_query()
    }

    #[track_caller]
    pub fn reconstruct(&self, key: idx_t) -> Vec<f32> {
        let mut out = vec![f32::NAN; self.d()];
        check(unsafe { faissx_Index_reconstruct(self.0, key, out.as_mut_ptr()) });
        out
    }

    /// Serializes with `faissx_write_index_buf`.
    #[track_caller]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut size = 0usize;
        let mut buf = ptr::null_mut();
        check(unsafe {
            faissx::ffi::index_io::faissx_write_index_buf(self.0, &mut size, &mut buf)
        });
        let bytes = unsafe { std::slice::from_raw_parts(buf, size) }.to_vec();
        unsafe { faissx::ffi::index_io::faissx_free_buf(&mut buf) };
        assert!(buf.is_null(), "faissx_free_buf must reset the pointer");
        bytes
    }

    #[track_caller]
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut p = ptr::null_mut();
        let rc = unsafe {
            faissx::ffi::index_io::faissx_read_index_buf(bytes.as_ptr(), bytes.len(), 0, &mut p)
        };
        Index::from_new(rc, p)
    }
}

/// Owns a `FaissIndexBinary*`.
pub struct BinaryIndex(pub *mut FaissIndexBinary);

impl Drop for BinaryIndex {
    fn drop(&mut self) {
        unsafe { faissx_IndexBinary_free(self.0) }
    }
}

impl BinaryIndex {
    #[track_caller]
    pub fn from_new(rc: c_int, ptr: *mut FaissIndexBinary) -> Self {
        check(rc);
        assert!(!ptr.is_null(), "constructor succeeded but returned NULL");
        BinaryIndex(ptr)
    }

    #[track_caller]
    pub fn factory(d: usize, description: &str) -> Self {
        let mut p = ptr::null_mut();
        let desc = cstr(description);
        let rc = unsafe { faissx_index_binary_factory(&mut p, d as c_int, desc.as_ptr()) };
        BinaryIndex::from_new(rc, p)
    }

    pub fn ptr(&self) -> *mut FaissIndexBinary {
        self.0
    }

    pub fn into_raw(self) -> *mut FaissIndexBinary {
        let p = self.0;
        std::mem::forget(self);
        p
    }

    /// Bytes per code.
    pub fn code_size(&self) -> usize {
        unsafe { faissx_IndexBinary_d(self.0) as usize / 8 }
    }

    #[track_caller]
    pub fn add(&self, x: &[u8]) {
        let n = (x.len() / self.code_size()) as idx_t;
        check(unsafe { faissx_IndexBinary_add(self.0, n, x.as_ptr()) });
    }

    #[track_caller]
    pub fn train(&self, x: &[u8]) {
        let n = (x.len() / self.code_size()) as idx_t;
        check(unsafe { faissx_IndexBinary_train(self.0, n, x.as_ptr()) });
    }

    #[track_caller]
    pub fn search(&self, q: &[u8], k: usize) -> (Vec<i32>, Vec<idx_t>) {
        let n = q.len() / self.code_size();
        let mut dis = vec![-1; n * k];
        let mut lab = vec![-7; n * k];
        check(unsafe {
            faissx_IndexBinary_search(
                self.0,
                n as idx_t,
                q.as_ptr(),
                k as idx_t,
                dis.as_mut_ptr(),
                lab.as_mut_ptr(),
            )
        });
        (dis, lab)
    }
}

/// Owns a `FaissRangeSearchResult*`.
pub struct RangeResult(pub *mut FaissRangeSearchResult);

impl Drop for RangeResult {
    fn drop(&mut self) {
        unsafe { faissx_RangeSearchResult_free(self.0) }
    }
}

impl RangeResult {
    #[track_caller]
    pub fn new(nq: usize) -> Self {
        let mut p = ptr::null_mut();
        check(unsafe { faissx_RangeSearchResult_new(&mut p, nq as idx_t) });
        assert!(!p.is_null());
        RangeResult(p)
    }

    /// (lims, labels, distances) as FAISS laid them out.
    pub fn raw(&self) -> (Vec<usize>, Vec<idx_t>, Vec<f32>) {
        unsafe {
            let nq = faissx_RangeSearchResult_nq(self.0);
            let mut lims = ptr::null_mut();
            faissx_RangeSearchResult_lims(self.0, &mut lims);
            let lims = std::slice::from_raw_parts(lims, nq + 1).to_vec();
            let total = lims[nq];
            let (mut labels, mut distances) = (ptr::null_mut(), ptr::null_mut());
            faissx_RangeSearchResult_labels(self.0, &mut labels, &mut distances);
            if total == 0 {
                return (lims, Vec::new(), Vec::new());
            }
            (
                lims,
                std::slice::from_raw_parts(labels, total).to_vec(),
                std::slice::from_raw_parts(distances, total).to_vec(),
            )
        }
    }

    /// Per query, (label, distance) sorted by label: FAISS does not order range results.
    pub fn per_query(&self) -> Vec<Vec<(idx_t, f32)>> {
        let (lims, labels, distances) = self.raw();
        lims.windows(2)
            .map(|w| {
                let mut hits: Vec<_> = (w[0]..w[1]).map(|j| (labels[j], distances[j])).collect();
                hits.sort_by_key(|h| h.0);
                hits
            })
            .collect()
    }
}

/// Owns any `FaissIDSelector*` (every selector type frees through `faissx_IDSelector_free`).
pub struct Selector(pub *mut FaissIDSelector);

impl Drop for Selector {
    fn drop(&mut self) {
        unsafe { faissx_IDSelector_free(self.0) }
    }
}

impl Selector {
    #[track_caller]
    pub fn range(imin: idx_t, imax: idx_t) -> Self {
        let mut p = ptr::null_mut();
        check(unsafe { faissx_IDSelectorRange_new(&mut p, imin, imax) });
        Selector(p.cast())
    }

    #[track_caller]
    pub fn batch(ids: &[idx_t]) -> Self {
        let mut p = ptr::null_mut();
        check(unsafe { faissx_IDSelectorBatch_new(&mut p, ids.len(), ids.as_ptr()) });
        Selector(p.cast())
    }

    pub fn contains(&self, id: idx_t) -> bool {
        unsafe { faissx_IDSelector_is_member(self.0, id) != 0 }
    }
}

/// Owns a `FaissSearchParameters*` of any kind.
pub struct Params(pub *mut FaissSearchParameters);

impl Drop for Params {
    fn drop(&mut self) {
        unsafe { faissx_SearchParameters_free(self.0) }
    }
}

pub fn l2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub fn hamming(a: &[u8], b: &[u8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x ^ y).count_ones() as i32)
        .sum()
}

/// Whether `a` and `b` agree to float32 rounding of sums of `d`-term products.
pub fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-4 * (1.0 + a.abs().max(b.abs()))
}

/// Checks k-NN results against exhaustive search done here in plain Rust. Labels are compared
/// through distances: two database vectors at (almost) the same distance may come in either
/// order, but every reported distance must be the true distance of its label and the true
/// i-th best distance.
#[track_caller]
pub fn assert_knn(
    xb: &[f32],
    xq: &[f32],
    d: usize,
    k: usize,
    metric: FaissMetricType,
    (dis, lab): (&[f32], &[idx_t]),
) {
    let nb = xb.len() / d;
    for (qi, q) in xq.chunks(d).enumerate() {
        let mut truth: Vec<f32> = xb
            .chunks(d)
            .map(|v| {
                if metric == METRIC_L2 {
                    l2(q, v)
                } else {
                    dot(q, v)
                }
            })
            .collect();
        if metric == METRIC_L2 {
            truth.sort_by(|a, b| a.total_cmp(b));
        } else {
            truth.sort_by(|a, b| b.total_cmp(a));
        }
        let row = qi * k..(qi + 1) * k;
        let mut seen = std::collections::HashSet::new();
        for (rank, (&dist, &label)) in dis[row.clone()].iter().zip(&lab[row]).enumerate() {
            if rank >= nb {
                assert_eq!(
                    label, -1,
                    "query {qi}: rank {rank} beyond ntotal must be -1"
                );
                continue;
            }
            assert!(
                (0..nb as idx_t).contains(&label),
                "query {qi} rank {rank}: label {label} out of range"
            );
            assert!(seen.insert(label), "query {qi}: label {label} twice");
            let v = &xb[label as usize * d..(label as usize + 1) * d];
            let own = if metric == METRIC_L2 {
                l2(q, v)
            } else {
                dot(q, v)
            };
            assert!(close(dist, own), "query {qi} rank {rank}: {dist} vs {own}");
            assert!(
                close(dist, truth[rank]),
                "query {qi} rank {rank}: {dist} vs best {}",
                truth[rank]
            );
        }
    }
}

/// Fraction of exact nearest neighbours (first column of `exact`) found in the `k` results.
pub fn recall_at(exact: &[idx_t], exact_k: usize, found: &[idx_t], k: usize) -> f64 {
    let nq = found.len() / k;
    let hits = (0..nq)
        .filter(|&q| found[q * k..(q + 1) * k].contains(&exact[q * exact_k]))
        .count();
    hits as f64 / nq as f64
}

thread_local! {
    /// The custom writer's sink and the custom reader's source with its cursor: FAISS's
    /// callbacks carry no user pointer, and each test thread has its own. The writer also keeps
    /// each call's length, as the callbacks see the same calls in both modes.
    static SINK: RefCell<(Vec<u8>, Vec<usize>)> = const { RefCell::new((Vec::new(), Vec::new())) };
    static SOURCE: RefCell<(Vec<u8>, usize)> = const { RefCell::new((Vec::new(), 0)) };
}

unsafe extern "C" fn write_to_sink(data: *const c_void, size: usize, items: usize) -> usize {
    let bytes = std::slice::from_raw_parts(data.cast::<u8>(), size * items);
    SINK.with(|sink| {
        let (all, calls) = &mut *sink.borrow_mut();
        all.extend_from_slice(bytes);
        calls.push(bytes.len());
    });
    items
}

unsafe extern "C" fn read_from_source(data: *mut c_void, size: usize, items: usize) -> usize {
    SOURCE.with(|source| {
        let (bytes, pos) = &mut *source.borrow_mut();
        let whole = ((bytes.len() - *pos) / size.max(1)).min(items);
        let n = whole * size;
        std::ptr::copy_nonoverlapping(bytes[*pos..].as_ptr(), data.cast::<u8>(), n);
        *pos += n;
        whole
    })
}

/// A CustomIOWriter writing to this thread's sink (emptied first).
pub fn custom_writer() -> *mut FaissCustomIOWriter {
    SINK.with(|sink| *sink.borrow_mut() = Default::default());
    let mut w = ptr::null_mut();
    check(unsafe { faissx_CustomIOWriter_new(&mut w, Some(write_to_sink)) });
    assert!(!w.is_null());
    w
}

/// A CustomIOReader over `bytes`.
pub fn custom_reader(bytes: Vec<u8>) -> *mut FaissCustomIOReader {
    SOURCE.with(|source| *source.borrow_mut() = (bytes, 0));
    let mut r = ptr::null_mut();
    check(unsafe { faissx_CustomIOReader_new(&mut r, Some(read_from_source)) });
    assert!(!r.is_null());
    r
}

/// Writes through a CustomIOWriter; returns the return code, the bytes and each call's length.
pub fn write_custom(
    write: impl FnOnce(*mut FaissIOWriter) -> c_int,
) -> (c_int, Vec<u8>, Vec<usize>) {
    let w = custom_writer();
    // A CustomIOWriter is an IOWriter, as in FAISS's class graph.
    let rc = write(w.cast());
    unsafe { faissx_CustomIOWriter_free(w) };
    let (bytes, calls) = SINK.with(|sink| sink.take());
    (rc, bytes, calls)
}

/// Reads through a CustomIOReader over `bytes`.
pub fn read_custom<T>(
    bytes: &[u8],
    read: impl FnOnce(*mut FaissIOReader) -> (c_int, T),
) -> (c_int, T) {
    let r = custom_reader(bytes.to_vec());
    let out = read(r.cast());
    unsafe { faissx_CustomIOReader_free(r) };
    out
}
