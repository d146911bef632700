//! The C ABI's types, with FAISS's names, values and layouts.
//!
//! Every handle is an opaque struct, and every subclass name is an alias of its root's struct
//! (`FaissIndexFlat` is `FaissIndex_H`), as in FAISS's headers: C programs pass an IVF handle
//! where an `Index` is expected without a cast, and cgo accepts the calls.
#![allow(non_camel_case_types, non_upper_case_globals)]

use std::marker::{PhantomData, PhantomPinned};
use std::os::raw::{c_int, c_uint};

/// All vector ids and counts of vectors.
pub type faiss_idx_t = i64;
/// Same as `faiss_idx_t`.
pub type idx_t = faiss_idx_t;
/// All vector components.
pub type faiss_component_t = f32;
/// All distances between vectors.
pub type faiss_distance_t = f32;

/// A distance between vectors (FAISS's `MetricType`), passed by value as C's enum is.
pub type FaissMetricType = c_uint;
/// Maximum inner product search.
pub const METRIC_INNER_PRODUCT: FaissMetricType = 0;
/// Squared L2 distance.
pub const METRIC_L2: FaissMetricType = 1;
/// L1 (cityblock) distance.
pub const METRIC_L1: FaissMetricType = 2;
/// Infinity-norm distance.
pub const METRIC_Linf: FaissMetricType = 3;
/// L_p distance (p is the index's metric_arg).
pub const METRIC_Lp: FaissMetricType = 4;
/// Canberra distance (as in scipy.spatial.distance).
pub const METRIC_Canberra: FaissMetricType = 20;
/// Bray-Curtis distance.
pub const METRIC_BrayCurtis: FaissMetricType = 21;
/// Jensen-Shannon distance.
pub const METRIC_JensenShannon: FaissMetricType = 22;

/// How a scalar quantizer encodes each component (FAISS's `ScalarQuantizer::QuantizerType`).
pub type FaissQuantizerType = c_uint;
/// 8 bits per component.
pub const QT_8bit: FaissQuantizerType = 0;
/// 4 bits per component.
pub const QT_4bit: FaissQuantizerType = 1;
/// 8 bits, one range shared by all dimensions.
pub const QT_8bit_uniform: FaissQuantizerType = 2;
/// 4 bits, one range shared by all dimensions.
pub const QT_4bit_uniform: FaissQuantizerType = 3;
/// IEEE half precision.
pub const QT_fp16: FaissQuantizerType = 4;
/// Components that already are integers in [0, 255].
pub const QT_8bit_direct: FaissQuantizerType = 5;
/// 6 bits per component.
pub const QT_6bit: FaissQuantizerType = 6;
/// bfloat16.
pub const QT_bf16: FaissQuantizerType = 7;
/// Components that already are integers in [-128, 127].
pub const QT_8bit_direct_signed: FaissQuantizerType = 8;

/// FAISS's error codes, returned by every fallible function (0 is success).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaissErrorCode {
    /// No error.
    OK = 0,
    /// Any failure that is neither a FAISS nor a C++ standard library exception.
    UNKNOWN_EXCEPT = -1,
    /// FAISS rejected the call (`faiss::FaissException`).
    FAISS_EXCEPT = -2,
    /// A C++ standard library exception (bad_alloc, ...).
    STD_EXCEPT = -4,
}

/// Success.
pub const FAISSX_OK: c_int = 0;
/// A failure that fits no other code.
pub const FAISSX_ERR_UNKNOWN: c_int = -1;
/// FAISS rejected the call; the message is FAISS's own.
pub const FAISSX_ERR_FAISS: c_int = -2;
/// A C++ standard library exception inside FAISS.
pub const FAISSX_ERR_STD: c_int = -4;
/// faissx rejected an argument before calling FAISS: a NULL pointer, a negative count, k <= 0,
/// an unknown metric or quantizer type, a wrong dimension.
pub const FAISSX_ERR_INVALID_ARGUMENT: c_int = -5;
/// The handle does not support the operation (a cast to the wrong type, for instance).
pub const FAISSX_ERR_UNSUPPORTED: c_int = -6;
/// Reading or writing a file on the client's side failed (remote mode's read/write_index).
/// FAISS's own file errors (missing, corrupt) are FAISSX_ERR_FAISS, with FAISS's message.
pub const FAISSX_ERR_IO: c_int = -7;

/// Remote mode: the server could not be reached or did not answer in time (see the
/// `timeout_ms` option); the message names the server and the operation.
pub const FAISSX_ERR_TRANSPORT: c_int = -10;
/// Remote mode: the server rejected the API key or the tenant.
pub const FAISSX_ERR_AUTH: c_int = -11;
/// Remote mode: the index does not exist on the server (deleted, or another tenant's).
pub const FAISSX_ERR_NOT_FOUND: c_int = -12;
/// Remote mode: client and server do not understand each other (protocol version, garbage).
pub const FAISSX_ERR_PROTOCOL: c_int = -13;
/// Remote mode: the server failed (its data directory, for instance).
pub const FAISSX_ERR_SERVER: c_int = -14;

/// The largest k a search accepts (larger ones return FAISSX_ERR_INVALID_ARGUMENT).
pub const FAISSX_MAX_K: idx_t = 1 << 24;

/// The longest factory string `faissx_index_factory` and `faissx_index_binary_factory` accept:
/// FAISS's parser recurses on its input and overflows a thread's stack on long strings.
pub const FAISSX_MAX_FACTORY_LENGTH: usize = 1024;
/// The largest HNSW `M` faissx accepts (the smallest is 2: FAISS's graph needs M >= 2).
pub const FAISSX_MAX_HNSW_M: c_int = 4096;
/// The most inverted lists an IVF index may have (FAISS allocates them all at construction).
pub const FAISSX_MAX_NLIST: usize = 1 << 24;
/// The largest magnitude of a vector component (added, searched, trained on) that faissx
/// accepts; NaN and infinities are refused too. FAISS's kernels compute norms and products
/// in float32: beyond this they overflow to infinities whose differences are NaN, and with NaN
/// distances its nearest-neighbour kernels return ids outside the index (that composites then
/// look up) and its graph search (HNSW) loops forever. With |x| <= 1e15, products stay below
/// 1e30 and sums over 65536 dimensions below float32's maximum.
pub const FAISSX_MAX_COMPONENT: f32 = 1e15;

/// The largest HNSW `efSearch` and `efConstruction` faissx accepts: FAISS allocates that many
/// candidates per search thread, inside OpenMP, where a failed allocation aborts the process.
pub const FAISSX_MAX_EF: c_int = 1 << 20;

/// Flag for `faissx_read_index*`: map the file instead of reading it.
pub const FAISS_IO_FLAG_MMAP: c_int = 1;
/// Flag for `faissx_read_index*`: the index will not be modified.
pub const FAISS_IO_FLAG_READ_ONLY: c_int = 2;

/// Parameters of a k-means run, as FAISS's `ClusteringParameters` (ints for its bools).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FaissClusteringParameters {
    /// Clustering iterations.
    pub niter: c_int,
    /// Redo the clustering this many times and keep the best.
    pub nredo: c_int,
    /// Print progress (bool).
    pub verbose: c_int,
    /// Normalize the centroids (bool).
    pub spherical: c_int,
    /// Round the centroids' coordinates to integers (bool).
    pub int_centroids: c_int,
    /// Update the index after each iteration (bool).
    pub update_index: c_int,
    /// Keep the centroids given as input fixed (bool).
    pub frozen_centroids: c_int,
    /// Below this many points per centroid, FAISS warns.
    pub min_points_per_centroid: c_int,
    /// The training set is sampled down to this many points per centroid.
    pub max_points_per_centroid: c_int,
    /// Seed of the random number generator.
    pub seed: c_int,
    /// How many vectors are decoded at a time.
    pub decode_block_size: usize,
}

/// Counters of IVF searches (FAISS's global `indexIVF_stats`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FaissIndexIVFStats {
    /// Queries run.
    pub nq: usize,
    /// Inverted lists scanned.
    pub nlist: usize,
    /// Distances computed.
    pub ndis: usize,
    /// Heap updates.
    pub nheap_updates: usize,
    /// Time spent quantizing vectors, in ms.
    pub quantization_time: f64,
    /// Time spent scanning lists, in ms.
    pub search_time: f64,
}

/// One buffer of a `FaissBufferList`: ids and distances side by side.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct FaissBuffer {
    /// Ids, `buffer_size` of them.
    pub ids: *mut idx_t,
    /// Distances, `buffer_size` of them.
    pub dis: *mut f32,
}

/// Opaque handle to a FAISS `Index`.
pub struct FaissIndex_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `Index`.
pub type FaissIndex = FaissIndex_H;

/// A `IndexFlat`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexFlat = FaissIndex_H;

/// A `IndexFlat1D`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexFlat1D = FaissIndex_H;

/// A `IndexFlatIP`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexFlatIP = FaissIndex_H;

/// A `IndexFlatL2`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexFlatL2 = FaissIndex_H;

/// A `IndexIDMap`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexIDMap = FaissIndex_H;

/// A `IndexIDMap2`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexIDMap2 = FaissIndex_H;

/// A `IndexIVF`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexIVF = FaissIndex_H;

/// A `IndexIVFFlat`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexIVFFlat = FaissIndex_H;

/// A `IndexIVFScalarQuantizer`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexIVFScalarQuantizer = FaissIndex_H;

/// A `IndexLSH`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexLSH = FaissIndex_H;

/// A `IndexPreTransform`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexPreTransform = FaissIndex_H;

/// A `IndexRefineFlat`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexRefineFlat = FaissIndex_H;

/// A `IndexReplicas`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexReplicas = FaissIndex_H;

/// A `IndexScalarQuantizer`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexScalarQuantizer = FaissIndex_H;

/// A `IndexShards`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexShards = FaissIndex_H;

/// A `IndexHNSW`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexHNSW = FaissIndex_H;

/// A `IndexHNSWFlat`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexHNSWFlat = FaissIndex_H;

/// A `IndexPQ`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexPQ = FaissIndex_H;

/// A `IndexIVFPQ`: the same C type as `FaissIndex`, so it converts implicitly.
pub type FaissIndexIVFPQ = FaissIndex_H;

/// Opaque handle to a FAISS `IndexBinary`.
pub struct FaissIndexBinary_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `IndexBinary`.
pub type FaissIndexBinary = FaissIndexBinary_H;

/// A `IndexBinaryIVF`: the same C type as `FaissIndexBinary`, so it converts implicitly.
pub type FaissIndexBinaryIVF = FaissIndexBinary_H;

/// A `IndexBinaryFlat`: the same C type as `FaissIndexBinary`, so it converts implicitly.
pub type FaissIndexBinaryFlat = FaissIndexBinary_H;

/// Opaque handle to a FAISS `RangeSearchResult`.
pub struct FaissRangeSearchResult_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `RangeSearchResult`.
pub type FaissRangeSearchResult = FaissRangeSearchResult_H;

/// Opaque handle to a FAISS `IDSelector`.
pub struct FaissIDSelector_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `IDSelector`.
pub type FaissIDSelector = FaissIDSelector_H;

/// Opaque handle to a FAISS `IDSelectorRange`.
pub struct FaissIDSelectorRange_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `IDSelectorRange`.
pub type FaissIDSelectorRange = FaissIDSelectorRange_H;

/// Opaque handle to a FAISS `IDSelectorBatch`.
pub struct FaissIDSelectorBatch_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `IDSelectorBatch`.
pub type FaissIDSelectorBatch = FaissIDSelectorBatch_H;

/// Opaque handle to a FAISS `IDSelectorBitmap`.
pub struct FaissIDSelectorBitmap_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `IDSelectorBitmap`.
pub type FaissIDSelectorBitmap = FaissIDSelectorBitmap_H;

/// Opaque handle to a FAISS `IDSelectorNot`.
pub struct FaissIDSelectorNot_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `IDSelectorNot`.
pub type FaissIDSelectorNot = FaissIDSelectorNot_H;

/// Opaque handle to a FAISS `IDSelectorAnd`.
pub struct FaissIDSelectorAnd_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `IDSelectorAnd`.
pub type FaissIDSelectorAnd = FaissIDSelectorAnd_H;

/// Opaque handle to a FAISS `IDSelectorOr`.
pub struct FaissIDSelectorOr_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `IDSelectorOr`.
pub type FaissIDSelectorOr = FaissIDSelectorOr_H;

/// Opaque handle to a FAISS `IDSelectorXOr`.
pub struct FaissIDSelectorXOr_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `IDSelectorXOr`.
pub type FaissIDSelectorXOr = FaissIDSelectorXOr_H;

/// Opaque handle to a FAISS `SearchParameters`.
pub struct FaissSearchParameters_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `SearchParameters`.
pub type FaissSearchParameters = FaissSearchParameters_H;

/// A `SearchParametersIVF`: the same C type as `FaissSearchParameters`, so it converts implicitly.
pub type FaissSearchParametersIVF = FaissSearchParameters_H;

/// A `SearchParametersHNSW`: the same C type as `FaissSearchParameters`, so it converts implicitly.
pub type FaissSearchParametersHNSW = FaissSearchParameters_H;

/// Opaque handle to a FAISS `ParameterRange`.
pub struct FaissParameterRange_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `ParameterRange`.
pub type FaissParameterRange = FaissParameterRange_H;

/// Opaque handle to a FAISS `ParameterSpace`.
pub struct FaissParameterSpace_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `ParameterSpace`.
pub type FaissParameterSpace = FaissParameterSpace_H;

/// Opaque handle to a FAISS `Clustering`.
pub struct FaissClustering_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `Clustering`.
pub type FaissClustering = FaissClustering_H;

/// Opaque handle to a FAISS `ClusteringIterationStats`.
pub struct FaissClusteringIterationStats_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `ClusteringIterationStats`.
pub type FaissClusteringIterationStats = FaissClusteringIterationStats_H;

/// Opaque handle to a FAISS `VectorTransform`.
pub struct FaissVectorTransform_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `VectorTransform`.
pub type FaissVectorTransform = FaissVectorTransform_H;

/// A `LinearTransform`: the same C type as `FaissVectorTransform`, so it converts implicitly.
pub type FaissLinearTransform = FaissVectorTransform_H;

/// A `RandomRotationMatrix`: the same C type as `FaissVectorTransform`, so it converts implicitly.
pub type FaissRandomRotationMatrix = FaissVectorTransform_H;

/// A `PCAMatrix`: the same C type as `FaissVectorTransform`, so it converts implicitly.
pub type FaissPCAMatrix = FaissVectorTransform_H;

/// A `ITQMatrix`: the same C type as `FaissVectorTransform`, so it converts implicitly.
pub type FaissITQMatrix = FaissVectorTransform_H;

/// A `ITQTransform`: the same C type as `FaissVectorTransform`, so it converts implicitly.
pub type FaissITQTransform = FaissVectorTransform_H;

/// A `OPQMatrix`: the same C type as `FaissVectorTransform`, so it converts implicitly.
pub type FaissOPQMatrix = FaissVectorTransform_H;

/// A `RemapDimensionsTransform`: the same C type as `FaissVectorTransform`, so it converts implicitly.
pub type FaissRemapDimensionsTransform = FaissVectorTransform_H;

/// A `NormalizationTransform`: the same C type as `FaissVectorTransform`, so it converts implicitly.
pub type FaissNormalizationTransform = FaissVectorTransform_H;

/// A `CenteringTransform`: the same C type as `FaissVectorTransform`, so it converts implicitly.
pub type FaissCenteringTransform = FaissVectorTransform_H;

/// Opaque handle to a FAISS `IOReader`.
pub struct FaissIOReader_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `IOReader`.
pub type FaissIOReader = FaissIOReader_H;

/// Opaque handle to a FAISS `IOWriter`.
pub struct FaissIOWriter_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `IOWriter`.
pub type FaissIOWriter = FaissIOWriter_H;

/// Opaque handle to a FAISS `CustomIOReader`.
pub struct FaissCustomIOReader_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `CustomIOReader`.
pub type FaissCustomIOReader = FaissCustomIOReader_H;

/// Opaque handle to a FAISS `CustomIOWriter`.
pub struct FaissCustomIOWriter_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `CustomIOWriter`.
pub type FaissCustomIOWriter = FaissCustomIOWriter_H;

/// Opaque handle to a FAISS `BufferList`.
pub struct FaissBufferList_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `BufferList`.
pub type FaissBufferList = FaissBufferList_H;

/// Opaque handle to a FAISS `RangeQueryResult`.
pub struct FaissRangeQueryResult_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `RangeQueryResult`.
pub type FaissRangeQueryResult = FaissRangeQueryResult_H;

/// Opaque handle to a FAISS `RangeSearchPartialResult`.
pub struct FaissRangeSearchPartialResult_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `RangeSearchPartialResult`.
pub type FaissRangeSearchPartialResult = FaissRangeSearchPartialResult_H;

/// Opaque handle to a FAISS `DistanceComputer`.
pub struct FaissDistanceComputer_H {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}
/// Opaque handle to a FAISS `DistanceComputer`.
pub type FaissDistanceComputer = FaissDistanceComputer_H;
