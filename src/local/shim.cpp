// The C++ entry points that FAISS's C API lacks: constructors and fields of HNSW, PQ, IVFPQ and
// binary indexes, HNSW search parameters, merge_from, serialization to memory, and the few
// functions FAISS declares in its C headers without defining them.
//
// Every function returns 0, or a FAISS-style negative code with the exception's text kept for
// faissx_shim_last_error() (per thread), so Rust maps both FAISS's and the shim's failures the
// same way.

#include <faiss/Index.h>
#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryIVF.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexPQ.h>
#include <faiss/IndexReplicas.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/IndexShards.h>
#include <faiss/VectorTransform.h>
#include <faiss/impl/FaissAssert.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

namespace {

thread_local std::string last_error;

template <typename F>
int guarded(F&& body) {
    try {
        body();
        return 0;
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

// M is not stored as such: it is the neighbour count of every level above the base.
int faissx_shim_IndexHNSW_M(void* index) {
    auto* hnsw = hnsw_of(index);
    return hnsw ? hnsw->nb_neighbors(1) : 0;
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
        static_cast<faiss::Index*>(index)->merge_from(*static_cast<faiss::Index*>(other), add_id);
    });
}

int faissx_shim_write_index_buf(const void* index, size_t* p_size, uint8_t** p_buf) {
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
        static_cast<faiss::Index*>(index)->range_search(
                n,
                x,
                radius,
                static_cast<faiss::RangeSearchResult*>(result),
                static_cast<faiss::SearchParameters*>(params));
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
