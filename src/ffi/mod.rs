//! The C ABI: one module per FAISS C header, plus faissx's extensions (HNSW, PQ, binary
//! flat, in-memory I/O, merge) and its own functions (`faissx`).
// Parameter names are FAISS's (efSearch, M), so C users read the same names in the header.
#![allow(non_snake_case)]
// Every export has the same safety contract, stated once in the header's preamble: handles come
// from faissx and are alive, buffers hold the sizes the function's documentation gives. Repeating
// it on 400 functions would bury the parts that differ.
#![allow(clippy::missing_safety_doc)]

pub mod auto_tune;
pub mod aux_index_structures;
pub mod boundary;
pub mod clone_index;
pub mod clustering;
pub mod dispatch;
pub mod distances;
pub mod error;
pub mod faissx;
pub mod index;
pub mod index_binary;
pub mod index_binary_flat;
pub mod index_binary_ivf;
pub mod index_factory;
pub mod index_flat;
pub mod index_hnsw;
pub mod index_io;
pub mod index_ivf;
pub mod index_ivf_flat;
pub mod index_lsh;
pub mod index_pq;
pub mod index_pre_transform;
pub mod index_replicas;
pub mod index_scalar_quantizer;
pub mod index_shards;
pub mod io;
pub mod meta_indexes;
pub mod modification;
pub mod types;
pub mod utils;
pub mod vector_transform;
