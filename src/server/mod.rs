//! faissx-server as a library: [`Server::bind`] then [`Server::run`] until a shutdown flag is
//! set. The binary (src/bin/faissx-server.rs) only parses arguments and calls these; tests
//! bind port 0 and run it on a thread.
//!
//! One ROUTER socket faces the clients. The thread that owns it hands each request to a pool
//! of workers and forwards their replies, which come back over an inproc PULL socket — ZeroMQ
//! sockets must stay on one thread, FAISS work must not. Per index, searches share a read lock
//! and writes take the write lock, so searches run in parallel, writes to one index are
//! serialized, and a slow request only holds up requests on its own index.

pub mod persist;

use crate::ffi::boundary::Error;
use crate::ffi::types::*;
use crate::local::index::{LocalIndex, RawIndex};
use crate::protocol::*;
use persist::{IndexFiles, WalRecord, WAL_SNAPSHOT_BYTES};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock};

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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 256 << 20,
            max_dimension: 65_536,
            max_k: 100_000,
            max_batch: 10_000_000,
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
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind_address: "0.0.0.0".into(),
            port: 45678,
            auth: None,
            data_dir: None,
            skip_corrupt: false,
            workers: std::thread::available_parallelism().map_or(4, |n| n.get().max(2)),
            limits: Limits::default(),
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

struct Entry {
    /// Creation order. Locks are always taken newest first: a composite is newer than what it
    /// borrows, so every path locks in the same order and none can deadlock.
    serial: u64,
    index: RwLock<LocalIndex>,
    /// Indexes this one borrows (an IVF's quantizer, an IDMap's wrapped index), kept alive
    /// while it lives even if deleted by name, as FAISS composites borrow theirs.
    deps: Vec<Arc<Entry>>,
    files: Option<IndexFiles>,
    /// Set when the index is deleted by name while a composite still borrows it: it lives on
    /// in memory, but its files (and its name) are no longer its own.
    deleted: AtomicBool,
    /// Sequence number of the last write, for the log and snapshots.
    seq: AtomicU64,
    wal_bytes: AtomicU64,
}

type Key = (String, String);

static SERIAL: AtomicU64 = AtomicU64::new(0);

fn next_serial() -> u64 {
    SERIAL.fetch_add(1, Ordering::Relaxed)
}

impl Entry {
    /// Where this index persists, unless it has none or was deleted by name.
    fn files(&self) -> Option<&IndexFiles> {
        self.files
            .as_ref()
            .filter(|_| !self.deleted.load(Ordering::SeqCst))
    }

    fn new(index: LocalIndex, files: Option<IndexFiles>, deps: Vec<Arc<Entry>>) -> Self {
        Entry {
            serial: next_serial(),
            index: RwLock::new(index),
            deps,
            files,
            deleted: AtomicBool::new(false),
            seq: AtomicU64::new(0),
            wal_bytes: AtomicU64::new(0),
        }
    }
}

/// `entries` and everything they borrow, transitively, once each, newest first.
fn lock_set(entries: &[&Arc<Entry>]) -> Vec<Arc<Entry>> {
    let mut all: Vec<Arc<Entry>> = Vec::new();
    let mut stack: Vec<Arc<Entry>> = entries.iter().map(|e| (*e).clone()).collect();
    while let Some(entry) = stack.pop() {
        if all.iter().any(|e| e.serial == entry.serial) {
            continue;
        }
        stack.extend(entry.deps.iter().cloned());
        all.push(entry);
    }
    all.sort_by_key(|entry| std::cmp::Reverse(entry.serial));
    all
}

/// Runs `f` on `entry`'s index under read locks of it and of what it borrows.
fn read<R>(entry: &Arc<Entry>, f: impl FnOnce(&LocalIndex) -> R) -> R {
    let set = lock_set(&[entry]);
    let guards: Vec<_> = set.iter().map(|e| e.index.read().unwrap()).collect();
    let at = set
        .iter()
        .position(|e| e.serial == entry.serial)
        .expect("entry is in its own set");
    f(&guards[at])
}

/// Runs `f` on the indexes of `entries` under write locks of them and of what they borrow;
/// `f` also gets every locked entry with its index (to persist what a write changed in a
/// borrowed index).
fn write<R>(
    entries: &[&Arc<Entry>],
    f: impl FnOnce(&[&LocalIndex], &[(&Arc<Entry>, &LocalIndex)]) -> R,
) -> R {
    let set = lock_set(entries);
    let guards: Vec<_> = set.iter().map(|e| e.index.write().unwrap()).collect();
    let held: Vec<(&Arc<Entry>, &LocalIndex)> =
        set.iter().zip(guards.iter().map(|g| &**g)).collect();
    let indexes: Vec<&LocalIndex> = entries
        .iter()
        .map(|entry| {
            held.iter()
                .find(|(e, _)| e.serial == entry.serial)
                .expect("in set")
                .1
        })
        .collect();
    f(&indexes, &held)
}

struct State {
    config: Config,
    indexes: RwLock<HashMap<Key, Arc<Entry>>>,
}

impl State {
    /// The tenant's index of that name.
    fn entry(&self, tenant: &str, name: &str) -> Option<Arc<Entry>> {
        self.indexes
            .read()
            .unwrap()
            .get(&(tenant.to_string(), name.to_string()))
            .cloned()
    }
}

pub struct Server {
    context: zmq::Context,
    router: zmq::Socket,
    endpoint: String,
    state: Arc<State>,
}

impl Server {
    /// Restores the data directory and binds the socket; every startup failure (busy port,
    /// corrupt index file) is reported here, before anything is served.
    pub fn bind(config: Config) -> Result<Server, ServerError> {
        let mut indexes = HashMap::new();
        if let Some(dir) = &config.data_dir {
            let (recovered, skipped) =
                persist::recover(dir, config.skip_corrupt).map_err(ServerError)?;
            for message in skipped {
                log(&format!("SKIPPED (--skip-corrupt): {message}"));
            }
            for found in recovered {
                if found.torn_tail > 0 {
                    log(&format!(
                        "{}: dropped a torn last record of {} bytes (a write that was never acknowledged)",
                        found.files.wal.display(),
                        found.torn_tail
                    ));
                }
                let mut seq = found.seq;
                for record in &found.replay {
                    let frames: Vec<&[u8]> = record.frames.iter().map(|f| f.as_slice()).collect();
                    apply_write(&found.index, &record.op, &frames).map_err(|e| {
                        ServerError(format!(
                            "{}: cannot replay write {}: {}",
                            found.files.wal.display(),
                            record.seq,
                            e.message
                        ))
                    })?;
                    seq = record.seq;
                }
                let entry = Entry::new(found.index, Some(found.files), Vec::new());
                entry.seq.store(seq, Ordering::SeqCst);
                if !found.replay.is_empty() {
                    // Fold the replayed log into a fresh snapshot so it is not replayed again.
                    let files = entry.files.as_ref().expect("recovered from files");
                    files
                        .write_snapshot(&entry.index.read().unwrap(), seq)
                        .map_err(ServerError)?;
                }
                indexes.insert((found.tenant, found.name), Arc::new(entry));
            }
            log(&format!(
                "restored {} indexes from {}",
                indexes.len(),
                dir.display()
            ));
        }
        let context = zmq::Context::new();
        let router = context
            .socket(zmq::ROUTER)
            .map_err(|e| ServerError(e.to_string()))?;
        router
            .set_maxmsgsize(config.limits.max_message_bytes as i64)
            .map_err(|e| ServerError(e.to_string()))?;
        router
            .set_linger(1000)
            .map_err(|e| ServerError(e.to_string()))?;
        let address = if config.port == 0 {
            format!("tcp://{}:*", config.bind_address)
        } else {
            format!("tcp://{}:{}", config.bind_address, config.port)
        };
        router
            .bind(&address)
            .map_err(|e| ServerError(format!("cannot listen on {address}: {e}")))?;
        let endpoint = router
            .get_last_endpoint()
            .map_err(|e| ServerError(e.to_string()))?
            .map_err(|_| ServerError("endpoint is not UTF-8".into()))?;
        Ok(Server {
            context,
            router,
            endpoint,
            state: Arc::new(State {
                config,
                indexes: RwLock::new(indexes),
            }),
        })
    }

    /// The address clients connect to, e.g. `tcp://127.0.0.1:41234` (the real port when
    /// bound to port 0).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Serves until `shutdown` is set, then lets in-flight requests finish, snapshots every
    /// index that has logged writes, and returns.
    ///
    /// The I/O thread decodes and authenticates each request. With no request in flight, it
    /// answers one that costs little (a ping, an info, a search of a small index) itself:
    /// handing it to a worker and its reply back would cost two thread wake-ups, more than the
    /// work. Everything else goes to one queue that every worker takes from, except that a
    /// part of an add waits in the I/O thread until the part before it was applied.
    pub fn run(self, shutdown: &AtomicBool) -> Result<(), ServerError> {
        let z = |e: zmq::Error| ServerError(e.to_string());
        let replies = self.context.socket(zmq::PULL).map_err(z)?;
        let reply_address = format!("inproc://faissx-replies-{:p}", Arc::as_ptr(&self.state));
        replies.bind(&reply_address).map_err(z)?;
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        let mut workers = Vec::new();
        for _ in 0..self.state.config.workers.max(1) {
            let push = self.context.socket(zmq::PUSH).map_err(z)?;
            push.connect(&reply_address).map_err(z)?;
            let (jobs, state) = (jobs.clone(), self.state.clone());
            workers.push(std::thread::spawn(move || loop {
                let job = jobs.lock().unwrap().recv();
                let Ok(job) = job else { break };
                let outcome = outcome(&state, &job);
                let tag = job.part().map_or_else(Vec::new, |part| {
                    part.tag(outcome.as_ref().err().map(|e| e.message.as_str()))
                });
                let reply = reply_frames(job.id(), outcome);
                let frames = [tag.into(), job.identity].into_iter().chain(reply);
                if send_frames(&push, frames, 0).is_err() {
                    break;
                }
            }));
        }
        log(&format!(
            "listening on {} with {} workers",
            self.endpoint,
            workers.len()
        ));

        let mut adds = AddsInProgress::default();
        let mut in_flight = 0usize;
        let mut draining = false;
        let dispatch = |job: Job, in_flight: &mut usize| {
            *in_flight += 1;
            queue.send(job).expect("workers outlive the loop");
        };
        let go_on = |(job, refusal): NextPart, in_flight: &mut usize| match refusal {
            Some(reply) => self.reply(job.identity, reply),
            None => dispatch(job, in_flight),
        };
        loop {
            if shutdown.load(Ordering::SeqCst) && !draining {
                draining = true;
            }
            if draining && in_flight == 0 {
                break;
            }
            let mut items = [
                self.router.as_poll_item(zmq::POLLIN),
                replies.as_poll_item(zmq::POLLIN),
            ];
            match zmq::poll(&mut items, 100) {
                // A signal (the shutdown request itself, usually) interrupted the wait.
                Err(zmq::Error::EINTR) => continue,
                result => result.map_err(z)?,
            };
            if items[1].is_readable() {
                while let Ok(mut frames) = recv_frames(&replies) {
                    in_flight -= 1;
                    let tag = frames.remove(0);
                    let identity = frames.remove(0);
                    if !tag.is_empty() {
                        for next in adds.applied(&identity, &tag) {
                            go_on(next, &mut in_flight);
                        }
                    }
                    self.reply(identity, frames);
                }
            }
            if items[0].is_readable() && !draining {
                while let Ok(mut frames) = recv_frames(&self.router) {
                    if frames.len() < 2 {
                        continue;
                    }
                    let identity = frames.remove(0);
                    let header = frames.remove(0);
                    let job = Job {
                        identity,
                        admitted: admit(&self.state, &header),
                        payload: frames,
                    };
                    if in_flight == 0 && job.cheap(&self.state) {
                        let reply = answer(&self.state, &job);
                        self.reply(job.identity, reply);
                    } else if job.part().is_some() {
                        if let Some(next) = adds.arrived(job) {
                            go_on(next, &mut in_flight);
                        }
                    } else {
                        dispatch(job, &mut in_flight);
                    }
                }
            }
        }
        drop(queue);
        for worker in workers {
            let _ = worker.join();
        }
        self.flush();
        log("stopped");
        Ok(())
    }

    fn reply(&self, identity: zmq::Message, reply: Vec<zmq::Message>) {
        // A client that went away cannot be answered; that is not the server's failure.
        let _ = send_frames(
            &self.router,
            std::iter::once(identity).chain(reply),
            zmq::DONTWAIT,
        );
    }

    /// Snapshots every index with logged writes, so a clean restart replays nothing.
    fn flush(&self) {
        for entry in self.state.indexes.read().unwrap().values() {
            if let Some(files) = entry.files() {
                if entry.wal_bytes.load(Ordering::SeqCst) > 0 {
                    let index = entry.index.read().unwrap();
                    if let Err(message) =
                        files.write_snapshot(&index, entry.seq.load(Ordering::SeqCst))
                    {
                        log(&format!("shutdown snapshot failed: {message}"));
                    }
                }
            }
        }
    }
}

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
    if !QUIET.load(Ordering::Relaxed) || message.contains("SKIPPED") || message.contains("torn") {
        eprintln!("faissx-server: {message}");
    }
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

/// A request as the I/O thread read it: who sent it, its header decoded and checked (or why
/// it was refused), and its payload frames, still in ZeroMQ's buffers.
struct Job {
    identity: zmq::Message,
    admitted: Result<Admitted, (u64, WireError)>,
    payload: Vec<zmq::Message>,
}

struct Admitted {
    request: Request,
    tenant: String,
}

/// Below this many vector components compared (queries × stored vectors × d), a search is
/// answered on the I/O thread when nothing else is in flight: a few hundred µs at most.
const INLINE_SEARCH_WORK: u64 = 1 << 22;

impl Job {
    /// Whether answering on the I/O thread costs less than a hand-off to a worker and back.
    fn cheap(&self, state: &State) -> bool {
        let Ok(Admitted { request, tenant }) = &self.admitted else {
            return true;
        };
        let (index, queries) = match &request.op {
            Op::Ping | Op::List | Op::Info { .. } => return true,
            Op::Search { index, n, .. } | Op::Assign { index, n, .. } => (index, *n),
            _ => return false,
        };
        let Some(entry) = state.entry(tenant, index) else {
            return true;
        };
        // A write in progress holds the lock: then the search waits in a worker, not here.
        let Ok(index) = entry.index.try_read() else {
            return false;
        };
        let work = queries
            .saturating_mul(index.ntotal())
            .saturating_mul(index.d().max(1) as u64);
        work <= INLINE_SEARCH_WORK
    }

    fn id(&self) -> u64 {
        match &self.admitted {
            Ok(admitted) => admitted.request.id,
            Err((id, _)) => *id,
        }
    }

    /// Where this request stands in an add sent in several parts, if it is one.
    fn part(&self) -> Option<Part> {
        match &self.admitted {
            Ok(Admitted {
                request:
                    Request {
                        id,
                        op: Op::Add { part, parts, .. },
                        ..
                    },
                ..
            }) if *parts > 1 => Some(Part {
                add: id.wrapping_sub(u64::from(*part)),
                index: *part,
                count: *parts,
            }),
            _ => None,
        }
    }
}

/// One part of an add sent in several: the parts of one add have consecutive request ids, so
/// the id of part 0 names the add (per client connection).
#[derive(Clone, Copy)]
struct Part {
    add: u64,
    index: u32,
    count: u32,
}

impl Part {
    fn is_last(&self) -> bool {
        self.index + 1 >= self.count
    }

    /// What a worker tells the I/O thread about an applied part, in front of the reply: the
    /// add, whether this was its last part, and why it failed (nothing if it did not).
    fn tag(&self, failure: Option<&str>) -> Vec<u8> {
        let mut tag = self.add.to_le_bytes().to_vec();
        tag.push(u8::from(self.is_last()));
        tag.push(u8::from(failure.is_some()));
        tag.extend_from_slice(failure.unwrap_or("").as_bytes());
        tag
    }

    fn refusal(&self, id: u64, why: &str) -> Vec<zmq::Message> {
        reply_frames(
            id,
            Err(fail(
                ErrorKind::InvalidArgument,
                format!(
                    "not applied, as part {} of {} of an add whose earlier part failed: {why}",
                    self.index, self.count
                ),
            )),
        )
    }
}

/// The adds whose parts are being applied, in the I/O thread: a part goes to a worker only once
/// the part before it was applied, so that parts are applied in order by whichever worker is
/// free, and the next part has arrived while the one before it is applied. After a failed part,
/// the later ones are refused.
#[derive(Default)]
struct AddsInProgress {
    adds: HashMap<(Vec<u8>, u64), AddInProgress>,
}

#[derive(Default)]
struct AddInProgress {
    applying: bool,
    waiting: std::collections::VecDeque<Job>,
    failed: Option<String>,
}

/// A part to dispatch, or to answer at once with the refusal given.
type NextPart = (Job, Option<Vec<zmq::Message>>);

impl AddsInProgress {
    /// Bounds what clients that vanish in the middle of an add leave behind.
    const MAX_OPEN: usize = 4096;

    /// A part came from a client: it goes to a worker now, or waits for the part before it.
    fn arrived(&mut self, job: Job) -> Option<NextPart> {
        let part = job.part().expect("only parts of adds");
        let key = (job.identity.to_vec(), part.add);
        if self.adds.len() >= Self::MAX_OPEN && !self.adds.contains_key(&key) {
            self.adds
                .retain(|_, add| add.applying || !add.waiting.is_empty());
        }
        let add = self.adds.entry(key.clone()).or_default();
        if add.applying {
            add.waiting.push_back(job);
            return None;
        }
        let next = self.start(&key, job);
        Some(next)
    }

    /// A worker applied (or failed to apply) a part: the next part of that add, if it came.
    fn applied(&mut self, identity: &[u8], tag: &[u8]) -> Vec<NextPart> {
        let add_id = u64::from_le_bytes(tag[..8].try_into().expect("tag holds the add's id"));
        let (last, failed) = (tag[8] != 0, tag[9] != 0);
        let key = (identity.to_vec(), add_id);
        let Some(add) = self.adds.get_mut(&key) else {
            return Vec::new();
        };
        add.applying = false;
        if failed && add.failed.is_none() {
            add.failed = Some(String::from_utf8_lossy(&tag[10..]).into_owned());
        }
        let mut next = Vec::new();
        if last {
            self.adds.remove(&key);
            return next;
        }
        while let Some(job) = self.adds.get_mut(&key).and_then(|a| a.waiting.pop_front()) {
            let started = self.start(&key, job);
            let dispatched = started.1.is_none();
            next.push(started);
            if dispatched {
                break;
            }
        }
        next
    }

    /// Sends a part on its way, or refuses it after a failed one; forgets the add after its
    /// last part.
    fn start(&mut self, key: &(Vec<u8>, u64), job: Job) -> NextPart {
        let part = job.part().expect("only parts of adds");
        let add = self.adds.get_mut(key).expect("the add is open");
        let refusal = add.failed.as_deref().map(|why| part.refusal(job.id(), why));
        if refusal.is_none() {
            add.applying = true;
        } else if part.is_last() {
            self.adds.remove(key);
        }
        (job, refusal)
    }
}

/// Reads one multipart message without copying its frames; EAGAIN when none is waiting.
fn recv_frames(socket: &zmq::Socket) -> zmq::Result<Vec<zmq::Message>> {
    let mut frames = Vec::new();
    loop {
        // ZeroMQ delivers a message's frames together: once the first is here, all are.
        let frame = socket.recv_msg(zmq::DONTWAIT)?;
        let more = frame.get_more();
        frames.push(frame);
        if !more {
            return Ok(frames);
        }
    }
}

fn send_frames(
    socket: &zmq::Socket,
    frames: impl IntoIterator<Item = zmq::Message>,
    flags: i32,
) -> zmq::Result<()> {
    let mut frames = frames.into_iter().peekable();
    while let Some(frame) = frames.next() {
        let more = if frames.peek().is_some() {
            zmq::SNDMORE
        } else {
            0
        };
        socket.send(frame, flags | more)?;
    }
    Ok(())
}

/// Decodes a request header and checks its version, credentials and limits; a refusal carries
/// the request's id when the header was readable.
fn admit(state: &State, header: &[u8]) -> Result<Admitted, (u64, WireError)> {
    let request = decode::<Request>(header).map_err(|e| (0, e))?;
    let refuse = |error| (request.id, error);
    if request.version != PROTOCOL_VERSION {
        return Err(refuse(fail(
            ErrorKind::Protocol,
            format!(
                "protocol version {} is not supported (this server speaks {PROTOCOL_VERSION})",
                request.version
            ),
        )));
    }
    let tenant = authenticate(state, &request).map_err(refuse)?;
    check_limits(&state.config.limits, &request.op).map_err(refuse)?;
    Ok(Admitted { request, tenant })
}

/// Serves an admitted request; a panic inside FAISS glue becomes an error, never a dead worker.
fn outcome(state: &State, job: &Job) -> Served {
    let admitted = match &job.admitted {
        Ok(admitted) => admitted,
        Err((_, error)) => return Err(error.clone()),
    };
    let payload: Vec<&[u8]> = job.payload.iter().map(|f| &f[..]).collect();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        serve(state, &admitted.tenant, &admitted.request, &payload)
    }))
    .unwrap_or_else(|_| {
        Err(fail(
            ErrorKind::Server,
            "internal error while serving the request",
        ))
    })
}

/// The reply frames (header, then payload) to a request.
fn answer(state: &State, job: &Job) -> Vec<zmq::Message> {
    reply_frames(job.id(), outcome(state, job))
}

fn reply_frames(id: u64, outcome: Served) -> Vec<zmq::Message> {
    let (result, payload) = match outcome {
        Ok((answer, payload)) => (Ok(answer), payload),
        Err(error) => (Err(error), Vec::new()),
    };
    let header = encode(&Reply {
        version: PROTOCOL_VERSION,
        id,
        result,
    });
    // Vec -> Message hands the buffer to ZeroMQ without copying it.
    std::iter::once(header)
        .chain(payload)
        .map(zmq::Message::from)
        .collect()
}

/// The tenant a request acts for, after checking its credentials.
fn authenticate(state: &State, request: &Request) -> Result<String, WireError> {
    let Some(keys) = &state.config.auth else {
        return Ok(request
            .tenant
            .clone()
            .unwrap_or_else(|| DEFAULT_TENANT.into()));
    };
    let Some(given) = &request.api_key else {
        return Err(fail(ErrorKind::Auth, "an API key is required"));
    };
    // Compare against every key in constant time, so timing tells nothing about which
    // prefix matched or which key exists.
    let mut tenant = None;
    for (key, key_tenant) in keys {
        if bool::from(subtle::ConstantTimeEq::ct_eq(
            key.as_bytes(),
            given.as_bytes(),
        )) {
            tenant = Some(key_tenant.clone());
        }
    }
    let tenant = tenant.ok_or_else(|| fail(ErrorKind::Auth, "unknown API key"))?;
    match &request.tenant {
        Some(claimed) if claimed != &tenant => Err(fail(
            ErrorKind::Auth,
            format!("the API key does not belong to tenant '{claimed}'"),
        )),
        _ => Ok(tenant),
    }
}

type Served = Result<(Answer, Vec<Vec<u8>>), WireError>;

fn serve(state: &State, tenant: &str, request: &Request, payload: &[&[u8]]) -> Served {
    let frame = |i: usize| -> Result<&[u8], WireError> {
        payload.get(i).copied().ok_or_else(|| {
            fail(
                ErrorKind::Protocol,
                format!("missing payload frame {}", i + 1),
            )
        })
    };
    let key = |name: &str| (tenant.to_string(), name.to_string());
    let find = |name: &str| -> Result<Arc<Entry>, WireError> {
        state
            .entry(tenant, name)
            .ok_or_else(|| fail(ErrorKind::NotFound, format!("no index named '{name}'")))
    };
    let info = |entry: &Arc<Entry>| read(entry, |index| index.info());
    match &request.op {
        Op::Ping => Ok((Answer::Done, vec![])),
        Op::List => {
            let mut names: Vec<String> = state
                .indexes
                .read()
                .unwrap()
                .keys()
                .filter(|(t, _)| t == tenant)
                .map(|(_, n)| n.clone())
                .collect();
            names.sort();
            Ok((Answer::Names(names), vec![]))
        }
        Op::Create { index, spec } => {
            let borrowed: Mutex<Vec<Arc<Entry>>> = Mutex::new(Vec::new());
            let sub = |name: &str| -> crate::ffi::boundary::Result<RawIndex> {
                let entry = find(name).map_err(|e| Error::invalid(e.message))?;
                let raw = entry.index.read().unwrap().raw();
                borrowed.lock().unwrap().push(entry);
                Ok(raw)
            };
            // The sub-indexes are only read while the composite is built (its dimension, whether
            // it is trained); they are held by `borrowed`, and by the new entry from then on.
            let built = LocalIndex::create(spec, &sub).map_err(from_local)?;
            insert(state, tenant, index, built, borrowed.into_inner().unwrap())
        }
        Op::Load { index, binary } => {
            let loaded = LocalIndex::load(frame(0)?, *binary).map_err(from_local)?;
            insert(state, tenant, index, loaded, Vec::new())
        }
        Op::Save { index } => Ok((
            Answer::Data,
            vec![read(&find(index)?, |i| i.save()).map_err(from_local)?],
        )),
        Op::Delete { index } => {
            let removed = state.indexes.write().unwrap().remove(&key(index));
            let entry = removed
                .ok_or_else(|| fail(ErrorKind::NotFound, format!("no index named '{index}'")))?;
            entry.deleted.store(true, Ordering::SeqCst);
            if let Some(files) = &entry.files {
                files.remove();
            }
            Ok((Answer::Done, vec![]))
        }
        Op::Info { index } => Ok((Answer::Info(info(&find(index)?)), vec![])),
        Op::Clone { index, to } => {
            // FAISS's clone copies sub-indexes too: the copy owns everything it uses.
            let copy = read(&find(index)?, |i| i.duplicate()).map_err(from_local)?;
            insert(state, tenant, to, copy, Vec::new())
        }
        Op::Search {
            index,
            n,
            k,
            params,
        } => {
            let queries = frame(0)?;
            let (distances, labels) = read(&find(index)?, |i| {
                i.search(*n, *k, queries, params.as_ref())
            })
            .map_err(from_local)?;
            Ok((Answer::Data, vec![distances, labels]))
        }
        Op::Assign { index, n, k } => {
            let queries = frame(0)?;
            let labels = read(&find(index)?, |i| i.assign(*n, *k, queries)).map_err(from_local)?;
            Ok((Answer::Data, vec![labels]))
        }
        Op::RangeSearch {
            index,
            n,
            radius,
            params,
        } => {
            let queries = frame(0)?;
            let frames = read(&find(index)?, |i| {
                i.range_search(*n, *radius, queries, params.as_ref())
            })
            .map_err(from_local)?;
            Ok((Answer::Data, frames.into()))
        }
        Op::Reconstruct { index, first, n } => {
            let vectors = read(&find(index)?, |i| i.reconstruct(*first, *n)).map_err(from_local)?;
            Ok((Answer::Data, vec![vectors]))
        }
        Op::IdMap { index } => Ok((
            Answer::Data,
            vec![read(&find(index)?, |i| i.id_map()).map_err(from_local)?],
        )),
        Op::FlatVectors { index } => Ok((
            Answer::Data,
            vec![read(&find(index)?, |i| i.flat_vectors()).map_err(from_local)?],
        )),
        Op::ListSizes { index } => Ok((
            Answer::Data,
            vec![read(&find(index)?, |i| i.list_sizes()).map_err(from_local)?],
        )),
        Op::ListIds { index, list } => Ok((
            Answer::Data,
            vec![read(&find(index)?, |i| i.list_ids(*list)).map_err(from_local)?],
        )),
        Op::MergeFrom {
            index,
            other,
            add_id,
        } => {
            if index == other {
                return Err(fail(
                    ErrorKind::InvalidArgument,
                    "cannot merge an index into itself",
                ));
            }
            let (target, source) = (find(index)?, find(other)?);
            write(&[&target, &source], |indexes, held| {
                let (target_index, source_index) = (indexes[0], indexes[1]);
                target_index
                    .merge_from(source_index, *add_id)
                    .map_err(from_local)?;
                // Both indexes changed, and with them what they borrow (an IDMap's wrapped index).
                for (entry, locked) in held {
                    snapshot(entry, locked)?;
                }
                Ok((Answer::Info(target_index.info()), vec![]))
            })
        }
        Op::Train { .. }
        | Op::Add { .. }
        | Op::Reset { .. }
        | Op::RemoveIds { .. }
        | Op::SetParam { .. } => {
            let entry = find(write_target(&request.op))?;
            write(&[&entry], |indexes, held| {
                let index = indexes[0];
                let removed = apply_write(index, &request.op, payload).map_err(from_local)?;
                persist_write(&entry, index, &request.op, payload)?;
                persist_borrowed(&entry, index, held, &request.op, payload)?;
                let info = index.info();
                Ok((
                    match removed {
                        Some(n) => Answer::Removed { n, info },
                        None => Answer::Info(info),
                    },
                    vec![],
                ))
            })
        }
    }
}

fn write_target(op: &Op) -> &str {
    match op {
        Op::Train { index, .. }
        | Op::Add { index, .. }
        | Op::Reset { index }
        | Op::RemoveIds { index, .. }
        | Op::SetParam { index, .. } => index,
        _ => unreachable!("only writes reach write_target"),
    }
}

/// Applies a logged write; used both to serve it and to replay it after a restart. Returns the
/// number of removed vectors for RemoveIds.
fn apply_write(
    index: &LocalIndex,
    op: &Op,
    payload: &[&[u8]],
) -> crate::ffi::boundary::Result<Option<u64>> {
    let frame = |i: usize| {
        payload
            .get(i)
            .copied()
            .ok_or_else(|| Error::invalid(format!("missing payload frame {}", i + 1)))
    };
    match op {
        Op::Train { n, .. } => index.train(*n, frame(0)?).map(|()| None),
        Op::Add {
            n,
            with_ids,
            part,
            parts,
            ..
        } => {
            if *part == 0 && *parts > 1 {
                // Every part but the last has n vectors: room for all of them at once.
                index.reserve(n.saturating_mul(u64::from(*parts)))?;
            }
            let ids = if *with_ids { Some(frame(1)?) } else { None };
            index.add(*n, frame(0)?, ids).map(|()| None)
        }
        Op::Reset { .. } => index.reset().map(|()| None),
        Op::RemoveIds { selector, .. } => index.remove_ids(selector).map(Some),
        Op::SetParam { name, value, .. } => index.set_param(name, *value).map(|()| None),
        _ => Err(Error::invalid("not a write operation")),
    }
}

/// Makes an applied write durable before it is acknowledged: training and merges take a
/// snapshot (their results are not cheap or not exactly reproducible to replay), the rest
/// goes to the log until the log grows past its bound.
fn persist_write(
    entry: &Entry,
    index: &LocalIndex,
    op: &Op,
    payload: &[&[u8]],
) -> Result<(), WireError> {
    let Some(files) = entry.files() else {
        return Ok(());
    };
    let seq = entry.seq.fetch_add(1, Ordering::SeqCst) + 1;
    if matches!(op, Op::Train { .. }) || entry.wal_bytes.load(Ordering::SeqCst) > WAL_SNAPSHOT_BYTES
    {
        files
            .write_snapshot(index, seq)
            .map_err(|m| fail(ErrorKind::Server, m))?;
        entry.wal_bytes.store(0, Ordering::SeqCst);
        return Ok(());
    }
    let record = WalRecord {
        seq,
        op: op.clone(),
        frames: payload
            .iter()
            .map(|f| serde_bytes::ByteBuf::from(f.to_vec()))
            .collect(),
    };
    let size = files
        .append(&record)
        .map_err(|m| fail(ErrorKind::Server, m))?;
    entry.wal_bytes.store(size, Ordering::SeqCst);
    Ok(())
}

/// A write through a composite can change the indexes it borrows, which persist on their own:
/// an add to an IDMap adds the vectors to the index it wraps (logged there as that add); an add
/// to an IVF leaves its quantizer as it is; any other write (train, reset, removal, parameters)
/// may change them in ways only a snapshot captures.
fn persist_borrowed(
    entry: &Arc<Entry>,
    index: &LocalIndex,
    held: &[(&Arc<Entry>, &LocalIndex)],
    op: &Op,
    payload: &[&[u8]],
) -> Result<(), WireError> {
    if entry.deps.is_empty() {
        return Ok(());
    }
    let wraps = index.info().classes.iter().any(|c| c == "IndexIDMap");
    for (other, other_index) in held.iter().filter(|(e, _)| e.serial != entry.serial) {
        let direct = entry.deps.iter().any(|d| d.serial == other.serial);
        match op {
            Op::Add { n, .. } if wraps && direct => {
                let add = Op::Add {
                    index: String::new(),
                    n: *n,
                    with_ids: false,
                    part: 0,
                    parts: 1,
                };
                persist_write(other, other_index, &add, &payload[..1])?;
            }
            Op::Add { .. } => {}
            _ => snapshot(other, other_index)?,
        }
    }
    Ok(())
}

fn snapshot(entry: &Entry, index: &LocalIndex) -> Result<(), WireError> {
    if let Some(files) = entry.files() {
        let seq = entry.seq.fetch_add(1, Ordering::SeqCst) + 1;
        files
            .write_snapshot(index, seq)
            .map_err(|m| fail(ErrorKind::Server, m))?;
        entry.wal_bytes.store(0, Ordering::SeqCst);
    }
    Ok(())
}

fn insert(
    state: &State,
    tenant: &str,
    name: &str,
    index: LocalIndex,
    deps: Vec<Arc<Entry>>,
) -> Served {
    if name.is_empty() {
        return Err(fail(
            ErrorKind::InvalidArgument,
            "index names cannot be empty",
        ));
    }
    let binary = index.info().binary;
    let files = state
        .config
        .data_dir
        .as_ref()
        .map(|dir| IndexFiles::new(dir, tenant, name, binary));
    let entry = Arc::new(Entry::new(index, files, deps));
    let key = (tenant.to_string(), name.to_string());
    {
        let mut indexes = state.indexes.write().unwrap();
        if indexes.contains_key(&key) {
            return Err(fail(
                ErrorKind::InvalidArgument,
                format!("an index named '{name}' already exists"),
            ));
        }
        indexes.insert(key.clone(), entry.clone());
    }
    let saved = read(&entry, |index| {
        snapshot(&entry, index).map(|()| index.info())
    });
    match saved {
        Ok(info) => Ok((Answer::Info(info), vec![])),
        Err(error) => {
            state.indexes.write().unwrap().remove(&key);
            Err(error)
        }
    }
}

fn check_limits(limits: &Limits, op: &Op) -> Result<(), WireError> {
    let too_big = |what: &str, value: u64, max: u64| {
        if value > max {
            Err(fail(
                ErrorKind::Limit,
                format!("{what} = {value} exceeds the server's limit of {max}"),
            ))
        } else {
            Ok(())
        }
    };
    match op {
        Op::Create { spec, .. } => {
            let d = match spec {
                IndexSpec::Factory { d, .. }
                | IndexSpec::BinaryFactory { d, .. }
                | IndexSpec::Flat { d, .. }
                | IndexSpec::FlatL2 { d }
                | IndexSpec::FlatIP { d }
                | IndexSpec::ScalarQuantizer { d, .. }
                | IndexSpec::HnswFlat { d, .. }
                | IndexSpec::Pq { d, .. } => u64::from(*d),
                IndexSpec::IvfFlat { d, .. }
                | IndexSpec::IvfScalarQuantizer { d, .. }
                | IndexSpec::IvfPq { d, .. }
                | IndexSpec::BinaryFlat { d }
                | IndexSpec::BinaryIvf { d, .. } => *d,
                IndexSpec::IdMap { .. } => 0,
            };
            too_big("d", d, limits.max_dimension.into())
        }
        Op::Search { n, k, .. } | Op::Assign { n, k, .. } => {
            too_big("k", *k, limits.max_k)?;
            too_big("n", *n, limits.max_batch)
        }
        Op::Train { n, .. }
        | Op::Add { n, .. }
        | Op::RangeSearch { n, .. }
        | Op::Reconstruct { n, .. } => too_big("n", *n, limits.max_batch),
        _ => Ok(()),
    }
}
