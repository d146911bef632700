//! The client side of remote mode: configuration, the connection to faissx-server, retries.
//!
//! Remote mode is on after `faissx_configure` or when `FAISSX_SERVER` is set in the
//! environment (read once, at the first constructor call). From then on constructors create
//! indexes on the server and hand out [`RemoteIndex`] handles; functions given such a handle
//! send a request instead of calling FAISS. Handles created before stay local.

pub mod face;
pub mod index;
pub mod selectors;
mod wire;

pub use index::RemoteIndex;

use crate::ffi::boundary::Error;
use crate::ffi::types::*;
use crate::protocol::*;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

/// Where the server is and who we are to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub server: String,
    pub api_key: Option<String>,
    pub tenant: Option<String>,
}

/// The most ZeroMQ I/O threads the `io_threads` option takes (faissx-server's `--io-threads`
/// has the same bound).
pub const MAX_IO_THREADS: u64 = 64;

/// How failed requests that are safe to repeat are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recovery {
    pub max_retries: u32,
    pub initial_backoff: Duration,
    pub backoff_factor: f64,
}

impl Default for Recovery {
    fn default() -> Self {
        Recovery {
            max_retries: 3,
            initial_backoff: Duration::from_millis(100),
            backoff_factor: 2.0,
        }
    }
}

/// Client-side options set with `faissx_set_option`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// How long the server may stay silent on a request: no reply and no keep-alive (it sends
    /// three per timeout while it works on the request).
    pub timeout: Duration,
    /// How long a request may wait for a connection to the server.
    pub connect_timeout: Duration,
    pub cache_vectors: bool,
    pub cache_memory_bytes: usize,
    /// How long a waiting call polls for its reply before it sleeps. A thread woken from sleep
    /// by the reply costs tens of µs, more on virtual machines whose idle CPUs halt; polling
    /// keeps short calls short. One thread per process polls at a time, and only while recent
    /// replies came within this time (polling for long calls would only take a core from the
    /// server); zero turns it off.
    pub spin_wait: Duration,
    /// The server's CURVE public key: with it, connections are encrypted and the server is
    /// authenticated (a server without the matching secret key cannot complete the handshake).
    pub server_public_key: Option<crate::curve::Key>,
    /// How often a client whose session owns indexes tells the server it is alive, when no
    /// other request did. The server frees a session's indexes after at least twice this (and
    /// its own `--session-timeout-ms`) without a word from it.
    pub heartbeat: Duration,
    /// ZeroMQ I/O threads of a connection to a server, fixed when its first request goes out:
    /// they carry every request and reply of the process's threads to that server, spread by
    /// connection, so a process with many threads sending small requests can need more than
    /// one.
    pub io_threads: u32,
}

impl Options {
    /// The names `faissx_set_option` takes; each can also be set by the environment variable
    /// FAISSX_<NAME> (FAISSX_TIMEOUT_MS, ...), read once when the process first uses faissx.
    pub const NAMES: [&'static str; 8] = [
        "timeout_ms",
        "connect_timeout_ms",
        "spin_wait_us",
        "server_public_key",
        "cache_memory_mb",
        "cache_vectors",
        "heartbeat_ms",
        "io_threads",
    ];

    /// Sets the option `name` from its text form, as `faissx_set_option` gives it.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), Error> {
        let number = || {
            value.trim().parse::<u64>().map_err(|_| {
                Error::invalid(format!(
                    "option {name}: '{value}' is not a non-negative integer"
                ))
            })
        };
        match name {
            "timeout_ms" => self.timeout = Duration::from_millis(number()?.max(1)),
            "connect_timeout_ms" => self.connect_timeout = Duration::from_millis(number()?.max(1)),
            "spin_wait_us" => self.spin_wait = Duration::from_micros(number()?),
            "io_threads" => {
                self.io_threads = match number()? {
                    threads @ 1..=MAX_IO_THREADS => threads as u32,
                    _ => {
                        return Err(Error::invalid(format!(
                            "option io_threads: '{value}' is not between 1 and {MAX_IO_THREADS}"
                        )))
                    }
                }
            }
            "heartbeat_ms" => {
                self.heartbeat = Duration::from_millis(number()?.clamp(1, u64::from(u32::MAX)))
            }
            "server_public_key" => {
                self.server_public_key = parse_server_public_key(value).map_err(|e| {
                    Error::new(e.code, format!("option server_public_key: {}", e.message))
                })?
            }
            "cache_memory_mb" => {
                self.cache_memory_bytes = (number()? as usize).saturating_mul(1 << 20)
            }
            "cache_vectors" => {
                self.cache_vectors = match value.trim() {
                    "on" | "1" | "true" => true,
                    "off" | "0" | "false" => false,
                    other => {
                        return Err(Error::invalid(format!(
                            "option cache_vectors: '{other}' is not on or off"
                        )))
                    }
                }
            }
            other => return Err(Error::invalid(format!("unknown option '{other}'"))),
        }
        Ok(())
    }

    /// The defaults, with what FAISSX_<NAME> variables set; and, per option, why its variable
    /// could not be used.
    fn from_environment() -> (Options, Vec<(&'static str, String)>) {
        let mut options = Options::default();
        let mut errors = Vec::new();
        for name in Options::NAMES {
            let variable = format!("FAISSX_{}", name.to_ascii_uppercase());
            let Some(value) = std::env::var(&variable)
                .ok()
                .filter(|v| !v.trim().is_empty())
            else {
                continue;
            };
            if let Err(why) = options.set(name, &value) {
                errors.push((name, format!("{variable}: {}", why.message)));
            }
        }
        (options, errors)
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            cache_vectors: true,
            cache_memory_bytes: 256 << 20,
            spin_wait: Duration::from_micros(500),
            server_public_key: None,
            heartbeat: Duration::from_secs(5),
            io_threads: 1,
        }
    }
}

struct Global {
    client: RwLock<Option<Arc<Client>>>,
    recovery: Mutex<Recovery>,
    options: Mutex<Options>,
    /// Why FAISSX_* option variables could not be used, per option. Connections fail until
    /// the option is set by `faissx_set_option`, rather than going out with settings the user
    /// did not ask for (unencrypted, without the timeout).
    env_errors: Mutex<Vec<(&'static str, String)>>,
}

fn global() -> &'static Global {
    static GLOBAL: OnceLock<Global> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        let from_env = std::env::var("FAISSX_SERVER")
            .ok()
            .filter(|s| !s.is_empty())
            .map(|server| {
                Arc::new(Client::new(Settings {
                    server: normalize(&server),
                    api_key: std::env::var("FAISSX_API_KEY")
                        .ok()
                        .filter(|s| !s.is_empty()),
                    tenant: std::env::var("FAISSX_TENANT_ID")
                        .ok()
                        .filter(|s| !s.is_empty()),
                }))
            });
        let (options, env_errors) = Options::from_environment();
        Global {
            client: RwLock::new(from_env),
            recovery: Mutex::new(Recovery::default()),
            options: Mutex::new(options),
            env_errors: Mutex::new(env_errors),
        }
    })
}

/// "localhost:45678" and "tcp://localhost:45678" both name a server.
pub fn normalize(server: &str) -> String {
    if server.contains("://") {
        server.to_string()
    } else {
        format!("tcp://{server}")
    }
}

/// Switches remote mode on (or, with `None`, back off) for indexes created from now on.
pub fn configure(settings: Option<Settings>) {
    let client = settings.map(|mut s| {
        s.server = normalize(&s.server);
        Arc::new(Client::new(s))
    });
    *global().client.write().unwrap() = client;
}

/// The value of the `server_public_key` option (or FAISSX_SERVER_PUBLIC_KEY): the server's
/// public key in Z85 (40 characters, as in the `.pub` file `faissx-server keygen` writes), or
/// an empty string for no encryption.
pub fn parse_server_public_key(text: &str) -> Result<Option<crate::curve::Key>, Error> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    crate::curve::check_available().map_err(Error::unsupported)?;
    crate::curve::decode(text).map(Some).map_err(Error::invalid)
}

/// This process's CURVE key pair. The server authenticates no client by it (API keys do
/// that), so one made at first use serves every connection.
fn client_keys() -> Result<&'static zmq::CurveKeyPair, String> {
    static KEYS: OnceLock<Result<zmq::CurveKeyPair, String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        zmq::CurveKeyPair::new().map_err(|e| format!("cannot make a CURVE key pair: {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

pub fn configure_recovery(recovery: Recovery) {
    *global().recovery.lock().unwrap() = recovery;
}

pub fn options() -> Options {
    *global().options.lock().unwrap()
}

/// `faissx_set_option`: the option's new value also replaces a FAISSX_<NAME> variable that
/// could not be used.
pub fn set_option(name: &str, value: &str) -> Result<(), Error> {
    let global = global();
    global.options.lock().unwrap().set(name, value)?;
    global
        .env_errors
        .lock()
        .unwrap()
        .retain(|(n, _)| *n != name);
    Ok(())
}

/// The client new indexes are created on, if remote mode is on.
pub fn active_client() -> Option<Arc<Client>> {
    global().client.read().unwrap().clone()
}

fn code_of(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::Auth => FAISSX_ERR_AUTH,
        ErrorKind::NotFound => FAISSX_ERR_NOT_FOUND,
        ErrorKind::InvalidArgument => FAISSX_ERR_INVALID_ARGUMENT,
        ErrorKind::Faiss => FAISSX_ERR_FAISS,
        ErrorKind::Protocol => FAISSX_ERR_PROTOCOL,
        ErrorKind::Limit => FAISSX_ERR_INVALID_ARGUMENT,
        ErrorKind::Unsupported => FAISSX_ERR_UNSUPPORTED,
        ErrorKind::Server => FAISSX_ERR_SERVER,
    }
}

/// Whether an operation can be sent again after a transport failure without changing its
/// effect: reads can, writes cannot (an add whose reply was lost may have happened).
fn idempotent(op: &Op) -> bool {
    matches!(
        op,
        Op::Ping
            | Op::List
            | Op::Save { .. }
            | Op::Info { .. }
            | Op::Search { .. }
            | Op::Assign { .. }
            | Op::RangeSearch { .. }
            | Op::Reconstruct { .. }
            | Op::IdMap { .. }
            | Op::FlatVectors { .. }
            | Op::ListIds { .. }
            | Op::ListSizes { .. }
            | Op::SetParam { .. }
            | Op::SetIds { .. }
            | Op::SaEncode { .. }
            | Op::SaDecode { .. }
            | Op::ComputeResidual { .. }
            | Op::SearchPreassigned { .. }
            | Op::Heartbeat
            | Op::Persist { .. }
            | Op::EndSession
            | Op::Describe
    )
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Ping => "ping",
        Op::List => "list",
        Op::Create { .. } => "create",
        Op::Load { .. } => "load",
        Op::Save { .. } => "save",
        Op::Delete { .. } => "delete",
        Op::Info { .. } => "info",
        Op::Clone { .. } => "clone",
        Op::Train { .. } => "train",
        Op::TrainEncoder { .. } => "train_encoder",
        Op::AddCore { .. } => "add_core",
        Op::UpdateVectors { .. } => "update_vectors",
        Op::SetIds { .. } => "set_ids",
        Op::Add { .. } => "add",
        Op::Search { .. } => "search",
        Op::Assign { .. } => "assign",
        Op::RangeSearch { .. } => "range_search",
        Op::Reset { .. } => "reset",
        Op::RemoveIds { .. } => "remove_ids",
        Op::Reconstruct { .. } => "reconstruct",
        Op::MergeFrom { .. } => "merge_from",
        Op::CopySubset { .. } => "copy_subset_to",
        Op::SetParam { .. } => "set_param",
        Op::IdMap { .. } => "id_map",
        Op::FlatVectors { .. } => "xb",
        Op::ListIds { .. } => "list_ids",
        Op::ListSizes { .. } => "list_sizes",
        Op::SaEncode { .. } => "sa_encode",
        Op::SaDecode { .. } => "sa_decode",
        Op::ComputeResidual { .. } => "compute_residual",
        Op::SearchPreassigned { .. } => "search_preassigned",
        Op::PrependTransform { .. } => "prepend_transform",
        Op::Heartbeat => "heartbeat",
        Op::Persist { .. } => "persist",
        Op::EndSession => "end_session",
        Op::Describe => "describe",
    }
}

/// A successful reply: its header's answer and its payload frames.
pub type Replied = (Answer, Vec<Vec<u8>>);

/// A request's payload frame, borrowed from the caller's arrays where it can be.
pub type Frame<'a> = std::borrow::Cow<'a, [u8]>;

/// How many requests of one call may be on their way at once: enough to keep the server busy
/// while the next chunk travels, few enough to bound the memory queued on both sides.
pub const PIPELINE_DEPTH: usize = 4;

/// A connection to one server. ZeroMQ sockets belong to one thread at a time, so the client
/// keeps a pool: a call takes a socket, uses it, and gives it back.
pub struct Client {
    pub settings: Settings,
    context: zmq::Context,
    /// Each with the server key it was made with: a socket made before `server_public_key`
    /// changed would keep the old one.
    idle: Mutex<Vec<(zmq::Socket, Option<crate::curve::Key>)>>,
    next_id: AtomicU64,
    /// This client's session on the server: what its handles create belongs to it, and the
    /// server frees it when the session ends (the process exits or dies, or stops answering).
    session: String,
    /// Handles whose index the session owns: heartbeats go out only while there are some.
    owned: AtomicUsize,
    heartbeat_started: AtomicBool,
    /// When the last request went out, in ms after `created`: a heartbeat is only sent when
    /// nothing else said the session is alive.
    last_sent_ms: AtomicU64,
    created: std::time::Instant,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.settings.server)
            .finish()
    }
}

impl Client {
    /// Whether indexes of `other` are seen under their names through this client (same
    /// server, key and tenant).
    pub fn same_server(self: &Arc<Self>, other: &Arc<Client>) -> bool {
        Arc::ptr_eq(self, other) || self.settings == other.settings
    }

    pub fn new(settings: Settings) -> Self {
        Client {
            settings,
            context: zmq::Context::new(),
            idle: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            session: new_session_id(),
            owned: AtomicUsize::new(0),
            heartbeat_started: AtomicBool::new(false),
            last_sent_ms: AtomicU64::new(0),
            created: std::time::Instant::now(),
        }
    }

    /// The session id this client sends with its requests.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// A handle now owns an index of this client's session: heartbeats keep the session alive
    /// from now on.
    pub fn session_owns(self: &Arc<Self>) {
        self.owned.fetch_add(1, Ordering::SeqCst);
        if !self.heartbeat_started.swap(true, Ordering::SeqCst) {
            let client = Arc::downgrade(self);
            end_at_exit(client.clone());
            let spawned = std::thread::Builder::new()
                .name("faissx-heartbeat".into())
                .spawn(move || heartbeats(client));
            // Tried again at the next index; meanwhile only the program's own requests keep
            // the session alive.
            if spawned.is_err() {
                self.heartbeat_started.store(false, Ordering::SeqCst);
            }
        }
    }

    /// Tells the server the session is over, so it frees what the session owns now rather
    /// than after its timeout. Waits at most `wait` for the connection and the reply.
    fn end_session(&self, wait: Duration) {
        let mut options = options();
        options.timeout = options.timeout.min(wait);
        options.connect_timeout = options.connect_timeout.min(wait);
        let _ = self.exchange(&[(Op::EndSession, vec![])], &options);
    }

    /// A handle no longer owns its index for the session (freed, or shared).
    pub fn session_released(&self) {
        let _ = self
            .owned
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    }

    fn since_created_ms(&self) -> u64 {
        self.created.elapsed().as_millis() as u64
    }

    fn socket(&self, options: &Options) -> Result<zmq::Socket, Error> {
        let transport = |e: zmq::Error| self.transport_error("connect", &e.to_string());
        let socket = self.idle_or_new_socket(options)?;
        // Set on every use: a pooled connection takes the timeouts in force now, not those of
        // when it was made.
        let millis = |d: Duration| d.as_millis().min(i32::MAX as u128) as i32;
        socket
            .set_sndtimeo(millis(options.connect_timeout))
            .map_err(transport)?;
        socket
            .set_rcvtimeo(millis(options.timeout))
            .map_err(transport)?;
        Ok(socket)
    }

    fn idle_or_new_socket(&self, options: &Options) -> Result<zmq::Socket, Error> {
        while let Some((socket, key)) = self.idle.lock().unwrap().pop() {
            if key == options.server_public_key {
                return Ok(socket);
            }
        }
        if let Some((name, why)) = global().env_errors.lock().unwrap().first() {
            return Err(Error::invalid(format!(
                "{why} (fix it, or set the {name} option)"
            )));
        }
        let transport = |e: zmq::Error| self.transport_error("connect", &e.to_string());
        // Only the first socket starts the context's threads; later values are not applied.
        self.context
            .set_io_threads(options.io_threads as i32)
            .map_err(transport)?;
        let socket = self.context.socket(zmq::DEALER).map_err(transport)?;
        socket.set_linger(0).map_err(transport)?;
        // Queue requests only on a live connection: with no server, a send waits for one up
        // to the connect timeout instead of piling up for a server that may never come.
        socket.set_immediate(true).map_err(transport)?;
        if let Some(server_key) = &options.server_public_key {
            let keys = client_keys().map_err(|why| self.transport_error("connect", &why))?;
            let curve = |e: zmq::Error| self.transport_error("connect", &format!("CURVE: {e}"));
            socket.set_curve_serverkey(server_key).map_err(curve)?;
            socket
                .set_curve_publickey(&keys.public_key)
                .map_err(curve)?;
            socket
                .set_curve_secretkey(&keys.secret_key)
                .map_err(curve)?;
        }
        socket.connect(&self.settings.server).map_err(transport)?;
        Ok(socket)
    }

    fn transport_error(&self, operation: &str, what: &str) -> Error {
        Error::new(
            FAISSX_ERR_TRANSPORT,
            format!("server {}: {operation}: {what}", self.settings.server),
        )
    }

    /// Sends one request and waits for its reply, retrying transport failures of operations
    /// that are safe to repeat.
    pub fn call(&self, op: Op, frames: Vec<Frame<'_>>) -> Result<Replied, Error> {
        let mut replies = self.call_pipelined(&[(op, frames)])?;
        replies.pop().expect("one reply per request")
    }

    /// Sends requests back to back, at most [`PIPELINE_DEPTH`] unanswered, so the server works
    /// on one (or several, for reads) while the next is in transit; the server applies the
    /// requests of one socket that must stay in order (the parts of an add) in order. Returns
    /// each request's answer, in order; the outer error is the transport's. Transport failures
    /// are retried, with backoff, only when every request is safe to repeat.
    pub fn call_pipelined(
        &self,
        requests: &[(Op, Vec<Frame<'_>>)],
    ) -> Result<Vec<Result<Replied, Error>>, Error> {
        let options = options();
        let recovery = *global().recovery.lock().unwrap();
        let retries = if requests.iter().all(|(op, _)| idempotent(op)) {
            recovery.max_retries
        } else {
            0
        };
        let mut backoff = recovery.initial_backoff;
        let mut attempt = 0;
        loop {
            match self.exchange(requests, &options) {
                Err(error) if error.code == FAISSX_ERR_TRANSPORT && attempt < retries => {
                    attempt += 1;
                    std::thread::sleep(backoff);
                    backoff = backoff.mul_f64(recovery.backoff_factor.max(1.0));
                }
                other => return other,
            }
        }
    }

    /// One round of requests on one socket.
    fn exchange(
        &self,
        requests: &[(Op, Vec<Frame<'_>>)],
        options: &Options,
    ) -> Result<Vec<Result<Replied, Error>>, Error> {
        let options = *options;
        // Declared before the socket, so that on every way out the socket is dropped first and
        // the loans then wait for its teardown to give the caller's arrays back.
        let loans = wire::Loans::new();
        let mut socket = self.socket(&options)?;
        let raw_socket = socket.as_mut_ptr();
        let name = requests.first().map_or("request", |(op, _)| op_name(op));
        let count = requests.len();
        let first_id = self.next_id.fetch_add(count as u64, Ordering::Relaxed);
        // Three signs of life per timeout: a request waits as long as the server works on it
        // (a long train, a queue behind other clients), and gives up only when the server
        // stops answering for `timeout`.
        let keepalive_ms =
            (options.timeout.as_millis() / 3).clamp(u128::from(MIN_KEEPALIVE_MS), 10_000) as u32;
        let session = SessionHello {
            id: self.session.clone(),
            heartbeat_ms: options.heartbeat.as_millis().min(u128::from(u32::MAX)) as u32,
        };
        self.last_sent_ms
            .store(self.since_created_ms(), Ordering::Relaxed);
        let send = |offset: usize| -> Result<(), Error> {
            let (op, frames) = &requests[offset];
            let header = encode(&Request {
                version: PROTOCOL_VERSION,
                id: first_id + offset as u64,
                api_key: self.settings.api_key.clone(),
                tenant: self.settings.tenant.clone(),
                keepalive_ms: Some(keepalive_ms),
                session: Some(session.clone()),
                op: op.clone(),
            });
            // A socket that failed mid-call is dropped, not pooled: its state is unknown.
            // SAFETY: raw_socket is `socket`'s, used by this thread only; `loans` is dropped
            // after `socket`.
            unsafe { wire::send(&socket, raw_socket, &loans, &header, frames) }
                .map_err(|e| self.transport_error(name, &unreachable(e, &options, "connect")))
        };
        let started = std::time::Instant::now();
        let mut sent = 0;
        while sent < count.min(PIPELINE_DEPTH) {
            send(sent)?;
            sent += 1;
        }
        let mut replies: Vec<Option<Result<Replied, Error>>> = (0..count).map(|_| None).collect();
        let mut pending = count;
        while pending > 0 {
            let mut frames = wire::recv(&socket, options.spin_wait)
                .map_err(|e| self.transport_error(name, &unreachable(e, &options, "answer")))?;
            if frames.is_empty() {
                continue;
            }
            let head = frames.remove(0);
            let reply: Reply = decode(&head).map_err(|e| self.transport_error(name, &e.message))?;
            if matches!(reply.result, Ok(Answer::Working)) {
                continue;
            }
            // Replies of earlier calls that timed out on this socket arrive late: skip them.
            let Some(slot) = reply
                .id
                .checked_sub(first_id)
                .filter(|&offset| offset < count as u64)
                .map(|offset| &mut replies[offset as usize])
            else {
                continue;
            };
            if slot.is_some() {
                continue;
            }
            *slot = Some(match reply.result {
                Ok(answer) => Ok((answer, frames)),
                Err(error) => Err(Error::new(
                    code_of(error.kind),
                    format!("server {}: {name}: {}", self.settings.server, error.message),
                )),
            });
            pending -= 1;
            if sent < count {
                send(sent)?;
                sent += 1;
            }
        }
        if count > 0 {
            wire::record_reply_wait(started.elapsed() / count as u32, options.spin_wait);
        }
        self.idle
            .lock()
            .unwrap()
            .push((socket, options.server_public_key));
        Ok(replies
            .into_iter()
            .map(|r| r.expect("every slot answered"))
            .collect())
    }
}

/// 128 random bits in hex: sessions of one tenant must not collide, or one process's end would
/// free another's indexes.
fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    // SAFETY: getrandom writes at most `bytes.len()` bytes into the buffer.
    let got = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if got != bytes.len() as isize {
        // No kernel randomness: the process id, the time and a per-process count are still
        // unique on one host, which is what collisions need to be avoided across.
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes[..8].copy_from_slice(&nanos.to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
        bytes[12..].copy_from_slice(&(COUNT.fetch_add(1, Ordering::Relaxed) as u32).to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The clients whose sessions may own indexes when the process exits, and the process they
/// belong to (a forked child inherits the list, but not the sessions: they are its parent's).
static AT_EXIT: Mutex<(u32, Vec<std::sync::Weak<Client>>)> = Mutex::new((0, Vec::new()));

/// Ends `client`'s session when the process exits normally (exit(), a return from main): its
/// indexes are freed at once instead of after the server's session timeout. A process that
/// dies frees them through that timeout.
fn end_at_exit(client: std::sync::Weak<Client>) {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    let mut at_exit = AT_EXIT.lock().unwrap();
    at_exit.0 = std::process::id();
    at_exit.1.retain(|c| c.strong_count() > 0);
    at_exit.1.push(client);
    REGISTERED.call_once(|| {
        // SAFETY: registers a function with no arguments that never unwinds. atexit comes
        // from libc_nonshared with this library's __dso_handle, so dlclose unregisters it.
        unsafe { libc::atexit(end_sessions_at_exit) };
    });
}

extern "C" fn end_sessions_at_exit() {
    // At exit every other thread still runs: one holding the list gets no wait from here.
    let _ = std::panic::catch_unwind(|| {
        let Ok(at_exit) = AT_EXIT.try_lock() else {
            return;
        };
        if at_exit.0 != std::process::id() {
            return;
        }
        for client in at_exit.1.iter().filter_map(std::sync::Weak::upgrade) {
            if client.owned.load(Ordering::SeqCst) > 0 {
                // Bounded: an unreachable server delays the exit by at most this, once per
                // client, and its timeout frees the indexes anyway.
                client.end_session(Duration::from_millis(500));
            }
        }
    });
}

/// The heartbeat thread of one client: runs until the client is dropped, and sends a
/// heartbeat whenever its session owns indexes and no other request went out for a period.
fn heartbeats(client: std::sync::Weak<Client>) {
    loop {
        let period = options().heartbeat;
        std::thread::sleep(period);
        let Some(client) = client.upgrade() else {
            return;
        };
        let quiet = client
            .since_created_ms()
            .saturating_sub(client.last_sent_ms.load(Ordering::Relaxed));
        // Half a period of silence already: the next beat would come too late.
        if client.owned.load(Ordering::SeqCst) > 0 && quiet >= period.as_millis() as u64 / 2 {
            // Waits at most a period and is not retried: a beat lost with a connection (a
            // server restarting) must not hold up the next one, which is the retry. A failure
            // is the server's or the network's; the program's own requests report it.
            let mut options = options();
            options.timeout = options.timeout.min(period.max(Duration::from_millis(50)));
            options.connect_timeout = options.connect_timeout.min(options.timeout);
            let _ = client.exchange(&[(Op::Heartbeat, vec![])], &options);
        }
    }
}

fn unreachable(error: zmq::Error, options: &Options, what: &str) -> String {
    let timeout = if what == "connect" {
        options.connect_timeout
    } else {
        options.timeout
    };
    // A failed CURVE handshake (a wrong key, a key for a server without CURVE, no key for one
    // with it) looks like no server at all: no connection ever completes.
    let hint = match (what, options.server_public_key.is_some()) {
        ("connect", true) => "is the server running, with CURVE, and is server_public_key its key?",
        ("connect", false) => "is the server running? one with CURVE on needs server_public_key",
        _ => "is the server running?",
    };
    match error {
        zmq::Error::EAGAIN => format!("no {what} within {} ms ({hint})", timeout.as_millis()),
        other => other.to_string(),
    }
}

/// The indexes of `client`'s tenant, with their size, age and owner (`Op::Describe`).
pub fn list(client: &Client) -> Result<Vec<IndexSummary>, Error> {
    match client.call(Op::Describe, vec![])? {
        (Answer::Indexes(listed), _) => Ok(listed),
        (other, _) => Err(Error::new(
            FAISSX_ERR_PROTOCOL,
            format!("describe: unexpected answer {other:?}"),
        )),
    }
}

/// A listing as `faissx_remote_list` gives it; `own_session` marks the indexes of that session.
pub fn list_json(listed: &[IndexSummary], own_session: Option<&str>) -> String {
    let rows: Vec<serde_json::Value> = listed
        .iter()
        .map(|index| {
            serde_json::json!({
                "name": index.name,
                "class": index.class,
                "d": index.d,
                "ntotal": index.ntotal,
                "bytes": index.bytes,
                "age_ms": index.age_ms,
                "session": index.session,
                "own_session": index.session.is_some() && index.session.as_deref() == own_session,
            })
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}
