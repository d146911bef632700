//! faissx: FAISS's C API, served by FAISS in the calling process (local mode) or by a shared
//! faissx-server (remote mode), behind the same calls.
//!
//! - [`ffi`]: the C ABI — every function of FAISS 1.12's C API under the `faissx_` prefix, one
//!   module per FAISS header, plus faissx's extensions; every export runs through
//!   [`ffi::boundary`], and `ffi::dispatch` sends calls on remote handles to the client.
//! - [`local`]: execution by FAISS itself, linked statically from source.
//! - [`remote`]: the client (configuration, connection pool, retries, caches, remote handles).
//! - [`protocol`]: the messages client and server exchange (docs/PROTOCOL.md).
//! - [`server`]: faissx-server as a library (src/bin/faissx-server.rs parses arguments only).
//! - [`curve`]: ZeroMQ CURVE keys, for encrypted connections between the two.
//! - [`cpu`]: the load-time check that the CPU has the extensions FAISS was compiled for.
//!
//! A local handle *is* FAISS's object: `FaissIndex*` from `faissx_IndexFlatL2_new` points at a
//! `faiss::IndexFlatL2`. Ownership (`own_fields`), casts and borrowed sub-objects (quantizer,
//! `xb`, range-search arrays) therefore follow FAISS exactly, and a call costs one checked
//! forward.

/// cbindgen:ignore
pub mod cpu;
/// cbindgen:ignore
pub mod curve;
pub mod ffi;
pub mod local;
/// cbindgen:ignore
pub mod protocol;
/// cbindgen:ignore
pub mod remote;
/// cbindgen:ignore
pub mod server;

// Nothing is called through faiss-sys's bindings (local::sys declares FAISS's C API with
// faissx's types), but the crate must be linked: it carries the static FAISS libraries.
extern crate faiss_sys;
