//! `--metrics-address`: Prometheus metrics (`GET /metrics`) and a health check (`GET /health`)
//! over plain HTTP, on threads of their own.
//!
//! The request path only bumps atomics in fixed arrays (one slot per operation and error
//! kind), so that counting costs no lock, no allocation and no label lookup;
//! prometheus-client is used to encode them when scraped. What describes the server's state
//! (indexes and vectors per tenant, resident memory) is computed at scrape time instead of
//! being kept up to date on every write.

use super::operations::Served;
use super::scheduling::Job;
use super::store::State;
use crate::protocol::{ErrorKind, Op};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{self, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// The `op` label of each operation, by [`op_slot`]; the last one counts requests refused before
/// their operation was known to be acceptable (undecodable header, protocol version,
/// credentials, limits).
const OPS: [&str; 37] = [
    "ping",
    "list",
    "create",
    "load",
    "save",
    "delete",
    "info",
    "clone",
    "train",
    "add",
    "search",
    "assign",
    "range_search",
    "reset",
    "remove_ids",
    "reconstruct",
    "merge_from",
    "set_param",
    "id_map",
    "flat_vectors",
    "list_ids",
    "list_sizes",
    "sa_encode",
    "sa_decode",
    "compute_residual",
    "search_preassigned",
    "heartbeat",
    "persist",
    "end_session",
    "describe",
    "prepend_transform",
    "train_encoder",
    "add_core",
    "update_vectors",
    "copy_subset",
    "set_ids",
    "rejected",
];

const REJECTED: usize = OPS.len() - 1;

// No wildcard arm: a new operation does not build until it has its own label.
fn op_slot(op: &Op) -> usize {
    match op {
        Op::Ping => 0,
        Op::List => 1,
        Op::Create { .. } => 2,
        Op::Load { .. } => 3,
        Op::Save { .. } => 4,
        Op::Delete { .. } => 5,
        Op::Info { .. } => 6,
        Op::Clone { .. } => 7,
        Op::Train { .. } => 8,
        Op::Add { .. } => 9,
        Op::Search { .. } => 10,
        Op::Assign { .. } => 11,
        Op::RangeSearch { .. } => 12,
        Op::Reset { .. } => 13,
        Op::RemoveIds { .. } => 14,
        Op::Reconstruct { .. } => 15,
        Op::MergeFrom { .. } => 16,
        Op::SetParam { .. } => 17,
        Op::IdMap { .. } => 18,
        Op::FlatVectors { .. } => 19,
        Op::ListIds { .. } => 20,
        Op::ListSizes { .. } => 21,
        Op::SaEncode { .. } => 22,
        Op::SaDecode { .. } => 23,
        Op::ComputeResidual { .. } => 24,
        Op::SearchPreassigned { .. } => 25,
        Op::Heartbeat => 26,
        Op::Persist { .. } => 27,
        Op::EndSession => 28,
        Op::Describe => 29,
        Op::PrependTransform { .. } => 30,
        Op::TrainEncoder { .. } => 31,
        Op::AddCore { .. } => 32,
        Op::UpdateVectors { .. } => 33,
        Op::CopySubset { .. } => 34,
        Op::SetIds { .. } => 35,
    }
}

/// The `kind` label of each error kind, by [`kind_slot`].
const KINDS: [&str; 8] = [
    "auth",
    "not_found",
    "invalid_argument",
    "faiss",
    "protocol",
    "limit",
    "unsupported",
    "server",
];

fn kind_slot(kind: ErrorKind) -> usize {
    match kind {
        ErrorKind::Auth => 0,
        ErrorKind::NotFound => 1,
        ErrorKind::InvalidArgument => 2,
        ErrorKind::Faiss => 3,
        ErrorKind::Protocol => 4,
        ErrorKind::Limit => 5,
        ErrorKind::Unsupported => 6,
        ErrorKind::Server => 7,
    }
}

/// Upper bounds of the latency buckets, in seconds: from a ping answered on the I/O thread
/// (tens of µs) to a large train or add (seconds).
const BUCKETS: [f64; 17] = [
    50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3,
    1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram made of atomics: prometheus-client's own takes a mutex per observation.
/// Each bucket counts its own observations (the last one those above every bound); they are
/// summed into Prometheus's cumulative buckets when scraped.
struct Latency {
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_ns: AtomicU64,
}

impl Latency {
    fn new() -> Self {
        Latency {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_ns: AtomicU64::new(0),
        }
    }

    fn observe(&self, since: Instant) {
        let elapsed = since.elapsed();
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Relaxed);
        self.sum_ns.fetch_add(
            u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
            Relaxed,
        );
    }
}

/// What the request path counts. Shared by the I/O thread, the workers and the scraper.
pub(super) struct Recorder {
    requests: [AtomicU64; OPS.len()],
    errors: [AtomicU64; KINDS.len()],
    latency: [Latency; OPS.len()],
    received_bytes: AtomicU64,
    sent_bytes: AtomicU64,
    /// Searches served in one FAISS call with others, and those calls.
    batched_searches: AtomicU64,
    search_batches: AtomicU64,
    /// Whether the server loop is taking requests: /health fails once shutdown began.
    serving: AtomicBool,
}

impl Recorder {
    fn new() -> Self {
        Recorder {
            requests: std::array::from_fn(|_| AtomicU64::new(0)),
            errors: std::array::from_fn(|_| AtomicU64::new(0)),
            latency: std::array::from_fn(|_| Latency::new()),
            received_bytes: AtomicU64::new(0),
            sent_bytes: AtomicU64::new(0),
            batched_searches: AtomicU64::new(0),
            search_batches: AtomicU64::new(0),
            serving: AtomicBool::new(false),
        }
    }

    /// A message from a client, counted before it is even decoded.
    pub(super) fn received(&self, frames: &[zmq::Message]) {
        let bytes: usize = frames.iter().map(|frame| frame.len()).sum();
        self.received_bytes.fetch_add(bytes as u64, Relaxed);
    }

    /// A reply given to ZeroMQ to send (the client may be gone by then).
    pub(super) fn sent(&self, frames: &[zmq::Message]) {
        let bytes: usize = frames.iter().map(|frame| frame.len()).sum();
        self.sent_bytes.fetch_add(bytes as u64, Relaxed);
    }

    /// `searches` searches were served as one FAISS call.
    pub(super) fn batched(&self, searches: usize) {
        self.batched_searches.fetch_add(searches as u64, Relaxed);
        self.search_batches.fetch_add(1, Relaxed);
    }

    /// A request answered with `outcome`; its latency runs from its arrival to now.
    pub(super) fn served(&self, job: &Job, outcome: &Served) {
        self.count(job, outcome.as_ref().err().map(|error| error.kind));
    }

    /// A request answered with an error of `kind` without being served.
    pub(super) fn refused(&self, job: &Job, kind: ErrorKind) {
        self.count(job, Some(kind));
    }

    fn count(&self, job: &Job, error: Option<ErrorKind>) {
        let slot = job
            .admitted
            .as_ref()
            .map_or(REJECTED, |admitted| op_slot(&admitted.request.op));
        self.requests[slot].fetch_add(1, Relaxed);
        self.latency[slot].observe(job.received);
        if let Some(kind) = error {
            self.errors[kind_slot(kind)].fetch_add(1, Relaxed);
        }
    }

    /// The server loop started (true) or began to shut down (false).
    pub(super) fn set_serving(&self, serving: bool) {
        self.serving.store(serving, Relaxed);
    }
}

/// The metrics side of a server: the bound HTTP socket and the counters.
pub(super) struct Metrics {
    http: Arc<tiny_http::Server>,
    address: SocketAddr,
    pub(super) recorder: Arc<Recorder>,
}

impl Metrics {
    /// Binds the HTTP socket now, so that a busy or malformed address stops the server at
    /// startup like its main port does.
    pub(super) fn bind(address: &str) -> Result<Metrics, String> {
        let http = tiny_http::Server::http(address)
            .map_err(|e| format!("--metrics-address {address}: cannot listen: {e}"))?;
        let address = http
            .server_addr()
            .to_ip()
            .ok_or_else(|| format!("--metrics-address {address}: not an IP address and port"))?;
        Ok(Metrics {
            http: Arc::new(http),
            address,
            recorder: Arc::new(Recorder::new()),
        })
    }

    /// Where the endpoints are (the real port when bound to port 0).
    pub(super) fn address(&self) -> SocketAddr {
        self.address
    }

    /// Answers HTTP requests until the returned guard is dropped.
    ///
    /// /health is answered by the thread that takes requests, and /metrics by another: a
    /// scrape reads every index's size under its lock and so waits for a long write (a train,
    /// a large add) to finish, which must not make the health check time out meanwhile.
    pub(super) fn serve(&self, state: Arc<State>) -> Result<Serving, String> {
        self.recorder.set_serving(true);
        let stop = Arc::new(AtomicBool::new(false));
        // One scrape running and one waiting is plenty; more get a 503 rather than piling up.
        let (scrapes, scrape_queue) = mpsc::sync_channel::<tiny_http::Request>(1);
        let registry = {
            let mut registry = Registry::default();
            registry.register_collector(Box::new(Scrape {
                recorder: self.recorder.clone(),
                state: state.clone(),
            }));
            registry
        };
        let scraper = std::thread::Builder::new()
            .name("faissx-scrape".into())
            .spawn(move || {
                for request in scrape_queue {
                    let mut body = String::new();
                    let response = match prometheus_client::encoding::prometheus_text::encode(
                        &mut body, &registry,
                    ) {
                        Ok(()) => respond(
                            200,
                            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
                            body,
                        ),
                        Err(_) => respond(500, TEXT, "cannot encode the metrics\n".into()),
                    };
                    // The scraper may have gone away; nothing to do about it.
                    let _ = request.respond(response);
                }
            })
            .map_err(|e| format!("cannot start the metrics thread: {e}"))?;
        let (http, recorder, stopping) = (self.http.clone(), self.recorder.clone(), stop.clone());
        let listener = std::thread::Builder::new()
            .name("faissx-http".into())
            .spawn(move || {
                loop {
                    let request = match http.recv() {
                        Ok(request) => request,
                        // Unblocked by Serving's drop, or a failed accept (which tiny_http
                        // reports here and recovers from).
                        Err(_) if stopping.load(Relaxed) => break,
                        Err(_) => continue,
                    };
                    let path = request.url().split('?').next().unwrap_or("");
                    let get = matches!(request.method(), tiny_http::Method::Get);
                    let response = match (get, path) {
                        (true, "/metrics") => match scrapes.try_send(request) {
                            Ok(()) => continue,
                            Err(TrySendError::Full(request)) => {
                                let busy =
                                    respond(503, TEXT, "a scrape is already running\n".into());
                                let _ = request.respond(busy);
                                continue;
                            }
                            Err(TrySendError::Disconnected(request)) => {
                                let gone = respond(500, TEXT, "the metrics thread failed\n".into());
                                let _ = request.respond(gone);
                                continue;
                            }
                        },
                        (true, "/health") => health(&recorder, &state),
                        (false, "/metrics" | "/health") => {
                            respond(405, TEXT, "only GET is supported\n".into())
                        }
                        _ => respond(404, TEXT, "not found: GET /metrics or /health\n".into()),
                    };
                    let _ = request.respond(response);
                }
                // Dropping `scrapes` ends the scraper once its queue is empty.
            })
            .map_err(|e| format!("cannot start the metrics thread: {e}"))?;
        Ok(Serving {
            http: self.http.clone(),
            stop,
            threads: vec![listener, scraper],
        })
    }
}

/// The HTTP threads of a running server; dropping it stops them.
pub(super) struct Serving {
    http: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.stop.store(true, Relaxed);
        self.http.unblock();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

const TEXT: &str = "text/plain; charset=utf-8";

fn respond(
    status: u16,
    content_type: &str,
    body: String,
) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], content_type.as_bytes())
        .expect("a valid header");
    tiny_http::Response::from_string(body)
        .with_status_code(status)
        .with_header(header)
}

/// 200 while the server loop takes requests, 503 once it is shutting down. Counting indexes
/// takes the index map's read lock only, never an index's: it answers during long writes.
fn health(recorder: &Recorder, state: &State) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let indexes = read_anyway(&state.indexes).len();
    let (status, word) = if recorder.serving.load(Relaxed) {
        (200, "ok")
    } else {
        (503, "stopping")
    };
    respond(
        status,
        "application/json",
        format!("{{\"status\":\"{word}\",\"indexes\":{indexes}}}\n"),
    )
}

/// Every metric, read when scraped.
struct Scrape {
    recorder: Arc<Recorder>,
    state: Arc<State>,
}

impl std::fmt::Debug for Scrape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("faissx-server metrics")
    }
}

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let recorder = &*self.recorder;
        let mut family = encoder.encode_descriptor(
            "faissx_requests",
            "Requests answered, by operation (rejected: refused before the operation was accepted).",
            None,
            MetricType::Counter,
        )?;
        for (op, count) in OPS.iter().zip(&recorder.requests) {
            ConstCounter::new(count.load(Relaxed)).encode(family.encode_family(&[("op", *op)])?)?;
        }

        let mut family = encoder.encode_descriptor(
            "faissx_errors",
            "Requests answered with an error, by kind.",
            None,
            MetricType::Counter,
        )?;
        for (kind, count) in KINDS.iter().zip(&recorder.errors) {
            ConstCounter::new(count.load(Relaxed))
                .encode(family.encode_family(&[("kind", *kind)])?)?;
        }

        let mut family = encoder.encode_descriptor(
            "faissx_request_duration_seconds",
            "Time from a request's arrival to its reply, by operation.",
            None,
            MetricType::Histogram,
        )?;
        for (op, latency) in OPS.iter().zip(&recorder.latency) {
            let counts: Vec<u64> = latency.buckets.iter().map(|b| b.load(Relaxed)).collect();
            let buckets: Vec<(f64, u64)> = BUCKETS
                .iter()
                .chain(std::iter::once(&f64::INFINITY))
                .copied()
                .zip(counts.iter().copied())
                .collect();
            let sum = latency.sum_ns.load(Relaxed) as f64 * 1e-9;
            family
                .encode_family(&[("op", *op)])?
                .encode_histogram::<NoLabelSet>(sum, counts.iter().sum(), &buckets, None)?;
        }

        for (name, help, counter) in [
            (
                "faissx_received_bytes",
                "Bytes of requests received (headers and payload frames).",
                &recorder.received_bytes,
            ),
            (
                "faissx_sent_bytes",
                "Bytes of replies sent (headers and payload frames).",
                &recorder.sent_bytes,
            ),
            (
                "faissx_batched_searches",
                "Searches served in one FAISS call with other clients' searches of the same index.",
                &recorder.batched_searches,
            ),
            (
                "faissx_search_batches",
                "FAISS calls that served several searches at once.",
                &recorder.search_batches,
            ),
            (
                "faissx_sessions_ended",
                "Client sessions that ended: the client said so, or sent nothing for its timeout.",
                &self.state.sessions.ended,
            ),
            (
                "faissx_session_indexes_freed",
                "Indexes freed because the client session that owned them ended.",
                &self.state.sessions.freed,
            ),
        ] {
            let family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            ConstCounter::new(counter.load(Relaxed)).encode(family)?;
        }

        // FAISS counts every IVF search of the process in one global; it is the only place
        // that sees a remote IVF search's lists and distances (clients' own statistics count
        // their process's searches, as FAISS's do). Reads race FAISS's unsynchronized adds,
        // which at worst shows a count one search behind.
        // SAFETY: FAISS's global statistics live as long as the process.
        let ivf = unsafe { std::ptr::read_volatile(crate::local::sys::faiss_get_indexIVF_stats()) };
        for (name, help, count) in [
            (
                "faissx_ivf_queries",
                "Queries searched by IVF indexes (FAISS's indexIVF_stats.nq).",
                ivf.nq,
            ),
            (
                "faissx_ivf_lists_scanned",
                "Inverted lists scanned by IVF searches (indexIVF_stats.nlist).",
                ivf.nlist,
            ),
            (
                "faissx_ivf_distances",
                "Distances computed by IVF searches (indexIVF_stats.ndis).",
                ivf.ndis,
            ),
            (
                "faissx_ivf_heap_updates",
                "Result heap updates of IVF searches (indexIVF_stats.nheap_updates).",
                ivf.nheap_updates,
            ),
        ] {
            let family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            ConstCounter::new(count as u64).encode(family)?;
        }

        let tenants = tenant_sizes(&self.state);
        let mut family = encoder.encode_descriptor(
            "faissx_indexes",
            "Indexes per tenant.",
            None,
            MetricType::Gauge,
        )?;
        for (tenant, (indexes, _)) in &tenants {
            ConstGauge::new(*indexes)
                .encode(family.encode_family(&[("tenant", tenant.as_str())])?)?;
        }
        let mut family = encoder.encode_descriptor(
            "faissx_vectors",
            "Vectors per tenant (ntotal summed over its indexes).",
            None,
            MetricType::Gauge,
        )?;
        for (tenant, (_, vectors)) in &tenants {
            ConstGauge::new(*vectors)
                .encode(family.encode_family(&[("tenant", tenant.as_str())])?)?;
        }

        let resident = super::budget::resident_bytes();
        if resident > 0 {
            let family = encoder.encode_descriptor(
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                None,
                MetricType::Gauge,
            )?;
            ConstGauge::new(resident).encode(family)?;
        }
        Ok(())
    }
}

/// Indexes and vectors per tenant, from what each index recorded at its last write: a scrape
/// takes no index's lock, so it never waits for a long write. The index map's lock is held
/// only while counting.
fn tenant_sizes(state: &State) -> BTreeMap<String, (u64, u64)> {
    let mut sizes: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for ((tenant, _), entry) in read_anyway(&state.indexes).iter() {
        let tenant = sizes.entry(tenant.clone()).or_default();
        tenant.0 += 1;
        tenant.1 += entry.vectors();
    }
    sizes
}

/// A read lock even if a panic poisoned it: the metrics only read sizes, which stay readable,
/// and one failed request must not take the metrics and health endpoints down with it.
fn read_anyway<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
