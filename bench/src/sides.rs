//! The two ways into the same FAISS: the `faiss` crate (FAISS's C API through faiss-sys) and
//! faissx's exported `faissx_*` functions. Both link the one static FAISS build of faiss-sys,
//! so any difference between them is faissx's forwarding.
//!
//! Each method times only the library call; for search that includes allocating the result
//! vectors on both sides, since the `faiss` crate allocates them inside `search`.

use crate::data::D;
use faiss::index::autotune::ParameterSpace;
use faiss::index::{FromInnerPtr, IndexImpl, UpcastIndex};
use faiss::{Index, MetricType};
use faissx::ffi::types::{idx_t, FaissIndex, METRIC_L2};
use faissx::ffi::{
    error, faissx as fx, index, index_factory, index_flat, index_hnsw, index_io, index_ivf,
};
use std::ffi::{c_void, CStr, CString};
use std::mem::ManuallyDrop;
use std::os::raw::c_int;
use std::path::Path;
use std::time::{Duration, Instant};

/// One index on one side.
pub trait Side {
    fn train(&mut self, x: &[f32]) -> Duration;
    fn add(&mut self, x: &[f32]) -> Duration;
    /// Wall time and the labels, row-major `nq * k`.
    fn search(&mut self, queries: &[f32], k: usize) -> (Duration, Vec<i64>);
    /// `nprobe` (IVF) or `efSearch` (HNSW).
    fn set_param(&mut self, name: &str, value: usize);
    /// Writes the index in FAISS's file format.
    fn save(&self, path: &Path);
    /// The FAISS object behind the handle, for [`Lib::view`].
    fn raw(&self) -> *mut c_void;
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lib {
    FaissCrate,
    Faissx,
}

impl Lib {
    pub fn name(self) -> &'static str {
        match self {
            Lib::FaissCrate => "faiss crate",
            Lib::Faissx => "faissx",
        }
    }

    pub fn flat_l2(self) -> Box<dyn Side> {
        match self {
            Lib::FaissCrate => CrateIndex::owned(
                faiss::FlatIndex::new_l2(D as u32)
                    .expect("faiss FlatIndex::new_l2")
                    .upcast(),
            ),
            Lib::Faissx => {
                let mut p = std::ptr::null_mut();
                check(
                    unsafe { index_flat::faissx_IndexFlatL2_new_with(&mut p, D as idx_t) },
                    "faissx_IndexFlatL2_new_with",
                );
                FaissxIndex::owned(p)
            }
        }
    }

    pub fn factory(self, description: &str) -> Box<dyn Side> {
        match self {
            Lib::FaissCrate => CrateIndex::owned(
                faiss::index_factory(D as u32, description, MetricType::L2)
                    .expect("faiss index_factory"),
            ),
            Lib::Faissx => {
                let text = CString::new(description).expect("no NUL in a factory string");
                let mut p = std::ptr::null_mut();
                check(
                    unsafe {
                        index_factory::faissx_index_factory(
                            &mut p,
                            D as c_int,
                            text.as_ptr(),
                            METRIC_L2,
                        )
                    },
                    "faissx_index_factory",
                );
                FaissxIndex::owned(p)
            }
        }
    }

    pub fn read(self, path: &Path) -> Box<dyn Side> {
        match self {
            Lib::FaissCrate => CrateIndex::owned(
                faiss::read_index(path.to_str().expect("UTF-8 temp path"))
                    .expect("faiss read_index"),
            ),
            Lib::Faissx => {
                let bytes = std::fs::read(path).expect("read the saved index");
                let mut p = std::ptr::null_mut();
                check(
                    unsafe {
                        index_io::faissx_read_index_buf(bytes.as_ptr(), bytes.len(), 0, &mut p)
                    },
                    "faissx_read_index_buf",
                );
                FaissxIndex::owned(p)
            }
        }
    }

    /// A second handle on the FAISS object behind `of`, which keeps owning it. A local faissx
    /// handle is FAISS's own C++ object, so the `faiss` crate can drive one faissx built: both
    /// sides then search the very same memory, and only the call path differs.
    pub fn view(self, of: &dyn Side) -> Box<dyn Side> {
        let raw = of.raw();
        assert_eq!(
            unsafe { fx::faissx_is_remote(raw.cast()) },
            0,
            "a remote handle has no FAISS object to share"
        );
        match self {
            Lib::FaissCrate => Box::new(CrateIndex {
                index: ManuallyDrop::new(unsafe { IndexImpl::from_inner_ptr(raw.cast()) }),
                owned: false,
            }),
            Lib::Faissx => Box::new(FaissxIndex {
                ptr: raw.cast(),
                owned: false,
            }),
        }
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let value = f();
    (start.elapsed(), value)
}

struct CrateIndex {
    index: ManuallyDrop<IndexImpl>,
    owned: bool,
}

impl CrateIndex {
    fn owned(index: IndexImpl) -> Box<dyn Side> {
        Box::new(CrateIndex {
            index: ManuallyDrop::new(index),
            owned: true,
        })
    }
}

impl Drop for CrateIndex {
    fn drop(&mut self) {
        if self.owned {
            unsafe { ManuallyDrop::drop(&mut self.index) }
        }
    }
}

impl Side for CrateIndex {
    fn train(&mut self, x: &[f32]) -> Duration {
        let (t, r) = timed(|| self.index.train(x));
        r.expect("faiss train");
        t
    }

    fn add(&mut self, x: &[f32]) -> Duration {
        let (t, r) = timed(|| self.index.add(x));
        r.expect("faiss add");
        t
    }

    fn search(&mut self, queries: &[f32], k: usize) -> (Duration, Vec<i64>) {
        let (t, r) = timed(|| self.index.search(queries, k));
        let labels = r.expect("faiss search").labels;
        (t, labels.into_iter().map(|l| l.to_native()).collect())
    }

    fn set_param(&mut self, name: &str, value: usize) {
        ParameterSpace::new()
            .and_then(|space| space.set_index_parameter(&*self.index, name, value as f64))
            .unwrap_or_else(|e| panic!("faiss ParameterSpace {name}: {e}"));
    }

    fn save(&self, path: &Path) {
        faiss::write_index(&*self.index, path.to_str().expect("UTF-8 temp path"))
            .expect("faiss write_index");
    }

    fn raw(&self) -> *mut c_void {
        self.index.inner_ptr().cast()
    }
}

struct FaissxIndex {
    ptr: *mut FaissIndex,
    owned: bool,
}

impl FaissxIndex {
    fn owned(ptr: *mut FaissIndex) -> Box<dyn Side> {
        Box::new(FaissxIndex { ptr, owned: true })
    }
}

impl Drop for FaissxIndex {
    fn drop(&mut self) {
        if self.owned {
            unsafe { index::faissx_Index_free(self.ptr) }
        }
    }
}

/// Panics with faissx's own message: a failing call means the benchmark measured nothing.
fn check(code: c_int, what: &str) {
    if code != 0 {
        let message = unsafe { error::faissx_get_last_error() };
        let message = if message.is_null() {
            "(no message)".into()
        } else {
            unsafe { CStr::from_ptr(message) }.to_string_lossy()
        };
        panic!("{what} returned {code}: {message}");
    }
}

impl Side for FaissxIndex {
    fn train(&mut self, x: &[f32]) -> Duration {
        let n = (x.len() / D) as idx_t;
        let (t, code) = timed(|| unsafe { index::faissx_Index_train(self.ptr, n, x.as_ptr()) });
        check(code, "faissx_Index_train");
        t
    }

    fn add(&mut self, x: &[f32]) -> Duration {
        let n = (x.len() / D) as idx_t;
        let (t, code) = timed(|| unsafe { index::faissx_Index_add(self.ptr, n, x.as_ptr()) });
        check(code, "faissx_Index_add");
        t
    }

    fn search(&mut self, queries: &[f32], k: usize) -> (Duration, Vec<i64>) {
        let nq = queries.len() / D;
        let (t, (code, labels)) = timed(|| {
            let mut distances = vec![0f32; nq * k];
            let mut labels = vec![-1 as idx_t; nq * k];
            let code = unsafe {
                index::faissx_Index_search(
                    self.ptr,
                    nq as idx_t,
                    queries.as_ptr(),
                    k as idx_t,
                    distances.as_mut_ptr(),
                    labels.as_mut_ptr(),
                )
            };
            (code, labels)
        });
        check(code, "faissx_Index_search");
        (t, labels)
    }

    fn set_param(&mut self, name: &str, value: usize) {
        // Through faissx's typed setters rather than ParameterSpace: they are what a C caller
        // of the ABI would use, and they fail loudly on the wrong index type.
        unsafe {
            match name {
                "nprobe" => {
                    let ivf = index_ivf::faissx_IndexIVF_cast(self.ptr);
                    assert!(!ivf.is_null(), "nprobe on a non-IVF index");
                    index_ivf::faissx_IndexIVF_set_nprobe(ivf, value);
                }
                "efSearch" => {
                    index_hnsw::faissx_IndexHNSW_set_efSearch(self.ptr, value as c_int);
                    assert_eq!(
                        index_hnsw::faissx_IndexHNSW_efSearch(self.ptr),
                        value as c_int,
                        "efSearch did not take"
                    );
                }
                other => panic!("no faissx setter for {other}"),
            }
        }
    }

    fn save(&self, path: &Path) {
        let mut size = 0usize;
        let mut buf = std::ptr::null_mut();
        check(
            unsafe { index_io::faissx_write_index_buf(self.ptr, &mut size, &mut buf) },
            "faissx_write_index_buf",
        );
        let written = std::fs::write(path, unsafe { std::slice::from_raw_parts(buf, size) });
        unsafe { index_io::faissx_free_buf(&mut buf) };
        written.expect("write the serialized index");
    }

    fn raw(&self) -> *mut c_void {
        self.ptr.cast()
    }
}
