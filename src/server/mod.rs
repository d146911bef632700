//! faissx-server as a library: [`Server::bind`] then [`Server::run`] until a shutdown flag is
//! set. The binary (src/bin/faissx-server.rs) only parses arguments and calls these; tests
//! bind port 0 and run it on a thread.
//!
//! One ROUTER socket faces the clients. The thread that owns it hands each request to a pool
//! of workers and forwards their replies, which come back over an inproc PULL socket — ZeroMQ
//! sockets must stay on one thread, FAISS work must not. Per index, searches share a read lock
//! and writes take the write lock, so searches run in parallel, writes to one index are
//! serialized, and a slow request only holds up requests on its own index.

pub mod budget;
pub mod metrics;
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
            max_k: 100_000,
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
    pub limits: Limits,
    /// The server's memory budget and tenants' quotas.
    pub quotas: budget::Quotas,
    /// With a secret key, connections are encrypted and only clients that know the matching
    /// public key can connect (ZeroMQ CURVE).
    pub curve_secret_key: Option<crate::curve::SecretKey>,
    /// HOST:PORT for the HTTP endpoints /metrics and /health; `None`: no metrics at all.
    pub metrics_address: Option<String>,
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
            quotas: budget::Quotas::default(),
            curve_secret_key: None,
            metrics_address: None,
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
    /// What the index holds, as of its last write: for quotas and the memory budget, read
    /// without taking the index's lock.
    usage: Usage,
}

#[derive(Default)]
struct Usage {
    d: AtomicU64,
    vectors: AtomicU64,
    /// Bytes of stored codes (vectors × code size).
    bytes: AtomicU64,
    /// Bytes one more vector takes.
    vector_bytes: AtomicU64,
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
            usage: Usage::default(),
        }
        .accounted()
    }

    fn accounted(self) -> Self {
        self.account(&self.index.read().unwrap());
        self
    }

    /// Vectors the index held after its last write.
    fn vectors(&self) -> u64 {
        self.usage.vectors.load(Ordering::Relaxed)
    }

    /// Records what `index` (this entry's, locked by the caller) holds now.
    fn account(&self, index: &LocalIndex) {
        let info = index.info();
        let vector_bytes = match (info.code_size, info.binary) {
            (0, false) => u64::from(info.d) * 4,
            (0, true) => u64::from(info.d) / 8,
            (code_size, _) => code_size,
        };
        let vectors = info.ntotal.max(0) as u64;
        let usage = &self.usage;
        usage.d.store(info.d.into(), Ordering::Relaxed);
        usage.vectors.store(vectors, Ordering::Relaxed);
        usage.vector_bytes.store(vector_bytes, Ordering::Relaxed);
        usage
            .bytes
            .store(vectors.saturating_mul(vector_bytes), Ordering::Relaxed);
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
    budget: budget::Budget,
}

impl State {
    /// What the tenant's indexes hold together.
    fn tenant_use(&self, tenant: &str) -> budget::TenantUse {
        let indexes = self.indexes.read().unwrap();
        let mine = indexes.iter().filter(|((t, _), _)| t == tenant);
        let mut total = budget::TenantUse {
            vectors: 0,
            bytes: 0,
        };
        for (_, entry) in mine {
            total.vectors += entry.vectors();
            total.bytes += entry.usage.bytes.load(Ordering::Relaxed);
        }
        total
    }

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
    metrics: Option<metrics::Metrics>,
    /// Replies whose client's queue was full when they were ready.
    held: std::cell::RefCell<HeldReplies>,
    /// Held while the server lives: no second server writes to the same data directory.
    _data_dir_lock: Option<persist::DataDirLock>,
}

impl Server {
    /// Restores the data directory and binds the socket; every startup failure (busy port,
    /// corrupt index file) is reported here, before anything is served.
    pub fn bind(config: Config) -> Result<Server, ServerError> {
        ignore_file_size_signal();
        let mut indexes = HashMap::new();
        let data_dir_lock = match &config.data_dir {
            Some(dir) => Some(persist::lock_data_dir(dir).map_err(ServerError)?),
            None => None,
        };
        if let Some(dir) = &config.data_dir {
            let (recovered, skipped) =
                persist::recover(dir, config.skip_corrupt).map_err(ServerError)?;
            for message in skipped {
                warn(&format!("SKIPPED (--skip-corrupt): {message}"));
            }
            for found in recovered {
                if found.torn_tail > 0 {
                    warn(&format!(
                        "{}: dropped a torn last record of {} bytes (a write that was never acknowledged)",
                        found.files.wal.display(),
                        found.torn_tail
                    ));
                }
                for (at, bytes) in &found.skipped {
                    warn(&format!(
                        "{}: skipped {bytes} bytes at {at} left by a failed append (a write that was never acknowledged)",
                        found.files.wal.display()
                    ));
                }
                let mut seq = found.seq;
                for record in &found.replay {
                    let frames: Vec<&[u8]> = record.frames.iter().map(|f| f.as_slice()).collect();
                    // A logged write is cut back off the log when FAISS refuses it; one that
                    // fails here was never acknowledged (the cut itself failed before a crash).
                    if let Err(e) = apply_write(&found.index, &record.op, &frames) {
                        warn(&format!(
                            "{}: torn write {} not replayed: {}",
                            found.files.wal.display(),
                            record.seq,
                            e.message
                        ));
                    }
                    seq = record.seq;
                }
                let entry = Entry::new(found.index, Some(found.files), Vec::new());
                entry.seq.store(seq, Ordering::SeqCst);
                entry.wal_bytes.store(found.wal_len, Ordering::SeqCst);
                if !found.replay.is_empty() {
                    // Fold the replayed log into a fresh snapshot so it is not replayed again;
                    // if that fails (a full disk), the log still holds the writes.
                    let files = entry.files.as_ref().expect("recovered from files");
                    match files.write_snapshot(&entry.index.read().unwrap(), seq) {
                        Ok(()) => entry.wal_bytes.store(0, Ordering::SeqCst),
                        Err(message) => warn(&format!("{message}; the log keeps the writes")),
                    }
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
        // A client that does not read its replies gets this many queued in ZeroMQ, then up to
        // HELD_BYTES_PER_CLIENT held by the server, then the rest are dropped (it times out),
        // instead of the server holding every reply for it. Mandatory routing makes a full
        // queue an error the server sees (EAGAIN) instead of a silent drop: a queue can look
        // full for a moment to a client that reads, until ZeroMQ's I/O thread catches up.
        router
            .set_sndhwm(REPLIES_QUEUED_PER_CLIENT)
            .map_err(|e| ServerError(e.to_string()))?;
        router
            .set_router_mandatory(true)
            .map_err(|e| ServerError(e.to_string()))?;
        if let Some(key) = &config.curve_secret_key {
            crate::curve::check_available().map_err(ServerError)?;
            let curve = |e: zmq::Error| ServerError(format!("cannot turn CURVE on: {e}"));
            router.set_curve_server(true).map_err(curve)?;
            router.set_curve_secretkey(&key.0).map_err(curve)?;
        }
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
        let metrics = config
            .metrics_address
            .as_deref()
            .map(metrics::Metrics::bind)
            .transpose()
            .map_err(ServerError)?;
        Ok(Server {
            context,
            router,
            endpoint,
            state: Arc::new(State {
                budget: budget::Budget::new(config.quotas.max_memory_bytes),
                config,
                indexes: RwLock::new(indexes),
            }),
            metrics,
            held: Default::default(),
            _data_dir_lock: data_dir_lock,
        })
    }

    /// The address clients connect to, e.g. `tcp://127.0.0.1:41234` (the real port when
    /// bound to port 0).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Where /metrics and /health are served, if they are (the real port when bound to 0).
    pub fn metrics_address(&self) -> Option<std::net::SocketAddr> {
        self.metrics.as_ref().map(metrics::Metrics::address)
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
        budget::return_freed_memory();
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
            let recorder = self.recorder();
            // FAISS's factory parser and selector checks recurse on what clients send: more
            // stack than a thread's default 2 MB (it is only reserved, not used, until needed).
            let worker = std::thread::Builder::new()
                .name("faissx-worker".into())
                .stack_size(WORKER_STACK_BYTES);
            let spawned = worker.spawn(move || loop {
                let job = jobs.lock().unwrap().recv();
                let Ok(job) = job else { break };
                let outcome = outcome(&state, &job);
                if let Some(recorder) = &recorder {
                    recorder.served(&job, &outcome);
                }
                let tag = job.part().map_or_else(Vec::new, |part| {
                    part.tag(outcome.as_ref().err().map(|e| e.message.as_str()))
                });
                let reply = reply_frames(job.id(), outcome);
                let frames = [tag.into(), job.identity].into_iter().chain(reply);
                if send_frames(&push, frames, 0).is_err() {
                    break;
                }
            });
            workers.push(spawned.map_err(|e| ServerError(format!("cannot start a worker: {e}")))?);
        }
        log(&format!(
            "listening on {} with {} workers",
            self.endpoint,
            workers.len()
        ));

        let recorder = self.recorder();
        let http = self
            .metrics
            .as_ref()
            .map(|m| m.serve(self.state.clone()))
            .transpose()
            .map_err(ServerError)?;
        let mut adds = AddsInProgress::default();
        let mut in_flight = 0usize;
        let mut draining = false;
        let mut busy_since_trim = false;
        let dispatch = |job: Job, in_flight: &mut usize| {
            *in_flight += 1;
            queue.send(job).expect("workers outlive the loop");
        };
        let go_on = |(job, refusal): NextPart, in_flight: &mut usize| match refusal {
            Some(reply) => {
                if let Some(recorder) = &recorder {
                    // The kind Part::refusal answers with.
                    recorder.refused(&job, ErrorKind::InvalidArgument);
                }
                self.reply(job.identity, reply)
            }
            None => dispatch(job, in_flight),
        };
        loop {
            if shutdown.load(Ordering::SeqCst) && !draining {
                draining = true;
                if let Some(recorder) = &recorder {
                    recorder.set_serving(false);
                }
            }
            if draining && in_flight == 0 {
                break;
            }
            // At the bound, requests stay in ZeroMQ's queues (and the clients' sockets) until
            // workers catch up: what one client sends cannot grow the server's memory.
            let accepting = in_flight < MAX_IN_FLIGHT;
            let mut items = [
                replies.as_poll_item(zmq::POLLIN),
                self.router.as_poll_item(zmq::POLLIN),
            ];
            let polled = if accepting {
                &mut items[..]
            } else {
                &mut items[..1]
            };
            // Held replies are retried as soon as ZeroMQ may have made room.
            let wait = if self.held.borrow().replies.is_empty() {
                100
            } else {
                1
            };
            let events = match zmq::poll(polled, wait) {
                // A signal (the shutdown request itself, usually) interrupted the wait.
                Err(zmq::Error::EINTR) => continue,
                result => result.map_err(z)?,
            };
            self.resend_held();
            if events == 0 && busy_since_trim && in_flight == 0 {
                // Idle: give what the last burst freed back to the system.
                budget::trim();
                busy_since_trim = false;
            }
            busy_since_trim |= events > 0;
            if items[0].is_readable() {
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
            if accepting && items[1].is_readable() && !draining {
                while in_flight < MAX_IN_FLIGHT {
                    let Ok(mut frames) = recv_frames(&self.router) else {
                        break;
                    };
                    if let Some(recorder) = &recorder {
                        // Not the identity frame: ZeroMQ adds it, the client never sent it.
                        recorder.received(frames.get(1..).unwrap_or_default());
                    }
                    if frames.len() < 2 {
                        continue;
                    }
                    let identity = frames.remove(0);
                    let header = frames.remove(0);
                    let job = Job {
                        identity,
                        received: std::time::Instant::now(),
                        admitted: admit(&self.state, &header),
                        payload: frames,
                    };
                    if in_flight == 0 && job.cheap(&self.state) {
                        let outcome = outcome(&self.state, &job);
                        if let Some(recorder) = &recorder {
                            recorder.served(&job, &outcome);
                        }
                        let reply = reply_frames(job.id(), outcome);
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
        drop(http);
        drop(queue);
        for worker in workers {
            let _ = worker.join();
        }
        self.flush();
        log("stopped");
        Ok(())
    }

    fn reply(&self, identity: zmq::Message, reply: Vec<zmq::Message>) {
        if let Some(metrics) = &self.metrics {
            metrics.recorder.sent(&reply);
        }
        let mut held = self.held.borrow_mut();
        // Behind replies already held for this client: they go first, in order.
        if held.replies.contains_key(&identity[..]) {
            held.hold(identity, reply);
            return;
        }
        if let Some((identity, reply)) = self.send_reply(identity, reply) {
            held.hold(identity, reply);
        }
    }

    /// Sends a reply, or gives it back when the client's queue is full. A client that went
    /// away cannot be answered; that is not the server's failure, and its reply is dropped.
    fn send_reply(
        &self,
        identity: zmq::Message,
        reply: Vec<zmq::Message>,
    ) -> Option<(zmq::Message, Vec<zmq::Message>)> {
        // The ROUTER decides on the identity frame: with ROUTER_MANDATORY a full queue refuses
        // it (EAGAIN) and nothing of the message is sent, so the reply can be held and resent.
        let first = zmq::Message::from(&identity[..]);
        match self.router.send(first, zmq::SNDMORE | zmq::DONTWAIT) {
            Ok(()) => {
                let _ = send_frames(&self.router, reply, zmq::DONTWAIT);
                None
            }
            Err(zmq::Error::EAGAIN) => Some((identity, reply)),
            Err(_) => None,
        }
    }

    /// Resends held replies, oldest first per client, until a client's queue is full again.
    fn resend_held(&self) {
        let mut held = self.held.borrow_mut();
        let clients: Vec<Vec<u8>> = held.replies.keys().cloned().collect();
        for client in clients {
            while let Some((identity, reply)) = held.take(&client) {
                if let Some(again) = self.send_reply(identity, reply) {
                    held.put_back(&client, again);
                    break;
                }
            }
        }
    }

    /// The request counters, when metrics are on.
    fn recorder(&self) -> Option<Arc<metrics::Recorder>> {
        self.metrics.as_ref().map(|m| m.recorder.clone())
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
                        warn(&format!("shutdown snapshot failed: {message}"));
                    }
                }
            }
        }
    }
}

/// Replies the server holds for clients whose queue in ZeroMQ is full, per client in order.
#[derive(Default)]
struct HeldReplies {
    replies: HashMap<Vec<u8>, std::collections::VecDeque<(zmq::Message, Vec<zmq::Message>)>>,
    bytes: HashMap<Vec<u8>, usize>,
}

impl HeldReplies {
    fn hold(&mut self, identity: zmq::Message, reply: Vec<zmq::Message>) {
        let size: usize = reply.iter().map(|f| f.len()).sum();
        let client = identity.to_vec();
        let held = self.bytes.entry(client.clone()).or_default();
        if *held + size > HELD_BYTES_PER_CLIENT {
            // A client this far behind is not reading: its replies go, not the server.
            return;
        }
        *held += size;
        self.replies
            .entry(client)
            .or_default()
            .push_back((identity, reply));
    }

    fn take(&mut self, client: &[u8]) -> Option<(zmq::Message, Vec<zmq::Message>)> {
        let queue = self.replies.get_mut(client)?;
        let next = queue.pop_front();
        if let Some((_, reply)) = &next {
            let size: usize = reply.iter().map(|f| f.len()).sum();
            if let Some(held) = self.bytes.get_mut(client) {
                *held = held.saturating_sub(size);
            }
        }
        if queue.is_empty() {
            self.replies.remove(client);
            self.bytes.remove(client);
        }
        next
    }

    fn put_back(&mut self, client: &[u8], reply: (zmq::Message, Vec<zmq::Message>)) {
        let size: usize = reply.1.iter().map(|f| f.len()).sum();
        *self.bytes.entry(client.to_vec()).or_default() += size;
        self.replies
            .entry(client.to_vec())
            .or_default()
            .push_front(reply);
    }
}

/// Bytes of replies the server holds for one client whose queue in ZeroMQ is full.
const HELD_BYTES_PER_CLIENT: usize = 32 << 20;

/// Requests read from clients and not yet answered; past it the server stops reading.
const MAX_IN_FLIGHT: usize = 1024;

/// Replies ZeroMQ keeps for one client that is not reading them.
const REPLIES_QUEUED_PER_CLIENT: i32 = 16;

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

/// A request as the I/O thread read it: who sent it, its header decoded and checked (or why
/// it was refused), and its payload frames, still in ZeroMQ's buffers.
struct Job {
    identity: zmq::Message,
    /// When the I/O thread read it, for the latency metric.
    received: std::time::Instant,
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
        self.refused(id, &format!("an add whose earlier part failed: {why}"))
    }

    fn refused(&self, id: u64, what: &str) -> Vec<zmq::Message> {
        reply_frames(
            id,
            Err(fail(
                ErrorKind::InvalidArgument,
                format!(
                    "not applied, as part {} of {} of {what}",
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
            // Parts that came after the last one (a client numbering its parts wrongly) are
            // answered, not left waiting for an add that is over.
            let waiting = self.adds.remove(&key).map(|add| add.waiting);
            for job in waiting.into_iter().flatten() {
                let part = job.part().expect("only parts of adds");
                let refusal = part.refused(job.id(), "an add whose last part was already applied");
                next.push((job, Some(refusal)));
            }
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
///
/// The credentials are read and checked first, skipping over the operation: an unauthenticated
/// client cannot make the server build what a header describes (a selector of millions of ids).
fn admit(state: &State, header: &[u8]) -> Result<Admitted, (u64, WireError)> {
    let credentials = decode::<Credentials>(header).map_err(|e| (0, e))?;
    let refuse = |error| (credentials.id, error);
    if credentials.version != PROTOCOL_VERSION {
        return Err(refuse(fail(
            ErrorKind::Protocol,
            format!(
                "protocol version {} is not supported (this server speaks {PROTOCOL_VERSION})",
                credentials.version
            ),
        )));
    }
    let tenant = authenticate(state, &credentials).map_err(refuse)?;
    let request = decode::<Request>(header).map_err(refuse)?;
    check_limits(&state.config.limits, &request.op).map_err(refuse)?;
    Ok(Admitted { request, tenant })
}

/// The fields of a [`Request`] that say who sends it; serde skips the rest (the operation)
/// without building it.
#[derive(serde::Deserialize)]
struct Credentials {
    version: u32,
    id: u64,
    api_key: Option<String>,
    tenant: Option<String>,
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
fn authenticate(state: &State, request: &Credentials) -> Result<String, WireError> {
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
    let _memory = admit_memory(state, tenant, &request.op, payload)?;
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
            // The index's own lock first: a write or the creation snapshot in progress finishes
            // (and is then removed with the files); the map's lock then keeps the name from
            // being created again until the old files are gone, so they cannot remove the new
            // index's files.
            let entry = find(index)?;
            let _writes = entry.index.write().unwrap();
            let mut indexes = state.indexes.write().unwrap();
            match indexes.get(&key(index)) {
                Some(current) if Arc::ptr_eq(current, &entry) => indexes.remove(&key(index)),
                _ => {
                    return Err(fail(
                        ErrorKind::NotFound,
                        format!("no index named '{index}'"),
                    ))
                }
            };
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
            let max_bytes = state.config.limits.max_result_bytes;
            let frames = read(&find(index)?, |i| {
                i.range_search(*n, *radius, queries, params.as_ref(), max_bytes)
            })
            .map_err(from_local)?;
            Ok((Answer::Data, frames.into()))
        }
        Op::Reconstruct { index, first, n } => {
            let max_bytes = state.config.limits.max_result_bytes;
            let vectors = read(&find(index)?, |i| i.reconstruct(*first, *n, max_bytes))
                .map_err(from_local)?;
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
                    entry.account(locked);
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
                // Logged before it is applied, cut back off the log if FAISS refuses it: the
                // log holds exactly what was acknowledged, and nothing refused is applied.
                let logged = log_write(&entry, index, held, &request.op, payload)?;
                let removed = match apply_write(index, &request.op, payload) {
                    Ok(removed) => removed,
                    Err(error) => {
                        for record in logged {
                            record.undo();
                        }
                        return Err(from_local(error));
                    }
                };
                for record in logged {
                    record.commit();
                }
                for (other, other_index) in held {
                    other.account(other_index);
                }
                after_write(&entry, index, held, &request.op)?;
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

/// Checks what a request will allocate against the memory budget, and what it adds to its
/// tenant's indexes against the quotas, before anything is allocated. The estimates are upper
/// bounds of the buffers the operation builds (results and their reply frames, copies).
fn admit_memory<'a>(
    state: &'a State,
    tenant: &str,
    op: &Op,
    payload: &[&[u8]],
) -> Result<Option<budget::Reservation<'a>>, WireError> {
    let usage = |name: &str| {
        state.entry(tenant, name).map(|entry| {
            let u = &entry.usage;
            (
                u.d.load(Ordering::Relaxed),
                u.vectors.load(Ordering::Relaxed),
                u.bytes.load(Ordering::Relaxed),
                u.vector_bytes.load(Ordering::Relaxed),
            )
        })
    };
    let payload_bytes: u64 = payload.iter().map(|f| f.len() as u64).sum();
    let quotas = &state.config.quotas;
    let check_quota = |vectors: u64, bytes: u64| {
        if quotas.tenant_max_vectors.is_none() && quotas.tenant_max_bytes.is_none() {
            return Ok(());
        }
        quotas.check(
            tenant,
            &state.tenant_use(tenant),
            &budget::TenantUse { vectors, bytes },
        )
    };
    let (bytes, what) = match op {
        Op::Search { n, k, .. } => (
            n.saturating_mul(*k).saturating_mul(24),
            format!("a search of {n} queries for {k} neighbours"),
        ),
        Op::Assign { n, k, .. } => (
            n.saturating_mul(*k).saturating_mul(16),
            format!("an assign of {n} queries for {k} neighbours"),
        ),
        Op::Reconstruct { index, n, .. } => {
            let d = usage(index).map_or(0, |(d, ..)| d);
            (
                n.saturating_mul(d).saturating_mul(8),
                format!("reconstructing {n} vectors"),
            )
        }
        Op::FlatVectors { index } => {
            let (d, vectors) = usage(index).map_or((0, 0), |(d, v, ..)| (d, v));
            (
                vectors.saturating_mul(d).saturating_mul(8),
                format!("the {vectors} vectors of '{index}'"),
            )
        }
        Op::Save { index } => (
            usage(index).map_or(0, |(_, _, bytes, _)| bytes.saturating_mul(2)),
            format!("serializing '{index}'"),
        ),
        Op::Clone { index, .. } => {
            let (vectors, bytes) = usage(index).map_or((0, 0), |(_, v, b, _)| (v, b));
            check_quota(vectors, bytes)?;
            (bytes, format!("a copy of '{index}'"))
        }
        Op::Load { .. } => {
            check_quota(0, payload_bytes)?;
            (
                payload_bytes.saturating_mul(2),
                format!("loading an index of {payload_bytes} bytes"),
            )
        }
        Op::Add { index, n, .. } => {
            let vector_bytes = usage(index).map_or(0, |(.., vb)| vb);
            check_quota(*n, n.saturating_mul(vector_bytes))?;
            (payload_bytes, format!("adding {n} vectors"))
        }
        Op::Train { n, .. } => (
            payload_bytes.saturating_mul(2),
            format!("training on {n} vectors"),
        ),
        Op::MergeFrom { other, .. } => (
            usage(other).map_or(0, |(_, _, bytes, _)| bytes),
            format!("merging '{other}'"),
        ),
        Op::RangeSearch { .. } => (payload_bytes, "a range search".to_string()),
        Op::Ping
        | Op::List
        | Op::Create { .. }
        | Op::Delete { .. }
        | Op::Info { .. }
        | Op::Reset { .. }
        | Op::RemoveIds { .. }
        | Op::SetParam { .. }
        | Op::IdMap { .. }
        | Op::ListIds { .. }
        | Op::ListSizes { .. } => return Ok(None),
    };
    state.budget.reserve(bytes, &what)
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

/// A write's record in one index's log, appended but not yet known to be applied.
struct Logged<'a> {
    entry: &'a Entry,
    files: &'a IndexFiles,
    seq: u64,
    /// The log's length before the record: where it is cut back to if the write fails.
    before: u64,
    after: u64,
}

impl Logged<'_> {
    fn commit(self) {
        self.entry.seq.store(self.seq, Ordering::SeqCst);
        self.entry.wal_bytes.store(self.after, Ordering::SeqCst);
    }

    /// The write was not applied: its record goes. Should cutting fail, the next append
    /// still starts at `before` (it cuts first), so the record never counts.
    fn undo(self) {
        if let Err(message) = self.files.truncate(self.before) {
            warn(&format!("{message}; the next write to this index retries"));
        }
    }
}

/// Appends a write's records (fsync'ed) before it is applied: to the index's own log and, for
/// an add through an IDMap, to the log of the index it wraps (which gets the vectors too).
fn log_write<'a>(
    entry: &'a Entry,
    index: &LocalIndex,
    held: &[(&'a Arc<Entry>, &LocalIndex)],
    op: &Op,
    payload: &[&[u8]],
) -> Result<Vec<Logged<'a>>, WireError> {
    let mut logged = Vec::new();
    let mut append = |entry: &'a Entry, op: &Op, frames: &[&[u8]]| -> Result<(), WireError> {
        let Some(files) = entry.files() else {
            return Ok(());
        };
        let seq = entry.seq.load(Ordering::SeqCst) + 1;
        let before = entry.wal_bytes.load(Ordering::SeqCst);
        let record = WalRecord {
            seq,
            op: op.clone(),
            frames: frames
                .iter()
                .map(|f| serde_bytes::ByteBuf::from(f.to_vec()))
                .collect(),
        };
        let after = files
            .append(&record, before)
            .map_err(|m| fail(ErrorKind::Server, format!("not applied: {m}")))?;
        logged.push(Logged {
            entry,
            files,
            seq,
            before,
            after,
        });
        Ok(())
    };
    let result = (|| {
        append(entry, op, payload)?;
        if let Op::Add { n, .. } = op {
            if let Some((wrapped, _)) = wrapped_by_idmap(entry, index, held) {
                let add = Op::Add {
                    index: String::new(),
                    n: *n,
                    with_ids: false,
                    part: 0,
                    parts: 1,
                };
                append(wrapped, &add, &payload[..payload.len().min(1)])?;
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(logged),
        Err(error) => {
            for record in logged {
                record.undo();
            }
            Err(error)
        }
    }
}

/// The index an IDMap wraps directly, if `index` is an IDMap over another named index.
fn wrapped_by_idmap<'a, 'b>(
    entry: &Entry,
    index: &LocalIndex,
    held: &'b [(&'a Arc<Entry>, &'b LocalIndex)],
) -> Option<(&'a Arc<Entry>, &'b LocalIndex)> {
    if entry.deps.is_empty() || !index.info().classes.iter().any(|c| c == "IndexIDMap") {
        return None;
    }
    held.iter()
        .find(|(other, _)| entry.deps.iter().any(|d| d.serial == other.serial))
        .copied()
}

/// After an applied write: training is folded into a snapshot at once (replaying it would
/// train again, which FAISS does not promise to do bit for bit), and so is a log grown past
/// its bound. These snapshots are best effort: the write is already in the log, so a failed
/// snapshot loses nothing. A write through a composite other than an add may change the
/// indexes it borrows in ways only their snapshots capture.
fn after_write(
    entry: &Arc<Entry>,
    index: &LocalIndex,
    held: &[(&Arc<Entry>, &LocalIndex)],
    op: &Op,
) -> Result<(), WireError> {
    if matches!(op, Op::Train { .. }) || entry.wal_bytes.load(Ordering::SeqCst) > WAL_SNAPSHOT_BYTES
    {
        if let Err(error) = snapshot(entry, index) {
            warn(&format!("{}; the log keeps the write", error.message));
        }
    }
    if entry.deps.is_empty() || matches!(op, Op::Add { .. }) {
        return Ok(());
    }
    for (other, other_index) in held.iter().filter(|(e, _)| e.serial != entry.serial) {
        snapshot(other, other_index)?;
    }
    Ok(())
}

/// Writes the index's snapshot as of its last write; the log before it is dropped.
fn snapshot(entry: &Entry, index: &LocalIndex) -> Result<(), WireError> {
    if let Some(files) = entry.files() {
        files
            .write_snapshot(index, entry.seq.load(Ordering::SeqCst))
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
    // Held until the first snapshot is written: writes and deletes that find the new name wait
    // for it (a delete would otherwise remove the files before the snapshot lands).
    let created = entry.index.read().unwrap();
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
    match snapshot(&entry, &created) {
        Ok(()) => Ok((Answer::Info(created.info()), vec![])),
        Err(error) => {
            let mut indexes = state.indexes.write().unwrap();
            if indexes.get(&key).is_some_and(|e| Arc::ptr_eq(e, &entry)) {
                indexes.remove(&key);
            }
            Err(error)
        }
    }
}

/// Stack of each worker thread: FAISS's factory parser recurses about once per character of a
/// description (bounded by FAISSX_MAX_FACTORY_LENGTH), std::regex deeply so.
const WORKER_STACK_BYTES: usize = 32 << 20;

/// A write past the file size limit (`ulimit -f`) raises SIGXFSZ, whose default action kills
/// the process (for every tenant); ignored, the write fails with EFBIG and that request gets
/// the error. Process-wide, so tests that run the server on a thread get it too.
fn ignore_file_size_signal() {
    // SAFETY: installs SIG_IGN, which runs no code in the handler.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
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
            too_big("n", *n, limits.max_batch)?;
            // 4-byte distances and 8-byte labels; computed in u128, as n·k·12 overflows u64.
            let bytes = u128::from(*n) * u128::from(*k) * 12;
            if bytes > limits.max_result_bytes as u128 {
                return Err(fail(
                    ErrorKind::Limit,
                    format!(
                        "n = {n} queries times k = {k} neighbours is {bytes} bytes of results, \
                         more than the server's limit of {} bytes",
                        limits.max_result_bytes
                    ),
                ));
            }
            Ok(())
        }
        Op::Add { part, parts, .. } if part >= parts => Err(fail(
            ErrorKind::InvalidArgument,
            format!("part {part} of an add in {parts} parts: parts are numbered from 0"),
        )),
        Op::Train { n, .. }
        | Op::Add { n, .. }
        | Op::RangeSearch { n, .. }
        | Op::Reconstruct { n, .. } => too_big("n", *n, limits.max_batch),
        _ => Ok(()),
    }
}
