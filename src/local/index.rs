//! An owned FAISS index as a Rust value, for the server: every protocol operation on it, with
//! the input validated first (the bytes come from the network, not from a trusted caller).

use crate::ffi::boundary::{faiss_status, nlist_in_range, Error, Result};
use crate::ffi::types::*;
use crate::local::{shim, shim_status, sys};
use crate::protocol::{
    from_frame, to_frame, IndexInfo, IndexSpec, SearchParams, Selector, MAX_SELECTOR_DEPTH,
    MAX_SELECTOR_NODES,
};
use std::ffi::CString;
use std::os::raw::{c_int, c_void};
use std::ptr;

/// A FAISS index this value owns and frees.
pub struct LocalIndex(RawIndex);

/// The FAISS object behind a [`LocalIndex`]: float vectors or binary codes.
#[derive(Clone, Copy)]
pub enum RawIndex {
    Float(*mut FaissIndex),
    Binary(*mut FaissIndexBinary),
}

impl RawIndex {
    /// The FAISS object, for the shim (which casts it back).
    fn ptr(self) -> *const c_void {
        match self {
            RawIndex::Float(index) => index.cast_const().cast(),
            RawIndex::Binary(index) => index.cast_const().cast(),
        }
    }
}

// SAFETY: FAISS indexes have no thread affinity. Concurrent const operations (search,
// reconstruct) are safe in FAISS; the server serializes every mutation behind a write lock.
unsafe impl Send for LocalIndex {}
unsafe impl Sync for LocalIndex {}

impl Drop for LocalIndex {
    fn drop(&mut self) {
        // SAFETY: the pointer is owned by this value and freed once.
        unsafe {
            match self.0 {
                RawIndex::Float(index) => sys::faiss_Index_free(index),
                RawIndex::Binary(index) => sys::faiss_IndexBinary_free(index),
            }
        }
    }
}

/// Converts a wire count to FAISS's `idx_t`.
fn idx(n: u64, what: &str) -> Result<idx_t> {
    idx_t::try_from(n).map_err(|_| Error::invalid(format!("{what} = {n} is too large")))
}

fn metric(metric: u32) -> Result<FaissMetricType> {
    crate::ffi::boundary::known_metric(metric)
}

fn dim(d: u64) -> Result<c_int> {
    match c_int::try_from(d) {
        Ok(d) if d > 0 => Ok(d),
        _ => Err(Error::invalid(format!("d must be in 1..=2^31 (got {d})"))),
    }
}

/// Runs a FAISS constructor that writes its result through an out-pointer.
unsafe fn construct<T>(build: impl FnOnce(*mut *mut T) -> Result<()>) -> Result<*mut T> {
    let mut out: *mut T = ptr::null_mut();
    build(&mut out)?;
    Ok(out)
}

impl LocalIndex {
    /// Builds the index `spec` describes. `sub` returns a sub-index named in the spec (a
    /// quantizer, a wrapped index), which the new index borrows as FAISS composites do
    /// (own_fields off): the caller keeps it alive as long as the new index.
    pub fn create(spec: &IndexSpec, sub: &dyn Fn(&str) -> Result<RawIndex>) -> Result<Self> {
        // SAFETY: every pointer comes from a FAISS constructor or from `sub`, whose caller
        // keeps the sub-index alive.
        unsafe {
            Ok(LocalIndex(match spec {
                IndexSpec::Factory {
                    d,
                    description,
                    metric: m,
                } => {
                    crate::ffi::boundary::factory_description(description, false)?;
                    let description = CString::new(description.as_str())
                        .map_err(|_| Error::invalid("description contains NUL"))?;
                    let (d, m) = (dim((*d).into())?, metric(*m)?);
                    let built = construct(|out| {
                        faiss_status(sys::faiss_index_factory(out, d, description.as_ptr(), m))
                    })?;
                    // Owned from here, so a refused structure is freed.
                    let built = LocalIndex(RawIndex::Float(built));
                    shim_status(shim::faissx_shim_check_index(built.0.ptr()))?;
                    return Ok(built);
                }
                IndexSpec::BinaryFactory { d, description } => {
                    crate::ffi::boundary::factory_description(description, true)?;
                    let description = CString::new(description.as_str())
                        .map_err(|_| Error::invalid("description contains NUL"))?;
                    let d = dim((*d).into())?;
                    let built = LocalIndex(RawIndex::Binary(construct(|out| {
                        faiss_status(sys::faiss_index_binary_factory(
                            out,
                            d,
                            description.as_ptr(),
                        ))
                    })?));
                    shim_status(shim::faissx_shim_check_index_binary(built.0.ptr()))?;
                    return Ok(built);
                }
                IndexSpec::FlatL2 { d } => {
                    let d = dim((*d).into())?;
                    RawIndex::Float(construct(|out| {
                        faiss_status(sys::faiss_IndexFlatL2_new_with(out, d.into()))
                    })?)
                }
                IndexSpec::FlatIP { d } => {
                    let d = dim((*d).into())?;
                    RawIndex::Float(construct(|out| {
                        faiss_status(sys::faiss_IndexFlatIP_new_with(out, d.into()))
                    })?)
                }
                IndexSpec::Flat { d, metric: m } => {
                    let (d, m) = (dim((*d).into())?, metric(*m)?);
                    RawIndex::Float(construct(|out| {
                        faiss_status(sys::faiss_IndexFlat_new_with(out, d.into(), m))
                    })?)
                }
                IndexSpec::ScalarQuantizer { d, qt, metric: m } => {
                    let (d, m) = (dim((*d).into())?, metric(*m)?);
                    let qt = crate::ffi::boundary::known_quantizer_type(*qt)?;
                    RawIndex::Float(construct(|out| {
                        faiss_status(sys::faiss_IndexScalarQuantizer_new_with(
                            out,
                            d.into(),
                            qt,
                            m,
                        ))
                    })?)
                }
                IndexSpec::HnswFlat { d, m, metric: mt } => {
                    let (d, mt) = (dim((*d).into())?, metric(*mt)?);
                    let m = crate::ffi::boundary::hnsw_m((*m).into())?;
                    RawIndex::Float(construct(|out: *mut *mut FaissIndex| {
                        shim_status(shim::faissx_shim_IndexHNSWFlat_new(
                            out.cast(),
                            d,
                            m,
                            mt as c_int,
                        ))
                    })?)
                }
                IndexSpec::Pq {
                    d,
                    m,
                    nbits,
                    metric: mt,
                } => {
                    let (d, mt) = (dim((*d).into())?, metric(*mt)?);
                    crate::ffi::boundary::pq_shape(d.into(), *m, *nbits)?;
                    let (m, nbits) = (*m as usize, *nbits as usize);
                    RawIndex::Float(construct(|out: *mut *mut FaissIndex| {
                        shim_status(shim::faissx_shim_IndexPQ_new(
                            out.cast(),
                            d,
                            m,
                            nbits,
                            mt as c_int,
                        ))
                    })?)
                }
                IndexSpec::IvfFlat {
                    quantizer,
                    d,
                    nlist,
                    metric: m,
                } => {
                    let quantizer = float_sub(sub(quantizer)?, *d)?;
                    let m = metric(*m)?;
                    nlist_in_range(*nlist)?;
                    RawIndex::Float(construct(|out| {
                        faiss_status(sys::faiss_IndexIVFFlat_new_with_metric(
                            out,
                            quantizer,
                            *d as usize,
                            *nlist as usize,
                            m,
                        ))
                    })?)
                }
                IndexSpec::IvfScalarQuantizer {
                    quantizer,
                    d,
                    nlist,
                    qt,
                    metric: m,
                    by_residual,
                } => {
                    let quantizer = float_sub(sub(quantizer)?, *d)?;
                    let m = crate::ffi::boundary::ivf_scan_metric(*m, "IndexIVFScalarQuantizer")?;
                    let qt = crate::ffi::boundary::known_quantizer_type(*qt)?;
                    nlist_in_range(*nlist)?;
                    RawIndex::Float(construct(|out| {
                        faiss_status(sys::faiss_IndexIVFScalarQuantizer_new_with_metric(
                            out,
                            quantizer,
                            *d as usize,
                            *nlist as usize,
                            qt,
                            m,
                            c_int::from(*by_residual),
                        ))
                    })?)
                }
                IndexSpec::IvfPq {
                    quantizer,
                    d,
                    nlist,
                    m,
                    nbits,
                    metric: mt,
                } => {
                    let quantizer = float_sub(sub(quantizer)?, *d)?;
                    let mt = crate::ffi::boundary::ivf_scan_metric(*mt, "IndexIVFPQ")?;
                    nlist_in_range(*nlist)?;
                    let d_signed = i64::try_from(*d).unwrap_or(-1);
                    crate::ffi::boundary::pq_shape(d_signed, *m, *nbits)?;
                    RawIndex::Float(construct(|out: *mut *mut FaissIndex| {
                        shim_status(shim::faissx_shim_IndexIVFPQ_new(
                            out.cast(),
                            quantizer.cast(),
                            *d as usize,
                            *nlist as usize,
                            *m as usize,
                            *nbits as usize,
                            mt as c_int,
                        ))
                    })?)
                }
                IndexSpec::IdMap { sub_index, two_way } => {
                    let RawIndex::Float(wrapped) = sub(sub_index)? else {
                        return Err(Error::invalid("an IDMap cannot wrap a binary index"));
                    };
                    RawIndex::Float(construct(|out| {
                        faiss_status(if *two_way {
                            sys::faiss_IndexIDMap2_new(out, wrapped)
                        } else {
                            sys::faiss_IndexIDMap_new(out, wrapped)
                        })
                    })?)
                }
                IndexSpec::BinaryFlat { d } => {
                    binary_d(*d)?;
                    RawIndex::Binary(construct(|out: *mut *mut FaissIndexBinary| {
                        shim_status(shim::faissx_shim_IndexBinaryFlat_new(out.cast(), *d as i64))
                    })?)
                }
                IndexSpec::BinaryIvf {
                    quantizer,
                    d,
                    nlist,
                } => {
                    binary_d(*d)?;
                    let RawIndex::Binary(quantizer) = sub(quantizer)? else {
                        return Err(Error::invalid("a binary IVF needs a binary quantizer"));
                    };
                    if sys::faiss_IndexBinary_d(quantizer) as u64 != *d {
                        return Err(Error::invalid("quantizer and index dimensions differ"));
                    }
                    nlist_in_range(*nlist)?;
                    RawIndex::Binary(construct(|out: *mut *mut FaissIndexBinary| {
                        shim_status(shim::faissx_shim_IndexBinaryIVF_new(
                            out.cast(),
                            quantizer.cast(),
                            *d as usize,
                            *nlist as usize,
                        ))
                    })?)
                }
                IndexSpec::Flat1D { continuous_update } => RawIndex::Float(
                    construct(|out| {
                        faiss_status(sys::faiss_IndexFlat1D_new_with(
                            out,
                            c_int::from(*continuous_update),
                        ))
                    })?
                    .cast(),
                ),
                IndexSpec::Lsh {
                    d,
                    nbits,
                    rotate_data,
                    train_thresholds,
                } => {
                    let d = dim((*d).into())?;
                    crate::ffi::boundary::lsh_shape(d.into(), (*nbits).into())?;
                    RawIndex::Float(
                        construct(|out| {
                            faiss_status(sys::faiss_IndexLSH_new_with_options(
                                out,
                                d.into(),
                                *nbits as c_int,
                                c_int::from(*rotate_data),
                                c_int::from(*train_thresholds),
                            ))
                        })?
                        .cast(),
                    )
                }
                IndexSpec::RefineFlat { base } => {
                    let RawIndex::Float(base) = sub(base)? else {
                        return Err(Error::invalid(
                            "an IndexRefineFlat cannot refine a binary index",
                        ));
                    };
                    RawIndex::Float(
                        construct(|out| faiss_status(sys::faiss_IndexRefineFlat_new(out, base)))?
                            .cast(),
                    )
                }
                IndexSpec::Default { class } => {
                    let class = CString::new(class.as_str())
                        .map_err(|_| Error::invalid("class contains NUL"))?;
                    RawIndex::Float(construct(|out: *mut *mut FaissIndex| {
                        shim_status(shim::faissx_shim_new_default(class.as_ptr(), out.cast()))
                    })?)
                }
                IndexSpec::PreTransform { index, transform } => {
                    let RawIndex::Float(inner) = sub(index)? else {
                        return Err(Error::invalid(
                            "an IndexPreTransform cannot wrap a binary index",
                        ));
                    };
                    let built =
                        LocalIndex(RawIndex::Float(construct(|out: *mut *mut FaissIndex| {
                            shim_status(shim::faissx_shim_IndexPreTransform_new_untrusted(
                                out.cast(),
                                transform.as_ptr(),
                                transform.len(),
                                inner.cast(),
                            ))
                        })?));
                    // A transform read from a client's bytes is checked as read indexes are.
                    shim_status(shim::faissx_shim_check_index(built.raw_void()))?;
                    return Ok(built);
                }
            }))
        }
    }

    fn raw_void(&self) -> *mut c_void {
        match self.0 {
            RawIndex::Float(index) => index.cast(),
            RawIndex::Binary(index) => index.cast(),
        }
    }

    /// Reads an index in FAISS's file format from bytes nobody vouches for (a client's, or a
    /// file on disk). In faissx-server, whose allocator enforces it (src/server/alloc.cpp),
    /// what FAISS allocates while reading is held to a few times the bytes' size, so a few
    /// bytes cannot make the server allocate gigabytes; the index is then checked as built
    /// ones are.
    pub fn load(bytes: &[u8], binary: bool) -> Result<Self> {
        let mut out: *mut c_void = ptr::null_mut();
        // SAFETY: the shim reads `bytes` in place and returns a fresh index or an error.
        shim_status(unsafe {
            shim::faissx_shim_read_index_untrusted(
                bytes.as_ptr(),
                bytes.len(),
                c_int::from(binary),
                &mut out,
            )
        })?;
        // Owned from here, so a refused structure is freed. A file can carry any parameters,
        // including those FAISS divides by or loops on: the same check as for built indexes.
        let loaded = LocalIndex(if binary {
            RawIndex::Binary(out.cast())
        } else {
            RawIndex::Float(out.cast())
        });
        // SAFETY: a live index this value owns.
        shim_status(unsafe {
            if binary {
                shim::faissx_shim_check_index_binary(out)
            } else {
                shim::faissx_shim_check_index(out)
            }
        })?;
        Ok(loaded)
    }

    /// The index in FAISS's file format.
    pub fn save(&self) -> Result<Vec<u8>> {
        let mut size = 0usize;
        let mut buf: *mut u8 = ptr::null_mut();
        // SAFETY: the shim mallocs `buf` (size bytes), freed below after copying.
        unsafe {
            shim_status(match self.0 {
                RawIndex::Float(index) => {
                    shim::faissx_shim_write_index_buf(index.cast(), &mut size, &mut buf)
                }
                RawIndex::Binary(index) => {
                    shim::faissx_shim_write_index_binary_buf(index.cast(), &mut size, &mut buf)
                }
            })?;
            let bytes = std::slice::from_raw_parts(buf, size).to_vec();
            libc::free(buf.cast());
            Ok(bytes)
        }
    }

    pub fn duplicate(&self) -> Result<Self> {
        // SAFETY: clone_index deep-copies a live index.
        unsafe {
            self.complete()?;
            Ok(LocalIndex(match self.0 {
                RawIndex::Float(index) => RawIndex::Float(construct(|out| {
                    faiss_status(sys::faiss_clone_index(index, out))
                })?),
                RawIndex::Binary(index) => RawIndex::Binary(construct(|out| {
                    faiss_status(sys::faiss_clone_index_binary(index, out))
                })?),
            }))
        }
    }

    pub fn ntotal(&self) -> u64 {
        // SAFETY: live index.
        let n: i64 = unsafe {
            match self.0 {
                RawIndex::Float(index) => sys::faiss_Index_ntotal(index),
                RawIndex::Binary(index) => sys::faiss_IndexBinary_ntotal(index),
            }
        };
        n.max(0) as u64
    }

    pub fn d(&self) -> i64 {
        // SAFETY: live index.
        unsafe {
            match self.0 {
                RawIndex::Float(index) => sys::faiss_Index_d(index).into(),
                RawIndex::Binary(index) => sys::faiss_IndexBinary_d(index).into(),
            }
        }
    }

    /// Bytes of one vector on the wire: d floats, or d/8 bytes of a binary code.
    fn vector_bytes(&self) -> usize {
        match self.0 {
            RawIndex::Float(_) => self.d() as usize * 4,
            RawIndex::Binary(_) => self.d() as usize / 8,
        }
    }

    /// Checks that `frame` holds exactly `n` vectors of this index.
    fn vectors<'a>(&self, frame: &'a [u8], n: u64, what: &str) -> Result<&'a [u8]> {
        let expected = (n as u128) * self.vector_bytes() as u128;
        if frame.len() as u128 != expected {
            return Err(Error::invalid(format!(
                "{what}: {} bytes for {n} vectors of dimension {} (expected {expected})",
                frame.len(),
                self.d()
            )));
        }
        Ok(frame)
    }

    /// Refuses input that FAISS cannot add, search or train on here (see `usable_inputs`):
    /// `x` holds float vectors as wire bytes, or binary codes.
    fn usable(&self, x: &[u8], what: &str, training: bool) -> Result<()> {
        // SAFETY: a live index.
        unsafe {
            let index = match self.0 {
                RawIndex::Float(index) => index,
                RawIndex::Binary(_) if training => return Ok(()),
                RawIndex::Binary(index) => return crate::ffi::boundary::usable_binary(index),
            };
            shim_status(shim::faissx_shim_Index_check_use(
                index.cast_const().cast(),
                c_int::from(training),
            ))?;
        }
        // Read in place: the frame need not be aligned for floats.
        let values = x
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")));
        crate::ffi::boundary::finite_components(values, what)
    }

    pub fn info(&self) -> IndexInfo {
        // SAFETY: getters on a live index; casts return NULL for other classes.
        unsafe {
            match self.0 {
                RawIndex::Float(index) => float_info(index),
                RawIndex::Binary(index) => binary_info(index),
            }
        }
    }

    pub fn train(&self, n: u64, frame: &[u8]) -> Result<()> {
        crate::ffi::boundary::training_count(idx(n, "n")?)?;
        let x = self.vectors(frame, n, "training vectors")?;
        self.usable(x, "training vectors", true)?;
        let n = idx(n, "n")?;
        // SAFETY: x holds n vectors of this index's dimension (checked above).
        unsafe {
            faiss_status(match self.0 {
                RawIndex::Float(index) => sys::faiss_Index_train(index, n, x.as_ptr().cast()),
                RawIndex::Binary(index) => sys::faiss_IndexBinary_train(index, n, x.as_ptr()),
            })
        }
    }

    /// Trains an IVF's vector encoder alone on n vectors, with the lists they belong to when
    /// `assign` (n i64 list numbers) is given.
    pub fn train_encoder(&self, n: u64, frame: &[u8], assign: Option<&[u8]>) -> Result<()> {
        let ivf = self.float_ivf("encoder to train", "train_encoder")?;
        crate::ffi::boundary::training_count(idx(n, "n")?)?;
        let x = self.vectors(frame, n, "training vectors")?;
        self.usable(x, "training vectors", true)?;
        let assign: Option<Vec<i64>> = assign
            .map(|a| from_frame(a, n as usize, "assign").map_err(wire))
            .transpose()?;
        let x = aligned_f32(x);
        // SAFETY: x holds n vectors, assign n lists (checked by the shim against nlist).
        shim_status(unsafe {
            shim::faissx_shim_IndexIVF_train_encoder(
                ivf.cast(),
                idx(n, "n")?,
                x.as_ptr(),
                assign.as_ref().map_or(ptr::null(), |a| a.as_ptr()),
            )
        })
    }

    /// Adds n vectors to the IVF lists the caller chose (n i64 list numbers, -1: none), with
    /// their ids or, without, the next sequential ones (FAISS's add_core).
    pub fn add_core(&self, n: u64, frame: &[u8], lists: &[u8], ids: Option<&[u8]>) -> Result<()> {
        let ivf = self.float_ivf("inverted lists to add to", "add_core")?;
        let x = self.vectors(frame, n, "vectors")?;
        self.usable(x, "vectors", false)?;
        let lists: Vec<i64> = from_frame(lists, n as usize, "precomputed_idx").map_err(wire)?;
        let ids: Option<Vec<i64>> = ids
            .map(|ids| from_frame(ids, n as usize, "ids").map_err(wire))
            .transpose()?;
        let x = aligned_f32(x);
        // SAFETY: n vectors, lists and ids (checked by the shim against nlist).
        shim_status(unsafe {
            shim::faissx_shim_IndexIVF_add_core(
                ivf.cast(),
                idx(n, "n")?,
                x.as_ptr(),
                ids.as_ref().map_or(ptr::null(), |ids| ids.as_ptr()),
                lists.as_ptr(),
            )
        })
    }

    /// Replaces the vectors of n ids of an IVF with a direct map (FAISS's update_vectors).
    pub fn update_vectors(&self, n: u64, ids: &[u8], frame: &[u8]) -> Result<()> {
        let ivf = self.float_ivf("vectors to update", "update_vectors")?;
        let n_int = c_int::try_from(n)
            .map_err(|_| Error::invalid(format!("n = {n} is more than FAISS's int holds")))?;
        let x = self.vectors(frame, n, "vectors")?;
        self.usable(x, "vectors", false)?;
        let ids: Vec<i64> = from_frame(ids, n as usize, "ids").map_err(wire)?;
        let x = aligned_f32(x);
        // SAFETY: n ids and vectors (the shim checks the ids and the lists first).
        shim_status(unsafe {
            shim::faissx_shim_IndexIVF_update_vectors(ivf.cast(), n_int, ids.as_ptr(), x.as_ptr())
        })
    }

    /// Replaces the ids of an IndexIDMap's n stored vectors (n must be ntotal); an IDMap2
    /// rebuilds its reverse map from them.
    pub fn set_ids(&self, n: u64, ids: &[u8]) -> Result<()> {
        let RawIndex::Float(index) = self.0 else {
            return Err(Error::unsupported(
                "set_ids: a binary index has no id map to set",
            ));
        };
        let ids: Vec<i64> = from_frame(ids, n as usize, "ids").map_err(wire)?;
        // SAFETY: a live index and n ids; the shim checks the class and the count.
        shim_status(unsafe {
            shim::faissx_shim_IndexIDMap_set_ids(index.cast(), ids.len() as i64, ids.as_ptr())
        })
    }

    /// Makes room for `extra` more vectors where the index's storage allows it (flat float
    /// indexes, and the ids of an IDMap around one).
    pub fn reserve(&self, extra: u64) -> Result<()> {
        let RawIndex::Float(index) = self.0 else {
            return Ok(());
        };
        let extra = idx(extra, "extra")?;
        // SAFETY: live index; the shim only grows owned storage.
        shim_status(unsafe { shim::faissx_shim_Index_reserve(index.cast(), extra) })
    }

    pub fn add(&self, n: u64, frame: &[u8], ids: Option<&[u8]>) -> Result<()> {
        let x = self.vectors(frame, n, "vectors")?;
        self.usable(x, "vectors", false)?;
        let ids = ids
            .map(|ids| from_frame::<i64>(ids, n as usize, "ids"))
            .transpose()
            .map_err(wire)?;
        let n = idx(n, "n")?;
        // SAFETY: x holds n vectors, ids n ids (checked above); x is 4-byte aligned for floats
        // because zmq frames are malloc'd; the copy below makes that certain.
        unsafe {
            match self.0 {
                RawIndex::Float(index) => {
                    let x = aligned_f32(x);
                    faiss_status(match &ids {
                        Some(ids) => {
                            sys::faiss_Index_add_with_ids(index, n, x.as_ptr(), ids.as_ptr())
                        }
                        None => sys::faiss_Index_add(index, n, x.as_ptr()),
                    })
                }
                RawIndex::Binary(index) => faiss_status(match &ids {
                    Some(ids) => {
                        sys::faiss_IndexBinary_add_with_ids(index, n, x.as_ptr(), ids.as_ptr())
                    }
                    None => sys::faiss_IndexBinary_add(index, n, x.as_ptr()),
                }),
            }
        }
    }

    /// Returns the distance frame (f32, or i32 for binary) and the label frame.
    pub fn search(
        &self,
        n: u64,
        k: u64,
        frame: &[u8],
        params: Option<&SearchParams>,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        self.search_with(n, k, frame, params, shim::faissx_shim_Index_search_served)
    }

    #[doc(hidden)]
    pub fn search_faiss(&self, n: u64, k: u64, frame: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        self.search_with(
            n,
            k,
            frame,
            None,
            shim::faissx_shim_Index_search_with_params,
        )
    }

    /// Refuses queries a search could not take: not `n` vectors of the index's dimension, or
    /// values FAISS cannot search (see `usable`).
    pub fn check_queries(&self, n: u64, frame: &[u8]) -> Result<()> {
        let x = self.vectors(frame, n, "queries")?;
        self.usable(x, "queries", false)
    }

    /// Whether [`LocalIndex::search_each`] gives every query of a search the bits a search of
    /// that query alone gives: then searches of several clients can be served as one.
    pub fn searches_independently(&self) -> bool {
        // SAFETY: a live index.
        unsafe {
            match self.0 {
                RawIndex::Float(index) => {
                    shim::faissx_shim_Index_searches_independently(index.cast_const().cast()) != 0
                }
                RawIndex::Binary(index) => {
                    shim::faissx_shim_IndexBinary_searches_independently(index.cast_const().cast())
                        != 0
                }
            }
        }
    }

    /// A search whose every query gets what a search of it alone gets, where
    /// [`LocalIndex::searches_independently`]; parameters without a selector.
    pub fn search_each(
        &self,
        n: u64,
        k: u64,
        frame: &[u8],
        params: Option<&SearchParams>,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        self.search_with(n, k, frame, params, shim::faissx_shim_Index_search_each)
    }

    fn search_with(
        &self,
        n: u64,
        k: u64,
        frame: &[u8],
        params: Option<&SearchParams>,
        float_search: unsafe extern "C" fn(
            *const c_void,
            i64,
            *const f32,
            i64,
            *const c_void,
            *mut f32,
            *mut i64,
        ) -> c_int,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let x = self.vectors(frame, n, "queries")?;
        self.usable(x, "queries", false)?;
        let (n_idx, k_idx) = (idx(n, "n")?, idx(k, "k")?);
        if k == 0 {
            return Err(Error::invalid("k must be > 0 (got 0)"));
        }
        let total = results(n, k)?;
        let what = || format!("search of n = {n} queries for k = {k} neighbours");
        let mut labels = zeroed::<i64>(total, &what)?;
        // SAFETY: buffers hold n*k results; x holds n queries.
        unsafe {
            match self.0 {
                RawIndex::Float(index) => {
                    let x = aligned_f32(x);
                    let mut distances = zeroed::<f32>(total, &what)?;
                    let params = BuiltParams::new(self, params)?;
                    shim_status(float_search(
                        index.cast_const().cast(),
                        n_idx,
                        x.as_ptr(),
                        k_idx,
                        params.ptr().cast(),
                        distances.as_mut_ptr(),
                        labels.as_mut_ptr(),
                    ))?;
                    let distances = framed(distances, &what)?;
                    Ok((distances, framed(labels, &what)?))
                }
                RawIndex::Binary(index) => {
                    if params.is_some_and(|p| p != &SearchParams::default()) {
                        return Err(Error::unsupported(
                            "binary indexes take no search parameters",
                        ));
                    }
                    let mut distances = zeroed::<i32>(total, &what)?;
                    faiss_status(sys::faiss_IndexBinary_search(
                        index,
                        n_idx,
                        x.as_ptr(),
                        k_idx,
                        distances.as_mut_ptr(),
                        labels.as_mut_ptr(),
                    ))?;
                    let distances = framed(distances, &what)?;
                    Ok((distances, framed(labels, &what)?))
                }
            }
        }
    }

    pub fn assign(&self, n: u64, k: u64, frame: &[u8]) -> Result<Vec<u8>> {
        let x = self.vectors(frame, n, "queries")?;
        self.usable(x, "queries", false)?;
        if k == 0 {
            return Err(Error::invalid("k must be > 0 (got 0)"));
        }
        let what = || format!("assign of n = {n} queries for k = {k} neighbours");
        let mut labels = zeroed::<i64>(results(n, k)?, &what)?;
        // FAISS's empty result, which it leaves in place when it has nothing to search.
        labels.fill(-1);
        // SAFETY: labels holds n*k ids; x n queries.
        unsafe {
            match self.0 {
                RawIndex::Float(index) => {
                    let x = aligned_f32(x);
                    shim_status(shim::faissx_shim_Index_assign(
                        index.cast_const().cast(),
                        idx(n, "n")?,
                        x.as_ptr(),
                        labels.as_mut_ptr(),
                        idx(k, "k")?,
                    ))?
                }
                RawIndex::Binary(index) => faiss_status(sys::faiss_IndexBinary_assign(
                    index,
                    idx(n, "n")?,
                    x.as_ptr(),
                    labels.as_mut_ptr(),
                    idx(k, "k")?,
                ))?,
            }
        }
        framed(labels, &what)
    }

    /// Puts a transform read from `bytes` (FAISS's serialized form) in front of an
    /// IndexPreTransform's chain.
    pub fn prepend_transform(&self, bytes: &[u8]) -> Result<()> {
        let index = self.float_only("transforms")?;
        // SAFETY: a live index; the shim reads the bytes under the allocation cap.
        shim_status(unsafe {
            shim::faissx_shim_IndexPreTransform_prepend_untrusted(
                index.cast(),
                bytes.as_ptr(),
                bytes.len(),
            )
        })
    }

    /// The float IVF `op` needs, or why not.
    fn float_ivf(&self, what: &str, op: &str) -> Result<*mut FaissIndexIVF> {
        let index = self.float_only(what)?;
        // SAFETY: a live index; the cast returns NULL for other classes.
        let ivf = unsafe { sys::faiss_IndexIVF_cast(index) };
        if ivf.is_null() {
            return Err(Error::unsupported(format!("{op} applies to IVF indexes")));
        }
        Ok(ivf)
    }

    fn float_only(&self, what: &str) -> Result<*mut FaissIndex> {
        match self.0 {
            RawIndex::Float(index) => Ok(index),
            RawIndex::Binary(_) => {
                Err(Error::unsupported(format!("binary indexes have no {what}")))
            }
        }
    }

    /// FAISS's sa_code_size, an error for classes that have no standalone codes.
    fn sa_code_size(&self) -> Result<usize> {
        let index = self.float_only("standalone codes")?;
        let mut size = 0usize;
        // SAFETY: a live index.
        unsafe { crate::ffi::boundary::complete(index) }?;
        faiss_status(unsafe { sys::faiss_Index_sa_code_size(index, &mut size) })?;
        Ok(size)
    }

    /// The standalone codes of n vectors.
    pub fn sa_encode(&self, n: u64, frame: &[u8]) -> Result<Vec<u8>> {
        let index = self.float_only("standalone codes")?;
        let x = self.vectors(frame, n, "vectors")?;
        self.usable(x, "vectors", false)?;
        let code_size = self.sa_code_size()?;
        let what = || format!("the standalone codes of {n} vectors");
        let mut codes = zeroed::<u8>(results(n, code_size as u64)?, &what)?;
        let x = aligned_f32(x);
        // SAFETY: x holds n vectors, codes n codes.
        faiss_status(unsafe {
            sys::faiss_Index_sa_encode(index, idx(n, "n")?, x.as_ptr(), codes.as_mut_ptr())
        })?;
        Ok(codes)
    }

    /// The vectors n standalone codes decode to.
    pub fn sa_decode(&self, n: u64, codes: &[u8]) -> Result<Vec<u8>> {
        let index = self.float_only("standalone codes")?;
        let code_size = self.sa_code_size()?;
        if codes.len() as u128 != n as u128 * code_size as u128 {
            return Err(Error::invalid(format!(
                "{} bytes for {n} codes of {code_size} bytes",
                codes.len()
            )));
        }
        // SAFETY: codes holds n codes (checked above), the output n vectors.
        unsafe {
            shim_status(shim::faissx_shim_Index_check_sa_codes(
                index.cast_const().cast(),
                idx(n, "n")?,
                codes.as_ptr(),
            ))?;
            let what = || format!("decoding {n} codes");
            let mut x = zeroed::<f32>(results(n, self.d().max(0) as u64)?, &what)?;
            faiss_status(sys::faiss_Index_sa_decode(
                index,
                idx(n, "n")?,
                codes.as_ptr(),
                x.as_mut_ptr(),
            ))?;
            framed(x, &what)
        }
    }

    /// Each of n vectors minus the reconstruction of its key.
    pub fn compute_residual(&self, n: u64, frame: &[u8], keys: &[u8]) -> Result<Vec<u8>> {
        let index = self.float_only("residuals")?;
        let x = self.vectors(frame, n, "vectors")?;
        let keys: Vec<i64> = from_frame(keys, n as usize, "keys").map_err(wire)?;
        let what = || format!("the residuals of {n} vectors");
        let mut residuals = zeroed::<f32>(results(n, self.d().max(0) as u64)?, &what)?;
        let x = aligned_f32(x);
        // SAFETY: x and residuals hold n vectors, keys n keys; the shim checks the keys.
        shim_status(unsafe {
            shim::faissx_shim_Index_compute_residual_n(
                index.cast_const().cast(),
                idx(n, "n")?,
                x.as_ptr(),
                residuals.as_mut_ptr(),
                keys.as_ptr(),
            )
        })?;
        framed(residuals, &what)
    }

    /// An IVF search of n queries in the lists the caller assigned them (n × nprobe list
    /// numbers and coarse distances, nprobe being the index's, or for a binary IVF the
    /// parameters').
    pub fn search_preassigned(
        &self,
        n: u64,
        k: u64,
        frames: [&[u8]; 3],
        store_pairs: bool,
        params: Option<&SearchParams>,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        if let RawIndex::Binary(index) = self.0 {
            return self.binary_search_preassigned(index, n, k, frames, store_pairs, params);
        }
        if params.is_some() {
            return Err(Error::unsupported(
                "search_preassigned of a float IVF takes no search parameters",
            ));
        }
        let [queries, assign, centroid_dis] = frames;
        let ivf = self.float_ivf("inverted lists to search", "search_preassigned")?;
        let x = self.vectors(queries, n, "queries")?;
        self.usable(x, "queries", false)?;
        if k == 0 {
            return Err(Error::invalid("k must be > 0 (got 0)"));
        }
        let info = self.info();
        let probes = n.saturating_mul(info.nprobe.min(info.nlist));
        let assign: Vec<i64> = from_frame(assign, probes as usize, "assign").map_err(wire)?;
        let centroid_dis: Vec<f32> =
            from_frame(centroid_dis, probes as usize, "centroid_dis").map_err(wire)?;
        let what = || format!("search of n = {n} queries for k = {k} neighbours");
        let total = results(n, k)?;
        let mut distances = zeroed::<f32>(total, &what)?;
        let mut labels = zeroed::<i64>(total, &what)?;
        let x = aligned_f32(x);
        // SAFETY: buffers sized above; the shim checks the list numbers.
        shim_status(unsafe {
            shim::faissx_shim_IndexIVF_search_preassigned(
                ivf.cast_const().cast(),
                idx(n, "n")?,
                x.as_ptr(),
                idx(k, "k")?,
                assign.as_ptr(),
                centroid_dis.as_ptr(),
                distances.as_mut_ptr(),
                labels.as_mut_ptr(),
                c_int::from(store_pairs),
            )
        })?;
        Ok((framed(distances, &what)?, framed(labels, &what)?))
    }

    fn binary_search_preassigned(
        &self,
        index: *mut FaissIndexBinary,
        n: u64,
        k: u64,
        frames: [&[u8]; 3],
        store_pairs: bool,
        params: Option<&SearchParams>,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let [queries, cidx, cdis] = frames;
        // SAFETY: a live index; the cast returns NULL for other classes.
        let ivf = unsafe { sys::faiss_IndexBinaryIVF_cast(index) };
        if ivf.is_null() {
            return Err(Error::unsupported(
                "search_preassigned applies to IVF indexes",
            ));
        }
        if params.is_some_and(|p| p.ef_search.is_some() || p.nprobe.is_none()) {
            return Err(Error::invalid(
                "search_preassigned takes IVF search parameters (nprobe, max_codes)",
            ));
        }
        let x = self.vectors(queries, n, "queries")?;
        if k == 0 {
            return Err(Error::invalid("k must be > 0 (got 0)"));
        }
        let info = self.info();
        let nprobe = params.and_then(|p| p.nprobe).unwrap_or(info.nprobe);
        let probes = n.saturating_mul(nprobe.min(info.nlist));
        let cidx: Vec<i64> = from_frame(cidx, probes as usize, "cidx").map_err(wire)?;
        let cdis: Vec<i32> = from_frame(cdis, probes as usize, "cdis").map_err(wire)?;
        let what = || format!("search of n = {n} queries for k = {k} neighbours");
        let total = results(n, k)?;
        let mut distances = zeroed::<i32>(total, &what)?;
        let mut labels = zeroed::<i64>(total, &what)?;
        // SAFETY: the parameters are fresh and freed below; buffers sized above; the shim
        // checks nprobe and the list numbers.
        unsafe {
            let built = match params {
                Some(p) => construct(|out: *mut *mut FaissSearchParametersIVF| {
                    faiss_status(sys::faiss_SearchParametersIVF_new_with(
                        out,
                        ptr::null_mut(),
                        nprobe as usize,
                        p.max_codes.unwrap_or(info.max_codes) as usize,
                    ))
                })?,
                None => ptr::null_mut(),
            };
            let status = shim::faissx_shim_IndexBinaryIVF_search_preassigned(
                ivf.cast_const().cast(),
                idx(n, "n")?,
                x.as_ptr(),
                idx(k, "k")?,
                cidx.as_ptr(),
                cdis.as_ptr(),
                distances.as_mut_ptr(),
                labels.as_mut_ptr(),
                c_int::from(store_pairs),
                built.cast_const().cast(),
            );
            if !built.is_null() {
                sys::faiss_SearchParameters_free(built.cast());
            }
            shim_status(status)?;
        }
        Ok((framed(distances, &what)?, framed(labels, &what)?))
    }

    /// Returns the lims (u64), labels and distances frames. FAISS finds the results before
    /// anyone knows how many there are: more than `max_bytes` of them are refused rather than
    /// copied.
    pub fn range_search(
        &self,
        n: u64,
        radius: f64,
        frame: &[u8],
        params: Option<&SearchParams>,
        max_bytes: usize,
    ) -> Result<[Vec<u8>; 3]> {
        let x = self.vectors(frame, n, "queries")?;
        self.usable(x, "queries", false)?;
        let n_idx = idx(n, "n")?;
        // SAFETY: the result object is created for n queries, read, then freed.
        unsafe {
            let result =
                construct(|out| faiss_status(sys::faiss_RangeSearchResult_new(out, n_idx)))?;
            let guard = RangeResultGuard(result);
            match self.0 {
                RawIndex::Float(index) => {
                    let x = aligned_f32(x);
                    let built = BuiltParams::new(self, params)?;
                    if built.ptr().is_null() {
                        faiss_status(sys::faiss_Index_range_search(
                            index,
                            n_idx,
                            x.as_ptr(),
                            radius as f32,
                            result,
                        ))?;
                    } else {
                        shim_status(shim::faissx_shim_range_search_with_params(
                            index.cast(),
                            n_idx,
                            x.as_ptr(),
                            radius as f32,
                            result.cast(),
                            built.ptr() as *mut c_void,
                        ))?;
                    }
                }
                RawIndex::Binary(index) => {
                    faiss_status(sys::faiss_IndexBinary_range_search(
                        index,
                        n_idx,
                        x.as_ptr(),
                        radius as c_int,
                        result,
                    ))?;
                }
            }
            let mut lims: *mut usize = ptr::null_mut();
            sys::faiss_RangeSearchResult_lims(result, &mut lims);
            let lims = std::slice::from_raw_parts(lims, n as usize + 1);
            let total = lims[n as usize];
            let bytes = (total as u128) * 12 + (lims.len() as u128) * 8;
            if bytes > max_bytes as u128 {
                return Err(Error::invalid(format!(
                    "range search of n = {n} queries with radius {radius} found {total} results \
                     ({bytes} bytes), more than the {max_bytes} bytes one reply may hold: use a \
                     smaller radius or fewer queries"
                )));
            }
            let what = || format!("range search of n = {n} queries ({total} results)");
            let (mut labels, mut distances) = (ptr::null_mut(), ptr::null_mut());
            sys::faiss_RangeSearchResult_labels(result, &mut labels, &mut distances);
            let lims: Vec<u64> = lims.iter().map(|&l| l as u64).collect();
            let labels = std::slice::from_raw_parts(labels, total);
            let distances = std::slice::from_raw_parts(distances, total);
            let frames = [
                framed(lims, &what)?,
                try_frame(labels, &what)?,
                try_frame(distances, &what)?,
            ];
            drop(guard);
            Ok(frames)
        }
    }

    pub fn reset(&self) -> Result<()> {
        // SAFETY: live index.
        unsafe {
            self.complete()?;
            faiss_status(match self.0 {
                RawIndex::Float(index) => sys::faiss_Index_reset(index),
                RawIndex::Binary(index) => sys::faiss_IndexBinary_reset(index),
            })
        }
    }

    pub fn remove_ids(&self, selector: &Selector) -> Result<u64> {
        // An IDMap whose index was written to on its own fails an assertion (an abort).
        self.usable(&[], "selector", false)?;
        let built = BuiltSelector::new(selector)?;
        let mut removed = 0usize;
        // SAFETY: the selector lives until `built` drops.
        unsafe {
            faiss_status(match self.0 {
                RawIndex::Float(index) => {
                    sys::faiss_Index_remove_ids(index, built.root, &mut removed)
                }
                RawIndex::Binary(index) => {
                    sys::faiss_IndexBinary_remove_ids(index, built.root, &mut removed)
                }
            })?;
        }
        Ok(removed as u64)
    }

    /// The vectors of keys `first .. first + n`; more than `max_bytes` of them are refused.
    pub fn reconstruct(&self, first: i64, n: u64, max_bytes: usize) -> Result<Vec<u8>> {
        // A request must not make the server allocate more than the index holds (the shim
        // checks the positions FAISS reads unchecked, with the codes a local call gets).
        let ntotal = self.info().ntotal;
        if n > ntotal.max(0) as u64 {
            return Err(Error::invalid(format!(
                "ids {first} .. {first} + {n} are out of range (ntotal = {ntotal})"
            )));
        }
        let bytes = (n as u128) * self.vector_bytes() as u128;
        if bytes > max_bytes as u128 {
            return Err(Error::invalid(format!(
                "reconstruct of n = {n} vectors of dimension {} is {bytes} bytes, more than the \
                 {max_bytes} bytes one reply may hold",
                self.d()
            )));
        }
        let what = || format!("reconstruct of n = {n} vectors of dimension {}", self.d());
        let n_idx = idx(n, "n")?;
        // SAFETY: the buffers hold n vectors; the shim checks the keys FAISS does not.
        unsafe {
            match self.0 {
                RawIndex::Float(index) => {
                    let mut floats = zeroed::<f32>(n as usize * self.d() as usize, &what)?;
                    let index = index.cast_const().cast();
                    shim_status(if n == 1 {
                        shim::faissx_shim_Index_reconstruct(index, first, floats.as_mut_ptr())
                    } else {
                        shim::faissx_shim_Index_reconstruct_n(
                            index,
                            first,
                            n_idx,
                            floats.as_mut_ptr(),
                        )
                    })?;
                    framed(floats, &what)
                }
                RawIndex::Binary(index) => {
                    let mut out = zeroed::<u8>(n as usize * self.vector_bytes(), &what)?;
                    let index = index.cast_const().cast();
                    shim_status(if n == 1 {
                        shim::faissx_shim_IndexBinary_reconstruct(index, first, out.as_mut_ptr())
                    } else {
                        shim::faissx_shim_IndexBinary_reconstruct_n(
                            index,
                            first,
                            n_idx,
                            out.as_mut_ptr(),
                        )
                    })?;
                    Ok(out)
                }
            }
        }
    }

    pub fn merge_from(&self, other: &LocalIndex, add_id: i64) -> Result<()> {
        // SAFETY: both indexes are live; the caller holds both write locks.
        unsafe {
            match (self.0, other.0) {
                (RawIndex::Float(a), RawIndex::Float(b)) => {
                    if sys::faiss_Index_d(a) != sys::faiss_Index_d(b) {
                        return Err(Error::invalid("the two indexes have different dimensions"));
                    }
                    shim_status(shim::faissx_shim_Index_merge_from(
                        a.cast(),
                        b.cast(),
                        add_id,
                    ))
                }
                (RawIndex::Binary(a), RawIndex::Binary(b)) => {
                    let (a_ivf, b_ivf) = (
                        sys::faiss_IndexBinaryIVF_cast(a),
                        sys::faiss_IndexBinaryIVF_cast(b),
                    );
                    if a_ivf.is_null() || b_ivf.is_null() {
                        return Err(Error::unsupported("binary merge needs two IndexBinaryIVF"));
                    }
                    faiss_status(sys::faiss_IndexBinaryIVF_merge_from(a_ivf, b_ivf, add_id))
                }
                _ => Err(Error::invalid("cannot merge a binary and a float index")),
            }
        }
    }

    /// Sets a parameter on the index itself, or, with `space`, exactly as FAISS's
    /// `ParameterSpace::set_index_parameter` does in the caller's process (the values it takes
    /// unchecked are checked where they are used, as in local mode).
    pub fn set_param(&self, name: &str, value: f64, space: bool) -> Result<()> {
        if let (true, RawIndex::Float(index)) = (space, self.0) {
            // SAFETY: a live index.
            return unsafe { set_space_parameter(index, name, value) };
        }
        if matches!(name, "efSearch" | "efConstruction") {
            // Out of range (NaN included), the cast to i64 still lands outside 1..=max.
            let whole = if value >= 1.0 { value as i64 } else { 0 };
            crate::ffi::boundary::hnsw_ef(whole, name)?;
        }
        // SAFETY: setters on a live index, each guarded by the matching cast.
        unsafe {
            match (self.0, name) {
                (RawIndex::Float(index), "verbose") => {
                    sys::faiss_Index_set_verbose(index, (value != 0.0).into())
                }
                (RawIndex::Binary(index), "verbose") => {
                    sys::faiss_IndexBinary_set_verbose(index, (value != 0.0).into())
                }
                (RawIndex::Binary(index), "nprobe" | "max_codes") => {
                    let ivf = sys::faiss_IndexBinaryIVF_cast(index);
                    if ivf.is_null() {
                        return Err(Error::unsupported(format!("{name} applies to IVF indexes")));
                    }
                    if name == "nprobe" {
                        sys::faiss_IndexBinaryIVF_set_nprobe(ivf, value as usize)
                    } else {
                        sys::faiss_IndexBinaryIVF_set_max_codes(ivf, value as usize)
                    }
                }
                (RawIndex::Binary(index), "use_heap" | "per_invlist_search") => {
                    let ivf = sys::faiss_IndexBinaryIVF_cast(index);
                    if ivf.is_null() {
                        return Err(Error::unsupported(format!(
                            "{name} applies to binary IVF indexes"
                        )));
                    }
                    // FAISS stores the C int in a bool.
                    let on = (value != 0.0).into();
                    if name == "use_heap" {
                        sys::faiss_IndexBinaryIVF_set_use_heap(ivf, on)
                    } else {
                        sys::faiss_IndexBinaryIVF_set_per_invlist_search(ivf, on)
                    }
                }
                (RawIndex::Float(index), "direct_map") => {
                    let ivf = sys::faiss_IndexIVF_cast(index);
                    if ivf.is_null() {
                        return Err(Error::unsupported("direct_map applies to IVF indexes"));
                    }
                    crate::ffi::boundary::complete(index)?;
                    faiss_status(sys::faiss_IndexIVF_make_direct_map(
                        ivf,
                        (value != 0.0).into(),
                    ))?
                }
                (RawIndex::Binary(index), "direct_map") => {
                    let ivf = sys::faiss_IndexBinaryIVF_cast(index);
                    if ivf.is_null() {
                        return Err(Error::unsupported("direct_map applies to IVF indexes"));
                    }
                    faiss_status(sys::faiss_IndexBinaryIVF_make_direct_map(
                        ivf,
                        (value != 0.0).into(),
                    ))?
                }
                (RawIndex::Float(index), "efConstruction") => {
                    if shim::faissx_shim_cast_IndexHNSW(index.cast()).is_null() {
                        return Err(Error::unsupported("efConstruction applies to HNSW indexes"));
                    }
                    shim::faissx_shim_IndexHNSW_set_efConstruction(index.cast(), value as c_int)
                }
                (RawIndex::Float(index), "update_permutation") => {
                    let flat1d = sys::faiss_IndexFlat1D_cast(index);
                    if flat1d.is_null() {
                        return Err(Error::unsupported(
                            "update_permutation applies to IndexFlat1D",
                        ));
                    }
                    faiss_status(sys::faiss_IndexFlat1D_update_permutation(flat1d))?
                }
                (RawIndex::Float(index), "k_factor") => {
                    let refine = sys::faiss_IndexRefineFlat_cast(index);
                    if refine.is_null() {
                        return Err(Error::unsupported("k_factor applies to IndexRefineFlat"));
                    }
                    sys::faiss_IndexRefineFlat_set_k_factor(refine, value as f32)
                }
                (RawIndex::Float(index), "max_codes") => {
                    let ivf = sys::faiss_IndexIVF_cast(index);
                    if ivf.is_null() {
                        return Err(Error::unsupported("max_codes applies to IVF indexes"));
                    }
                    shim::faissx_shim_IndexIVF_set_max_codes(ivf.cast(), value as usize)
                }
                (RawIndex::Float(index), _) => set_space_parameter(index, name, value)?,
                (RawIndex::Binary(_), _) => {
                    return Err(Error::unsupported(format!(
                        "binary indexes have no parameter {name}"
                    )))
                }
            }
        }
        Ok(())
    }

    pub fn id_map(&self) -> Result<Vec<u8>> {
        let RawIndex::Float(index) = self.0 else {
            return Err(Error::unsupported("binary indexes have no id map"));
        };
        // SAFETY: the id map is borrowed from the live index and copied at once.
        unsafe {
            let (mut ids, mut size): (*mut idx_t, usize) = (ptr::null_mut(), 0);
            if !sys::faiss_IndexIDMap2_cast(index).is_null() {
                sys::faiss_IndexIDMap2_id_map(index, &mut ids, &mut size);
            } else if !sys::faiss_IndexIDMap_cast(index).is_null() {
                sys::faiss_IndexIDMap_id_map(index, &mut ids, &mut size);
            } else {
                return Err(Error::unsupported("the index is not an IndexIDMap"));
            }
            Ok(to_frame(std::slice::from_raw_parts(ids, size)))
        }
    }

    pub fn flat_vectors(&self) -> Result<Vec<u8>> {
        let RawIndex::Float(index) = self.0 else {
            return Err(Error::unsupported("the index is not an IndexFlat"));
        };
        // SAFETY: xb is borrowed from the live flat index and copied at once.
        unsafe {
            let flat = sys::faiss_IndexFlat_cast(index);
            if flat.is_null() {
                return Err(Error::unsupported("the index is not an IndexFlat"));
            }
            let (mut xb, mut size): (*mut f32, usize) = (ptr::null_mut(), 0);
            sys::faiss_IndexFlat_xb(flat, &mut xb, &mut size);
            Ok(to_frame(std::slice::from_raw_parts(xb, size)))
        }
    }

    /// Refuses a float index a constructor without arguments left without the parts FAISS
    /// dereferences (see `boundary::complete`).
    fn complete(&self) -> Result<()> {
        match self.0 {
            // SAFETY: a live index.
            RawIndex::Float(index) => unsafe { crate::ffi::boundary::complete(index) },
            RawIndex::Binary(_) => Ok(()),
        }
    }

    /// Copies a subset of `source`'s entries into this IVF, as FAISS's
    /// `source.copy_subset_to(self, subset_type, a1, a2)` (arguments checked by the shim).
    pub fn copy_subset_from(
        &self,
        source: &LocalIndex,
        subset_type: i32,
        a1: i64,
        a2: i64,
    ) -> Result<()> {
        let (RawIndex::Float(target), RawIndex::Float(from)) = (self.0, source.0) else {
            return Err(Error::unsupported(
                "copy_subset_to applies to float IVF indexes",
            ));
        };
        // SAFETY: both indexes are live; the shim checks their classes.
        shim_status(unsafe {
            shim::faissx_shim_IndexIVF_copy_subset_to(
                from.cast_const().cast(),
                target.cast(),
                subset_type,
                a1,
                a2,
            )
        })
    }

    /// The FAISS object, still owned by this value.
    pub fn raw(&self) -> RawIndex {
        self.0
    }

    pub fn list_sizes(&self) -> Result<Vec<u8>> {
        // SAFETY: list numbers below nlist.
        unsafe {
            let sizes: Vec<u64> = match self.0 {
                RawIndex::Float(index) => {
                    let ivf = sys::faiss_IndexIVF_cast(index);
                    if ivf.is_null() {
                        return Err(Error::unsupported("the index is not an IVF index"));
                    }
                    crate::ffi::boundary::complete(index)?;
                    (0..sys::faiss_IndexIVF_nlist(ivf))
                        .map(|l| sys::faiss_IndexIVF_get_list_size(ivf, l) as u64)
                        .collect()
                }
                RawIndex::Binary(index) => {
                    let ivf = sys::faiss_IndexBinaryIVF_cast(index);
                    if ivf.is_null() {
                        return Err(Error::unsupported("the index is not a binary IVF index"));
                    }
                    (0..sys::faiss_IndexBinaryIVF_nlist(ivf))
                        .map(|l| sys::faiss_IndexBinaryIVF_get_list_size(ivf, l) as u64)
                        .collect()
                }
            };
            Ok(to_frame(&sizes))
        }
    }

    pub fn list_ids(&self, list: u64) -> Result<Vec<u8>> {
        // SAFETY: list bounds are checked against nlist before FAISS reads the list.
        unsafe {
            match self.0 {
                RawIndex::Float(index) => {
                    let ivf = sys::faiss_IndexIVF_cast(index);
                    if ivf.is_null() {
                        return Err(Error::unsupported("the index is not an IVF index"));
                    }
                    crate::ffi::boundary::complete(index)?;
                    if list >= sys::faiss_IndexIVF_nlist(ivf) as u64 {
                        return Err(Error::invalid(format!("list {list} is out of range")));
                    }
                    let mut ids = vec![0i64; sys::faiss_IndexIVF_get_list_size(ivf, list as usize)];
                    sys::faiss_IndexIVF_invlists_get_ids(ivf, list as usize, ids.as_mut_ptr());
                    Ok(to_frame(&ids))
                }
                RawIndex::Binary(index) => {
                    let ivf = sys::faiss_IndexBinaryIVF_cast(index);
                    if ivf.is_null() {
                        return Err(Error::unsupported("the index is not a binary IVF index"));
                    }
                    if list >= sys::faiss_IndexBinaryIVF_nlist(ivf) as u64 {
                        return Err(Error::invalid(format!("list {list} is out of range")));
                    }
                    let mut ids =
                        vec![0i64; sys::faiss_IndexBinaryIVF_get_list_size(ivf, list as usize)];
                    sys::faiss_IndexBinaryIVF_invlists_get_ids(
                        ivf,
                        list as usize,
                        ids.as_mut_ptr(),
                    );
                    Ok(to_frame(&ids))
                }
            }
        }
    }
}

/// n*k results of a search, counted without overflow.
fn results(n: u64, k: u64) -> Result<usize> {
    n.checked_mul(k)
        .and_then(|total| usize::try_from(total).ok())
        .ok_or_else(|| Error::invalid(format!("n = {n} times k = {k} results overflow")))
}

/// A zeroed buffer of `count` elements. Rust's infallible allocation aborts the whole process
/// when memory runs out: a request asking for more than the server can hold gets an error
/// naming it (`what`) and the bytes instead.
fn zeroed<T: Copy + Default>(count: usize, what: &dyn Fn() -> String) -> Result<Vec<T>> {
    let mut out = Vec::new();
    if out.try_reserve_exact(count).is_err() {
        return Err(out_of_memory(
            count as u128 * std::mem::size_of::<T>() as u128,
            what,
        ));
    }
    out.resize(count, T::default());
    Ok(out)
}

fn out_of_memory(bytes: u128, what: &dyn Fn() -> String) -> Error {
    Error::invalid(format!("{}: cannot allocate {bytes} bytes", what()))
}

/// `values` as a wire frame, or the error `zeroed` gives when memory runs out.
fn try_frame<T: crate::protocol::Element>(
    values: &[T],
    what: &dyn Fn() -> String,
) -> Result<Vec<u8>> {
    crate::protocol::try_to_frame(values)
        .map_err(|_| out_of_memory(values.len() as u128 * T::SIZE as u128, what))
}

/// As `try_frame`, freeing `values` once copied.
fn framed<T: crate::protocol::Element>(
    values: Vec<T>,
    what: &dyn Fn() -> String,
) -> Result<Vec<u8>> {
    try_frame(&values, what)
}

/// A float sub-index of the composite's dimension.
unsafe fn float_sub(sub: RawIndex, d: u64) -> Result<*mut FaissIndex> {
    let RawIndex::Float(index) = sub else {
        return Err(Error::invalid(
            "a float index cannot be built over a binary index",
        ));
    };
    let sub_d = sys::faiss_Index_d(index);
    if sub_d as u64 != d {
        return Err(Error::invalid(format!(
            "sub-index has dimension {sub_d}, index has {d}"
        )));
    }
    Ok(index)
}

fn binary_d(d: u64) -> Result<()> {
    crate::ffi::index_binary_flat::binary_dimension(i64::try_from(d).unwrap_or(-1))
}

fn wire(error: crate::protocol::WireError) -> Error {
    Error::invalid(error.message)
}

/// Frames arrive as byte vectors without alignment guarantees; FAISS reads floats.
fn aligned_f32(bytes: &[u8]) -> std::borrow::Cow<'_, [f32]> {
    if bytes.as_ptr().cast::<f32>().is_aligned() && cfg!(target_endian = "little") {
        // SAFETY: aligned, length a multiple of 4 (checked by `vectors`), plain floats.
        std::borrow::Cow::Borrowed(unsafe {
            std::slice::from_raw_parts(bytes.as_ptr().cast::<f32>(), bytes.len() / 4)
        })
    } else {
        std::borrow::Cow::Owned(
            from_frame::<f32>(bytes, bytes.len() / 4, "vectors").expect("length checked"),
        )
    }
}

unsafe fn float_info(index: *mut FaissIndex) -> IndexInfo {
    let mut info = IndexInfo {
        d: sys::faiss_Index_d(index) as u32,
        ntotal: sys::faiss_Index_ntotal(index),
        metric: sys::faiss_Index_metric_type(index),
        is_trained: sys::faiss_Index_is_trained(index) != 0,
        verbose: sys::faiss_Index_verbose(index) != 0,
        ..Default::default()
    };
    let mut classes = vec!["Index"];
    let void = index.cast::<c_void>();
    if !sys::faiss_IndexFlat_cast(index).is_null() {
        classes.push("IndexFlat");
        if !sys::faiss_IndexFlatL2_cast(index).is_null() {
            classes.push("IndexFlatL2");
        }
        if !sys::faiss_IndexFlatIP_cast(index).is_null() {
            classes.push("IndexFlatIP");
        }
    }
    let ivf = sys::faiss_IndexIVF_cast(index);
    if !ivf.is_null() {
        classes.push("IndexIVF");
        info.nlist = sys::faiss_IndexIVF_nlist(ivf) as u64;
        info.nprobe = sys::faiss_IndexIVF_nprobe(ivf) as u64;
        info.max_codes = shim::faissx_shim_IndexIVF_max_codes(ivf.cast()) as u64;
        info.quantizer_trains_alone = sys::faiss_IndexIVF_quantizer_trains_alone(ivf) as u8;
        if !sys::faiss_IndexIVFFlat_cast(index).is_null() {
            classes.push("IndexIVFFlat");
        }
        if !sys::faiss_IndexIVFScalarQuantizer_cast(index).is_null() {
            classes.push("IndexIVFScalarQuantizer");
        }
        if !shim::faissx_shim_cast_IndexIVFPQ(void).is_null() {
            classes.push("IndexIVFPQ");
        }
    }
    if !sys::faiss_IndexScalarQuantizer_cast(index).is_null() {
        classes.push("IndexScalarQuantizer");
    }
    if !shim::faissx_shim_cast_IndexPQ(void).is_null() {
        classes.push("IndexPQ");
    }
    if !shim::faissx_shim_cast_IndexPQ(void).is_null()
        || !shim::faissx_shim_cast_IndexIVFPQ(void).is_null()
    {
        info.pq_m = shim::faissx_shim_pq_M(void) as u64;
        info.pq_nbits = shim::faissx_shim_pq_nbits(void) as u64;
    }
    if !shim::faissx_shim_cast_IndexHNSW(void).is_null() {
        classes.push("IndexHNSW");
        if !shim::faissx_shim_cast_IndexHNSWFlat(void).is_null() {
            classes.push("IndexHNSWFlat");
        }
        info.hnsw_m = shim::faissx_shim_IndexHNSW_M(void);
        info.ef_search = shim::faissx_shim_IndexHNSW_efSearch(void);
        info.ef_construction = shim::faissx_shim_IndexHNSW_efConstruction(void);
    }
    if !sys::faiss_IndexIDMap_cast(index).is_null() {
        classes.push("IndexIDMap");
    }
    if !sys::faiss_IndexIDMap2_cast(index).is_null() {
        classes.push("IndexIDMap");
        classes.push("IndexIDMap2");
    }
    if !sys::faiss_IndexFlat1D_cast(index).is_null() {
        classes.push("IndexFlat1D");
    }
    let lsh = sys::faiss_IndexLSH_cast(index);
    if !lsh.is_null() {
        classes.push("IndexLSH");
        info.lsh_nbits = sys::faiss_IndexLSH_nbits(lsh) as u32;
        info.lsh_rotate_data = sys::faiss_IndexLSH_rotate_data(lsh) != 0;
        info.lsh_train_thresholds = sys::faiss_IndexLSH_train_thresholds(lsh) != 0;
    }
    if !sys::faiss_IndexPreTransform_cast(index).is_null() {
        classes.push("IndexPreTransform");
    }
    let refine = sys::faiss_IndexRefineFlat_cast(index);
    if !refine.is_null() {
        classes.push("IndexRefineFlat");
        info.k_factor = sys::faiss_IndexRefineFlat_k_factor(refine);
    }
    let mut code_size = 0usize;
    if crate::ffi::boundary::complete(index).is_ok()
        && sys::faiss_Index_sa_code_size(index, &mut code_size) == 0
    {
        info.code_size = code_size as u64;
    }
    classes.dedup();
    info.classes = classes.into_iter().map(String::from).collect();
    info
}

unsafe fn binary_info(index: *mut FaissIndexBinary) -> IndexInfo {
    let mut info = IndexInfo {
        d: sys::faiss_IndexBinary_d(index) as u32,
        ntotal: sys::faiss_IndexBinary_ntotal(index),
        metric: sys::faiss_IndexBinary_metric_type(index),
        is_trained: sys::faiss_IndexBinary_is_trained(index) != 0,
        verbose: sys::faiss_IndexBinary_verbose(index) != 0,
        binary: true,
        code_size: sys::faiss_IndexBinary_d(index) as u64 / 8,
        ..Default::default()
    };
    let mut classes = vec!["IndexBinary"];
    if !shim::faissx_shim_cast_IndexBinaryFlat(index.cast()).is_null() {
        classes.push("IndexBinaryFlat");
    }
    let ivf = sys::faiss_IndexBinaryIVF_cast(index);
    if !ivf.is_null() {
        classes.push("IndexBinaryIVF");
        info.nlist = sys::faiss_IndexBinaryIVF_nlist(ivf) as u64;
        info.nprobe = sys::faiss_IndexBinaryIVF_nprobe(ivf) as u64;
        info.max_codes = sys::faiss_IndexBinaryIVF_max_codes(ivf) as u64;
        info.use_heap = sys::faiss_IndexBinaryIVF_use_heap(ivf) != 0;
        info.per_invlist_search = sys::faiss_IndexBinaryIVF_per_invlist_search(ivf) != 0;
    }
    info.classes = classes.into_iter().map(String::from).collect();
    info
}

struct RangeResultGuard(*mut FaissRangeSearchResult);
impl Drop for RangeResultGuard {
    fn drop(&mut self) {
        // SAFETY: created by faiss_RangeSearchResult_new and freed once.
        unsafe { sys::faiss_RangeSearchResult_free(self.0) }
    }
}

/// FAISS selectors built from a wire description; the combinators borrow their operands, so
/// every node is kept and freed together.
pub struct BuiltSelector {
    root: *mut FaissIDSelector,
    nodes: Vec<*mut FaissIDSelector>,
}

impl BuiltSelector {
    pub fn new(selector: &Selector) -> Result<Self> {
        let mut built = BuiltSelector {
            root: ptr::null_mut(),
            nodes: Vec::new(),
        };
        built.root = built.build(selector, 1)?;
        Ok(built)
    }

    fn build(&mut self, selector: &Selector, depth: usize) -> Result<*mut FaissIDSelector> {
        // One FAISS object per node, built recursively: both are bounded (FAISS's own checks
        // of a selector recurse too).
        if depth > MAX_SELECTOR_DEPTH || self.nodes.len() >= MAX_SELECTOR_NODES {
            return Err(Error::invalid(format!(
                "selector has more than {MAX_SELECTOR_DEPTH} levels or {MAX_SELECTOR_NODES} \
                 nodes"
            )));
        }
        // SAFETY: each constructor returns a fresh selector, recorded in `nodes` at once.
        let node: *mut FaissIDSelector = unsafe {
            match selector {
                Selector::Range { min, max } => {
                    construct(|out: *mut *mut FaissIDSelectorRange| {
                        faiss_status(sys::faiss_IDSelectorRange_new(out, *min, *max))
                    })?
                    .cast()
                }
                Selector::Batch { ids } => construct(|out: *mut *mut FaissIDSelectorBatch| {
                    faiss_status(sys::faiss_IDSelectorBatch_new(out, ids.len(), ids.as_ptr()))
                })?
                .cast(),
                Selector::Bitmap { n, bits } => {
                    // FAISS's n is the bitmap's length in bytes.
                    if bits.len() as u64 != *n {
                        return Err(Error::invalid(format!(
                            "bitmap of {n} bytes came with {}",
                            bits.len()
                        )));
                    }
                    construct(|out: *mut *mut FaissIDSelectorBitmap| {
                        faiss_status(sys::faiss_IDSelectorBitmap_new(
                            out,
                            *n as usize,
                            bits.as_ptr(),
                        ))
                    })?
                    .cast()
                }
                Selector::Not(inner) => {
                    let inner = self.build(inner, depth + 1)?;
                    construct(|out: *mut *mut FaissIDSelectorNot| {
                        faiss_status(sys::faiss_IDSelectorNot_new(out, inner))
                    })?
                    .cast()
                }
                Selector::And(a, b) | Selector::Or(a, b) | Selector::Xor(a, b) => {
                    let (a, b) = (self.build(a, depth + 1)?, self.build(b, depth + 1)?);
                    construct(|out: *mut *mut FaissIDSelector| {
                        faiss_status(match selector {
                            Selector::And(..) => sys::faiss_IDSelectorAnd_new(out.cast(), a, b),
                            Selector::Or(..) => sys::faiss_IDSelectorOr_new(out.cast(), a, b),
                            _ => sys::faiss_IDSelectorXOr_new(out.cast(), a, b),
                        })
                    })?
                }
            }
        };
        self.nodes.push(node);
        Ok(node)
    }
}

impl Drop for BuiltSelector {
    fn drop(&mut self) {
        // Parents were pushed after their operands: free them first.
        for node in self.nodes.iter().rev() {
            // SAFETY: each node was created once by a FAISS constructor.
            unsafe { sys::faiss_IDSelector_free(*node) }
        }
    }
}

/// FAISS search parameters built from the wire, matching the index's family. Unset fields
/// keep the index's own settings (FAISS's parameter objects would otherwise reset them to
/// their defaults: nprobe 1, efSearch 16).
struct BuiltParams {
    params: *mut FaissSearchParameters,
    _selector: Option<BuiltSelector>,
}

impl BuiltParams {
    fn new(index: &LocalIndex, params: Option<&SearchParams>) -> Result<Self> {
        let Some(params) = params else {
            return Ok(BuiltParams {
                params: ptr::null_mut(),
                _selector: None,
            });
        };
        let selector = params
            .selector
            .as_ref()
            .map(BuiltSelector::new)
            .transpose()?;
        let sel = selector.as_ref().map_or(ptr::null_mut(), |s| s.root);
        // The family and the own settings of the index the parameters reach, inside wrappers.
        let info = match index.0 {
            // SAFETY: a live index; wrappers hold their inner index.
            RawIndex::Float(raw) => unsafe {
                float_info(
                    shim::faissx_shim_Index_params_target(raw.cast_const().cast())
                        .cast_mut()
                        .cast(),
                )
            },
            RawIndex::Binary(_) => index.info(),
        };
        let is = |class: &str| info.classes.iter().any(|c| c == class);
        // SAFETY: constructors return fresh objects; the selector outlives the parameters.
        // As locally: IVF indexes reject parameters other than SearchParametersIVF, HNSW and
        // the others use the selector of any parameters (the client sends nprobe exactly for
        // SearchParametersIVF, efSearch exactly for SearchParametersHNSW).
        let built = unsafe {
            if is("IndexIVF") {
                if params.nprobe.is_none() {
                    return Err(Error::new(
                        FAISSX_ERR_FAISS,
                        "IndexIVF params have incorrect type",
                    ));
                }
                construct(|out: *mut *mut FaissSearchParametersIVF| {
                    faiss_status(sys::faiss_SearchParametersIVF_new_with(
                        out,
                        sel,
                        params.nprobe.unwrap_or(info.nprobe) as usize,
                        params.max_codes.unwrap_or(info.max_codes) as usize,
                    ))
                })?
            } else if is("IndexHNSW") && params.ef_search.is_some() {
                crate::ffi::boundary::hnsw_ef(params.ef_search.unwrap_or(1).into(), "ef_search")?;
                let p = construct(|out: *mut *mut FaissSearchParameters| {
                    shim_status(shim::faissx_shim_SearchParametersHNSW_new(
                        out.cast(),
                        sel.cast(),
                        params.ef_search.unwrap_or(info.ef_search),
                    ))
                })?;
                if let Some(check) = params.check_relative_distance {
                    shim::faissx_shim_SearchParametersHNSW_set(p.cast(), 1, check.into());
                }
                if let Some(bounded) = params.bounded_queue {
                    shim::faissx_shim_SearchParametersHNSW_set(p.cast(), 2, bounded.into());
                }
                p
            } else {
                // Other indexes use only the selector of whatever parameters they get.
                construct(|out| faiss_status(sys::faiss_SearchParameters_new(out, sel)))?
            }
        };
        Ok(BuiltParams {
            params: built,
            _selector: selector,
        })
    }

    fn ptr(&self) -> *const FaissSearchParameters {
        self.params
    }
}

/// FAISS's `ParameterSpace::set_index_parameter`.
///
/// # Safety
/// `index` must be a live index.
unsafe fn set_space_parameter(index: *mut FaissIndex, name: &str, value: f64) -> Result<()> {
    // FAISS walks into the index's sub-indexes without looking for NULL.
    crate::ffi::boundary::complete(index)?;
    let name = CString::new(name).map_err(|_| Error::invalid("parameter name contains NUL"))?;
    let space = construct(|out| faiss_status(sys::faiss_ParameterSpace_new(out)))?;
    let status = sys::faiss_ParameterSpace_set_index_parameter(space, index, name.as_ptr(), value);
    sys::faiss_ParameterSpace_free(space);
    faiss_status(status)
}

impl Drop for BuiltParams {
    fn drop(&mut self) {
        if !self.params.is_null() {
            // SAFETY: created once by a constructor above.
            unsafe { sys::faiss_SearchParameters_free(self.params) }
        }
    }
}
