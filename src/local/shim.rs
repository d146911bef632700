//! Declarations of src/local/shim.cpp. Handles cross as `void*`: the shim casts them back to
//! the FAISS classes the C API hands out.
#![allow(improper_ctypes)]

use std::os::raw::{c_char, c_int, c_void};

extern "C" {
    pub fn faissx_shim_last_error() -> *const c_char;

    pub fn faissx_shim_cast_IndexHNSW(index: *mut c_void) -> *mut c_void;
    pub fn faissx_shim_cast_IndexHNSWFlat(index: *mut c_void) -> *mut c_void;
    pub fn faissx_shim_cast_IndexPQ(index: *mut c_void) -> *mut c_void;
    pub fn faissx_shim_cast_IndexIVFPQ(index: *mut c_void) -> *mut c_void;
    pub fn faissx_shim_cast_IndexBinaryFlat(index: *mut c_void) -> *mut c_void;
    pub fn faissx_shim_cast_SearchParametersHNSW(params: *mut c_void) -> *mut c_void;

    pub fn faissx_shim_IndexHNSWFlat_new(
        out: *mut *mut c_void,
        d: c_int,
        m: c_int,
        metric: c_int,
    ) -> c_int;
    pub fn faissx_shim_IndexHNSW_M(index: *mut c_void) -> c_int;
    pub fn faissx_shim_Index_params_target(index: *const c_void) -> *const c_void;
    pub fn faissx_shim_Index_check_sa_codes(
        index: *const c_void,
        n: i64,
        codes: *const u8,
    ) -> c_int;
    #[allow(clippy::too_many_arguments)]
    pub fn faissx_shim_IndexIVF_search_preassigned(
        index: *const c_void,
        n: i64,
        x: *const f32,
        k: i64,
        assign: *const i64,
        centroid_dis: *const f32,
        distances: *mut f32,
        labels: *mut i64,
        store_pairs: c_int,
    ) -> c_int;
    pub fn faissx_shim_IndexBinaryIVF_search_preassigned(
        index: *const c_void,
        n: i64,
        x: *const u8,
        k: i64,
        cidx: *const i64,
        cdis: *const i32,
        dis: *mut i32,
        idx: *mut i64,
        store_pairs: c_int,
        params: *const c_void,
    ) -> c_int;
    pub fn faissx_shim_IndexIVF_train_encoder(
        index: *mut c_void,
        n: i64,
        x: *const f32,
        assign: *const i64,
    ) -> c_int;
    pub fn faissx_shim_IndexIVF_add_core(
        index: *mut c_void,
        n: i64,
        x: *const f32,
        xids: *const i64,
        lists: *const i64,
    ) -> c_int;
    pub fn faissx_shim_IndexIVF_update_vectors(
        index: *mut c_void,
        n: c_int,
        ids: *const i64,
        x: *const f32,
    ) -> c_int;
    pub fn faissx_shim_IndexPreTransform_new_untrusted(
        out: *mut *mut c_void,
        transform: *const u8,
        size: usize,
        index: *mut c_void,
    ) -> c_int;
    pub fn faissx_shim_IndexPreTransform_prepend_untrusted(
        index: *mut c_void,
        transform: *const u8,
        size: usize,
    ) -> c_int;
    pub fn faissx_shim_write_VectorTransform(
        transform: *const c_void,
        p_size: *mut usize,
        p_buf: *mut *mut u8,
    ) -> c_int;
    /// 1 when the transform is of the named class or a subclass (LinearTransform, PCAMatrix,
    /// OPQMatrix, ITQTransform, NormalizationTransform).
    pub fn faissx_shim_VectorTransform_is_class(vt: *const c_void, name: *const c_char) -> c_int;
    /// Replaces an IndexIDMap's n = ntotal ids; an IndexIDMap2 rebuilds its reverse map.
    pub fn faissx_shim_IndexIDMap_set_ids(index: *mut c_void, n: i64, ids: *const i64) -> c_int;
    /// Copies the state of a transform into another of the same class (FAISS's VectorTransform).
    pub fn faissx_shim_VectorTransform_copy_state(dst: *mut c_void, src: *const c_void) -> c_int;
    /// The i-th transform of an IndexPreTransform's chain, NULL past its end.
    pub fn faissx_shim_IndexPreTransform_chain_at(index: *const c_void, i: i64) -> *const c_void;
    pub fn faissx_shim_Index_copy_flat(dst: *mut c_void, src: *const c_void) -> c_int;
    pub fn faissx_shim_is_class(index: *const c_void, name: *const std::os::raw::c_char) -> c_int;
    pub fn faissx_shim_Index_assign(
        index: *const c_void,
        n: i64,
        x: *const f32,
        labels: *mut i64,
        k: i64,
    ) -> c_int;
    pub fn faissx_shim_ParameterSpace_setting(
        space: *const c_void,
        cno: usize,
        range: usize,
        name: *mut *const std::os::raw::c_char,
        value: *mut f64,
    ) -> c_int;
    pub fn faissx_shim_IndexHNSW_efSearch(index: *mut c_void) -> c_int;
    pub fn faissx_shim_IndexHNSW_set_efSearch(index: *mut c_void, value: c_int);
    pub fn faissx_shim_IndexHNSW_efConstruction(index: *mut c_void) -> c_int;
    pub fn faissx_shim_IndexHNSW_set_efConstruction(index: *mut c_void, value: c_int);

    pub fn faissx_shim_SearchParametersHNSW_new(
        out: *mut *mut c_void,
        sel: *mut c_void,
        ef_search: c_int,
    ) -> c_int;
    pub fn faissx_shim_SearchParametersHNSW_sel(params: *mut c_void) -> *mut c_void;
    pub fn faissx_shim_SearchParametersHNSW_get(params: *mut c_void, field: c_int) -> c_int;
    pub fn faissx_shim_SearchParametersHNSW_set(params: *mut c_void, field: c_int, value: c_int);

    pub fn faissx_shim_IndexPQ_new(
        out: *mut *mut c_void,
        d: c_int,
        m: usize,
        nbits: usize,
        metric: c_int,
    ) -> c_int;
    pub fn faissx_shim_IndexIVFPQ_new(
        out: *mut *mut c_void,
        quantizer: *mut c_void,
        d: usize,
        nlist: usize,
        m: usize,
        nbits: usize,
        metric: c_int,
    ) -> c_int;
    pub fn faissx_shim_pq_M(index: *mut c_void) -> usize;
    pub fn faissx_shim_pq_nbits(index: *mut c_void) -> usize;

    pub fn faissx_shim_IndexBinaryFlat_new(out: *mut *mut c_void, d: i64) -> c_int;
    pub fn faissx_shim_IndexBinaryIVF_new(
        out: *mut *mut c_void,
        quantizer: *mut c_void,
        d: usize,
        nlist: usize,
    ) -> c_int;

    pub fn faissx_shim_Index_reserve(index: *mut c_void, extra: i64) -> c_int;
    pub fn faissx_shim_Index_merge_from(
        index: *mut c_void,
        other: *mut c_void,
        add_id: i64,
    ) -> c_int;
    pub fn faissx_shim_write_index_buf(
        index: *const c_void,
        p_size: *mut usize,
        p_buf: *mut *mut u8,
    ) -> c_int;
    pub fn faissx_shim_write_index_binary_buf(
        index: *const c_void,
        p_size: *mut usize,
        p_buf: *mut *mut u8,
    ) -> c_int;
    pub fn faissx_shim_read_index_buf(
        buf: *const u8,
        size: usize,
        io_flags: c_int,
        out: *mut *mut c_void,
    ) -> c_int;
    pub fn faissx_shim_read_index_binary_buf(
        buf: *const u8,
        size: usize,
        io_flags: c_int,
        out: *mut *mut c_void,
    ) -> c_int;
    pub fn faissx_shim_read_index_untrusted(
        buf: *const u8,
        size: usize,
        binary: c_int,
        out: *mut *mut c_void,
    ) -> c_int;

    pub fn faissx_shim_IndexIVF_max_codes(index: *mut c_void) -> usize;
    pub fn faissx_shim_IndexIVF_set_max_codes(index: *mut c_void, value: usize);
    pub fn faissx_shim_range_search_with_params(
        index: *mut c_void,
        n: i64,
        x: *const f32,
        radius: f32,
        result: *mut c_void,
        params: *mut c_void,
    ) -> c_int;

    pub fn faissx_shim_IndexIVFScalarQuantizer_new(out: *mut *mut c_void) -> c_int;
    pub fn faissx_shim_IndexReplicas_own_fields(index: *const c_void) -> c_int;
    pub fn faissx_shim_IndexReplicas_set_own_fields(index: *mut c_void, own: c_int);
    pub fn faissx_shim_IndexShards_own_fields(index: *const c_void) -> c_int;
    pub fn faissx_shim_IndexShards_set_own_fields(index: *mut c_void, own: c_int);
    pub fn faissx_shim_IndexReplicas_count(index: *const c_void) -> c_int;
    pub fn faissx_shim_IndexShards_count(index: *const c_void) -> c_int;
    pub fn faissx_shim_RangeSearchPartialResult_free(res: *mut c_void);
    pub fn faissx_shim_VectorTransform_apply_noalloc(
        vt: *const c_void,
        n: i64,
        x: *const f32,
        xt: *mut f32,
    ) -> c_int;
    pub fn faissx_shim_VectorTransform_reverse_transform(
        vt: *const c_void,
        n: i64,
        xt: *const f32,
        x: *mut f32,
    ) -> c_int;
    pub fn faissx_shim_LinearTransform_transform_transpose(
        vt: *const c_void,
        n: i64,
        y: *const f32,
        x: *mut f32,
    ) -> c_int;
    pub fn faissx_shim_LinearTransform_set_is_orthonormal(vt: *mut c_void) -> c_int;
    pub fn faissx_shim_IOReader_free(reader: *mut c_void);
    pub fn faissx_shim_IOWriter_free(writer: *mut c_void);
    pub fn faissx_shim_Index_search_with_params(
        index: *const c_void,
        n: i64,
        x: *const f32,
        k: i64,
        params: *const c_void,
        distances: *mut f32,
        labels: *mut i64,
    ) -> c_int;
    /// 1 where the server's flat scans compute distances through several pairs at once with
    /// FAISS's bits (an AVX2 and FMA build whose FAISS sums as distance_tiles.h does).
    pub fn faissx_shim_flat_tiles_match() -> c_int;
    /// The threads FAISS's parallel loops use (OpenMP's team size).
    pub fn faissx_shim_search_threads() -> c_int;
    /// As faissx_shim_Index_search_with_params, sooner where FAISS would scan a flat index
    /// query by query (same bits).
    pub fn faissx_shim_Index_search_served(
        index: *const c_void,
        n: i64,
        x: *const f32,
        k: i64,
        params: *const c_void,
        distances: *mut f32,
        labels: *mut i64,
    ) -> c_int;
    /// As faissx_shim_Index_search_with_params, each query answered to the bit as a search of
    /// it alone would answer it, where faissx_shim_Index_searches_independently says so.
    pub fn faissx_shim_Index_search_each(
        index: *const c_void,
        n: i64,
        x: *const f32,
        k: i64,
        params: *const c_void,
        distances: *mut f32,
        labels: *mut i64,
    ) -> c_int;
    pub fn faissx_shim_Index_check_writable(index: *const c_void) -> c_int;
    pub fn faissx_shim_Index_check_parts(index: *const c_void) -> c_int;
    pub fn faissx_shim_new_default(class: *const c_char, out: *mut *mut c_void) -> c_int;
    pub fn faissx_shim_IndexIVF_copy_subset_to(
        index: *const c_void,
        other: *mut c_void,
        subset_type: c_int,
        a1: i64,
        a2: i64,
    ) -> c_int;
    pub fn faissx_shim_Index_searches_independently(index: *const c_void) -> c_int;
    pub fn faissx_shim_IndexBinary_searches_independently(index: *const c_void) -> c_int;
    pub fn faissx_shim_Index_reconstruct(index: *const c_void, key: i64, recons: *mut f32)
        -> c_int;
    pub fn faissx_shim_IndexBinary_reconstruct(
        index: *const c_void,
        key: i64,
        recons: *mut u8,
    ) -> c_int;
    pub fn faissx_shim_Index_reconstruct_n(
        index: *const c_void,
        i0: i64,
        ni: i64,
        recons: *mut f32,
    ) -> c_int;
    pub fn faissx_shim_Index_compute_residual_n(
        index: *const c_void,
        n: i64,
        xs: *const f32,
        residuals: *mut f32,
        keys: *const i64,
    ) -> c_int;
    pub fn faissx_shim_IndexBinary_reconstruct_n(
        index: *const c_void,
        i0: i64,
        ni: i64,
        recons: *mut u8,
    ) -> c_int;
    pub fn faissx_shim_check_index(index: *const c_void) -> c_int;
    pub fn faissx_shim_Index_check_use(index: *const c_void, training: c_int) -> c_int;
    pub fn faissx_shim_IndexBinary_check_use(index: *const c_void) -> c_int;
    pub fn faissx_shim_check_index_binary(index: *const c_void) -> c_int;
    pub fn faissx_shim_RangeSearchPartialResult_new_result(
        res: *mut c_void,
        qno: i64,
        qr: *mut *mut c_void,
    ) -> c_int;

    pub fn faissx_shim_RemoteFace_new(
        out: *mut *mut c_void,
        remote: *mut c_void,
        ops: *const c_void,
    ) -> c_int;
    pub fn faissx_shim_SearchParameters_sel(params: *const c_void) -> *const c_void;
    pub fn faissx_shim_face_remote(index: *const c_void) -> *mut c_void;
    pub fn faissx_shim_composite_add_face(composite: *mut c_void, face: *mut c_void) -> c_int;
    pub fn faissx_shim_composite_face(composite: *mut c_void, member: *const c_void)
        -> *mut c_void;
    pub fn faissx_shim_composite_remove_face(composite: *mut c_void, face: *mut c_void) -> c_int;
    pub fn faissx_shim_IndexShards_new(
        out: *mut *mut c_void,
        d: i64,
        threaded: c_int,
        successive_ids: c_int,
    ) -> c_int;
    pub fn faissx_shim_IndexReplicas_new(out: *mut *mut c_void, d: i64, threaded: c_int) -> c_int;
    pub fn faissx_shim_Index_check_serializable(index: *const c_void) -> c_int;
    pub fn faissx_shim_Index_holds_face(index: *const c_void) -> c_int;
    pub fn faissx_shim_IndexIDMap_over_face(
        out: *mut *mut c_void,
        face: *mut c_void,
        two_way: c_int,
    ) -> c_int;
    pub fn faissx_shim_IndexPreTransform_over_face(
        out: *mut *mut c_void,
        face: *mut c_void,
        transform: *mut c_void,
    ) -> c_int;
    pub fn faissx_shim_IndexRefineFlat_over_face(out: *mut *mut c_void, face: *mut c_void)
        -> c_int;
    pub fn faissx_shim_IndexIVFFlat_over_face(
        out: *mut *mut c_void,
        face: *mut c_void,
        d: usize,
        nlist: usize,
        metric: c_int,
    ) -> c_int;
    pub fn faissx_shim_IndexIVFScalarQuantizer_over_face(
        out: *mut *mut c_void,
        face: *mut c_void,
        d: usize,
        nlist: usize,
        qt: c_int,
        metric: c_int,
        by_residual: c_int,
    ) -> c_int;
}
