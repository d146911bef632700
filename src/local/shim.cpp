// The C++ entry points that FAISS's C API lacks: constructors and fields of HNSW, PQ, IVFPQ and
// binary indexes, HNSW search parameters, merge_from, serialization to memory, and the few
// functions FAISS declares in its C headers without defining them.
//
// Every function returns 0, or a FAISS-style negative code with the exception's text kept for
// faissx_shim_last_error() (per thread), so Rust maps both FAISS's and the shim's failures the
// same way.

#include <faiss/AutoTune.h>
#include <faiss/IVFlib.h>
#include <faiss/Index.h>
#include <faiss/IndexAdditiveQuantizer.h>
#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHNSW.h>
#include <faiss/IndexBinaryHash.h>
#include <faiss/IndexBinaryIVF.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFAdditiveQuantizer.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexIVFAdditiveQuantizerFastScan.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexLSH.h>
#include <faiss/IndexNSG.h>
#include <faiss/IndexPQ.h>
#include <faiss/IndexPreTransform.h>
#include <faiss/IndexRefine.h>
#include <faiss/IndexReplicas.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/IndexShards.h>
#include <faiss/VectorTransform.h>
#include <faiss/impl/FaissAssert.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/invlists/OnDiskInvertedLists.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/utils/distances.h>
#include <faiss/impl/ResultHandler.h>

#include "distance_tiles.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <limits>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <omp.h>
#include <vector>
#include <memory>

namespace {

thread_local std::string last_error;

// A check of faissx's own refused the caller's input before FAISS saw it: reported as
// FAISSX_ERR_INVALID_ARGUMENT (-5), not as a FAISS failure. Its own type, because FAISS and the
// standard library throw std::invalid_argument for failures of their own.
struct Refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void refuse(const char* format, Args... args) {
    char message[512];
    std::snprintf(message, sizeof(message), format, args...);
    throw Refused(message);
}

template <typename F>
int guarded(F&& body) {
    try {
        body();
        return 0;
    } catch (const Refused& e) {
        last_error = e.what();
        return -5;
    } catch (const faiss::FaissException& e) {
        last_error = e.what();
        return -2;
    } catch (const std::exception& e) {
        last_error = e.what();
        return -4;
    } catch (...) {
        last_error = "unknown C++ exception";
        return -1;
    }
}

// ---- remote faces: a remote handle seen by FAISS's composites as a faiss::Index ----
//
// FAISS's composites (IndexShards, IndexReplicas, Clustering, ...) call their sub-indexes'
// virtual methods. A RemoteFace answers those by calling back into Rust (src/remote/face.rs),
// which forwards to the server through the remote handle. The face holds a reference on the
// handle (taken in its constructor, dropped in its destructor), so the caller may free the
// handle while a composite still uses the face.

} // namespace

extern "C" {
// What the face mirrors of the remote index: FAISS's composites read these fields directly.
struct faissx_FaceInfo {
    int64_t d;
    int64_t ntotal;
    int32_t is_trained;
    int32_t metric;
};

// Implemented in src/remote/face.rs. Each returns 0 or a negative faissx error code; on
// failure, last_error() gives the message (thread-local to the calling thread).
struct faissx_FaceOps {
    void (*retain)(void* remote);
    void (*release)(void* remote, int32_t with_handle);
    int (*info)(void* remote, int32_t fresh, faissx_FaceInfo* out);
    int (*train)(void* remote, int64_t n, const float* x);
    int (*add)(void* remote, int64_t n, const float* x, const int64_t* ids);
    int (*search)(void* remote, int64_t n, const float* x, int64_t k, const void* params,
                  float* distances, int64_t* labels);
    int (*range_search)(void* remote, int64_t n, const float* x, float radius, void* result,
                        const void* params);
    int (*assign)(void* remote, int64_t n, const float* x, int64_t* labels, int64_t k);
    int (*reset)(void* remote);
    int (*remove_ids)(void* remote, const void* sel, size_t* removed);
    int (*remove_batch)(void* remote, int64_t n, const int64_t* ids, size_t* removed);
    int (*reconstruct)(void* remote, int64_t i0, int64_t ni, float* recons);
    const char* (*last_error)();
};
} // extern "C"

namespace {

// A failure of the remote side, as a FAISS exception (FAISS's composites and its C API catch
// those, also from their worker threads). The faissx code rides in the message, as
// "[faissx error N]", because FAISS rewraps the message (ThreadedIndex names the sub-index) and
// its C API reports every FaissException as -2: Rust reads the code back from the text
// (src/remote/face.rs, carried_code).
[[noreturn]] void throw_carried(int code, const char* message) {
    throw faiss::FaissException(
            "[faissx error " + std::to_string(code) + "] " + (message ? message : ""));
}

// faissx's FAISSX_ERR_UNSUPPORTED.
constexpr int kUnsupported = -6;

struct RemoteFace : faiss::Index {
    void* remote;
    const faissx_FaceOps* ops;
    // Set when the composite that holds the face owns its sub-indexes (own_fields = 1) and
    // destroys it: that frees the caller's handle too, as FAISS frees an owned sub-index.
    bool releases_handle = false;
    // Set when the face is an IndexIDMap's sub-index: its ids are positions in the IDMap's
    // id_map, so the selector the IDMap translates for it can be evaluated here, once per
    // position, and sent as the positions it selects.
    bool ids_are_positions = false;

    RemoteFace(void* remote, const faissx_FaceOps* ops) : faiss::Index(0), remote(remote), ops(ops) {
        ops->retain(remote);
    }

    ~RemoteFace() override {
        ops->release(remote, releases_handle ? 1 : 0);
    }

    void check(int code) const {
        if (code != 0) {
            throw_carried(code, ops->last_error());
        }
    }

    // Takes d, ntotal and is_trained from the handle: `fresh` asks the server, otherwise what
    // the handle last learned (every write through it updates that).
    void sync(bool fresh) {
        faissx_FaceInfo info{};
        check(ops->info(remote, fresh ? 1 : 0, &info));
        // Written only when changed: composites read these from their worker threads while
        // another search of the same composite may be syncing them.
        if (d != int(info.d)) {
            d = int(info.d);
        }
        if (ntotal != info.ntotal) {
            ntotal = info.ntotal;
        }
        if (is_trained != (info.is_trained != 0)) {
            is_trained = info.is_trained != 0;
        }
        if (metric_type != static_cast<faiss::MetricType>(info.metric)) {
            metric_type = static_cast<faiss::MetricType>(info.metric);
        }
    }

    void train(faiss::idx_t n, const float* x) override {
        int code = ops->train(remote, n, x);
        sync(false);
        check(code);
    }
    void add(faiss::idx_t n, const float* x) override {
        int code = ops->add(remote, n, x, nullptr);
        sync(false);
        check(code);
    }
    void add_with_ids(faiss::idx_t n, const float* x, const faiss::idx_t* xids) override {
        int code = ops->add(remote, n, x, xids);
        sync(false);
        check(code);
    }
    void search(
            faiss::idx_t n,
            const float* x,
            faiss::idx_t k,
            float* distances,
            faiss::idx_t* labels,
            const faiss::SearchParameters* params) const override {
        check(ops->search(remote, n, x, k, params, distances, labels));
    }
    void range_search(
            faiss::idx_t n,
            const float* x,
            float radius,
            faiss::RangeSearchResult* result,
            const faiss::SearchParameters* params) const override {
        check(ops->range_search(remote, n, x, radius, result, params));
    }
    void assign(faiss::idx_t n, const float* x, faiss::idx_t* labels, faiss::idx_t k)
            const override {
        check(ops->assign(remote, n, x, labels, k));
    }
    void reset() override {
        int code = ops->reset(remote);
        sync(false);
        check(code);
    }
    size_t remove_ids(const faiss::IDSelector& sel) override {
        size_t removed = 0;
        auto* translated = dynamic_cast<const faiss::IDSelectorTranslated*>(&sel);
        int code;
        if (translated && ids_are_positions) {
            std::vector<int64_t> positions;
            for (size_t i = 0; i < translated->id_map.size(); i++) {
                if (translated->is_member(int64_t(i))) {
                    positions.push_back(int64_t(i));
                }
            }
            code = ops->remove_batch(remote, int64_t(positions.size()), positions.data(), &removed);
        } else {
            code = ops->remove_ids(remote, &sel, &removed);
        }
        sync(false);
        check(code);
        return removed;
    }
    void reconstruct(faiss::idx_t key, float* recons) const override {
        check(ops->reconstruct(remote, key, 1, recons));
    }
    void reconstruct_n(faiss::idx_t i0, faiss::idx_t ni, float* recons) const override {
        check(ops->reconstruct(remote, i0, ni, recons));
    }
    // FAISS's defaults run these in OpenMP regions, where an exception (a failed request)
    // ends the process: one key at a time on the calling thread instead.
    void reconstruct_batch(faiss::idx_t n, const faiss::idx_t* keys, float* recons)
            const override {
        for (faiss::idx_t i = 0; i < n; i++) {
            reconstruct(keys[i], recons + i * d);
        }
    }
    void compute_residual_n(
            faiss::idx_t n,
            const float* xs,
            float* residuals,
            const faiss::idx_t* keys) const override {
        for (faiss::idx_t i = 0; i < n; i++) {
            compute_residual(xs + i * d, residuals + i * d, keys[i]);
        }
    }
    // Per-vector callbacks: FAISS would call them once per vector (and from OpenMP regions),
    // each a round trip to the server.
    faiss::DistanceComputer* get_distance_computer() const override {
        throw_carried(kUnsupported,
                      "a remote index cannot compute distances vector by vector in this process "
                      "(FAISS asked for its DistanceComputer, e.g. as the storage of a graph "
                      "index or the refinement index of an IndexRefine)");
    }
    void merge_from(faiss::Index&, faiss::idx_t) override {
        throw_carried(kUnsupported,
                      "a remote index inside a composite cannot merge; merge the remote "
                      "handles themselves (faissx_Index_merge_from)");
    }
    void check_compatible_for_merge(const faiss::Index&) const override {
        throw_carried(kUnsupported, "a remote index inside a composite cannot merge");
    }
};

const RemoteFace* as_face(const faiss::Index* index) {
    return dynamic_cast<const RemoteFace*>(index);
}

// Composites that keep track of the faces they hold, and free them. A face is faissx's, not
// the caller's: with own_fields = 0 FAISS would leave it behind, so the composite deletes it
// (which drops its reference on the remote handle); with own_fields = 1 FAISS deletes it and
// the face frees the caller's handle as well. The faces are listed apart because the other
// members, borrowed, may be gone already (FAISS never touches a borrowed member when it is
// destroyed, and neither may this).
struct FaceHolder {
    std::vector<RemoteFace*> faces;

    virtual ~FaceHolder() = default;

    // Only shard and replica sets take members after they are made.
    virtual void add_face(RemoteFace*) {
        refuse("this composite holds the one index it was built over; it takes no other");
    }
    virtual void remove_face(RemoteFace*) {
        refuse("this composite cannot remove the index it was built over");
    }

    // The face that `member` is, or that is the face of the remote handle `member`.
    RemoteFace* find(const void* member) const {
        for (auto* face : faces) {
            if (static_cast<const void*>(static_cast<faiss::Index*>(face)) == member ||
                face->remote == member) {
                return face;
            }
        }
        return nullptr;
    }

  protected:
    // From the composite's destructor, which runs before FAISS's: FAISS then deletes the
    // faces it owns (`owned`), and those free the caller's handle with them.
    void let_go(bool owned) {
        for (auto* face : faces) {
            if (owned) {
                face->releases_handle = true;
            } else {
                delete face;
            }
        }
    }
};

template <class Base>
struct HoldsFaces : Base, FaceHolder {
    using Base::Base;

    ~HoldsFaces() override {
        let_go(this->own_indices);
    }

    void add_face(RemoteFace* face) override {
        this->addIndex(face);
        faces.push_back(face);
    }

    void remove_face(RemoteFace* face) override {
        bool owned = this->own_indices;
        face->releases_handle = owned;
        this->removeIndex(face);
        faces.erase(std::find(faces.begin(), faces.end(), face));
        if (!owned) {
            delete face;
        }
    }
};

// One of FAISS's composites over a single sub-index (IDMap, PreTransform, RefineFlat, IVF's
// quantizer), built in this process over a remote index's face; `args` are Base's
// constructor's, the face among them.
template <class Base>
struct OverFace : Base, FaceHolder {
    template <class... Args>
    explicit OverFace(RemoteFace* face, Args... args) : Base(args...) {
        faces.push_back(face);
    }

    ~OverFace() override {
        let_go(this->own_fields);
    }
};

FaceHolder* face_holder(void* composite) {
    auto* holder = dynamic_cast<FaceHolder*>(static_cast<faiss::Index*>(composite));
    if (!holder) {
        refuse("this IndexShards or IndexReplicas was not made by faissx; it cannot hold a "
               "remote index");
    }
    return holder;
}

// Whether serializing `index` would reach a face: FAISS's writer knows only its own classes.
const RemoteFace* face_inside(const faiss::Index* index, int depth) {
    if (!index || depth > 64) {
        return nullptr;
    }
    if (auto* face = as_face(index)) {
        return face;
    }
    const faiss::Index* subs[2] = {nullptr, nullptr};
    if (auto* idmap = dynamic_cast<const faiss::IndexIDMap*>(index)) {
        subs[0] = idmap->index;
    } else if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
        subs[0] = pt->index;
    } else if (auto* refine = dynamic_cast<const faiss::IndexRefine*>(index)) {
        subs[0] = refine->base_index;
        subs[1] = refine->refine_index;
    } else if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index)) {
        subs[0] = ivf->quantizer;
    } else if (auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index)) {
        subs[0] = hnsw->storage;
    } else if (auto* shards = dynamic_cast<const faiss::IndexShards*>(index)) {
        for (int i = 0; i < shards->count(); i++) {
            if (auto* face = face_inside(shards->at(i), depth + 1)) {
                return face;
            }
        }
    } else if (auto* replicas = dynamic_cast<const faiss::IndexReplicas*>(index)) {
        for (int i = 0; i < replicas->count(); i++) {
            if (auto* face = face_inside(replicas->at(i), depth + 1)) {
                return face;
            }
        }
    }
    for (auto* sub : subs) {
        if (auto* face = face_inside(sub, depth + 1)) {
            return face;
        }
    }
    return nullptr;
}

// Refuses composites whose borrowed sub-indexes were written to on their own (defined below).
void check_sub_indexes(const faiss::Index* index, int depth);

// Whether a range search of `index` hands its parameters to an IndexIDMap.
bool range_reaches_id_map(const faiss::Index* index, int depth) {
    if (!index || depth > 64) {
        return false;
    }
    if (dynamic_cast<const faiss::IndexIDMap*>(index)) {
        return true;
    }
    if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
        return range_reaches_id_map(pt->index, depth + 1);
    }
    if (auto* shards = dynamic_cast<const faiss::IndexShards*>(index)) {
        for (int i = 0; i < shards->count(); i++) {
            if (range_reaches_id_map(shards->at(i), depth + 1)) {
                return true;
            }
        }
    }
    return false;
}

faiss::HNSW* hnsw_of(void* index) {
    auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(static_cast<faiss::Index*>(index));
    return hnsw ? &hnsw->hnsw : nullptr;
}

// Copies a serialized index into one malloc'd block, so C callers free it with free().
void export_bytes(const faiss::VectorIOWriter& writer, size_t* p_size, uint8_t** p_buf) {
    auto* buf = static_cast<uint8_t*>(std::malloc(writer.data.size() ? writer.data.size() : 1));
    if (!buf) {
        throw std::bad_alloc();
    }
    std::memcpy(buf, writer.data.data(), writer.data.size());
    *p_size = writer.data.size();
    *p_buf = buf;
}

} // namespace

extern "C" {

const char* faissx_shim_last_error() {
    return last_error.c_str();
}

// ---- casts (dynamic_cast keeps FAISS's class graph: IVFPQ is IVF, HNSWFlat is HNSW) ----

void* faissx_shim_cast_IndexHNSW(void* index) {
    return dynamic_cast<faiss::IndexHNSW*>(static_cast<faiss::Index*>(index));
}
void* faissx_shim_cast_IndexHNSWFlat(void* index) {
    return dynamic_cast<faiss::IndexHNSWFlat*>(static_cast<faiss::Index*>(index));
}
void* faissx_shim_cast_IndexPQ(void* index) {
    return dynamic_cast<faiss::IndexPQ*>(static_cast<faiss::Index*>(index));
}
void* faissx_shim_cast_IndexIVFPQ(void* index) {
    return dynamic_cast<faiss::IndexIVFPQ*>(static_cast<faiss::Index*>(index));
}
void* faissx_shim_cast_IndexBinaryFlat(void* index) {
    return dynamic_cast<faiss::IndexBinaryFlat*>(static_cast<faiss::IndexBinary*>(index));
}
void* faissx_shim_cast_SearchParametersHNSW(void* params) {
    return dynamic_cast<faiss::SearchParametersHNSW*>(static_cast<faiss::SearchParameters*>(params));
}

// ---- HNSW ----

int faissx_shim_IndexHNSWFlat_new(void** out, int d, int M, int metric) {
    return guarded([&] {
        *out = new faiss::IndexHNSWFlat(d, M, static_cast<faiss::MetricType>(metric));
    });
}

// M is not stored as such: it is the neighbour count of every level above the base. Read from
// the table directly: nb_neighbors(1) throws when the graph has no level 1 (M < 2, or a file
// that says so), and this getter has no way to report an error.
int faissx_shim_IndexHNSW_M(void* index) {
    auto* hnsw = hnsw_of(index);
    if (!hnsw || hnsw->cum_nneighbor_per_level.size() < 3) {
        return 0;
    }
    return hnsw->cum_nneighbor_per_level[2] - hnsw->cum_nneighbor_per_level[1];
}
// Setting `range` of combination `cno`, as ParameterSpace::set_index_parameters(index, cno)
// applies it: 1 with its name (borrowed from the space) and value, 0 past the last range.
int faissx_shim_ParameterSpace_setting(
        const void* space,
        size_t cno,
        size_t range,
        const char** name,
        double* value) {
    auto* ps = static_cast<const faiss::ParameterSpace*>(space);
    if (range >= ps->parameter_ranges.size()) {
        return 0;
    }
    for (size_t i = 0; i < range; i++) {
        cno /= ps->parameter_ranges[i].values.size();
    }
    const faiss::ParameterRange& pr = ps->parameter_ranges[range];
    *name = pr.name.c_str();
    *value = pr.values[cno % pr.values.size()];
    return 1;
}

int faissx_shim_IndexHNSW_efSearch(void* index) {
    auto* hnsw = hnsw_of(index);
    return hnsw ? hnsw->efSearch : 0;
}
void faissx_shim_IndexHNSW_set_efSearch(void* index, int value) {
    if (auto* hnsw = hnsw_of(index)) {
        hnsw->efSearch = value;
    }
}
int faissx_shim_IndexHNSW_efConstruction(void* index) {
    auto* hnsw = hnsw_of(index);
    return hnsw ? hnsw->efConstruction : 0;
}
void faissx_shim_IndexHNSW_set_efConstruction(void* index, int value) {
    if (auto* hnsw = hnsw_of(index)) {
        hnsw->efConstruction = value;
    }
}

int faissx_shim_SearchParametersHNSW_new(void** out, void* sel, int efSearch) {
    return guarded([&] {
        auto* params = new faiss::SearchParametersHNSW;
        params->sel = static_cast<faiss::IDSelector*>(sel);
        params->efSearch = efSearch;
        *out = params;
    });
}
void* faissx_shim_SearchParametersHNSW_sel(void* params) {
    return static_cast<faiss::SearchParametersHNSW*>(params)->sel;
}
int faissx_shim_SearchParametersHNSW_get(void* params, int field) {
    auto* p = static_cast<faiss::SearchParametersHNSW*>(params);
    switch (field) {
        case 0:
            return p->efSearch;
        case 1:
            return p->check_relative_distance;
        default:
            return p->bounded_queue;
    }
}
void faissx_shim_SearchParametersHNSW_set(void* params, int field, int value) {
    auto* p = static_cast<faiss::SearchParametersHNSW*>(params);
    switch (field) {
        case 0:
            p->efSearch = value;
            break;
        case 1:
            p->check_relative_distance = value != 0;
            break;
        default:
            p->bounded_queue = value != 0;
    }
}

// ---- product quantization ----

int faissx_shim_IndexPQ_new(void** out, int d, size_t M, size_t nbits, int metric) {
    return guarded([&] {
        *out = new faiss::IndexPQ(d, M, nbits, static_cast<faiss::MetricType>(metric));
    });
}
int faissx_shim_IndexIVFPQ_new(
        void** out,
        void* quantizer,
        size_t d,
        size_t nlist,
        size_t M,
        size_t nbits,
        int metric) {
    return guarded([&] {
        *out = new faiss::IndexIVFPQ(
                static_cast<faiss::Index*>(quantizer),
                d,
                nlist,
                M,
                nbits,
                static_cast<faiss::MetricType>(metric));
    });
}
// The product quantizer of an IndexPQ or IndexIVFPQ, NULL for other indexes.
static faiss::ProductQuantizer* pq_of(void* index) {
    auto* base = static_cast<faiss::Index*>(index);
    if (auto* pq = dynamic_cast<faiss::IndexPQ*>(base)) {
        return &pq->pq;
    }
    if (auto* ivfpq = dynamic_cast<faiss::IndexIVFPQ*>(base)) {
        return &ivfpq->pq;
    }
    return nullptr;
}
size_t faissx_shim_pq_M(void* index) {
    auto* pq = pq_of(index);
    return pq ? pq->M : 0;
}
size_t faissx_shim_pq_nbits(void* index) {
    auto* pq = pq_of(index);
    return pq ? pq->nbits : 0;
}

// ---- binary indexes ----

int faissx_shim_IndexBinaryFlat_new(void** out, int64_t d) {
    return guarded([&] { *out = new faiss::IndexBinaryFlat(d); });
}
int faissx_shim_IndexBinaryIVF_new(void** out, void* quantizer, size_t d, size_t nlist) {
    return guarded([&] {
        *out = new faiss::IndexBinaryIVF(static_cast<faiss::IndexBinary*>(quantizer), d, nlist);
    });
}

// ---- whole-index operations ----

// Makes room for `extra` more vectors in the storage of flat indexes (and of an IDMap's ids),
// so that an add arriving in parts grows it once rather than by doubling, with a copy each
// time. Other indexes keep growing as they do.
int faissx_shim_Index_reserve(void* index, int64_t extra) {
    return guarded([&] {
        auto* target = static_cast<faiss::Index*>(index);
        size_t rows = size_t(target->ntotal) + size_t(extra);
        if (auto* idmap = dynamic_cast<faiss::IndexIDMap*>(target)) {
            idmap->id_map.reserve(rows);
            target = idmap->index;
        }
        auto* flat = dynamic_cast<faiss::IndexFlatCodes*>(target);
        if (flat && flat->codes.is_owned) {
            flat->codes.owned_data.reserve(rows * flat->code_size);
            flat->codes.c_ptr = flat->codes.owned_data.data();
        }
    });
}

int faissx_shim_Index_merge_from(void* index, void* other, int64_t add_id) {
    return guarded([&] {
        auto* target = static_cast<faiss::Index*>(index);
        auto* source = static_cast<faiss::Index*>(other);
        // IndexIDMap2::merge_from clears the source's reverse map through a static_cast: from
        // a plain IndexIDMap, that writes to memory the source does not have.
        if (dynamic_cast<faiss::IndexIDMap2*>(target) && !dynamic_cast<faiss::IndexIDMap2*>(source)) {
            refuse("an IndexIDMap2 merges only from another IndexIDMap2");
        }
        check_sub_indexes(target, 0);
        check_sub_indexes(source, 0);
        target->merge_from(*source, add_id);
    });
}

int faissx_shim_Index_check_serializable(const void* index);

int faissx_shim_write_index_buf(const void* index, size_t* p_size, uint8_t** p_buf) {
    int serializable = faissx_shim_Index_check_serializable(index);
    if (serializable != 0) {
        return serializable;
    }
    return guarded([&] {
        faiss::VectorIOWriter writer;
        faiss::write_index(static_cast<const faiss::Index*>(index), &writer);
        export_bytes(writer, p_size, p_buf);
    });
}
int faissx_shim_write_index_binary_buf(const void* index, size_t* p_size, uint8_t** p_buf) {
    return guarded([&] {
        faiss::VectorIOWriter writer;
        faiss::write_index_binary(static_cast<const faiss::IndexBinary*>(index), &writer);
        export_bytes(writer, p_size, p_buf);
    });
}
int faissx_shim_read_index_buf(const uint8_t* buf, size_t size, int io_flags, void** out) {
    return guarded([&] {
        faiss::VectorIOReader reader;
        reader.data.assign(buf, buf + size);
        *out = faiss::read_index(&reader, io_flags);
    });
}
int faissx_shim_read_index_binary_buf(const uint8_t* buf, size_t size, int io_flags, void** out) {
    return guarded([&] {
        faiss::VectorIOReader reader;
        reader.data.assign(buf, buf + size);
        *out = faiss::read_index_binary(&reader, io_flags);
    });
}

// ---- what the C API has no entry for: IVF max_codes, range search with parameters ----

size_t faissx_shim_IndexIVF_max_codes(void* index) {
    return static_cast<faiss::IndexIVF*>(static_cast<faiss::Index*>(index))->max_codes;
}
void faissx_shim_IndexIVF_set_max_codes(void* index, size_t value) {
    static_cast<faiss::IndexIVF*>(static_cast<faiss::Index*>(index))->max_codes = value;
}
int faissx_shim_range_search_with_params(
        void* index,
        int64_t n,
        const float* x,
        float radius,
        void* result,
        void* params) {
    return guarded([&] {
        auto* target = static_cast<faiss::Index*>(index);
        auto* p = static_cast<faiss::SearchParameters*>(params);
        // IndexIDMap::range_search wraps the parameters' selector without checking it is
        // there, and calls through NULL. Its range search keeps nothing else of them.
        if (p && !p->sel && range_reaches_id_map(target, 0)) {
            p = nullptr;
        }
        target->range_search(
                n, x, radius, static_cast<faiss::RangeSearchResult*>(result), p);
    });
}

// ---- declared in FAISS's C headers but missing from its library ----

int faissx_shim_IndexIVFScalarQuantizer_new(void** out) {
    return guarded([&] { *out = new faiss::IndexIVFScalarQuantizer(); });
}
int faissx_shim_IndexReplicas_own_fields(const void* index) {
    return static_cast<const faiss::IndexReplicas*>(index)->own_indices;
}
void faissx_shim_IndexReplicas_set_own_fields(void* index, int own) {
    static_cast<faiss::IndexReplicas*>(index)->own_indices = own != 0;
}
int faissx_shim_IndexShards_own_fields(const void* index) {
    return static_cast<const faiss::IndexShards*>(index)->own_indices;
}
void faissx_shim_IndexShards_set_own_fields(void* index, int own) {
    static_cast<faiss::IndexShards*>(index)->own_indices = own != 0;
}
// FAISS's at(i) indexes its vector unchecked: the count lets the caller check first.
int faissx_shim_IndexReplicas_count(const void* index) {
    return static_cast<const faiss::IndexReplicas*>(static_cast<const faiss::Index*>(index))
            ->count();
}
int faissx_shim_IndexShards_count(const void* index) {
    return static_cast<const faiss::IndexShards*>(static_cast<const faiss::Index*>(index))
            ->count();
}
// BufferList's destructor is not virtual: delete through the real type.
void faissx_shim_RangeSearchPartialResult_free(void* res) {
    delete static_cast<faiss::RangeSearchPartialResult*>(res);
}
void faissx_shim_IOReader_free(void* reader) {
    delete static_cast<faiss::IOReader*>(reader);
}
void faissx_shim_IOWriter_free(void* writer) {
    delete static_cast<faiss::IOWriter*>(writer);
}


// ---- vector transforms: FAISS's C API runs these outside try/catch (void functions), so a
// FAISS error there (untrained, not invertible) would terminate the process ----

int faissx_shim_VectorTransform_apply_noalloc(
        const void* vt,
        int64_t n,
        const float* x,
        float* xt) {
    return guarded(
            [&] { static_cast<const faiss::VectorTransform*>(vt)->apply_noalloc(n, x, xt); });
}
int faissx_shim_VectorTransform_reverse_transform(
        const void* vt,
        int64_t n,
        const float* xt,
        float* x) {
    return guarded(
            [&] { static_cast<const faiss::VectorTransform*>(vt)->reverse_transform(n, xt, x); });
}

namespace {
// LinearTransform's matrix is empty until trained, and these two read it without checking.
const faiss::LinearTransform* trained_linear(const void* vt) {
    auto* lt = dynamic_cast<const faiss::LinearTransform*>(
            static_cast<const faiss::VectorTransform*>(vt));
    FAISS_THROW_IF_NOT_MSG(lt, "not a LinearTransform");
    FAISS_THROW_IF_NOT_MSG(lt->is_trained, "Transformation not trained yet");
    return lt;
}
} // namespace

int faissx_shim_LinearTransform_transform_transpose(
        const void* vt,
        int64_t n,
        const float* y,
        float* x) {
    return guarded([&] { trained_linear(vt)->transform_transpose(n, y, x); });
}
int faissx_shim_LinearTransform_set_is_orthonormal(void* vt) {
    return guarded([&] {
        const_cast<faiss::LinearTransform*>(trained_linear(vt))->set_is_orthonormal();
    });
}

// FAISS's C API stores the address of its own local variable in *qr, not the query result.
int faissx_shim_RangeSearchPartialResult_new_result(void* res, int64_t qno, void** qr) {
    return guarded([&] {
        *qr = &static_cast<faiss::RangeSearchPartialResult*>(res)->new_result(qno);
    });
}

} // extern "C"

// ---- checks FAISS lacks where a wrong value crashes the process instead of throwing ----

namespace {

// The IndexFlat whose search takes FAISS's IDSelectorRange shortcut (knn_L2sqr and
// knn_inner_product), or NULL. IndexFlat1D refuses parameters and other metrics refuse
// selectors, both with an exception.
const faiss::IndexFlat* range_flat(const faiss::Index* index) {
    auto* flat = dynamic_cast<const faiss::IndexFlat*>(index);
    if (!flat || dynamic_cast<const faiss::IndexFlat1D*>(index)) {
        return nullptr;
    }
    if (flat->metric_type != faiss::METRIC_L2 && flat->metric_type != faiss::METRIC_INNER_PRODUCT) {
        return nullptr;
    }
    return flat;
}

const faiss::IDSelectorRange* root_range(const faiss::SearchParameters* params) {
    return params ? dynamic_cast<const faiss::IDSelectorRange*>(params->sel) : nullptr;
}

// That shortcut searches min(imax, ntotal) - max(imin, 0) vectors from max(imin, 0): a negative
// count when the range starts past the end or min > max (a wild read), and with a count of 0
// the BLAS path (20 queries or more) returns without writing any result.
bool range_selects_nothing(const faiss::IndexFlat* flat, const faiss::IDSelectorRange* range) {
    int64_t lo = std::max<int64_t>(range->imin, 0);
    int64_t hi = std::min<int64_t>(range->imax, flat->ntotal);
    return hi <= lo;
}

// Follows `params` the way FAISS's composites forward them to their sub-indexes and refuses a
// range that would reach an IndexFlat selecting nothing there: its results are merged or
// refined by the composite, so they cannot be answered without running it.
void check_forwarded_range(
        const faiss::Index* index,
        const faiss::SearchParameters* params,
        const char* outer) {
    if (!params || !index) {
        return;
    }
    if (auto* flat = range_flat(index)) {
        auto* range = root_range(params);
        if (range && range_selects_nothing(flat, range)) {
            refuse("an IDSelectorRange [%lld, %lld) selects none of the %lld vectors of the "
                   "IndexFlat inside this %s; FAISS cannot search an empty range there",
                   (long long)range->imin,
                   (long long)range->imax,
                   (long long)flat->ntotal,
                   outer);
        }
        return;
    }
    if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
        auto* own = dynamic_cast<const faiss::SearchParametersPreTransform*>(params);
        check_forwarded_range(pt->index, own ? own->index_params : params, "IndexPreTransform");
    } else if (auto* shards = dynamic_cast<const faiss::IndexShards*>(index)) {
        for (int i = 0; i < shards->count(); i++) {
            check_forwarded_range(shards->at(i), params, "IndexShards");
        }
    } else if (auto* refine = dynamic_cast<const faiss::IndexRefine*>(index)) {
        if (auto* own = dynamic_cast<const faiss::IndexRefineSearchParameters*>(params)) {
            check_forwarded_range(refine->base_index, own->base_index_params, "IndexRefine");
        }
    } else if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index)) {
        if (auto* own = dynamic_cast<const faiss::SearchParametersIVF*>(params)) {
            check_forwarded_range(ivf->quantizer, own->quantizer_params, "IndexIVF's quantizer");
        }
    }
}

// Whether `index` finds vectors by id (and says so when one is missing) rather than by position.
bool by_id(const faiss::Index* index) {
    if (dynamic_cast<const faiss::IndexIDMap*>(index) || dynamic_cast<const faiss::IndexIVF*>(index)) {
        return true;
    }
    if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
        return by_id(pt->index);
    }
    return false;
}

// Keys i0 .. i0+ni-1 of an index that addresses vectors by position must lie in 0 .. ntotal-1:
// IndexFlat reads a negative key's row, HNSW and NSG storage, fast-scan and others read any key
// unchecked. IndexFlatCodes checks the upper end itself (keeping FAISS's error).
void check_positions(const faiss::Index* index, int64_t i0, int64_t ni) {
    if (ni < 0) {
        refuse("cannot reconstruct %lld vectors", (long long)ni);
    }
    if (by_id(index) || ni == 0) {
        return;
    }
    bool checks_end = dynamic_cast<const faiss::IndexFlatCodes*>(index) != nullptr;
    if (i0 < 0 || (!checks_end && i0 > index->ntotal - ni)) {
        refuse("keys %lld .. %lld + %lld are out of range (ntotal = %lld)",
               (long long)i0,
               (long long)i0,
               (long long)ni,
               (long long)index->ntotal);
    }
}

// FAISS's default Index::reconstruct_n (and compute_residual_n) call reconstruct inside an
// OpenMP region, where an exception (a missing id of an IDMap2, an IDMap or IVF that cannot
// reconstruct) terminates the process: reconstruct one at a time here instead, unless the
// class has its own reconstruct_n that checks before its loop.
void reconstruct_checked(const faiss::Index* index, int64_t i0, int64_t ni, float* recons) {
    check_sub_indexes(index, 0);
    check_positions(index, i0, ni);
    if (dynamic_cast<const faiss::IndexFlatCodes*>(index) || dynamic_cast<const faiss::IndexIVF*>(index)) {
        index->reconstruct_n(i0, ni, recons);
        return;
    }
    for (int64_t i = 0; i < ni; i++) {
        index->reconstruct(i0 + i, recons + i * index->d);
    }
}

void check_binary_positions(const faiss::IndexBinary* index, int64_t i0, int64_t ni) {
    if (ni < 0) {
        refuse("cannot reconstruct %lld codes", (long long)ni);
    }
    if (ni == 0 || dynamic_cast<const faiss::IndexBinaryIDMap*>(index) ||
        dynamic_cast<const faiss::IndexBinaryIVF*>(index)) {
        return;
    }
    if (i0 < 0 || i0 > index->ntotal - ni) {
        refuse("keys %lld .. %lld + %lld are out of range (ntotal = %lld)",
               (long long)i0,
               (long long)i0,
               (long long)ni,
               (long long)index->ntotal);
    }
}

// ---- structure of a factory-made index: values FAISS's parser accepts but its code cannot ----

// FAISSX_MAX_HNSW_M and FAISSX_MAX_NLIST of src/ffi/types.rs. FAISS needs M >= 2 (with M = 1
// the graph has no levels: nb_neighbors throws, add reads past its tables).
constexpr int kMaxHnswM = 4096;
constexpr size_t kMaxNlist = size_t(1) << 24;

// `M` as hnsw_M_of reads it: -1 when the graph has no level above its base.
void check_hnsw_M(int M, const char* what) {
    if (M < 0) {
        refuse("%s: M < 2, its graph has no level above the base (M must be in 2 ..= %d)",
               what,
               kMaxHnswM);
    }
    if (M < 2 || M > kMaxHnswM) {
        refuse("%s: M = %d is out of range (2 ..= %d)", what, M, kMaxHnswM);
    }
}

// M of an HNSW graph as its level table says; -1 when the table has no level above the base.
int hnsw_M_of(const faiss::HNSW& hnsw) {
    const auto& cum = hnsw.cum_nneighbor_per_level;
    return cum.size() < 3 ? -1 : cum[2] - cum[1];
}

void check_pq(const faiss::ProductQuantizer& pq, const char* what) {
    if (pq.M == 0 || pq.nbits == 0 || pq.nbits > 24 || pq.code_size == 0) {
        refuse("%s: product quantizer with M = %zu, nbits = %zu (needs M >= 1, 1 <= nbits <= 24)",
               what,
               pq.M,
               pq.nbits);
    }
}

// Additive quantizers compute 1 << nbits in an int for each codebook.
void check_aq(const faiss::AdditiveQuantizer* aq, const char* what) {
    if (!aq) {
        return;
    }
    for (size_t nbits : aq->nbits) {
        if (nbits == 0 || nbits > 24) {
            refuse("%s: codebook of nbits = %zu (needs 1 <= nbits <= 24)", what, nbits);
        }
    }
}

void check_nlist(size_t nlist, const char* what) {
    if (nlist == 0 || nlist > kMaxNlist) {
        refuse("%s: nlist = %zu is out of range (1 ..= %zu)", what, nlist, kMaxNlist);
    }
}

// IVF scalar quantizers and IVFPQ scan lists for L2 and inner product only: with another
// metric, the scanner's constructor throws inside OpenMP (a terminated process) or tables
// are read for a metric they were not built for (a segfault).
void check_ivf_metric(const faiss::Index* index) {
    bool l2_or_ip = index->metric_type == faiss::METRIC_L2 ||
            index->metric_type == faiss::METRIC_INNER_PRODUCT;
    if (l2_or_ip) {
        return;
    }
    if (dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(index)) {
        refuse("IndexIVFScalarQuantizer: metric %d is not supported (only L2 and inner product)",
               int(index->metric_type));
    }
    if (dynamic_cast<const faiss::IndexIVFPQ*>(index)) {
        refuse("IndexIVFPQ: metric %d is not supported (only L2 and inner product)",
               int(index->metric_type));
    }
}

// What a VectorTransform read from bytes must hold for its dimensions: FAISS reads d_in and
// d_out after checking its matrices against them (still 0 then), and applies or reverses the
// matrices with the dimensions read.
void check_transform(const faiss::VectorTransform* vt) {
    if (vt->d_in <= 0 || vt->d_out <= 0) {
        refuse("a transform maps dimension %d to %d", vt->d_in, vt->d_out);
    }
    size_t d_in = vt->d_in, d_out = vt->d_out;
    if (auto* lt = dynamic_cast<const faiss::LinearTransform*>(vt)) {
        if (vt->is_trained && (lt->A.size() < d_in * d_out || (lt->have_bias && lt->b.size() < d_out))) {
            refuse("LinearTransform: %zu matrix values and %zu biases for dimension %zu to %zu",
                   lt->A.size(),
                   lt->b.size(),
                   d_in,
                   d_out);
        }
        if (auto* opq = dynamic_cast<const faiss::OPQMatrix*>(vt)) {
            if (opq->M <= 0 || opq->d_out % opq->M != 0) {
                refuse("OPQMatrix: M = %d must be >= 1 and divide d_out = %d", opq->M, opq->d_out);
            }
        }
    } else if (auto* remap = dynamic_cast<const faiss::RemapDimensionsTransform*>(vt)) {
        if (remap->map.size() != d_out) {
            refuse("RemapDimensionsTransform: %zu entries for %zu dimensions", remap->map.size(), d_out);
        }
        for (int from : remap->map) {
            if (from < -1 || from >= vt->d_in) {
                refuse("RemapDimensionsTransform: dimension %d of %zu", from, d_in);
            }
        }
    } else if (auto* center = dynamic_cast<const faiss::CenteringTransform*>(vt)) {
        if (vt->is_trained && center->mean.size() < d_in) {
            refuse("CenteringTransform: %zu means for dimension %zu", center->mean.size(), d_in);
        }
    } else if (auto* itq = dynamic_cast<const faiss::ITQTransform*>(vt)) {
        if (vt->is_trained && itq->mean.size() < d_in) {
            refuse("ITQTransform: %zu means for dimension %zu", itq->mean.size(), d_in);
        }
        if (vt->is_trained) {
            check_transform(&itq->itq);
            check_transform(&itq->pca_then_itq);
        }
    } else if (!dynamic_cast<const faiss::NormalizationTransform*>(vt)) {
        refuse("this transform class is not accepted from a file");
    }
}

// The sub-indexes an index holds, as check_structure and restore_rev_maps walk them.
template <typename Visit>
void for_each_sub_index(const faiss::Index* index, Visit&& visit) {
    if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index)) {
        visit(ivf->quantizer);
    }
    if (auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index)) {
        visit(hnsw->storage);
    }
    if (auto* nsg = dynamic_cast<const faiss::IndexNSG*>(index)) {
        visit(nsg->storage);
    }
    if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
        visit(pt->index);
    }
    if (auto* idmap = dynamic_cast<const faiss::IndexIDMap*>(index)) {
        visit(idmap->index);
    }
    if (auto* refine = dynamic_cast<const faiss::IndexRefine*>(index)) {
        visit(refine->base_index);
        visit(refine->refine_index);
    }
}

template <typename Visit>
void for_each_sub_index(const faiss::IndexBinary* index, Visit&& visit) {
    if (auto* ivf = dynamic_cast<const faiss::IndexBinaryIVF*>(index)) {
        visit(ivf->quantizer);
    }
    if (auto* hnsw = dynamic_cast<const faiss::IndexBinaryHNSW*>(index)) {
        visit(hnsw->storage);
    }
    if (auto* idmap = dynamic_cast<const faiss::IndexBinaryIDMap*>(index)) {
        visit(idmap->index);
    }
}

void check_structure(const faiss::Index* index, int depth) {
    if (!index) {
        return;
    }
    // Factory strings are bounded in length, so this is bounded too; it guards the recursion
    // of indexes read from elsewhere.
    if (depth > 64) {
        refuse("the index nests more than 64 levels of sub-indexes");
    }
    if (auto* pq = dynamic_cast<const faiss::IndexPQ*>(index)) {
        check_pq(pq->pq, "IndexPQ");
    }
    if (auto* aq = dynamic_cast<const faiss::IndexAdditiveQuantizer*>(index)) {
        check_aq(aq->aq, "IndexAdditiveQuantizer");
    }
    if (auto* aq = dynamic_cast<const faiss::AdditiveCoarseQuantizer*>(index)) {
        check_aq(aq->aq, "AdditiveCoarseQuantizer");
    }
    if (auto* aq = dynamic_cast<const faiss::IndexIVFAdditiveQuantizer*>(index)) {
        check_aq(aq->aq, "IndexIVFAdditiveQuantizer");
    }
    if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index)) {
        // What FAISS's constructor without arguments writes has no quantizer and no lists;
        // check_parts refuses every use of it.
        if (ivf->quantizer || ivf->nlist != 0) {
            check_nlist(ivf->nlist, "IndexIVF");
        }
        check_ivf_metric(ivf);
    }
    if (auto* ivfpq = dynamic_cast<const faiss::IndexIVFPQ*>(index)) {
        check_pq(ivfpq->pq, "IndexIVFPQ");
    }
    if (auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index)) {
        check_hnsw_M(hnsw_M_of(hnsw->hnsw), "IndexHNSW");
    }
    if (auto* nsg = dynamic_cast<const faiss::IndexNSG*>(index)) {
        if (nsg->nsg.R <= 0) {
            refuse("IndexNSG: R = %d must be >= 1", nsg->nsg.R);
        }
    }
    if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
        // Each transform feeds the next and the last feeds the index: FAISS sizes its buffers
        // from these dimensions without comparing them.
        int d = pt->d;
        for (auto* vt : pt->chain) {
            if (!vt) {
                refuse("IndexPreTransform: its chain holds no transform");
            }
            if (vt->d_in != d) {
                refuse("IndexPreTransform: a transform takes dimension %d where %d comes in",
                       vt->d_in,
                       d);
            }
            check_transform(vt);
            d = vt->d_out;
        }
        if (pt->index && pt->index->d != d) {
            refuse("IndexPreTransform: its transforms give dimension %d, its index takes %d",
                   d,
                   pt->index->d);
        }
    }
    for_each_sub_index(index, [&](const faiss::Index* sub) { check_structure(sub, depth + 1); });
}

void check_binary_structure(const faiss::IndexBinary* index, int depth) {
    if (!index) {
        return;
    }
    if (depth > 64) {
        refuse("the index nests more than 64 levels of sub-indexes");
    }
    if (auto* ivf = dynamic_cast<const faiss::IndexBinaryIVF*>(index)) {
        check_nlist(ivf->nlist, "IndexBinaryIVF");
    }
    if (auto* hnsw = dynamic_cast<const faiss::IndexBinaryHNSW*>(index)) {
        check_hnsw_M(hnsw_M_of(hnsw->hnsw), "IndexBinaryHNSW");
    }
    // Hashes read b bits of each code into a 64-bit key.
    if (auto* hash = dynamic_cast<const faiss::IndexBinaryHash*>(index)) {
        if (hash->b <= 0 || hash->b > 64 || hash->b > hash->d) {
            refuse("IndexBinaryHash: b = %d bits must be in 1 ..= min(64, d = %d)", hash->b, hash->d);
        }
    }
    if (auto* hash = dynamic_cast<const faiss::IndexBinaryMultiHash*>(index)) {
        if (hash->b <= 0 || hash->b > 64 || hash->nhash <= 0) {
            refuse("IndexBinaryMultiHash: %d hashes of b = %d bits (needs nhash >= 1, 1 <= b <= 64)",
                   hash->nhash,
                   hash->b);
        }
    }
    for_each_sub_index(
            index, [&](const faiss::IndexBinary* sub) { check_binary_structure(sub, depth + 1); });
}

// An IVF's quantizer is a separate index its owner can still write to: once it holds more
// centroids than the IVF has lists, it assigns vectors to lists that do not exist and FAISS
// indexes its list table with them.
// An empty one (not trained yet, or reset since) leaves the list numbers it should have
// written uninitialized when 20 queries or more take FAISS's BLAS path.
template <typename IVF>
void check_lists(const IVF* ivf, const char* what) {
    if (ivf->quantizer && ivf->quantizer->ntotal == 0) {
        // FAISS's own error for an add to an untrained IVF (its search does not check).
        FAISS_THROW_IF_NOT_MSG(ivf->is_trained, "the index is not trained (is_trained is false)");
        refuse("%s: its quantizer is empty (it was reset after the index was trained); train "
               "the index again",
               what);
    }
    if (ivf->quantizer && ivf->quantizer->ntotal > 0 && size_t(ivf->quantizer->ntotal) > ivf->nlist) {
        refuse("%s: its quantizer holds %lld centroids for %zu inverted lists (it was written to "
               "after the index was built); reset the quantizer and train the index again",
               what,
               (long long)ivf->quantizer->ntotal,
               ivf->nlist);
    }
}

// An IDMap's or a refinement's sub-index is borrowed and writable too: with more vectors than
// the composite has ids for, FAISS looks up ids past the end of its table.
template <typename IDMap>
void check_id_map(const IDMap* idmap) {
    if (idmap->index && size_t(idmap->index->ntotal) != idmap->id_map.size()) {
        refuse("IndexIDMap: its sub-index holds %lld vectors for %zu ids (it was written to "
               "directly); write through the IndexIDMap only",
               (long long)idmap->index->ntotal,
               idmap->id_map.size());
    }
}

// FAISSX_MAX_EF of src/ffi/types.rs: HNSW allocates efSearch (efConstruction) candidates per
// thread inside OpenMP, where a failed allocation aborts. Checked where they are used too, as
// an index read from a file brings its own.
constexpr int kMaxEf = 1 << 20;

void check_ef(int ef, const char* name) {
    if (ef > kMaxEf) {
        refuse("IndexHNSW: %s = %d is more than the %d faissx accepts", name, ef, kMaxEf);
    }
}

// The index that search parameters reach: IndexIDMap(2) and IndexPreTransform hand theirs on
// unchanged, class and all, to the index they wrap.
const faiss::Index* params_target(const faiss::Index* target) {
    for (int depth = 0; depth < 64; depth++) {
        const faiss::Index* inner = nullptr;
        if (auto* idmap = dynamic_cast<const faiss::IndexIDMap*>(target)) {
            inner = idmap->index;
        } else if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(target)) {
            inner = pt->index;
        }
        if (!inner) {
            break;
        }
        target = inner;
    }
    return target;
}

// HNSW keeps max(efSearch, k) candidates per query, allocated inside OpenMP where a failed
// allocation aborts: k is bounded there as efSearch is. Other indexes keep their heaps in the
// caller's result buffers.
void check_k(const faiss::Index* index, int64_t k) {
    if (dynamic_cast<const faiss::IndexHNSW*>(params_target(index)) && k > kMaxEf) {
        refuse("IndexHNSW: k = %lld is more than the %d neighbours faissx searches an HNSW "
               "graph for",
               (long long)k,
               kMaxEf);
    }
}

// The server's IndexPreTransform over a borrowed index (own_fields false, as FAISS's constructor
// leaves it) owns the transforms it read from a client, which FAISS would then leak.
struct PreTransformOwningItsChain : faiss::IndexPreTransform {
    PreTransformOwningItsChain(faiss::VectorTransform* transform, faiss::Index* index)
            : faiss::IndexPreTransform(transform, index) {}
    explicit PreTransformOwningItsChain(faiss::Index* index) : faiss::IndexPreTransform(index) {}
    PreTransformOwningItsChain() = default;
    ~PreTransformOwningItsChain() override {
        if (!own_fields) {
            for (auto* transform : chain) {
                delete transform;
            }
            chain.clear();
        }
    }
};

// How many trained values a scalar quantizer of this type reads: FAISS builds its decoder
// from `trained` without checking its size, so an index that was never trained (searched
// anyway: IVF searches do not check is_trained) or read from a damaged file reads past it.
size_t trained_values_needed(const faiss::ScalarQuantizer& sq) {
    switch (sq.qtype) {
        case faiss::ScalarQuantizer::QT_8bit_uniform:
        case faiss::ScalarQuantizer::QT_4bit_uniform:
            return 2;
        case faiss::ScalarQuantizer::QT_8bit:
        case faiss::ScalarQuantizer::QT_4bit:
        case faiss::ScalarQuantizer::QT_6bit:
            return 2 * sq.d;
        default:
            return 0;
    }
}

void check_scalar_quantizer(const faiss::ScalarQuantizer& sq, const char* what) {
    size_t needed = trained_values_needed(sq);
    if (sq.trained.size() < needed) {
        refuse("%s: is not trained (its scalar quantizer holds %zu of the %zu trained values its "
               "type needs); train it first",
               what,
               sq.trained.size(),
               needed);
    }
}

// FAISS's default constructors (faissx_IndexIVFFlat_new, faissx_IndexPreTransform_new, ...) make
// shells for its readers to fill in: an IVF without a quantizer or inverted lists, an
// IndexPreTransform without an index. FAISS dereferences those parts in nearly every method.
void check_parts(const faiss::Index* index, int depth) {
    if (!index || depth > 64) {
        return;
    }
    if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index)) {
        if (!ivf->quantizer || !ivf->invlists) {
            refuse("IndexIVF: has no %s (made by a constructor without arguments, for FAISS's "
                   "readers to fill in); build it with a quantizer instead",
                   ivf->quantizer ? "inverted lists" : "quantizer");
        }
    }
    if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
        if (!pt->index) {
            refuse("IndexPreTransform: has no index (made by a constructor without arguments, "
                   "for FAISS's readers to fill in); build it over an index instead");
        }
    }
    for_each_sub_index(index, [&](const faiss::Index* sub) { check_parts(sub, depth + 1); });
}

void check_sub_indexes(const faiss::Index* index, int depth) {
    if (!index || depth > 64) {
        return;
    }
    // Every check of an index in use starts here, with the parts FAISS dereferences.
    if (depth == 0) {
        check_parts(index, 0);
    }
    // A face's remote index may have been written to through the caller's handle: the face
    // takes what that handle learned (no request), as a local sub-index's fields would show
    // it. The mirrored fields are a cache, hence the const_cast.
    if (auto* face = as_face(index)) {
        const_cast<RemoteFace*>(face)->sync(false);
        return;
    }
    if (auto* sq = dynamic_cast<const faiss::IndexScalarQuantizer*>(index)) {
        check_scalar_quantizer(sq->sq, "IndexScalarQuantizer");
    }
    if (auto* ivfsq = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(index)) {
        check_scalar_quantizer(ivfsq->sq, "IndexIVFScalarQuantizer");
    }
    if (auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index)) {
        check_ef(hnsw->hnsw.efSearch, "efSearch");
        check_ef(hnsw->hnsw.efConstruction, "efConstruction");
        // Written with IO_FLAG_SKIP_STORAGE (which FAISS's C API names FAISS_IO_FLAG_MMAP): the
        // graph without its vectors, which FAISS dereferences unchecked.
        if (!hnsw->storage) {
            refuse("IndexHNSW: has no storage (written with IO_FLAG_SKIP_STORAGE, value 1): "
                   "nothing can be searched or added");
        }
        check_sub_indexes(hnsw->storage, depth + 1);
    }
    if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index)) {
        check_lists(ivf, "IndexIVF");
        check_ivf_metric(ivf);
        check_sub_indexes(ivf->quantizer, depth + 1);
    } else if (auto* idmap = dynamic_cast<const faiss::IndexIDMap*>(index)) {
        check_id_map(idmap);
        check_sub_indexes(idmap->index, depth + 1);
    } else if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(index)) {
        // A transform prepended, or given to the constructor, after the index was filled:
        // FAISS reverses it to reconstruct without checking it was trained (its matrix is
        // still empty).
        for (size_t i = 0; i < pt->chain.size(); i++) {
            if (!pt->chain[i] || !pt->chain[i]->is_trained) {
                refuse("IndexPreTransform: transform %zu of its chain is not trained; train the "
                       "index first",
                       i);
            }
        }
        check_sub_indexes(pt->index, depth + 1);
    } else if (auto* refine = dynamic_cast<const faiss::IndexRefine*>(index)) {
        if (refine->base_index && refine->refine_index &&
            refine->base_index->ntotal != refine->refine_index->ntotal) {
            refuse("IndexRefine: its base index holds %lld vectors, its refinement %lld",
                   (long long)refine->base_index->ntotal,
                   (long long)refine->refine_index->ntotal);
        }
        check_sub_indexes(refine->base_index, depth + 1);
        check_sub_indexes(refine->refine_index, depth + 1);
    } else if (auto* shards = dynamic_cast<const faiss::IndexShards*>(index)) {
        for (int i = 0; i < shards->count(); i++) {
            check_sub_indexes(shards->at(i), depth + 1);
        }
    } else if (auto* replicas = dynamic_cast<const faiss::IndexReplicas*>(index)) {
        for (int i = 0; i < replicas->count(); i++) {
            check_sub_indexes(replicas->at(i), depth + 1);
        }
    }
}

} // namespace

extern "C" {

// Before vectors are added to or searched in `index`: refuses a composite whose borrowed
// sub-index was written to on its own (an IVF's quantizer, unless `training`, which rebuilds
// it; an IDMap's or a refinement's index) and HNSW search settings it cannot allocate.
const void* faissx_shim_Index_params_target(const void* index) {
    return params_target(static_cast<const faiss::Index*>(index));
}

int faissx_shim_Index_assign(const void* index, int64_t n, const float* x, int64_t* labels, int64_t k) {
    return guarded([&] {
        auto* target = static_cast<const faiss::Index*>(index);
        check_k(target, k);
        target->assign(n, x, labels, k);
    });
}

// Whether `index` is of FAISS class `name` (or derives from it); binary classes are named
// IndexBinary*. Unknown names are no class.
int faissx_shim_is_class(const void* index, const char* name) {
    const std::string cls(name);
    if (cls.rfind("IndexBinary", 0) == 0) {
        auto* b = static_cast<const faiss::IndexBinary*>(index);
        if (cls == "IndexBinaryIVF") {
            return dynamic_cast<const faiss::IndexBinaryIVF*>(b) != nullptr;
        }
        if (cls == "IndexBinaryFlat") {
            return dynamic_cast<const faiss::IndexBinaryFlat*>(b) != nullptr;
        }
        return 0;
    }
    auto* i = static_cast<const faiss::Index*>(index);
    if (cls == "IndexFlat") {
        return dynamic_cast<const faiss::IndexFlat*>(i) != nullptr;
    }
    if (cls == "IndexFlat1D") {
        return dynamic_cast<const faiss::IndexFlat1D*>(i) != nullptr;
    }
    if (cls == "IndexRefineFlat") {
        return dynamic_cast<const faiss::IndexRefineFlat*>(i) != nullptr;
    }
    if (cls == "IndexHNSW") {
        return dynamic_cast<const faiss::IndexHNSW*>(i) != nullptr;
    }
    if (cls == "IndexIVF") {
        return dynamic_cast<const faiss::IndexIVF*>(i) != nullptr;
    }
    if (cls == "IndexIVFFlat") {
        return dynamic_cast<const faiss::IndexIVFFlat*>(i) != nullptr;
    }
    if (cls == "IndexLSH") {
        return dynamic_cast<const faiss::IndexLSH*>(i) != nullptr;
    }
    if (cls == "IndexPreTransform") {
        return dynamic_cast<const faiss::IndexPreTransform*>(i) != nullptr;
    }
    if (cls == "IndexIDMap") {
        return dynamic_cast<const faiss::IndexIDMap*>(i) != nullptr;
    }
    if (cls == "IndexIDMap2") {
        return dynamic_cast<const faiss::IndexIDMap2*>(i) != nullptr;
    }
    if (cls == "IndexShards") {
        return dynamic_cast<const faiss::IndexShards*>(i) != nullptr;
    }
    if (cls == "IndexReplicas") {
        return dynamic_cast<const faiss::IndexReplicas*>(i) != nullptr;
    }
    return 0;
}

// Whether a transform is of the class (or a subclass) a class-specific function reads.
int faissx_shim_VectorTransform_is_class(const void* vt, const char* name) {
    auto* t = static_cast<const faiss::VectorTransform*>(vt);
    const std::string cls(name);
    if (cls == "LinearTransform") {
        return dynamic_cast<const faiss::LinearTransform*>(t) != nullptr;
    }
    if (cls == "PCAMatrix") {
        return dynamic_cast<const faiss::PCAMatrix*>(t) != nullptr;
    }
    if (cls == "OPQMatrix") {
        return dynamic_cast<const faiss::OPQMatrix*>(t) != nullptr;
    }
    if (cls == "ITQTransform") {
        return dynamic_cast<const faiss::ITQTransform*>(t) != nullptr;
    }
    if (cls == "NormalizationTransform") {
        return dynamic_cast<const faiss::NormalizationTransform*>(t) != nullptr;
    }
    return 0;
}

// The ids a caller edited through an IndexIDMap's id_map, sent to the server's copy. FAISS's
// IDMap2 throws from construct_rev_map on nothing; ids must match the stored vectors one to one.
int faissx_shim_IndexIDMap_set_ids(void* index, int64_t n, const int64_t* ids) {
    return guarded([&] {
        auto* id_map = dynamic_cast<faiss::IndexIDMap*>(static_cast<faiss::Index*>(index));
        if (!id_map) {
            refuse("set_ids: the index is not an IndexIDMap or IndexIDMap2");
        }
        if (n != id_map->ntotal || size_t(n) != id_map->id_map.size()) {
            refuse("set_ids: %lld ids for an index of %lld vectors", (long long)n,
                   (long long)id_map->ntotal);
        }
        std::copy(ids, ids + n, id_map->id_map.begin());
        if (auto* two_way = dynamic_cast<faiss::IndexIDMap2*>(id_map)) {
            two_way->construct_rev_map();
        }
    });
}

// Makes the transform `dst` hold the state of `src`, an object of the same class (a copy the
// server trained, read back): FAISS trains a pre-transform's chain in place, in the caller's
// objects. Every transform class FAISS serializes is plain data, so assignment copies it.
int faissx_shim_VectorTransform_copy_state(void* dst, const void* src) {
    return guarded([&] {
        auto* to = static_cast<faiss::VectorTransform*>(dst);
        auto* from = static_cast<const faiss::VectorTransform*>(src);
        if (typeid(*to) != typeid(*from)) {
            refuse("the server's copy of the transform is not of the caller's transform's class");
        }
        if (to->d_in != from->d_in || to->d_out != from->d_out) {
            refuse("the server's copy of the transform has other dimensions than the caller's");
        }
        auto assign = [&](auto* typed) {
            using T = std::remove_pointer_t<decltype(typed)>;
            if (typeid(*to) != typeid(T)) {
                return false;
            }
            *static_cast<T*>(to) = *static_cast<const T*>(from);
            return true;
        };
        if (!(assign((faiss::PCAMatrix*)nullptr) || assign((faiss::OPQMatrix*)nullptr) ||
              assign((faiss::ITQMatrix*)nullptr) || assign((faiss::ITQTransform*)nullptr) ||
              assign((faiss::RandomRotationMatrix*)nullptr) ||
              assign((faiss::LinearTransform*)nullptr) ||
              assign((faiss::RemapDimensionsTransform*)nullptr) ||
              assign((faiss::NormalizationTransform*)nullptr) ||
              assign((faiss::CenteringTransform*)nullptr))) {
            refuse("the caller's transform is of a class faissx cannot copy a trained state into");
        }
    });
}

// The i-th transform of an IndexPreTransform's chain (NULL past its end).
const void* faissx_shim_IndexPreTransform_chain_at(const void* index, int64_t i) {
    auto* pre = dynamic_cast<const faiss::IndexPreTransform*>(static_cast<const faiss::Index*>(index));
    if (!pre || i < 0 || size_t(i) >= pre->chain.size()) {
        return nullptr;
    }
    return pre->chain[i];
}

// Makes the flat index `dst` hold what the flat index `src` holds (an IVF's usual quantizer;
// FAISS reads an IndexFlat of metric L2 back as an IndexFlatL2, so the classes may differ).
// Other classes are refused: their objects own sub-objects a copy would share.
int faissx_shim_Index_copy_flat(void* dst, const void* src) {
    return guarded([&] {
        auto* to = dynamic_cast<faiss::IndexFlat*>(static_cast<faiss::Index*>(dst));
        auto* from = dynamic_cast<const faiss::IndexFlat*>(static_cast<const faiss::Index*>(src));
        if (!to || !from) {
            refuse("the server trained its copy of the quantizer; a quantizer that is not flat "
                   "cannot be copied back into the caller's object");
        }
        if (to->d != from->d || to->metric_type != from->metric_type) {
            refuse("the trained quantizer's dimension or metric differs from the caller's");
        }
        faiss::IndexFlat& base = *to;
        base = *from;
        if (auto* l2 = dynamic_cast<faiss::IndexFlatL2*>(to)) {
            l2->clear_l2norms();
        }
    });
}

// Standalone codes nobody vouches for: an IVF's code starts with its list number, which FAISS
// decodes and reconstructs from its quantizer unchecked.
int faissx_shim_Index_check_sa_codes(const void* index, int64_t n, const uint8_t* codes) {
    return guarded([&] {
        auto* target = static_cast<const faiss::Index*>(index);
        check_sub_indexes(target, 0);
        size_t code_size = target->sa_code_size();
        while (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(target)) {
            target = pt->index;
        }
        auto* ivf = dynamic_cast<const faiss::IndexIVF*>(target);
        if (!ivf) {
            return;
        }
        for (int64_t i = 0; i < n; i++) {
            faiss::idx_t list = ivf->decode_listno(codes + i * code_size);
            if (list < 0 || list >= faiss::idx_t(ivf->nlist)) {
                refuse("code %lld names inverted list %lld; the index has %zu",
                       (long long)i,
                       (long long)list,
                       ivf->nlist);
            }
        }
    });
}

// IndexIVF::search_preassigned with the lists checked: FAISS throws on a list number past
// nlist inside its OpenMP loop, which ends the process.
int faissx_shim_IndexIVF_search_preassigned(
        const void* index,
        int64_t n,
        const float* x,
        int64_t k,
        const int64_t* assign,
        const float* centroid_dis,
        float* distances,
        int64_t* labels,
        int store_pairs) {
    return guarded([&] {
        auto* ivf = dynamic_cast<const faiss::IndexIVF*>(static_cast<const faiss::Index*>(index));
        if (!ivf) {
            refuse("search_preassigned applies to IVF indexes");
        }
        FAISS_THROW_IF_NOT(k > 0);
        check_sub_indexes(ivf, 0);
        size_t nprobe = std::min(ivf->nlist, ivf->nprobe);
        for (size_t i = 0; i < size_t(n) * nprobe; i++) {
            if (assign[i] < -1 || assign[i] >= faiss::idx_t(ivf->nlist)) {
                refuse("assign[%zu] = %lld is not an inverted list (nlist = %zu) nor -1",
                       i,
                       (long long)assign[i],
                       ivf->nlist);
            }
        }
        ivf->search_preassigned(
                n, x, k, assign, centroid_dis, distances, labels, store_pairs != 0);
    });
}

// IndexBinaryIVF::search_preassigned with the lists checked as for IndexIVF's: FAISS throws on
// a list past nlist inside its OpenMP loop, which ends the process, and the per-list search
// buckets the list numbers unchecked (a negative one, -1 included, sends its in-place bucket
// sort outside its tables). nprobe is FAISS's signed count of the parameters' or the
// index's: past 2^63 its scan runs past the probed lists.
int faissx_shim_IndexBinaryIVF_search_preassigned(
        const void* index,
        int64_t n,
        const uint8_t* x,
        int64_t k,
        const int64_t* cidx,
        const int32_t* cdis,
        int32_t* dis,
        int64_t* idx,
        int store_pairs,
        const void* params) {
    return guarded([&] {
        auto* ivf = dynamic_cast<const faiss::IndexBinaryIVF*>(
                static_cast<const faiss::IndexBinary*>(index));
        if (!ivf) {
            refuse("search_preassigned applies to IVF indexes");
        }
        FAISS_THROW_IF_NOT(k > 0);
        check_lists(ivf, "IndexBinaryIVF");
        auto* p = static_cast<const faiss::SearchParametersIVF*>(params);
        size_t nprobe = p ? p->nprobe : ivf->nprobe;
        if (nprobe > size_t(std::numeric_limits<int64_t>::max())) {
            refuse("IndexBinaryIVF: nprobe = %zu is not a list count", nprobe);
        }
        nprobe = std::min(ivf->nlist, nprobe);
        faiss::idx_t lowest = ivf->per_invlist_search ? 0 : -1;
        for (size_t i = 0; i < size_t(n) * nprobe; i++) {
            if (cidx[i] < lowest || cidx[i] >= faiss::idx_t(ivf->nlist)) {
                refuse("cidx[%zu] = %lld is not an inverted list (nlist = %zu)%s",
                       i,
                       (long long)cidx[i],
                       ivf->nlist,
                       lowest < 0 ? " nor -1" : "");
            }
        }
        ivf->search_preassigned(n, x, k, cidx, cdis, dis, idx, store_pairs != 0, p);
    });
}

// IndexIVF::train_encoder with the lists checked: an encoder that reads them (the additive
// quantizers' fast-scan one) reconstructs each list's centroid unchecked, -1 included.
int faissx_shim_IndexIVF_train_encoder(
        void* index,
        int64_t n,
        const float* x,
        const int64_t* assign) {
    return guarded([&] {
        auto* ivf = dynamic_cast<faiss::IndexIVF*>(static_cast<faiss::Index*>(index));
        if (!ivf) {
            refuse("train_encoder applies to IVF indexes");
        }
        // No check of the encoder's training here (as for Train): training is what it lacks.
        // What reads the quantizer reads nlist centroids unchecked: an IVFPQ on residuals
        // precomputes its tables from all of them, and an untrained additive fast-scan
        // encoder on L2 residuals reads each vector's list's centroid (assign is required).
        bool needs_centroids = false;
        if (auto* pq = dynamic_cast<const faiss::IndexIVFPQ*>(ivf)) {
            needs_centroids = pq->by_residual;
        }
        if (auto* aq = dynamic_cast<const faiss::IndexIVFAdditiveQuantizerFastScan*>(ivf)) {
            if (aq->by_residual && aq->metric_type == faiss::METRIC_L2 && aq->aq &&
                !aq->aq->is_trained) {
                if (!assign) {
                    refuse("train_encoder of this index needs the vectors' lists (assign)");
                }
                needs_centroids = true;
            }
        }
        if (needs_centroids &&
            (!ivf->quantizer || ivf->quantizer->ntotal < faiss::idx_t(ivf->nlist))) {
            refuse("train_encoder: the quantizer holds %lld centroids for nlist = %zu; "
                   "train the quantizer first",
                   (long long)(ivf->quantizer ? ivf->quantizer->ntotal : 0),
                   ivf->nlist);
        }
        for (int64_t i = 0; assign && i < n; i++) {
            if (assign[i] < 0 || assign[i] >= faiss::idx_t(ivf->nlist)) {
                refuse("assign[%lld] = %lld is not an inverted list (nlist = %zu)",
                       (long long)i,
                       (long long)assign[i],
                       ivf->nlist);
            }
        }
        ivf->train_encoder(n, x, assign);
    });
}

// IndexIVF::add_core (each class's own) with the lists checked: FAISS adds to the list a
// vector names inside an OpenMP loop, unchecked (past nlist, it writes outside its lists),
// and an encoder on residuals reads that list's centroid.
int faissx_shim_IndexIVF_add_core(
        void* index,
        int64_t n,
        const float* x,
        const int64_t* xids,
        const int64_t* lists) {
    return guarded([&] {
        auto* ivf = dynamic_cast<faiss::IndexIVF*>(static_cast<faiss::Index*>(index));
        if (!ivf) {
            refuse("add_core applies to IVF indexes");
        }
        for (int64_t i = 0; i < n; i++) {
            if (lists[i] < -1 || lists[i] >= faiss::idx_t(ivf->nlist)) {
                refuse("precomputed_idx[%lld] = %lld is not an inverted list (nlist = %zu) "
                       "nor -1",
                       (long long)i,
                       (long long)lists[i],
                       ivf->nlist);
            }
        }
        if (ivf->by_residual &&
            (!ivf->quantizer || ivf->quantizer->ntotal < faiss::idx_t(ivf->nlist))) {
            refuse("add_core: the quantizer holds %lld centroids for nlist = %zu",
                   (long long)(ivf->quantizer ? ivf->quantizer->ntotal : 0),
                   ivf->nlist);
        }
        ivf->add_core(n, x, xids, lists);
    });
}

// IndexIVF::update_vectors with what it assumes checked first: FAISS checks each id as it
// updates (an error halfway leaves the index half updated), reads the list of an id stored in
// no list and of a vector the quantizer assigns none, and with a hashtable removes the ids
// before it finds one missing.
int faissx_shim_IndexIVF_update_vectors(void* index, int n, const int64_t* ids, const float* x) {
    return guarded([&] {
        auto* ivf = dynamic_cast<faiss::IndexIVF*>(static_cast<faiss::Index*>(index));
        if (!ivf) {
            refuse("update_vectors applies to IVF indexes");
        }
        if (n < 0) {
            refuse("n = %d is not a count", n);
        }
        check_sub_indexes(ivf, 0);
        const auto& dm = ivf->direct_map;
        auto in_a_list = [&](faiss::idx_t entry) {
            return entry >= 0 && faiss::lo_listno(entry) < ivf->nlist;
        };
        if (dm.type == faiss::DirectMap::Hashtable) {
            std::unordered_set<faiss::idx_t> seen;
            for (int i = 0; i < n; i++) {
                auto found = dm.hashtable.find(ids[i]);
                if (found == dm.hashtable.end() || !in_a_list(found->second)) {
                    refuse("ids[%d] = %lld is not a vector of the index", i, (long long)ids[i]);
                }
                if (!seen.insert(ids[i]).second) {
                    refuse("ids[%d] = %lld is given twice", i, (long long)ids[i]);
                }
            }
        } else if (dm.type == faiss::DirectMap::Array) {
            FAISS_THROW_IF_NOT(ivf->is_trained);
            for (int i = 0; i < n; i++) {
                if (ids[i] < 0 || ids[i] >= faiss::idx_t(dm.array.size()) ||
                    !in_a_list(dm.array[ids[i]])) {
                    refuse("ids[%d] = %lld is not a vector of the index", i, (long long)ids[i]);
                }
            }
            // The lists FAISS will assign, computed the same way first.
            std::vector<faiss::idx_t> lists(n);
            ivf->quantizer->assign(n, x, lists.data());
            for (int i = 0; i < n; i++) {
                if (lists[i] < 0 || lists[i] >= faiss::idx_t(ivf->nlist)) {
                    refuse("vector %d falls in no inverted list", i);
                }
            }
        }
        ivf->update_vectors(n, ids, x);
    });
}

int faissx_shim_Index_check_use(const void* index, int training) {
    return guarded([&] {
        check_parts(static_cast<const faiss::Index*>(index), 0);
        if (!training) {
            check_sub_indexes(static_cast<const faiss::Index*>(index), 0);
        }
    });
}

int faissx_shim_IndexBinary_check_use(const void* index) {
    return guarded([&] {
        auto* target = static_cast<const faiss::IndexBinary*>(index);
        auto* ivf = dynamic_cast<const faiss::IndexBinaryIVF*>(target);
        if (auto* idmap = dynamic_cast<const faiss::IndexBinaryIDMap*>(target)) {
            check_id_map(idmap);
            ivf = dynamic_cast<const faiss::IndexBinaryIVF*>(idmap->index);
        }
        if (ivf) {
            check_lists(ivf, "IndexBinaryIVF");
            // The binary IVF's heap search takes nprobe as a signed count: past 2^63 it turns
            // negative and the scan runs past the probed lists (found by the wire fuzzer).
            if (ivf->nprobe > size_t(std::numeric_limits<int64_t>::max())) {
                refuse("IndexBinaryIVF: nprobe = %zu is not a list count", ivf->nprobe);
            }
        }
    });
}

// Searches as Index::search with parameters (NULL for none), except that an IndexFlat whose
// IDSelectorRange selects nothing answers what FAISS answers when no vector is selected
// (labels -1, distances the heap's neutral value), and composites that would hand such a
// range to an IndexFlat refuse.
int faissx_shim_Index_search_with_params(
        const void* index,
        int64_t n,
        const float* x,
        int64_t k,
        const void* params,
        float* distances,
        int64_t* labels) {
    return guarded([&] {
        auto* target = static_cast<const faiss::Index*>(index);
        auto* p = static_cast<const faiss::SearchParameters*>(params);
        FAISS_THROW_IF_NOT(k > 0);
        // What FAISS answers when nothing is found, written before it runs: an IndexFlat with
        // no vector to search (empty, or an empty range) and 20 queries or more returns from
        // its BLAS path without writing a result, and composites over it (IndexIDMap) then
        // look up ids at whatever the caller's buffer held.
        float neutral = target->metric_type == faiss::METRIC_INNER_PRODUCT
                ? std::numeric_limits<float>::lowest()
                : std::numeric_limits<float>::max();
        std::fill(distances, distances + n * k, neutral);
        std::fill(labels, labels + n * k, int64_t(-1));
        if (auto* flat = range_flat(target)) {
            auto* range = root_range(p);
            if (range && range_selects_nothing(flat, range)) {
                return;
            }
        } else {
            check_forwarded_range(target, p, "index");
        }
        if (auto* hnsw_params = dynamic_cast<const faiss::SearchParametersHNSW*>(p)) {
            check_ef(hnsw_params->efSearch, "efSearch of the search parameters");
        }
        check_k(target, k);
        target->search(n, x, k, distances, labels, p);
    });
}

} // extern "C"

// ---- searches that answer each query as a search of it alone would ----
//
// faissx-server serves concurrent small searches of one index as one FAISS call. That is only
// right where FAISS answers a query the same, to the bit, whatever else the call holds. Per
// query, most indexes do; flat scans do not: from 20 queries up (distance_compute_blas_threshold)
// they compute distances with BLAS, as |x|^2 + |y|^2 - 2<x,y>, whose last bits differ from the
// direct per-query sums, and near-ties swap. A selector sends a flat scan down the per-query
// path whatever the number of queries, so one that selects everything gives each query of a
// batch the bits it gets alone. IVF indexes split their queries among threads and scan the
// quantizer per slice: the same selector goes to a flat quantizer.

namespace {

faiss::IDSelectorAll select_everything;

const faiss::Index* under_id_maps(const faiss::Index* index) {
    while (auto* id_map = dynamic_cast<const faiss::IndexIDMap*>(index)) {
        index = id_map->index;
    }
    return index;
}

// A flat index FAISS scans pair by pair. Not one of dimension 0 (a default-constructed
// IndexFlat): every distance is 0 whatever the path, and scan_blocks sizes its blocks by d.
bool is_flat_scan(const faiss::Index* index) {
    auto* flat = dynamic_cast<const faiss::IndexFlat*>(index);
    return flat && flat->d > 0 && typeid(*flat) != typeid(faiss::IndexFlat1D) &&
            (flat->metric_type == faiss::METRIC_L2 ||
             flat->metric_type == faiss::METRIC_INNER_PRODUCT);
}

// Parameters for a batched search, built from what the caller gave (without a selector).
struct PerQueryParams {
    faiss::SearchParameters flat;
    faiss::SearchParametersIVF ivf;
    faiss::SearchParameters quantizer;
    const faiss::SearchParameters* params = nullptr;

    PerQueryParams(const faiss::Index* index, const faiss::SearchParameters* given) {
        params = given;
        const faiss::Index* inner = under_id_maps(index);
        if (is_flat_scan(inner)) {
            flat.sel = &select_everything;
            params = &flat;
        } else if (auto* ivf_index = dynamic_cast<const faiss::IndexIVF*>(inner)) {
            if (!is_flat_scan(ivf_index->quantizer)) {
                return;
            }
            if (auto* given_ivf = dynamic_cast<const faiss::SearchParametersIVF*>(given)) {
                ivf = *given_ivf;
            } else if (given) {
                return; // FAISS refuses other parameters for an IVF index; let it say so
            } else {
                ivf.nprobe = ivf_index->nprobe;
                ivf.max_codes = ivf_index->max_codes;
            }
            if (!ivf.quantizer_params) {
                quantizer.sel = &select_everything;
                ivf.quantizer_params = &quantizer;
            }
            params = &ivf;
        }
    }
};

#if FAISSX_DISTANCE_TILES
template <int Q, int V>
void tile_of(
        const float* const* xq,
        const float* y,
        size_t d,
        size_t rows,
        float* out,
        size_t stride,
        bool l2) {
    l2 ? faissx::distance_rows<Q, true, V>(xq, y, d, rows, out, stride)
       : faissx::distance_rows<Q, false, V>(xq, y, d, rows, out, stride);
}

// out[q * stride + j] = distance(xq[q], y + j * d) for the `group` queries (1 to 4) and the
// `rows` rows, in the tile shape the flat scans use: 4 queries by 3 rows; fewer queries by as
// many rows as make 8 chains while the rows are in cache, by 2 rows when they come from memory
// (fewer streams for the prefetchers to follow).
void distance_group(
        const float* const* xq,
        int group,
        const float* y,
        size_t d,
        size_t rows,
        float* out,
        size_t stride,
        bool l2,
        bool from_memory) {
    switch (group) {
        case 4:
            return tile_of<4, 3>(xq, y, d, rows, out, stride, l2);
        case 3:
            return tile_of<3, 2>(xq, y, d, rows, out, stride, l2);
        case 2:
            return from_memory ? tile_of<2, 2>(xq, y, d, rows, out, stride, l2)
                               : tile_of<2, 4>(xq, y, d, rows, out, stride, l2);
        default:
            return tile_of<1, 8>(xq, y, d, rows, out, stride, l2);
    }
}

// Whether distance_group gives fvec_L2sqr's and fvec_inner_product's bits for `group` queries
// x[0 .. group*d) against the 8 rows y[0 .. 8*d).
bool group_agrees(const float* x, const float* y, size_t d, int group, bool from_memory) {
    const float* queries[4];
    for (int q = 0; q < group; q++) {
        queries[q] = x + q * d;
    }
    float l2[4 * 8], ip[4 * 8];
    distance_group(queries, group, y, d, 8, l2, 8, true, from_memory);
    distance_group(queries, group, y, d, 8, ip, 8, false, from_memory);
    for (int q = 0; q < group; q++) {
        for (int j = 0; j < 8; j++) {
            float want_l2 = faiss::fvec_L2sqr(queries[q], y + j * d, d);
            float want_ip = faiss::fvec_inner_product(queries[q], y + j * d, d);
            if (std::memcmp(&want_l2, &l2[q * 8 + j], sizeof(float)) != 0 ||
                std::memcmp(&want_ip, &ip[q * 8 + j], sizeof(float)) != 0) {
                return false;
            }
        }
    }
    return true;
}
#endif

// Whether distance_tiles.h gives FAISS's bits in this build: its order of operations is what
// GCC made of FAISS's loop, so it is compared with FAISS's functions once, on pairs whose
// sums round differently in any other order.
bool tiles_match_faiss() {
#if FAISSX_DISTANCE_TILES
    static const bool agree = [] {
        std::vector<float> x(4 * 1024), y(8 * 1024);
        uint64_t state = 0x9E3779B97F4A7C15ull;
        auto next = [&] {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            // Magnitudes from 2^-8 to 2^8, both signs: sums that lose bits when regrouped.
            float mantissa = float((state >> 40) & 0xFFFFFF) / float(1 << 24);
            int exponent = int((state >> 20) % 17) - 8;
            return std::ldexp(state & 1 ? mantissa : -mantissa, exponent);
        };
        for (auto& v : x) {
            v = next();
        }
        for (auto& v : y) {
            v = next();
        }
        for (size_t d : {8, 16, 24, 128, 1024}) {
            // Every tile shape the scans use, over 8 rows (so the last rows of the shapes
            // with 3 side by side go one at a time, as they do there).
            for (bool from_memory : {false, true}) {
                for (int group = 1; group <= 4; group++) {
                    if (!group_agrees(x.data(), y.data(), d, group, from_memory)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }();
    return agree;
#else
    return false;
#endif
}

// The distance table of a row-split scan (below). Tables are kept between scans, so that a
// scan writes into pages already faulted in whatever the allocator does with a 16 MB buffer
// (the server gives its free heap back to the system whenever it goes idle,
// src/server/budget.rs): faulting a fresh table in page by page took a fifth of a batch's
// time. Each is table_bytes, and at most kept_tables stay kept, so what scans hold between
// requests is bounded whatever the number of threads.
constexpr size_t table_bytes = size_t(16) << 20;
constexpr size_t kept_tables = 2;

class DistanceTable {
   public:
    DistanceTable() {
        {
            std::lock_guard<std::mutex> lock(pool_mutex());
            if (!pool().empty()) {
                floats_ = std::move(pool().back());
                pool().pop_back();
            }
        }
        if (!floats_) {
            floats_.reset(new float[table_bytes / sizeof(float)]);
        }
    }
    ~DistanceTable() {
        std::lock_guard<std::mutex> lock(pool_mutex());
        if (pool().size() < kept_tables) {
            pool().push_back(std::move(floats_));
        }
    }
    DistanceTable(const DistanceTable&) = delete;
    DistanceTable& operator=(const DistanceTable&) = delete;
    float* get() const {
        return floats_.get();
    }

   private:
    static std::mutex& pool_mutex() {
        static std::mutex mutex;
        return mutex;
    }
    static std::vector<std::unique_ptr<float[]>>& pool() {
        static std::vector<std::unique_ptr<float[]>> kept;
        return kept;
    }
    std::unique_ptr<float[]> floats_;
};

// result.add_result(row[j], first + j) for j < count. FAISS's handlers change nothing for a
// distance not better than their threshold, and their threshold only tightens, so distances
// are compared with it 8 at a time and only those better are handed over, in order: the same
// results for a fraction of the calls.
template <class C>
C comparison_of(const faiss::ResultHandler<C>&); // only named in decltype

template <class Single>
void feed_row(Single& result, const float* row, size_t count, size_t first) {
    size_t j = 0;
#if FAISSX_DISTANCE_TILES
    using C = decltype(comparison_of(result));
    for (; j + 8 <= count; j += 8) {
        __m256 distances = _mm256_loadu_ps(row + j);
        __m256 threshold = _mm256_set1_ps(result.threshold);
        // C::cmp(threshold, distance), false for NaN as there.
        __m256 better = C::is_max ? _mm256_cmp_ps(threshold, distances, _CMP_GT_OQ)
                                  : _mm256_cmp_ps(threshold, distances, _CMP_LT_OQ);
        for (unsigned lanes = unsigned(_mm256_movemask_ps(better)); lanes; lanes &= lanes - 1) {
            unsigned lane = unsigned(__builtin_ctz(lanes));
            result.add_result(row[j + lane], first + j + lane);
        }
    }
#endif
    for (; j < count; j++) {
        result.add_result(row[j], first + j);
    }
}

// table[q * ny + j] = distance(queries[q], row j) for the rows j0 .. j0 + block (up to ny), the
// rows coming from memory: tiles of up to 4 queries (distance_group); a query left alone goes
// row after row, as FAISS's loop does, which memory bandwidth favours over rows side by side.
void scan_rows_into(
        const std::vector<const float*>& queries,
        const float* y,
        size_t d,
        size_t j0,
        size_t block,
        size_t ny,
        bool l2,
        bool tiled,
        float* table) {
    size_t rows = std::min(ny, j0 + block) - j0;
    const float* yj0 = y + j0 * d;
    int64_t n = int64_t(queries.size());
    for (int64_t q = 0; q < n;) {
        int64_t left = n - q;
        float* out = table + q * ny + j0;
#if FAISSX_DISTANCE_TILES
        if (tiled && left >= 2) {
            int group = int(std::min<int64_t>(left, 4));
            distance_group(&queries[q], group, yj0, d, rows, out, ny, l2, true);
            q += group;
            continue;
        }
#endif
        const float* yj = yj0;
        for (size_t j = 0; j < rows; j++, yj += d) {
            out[j] = l2 ? faiss::fvec_L2sqr(queries[q], yj, d)
                        : faiss::fvec_inner_product(queries[q], yj, d);
        }
        q++;
    }
}

// FAISS's per-query flat scan (exhaustive_L2sqr_seq, exhaustive_inner_product_seq) streams the
// whole index once per query: with many queries and an index larger than the caches, memory
// bandwidth bounds it. This is the same scan, block by block of the index, each block scanned
// for every query of the thread while it is in cache, up to 4 queries at once through
// distance_tiles.h. Each query's results still come from FAISS's result handler, fed FAISS's
// distances in the same order (rows in increasing order), so they are the bits FAISS's
// per-query scan gives.
template <class BlockHandler>
void scan_blocks(
        const faiss::IndexFlat& flat,
        int64_t n,
        const float* x,
        BlockHandler& handler,
        bool l2) {
    using Single = typename BlockHandler::SingleResultHandler;
    size_t d = flat.d;
    size_t ny = flat.ntotal;
    const float* y = flat.get_xb();
    // A block is 256 KB of stored vectors: it stays in a core's L2 while every query of the
    // thread scans it.
    size_t block = std::max<size_t>(16, (256 << 10) / (d * sizeof(float)));
    bool tiled = d % 8 == 0 && tiles_match_faiss();
    // A query scanned alone through tiles reads rows side by side: faster while the index is
    // in cache, slower than FAISS's row-after-row loop where memory bandwidth bounds the scan.
    bool in_cache = ny * d * sizeof(float) <= (size_t(8) << 20);
    bool tile_alone = tiled && in_cache;
    int max_threads = omp_get_max_threads();
    // An index larger than the caches: split among the threads by queries, each thread would
    // stream the whole index from memory, and a lone query would be bound by the bandwidth
    // one core gets. So the threads split the rows instead, each computing its rows' distances
    // for the queries that fit in a table (table_bytes), and each query's handler is then fed
    // the table in row order, as FAISS feeds it. The index is then read once per table of
    // queries: taken where that is no more often than once per thread, as a split by queries
    // would read it.
    int64_t per_table = in_cache ? 0 : int64_t(table_bytes / (ny * sizeof(float)));
    if (per_table > 0 && (n + per_table - 1) / per_table <= max_threads) {
        DistanceTable kept;
        float* table = kept.get();
        int64_t blocks = int64_t((ny + block - 1) / block);
        for (int64_t q0 = 0; q0 < n; q0 += per_table) {
            int64_t q1 = std::min(n, q0 + per_table);
#pragma omp parallel
            {
                std::vector<const float*> queries(q1 - q0);
                for (int64_t q = q0; q < q1; q++) {
                    queries[q - q0] = x + q * d;
                }
                // Blocks are handed out as threads free up: a thread the clients' threads
                // preempt does fewer, instead of the others waiting for it at the end.
#pragma omp for schedule(dynamic)
                for (int64_t b = 0; b < blocks; b++) {
                    scan_rows_into(queries, y, d, size_t(b) * block, block, ny, l2, tiled, table);
                }
            }
#pragma omp parallel for if (q1 - q0 > 1)
            for (int64_t q = q0; q < q1; q++) {
                Single result(handler);
                result.begin(q);
                feed_row(result, table + (q - q0) * ny, ny, 0);
                result.end();
            }
        }
        return;
    }
    int threads = int(std::min<int64_t>(n, max_threads));
#pragma omp parallel num_threads(threads)
    {
        int thread = omp_get_thread_num();
        int team = omp_get_num_threads();
        std::vector<std::unique_ptr<Single>> mine;
        std::vector<const float*> queries;
        for (int64_t i = thread; i < n; i += team) {
            mine.emplace_back(new Single(handler));
            mine.back()->begin(i);
            queries.push_back(x + i * d);
        }
        std::vector<float> distances(tiled ? 4 * block : 0);
        for (size_t j0 = 0; j0 < ny; j0 += block) {
            size_t j1 = std::min(ny, j0 + block);
            size_t rows = j1 - j0;
            const float* yj0 = y + j0 * d;
            for (size_t q = 0; q < mine.size();) {
                size_t group = 1;
#if FAISSX_DISTANCE_TILES
                size_t left = mine.size() - q;
                if (tiled && (left >= 2 || tile_alone)) {
                    group = left >= 4 ? 4 : left >= 2 ? 2 : 1;
                    float* out = distances.data();
                    distance_group(&queries[q], int(group), yj0, d, rows, out, rows, l2, false);
                    for (size_t g = 0; g < group; g++) {
                        Single& result = *mine[q + g];
                        feed_row(result, out + g * rows, rows, j0);
                    }
                    q += group;
                    continue;
                }
#endif
                Single& result = *mine[q];
                const float* xi = queries[q];
                const float* yj = yj0;
                for (size_t j = j0; j < j1; j++, yj += d) {
                    float distance = l2 ? faiss::fvec_L2sqr(xi, yj, d)
                                        : faiss::fvec_inner_product(xi, yj, d);
                    result.add_result(distance, j);
                }
                q += group;
            }
        }
        for (auto& result : mine) {
            result->end();
        }
    }
}

// The handler FAISS's knn_L2sqr / knn_inner_product pick for k (dispatch_knn_ResultHandler).
template <class C>
void scan_with_handler(
        const faiss::IndexFlat& flat,
        int64_t n,
        const float* x,
        int64_t k,
        float* distances,
        int64_t* labels,
        bool l2) {
    if (k == 1) {
        faiss::Top1BlockResultHandler<C, false> handler(n, distances, labels);
        scan_blocks(flat, n, x, handler, l2);
    } else if (k < faiss::distance_compute_min_k_reservoir) {
        faiss::HeapBlockResultHandler<C, false> handler(n, distances, labels, k);
        scan_blocks(flat, n, x, handler, l2);
    } else {
        faiss::ReservoirBlockResultHandler<C, false> handler(n, distances, labels, k);
        scan_blocks(flat, n, x, handler, l2);
    }
}

void scan_flat_in_blocks(
        const faiss::IndexFlat& flat,
        int64_t n,
        const float* x,
        int64_t k,
        float* distances,
        int64_t* labels) {
    if (flat.metric_type == faiss::METRIC_L2) {
        scan_with_handler<faiss::CMax<float, int64_t>>(flat, n, x, k, distances, labels, true);
    } else {
        scan_with_handler<faiss::CMin<float, int64_t>>(flat, n, x, k, distances, labels, false);
    }
}

} // namespace

extern "C" {

// Before a write (add, remove, reset, merge) to `index`: refuses indexes whose storage FAISS
// mapped read-only from a file (read_index with IO_FLAG_MMAP or IO_FLAG_MMAP_IFC), which FAISS
// throws on from inside OpenMP or asserts on: either ends the process.
int faissx_shim_Index_check_writable(const void* index) {
    return guarded([&] {
        const faiss::Index* target = static_cast<const faiss::Index*>(index);
        check_parts(target, 0);
        for (int depth = 0; target && depth < 64; depth++) {
            if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(target)) {
                auto* on_disk = dynamic_cast<const faiss::OnDiskInvertedLists*>(ivf->invlists);
                if ((on_disk && on_disk->read_only) ||
                    dynamic_cast<const faiss::ReadOnlyInvertedLists*>(ivf->invlists)) {
                    refuse("the index's inverted lists are mapped read-only from its file (read "
                           "with IO_FLAG_MMAP): read it without the flag to change it");
                }
                auto* lists = dynamic_cast<const faiss::ArrayInvertedLists*>(ivf->invlists);
                for (size_t i = 0; lists && i < lists->codes.size(); i++) {
                    if (!lists->codes[i].is_owned || !lists->ids[i].is_owned) {
                        refuse("the index's inverted lists are mapped from its file (read with "
                               "IO_FLAG_MMAP_IFC): read it without the flag to change it");
                    }
                }
                return;
            }
            if (auto* flat = dynamic_cast<const faiss::IndexFlatCodes*>(target)) {
                if (!flat->codes.is_owned) {
                    refuse("the index's vectors are mapped from its file (read with "
                           "IO_FLAG_MMAP_IFC): read it without the flag to change it");
                }
                return;
            }
            if (auto* idmap = dynamic_cast<const faiss::IndexIDMap*>(target)) {
                target = idmap->index;
            } else if (auto* pt = dynamic_cast<const faiss::IndexPreTransform*>(target)) {
                target = pt->index;
            } else {
                return;
            }
        }
    });
}

int faissx_shim_Index_check_parts(const void* index) {
    return guarded([&] { check_parts(static_cast<const faiss::Index*>(index), 0); });
}

// What FAISS's constructor without arguments makes of `cls`, for the server (the library calls
// FAISS's C constructors itself). Its IndexPreTransform owns the transforms a client prepends.
int faissx_shim_new_default(const char* cls, void** out) {
    return guarded([&] {
        const std::string name(cls);
        faiss::Index* made = nullptr;
        if (name == "IndexFlat") {
            made = new faiss::IndexFlat();
        } else if (name == "IndexFlatL2") {
            made = new faiss::IndexFlatL2();
        } else if (name == "IndexFlatIP") {
            made = new faiss::IndexFlatIP();
        } else if (name == "IndexScalarQuantizer") {
            made = new faiss::IndexScalarQuantizer();
        } else if (name == "IndexIVFFlat") {
            made = new faiss::IndexIVFFlat();
        } else if (name == "IndexIVFScalarQuantizer") {
            made = new faiss::IndexIVFScalarQuantizer();
        } else if (name == "IndexPreTransform") {
            made = new PreTransformOwningItsChain();
        } else {
            refuse("%.100s has no constructor without arguments here", cls);
        }
        *out = made;
    });
}

// IndexIVF::copy_subset_to with the arguments FAISS uses unchecked refused first: it divides by
// a1 (subset types 1 and 3) and by the source's entry count (type 2), reads entries its
// arithmetic puts past a list's end when a1 and a2 are out of range, and reads and writes the
// lists of `other` through an IndexIVF it never checked `other` is.
int faissx_shim_IndexIVF_copy_subset_to(
        const void* index,
        void* other,
        int subset_type,
        int64_t a1,
        int64_t a2) {
    return guarded([&] {
        auto* source = dynamic_cast<const faiss::IndexIVF*>(static_cast<const faiss::Index*>(index));
        auto* target = dynamic_cast<faiss::IndexIVF*>(static_cast<faiss::Index*>(other));
        if (!source || !target) {
            refuse("copy_subset_to: %s is not an IndexIVF", source ? "other" : "index");
        }
        if (source == target) {
            // Entries would be appended to the lists being read.
            refuse("copy_subset_to: index and other are the same index; copy into another one");
        }
        check_parts(source, 0);
        if (faissx_shim_Index_check_writable(target) != 0) {
            throw Refused(last_error);
        }
        const faiss::InvertedLists& from = *source->invlists;
        FAISS_THROW_IF_NOT_MSG(
                from.nlist == target->invlists->nlist,
                "copy_subset_to: the two indexes have different numbers of inverted lists");
        FAISS_THROW_IF_NOT_MSG(
                from.code_size == target->invlists->code_size,
                "copy_subset_to: the two indexes have different code sizes");
        size_t longest = 0;
        for (size_t list = 0; list < from.nlist; list++) {
            longest = std::max(longest, from.list_size(list));
        }
        switch (subset_type) {
            case faiss::InvertedLists::SUBSET_TYPE_ID_RANGE:
            case faiss::InvertedLists::SUBSET_TYPE_INVLIST:
                break;
            case faiss::InvertedLists::SUBSET_TYPE_ID_MOD:
                if (a1 <= 0) {
                    refuse("copy_subset_to: subset_type 1 copies the ids with id %% a1 == a2; a1 "
                           "must be > 0 (got %lld)",
                           (long long)a1);
                }
                break;
            case faiss::InvertedLists::SUBSET_TYPE_ELEMENT_RANGE: {
                size_t entries = from.compute_ntotal();
                if (a1 < 0 || a1 > a2 || size_t(a2) > entries) {
                    refuse("copy_subset_to: subset_type 2 copies entries a1 to a2 of the lists "
                           "taken in order; needs 0 <= a1 <= a2 <= %zu (got a1 = %lld, a2 = %lld)",
                           entries,
                           (long long)a1,
                           (long long)a2);
                }
                if (entries == 0) {
                    return; // nothing to copy, and FAISS would divide by the count
                }
                if (size_t(a2) > std::numeric_limits<size_t>::max() / entries) {
                    refuse("copy_subset_to: subset_type 2 over %zu entries overflows", entries);
                }
                break;
            }
            case faiss::InvertedLists::SUBSET_TYPE_INVLIST_FRACTION:
                if (a2 < 0 || a2 >= a1) {
                    refuse("copy_subset_to: subset_type 3 copies fraction a2 of a1 of each list; "
                           "needs 0 <= a2 < a1 (got a1 = %lld, a2 = %lld)",
                           (long long)a1,
                           (long long)a2);
                }
                if (longest > 0 && size_t(a1) > std::numeric_limits<size_t>::max() / longest) {
                    refuse("copy_subset_to: subset_type 3 with a1 = %lld overflows", (long long)a1);
                }
                break;
            default:
                refuse("copy_subset_to: subset_type %d is not one of FAISS's (0 to 4)", subset_type);
        }
        source->copy_subset_to(
                *target, static_cast<faiss::InvertedLists::subset_type_t>(subset_type), a1, a2);
    });
}

int faissx_shim_Index_searches_independently(const void* index) {
    auto* inner = under_id_maps(static_cast<const faiss::Index*>(index));
    if (is_flat_scan(inner)) {
        return 1;
    }
    if (auto* ivf = dynamic_cast<const faiss::IndexIVF*>(inner)) {
        // These scan each query's lists on their own; fast-scan IVF indexes quantize their
        // lookup tables per block of queries, so not them.
        auto& type = typeid(*ivf);
        bool per_query = type == typeid(faiss::IndexIVFFlat) ||
                type == typeid(faiss::IndexIVFPQ) ||
                type == typeid(faiss::IndexIVFScalarQuantizer);
        return per_query && is_flat_scan(ivf->quantizer);
    }
    auto& type = typeid(*inner);
    return type == typeid(faiss::IndexHNSWFlat) || type == typeid(faiss::IndexHNSWSQ) ||
            type == typeid(faiss::IndexScalarQuantizer);
}

int faissx_shim_IndexBinary_searches_independently(const void* index) {
    auto& type = typeid(*static_cast<const faiss::IndexBinary*>(index));
    return type == typeid(faiss::IndexBinaryFlat) || type == typeid(faiss::IndexBinaryIVF);
}

int faissx_shim_Index_search_each(
        const void* index,
        int64_t n,
        const float* x,
        int64_t k,
        const void* params,
        float* distances,
        int64_t* labels) {
    auto* target = static_cast<const faiss::Index*>(index);
    if (is_flat_scan(target) && !params) {
        return guarded([&] {
            FAISS_THROW_IF_NOT(k > 0);
            scan_flat_in_blocks(
                    *static_cast<const faiss::IndexFlat*>(target), n, x, k, distances, labels);
        });
    }
    PerQueryParams per_query(
            static_cast<const faiss::Index*>(index),
            static_cast<const faiss::SearchParameters*>(params));
    return faissx_shim_Index_search_with_params(
            index, n, x, k, per_query.params, distances, labels);
}

// Whether flat scans of the server take distance_tiles.h (tests check that a build with AVX2
// and FMA does).
int faissx_shim_flat_tiles_match() {
    return tiles_match_faiss() ? 1 : 0;
}

int faissx_shim_search_threads() {
    return omp_get_max_threads();
}

// faissx-server's search of one request: FAISS's, except where FAISS scans a flat index query
// by query (fewer queries than its BLAS threshold, no parameters): scan_flat_in_blocks gives
// those bits sooner.
int faissx_shim_Index_search_served(
        const void* index,
        int64_t n,
        const float* x,
        int64_t k,
        const void* params,
        float* distances,
        int64_t* labels) {
    auto* target = static_cast<const faiss::Index*>(index);
    if (!params && n > 0 && n < faiss::distance_compute_blas_threshold && is_flat_scan(target)) {
        return faissx_shim_Index_search_each(index, n, x, k, params, distances, labels);
    }
    return faissx_shim_Index_search_with_params(index, n, x, k, params, distances, labels);
}

int faissx_shim_Index_reconstruct(const void* index, int64_t key, float* recons) {
    return guarded([&] {
        auto* target = static_cast<const faiss::Index*>(index);
        check_sub_indexes(target, 0);
        check_positions(target, key, 1);
        target->reconstruct(key, recons);
    });
}

int faissx_shim_IndexBinary_reconstruct(const void* index, int64_t key, uint8_t* recons) {
    return guarded([&] {
        auto* target = static_cast<const faiss::IndexBinary*>(index);
        check_binary_positions(target, key, 1);
        target->reconstruct(key, recons);
    });
}

int faissx_shim_Index_reconstruct_n(const void* index, int64_t i0, int64_t ni, float* recons) {
    return guarded([&] { reconstruct_checked(static_cast<const faiss::Index*>(index), i0, ni, recons); });
}

// Index::compute_residual_n reconstructs inside an OpenMP region: one key at a time instead.
int faissx_shim_Index_compute_residual_n(
        const void* index,
        int64_t n,
        const float* xs,
        float* residuals,
        const int64_t* keys) {
    return guarded([&] {
        auto* target = static_cast<const faiss::Index*>(index);
        check_sub_indexes(target, 0);
        for (int64_t i = 0; i < n; i++) {
            check_positions(target, keys[i], 1);
            target->compute_residual(xs + i * target->d, residuals + i * target->d, keys[i]);
        }
    });
}

// IndexBinaryIVF::reconstruct_n writes code i at recons + i * d, d being bits, not bytes: eight
// times past where it belongs, out of the caller's buffer. The same loop with the code size.
int faissx_shim_IndexBinary_reconstruct_n(const void* index, int64_t i0, int64_t ni, uint8_t* recons) {
    return guarded([&] {
        auto* target = static_cast<const faiss::IndexBinary*>(index);
        check_binary_positions(target, i0, ni);
        auto* ivf = dynamic_cast<const faiss::IndexBinaryIVF*>(target);
        if (!ivf) {
            for (int64_t i = 0; i < ni; i++) {
                target->reconstruct(i0 + i, recons + i * target->code_size);
            }
            return;
        }
        FAISS_THROW_IF_NOT(ni == 0 || (i0 >= 0 && i0 + ni <= ivf->ntotal));
        for (size_t list_no = 0; list_no < ivf->nlist; list_no++) {
            size_t list_size = ivf->invlists->list_size(list_no);
            faiss::InvertedLists::ScopedIds ids(ivf->invlists, list_no);
            for (size_t offset = 0; offset < list_size; offset++) {
                int64_t id = ids[offset];
                if (id >= i0 && id < i0 + ni) {
                    ivf->reconstruct_from_offset(
                            list_no, offset, recons + (id - i0) * ivf->code_size);
                }
            }
        }
    });
}

// Refuses (and leaves to the caller to free) an index whose parameters FAISS's constructors
// accept but its code divides by, indexes tables with, or loops on.
int faissx_shim_check_index(const void* index) {
    return guarded([&] { check_structure(static_cast<const faiss::Index*>(index), 0); });
}
int faissx_shim_check_index_binary(const void* index) {
    return guarded([&] { check_binary_structure(static_cast<const faiss::IndexBinary*>(index), 0); });
}

} // extern "C"

// ---- reading index bytes that came from a client ----
//
// FAISS's reader allocates every array at the size the bytes declare before it reads the array
// (READVECTOR), so 45 bytes declaring a 3 GB array make it allocate 3 GB, and a few hundred
// bytes declaring many lists of 16 MB each allocate (and zero) them one after the other. While
// untrusted bytes are read, what FAISS allocates in all may not exceed a few times what the
// bytes hold (vectors that grow reallocate), plus slack for the small structures it derives
// while reading. The budget is per thread: it limits only the read on the calling thread.

// The allocation budget of the read in progress on this thread, spent by the replacement of
// the global operator new that faissx-server links (src/server/alloc.cpp): the budget is the
// server's concern, and a library must not replace a program's allocator. Without that
// replacement (libfaissx in a user's process), the budget is not enforced.
namespace faissx {
thread_local size_t allocation_budget = std::numeric_limits<size_t>::max();
thread_local bool allocation_refused = false;
} // namespace faissx

namespace {

using faissx::allocation_budget;
using faissx::allocation_refused;

// Reads from the caller's buffer in place (VectorIOReader would copy it first).
struct SliceReader : faiss::IOReader {
    const uint8_t* data;
    size_t size;
    size_t at = 0;

    SliceReader(const uint8_t* data, size_t size) : data(data), size(size) {
        name = "index bytes";
    }

    size_t operator()(void* ptr, size_t unit, size_t count) override {
        if (unit == 0 || count == 0) {
            return 0;
        }
        size_t whole = std::min(count, (size - at) / unit);
        std::memcpy(ptr, data + at, whole * unit);
        at += whole * unit;
        if (guard_rev_maps && whole == 1) {
            watch_id_map2_header(ptr, unit);
        }
        return whole;
    }

    // FAISS's reader rebuilds an IndexIDMap2's reverse map from the count in its header,
    // before anything compares that count with the ids it read: bytes declaring more vectors
    // than ids make it read past the id table. With this on, FAISS is handed a count of 0 in
    // each IDMap2 header it reads (nothing to rebuild), and restore_rev_maps checks the ids and
    // rebuilds the maps after the read.
    bool guard_rev_maps = false;
    // The counts the IDMap2 headers declared, in the order FAISS read them.
    std::vector<int64_t> id_map2_counts;

   private:
    // Reads of one 4-byte field left before the header's 8-byte count (d, and a binary
    // index's code_size), or -1 outside an IDMap2 header.
    int fields_before_count = -1;

    void watch_id_map2_header(void* ptr, size_t unit) {
        if (fields_before_count > 0) {
            fields_before_count = unit == 4 ? fields_before_count - 1 : -1;
            return;
        }
        if (fields_before_count == 0) {
            fields_before_count = -1;
            if (unit == 8) {
                int64_t declared;
                std::memcpy(&declared, ptr, 8);
                id_map2_counts.push_back(declared);
                std::memset(ptr, 0, 8);
                return;
            }
        }
        if (unit == 4) {
            if (std::memcmp(ptr, "IxM2", 4) == 0) {
                fields_before_count = 1;
            } else if (std::memcmp(ptr, "IBM2", 4) == 0) {
                fields_before_count = 2;
            }
        }
    }
};

// After a read with guard_rev_maps: each IDMap2, met in the order FAISS read them (each
// before its sub-index), must hold one id per vector of its sub-index and per vector its
// header declared; it gets its count back and its reverse map. `next` counts the IDMap2s.
template <typename Index, typename IDMap2>
void restore_rev_maps(const Index* index, int depth, const std::vector<int64_t>& declared, size_t& next) {
    if (!index) {
        return;
    }
    if (depth > 64) {
        refuse("the index nests more than 64 levels of sub-indexes");
    }
    if (auto* two_way = dynamic_cast<const IDMap2*>(index)) {
        auto* writable = const_cast<IDMap2*>(two_way);
        if (next >= declared.size()) {
            refuse("the index bytes could not be read safely (an IndexIDMap2 header was missed)");
        }
        long long count = declared[next++];
        if (!writable->index || size_t(writable->index->ntotal) != writable->id_map.size() ||
            count != writable->index->ntotal) {
            refuse("IndexIDMap2: the bytes declare %lld vectors and hold %zu ids for %lld",
                   count,
                   writable->id_map.size(),
                   writable->index ? (long long)writable->index->ntotal : 0LL);
        }
        writable->ntotal = count;
        writable->construct_rev_map();
    }
    for_each_sub_index(index, [&](const Index* sub) {
        restore_rev_maps<Index, IDMap2>(sub, depth + 1, declared, next);
    });
}

// Reads an index with guard_rev_maps, then restores what it zeroed.
template <typename Index, typename IDMap2, typename Read>
Index* read_guarding_rev_maps(SliceReader& reader, Read&& read) {
    reader.guard_rev_maps = true;
    std::unique_ptr<Index> index(read());
    size_t restored = 0;
    restore_rev_maps<Index, IDMap2>(index.get(), 0, reader.id_map2_counts, restored);
    if (restored != reader.id_map2_counts.size()) {
        // A field that only looked like an IDMap2 header was zeroed: the bytes as read are
        // not the bytes sent.
        refuse("the index bytes could not be read safely (an IndexIDMap2 header that is not "
               "one)");
    }
    return index.release();
}

constexpr size_t UNTRUSTED_READ_GROWTH = 4;
constexpr size_t UNTRUSTED_READ_SLACK = size_t(64) << 20;

template <typename Read>
void read_capped(size_t size, Read&& read) {
    size_t saved = allocation_budget;
    allocation_budget = size * UNTRUSTED_READ_GROWTH + UNTRUSTED_READ_SLACK;
    allocation_refused = false;
    try {
        read();
    } catch (const std::bad_alloc&) {
        allocation_budget = saved;
        if (allocation_refused) {
            throw std::runtime_error(
                    "the index bytes (" + std::to_string(size) +
                    " of them) declare more data than they hold: truncated or corrupt");
        }
        throw;
    } catch (...) {
        allocation_budget = saved;
        throw;
    }
    allocation_budget = saved;
}

// A VectorTransform read from untrusted bytes under the allocation cap, which must feed
// vectors of dimension `d_out`.
std::unique_ptr<faiss::VectorTransform> read_transform_untrusted(
        const uint8_t* buf,
        size_t size,
        int d_out) {
    SliceReader reader(buf, size);
    faiss::VectorTransform* read = nullptr;
    read_capped(size, [&] { read = faiss::read_VectorTransform(&reader); });
    std::unique_ptr<faiss::VectorTransform> transform(read);
    if (transform->d_in <= 0) {
        refuse("the transform takes vectors of dimension %d", transform->d_in);
    }
    // FAISS's own check (and error) where a caller's transform meets the index.
    FAISS_THROW_IF_NOT_FMT(
            transform->d_out == d_out,
            "the transform maps dimension %d to %d; the index it feeds has dimension %d",
            transform->d_in,
            transform->d_out,
            d_out);
    return transform;
}

} // namespace

extern "C" {

// Reads an index from untrusted bytes under the allocation cap. IVFPQ's precomputed table is
// derived, often larger than the file, and bounded by FAISS itself: it is built after the
// capped read, as read_index would build it.
int faissx_shim_read_index_untrusted(const uint8_t* buf, size_t size, int binary, void** out) {
    return guarded([&] {
        SliceReader reader(buf, size);
        if (binary) {
            read_capped(size, [&] {
                *out = read_guarding_rev_maps<faiss::IndexBinary, faiss::IndexBinaryIDMap2>(
                        reader, [&] { return faiss::read_index_binary(&reader, 0); });
            });
            return;
        }
        faiss::Index* index = nullptr;
        read_capped(size, [&] {
            index = read_guarding_rev_maps<faiss::Index, faiss::IndexIDMap2>(reader, [&] {
                return faiss::read_index(&reader, faiss::IO_FLAG_SKIP_PRECOMPUTE_TABLE);
            });
        });
        try {
            if (auto* ivfpq = dynamic_cast<faiss::IndexIVFPQ*>(
                        faiss::ivflib::try_extract_index_ivf(index))) {
                if (ivfpq->is_trained && ivfpq->by_residual) {
                    ivfpq->use_precomputed_table = 0;
                    ivfpq->precompute_table();
                }
            }
        } catch (...) {
            delete index;
            throw;
        }
        *out = index;
    });
}


// One VectorTransform in FAISS's serialized form, malloc'd for the caller to free().
int faissx_shim_write_VectorTransform(const void* transform, size_t* p_size, uint8_t** p_buf) {
    return guarded([&] {
        faiss::VectorIOWriter writer;
        faiss::write_VectorTransform(static_cast<const faiss::VectorTransform*>(transform), &writer);
        export_bytes(writer, p_size, p_buf);
    });
}

// An IndexPreTransform over `index` (borrowed, as FAISS's constructor borrows it) applying the
// transform read from untrusted bytes (none when there are no bytes), which it owns.
int faissx_shim_IndexPreTransform_new_untrusted(
        void** out,
        const uint8_t* buf,
        size_t size,
        void* index) {
    return guarded([&] {
        auto* inner = static_cast<faiss::Index*>(index);
        if (size == 0) {
            *out = new PreTransformOwningItsChain(inner);
            return;
        }
        auto transform = read_transform_untrusted(buf, size, inner->d);
        *out = new PreTransformOwningItsChain(transform.get(), inner);
        transform.release();
    });
}

// IndexPreTransform::prepend_transform with a transform read from untrusted bytes. The index
// owns its chain: read from a file or made by the factory it owns its fields, and the server's
// own composites free their chain themselves.
int faissx_shim_IndexPreTransform_prepend_untrusted(void* index, const uint8_t* buf, size_t size) {
    return guarded([&] {
        auto* pt = dynamic_cast<faiss::IndexPreTransform*>(static_cast<faiss::Index*>(index));
        if (!pt) {
            refuse("prepend_transform applies to IndexPreTransform");
        }
        if (!pt->own_fields && !dynamic_cast<PreTransformOwningItsChain*>(pt)) {
            refuse("this IndexPreTransform does not own its transforms");
        }
        auto transform = read_transform_untrusted(buf, size, pt->d);
        pt->prepend_transform(transform.get());
        transform.release();
    });
}

} // extern "C"

// ---- remote faces (see RemoteFace above) ----

namespace {

RemoteFace* face_of(void* face) {
    auto* f = dynamic_cast<RemoteFace*>(static_cast<faiss::Index*>(face));
    FAISS_THROW_IF_NOT(f);
    return f;
}

} // namespace

extern "C" {

int faissx_shim_RemoteFace_new(void** out, void* remote, const void* ops) {
    return guarded([&] {
        std::unique_ptr<RemoteFace> face(
                new RemoteFace(remote, static_cast<const faissx_FaceOps*>(ops)));
        face->sync(true);
        *out = static_cast<faiss::Index*>(face.release());
    });
}

// The selector of any search parameters: FAISS's C API reads it only from IVF parameters, and
// composites hand their sub-indexes parameters of their own making.
const void* faissx_shim_SearchParameters_sel(const void* params) {
    return params ? static_cast<const faiss::SearchParameters*>(params)->sel : nullptr;
}

// The remote handle behind a face, or NULL when `index` is no face.
void* faissx_shim_face_remote(const void* index) {
    auto* face = as_face(static_cast<const faiss::Index*>(index));
    return face ? face->remote : nullptr;
}

// Adds a face to an IndexShards or IndexReplicas of the shim's; on failure the caller keeps
// (and deletes) the face.
int faissx_shim_composite_add_face(void* composite, void* face) {
    return guarded([&] {
        auto* holder = face_holder(composite);
        auto* added = dynamic_cast<RemoteFace*>(static_cast<faiss::Index*>(face));
        FAISS_THROW_IF_NOT(added);
        if (holder->find(added->remote)) {
            refuse("addIndex: attempting to add index that is already in the collection");
        }
        holder->add_face(added);
    });
}

// The face of `composite` that `member` names (the face or its remote handle), or NULL. Only
// the faces are looked at: a borrowed member may be gone.
void* faissx_shim_composite_face(void* composite, const void* member) {
    auto* holder = dynamic_cast<FaceHolder*>(static_cast<faiss::Index*>(composite));
    RemoteFace* face = holder ? holder->find(member) : nullptr;
    return face ? static_cast<faiss::Index*>(face) : nullptr;
}

int faissx_shim_composite_remove_face(void* composite, void* face) {
    return guarded([&] {
        face_holder(composite)->remove_face(
                dynamic_cast<RemoteFace*>(static_cast<faiss::Index*>(face)));
    });
}

int faissx_shim_IndexShards_new(void** out, int64_t d, int threaded, int successive_ids) {
    return guarded([&] {
        *out = static_cast<faiss::Index*>(
                new HoldsFaces<faiss::IndexShards>(d, threaded != 0, successive_ids != 0));
    });
}

int faissx_shim_IndexReplicas_new(void** out, int64_t d, int threaded) {
    return guarded([&] {
        *out = static_cast<faiss::Index*>(new HoldsFaces<faiss::IndexReplicas>(d, threaded != 0));
    });
}

// Whether `index` holds a remote index: FAISS's writer and cloner know only FAISS's classes.
int faissx_shim_Index_holds_face(const void* index) {
    return face_inside(static_cast<const faiss::Index*>(index), 0) ? 1 : 0;
}

// Refuses to serialize an index that holds a remote index.
int faissx_shim_Index_check_serializable(const void* index) {
    return guarded([&] {
        if (faissx_shim_Index_holds_face(index)) {
            throw_carried(kUnsupported,
                          "the index holds a remote index (a shard, replica or sub-index on a "
                          "faissx-server), which FAISS's file format cannot describe; write the "
                          "remote indexes one by one (faissx_write_index on each handle) instead");
        }
    });
}

// FAISS's composites over one remote index, built in this process over its face (from
// faissx_shim_RemoteFace_new). On failure the caller keeps (and deletes) the face.

int faissx_shim_IndexIDMap_over_face(void** out, void* face, int two_way) {
    return guarded([&] {
        auto* f = face_of(face);
        faiss::Index* made = two_way
                ? static_cast<faiss::Index*>(new OverFace<faiss::IndexIDMap2>(f, f))
                : static_cast<faiss::Index*>(new OverFace<faiss::IndexIDMap>(f, f));
        f->ids_are_positions = true;
        *out = made;
    });
}

int faissx_shim_IndexPreTransform_over_face(void** out, void* face, void* transform) {
    return guarded([&] {
        auto* f = face_of(face);
        auto* ltrans = static_cast<faiss::VectorTransform*>(transform);
        *out = static_cast<faiss::Index*>(
                ltrans ? new OverFace<faiss::IndexPreTransform>(f, ltrans, f)
                       : new OverFace<faiss::IndexPreTransform>(f, f));
    });
}

int faissx_shim_IndexRefineFlat_over_face(void** out, void* face) {
    return guarded([&] {
        auto* f = face_of(face);
        *out = static_cast<faiss::Index*>(new OverFace<faiss::IndexRefineFlat>(f, f));
    });
}

int faissx_shim_IndexIVFFlat_over_face(void** out, void* face, size_t d, size_t nlist, int metric) {
    return guarded([&] {
        auto* f = face_of(face);
        *out = static_cast<faiss::Index*>(new OverFace<faiss::IndexIVFFlat>(
                f, f, d, nlist, static_cast<faiss::MetricType>(metric)));
    });
}

int faissx_shim_IndexIVFScalarQuantizer_over_face(
        void** out, void* face, size_t d, size_t nlist, int qt, int metric, int by_residual) {
    return guarded([&] {
        auto* f = face_of(face);
        *out = static_cast<faiss::Index*>(new OverFace<faiss::IndexIVFScalarQuantizer>(
                f,
                f,
                d,
                nlist,
                static_cast<faiss::ScalarQuantizer::QuantizerType>(qt),
                static_cast<faiss::MetricType>(metric),
                by_residual != 0));
    });
}

} // extern "C"
