//! Remote index handles. A `FaissIndex*` in remote mode points at a [`RemoteIndex`], whose
//! first word is [`REMOTE_MAGIC`]; a local handle points at a FAISS object, whose first word
//! is its C++ vtable pointer. `REMOTE_MAGIC` is not a canonical x86-64/AArch64 address, so no
//! vtable pointer can equal it, and telling the two apart costs one load.

use super::{options, Client, Frame, Replied};
use crate::ffi::boundary::{Error, Result};
use crate::ffi::types::*;
use crate::local::index::{LocalIndex, RawIndex};
use crate::protocol::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// "XFREMOTE"; bits 48-63 differ from bit 47, which no user-space pointer allows.
pub const REMOTE_MAGIC: u64 = 0x5846_5245_4d4f_5445;

/// Requests are split so that no frame exceeds this; the server's default limit is far above.
const CHUNK_BYTES: usize = 4 << 20;

#[repr(C)]
pub struct RemoteIndex {
    magic: u64,
    pub client: Arc<Client>,
    /// The index's name in the tenant's namespace on the server.
    pub name: String,
    /// `name` for C callers.
    pub c_name: std::ffi::CString,
    /// Whether freeing the handle deletes the index on the server (it does for indexes this
    /// handle created; not for indexes opened by name).
    pub owned: bool,
    /// Whether the index still belongs to the client's session, which frees it when the
    /// process ends; false once shared ([`RemoteIndex::persist`]) or for indexes opened by name.
    session_owned: std::sync::atomic::AtomicBool,
    /// FAISS's own_fields as the caller set it (0 or 1), or [`OWN_FIELDS_UNSET`]. On the server
    /// a borrowed index lives as long as anything uses it; on the client, as in FAISS, 1 means
    /// freeing this handle also frees the sub-index handle it was built over.
    own_fields: std::sync::atomic::AtomicI32,
    /// The caller's handle of the sub-index this index was built over (quantizer, wrapped
    /// index), and whether it is binary: what own_fields = 1 frees along with this handle.
    pub sub_handle: Mutex<Option<(usize, bool)>>,
    /// The caller's VectorTransforms an IndexPreTransform was given, in chain order: FAISS
    /// borrows them (trains them in place, frees them with own_fields), the server holds
    /// copies.
    lent_transforms: Mutex<Vec<usize>>,
    info: Mutex<IndexInfo>,
    cache: Mutex<Cache>,
    /// Local copies whose sub-indexes were lent out before a write made them stale: FAISS's
    /// sub-index pointers stay valid as long as the composite, so these live as long as the
    /// handle.
    lent_copies: Mutex<Vec<LocalIndex>>,
    /// References to this handle: the caller's, and one per face that lets FAISS's composites
    /// use it (src/remote/face.rs). The last one to go deletes the index and frees the handle,
    /// so freeing the caller's handle while a composite still uses it leaves the face valid.
    refs: std::sync::atomic::AtomicUsize,
    /// Whether the caller has freed its handle (the faces may still hold it).
    caller_freed: std::sync::atomic::AtomicBool,
}

/// Client-side copies behind the pointers FAISS's API lends out (xb, id_map, sub-indexes) and
/// reconstructed vectors. Every write through this handle clears it.
#[derive(Default)]
struct Cache {
    xb: Option<Vec<f32>>,
    id_map: Option<Vec<i64>>,
    /// A local copy of the whole index, for borrowed sub-indexes (quantizer, sub_index).
    local_copy: Option<LocalIndex>,
    reconstructed: HashMap<i64, Vec<u8>>,
    reconstructed_bytes: usize,
    /// An IVF's list sizes: FAISS's callers ask for them one list at a time, and the server
    /// answers with all of them.
    list_sizes: Option<Vec<u64>>,
}

/// The remote handle behind `index`, if it is one.
///
/// # Safety
/// `index` must be NULL or a live handle from faissx (local or remote).
pub unsafe fn as_remote<'a, T>(index: *const T) -> Option<&'a RemoteIndex> {
    if index.is_null() || *(index as *const u64) != REMOTE_MAGIC {
        None
    } else {
        Some(&*(index as *const RemoteIndex))
    }
}

/// Unique within this process and, with the time, across the processes sharing a server.
fn fresh_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "faissx-{:x}-{:x}-{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// FAISS's defaults for `distance_compute_blas_threshold` and `distance_compute_blas_query_bs`:
/// a batch of at least 20 queries is scanned with BLAS, in blocks of 4096 queries.
const BLAS_MIN_QUERIES: usize = 20;
const BLAS_QUERY_BLOCK: usize = 4096;

/// Splits n queries into chunks of about `per_chunk` such that the server's FAISS takes, for
/// every query, the path a search of the whole batch takes in this process: no chunk under
/// BLAS's threshold unless the whole batch is (a short tail joins the chunk before it), and
/// chunk boundaries on BLAS's query blocks when chunks are that large. Otherwise the last
/// bits of distances differ between modes and near-ties swap.
fn query_chunks(n: usize, per_chunk: usize) -> Vec<(usize, usize)> {
    let mut per_chunk = per_chunk.max(1);
    if per_chunk >= BLAS_QUERY_BLOCK {
        per_chunk -= per_chunk % BLAS_QUERY_BLOCK;
    }
    if n >= BLAS_MIN_QUERIES {
        per_chunk = per_chunk.max(BLAS_MIN_QUERIES);
    }
    let mut chunks: Vec<(usize, usize)> = (0..n)
        .step_by(per_chunk)
        .map(|start| (start, (start + per_chunk).min(n)))
        .collect();
    if let [.., before, (start, end)] = chunks[..] {
        if n >= BLAS_MIN_QUERIES && end - start < BLAS_MIN_QUERIES {
            chunks.truncate(chunks.len() - 2);
            chunks.push((before.0, end));
        }
    }
    chunks
}

fn answer_info(answer: Answer) -> Result<IndexInfo> {
    match answer {
        Answer::Info(info) | Answer::Removed { info, .. } => Ok(info),
        other => Err(Error::new(
            FAISSX_ERR_PROTOCOL,
            format!("unexpected answer {other:?}"),
        )),
    }
}

fn frames<const N: usize>(mut payload: Vec<Vec<u8>>, what: &str) -> Result<[Vec<u8>; N]> {
    if payload.len() != N {
        return Err(Error::new(
            FAISSX_ERR_PROTOCOL,
            format!(
                "{what}: the server sent {} frames, expected {N}",
                payload.len()
            ),
        ));
    }
    payload.truncate(N);
    Ok(payload.try_into().expect("length checked"))
}

fn decode_frame<T: Element>(frame: &[u8], count: usize, what: &str) -> Result<Vec<T>> {
    from_frame(frame, count, what).map_err(|e| Error::new(FAISSX_ERR_PROTOCOL, e.message))
}

/// [`RemoteIndex::own_fields`] before the caller sets it.
const OWN_FIELDS_UNSET: std::os::raw::c_int = -1;

impl RemoteIndex {
    fn boxed(client: Arc<Client>, name: String, owned: bool, info: IndexInfo) -> *mut RemoteIndex {
        // What this process creates, its session owns; what it opens by name is someone's.
        if owned {
            client.session_owns();
        }
        Box::into_raw(Box::new(RemoteIndex {
            magic: REMOTE_MAGIC,
            client,
            c_name: std::ffi::CString::new(name.clone()).unwrap_or_default(),
            name,
            owned,
            session_owned: std::sync::atomic::AtomicBool::new(owned),
            own_fields: std::sync::atomic::AtomicI32::new(OWN_FIELDS_UNSET),
            sub_handle: Mutex::new(None),
            lent_transforms: Mutex::new(Vec::new()),
            info: Mutex::new(info),
            cache: Mutex::new(Cache::default()),
            lent_copies: Mutex::new(Vec::new()),
            refs: std::sync::atomic::AtomicUsize::new(1),
            caller_freed: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    /// Creates an index on the server; the returned handle owns it.
    pub fn create(client: Arc<Client>, spec: IndexSpec) -> Result<*mut RemoteIndex> {
        let name = fresh_name();
        let (answer, _) = client.call(
            Op::Create {
                index: name.clone(),
                spec,
            },
            vec![],
        )?;
        Ok(Self::boxed(client, name, true, answer_info(answer)?))
    }

    /// Uploads an index in FAISS's file format; the returned handle owns it.
    pub fn load(client: Arc<Client>, bytes: Vec<u8>, binary: bool) -> Result<*mut RemoteIndex> {
        let name = fresh_name();
        let (answer, _) = client.call(
            Op::Load {
                index: name.clone(),
                binary,
            },
            vec![bytes.into()],
        )?;
        Ok(Self::boxed(client, name, true, answer_info(answer)?))
    }

    /// A handle on an existing index of the tenant; freeing it leaves the index on the server.
    pub fn open(client: Arc<Client>, name: &str) -> Result<*mut RemoteIndex> {
        let (answer, _) = client.call(Op::Info { index: name.into() }, vec![])?;
        Ok(Self::boxed(
            client,
            name.into(),
            false,
            answer_info(answer)?,
        ))
    }

    /// Frees the caller's handle: deletes the server's index if the handle owns it, once no
    /// face holds the handle any more.
    ///
    /// # Safety
    /// `handle` must come from one of the constructors above and not be used afterwards.
    pub unsafe fn free(handle: *const RemoteIndex) -> Result<()> {
        if (*handle).caller_freed.swap(true, Ordering::AcqRel) {
            // Freed already while a face kept it alive (or freed by the composite that owned
            // it): nothing left that is the caller's.
            return Ok(());
        }
        Self::release(handle)
    }

    /// Whether the caller has freed its handle (only faces hold it now).
    pub fn caller_freed(&self) -> bool {
        self.caller_freed.load(Ordering::Acquire)
    }

    /// Takes one more reference, for a face.
    ///
    /// # Safety
    /// `handle` must be a live handle.
    pub unsafe fn retain(handle: *const RemoteIndex) {
        (*handle).refs.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops one reference; the last deletes the index (if owned) and frees the handle.
    ///
    /// # Safety
    /// `handle` must hold the reference being dropped.
    pub unsafe fn release(handle: *const RemoteIndex) -> Result<()> {
        if (*handle).refs.fetch_sub(1, Ordering::AcqRel) != 1 {
            return Ok(());
        }
        let handle = Box::from_raw(handle as *mut RemoteIndex);
        if handle.session_owned.swap(false, Ordering::SeqCst) {
            handle.client.session_released();
        }
        let deleted = if handle.owned {
            let delete = Op::Delete {
                index: handle.name.clone(),
            };
            handle.client.call(delete, vec![]).map(|_| ())
        } else {
            Ok(())
        };
        if handle.own_fields() != 0 {
            if let Some((sub, binary)) = handle.sub_handle.lock().unwrap().take() {
                if binary {
                    crate::ffi::index_binary::faissx_IndexBinary_free(sub as *mut _);
                } else {
                    crate::ffi::index::faissx_Index_free(sub as *mut _);
                }
            }
            for transform in handle.lent_transforms.lock().unwrap().drain(..) {
                crate::local::sys::faiss_VectorTransform_free(transform as *mut _);
            }
        }
        deleted
    }

    /// Makes the index outlive this process's session: it stays on the server, for other
    /// processes to open by name, until deleted by name (or freed through this handle).
    pub fn persist(&self) -> Result<()> {
        if !self.session_owned.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        match self.call(
            Op::Persist {
                index: self.name.clone(),
            },
            vec![],
        ) {
            Ok(_) => {
                self.client.session_released();
                Ok(())
            }
            // A server that predates sessions frees no index when its creator ends: shared.
            Err(error)
                if error.code == FAISSX_ERR_PROTOCOL
                    && error.message.contains("unknown variant") =>
            {
                self.client.session_released();
                Ok(())
            }
            Err(error) => {
                self.session_owned.store(true, Ordering::SeqCst);
                Err(error)
            }
        }
    }

    fn call(&self, op: Op, payload: Vec<Frame<'_>>) -> Result<Replied> {
        self.client.call(op, payload).map_err(|e| self.named(e))
    }

    /// Says which index a failed call was about.
    fn named(&self, error: Error) -> Error {
        Error::new(
            error.code,
            format!("index '{}': {}", self.name, error.message),
        )
    }

    /// Records the state a write returned, and drops every copy the write made stale.
    fn written(&self, info: IndexInfo) {
        *self.info.lock().unwrap() = info;
        self.drop_cache();
    }

    fn drop_cache(&self) {
        let stale = std::mem::take(&mut *self.cache.lock().unwrap());
        if let Some(copy) = stale.local_copy {
            self.lent_copies.lock().unwrap().push(copy);
        }
    }

    /// What the handle last learned; d, metric and the classes never change.
    pub fn cached_info(&self) -> IndexInfo {
        self.info.lock().unwrap().clone()
    }

    /// Asks the server: ntotal and is_trained change under other clients' writes too.
    pub fn fresh_info(&self) -> Result<IndexInfo> {
        let (answer, _) = self.call(
            Op::Info {
                index: self.name.clone(),
            },
            vec![],
        )?;
        let info = answer_info(answer)?;
        *self.info.lock().unwrap() = info.clone();
        Ok(info)
    }

    pub fn is(&self, class: &str) -> bool {
        self.info.lock().unwrap().classes.iter().any(|c| c == class)
    }

    pub fn is_binary(&self) -> bool {
        self.info.lock().unwrap().binary
    }

    /// Bytes of one vector: d floats, or d/8 bytes for a binary index.
    pub fn vector_bytes(&self) -> usize {
        let info = self.info.lock().unwrap();
        if info.binary {
            info.d as usize / 8
        } else {
            info.d as usize * 4
        }
    }

    fn rows_per_chunk(&self, extra_per_row: usize) -> usize {
        (CHUNK_BYTES / (self.vector_bytes() + extra_per_row).max(1)).max(1)
    }

    pub fn train(&self, n: usize, x: &[u8]) -> Result<()> {
        if let Some(quantizer) = self.local_quantizer() {
            // SAFETY: the caller keeps the quantizer alive while the IVF uses it, as in FAISS.
            let flat = unsafe {
                crate::local::shim::faissx_shim_is_class(
                    quantizer.cast_const(),
                    c"IndexFlat".as_ptr(),
                )
            };
            if flat == 0 {
                return Err(Error::unsupported(
                    "the IVF's quantizer is an index of this process that is not flat: the \
                     server cannot train it in place (create the quantizer in remote mode)",
                ));
            }
        }
        let (answer, _) = self.call(
            Op::Train {
                index: self.name.clone(),
                n: n as u64,
            },
            vec![x.into()],
        )?;
        self.written(answer_info(answer)?);
        self.train_local_quantizer()?;
        self.train_lent_transforms()
    }

    /// Records a VectorTransform of the caller's put in front of this pre-transform's chain.
    pub fn lend_transform(&self, transform: *mut std::os::raw::c_void) {
        self.lent_transforms
            .lock()
            .unwrap()
            .insert(0, transform as usize);
    }

    /// FAISS trains the transforms of a pre-transform's chain in place, the caller's own
    /// objects; the server trained its copies, whose state is copied back into them.
    fn train_lent_transforms(&self) -> Result<()> {
        let lent = self.lent_transforms.lock().unwrap().clone();
        if lent.is_empty() {
            return Ok(());
        }
        self.with_local_copy(|copy| {
            let RawIndex::Float(trained) = copy.raw() else {
                return Ok(());
            };
            // SAFETY: the copy is a live local index; the caller keeps its transforms alive
            // while the index uses them, as in FAISS. The chain holds the lent transforms
            // first, in order, as prepend_transform put them.
            unsafe {
                let pre = crate::local::sys::faiss_IndexPreTransform_cast(trained);
                if pre.is_null() {
                    return Ok(());
                }
                for (i, transform) in lent.iter().enumerate() {
                    let trained = crate::local::shim::faissx_shim_IndexPreTransform_chain_at(
                        pre.cast_const().cast(),
                        i as i64,
                    );
                    if trained.is_null() {
                        return Err(Error::new(
                            FAISSX_ERR_PROTOCOL,
                            "the server's pre-transform has fewer transforms than were given",
                        ));
                    }
                    crate::local::shim_status(
                        crate::local::shim::faissx_shim_VectorTransform_copy_state(
                            *transform as *mut _,
                            trained,
                        ),
                    )?;
                }
                Ok(())
            }
        })?
    }

    /// Replaces the vectors of the n `ids`.
    pub fn update_vectors(&self, n: usize, ids: &[i64], x: &[u8]) -> Result<()> {
        let op = Op::UpdateVectors {
            index: self.name.clone(),
            n: n as u64,
        };
        let (answer, _) = self.call(op, vec![to_frame(ids).into(), x.into()])?;
        self.written(answer_info(answer)?);
        Ok(())
    }

    /// Adds n vectors to the lists `lists` names, with `ids` or the next sequential ones.
    pub fn add_core(&self, n: usize, x: &[u8], lists: &[i64], ids: Option<&[i64]>) -> Result<()> {
        let mut payload: Vec<Frame<'_>> = vec![x.into(), to_frame(lists).into()];
        if let Some(ids) = ids {
            payload.push(to_frame(ids).into());
        }
        let op = Op::AddCore {
            index: self.name.clone(),
            n: n as u64,
            with_ids: ids.is_some(),
        };
        let (answer, _) = self.call(op, payload)?;
        self.written(answer_info(answer)?);
        Ok(())
    }

    /// Trains the IVF's vector encoder alone; `assign` holds the n vectors' lists.
    pub fn train_encoder(&self, n: usize, x: &[u8], assign: Option<&[i64]>) -> Result<()> {
        let mut payload: Vec<Frame<'_>> = vec![x.into()];
        if let Some(assign) = assign {
            payload.push(to_frame(assign).into());
        }
        let op = Op::TrainEncoder {
            index: self.name.clone(),
            n: n as u64,
            with_assign: assign.is_some(),
        };
        let (answer, _) = self.call(op, payload)?;
        self.written(answer_info(answer)?);
        Ok(())
    }

    /// FAISS's own_fields: whether freeing this handle frees the handle of the sub-index it
    /// was built over (on the server a composite keeps what it borrows alive either way).
    /// Until the caller sets it, FAISS's default: 0 over a sub-index the caller gave, 1 where
    /// FAISS made the sub-index itself (read from a file, cloned, built by the factory).
    pub fn own_fields(&self) -> std::os::raw::c_int {
        match self.own_fields.load(Ordering::Relaxed) {
            OWN_FIELDS_UNSET => self.sub_handle().is_none().into(),
            value => value,
        }
    }

    /// Sets own_fields; FAISS keeps it as a bool, so any nonzero value reads back as 1.
    pub fn set_own_fields(&self, value: std::os::raw::c_int) {
        self.own_fields
            .store((value != 0).into(), Ordering::Relaxed);
    }

    /// The caller's handle this composite was built over (an IVF's quantizer, an IDMap's
    /// index), which FAISS hands back as the composite's sub-index.
    pub fn sub_handle(&self) -> Option<(usize, bool)> {
        *self.sub_handle.lock().unwrap()
    }

    /// The quantizer in the caller's process this IVF was built over, if it was.
    fn local_quantizer(&self) -> Option<*mut std::os::raw::c_void> {
        let (sub, binary) = self.sub_handle()?;
        // SAFETY: the caller keeps the sub-index alive while the composite uses it, as in FAISS.
        let remote = unsafe { as_remote(sub as *const FaissIndex) }.is_some();
        (!binary && !remote && self.is("IndexIVF")).then_some(sub as *mut std::os::raw::c_void)
    }

    /// An IVF built over a quantizer in the caller's process trained the server's copy of it;
    /// FAISS trains the caller's own object, so the centroids are copied back into it.
    fn train_local_quantizer(&self) -> Result<()> {
        let Some(quantizer) = self.local_quantizer() else {
            return Ok(());
        };
        self.with_local_copy(|copy| {
            let RawIndex::Float(trained) = copy.raw() else {
                return Ok(());
            };
            // SAFETY: both are live local indexes; the copy's quantizer belongs to the copy.
            unsafe {
                let ivf = crate::local::sys::faiss_IndexIVF_cast(trained);
                if ivf.is_null() {
                    return Ok(());
                }
                crate::local::shim_status(crate::local::shim::faissx_shim_Index_copy_flat(
                    quantizer,
                    crate::local::sys::faiss_IndexIVF_quantizer(ivf)
                        .cast_const()
                        .cast(),
                ))
            }
        })?
    }

    /// Adds in chunks of a few MB, pipelined: the server applies a chunk while the next one
    /// travels, in order, so ids stay sequential. After a failed chunk the server applies none of
    /// the later ones; the handle still learns what the applied ones did.
    pub fn add(&self, n: usize, x: &[u8], ids: Option<&[i64]>) -> Result<()> {
        let row = self.vector_bytes();
        let per_chunk = self.rows_per_chunk(if ids.is_some() { 8 } else { 0 });
        // Adding nothing still asks: FAISS refuses it where it refuses any add (an untrained
        // IVF, one without a quantizer), as it does locally.
        let parts = n.div_ceil(per_chunk).max(1);
        let parts_u32 = u32::try_from(parts)
            .map_err(|_| Error::invalid(format!("add: {n} vectors is too many for one call")))?;
        let requests: Vec<(Op, Vec<Frame>)> = (0..parts)
            .map(|part| {
                let (start, end) = (part * per_chunk, ((part + 1) * per_chunk).min(n));
                let mut payload: Vec<Frame> = vec![x[start * row..end * row].into()];
                if let Some(ids) = ids {
                    payload.push(to_frame(&ids[start..end]).into());
                }
                let op = Op::Add {
                    index: self.name.clone(),
                    n: (end - start) as u64,
                    with_ids: ids.is_some(),
                    part: part as u32,
                    parts: parts_u32,
                };
                (op, payload)
            })
            .collect();
        let replies = self
            .client
            .call_pipelined(&requests)
            .map_err(|e| self.named(e))?;
        let mut first_error = None;
        let mut last_info = None;
        for reply in replies {
            match reply {
                Ok((answer, _)) => last_info = Some(answer_info(answer)?),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        if let Some(info) = last_info {
            self.written(info);
        }
        match first_error {
            Some(error) => Err(self.named(error)),
            None => Ok(()),
        }
    }

    /// Searches in chunks of queries, all sent before the first reply is read so the server
    /// searches them in parallel; returns the raw distance bytes (f32 or i32) and the labels
    /// of n*k results.
    pub fn search(
        &self,
        n: usize,
        k: usize,
        x: &[u8],
        params: Option<SearchParams>,
    ) -> Result<(Vec<u8>, Vec<i64>)> {
        let row = self.vector_bytes();
        let chunks = query_chunks(n, self.rows_per_chunk(k.saturating_mul(12)));
        let requests = chunks
            .iter()
            .map(|&(start, end)| {
                let op = Op::Search {
                    index: self.name.clone(),
                    n: (end - start) as u64,
                    k: k as u64,
                    params: params.clone(),
                };
                (op, vec![Frame::from(&x[start * row..end * row])])
            })
            .collect::<Vec<_>>();
        let replies = self
            .client
            .call_pipelined(&requests)
            .map_err(|e| self.named(e))?
            .into_iter()
            .collect::<Result<Vec<Replied>>>()
            .map_err(|e| self.named(e))?;
        let mut distances = Vec::with_capacity(n * k * 4);
        let mut labels = Vec::with_capacity(n * k);
        for ((start, end), (_, payload)) in chunks.into_iter().zip(replies) {
            let rows = end - start;
            let [d, l] = frames::<2>(payload, "search")?;
            if d.len() != rows * k * 4 {
                return Err(Error::new(
                    FAISSX_ERR_PROTOCOL,
                    "search: wrong distance frame size",
                ));
            }
            distances.extend_from_slice(&d);
            labels.extend(decode_frame::<i64>(&l, rows * k, "labels")?);
        }
        Ok((distances, labels))
    }

    pub fn assign(&self, n: usize, k: usize, x: &[u8]) -> Result<Vec<i64>> {
        let op = Op::Assign {
            index: self.name.clone(),
            n: n as u64,
            k: k as u64,
        };
        let (_, payload) = self.call(op, vec![x.into()])?;
        let [labels] = frames::<1>(payload, "assign")?;
        decode_frame(&labels, n * k, "labels")
    }

    /// Returns lims (n+1), labels and distances (as raw f32 or i32 bytes).
    pub fn range_search(
        &self,
        n: usize,
        radius: f64,
        x: &[u8],
        params: Option<SearchParams>,
    ) -> Result<(Vec<u64>, Vec<i64>, Vec<u8>)> {
        let op = Op::RangeSearch {
            index: self.name.clone(),
            n: n as u64,
            radius,
            params,
        };
        let (_, payload) = self.call(op, vec![x.into()])?;
        let [lims, labels, distances] = frames::<3>(payload, "range_search")?;
        let lims: Vec<u64> = decode_frame(&lims, n + 1, "lims")?;
        let total = *lims.last().unwrap_or(&0) as usize;
        let labels = decode_frame(&labels, total, "labels")?;
        if distances.len() != total * 4 {
            return Err(Error::new(
                FAISSX_ERR_PROTOCOL,
                "range_search: wrong distance frame size",
            ));
        }
        Ok((lims, labels, distances))
    }

    pub fn reset(&self) -> Result<()> {
        let (answer, _) = self.call(
            Op::Reset {
                index: self.name.clone(),
            },
            vec![],
        )?;
        self.written(answer_info(answer)?);
        Ok(())
    }

    pub fn remove_ids(&self, selector: Selector) -> Result<u64> {
        let (answer, _) = self.call(
            Op::RemoveIds {
                index: self.name.clone(),
                selector,
            },
            vec![],
        )?;
        match answer {
            Answer::Removed { n, info } => {
                self.written(info);
                Ok(n)
            }
            other => Err(Error::new(
                FAISSX_ERR_PROTOCOL,
                format!("unexpected answer {other:?}"),
            )),
        }
    }

    /// Vectors `first .. first + n` as raw bytes; single vectors are cached when the
    /// `cache_vectors` option is on.
    /// A request whose one reply frame must hold `bytes` bytes.
    fn call_for_frame(&self, op: Op, payload: Vec<Frame<'_>>, bytes: usize) -> Result<Vec<u8>> {
        let what = match &op {
            Op::SaEncode { .. } => "sa_encode",
            Op::SaDecode { .. } => "sa_decode",
            _ => "compute_residual",
        };
        let (_, payload) = self.call(op, payload)?;
        let [frame] = frames::<1>(payload, what)?;
        if frame.len() != bytes {
            return Err(Error::new(
                FAISSX_ERR_PROTOCOL,
                format!(
                    "{what}: the server sent {} bytes, expected {bytes}",
                    frame.len()
                ),
            ));
        }
        Ok(frame)
    }

    /// `transform`: a VectorTransform in FAISS's serialized form.
    pub fn prepend_transform(&self, transform: &[u8]) -> Result<()> {
        let op = Op::PrependTransform {
            index: self.name.clone(),
        };
        let (answer, _) = self.call(op, vec![transform.into()])?;
        self.written(answer_info(answer)?);
        Ok(())
    }

    pub fn sa_encode(&self, n: usize, x: &[u8], code_size: usize) -> Result<Vec<u8>> {
        let op = Op::SaEncode {
            index: self.name.clone(),
            n: n as u64,
        };
        self.call_for_frame(op, vec![x.into()], n * code_size)
    }

    pub fn sa_decode(&self, n: usize, codes: &[u8]) -> Result<Vec<u8>> {
        let op = Op::SaDecode {
            index: self.name.clone(),
            n: n as u64,
        };
        self.call_for_frame(op, vec![codes.into()], n * self.vector_bytes())
    }

    pub fn compute_residual(&self, n: usize, x: &[u8], keys: &[i64]) -> Result<Vec<u8>> {
        let op = Op::ComputeResidual {
            index: self.name.clone(),
            n: n as u64,
        };
        let payload = vec![x.into(), to_frame(keys).into()];
        self.call_for_frame(op, payload, n * self.vector_bytes())
    }

    /// `assign` and `centroid_dis` hold n × nprobe entries, nprobe being the index's or, for a
    /// binary IVF, `params`' (f32 coarse distances for a float index, i32 for a binary one).
    #[allow(clippy::too_many_arguments)]
    pub fn search_preassigned<D: crate::protocol::Element>(
        &self,
        n: usize,
        k: usize,
        x: &[u8],
        assign: &[i64],
        centroid_dis: &[D],
        store_pairs: bool,
        params: Option<crate::protocol::SearchParams>,
    ) -> Result<(Vec<u8>, Vec<i64>)> {
        let op = Op::SearchPreassigned {
            index: self.name.clone(),
            n: n as u64,
            k: k as u64,
            store_pairs,
            params,
        };
        let payload = vec![
            x.into(),
            to_frame(assign).into(),
            to_frame(centroid_dis).into(),
        ];
        let (_, payload) = self.call(op, payload)?;
        let [distances, labels] = frames::<2>(payload, "search_preassigned")?;
        if distances.len() != n * k * 4 {
            return Err(Error::new(
                FAISSX_ERR_PROTOCOL,
                "search_preassigned: wrong distance frame size",
            ));
        }
        Ok((distances, decode_frame(&labels, n * k, "labels")?))
    }

    pub fn reconstruct(&self, first: i64, n: usize) -> Result<Vec<u8>> {
        let options = options();
        if n == 1 && options.cache_vectors {
            if let Some(hit) = self.cache.lock().unwrap().reconstructed.get(&first) {
                return Ok(hit.clone());
            }
        }
        let op = Op::Reconstruct {
            index: self.name.clone(),
            first,
            n: n as u64,
        };
        let (_, payload) = self.call(op, vec![])?;
        let [vectors] = frames::<1>(payload, "reconstruct")?;
        if vectors.len() != n * self.vector_bytes() {
            return Err(Error::new(
                FAISSX_ERR_PROTOCOL,
                "reconstruct: wrong frame size",
            ));
        }
        if n == 1 && options.cache_vectors {
            let mut cache = self.cache.lock().unwrap();
            if cache.reconstructed_bytes + vectors.len() <= options.cache_memory_bytes {
                cache.reconstructed_bytes += vectors.len();
                cache.reconstructed.insert(first, vectors.clone());
            }
        }
        Ok(vectors)
    }

    /// Whether `other` lives on this index's server, in the same tenant.
    pub fn same_server(&self, other: &RemoteIndex) -> bool {
        Arc::ptr_eq(&self.client, &other.client) || self.client.settings == other.client.settings
    }

    pub fn merge_from(&self, other: &RemoteIndex, add_id: i64) -> Result<()> {
        if !self.same_server(other) {
            return Err(Error::invalid("the two indexes live on different servers"));
        }
        let op = Op::MergeFrom {
            index: self.name.clone(),
            other: other.name.clone(),
            add_id,
        };
        let (answer, _) = self.call(op, vec![])?;
        self.written(answer_info(answer)?);
        // The other index was emptied by the merge.
        other.fresh_info()?;
        other.drop_cache();
        Ok(())
    }

    /// Copies a subset of the entries of `from` (an index of this server and tenant) into this
    /// one: FAISS's `from.copy_subset_to(self, subset_type, a1, a2)`.
    pub fn copy_subset_from(&self, from: &str, subset_type: i32, a1: i64, a2: i64) -> Result<()> {
        let op = Op::CopySubset {
            index: self.name.clone(),
            from: from.to_string(),
            subset_type,
            a1,
            a2,
        };
        let (answer, _) = self.call(op, vec![])?;
        self.written(answer_info(answer)?);
        Ok(())
    }

    /// Sets a parameter of the index itself, as the class's own setter does.
    pub fn set_param(&self, name: &str, value: f64) -> Result<()> {
        self.set(name, value, false)
    }

    /// Sets a parameter as FAISS's ParameterSpace does, walking into wrapped indexes.
    pub fn set_space_param(&self, name: &str, value: f64) -> Result<()> {
        self.set(name, value, true)
    }

    fn set(&self, name: &str, value: f64, space: bool) -> Result<()> {
        let op = Op::SetParam {
            index: self.name.clone(),
            name: name.into(),
            value,
            space,
        };
        let (answer, _) = self.call(op, vec![])?;
        self.written(answer_info(answer)?);
        Ok(())
    }

    /// The index in FAISS's file format.
    pub fn save(&self) -> Result<Vec<u8>> {
        let (_, payload) = self.call(
            Op::Save {
                index: self.name.clone(),
            },
            vec![],
        )?;
        let [bytes] = frames::<1>(payload, "save")?;
        Ok(bytes)
    }

    pub fn duplicate(&self) -> Result<*mut RemoteIndex> {
        let to = fresh_name();
        let (answer, _) = self.call(
            Op::Clone {
                index: self.name.clone(),
                to: to.clone(),
            },
            vec![],
        )?;
        Ok(Self::boxed(
            self.client.clone(),
            to,
            true,
            answer_info(answer)?,
        ))
    }

    /// A pointer to a client-side copy of the stored vectors, valid until the next write
    /// through this handle or its next `xb` call.
    pub fn xb(&self) -> Result<(*mut f32, usize)> {
        let mut cache = self.cache.lock().unwrap();
        let op = || Op::FlatVectors {
            index: self.name.clone(),
        };
        let xb = self.fetched(&mut cache.xb, op, "xb")?;
        Ok((xb.as_mut_ptr(), xb.len()))
    }

    /// A pointer to a client-side copy of an IDMap's ids, with the same lifetime as `xb`.
    pub fn id_map(&self) -> Result<(*mut i64, usize)> {
        let mut cache = self.cache.lock().unwrap();
        let op = || Op::IdMap {
            index: self.name.clone(),
        };
        let ids = self.fetched(&mut cache.id_map, op, "id_map")?;
        Ok((ids.as_mut_ptr(), ids.len()))
    }

    /// The array the server answers `op` with, kept in `slot` until the next write through
    /// this handle while the `cache_vectors` option is on, and asked for at every use when it
    /// is off.
    fn fetched<'c, T: Element>(
        &self,
        slot: &'c mut Option<Vec<T>>,
        op: impl FnOnce() -> Op,
        what: &str,
    ) -> Result<&'c mut Vec<T>> {
        if slot.is_none() || !options().cache_vectors {
            let (_, payload) = self.call(op(), vec![])?;
            let [bytes] = frames::<1>(payload, what)?;
            let count = bytes.len() / std::mem::size_of::<T>();
            *slot = Some(decode_frame(&bytes, count, what)?);
        }
        Ok(slot.as_mut().expect("filled above"))
    }

    /// Sends the ids lent out by [`RemoteIndex::id_map`], which the caller may have edited in
    /// place as FAISS lets it, for the server to take (FAISS's construct_rev_map).
    pub fn send_lent_ids(&self) -> Result<()> {
        let ids = match &self.cache.lock().unwrap().id_map {
            Some(ids) => ids.clone(),
            None => return Ok(()),
        };
        let op = Op::SetIds {
            index: self.name.clone(),
            n: ids.len() as u64,
        };
        let (answer, _) = self.call(op, vec![to_frame(&ids).into()])?;
        // Not self.written: that drops the lent ids, which FAISS's pointer still shows. A
        // local copy holds the old ids: it goes, kept alive for what it lent out.
        *self.info.lock().unwrap() = answer_info(answer)?;
        let stale = self.cache.lock().unwrap().local_copy.take();
        if let Some(copy) = stale {
            self.lent_copies.lock().unwrap().push(copy);
        }
        Ok(())
    }

    pub fn list_ids(&self, list: usize) -> Result<Vec<i64>> {
        let op = Op::ListIds {
            index: self.name.clone(),
            list: list as u64,
        };
        let (_, payload) = self.call(op, vec![])?;
        let [bytes] = frames::<1>(payload, "list_ids")?;
        decode_frame(&bytes, bytes.len() / 8, "list ids")
    }

    /// The sizes of every inverted list of an IVF.
    pub fn list_sizes(&self) -> Result<Vec<u64>> {
        self.with_list_sizes(<[u64]>::to_vec)
    }

    /// The size of inverted list `list_no`.
    pub fn list_size(&self, list_no: usize) -> Result<usize> {
        self.with_list_sizes(|sizes| match sizes.get(list_no) {
            Some(&size) => Ok(size as usize),
            None => Err(Error::invalid(format!(
                "list_no {list_no} is out of range (nlist = {})",
                sizes.len()
            ))),
        })?
    }

    /// The list sizes come in one request and are kept, as `xb` is: a loop over every list's
    /// size costs one round trip, instead of one per list that carries every size.
    fn with_list_sizes<R>(&self, with: impl FnOnce(&[u64]) -> R) -> Result<R> {
        let mut cache = self.cache.lock().unwrap();
        let op = || Op::ListSizes {
            index: self.name.clone(),
        };
        let sizes = self.fetched(&mut cache.list_sizes, op, "list sizes")?;
        Ok(with(sizes))
    }

    /// FAISS's imbalance factor of the inverted lists: 1 when perfectly balanced.
    pub fn imbalance_factor(&self) -> Result<f64> {
        let sizes = self.list_sizes()?;
        let total: f64 = sizes.iter().map(|&s| s as f64).sum();
        let squares: f64 = sizes.iter().map(|&s| (s as f64) * (s as f64)).sum();
        Ok(if total == 0.0 {
            0.0
        } else {
            squares * sizes.len() as f64 / (total * total)
        })
    }

    /// A local copy of the whole index, downloaded once and kept until the next write, for
    /// the sub-indexes FAISS's API lends out (an IVF's quantizer, an IDMap's sub-index).
    /// `with` gets the copy's FAISS pointer.
    pub fn with_local_copy<R>(&self, with: impl FnOnce(&LocalIndex) -> R) -> Result<R> {
        let mut cache = self.cache.lock().unwrap();
        if cache.local_copy.is_none() {
            let bytes = self.save()?;
            cache.local_copy = Some(LocalIndex::load(&bytes, self.is_binary())?);
        }
        Ok(with(cache.local_copy.as_ref().expect("filled above")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_chunks_never_leave_a_short_tail_and_follow_blas_blocks() {
        assert_eq!(query_chunks(340, 335), vec![(0, 340)]);
        assert_eq!(query_chunks(6641, 6636), vec![(0, 4096), (4096, 6641)]);
        assert_eq!(query_chunks(8197, 9000), vec![(0, 8197)]);
        assert_eq!(
            query_chunks(19, 3),
            vec![
                (0, 3),
                (3, 6),
                (6, 9),
                (9, 12),
                (12, 15),
                (15, 18),
                (18, 19)
            ]
        );
        assert_eq!(query_chunks(45, 3), vec![(0, 20), (20, 45)]);
        assert_eq!(query_chunks(0, 100), vec![]);
        for (n, per_chunk) in [(1, 1), (1000, 7), (100_000, 335), (100_000, 50_000)] {
            let chunks = query_chunks(n, per_chunk);
            assert_eq!(chunks.first().unwrap().0, 0);
            assert_eq!(chunks.last().unwrap().1, n);
            assert!(chunks.windows(2).all(|w| w[0].1 == w[1].0));
            assert!(n < BLAS_MIN_QUERIES || chunks.iter().all(|c| c.1 - c.0 >= BLAS_MIN_QUERIES));
        }
    }
}
