//! Transport: the ROUTER socket clients talk to, and the I/O thread that owns it.
//!
//! The I/O thread reads each request, has it admitted ([`admission::admit`]) and hands it to
//! the workers ([`scheduling`]), or answers it itself when that costs less than the hand-off
//! (a ping, an info, a search of a small index, with nothing else in flight). Workers send
//! their replies back over an inproc PULL socket — ZeroMQ sockets must stay on one thread,
//! FAISS work must not — and the I/O thread forwards them, holding those of clients that do
//! not read theirs, up to a bound.

use super::admission;
use super::metrics;
use super::operations::Served;
use super::persist;
use super::scheduling::{AddsInProgress, Deliver, Job, NextPart, Workers};
use super::store::State;
use super::{budget, log, Config, ServerError};
use crate::protocol::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
        let data_dir_lock = match &config.data_dir {
            Some(dir) => Some(persist::lock_data_dir(dir).map_err(ServerError)?),
            None => None,
        };
        let state = State::open(config)?;
        let config = &state.config;
        let context = zmq::Context::new();
        context
            .set_io_threads(config.io_threads.clamp(1, i32::MAX as usize) as i32)
            .map_err(|e| ServerError(format!("--io-threads {}: {e}", config.io_threads)))?;
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
            state: Arc::new(state),
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
        let workers = Workers::start(
            self.state.config.workers,
            &self.state,
            self.recorder(),
            || {
                let push = self.context.socket(zmq::PUSH).map_err(z)?;
                push.connect(&reply_address).map_err(z)?;
                Ok(ReplyPush(push))
            },
        )?;
        log(&format!(
            "listening on {} with {} workers",
            self.endpoint,
            workers.count()
        ));

        let sweeper = Sweeper::start(self.state.clone()).map_err(z_io)?;
        let recorder = self.recorder();
        let http = self
            .metrics
            .as_ref()
            .map(|m| m.serve(self.state.clone()))
            .transpose()
            .map_err(ServerError)?;
        let mut adds = AddsInProgress::default();
        let mut keepalives = KeepAlives::default();
        let mut in_flight = 0usize;
        let mut draining = false;
        let mut busy_since_trim = false;
        // Jobs for the workers, queued together once the sockets are read: a worker that takes
        // a search then finds every other search that came in the same read.
        let mut ready: Vec<Job> = Vec::new();
        let go_on = |(job, refusal): NextPart, ready: &mut Vec<Job>| match refusal {
            Some(error) => {
                if let Some(recorder) = &recorder {
                    recorder.refused(&job, error.kind);
                }
                let reply = reply_frames(job.id(), Err(error));
                self.reply(job.identity, reply)
            }
            None => ready.push(job),
        };
        loop {
            in_flight += ready.len();
            for job in &ready {
                keepalives.started(job);
            }
            workers.submit(std::mem::take(&mut ready));
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
                keepalives.wait_ms(100)
            } else {
                1
            };
            let events = match zmq::poll(polled, wait) {
                // A signal (the shutdown request itself, usually) interrupted the wait.
                Err(zmq::Error::EINTR) => continue,
                result => result.map_err(z)?,
            };
            self.resend_held();
            for (identity, id) in keepalives.due() {
                let reply = reply_frames(id, Ok((Answer::Working, vec![])));
                self.reply(zmq::Message::from(&identity[..]), reply);
            }
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
                    let id = u64::from_le_bytes(frames.remove(0)[..].try_into().unwrap_or([0; 8]));
                    let identity = frames.remove(0);
                    keepalives.done(&identity, id);
                    if !tag.is_empty() {
                        for next in adds.applied(&identity, &tag) {
                            go_on(next, &mut ready);
                        }
                    }
                    self.reply(identity, frames);
                }
            }
            if accepting && items[1].is_readable() && !draining {
                let arrived =
                    self.read_requests(MAX_IN_FLIGHT.saturating_sub(in_flight + ready.len()));
                let together = arrived.len() > 1;
                for job in arrived {
                    if in_flight == 0 && ready.is_empty() && job.cheap(&self.state, together) {
                        let served = job.serve(&self.state);
                        if let Some(recorder) = &recorder {
                            recorder.served(&job, &served);
                        }
                        let reply = reply_frames(job.id(), served);
                        self.reply(job.identity, reply);
                    } else if job.part().is_some() {
                        if let Some(next) = adds.arrived(job) {
                            go_on(next, &mut ready);
                        }
                    } else {
                        ready.push(job);
                    }
                }
            }
        }
        drop(http);
        sweeper.stop();
        workers.stop();
        self.state.flush();
        log("stopped");
        Ok(())
    }

    /// Reads and admits the requests waiting in the socket, at most `room` of them.
    fn read_requests(&self, room: usize) -> Vec<Job> {
        let mut arrived = Vec::new();
        while arrived.len() < room {
            let Ok(mut frames) = recv_frames(&self.router) else {
                break;
            };
            if let Some(metrics) = &self.metrics {
                // Not the identity frame: ZeroMQ adds it, the client never sent it.
                metrics
                    .recorder
                    .received(frames.get(1..).unwrap_or_default());
            }
            if frames.len() < 2 {
                continue;
            }
            let identity = frames.remove(0);
            let header = frames.remove(0);
            arrived.push(Job {
                identity,
                received: std::time::Instant::now(),
                admitted: admission::admit(&self.state, &header),
                payload: frames,
            });
        }
        arrived
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
}

fn z_io(e: std::io::Error) -> ServerError {
    ServerError(format!("cannot start the session sweeper: {e}"))
}

/// The thread that ends silent sessions and frees their indexes. Not the I/O thread: freeing
/// an index waits for the write in progress on it, and the I/O thread must not wait.
struct Sweeper {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Sweeper {
    fn start(state: Arc<State>) -> std::io::Result<Sweeper> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("faissx-sessions".into())
            .spawn(move || {
                let interval = state.sessions.sweep_interval();
                while !stopped.load(Ordering::SeqCst) {
                    std::thread::park_timeout(interval);
                    state.expire_sessions();
                }
            })?;
        Ok(Sweeper { stop, thread })
    }

    fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.thread().unpark();
        let _ = self.thread.join();
    }
}

/// A worker's way back to the I/O thread: an inproc PUSH socket. In front of the client's
/// identity: an add part's tag (for [`AddsInProgress::applied`]) and the request's id (for
/// [`KeepAlives::done`]).
struct ReplyPush(zmq::Socket);

impl Deliver for ReplyPush {
    fn deliver(&mut self, job: Job, served: Served) -> bool {
        let tag = job.part().map_or_else(Vec::new, |part| {
            part.tag(served.as_ref().err().map(|e| e.message.as_str()))
        });
        let id = job.id();
        let reply = reply_frames(id, served);
        let frames = [tag.into(), id.to_le_bytes().to_vec().into(), job.identity]
            .into_iter()
            .chain(reply);
        send_frames(&self.0, frames, 0).is_ok()
    }
}

/// Requests in the workers' hands whose clients asked for signs of life
/// ([`Request::keepalive_ms`]): when each next gets an [`Answer::Working`] reply.
#[derive(Default)]
struct KeepAlives {
    due: HashMap<(Vec<u8>, u64), (Instant, Duration)>,
}

impl KeepAlives {
    fn started(&mut self, job: &Job) {
        if let Some(every) = job.keepalive() {
            let key = (job.identity.to_vec(), job.id());
            self.due.insert(key, (Instant::now() + every, every));
        }
    }

    fn done(&mut self, identity: &[u8], id: u64) {
        if !self.due.is_empty() {
            self.due.remove(&(identity.to_vec(), id));
        }
    }

    /// The requests whose next sign of life is due now (their next one is then scheduled).
    fn due(&mut self) -> Vec<(Vec<u8>, u64)> {
        let now = Instant::now();
        let mut due = Vec::new();
        for ((identity, id), (next, every)) in self.due.iter_mut() {
            if *next <= now {
                *next = now + *every;
                due.push((identity.clone(), *id));
            }
        }
        due
    }

    /// How long the I/O thread may wait for sockets before a sign of life is due.
    fn wait_ms(&self, longest: i64) -> i64 {
        let now = Instant::now();
        self.due
            .values()
            .map(|(next, _)| next.saturating_duration_since(now).as_millis() as i64)
            .fold(longest, i64::min)
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

/// A write past the file size limit (`ulimit -f`) raises SIGXFSZ, whose default action kills
/// the process (for every tenant); ignored, the write fails with EFBIG and that request gets
/// the error. Process-wide, so tests that run the server on a thread get it too.
fn ignore_file_size_signal() {
    // SAFETY: installs SIG_IGN, which runs no code in the handler.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}
