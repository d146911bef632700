// Distances between several queries and several stored vectors at once, each bit for bit what
// FAISS's own fvec_L2sqr / fvec_inner_product return for the pair.
//
// FAISS computes one pair with one chain of fused multiply-adds: an 8-float accumulator that
// takes the vector 8 components at a time, in order, then folds its lanes as
// ((a0+a4) + (a2+a6)) + ((a1+a5) + (a3+a7)) (GCC's vectorization of its loop, under -mavx2
// -mfma). Each step waits for the previous one, so a scan is bound by the FMA latency rather
// than by the core's throughput. Here a tile of Q queries by V vectors runs Q*V such chains
// side by side, each with exactly FAISS's operations in FAISS's order, so the core overlaps
// them and every distance keeps FAISS's bits.
//
// That order is the compiler's, not FAISS's source's; `tiles_match_faiss` compares the two on
// sample data, and callers use the tiles only where it says they agree. Dimensions that are
// not a multiple of 8 go through a tail FAISS's build handles differently: not tiled.

#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define FAISSX_DISTANCE_TILES 1
#else
#define FAISSX_DISTANCE_TILES 0
#endif

namespace faissx {

#if FAISSX_DISTANCE_TILES

#define FAISSX_TILE_INLINE inline __attribute__((always_inline))

FAISSX_TILE_INLINE float fold_lanes(__m256 acc) {
    __m128 halves = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    __m128 pairs = _mm_add_ps(halves, _mm_movehl_ps(halves, halves));
    return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_shuffle_ps(pairs, pairs, 0x55)));
}

// out[q * V + v] = distance(x[q], y + v * d), d a multiple of 8.
template <int Q, int V, bool L2>
FAISSX_TILE_INLINE void distance_tile(const float* const* x, const float* y, size_t d, float* out) {
    __m256 acc[Q][V];
    for (int q = 0; q < Q; q++) {
        for (int v = 0; v < V; v++) {
            acc[q][v] = _mm256_setzero_ps();
        }
    }
    for (size_t c = 0; c < d; c += 8) {
        __m256 xc[Q];
        for (int q = 0; q < Q; q++) {
            xc[q] = _mm256_loadu_ps(x[q] + c);
        }
        for (int v = 0; v < V; v++) {
            __m256 yc = _mm256_loadu_ps(y + v * d + c);
            for (int q = 0; q < Q; q++) {
                if (L2) {
                    __m256 diff = _mm256_sub_ps(xc[q], yc);
                    acc[q][v] = _mm256_fmadd_ps(diff, diff, acc[q][v]);
                } else {
                    acc[q][v] = _mm256_fmadd_ps(xc[q], yc, acc[q][v]);
                }
            }
        }
    }
    for (int q = 0; q < Q; q++) {
        for (int v = 0; v < V; v++) {
            out[q * V + v] = fold_lanes(acc[q][v]);
        }
    }
}

// out[q * stride + j] = distance(x[q], y + j * d) for j < ny: tiles of V vectors, the last
// vectors one at a time. Each chain waits 4 cycles per FMA and the core runs 2 FMAs a cycle,
// so it takes 8 chains side by side to keep it busy and 12 (4 queries by 3 rows, measured
// ~20% faster than 4 by 2) to leave it slack; more rows side by side are more streams for the
// prefetchers to follow when the rows come from memory.
template <int Q, bool L2, int V>
FAISSX_TILE_INLINE void tile_rows(
        const float* const* x,
        const float* y,
        size_t d,
        size_t ny,
        float* out,
        size_t stride) {
    float tile[Q * V];
    size_t j = 0;
    for (; j + V <= ny; j += V) {
        // A tile reads its V rows side by side, which the hardware prefetchers do not
        // follow as they follow one row after another: the rows two tiles ahead are asked for.
        if (j + 3 * V <= ny) {
            const char* ahead = reinterpret_cast<const char*>(y + (j + 2 * V) * d);
            for (size_t line = 0; line < V * d * sizeof(float); line += 64) {
                _mm_prefetch(ahead + line, _MM_HINT_T0);
            }
        }
        distance_tile<Q, V, L2>(x, y + j * d, d, tile);
        for (int q = 0; q < Q; q++) {
            for (int v = 0; v < V; v++) {
                out[q * stride + j + v] = tile[q * V + v];
            }
        }
    }
    for (; j < ny; j++) {
        distance_tile<Q, 1, L2>(x, y + j * d, d, tile);
        for (int q = 0; q < Q; q++) {
            out[q * stride + j] = tile[q];
        }
    }
}

// tile_rows compiled for cores with AVX-512VL: the same 256-bit operations in the same order,
// with 32 vector registers instead of 16, so that a tile's queries stay in registers instead
// of being loaded again for each row (measured ~25% faster).
template <int Q, bool L2, int V>
__attribute__((target("avx512f,avx512vl"), noinline)) void tile_rows_evex(
        const float* const* x,
        const float* y,
        size_t d,
        size_t ny,
        float* out,
        size_t stride) {
    tile_rows<Q, L2, V>(x, y, d, ny, out, stride);
}

inline bool evex_tiles() {
    static const bool supported =
            __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
    return supported;
}

// tile_rows, in the build that suits this core; rows of `out` are `stride` apart (ny if 0).
template <int Q, bool L2, int V = 8 / Q>
inline void distance_rows(
        const float* const* x,
        const float* y,
        size_t d,
        size_t ny,
        float* out,
        size_t stride = 0) {
    stride = stride ? stride : ny;
    if (evex_tiles()) {
        tile_rows_evex<Q, L2, V>(x, y, d, ny, out, stride);
    } else {
        tile_rows<Q, L2, V>(x, y, d, ny, out, stride);
    }
}

#endif

} // namespace faissx
