//! faissx-server as a library: [`Server::bind`] then [`Server::run`] until a shutdown flag is
//! set. The binary (src/bin/faissx-server.rs) only parses arguments and calls these; tests
//! bind port 0 and run it on a thread.
//!
//! A request goes down through one layer per file, and each layer only calls the ones below it:
//!
//! 1. [`transport`]: the ROUTER socket and the I/O thread, replies held for slow clients;
//! 2. [`admission`]: header decoding, protocol version, API keys and tenants, limits;
//! 3. [`scheduling`]: the worker pool, adds applied part by part in order, concurrent searches
//!    of one index served as one FAISS call;
//! 4. [`operations`]: what each request does, and the memory it may take ([`budget`]);
//! 5. [`store`]: each tenant's indexes, their locks, and writes logged before they are applied;
//! 6. [`persist`]: snapshots and logs on disk, and recovery from them.
//!
//! Per index, searches share a read lock and writes take the write lock, so searches run in
//! parallel, writes to one index are serialized, and a slow request only holds up requests on
//! its own index. [`metrics`] counts requests on the side. [`sessions`] tracks which client
//! session owns which index, and a sweeper thread frees the indexes of sessions that ended.

mod admission;
pub mod budget;
pub mod metrics;
mod operations;
pub mod persist;
mod scheduling;
mod sessions;
mod store;
mod transport;

pub use transport::Server;

use crate::ffi::boundary::Error;
use crate::ffi::types::*;
use crate::protocol::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// The tenant of requests when authentication is off and the client names none.
pub const DEFAULT_TENANT: &str = "default";

/// Bounds on what one request may ask for; beyond them the server answers a Limit error.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest accepted ZeroMQ frame; larger ones make ZeroMQ drop the connection.
    pub max_message_bytes: usize,
    pub max_dimension: u32,
    pub max_k: u64,
    /// Most vectors in one add, search or train request.
    pub max_batch: u64,
    /// Largest result one request may make the server build: a search's n·k distances and
    /// labels (12 bytes each), reconstructed vectors, range search results. n and k may each
    /// be within their limits while n·k is not.
    pub max_result_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 256 << 20,
            max_dimension: 65_536,
            // What libfaissx accepts in local mode: a k one mode takes, the other takes too.
            max_k: crate::ffi::types::FAISSX_MAX_K as u64,
            max_batch: 10_000_000,
            max_result_bytes: 2 << 30,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind_address: String,
    pub port: u16,
    /// API key → tenant. `None`: no authentication, tenants are what clients say.
    pub auth: Option<HashMap<String, String>>,
    pub data_dir: Option<PathBuf>,
    /// Start even if some index files are corrupt, leaving those indexes out (loudly).
    pub skip_corrupt: bool,
    pub workers: usize,
    /// ZeroMQ's I/O threads, which move every request and reply between the TCP connections
    /// and the server's threads. Connections are spread over them, so more of them raise the
    /// request rate the server can take from many clients, at a core's worth each under load.
    pub io_threads: usize,
    pub limits: Limits,
    /// The server's memory budget and tenants' quotas.
    pub quotas: budget::Quotas,
    /// With a secret key, connections are encrypted and only clients that know the matching
    /// public key can connect (ZeroMQ CURVE).
    pub curve_secret_key: Option<crate::curve::SecretKey>,
    /// HOST:PORT for the HTTP endpoints /metrics and /health; `None`: no metrics at all.
    pub metrics_address: Option<String>,
    /// How long a client session may send nothing before it ends and the indexes it owns are
    /// freed (at least twice the heartbeat interval the session announces).
    pub session_timeout: std::time::Duration,
}

/// The default of [`Config::session_timeout`]: three of libfaissx's default heartbeats.
pub const DEFAULT_SESSION_TIMEOUT_MS: u64 = 15_000;

impl Default for Config {
    fn default() -> Self {
        Config {
            // As faissx-server without API keys: loopback unless told otherwise.
            bind_address: "127.0.0.1".into(),
            port: 45678,
            auth: None,
            data_dir: None,
            skip_corrupt: false,
            workers: std::thread::available_parallelism().map_or(4, |n| n.get().max(2)),
            io_threads: 1,
            limits: Limits::default(),
            quotas: budget::Quotas::default(),
            curve_secret_key: None,
            metrics_address: None,
            session_timeout: std::time::Duration::from_millis(DEFAULT_SESSION_TIMEOUT_MS),
        }
    }
}

/// Why the server could not start or keep running.
#[derive(Debug)]
pub struct ServerError(pub String);

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServerError {}

/// Binds and serves until `shutdown` is set.
pub fn run(config: Config, shutdown: &AtomicBool) -> Result<(), ServerError> {
    Server::bind(config)?.run(shutdown)
}

static QUIET: AtomicBool = AtomicBool::new(false);

/// Silences informational messages (startup, shutdown); warnings about data still print.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// The server's name, version and protocol version, for its startup line.
pub fn banner() -> String {
    format!(
        "faissx-server {} (protocol {PROTOCOL_VERSION})",
        env!("CARGO_PKG_VERSION")
    )
}

fn log(message: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        warn(message);
    }
}

/// Printed at every log level: what happened to data, and failures nobody else sees. A log
/// that cannot be written (a full disk, a file size limit) must not stop the server, as
/// `eprintln!` would by panicking.
fn warn(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "faissx-server: {message}");
}

fn fail(kind: ErrorKind, message: impl Into<String>) -> WireError {
    WireError::new(kind, message)
}

/// Maps a faissx error code to whose fault it is on the wire.
fn from_local(error: Error) -> WireError {
    let kind = match error.code {
        FAISSX_ERR_FAISS | FAISSX_ERR_STD => ErrorKind::Faiss,
        FAISSX_ERR_INVALID_ARGUMENT => ErrorKind::InvalidArgument,
        FAISSX_ERR_UNSUPPORTED => ErrorKind::Unsupported,
        _ => ErrorKind::Server,
    };
    WireError::new(kind, error.message)
}
