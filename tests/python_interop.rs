//! Index files cross between faissx and the Python `faiss-cpu` wheel in both directions and
//! answer the same. Needs `python3` with faiss-cpu and numpy (`pip install faiss-cpu numpy`);
//! without them these tests fail, they never skip. `FAISSX_PYTHON` overrides the interpreter.

mod common;

use common::*;
use faissx::ffi::index_hnsw::faissx_IndexHNSW_set_efSearch;
use faissx::ffi::index_io::*;
use faissx::ffi::index_ivf::faissx_IndexIVF_set_nprobe;
use faissx::ffi::types::*;
use faissx::ffi::vector_transform::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr;

const D: usize = 16;
const K: usize = 10;

/// A scratch directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = TempFile::new(tag).path().to_path_buf();
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[track_caller]
fn python(args: &[&str]) {
    let interpreter = std::env::var("FAISSX_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/interop.py");
    let output = Command::new(&interpreter)
        .arg(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {interpreter}: {e}; the Python interop tests need python3")
        });
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(3) {
        panic!("the Python interop tests need faiss-cpu and numpy for {interpreter}: {stderr}");
    }
    assert!(
        output.status.success(),
        "interop.py {args:?} failed ({}): {stderr}",
        output.status
    );
}

fn write_f32(path: &Path, x: &[f32]) {
    std::fs::write(
        path,
        x.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>(),
    )
    .unwrap();
}

fn read_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    bytes
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn read_results(dir: &TempDir, prefix: &str) -> (Vec<f32>, Vec<idx_t>) {
    let labels = std::fs::read(dir.file(&format!("{prefix}.lab"))).unwrap();
    let labels = labels
        .chunks(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    (read_f32(&dir.file(&format!("{prefix}.dis"))), labels)
}

/// The same labels; distances equal up to the last bits, which SIMD code paths of two
/// different FAISS builds may round differently.
#[track_caller]
fn assert_same_results(what: &str, ours: &(Vec<f32>, Vec<idx_t>), theirs: &(Vec<f32>, Vec<idx_t>)) {
    assert_eq!(ours.1, theirs.1, "{what}: labels differ");
    assert_eq!(ours.0.len(), theirs.0.len());
    for (a, b) in ours.0.iter().zip(&theirs.0) {
        assert!(close(*a, *b), "{what}: distance {a} vs {b}");
    }
    assert!(ours.1.iter().all(|&l| l >= 0), "{what}: missing results");
}

fn data(dir: &TempDir) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(151);
    let (xb, xq) = (rng.vectors(2000, D), rng.vectors(20, D));
    write_f32(&dir.file("xb.f32"), &xb);
    write_f32(&dir.file("xq.f32"), &xq);
    (xb, xq)
}

#[test]
fn python_faiss_is_available() {
    python(&["check"]);
}

#[test]
fn python_reads_faissx_indexes() {
    let dir = TempDir::new("py-reads");
    let (xb, xq) = data(&dir);
    let flat = Index::factory(D, "Flat", METRIC_L2);
    let ivf = Index::factory(D, "IVF16,Flat", METRIC_L2);
    ivf.train(&xb);
    unsafe { faissx_IndexIVF_set_nprobe(ivf.ptr(), 4) };
    let hnsw = Index::factory(D, "HNSW16", METRIC_L2);
    unsafe { faissx_IndexHNSW_set_efSearch(hnsw.ptr(), 64) };
    let indexes = [("flat", &flat), ("ivf", &ivf), ("hnsw", &hnsw)];
    for (name, index) in indexes {
        index.add(&xb);
        let path = cstr(dir.file(&format!("rs_{name}.index")).to_str().unwrap());
        check(unsafe { faissx_write_index_fname(index.ptr(), path.as_ptr()) });
    }
    python(&[
        "search",
        dir.0.to_str().unwrap(),
        &D.to_string(),
        &K.to_string(),
    ]);
    for (name, index) in indexes {
        let theirs = read_results(&dir, &format!("pysearch_{name}"));
        assert_same_results(name, &index.search(&xq, K), &theirs);
    }
}

#[test]
fn faissx_reads_python_indexes() {
    let dir = TempDir::new("rs-reads");
    let (_, xq) = data(&dir);
    python(&[
        "build",
        dir.0.to_str().unwrap(),
        &D.to_string(),
        &K.to_string(),
    ]);
    for name in ["flat", "ivf", "hnsw"] {
        let path = cstr(dir.file(&format!("py_{name}.index")).to_str().unwrap());
        let mut p = ptr::null_mut();
        let index = Index::from_new(
            unsafe { faissx_read_index_fname(path.as_ptr(), 0, &mut p) },
            p,
        );
        assert_eq!(index.ntotal(), 2000, "{name}");
        let theirs = read_results(&dir, &format!("py_{name}"));
        assert_same_results(name, &index.search(&xq, K), &theirs);
    }

    // A vector transform FAISS's Python API wrote, which only read_VectorTransform loads.
    let path = cstr(dir.file("py_pca.vt").to_str().unwrap());
    let mut vt = ptr::null_mut();
    check(unsafe { faissx_read_VectorTransform_fname(path.as_ptr(), &mut vt) });
    assert_eq!(unsafe { faissx_VectorTransform_d_out(vt) }, (D / 2) as i32);
    let mut out = vec![0.0; 20 * D / 2];
    unsafe { faissx_VectorTransform_apply_noalloc(vt, 20, xq.as_ptr(), out.as_mut_ptr()) };
    unsafe { faissx_VectorTransform_free(vt) };
    let theirs = read_f32(&dir.file("py_pca.out"));
    assert_eq!(out.len(), theirs.len());
    for (a, b) in out.iter().zip(&theirs) {
        assert!((a - b).abs() < 1e-5, "PCA output {a} vs {b}");
    }
}
