//! The wire protocol between libfaissx (client) and faissx-server, shared by both.
//!
//! A message is a ZeroMQ multipart message: frame 1 is a msgpack header ([`Request`] or
//! [`Reply`], rmp-serde with named fields), the frames after it are raw little-endian arrays
//! (f32 vectors, i64 ids, u8 codes, i32 Hamming distances) whose shapes the header gives. Arrays
//! never travel as msgpack lists: a 100k×128 add is 51 MB of frames the server reads in place.
//! docs/PROTOCOL.md is the reference for other implementations.

use serde::{Deserialize, Serialize};

/// Bumped on any incompatible change; the server answers other versions with
/// [`ErrorKind::Protocol`] and names both versions.
pub const PROTOCOL_VERSION: u32 = 2;

fn one_part() -> u32 {
    1
}

/// Frame 1 of every request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Request {
    pub version: u32,
    /// Echoed in the reply, so a client can match replies on a DEALER socket.
    pub id: u64,
    /// Required when the server enforces authentication.
    pub api_key: Option<String>,
    /// The tenant the client believes it is; with auth on, it must match the key's tenant.
    pub tenant: Option<String>,
    /// While the request is queued or served, the server sends a [`Answer::Working`] reply this
    /// often (milliseconds, at least [`MIN_KEEPALIVE_MS`]), so that a client waits as long as
    /// the server works on it instead of giving up after a fixed time. Absent: no such replies
    /// (clients that predate them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive_ms: Option<u32>,
    /// The client session this request comes from. Indexes a session creates belong to it
    /// until shared ([`Op::Persist`]): when the session ends ([`Op::EndSession`], or no request
    /// of it for its timeout) the server frees them. Absent (clients that predate sessions, raw
    /// protocol clients): what the request creates belongs to no session and stays until
    /// deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionHello>,
    pub op: Op,
}

/// Who a request's session is and how often it promises a sign of life.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SessionHello {
    /// Random, chosen by the client (libfaissx: 128 bits in hex); scoped to the tenant.
    pub id: String,
    /// How often the client sends a request (a [`Op::Heartbeat`] when it has nothing else to
    /// send) while its session owns indexes. The server waits at least twice this before it
    /// ends a silent session, whatever its own `--session-timeout-ms`.
    pub heartbeat_ms: u32,
}

/// The shortest keep-alive interval the server honours; shorter ones are raised to it.
pub const MIN_KEEPALIVE_MS: u32 = 20;

/// What the request asks for. `index` is the index's name inside the tenant's namespace.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Op {
    Ping,
    /// Names of the tenant's indexes.
    List,
    Create {
        index: String,
        spec: IndexSpec,
    },
    /// Frame: the index in FAISS's file format.
    Load {
        index: String,
        binary: bool,
    },
    /// Reply frame: the index in FAISS's file format.
    Save {
        index: String,
    },
    Delete {
        index: String,
    },
    Info {
        index: String,
    },
    Clone {
        index: String,
        to: String,
    },
    /// Frame: n vectors.
    Train {
        index: String,
        n: u64,
    },
    /// Frames: n vectors, then n ids when `with_ids`.
    /// An add larger than one chunk travels as `parts` requests with consecutive ids, sent
    /// without waiting; the server applies the parts of one connection's add in order, and
    /// answers the parts after a failed one with an error without applying them.
    Add {
        index: String,
        n: u64,
        with_ids: bool,
        /// Defaults keep write-ahead logs written before parts existed readable.
        #[serde(default)]
        part: u32,
        #[serde(default = "one_part")]
        parts: u32,
    },
    /// Frame: n queries. Reply frames: n*k distances (f32, or i32 for binary), n*k labels.
    Search {
        index: String,
        n: u64,
        k: u64,
        params: Option<SearchParams>,
    },
    /// Reply frames: n*k labels.
    Assign {
        index: String,
        n: u64,
        k: u64,
    },
    /// Frame: n queries. Reply frames: n+1 lims (u64), labels (i64), distances.
    RangeSearch {
        index: String,
        n: u64,
        radius: f64,
        params: Option<SearchParams>,
    },
    Reset {
        index: String,
    },
    RemoveIds {
        index: String,
        selector: Selector,
    },
    /// Vectors of the keys `first .. first + n`. Reply frame: n vectors.
    Reconstruct {
        index: String,
        first: i64,
        n: u64,
    },
    /// Adds `other`'s vectors to `index`, ids shifted by `add_id`; `other` ends empty.
    MergeFrom {
        index: String,
        other: String,
        add_id: i64,
    },
    /// nprobe, max_codes, efSearch, efConstruction, verbose, or any name FAISS's ParameterSpace
    /// understands.
    SetParam {
        index: String,
        name: String,
        value: f64,
        /// Set as FAISS's `ParameterSpace::set_index_parameter` does (it walks into IDMaps,
        /// PreTransforms, refinements and quantizers, and knows `quantizer_*` names); absent or
        /// false: on the index itself, as the class's own setter does.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        space: bool,
    },
    /// Reply frame: the ids an IDMap stores, in insertion order.
    IdMap {
        index: String,
    },
    /// Vectors of a flat index, all of them. Reply frame: ntotal vectors.
    FlatVectors {
        index: String,
    },
    /// Ids of one inverted list. Reply frame: i64 ids.
    ListIds {
        index: String,
        list: u64,
    },
    /// Sizes of every inverted list. Reply frame: nlist u64 sizes.
    ListSizes {
        index: String,
    },
    /// Frame: a VectorTransform in FAISS's serialized form, put in front of an
    /// IndexPreTransform's chain.
    PrependTransform {
        index: String,
    },
    /// Frame: n vectors. Reply frame: their standalone codes (n × sa_code_size bytes).
    SaEncode {
        index: String,
        n: u64,
    },
    /// Frame: n standalone codes. Reply frame: the n vectors they decode to.
    SaDecode {
        index: String,
        n: u64,
    },
    /// Frames: n vectors, then n i64 keys. Reply frame: each vector minus the reconstruction
    /// of its key.
    ComputeResidual {
        index: String,
        n: u64,
    },
    /// An IVF search in lists the caller chose, float or binary. Frames: n queries, the
    /// n × nprobe i64 lists each query probes and their coarse distances, f32 (binary: i32)
    /// (nprobe: the parameters', else the index's, at most nlist). Reply frames: distances and
    /// labels, as Search's.
    SearchPreassigned {
        index: String,
        n: u64,
        k: u64,
        store_pairs: bool,
        /// Binary IVF only: FAISS's IVF search parameters (nprobe and max_codes; the binary
        /// scan ignores a selector).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        params: Option<SearchParams>,
    },
    /// Trains an IVF's vector encoder alone, not its quantizer (FAISS's train_encoder).
    /// Frames: n vectors, then, with `with_assign`, the n i64 lists they belong to (each in
    /// 0..nlist). Answered `Info`.
    TrainEncoder {
        index: String,
        n: u64,
        with_assign: bool,
    },
    /// Adds vectors to the IVF lists the caller chose (FAISS's add_core). Frames: n vectors,
    /// their n i64 lists (-1: none, as FAISS skips), then, with `with_ids`, n i64 ids (else
    /// the next sequential ones). Answered `Info`.
    AddCore {
        index: String,
        n: u64,
        with_ids: bool,
    },
    /// Replaces the vectors of n ids of an IVF with a direct map (FAISS's update_vectors).
    /// Frames: n i64 ids, then n vectors. Answered `Info`.
    UpdateVectors {
        index: String,
        n: u64,
    },
    /// Replaces the ids an IndexIDMap/IndexIDMap2 keeps for its n = ntotal vectors (the caller
    /// edited them through FAISS's id_map pointer) and, for an IDMap2, rebuilds its reverse
    /// map (FAISS's construct_rev_map). Frame: n i64 ids. Answered `Info`.
    SetIds {
        index: String,
        n: u64,
    },
    /// Copies a subset of the entries of the IVF `from` into the IVF `index` (FAISS's
    /// `from.copy_subset_to(index, subset_type, a1, a2)`); `from` is unchanged. Answered `Info`.
    CopySubset {
        index: String,
        from: String,
        subset_type: i32,
        a1: i64,
        a2: i64,
    },
    /// A sign of life of the request's session; answered `Done`.
    Heartbeat,
    /// The index no longer belongs to the session that created it: it stays on the server when
    /// that session ends, until deleted by name. Answered `Done`.
    Persist {
        index: String,
    },
    /// The request's session is over: the indexes it still owns are freed now. Answered `Done`.
    EndSession,
    /// The tenant's indexes with their size, age and owner: answered `Indexes`.
    Describe,
}

/// How to build an index. Sub-indexes (quantizers, wrapped indexes) are named by their index
/// name and copied into the new index, which owns its copy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum IndexSpec {
    Factory {
        d: u32,
        description: String,
        metric: u32,
    },
    BinaryFactory {
        d: u32,
        description: String,
    },
    Flat {
        d: u32,
        metric: u32,
    },
    /// FAISS's IndexFlatL2 and IndexFlatIP classes (not an IndexFlat with that metric), so that
    /// casts to them work as they do locally.
    FlatL2 {
        d: u32,
    },
    FlatIP {
        d: u32,
    },
    ScalarQuantizer {
        d: u32,
        qt: u32,
        metric: u32,
    },
    HnswFlat {
        d: u32,
        m: u32,
        metric: u32,
    },
    Pq {
        d: u32,
        m: u64,
        nbits: u64,
        metric: u32,
    },
    IvfFlat {
        quantizer: String,
        d: u64,
        nlist: u64,
        metric: u32,
    },
    IvfScalarQuantizer {
        quantizer: String,
        d: u64,
        nlist: u64,
        qt: u32,
        metric: u32,
        by_residual: bool,
    },
    IvfPq {
        quantizer: String,
        d: u64,
        nlist: u64,
        m: u64,
        nbits: u64,
        metric: u32,
    },
    IdMap {
        sub_index: String,
        two_way: bool,
    },
    BinaryFlat {
        d: u64,
    },
    BinaryIvf {
        quantizer: String,
        d: u64,
        nlist: u64,
    },
    /// FAISS's IndexFlat1D (d = 1, searched through a sorted permutation).
    Flat1D {
        continuous_update: bool,
    },
    /// FAISS's IndexLSH.
    Lsh {
        d: u32,
        nbits: u32,
        rotate_data: bool,
        train_thresholds: bool,
    },
    /// An IndexRefineFlat refining the tenant's index `base`, which it borrows.
    RefineFlat {
        base: String,
    },
    /// An IndexPreTransform applying `transform` (one VectorTransform in FAISS's serialized
    /// form; none when empty) before the tenant's index `index`, which it borrows.
    PreTransform {
        index: String,
        #[serde(with = "serde_bytes")]
        transform: Vec<u8>,
    },
    /// What FAISS's constructor without arguments makes of `class` (d = 0, the class's default
    /// fields, no sub-index): "IndexFlat", "IndexFlatL2", "IndexFlatIP",
    /// "IndexScalarQuantizer", "IndexIVFFlat", "IndexIVFScalarQuantizer" or
    /// "IndexPreTransform".
    Default {
        class: String,
    },
}

/// Per-search parameters that travel with a search.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SearchParams {
    pub selector: Option<Selector>,
    pub nprobe: Option<u64>,
    pub max_codes: Option<u64>,
    pub ef_search: Option<i32>,
    pub check_relative_distance: Option<bool>,
    pub bounded_queue: Option<bool>,
}

/// An id selector, rebuilt by the server from this description.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Selector {
    Range {
        min: i64,
        max: i64,
    },
    Batch {
        ids: Vec<i64>,
    },
    /// `n` bytes of bitmap: id i is selected when bit i%8 of byte i/8 is set.
    Bitmap {
        n: u64,
        bits: Vec<u8>,
    },
    Not(Box<Selector>),
    And(Box<Selector>, Box<Selector>),
    Or(Box<Selector>, Box<Selector>),
    Xor(Box<Selector>, Box<Selector>),
}

/// Frame 1 of every reply.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Reply {
    pub version: u32,
    pub id: u64,
    pub result: Result<Answer, WireError>,
}

/// A successful reply's header; payload frames follow as the operation documents.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Answer {
    Done,
    /// Writes answer with the index's state after the write.
    Info(IndexInfo),
    Names(Vec<String>),
    Removed {
        n: u64,
        info: IndexInfo,
    },
    /// The payload frames carry the data.
    Data,
    /// Not an answer: the request is still queued or being served (see
    /// [`Request::keepalive_ms`]); its answer follows.
    Working,
    /// The answer to [`Op::Describe`], sorted by name.
    Indexes(Vec<IndexSummary>),
}

/// One index as [`Op::Describe`] lists it, for operators.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct IndexSummary {
    pub name: String,
    /// The most specific FAISS class ("IndexIVFFlat", "IndexFlatL2", ...).
    pub class: String,
    pub d: u32,
    pub ntotal: i64,
    /// Approximate memory: the stored codes (ntotal × code size), without FAISS's overheads.
    pub bytes: u64,
    /// When the index was created, in ms since the Unix epoch (the server's clock).
    pub created_ms: u64,
    /// Its age by the server's clock, so that clients need not trust their own.
    pub age_ms: u64,
    /// The session the index belongs to (freed when it ends); `None`: shared or persistent,
    /// kept until deleted.
    pub session: Option<String>,
}

/// What a client needs to know about an index to serve getters and casts without asking again.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct IndexInfo {
    pub d: u32,
    pub ntotal: i64,
    pub metric: u32,
    pub is_trained: bool,
    pub binary: bool,
    /// FAISS classes this index is an instance of ("IndexFlat", "IndexFlatL2", "IndexIVF", ...),
    /// so casts follow FAISS's class graph.
    pub classes: Vec<String>,
    pub nlist: u64,
    pub nprobe: u64,
    pub max_codes: u64,
    pub ef_search: i32,
    pub ef_construction: i32,
    pub hnsw_m: i32,
    pub pq_m: u64,
    pub pq_nbits: u64,
    pub verbose: bool,
    pub code_size: u64,
    /// FAISS's quantizer_trains_alone of IVF indexes (0, 1 or 2).
    pub quantizer_trains_alone: u8,
    /// An IndexLSH's settings.
    #[serde(default)]
    pub lsh_nbits: u32,
    #[serde(default)]
    pub lsh_rotate_data: bool,
    #[serde(default)]
    pub lsh_train_thresholds: bool,
    /// An IndexRefineFlat's k_factor.
    #[serde(default)]
    pub k_factor: f32,
    /// An IndexBinaryIVF's search options.
    #[serde(default)]
    pub use_heap: bool,
    #[serde(default)]
    pub per_invlist_search: bool,
}

/// Why a request failed, as the client reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WireError {
    pub kind: ErrorKind,
    pub message: String,
}

/// Whose fault a failure is; the client maps each to one of the header's error codes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum ErrorKind {
    /// Missing, unknown or mismatched API key / tenant.
    Auth,
    /// No index of that name in the tenant's namespace.
    NotFound,
    /// The request is well-formed but wrong: shapes, dimensions, parameters.
    InvalidArgument,
    /// FAISS rejected the operation; the message is FAISS's.
    Faiss,
    /// Malformed header, unknown operation, wrong protocol version.
    Protocol,
    /// Over a server limit (message size, dimension, k, batch).
    Limit,
    /// The operation does not apply to this index.
    Unsupported,
    /// The server failed (I/O on its data directory, ...).
    Server,
}

impl WireError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        WireError {
            kind,
            message: message.into(),
        }
    }
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    rmp_serde::to_vec_named(value).expect("protocol headers always serialize")
}

/// The deepest nesting of msgpack maps and arrays a header may have. Decoding recurses once per
/// level (and a [`Selector`] holds one Box per level, dropped recursively): a header nested
/// thousands deep would overflow the decoding thread's stack, before anyone checked who sent
/// it. Real headers nest 5 levels plus their selector's.
pub const MAX_HEADER_DEPTH: usize = 64;

/// The largest header accepted, in bytes. Headers carry no vectors, only ids of selectors, which
/// decode to 8 bytes each from as little as 1: this bounds what a header costs to decode.
pub const MAX_HEADER_BYTES: usize = 64 << 20;

/// The most nodes (leaves and combinators) a [`Selector`] may have, and its deepest nesting;
/// the server builds one FAISS object per node, recursively.
pub const MAX_SELECTOR_NODES: usize = 4096;
pub const MAX_SELECTOR_DEPTH: usize = 24;

pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, WireError> {
    let malformed = |why: String| {
        WireError::new(
            ErrorKind::Protocol,
            format!("malformed message header: {why}"),
        )
    };
    if bytes.len() > MAX_HEADER_BYTES {
        return Err(malformed(format!(
            "{} bytes, more than the {MAX_HEADER_BYTES} a header may have",
            bytes.len()
        )));
    }
    let depth = msgpack_depth(bytes, MAX_HEADER_DEPTH);
    if depth > MAX_HEADER_DEPTH {
        return Err(malformed(format!(
            "nested more than {MAX_HEADER_DEPTH} levels deep"
        )));
    }
    rmp_serde::from_slice(bytes).map_err(|e| malformed(e.to_string()))
}

/// How deeply maps and arrays nest in the first msgpack value of `bytes`, without recursion;
/// stops counting once past `limit`. Truncated or invalid input counts as far as it goes (the
/// decoder then reports it).
fn msgpack_depth(bytes: &[u8], limit: usize) -> usize {
    // Items still to read in each open container, innermost last.
    let mut open: Vec<u64> = vec![1];
    let mut deepest = 0;
    let mut at = 0usize;
    let length = |at: usize, size: usize| -> Option<u64> {
        let field = bytes.get(at..at.checked_add(size)?)?;
        Some(field.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    };
    while let Some(&marker) = bytes.get(at) {
        at += 1;
        // (bytes of payload to skip, items of a container opened)
        let (skip, items): (u64, Option<u64>) = match marker {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, None),
            0x80..=0x8f => (0, Some(2 * u64::from(marker & 0x0f))),
            0x90..=0x9f => (0, Some(u64::from(marker & 0x0f))),
            0xa0..=0xbf => (u64::from(marker & 0x1f), None),
            0xc4 | 0xd9 => (1 + length(at, 1).unwrap_or(u64::MAX), None),
            0xc5 | 0xda => (2 + length(at, 2).unwrap_or(u64::MAX), None),
            0xc6 | 0xdb => (4 + length(at, 4).unwrap_or(u64::MAX), None),
            0xc7 => (2 + length(at, 1).unwrap_or(u64::MAX), None),
            0xc8 => (3 + length(at, 2).unwrap_or(u64::MAX), None),
            0xc9 => (5 + length(at, 4).unwrap_or(u64::MAX), None),
            0xca | 0xce | 0xd2 => (4, None),
            0xcb | 0xcf | 0xd3 => (8, None),
            0xcc | 0xd0 => (1, None),
            0xcd | 0xd1 => (2, None),
            0xd4 => (2, None),
            0xd5 => (3, None),
            0xd6 => (5, None),
            0xd7 => (9, None),
            0xd8 => (17, None),
            0xdc => (2, Some(length(at, 2).unwrap_or(0))),
            0xdd => (4, Some(length(at, 4).unwrap_or(0))),
            0xde => (2, Some(2 * length(at, 2).unwrap_or(0))),
            0xdf => (4, Some(2 * length(at, 4).unwrap_or(0))),
            // 0xc1 is never used: the decoder rejects it.
            _ => return deepest,
        };
        at = match usize::try_from(skip).ok().and_then(|s| at.checked_add(s)) {
            Some(next) => next,
            None => return deepest,
        };
        // This item is read from its container...
        if let Some(left) = open.last_mut() {
            *left -= 1;
        }
        // ...and opens one of its own, whose items come next.
        if let Some(items) = items.filter(|&items| items > 0) {
            open.push(items);
            deepest = deepest.max(open.len() - 1);
            if deepest > limit {
                return deepest;
            }
        }
        while open.last() == Some(&0) {
            open.pop();
        }
        if open.is_empty() {
            break;
        }
    }
    deepest
}

/// As [`to_frame`], but reports a failed allocation instead of aborting the process.
pub fn try_to_frame<T: Element>(
    values: &[T],
) -> Result<Vec<u8>, std::collections::TryReserveError> {
    let length = std::mem::size_of_val(values);
    let mut out = Vec::new();
    out.try_reserve_exact(length)?;
    if cfg!(target_endian = "little") {
        // SAFETY: T is a plain numeric type; its in-memory bytes are its little-endian bytes.
        out.extend_from_slice(unsafe {
            std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), length)
        });
    } else {
        out.resize(length, 0);
        for (value, chunk) in values.iter().zip(out.chunks_exact_mut(T::SIZE)) {
            value.write_le(chunk);
        }
    }
    Ok(out)
}

/// Plain-old-data element types that travel as raw little-endian frames.
pub trait Element: Copy + Default + 'static {
    const SIZE: usize;
    fn write_le(self, out: &mut [u8]);
    fn read_le(bytes: &[u8]) -> Self;
}

macro_rules! element {
    ($($t:ty),*) => {$(
        impl Element for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn write_le(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
            fn read_le(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("exact element size"))
            }
        }
    )*};
}
element!(f32, i64, u64, i32, u8);

/// The bytes of a slice, little-endian. On little-endian hosts this is one memcpy.
pub fn to_frame<T: Element>(values: &[T]) -> Vec<u8> {
    let mut out = vec![0u8; values.len() * T::SIZE];
    if cfg!(target_endian = "little") {
        // SAFETY: T is a plain numeric type; its in-memory bytes are its little-endian bytes.
        let bytes = unsafe {
            std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), values.len() * T::SIZE)
        };
        out.copy_from_slice(bytes);
    } else {
        for (value, chunk) in values.iter().zip(out.chunks_exact_mut(T::SIZE)) {
            value.write_le(chunk);
        }
    }
    out
}

/// Decodes a frame that must hold exactly `count` elements of `T`.
pub fn from_frame<T: Element>(frame: &[u8], count: usize, what: &str) -> Result<Vec<T>, WireError> {
    let expected = count.checked_mul(T::SIZE).ok_or_else(|| {
        WireError::new(
            ErrorKind::InvalidArgument,
            format!("{what}: size overflows"),
        )
    })?;
    if frame.len() != expected {
        return Err(WireError::new(
            ErrorKind::InvalidArgument,
            format!(
                "{what}: frame has {} bytes, the header implies {expected}",
                frame.len()
            ),
        ));
    }
    let mut out = vec![T::default(); count];
    if cfg!(target_endian = "little") {
        // SAFETY: `out` has exactly `expected` bytes of plain numeric storage.
        unsafe {
            std::ptr::copy_nonoverlapping(frame.as_ptr(), out.as_mut_ptr().cast::<u8>(), expected)
        };
    } else {
        for (value, chunk) in out.iter_mut().zip(frame.chunks_exact(T::SIZE)) {
            *value = T::read_le(chunk);
        }
    }
    Ok(out)
}

#[cfg(test)]
impl Request {
    /// A request of `op` with id 1 and nothing else set: where the tests start from.
    pub(crate) fn bare(op: Op) -> Request {
        Request {
            version: PROTOCOL_VERSION,
            id: 1,
            api_key: None,
            tenant: None,
            keepalive_ms: None,
            session: None,
            op,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_with_named_fields() {
        let request = Request {
            version: PROTOCOL_VERSION,
            id: 7,
            api_key: Some("k".into()),
            tenant: None,
            keepalive_ms: None,
            session: None,
            op: Op::Search {
                index: "a".into(),
                n: 2,
                k: 5,
                params: Some(SearchParams {
                    nprobe: Some(4),
                    selector: Some(Selector::Not(Box::new(Selector::Range { min: 1, max: 9 }))),
                    ..Default::default()
                }),
            },
        };
        let bytes = encode(&request);
        // Named fields: another implementation can read the header as a map.
        assert!(bytes.windows(7).any(|w| w == b"version"));
        assert_eq!(decode::<Request>(&bytes).unwrap(), request);
    }

    #[test]
    fn sessions_are_optional_on_the_wire() {
        let mut request = Request::bare(Op::Heartbeat);
        // Without one, the header is what clients before sessions sent.
        assert!(!encode(&request).windows(7).any(|w| w == b"session"));
        request.session = Some(SessionHello {
            id: "00ff".into(),
            heartbeat_ms: 100,
        });
        assert_eq!(decode::<Request>(&encode(&request)).unwrap(), request);
    }

    #[test]
    fn frames_round_trip_and_reject_wrong_sizes() {
        let values = [1.5f32, -2.0, 3.25];
        let frame = to_frame(&values);
        assert_eq!(frame.len(), 12);
        assert_eq!(from_frame::<f32>(&frame, 3, "x").unwrap(), values);
        let error = from_frame::<f32>(&frame, 4, "vectors").unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidArgument);
        assert!(error.message.contains("vectors"));
    }

    #[test]
    fn nesting_is_measured_without_decoding() {
        let mut selector = Selector::Range { min: 0, max: 1 };
        for _ in 0..3 {
            selector = Selector::Not(Box::new(selector));
        }
        let request = Request::bare(Op::RemoveIds {
            index: "x".into(),
            selector,
        });
        // Request, op, RemoveIds, three Nots, Range and its fields.
        assert_eq!(msgpack_depth(&encode(&request), 64), 8);
        assert_eq!(msgpack_depth(&encode(&Op::Ping), 64), 0);
        assert_eq!(msgpack_depth(&encode(&vec![vec![1u8], vec![]]), 64), 2);
        // 10^6 nested one-element arrays: refused at the limit, with no recursion at all.
        let deep = [vec![0x91u8; 1_000_000], vec![0xc0]].concat();
        assert_eq!(msgpack_depth(&deep, 64), 65);
        let error = decode::<Request>(&deep).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Protocol);
        assert!(
            error.message.contains("nested more than 64"),
            "{}",
            error.message
        );
        // Truncated input is left to the decoder.
        assert_eq!(msgpack_depth(&[0x92, 0x91], 64), 2);
        assert!(decode::<Request>(&[0x92, 0x91]).is_err());
    }

    #[test]
    fn try_to_frame_matches_to_frame() {
        assert_eq!(
            try_to_frame(&[1.5f32, -2.0]).unwrap(),
            to_frame(&[1.5f32, -2.0])
        );
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        let error = decode::<Request>(b"\xff\x00garbage").unwrap_err();
        assert_eq!(error.kind, ErrorKind::Protocol);
    }
}
