//! Scheduling: which worker serves which request, and which requests are served together.
//!
//! The I/O thread queues admitted requests; every worker takes from the one queue. A part of
//! an add waits until the part before it was applied ([`AddsInProgress`]), so parts are applied
//! in order by whichever worker is free. Searches of one index that queue up while the workers
//! are busy are taken together and served as one FAISS call ([`JobQueue::next`]): nothing
//! waits for a batch to fill, a batch is what queued up anyway.

use super::metrics::Recorder;
use super::operations::{self, Admitted, Served};
use super::store::State;
use super::{fail, ServerError};
use crate::protocol::*;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};

/// A request as the I/O thread read it: who sent it, its header decoded and checked (or why
/// it was refused), and its payload frames, still in ZeroMQ's buffers.
pub(super) struct Job {
    pub(super) identity: zmq::Message,
    /// When the I/O thread read it, for the latency metric.
    pub(super) received: std::time::Instant,
    pub(super) admitted: Result<Admitted, (u64, WireError)>,
    pub(super) payload: Vec<zmq::Message>,
}

/// Below this many vector components compared (queries × stored vectors × d), a search is
/// answered on the I/O thread when nothing else is in flight: a few hundred µs at most.
const INLINE_SEARCH_WORK: u64 = 1 << 24;

impl Job {
    /// Whether answering on the I/O thread costs less than a hand-off to a worker and back.
    /// A search that arrived `with_others` goes to the workers, which can serve it in one FAISS
    /// call with the other searches of its index.
    pub(super) fn cheap(&self, state: &State, with_others: bool) -> bool {
        let Ok(Admitted {
            request, tenant, ..
        }) = &self.admitted
        else {
            return true;
        };
        let (index, queries) = match &request.op {
            Op::Ping | Op::List | Op::Info { .. } | Op::Heartbeat => return true,
            Op::Search { .. } | Op::Assign { .. } if with_others => return false,
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

    /// How often the client wants a sign of life while this request is queued or served.
    pub(super) fn keepalive(&self) -> Option<std::time::Duration> {
        let ms = self.admitted.as_ref().ok()?.request.keepalive_ms?;
        Some(std::time::Duration::from_millis(
            ms.max(MIN_KEEPALIVE_MS).into(),
        ))
    }

    pub(super) fn id(&self) -> u64 {
        match &self.admitted {
            Ok(admitted) => admitted.request.id,
            Err((id, _)) => *id,
        }
    }

    /// Where this request stands in an add sent in several parts, if it is one.
    pub(super) fn part(&self) -> Option<Part> {
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
pub(super) struct Part {
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
    pub(super) fn tag(&self, failure: Option<&str>) -> Vec<u8> {
        let mut tag = self.add.to_le_bytes().to_vec();
        tag.push(u8::from(self.is_last()));
        tag.push(u8::from(failure.is_some()));
        tag.extend_from_slice(failure.unwrap_or("").as_bytes());
        tag
    }

    fn refusal(&self, why: &str) -> WireError {
        self.refused(&format!("an add whose earlier part failed: {why}"))
    }

    fn refused(&self, what: &str) -> WireError {
        fail(
            ErrorKind::InvalidArgument,
            format!(
                "not applied, as part {} of {} of {what}",
                self.index, self.count
            ),
        )
    }
}

/// The adds whose parts are being applied, in the I/O thread: a part goes to a worker only once
/// the part before it was applied, so that parts are applied in order by whichever worker is
/// free, and the next part has arrived while the one before it is applied. After a failed part,
/// the later ones are refused.
#[derive(Default)]
pub(super) struct AddsInProgress {
    adds: HashMap<(Vec<u8>, u64), AddInProgress>,
}

#[derive(Default)]
struct AddInProgress {
    applying: bool,
    waiting: std::collections::VecDeque<Job>,
    failed: Option<String>,
}

/// A part to dispatch, or to answer at once with the refusal given.
pub(super) type NextPart = (Job, Option<WireError>);

impl AddsInProgress {
    /// Bounds what clients that vanish in the middle of an add leave behind.
    const MAX_OPEN: usize = 4096;

    /// A part came from a client: it goes to a worker now, or waits for the part before it.
    pub(super) fn arrived(&mut self, job: Job) -> Option<NextPart> {
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
    pub(super) fn applied(&mut self, identity: &[u8], tag: &[u8]) -> Vec<NextPart> {
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
                let refusal = part.refused("an add whose last part was already applied");
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
        let refusal = add.failed.as_deref().map(|why| part.refusal(why));
        if refusal.is_none() {
            add.applying = true;
        } else if part.is_last() {
            self.adds.remove(key);
        }
        (job, refusal)
    }
}

/// A worker's hand-back of one served job to the I/O thread; false when the I/O thread is gone.
pub(super) trait Deliver: Send + 'static {
    fn deliver(&mut self, job: Job, served: Served) -> bool;
}

/// The worker threads and the queue they take jobs from.
pub(super) struct Workers {
    queue: Arc<JobQueue>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Workers {
    /// Starts `count` workers; each hands what it served to its own [`Deliver`], made by
    /// `deliverer` (ZeroMQ sockets cannot be shared between threads).
    pub(super) fn start<D: Deliver>(
        count: usize,
        state: &Arc<State>,
        recorder: Option<Arc<Recorder>>,
        mut deliverer: impl FnMut() -> Result<D, ServerError>,
    ) -> Result<Workers, ServerError> {
        let queue = Arc::new(JobQueue::default());
        let mut threads = Vec::new();
        for _ in 0..count.max(1) {
            let mut deliver = deliverer()?;
            let (queue, state, recorder) = (queue.clone(), state.clone(), recorder.clone());
            // FAISS's factory parser and selector checks recurse on what clients send: more
            // stack than a thread's default 2 MB (it is only reserved, not used, until needed).
            let worker = std::thread::Builder::new()
                .name("faissx-worker".into())
                .stack_size(WORKER_STACK_BYTES);
            let spawned = worker.spawn(move || {
                while let Some((jobs, scanning)) = queue.next(&state) {
                    let batch = scanning.map(|index| Scanning {
                        queue: &queue,
                        index,
                    });
                    let served = serve_jobs(&state, jobs, recorder.as_deref());
                    drop(batch);
                    for (job, served) in served {
                        if let Some(recorder) = &recorder {
                            recorder.served(&job, &served);
                        }
                        if !deliver.deliver(job, served) {
                            return;
                        }
                    }
                }
            });
            threads.push(spawned.map_err(|e| ServerError(format!("cannot start a worker: {e}")))?);
        }
        Ok(Workers { queue, threads })
    }

    pub(super) fn count(&self) -> usize {
        self.threads.len()
    }

    /// Queues jobs for the workers, waking as many as there are jobs.
    pub(super) fn submit(&self, jobs: Vec<Job>) {
        if !jobs.is_empty() {
            self.queue.push(jobs);
        }
    }

    /// Lets the workers finish what is queued, then joins them.
    pub(super) fn stop(self) {
        self.queue.close();
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

/// Serves jobs that [`JobQueue::next`] took together: one search each as one FAISS call when
/// the index answers every query of a call as it would answer it alone; otherwise, and for
/// anything else, one by one.
fn serve_jobs(state: &State, jobs: Vec<Job>, recorder: Option<&Recorder>) -> Vec<(Job, Served)> {
    let mut together: Vec<Option<Served>> = Vec::new();
    if jobs.len() > 1 {
        let searches: Vec<(&Admitted, &[u8])> = jobs
            .iter()
            .filter_map(|job| Some((job.admitted.as_ref().ok()?, &job.payload.first()?[..])))
            .collect();
        if searches.len() == jobs.len() {
            together = operations::search_together(state, &searches);
        }
    }
    let batched = together.iter().filter(|served| served.is_some()).count();
    if let (Some(recorder), true) = (recorder, batched > 0) {
        recorder.batched(batched);
    }
    together.resize_with(jobs.len(), || None);
    jobs.into_iter()
        .zip(together)
        .map(|(job, served)| {
            let served = served.unwrap_or_else(|| job.serve(state));
            (job, served)
        })
        .collect()
}

impl Job {
    pub(super) fn serve(&self, state: &State) -> Served {
        match &self.admitted {
            Ok(admitted) => {
                let payload: Vec<&[u8]> = self.payload.iter().map(|f| &f[..]).collect();
                operations::outcome(state, admitted, &payload)
            }
            Err((_, error)) => Err(error.clone()),
        }
    }

    /// What a search must share with others to be served in one FAISS call with them: its
    /// tenant, index, k and parameters. None for what is never served together: other
    /// operations, searches with a selector (FAISS treats some selectors as a narrower scan,
    /// which a batch would not take), and searches of [`operations::ALONE_QUERIES`] queries
    /// or more (FAISS may answer those on another code path than single queries).
    fn batch_key(&self) -> Option<(&str, &str, u64, Option<&SearchParams>)> {
        let Ok(Admitted {
            request, tenant, ..
        }) = &self.admitted
        else {
            return None;
        };
        let Op::Search {
            index,
            n,
            k,
            params,
        } = &request.op
        else {
            return None;
        };
        let selector = params.as_ref().is_some_and(|p| p.selector.is_some());
        if *n == 0 || *n >= operations::ALONE_QUERIES || selector || self.payload.len() != 1 {
            return None;
        }
        Some((tenant, index, *k, params.as_ref()))
    }

    fn queries(&self) -> u64 {
        match &self.admitted {
            Ok(Admitted {
                request:
                    Request {
                        op: Op::Search { n, .. },
                        ..
                    },
                ..
            }) => *n,
            _ => 0,
        }
    }
}

/// Most queries one batched FAISS call answers, and most results (queries × k) it builds: a
/// batch is bounded like one large request.
const BATCH_QUERIES: u64 = 1024;
const BATCH_RESULTS: u64 = 1 << 20;

/// The jobs waiting for a worker, per client connection: workers take the clients in turn,
/// each client's jobs in order, so one client's backlog (hundreds of heavy searches sent at
/// once) delays another client's request by at most one job per waiting client, not by the
/// whole backlog.
#[derive(Default)]
pub(super) struct JobQueue {
    jobs: Mutex<Queued>,
    ready: Condvar,
}

#[derive(Default)]
struct Queued {
    per_client: HashMap<Vec<u8>, VecDeque<Job>>,
    /// Clients with waiting jobs, in the order they are served.
    turns: VecDeque<Vec<u8>>,
    /// Indexes (tenant, name) a worker is serving a batch of searches of. Their next searches
    /// wait for it and are then taken together, rather than taken by a second worker beside
    /// it: the batch's FAISS call already keeps every core busy, and a scan read once for a
    /// large batch costs less than two scans for half-batches. At most one per worker.
    scanning: Vec<IndexKey>,
    closed: bool,
}

impl Queued {
    /// The oldest job of the first client, in turn, whose oldest job is not a search waiting
    /// for its index's batch.
    fn take_next(&mut self) -> Option<Job> {
        let scanning = &self.scanning;
        let ready = |job: &Job| {
            job.batch_key().is_none_or(|(tenant, index, ..)| {
                !scanning.iter().any(|(t, i)| t == tenant && i == index)
            })
        };
        let turn = if scanning.is_empty() {
            0
        } else {
            self.turns.iter().position(|client| {
                self.per_client
                    .get(client)
                    .and_then(|jobs| jobs.front())
                    .is_some_and(ready)
            })?
        };
        let client = self.turns.remove(turn)?;
        let jobs = self.per_client.get_mut(&client)?;
        let job = jobs.pop_front();
        if jobs.is_empty() {
            self.per_client.remove(&client);
        } else {
            self.turns.push_back(client);
        }
        job
    }
}

/// An index's tenant and name.
type IndexKey = (String, String);

fn owned(tenant: &str, index: &str) -> IndexKey {
    (tenant.to_string(), index.to_string())
}

/// Whether searches of the index are served as one FAISS call (see
/// [`operations::search_together`]); an index being written is taken as not.
fn scanned_together(state: &State, tenant: &str, index: &str) -> bool {
    state
        .entry(tenant, index)
        .and_then(|entry| {
            let index = entry.index.try_read().ok()?;
            Some(index.searches_independently())
        })
        .unwrap_or(false)
}

impl JobQueue {
    fn push(&self, jobs: Vec<Job>) {
        let count = jobs.len();
        let mut guard = self.jobs.lock().unwrap();
        let queued = &mut *guard;
        for job in jobs {
            let client = job.identity.to_vec();
            let waiting = queued.per_client.entry(client.clone()).or_default();
            if waiting.is_empty() {
                queued.turns.push_back(client);
            }
            waiting.push_back(job);
        }
        drop(guard);
        if count == 1 {
            self.ready.notify_one();
        } else {
            self.ready.notify_all();
        }
    }

    fn close(&self) {
        self.jobs.lock().unwrap().closed = true;
        self.ready.notify_all();
    }

    /// The next client's oldest job, with every queued search (of any client) that can be
    /// served in the same FAISS call (see [`Job::batch_key`]), and the index whose next
    /// searches wait until they are served ([`Scanning`]), if they are a batch; None once
    /// closed and empty.
    fn next(&self, state: &State) -> Option<(Vec<Job>, Option<IndexKey>)> {
        let mut queued = self.jobs.lock().unwrap();
        let first = loop {
            if let Some(job) = queued.take_next() {
                break job;
            }
            if queued.closed {
                return None;
            }
            queued = self.ready.wait(queued).unwrap();
        };
        let Some(key) = first.batch_key() else {
            return Some((vec![first], None));
        };
        let k = key.2;
        let mut queries = first.queries();
        let mut together = vec![];
        let queued = &mut *queued;
        for jobs in queued.per_client.values_mut() {
            let mut rest = VecDeque::with_capacity(jobs.len());
            for job in jobs.drain(..) {
                let fits = queries + job.queries() <= BATCH_QUERIES
                    && (queries + job.queries()).saturating_mul(k) <= BATCH_RESULTS;
                if fits && job.batch_key() == Some(key) {
                    queries += job.queries();
                    together.push(job);
                } else {
                    rest.push_back(job);
                }
            }
            *jobs = rest;
        }
        queued.per_client.retain(|_, jobs| !jobs.is_empty());
        let per_client = &queued.per_client;
        queued
            .turns
            .retain(|client| per_client.contains_key(client));
        // A batch of fewer queries than threads may leave cores to a second worker.
        // SAFETY: reads OpenMP's setting.
        let threads = unsafe { crate::local::shim::faissx_shim_search_threads() }.max(1);
        let scanning = (queries >= threads as u64 && scanned_together(state, key.0, key.1))
            .then(|| owned(key.0, key.1));
        if let Some(index) = &scanning {
            queued.scanning.push(index.clone());
        }
        together.insert(0, first);
        Some((together, scanning))
    }
}

/// A batch of an index's searches in a worker's hands: when it is served (or its worker
/// unwinds), the index's searches that waited for it can go.
struct Scanning<'a> {
    queue: &'a JobQueue,
    index: IndexKey,
}

impl Drop for Scanning<'_> {
    fn drop(&mut self) {
        let mut queued = self.queue.jobs.lock().unwrap_or_else(|e| e.into_inner());
        queued.scanning.retain(|index| index != &self.index);
        drop(queued);
        self.queue.ready.notify_all();
    }
}

/// Stack of each worker thread: FAISS's factory parser recurses about once per character of a
/// description (bounded by FAISSX_MAX_FACTORY_LENGTH), std::regex deeply so.
const WORKER_STACK_BYTES: usize = 32 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    fn job(client: &str, op: Op) -> Job {
        let request = Request::bare(op);
        Job {
            identity: zmq::Message::from(client.as_bytes()),
            received: std::time::Instant::now(),
            admitted: Ok(Admitted {
                request,
                tenant: "t".into(),
                session: None,
            }),
            payload: vec![zmq::Message::from(&[0u8; 16][..])],
        }
    }

    fn search(client: &str, index: &str) -> Job {
        let op = Op::Search {
            index: index.into(),
            n: 1,
            k: 1,
            params: None,
        };
        job(client, op)
    }

    fn queue(jobs: Vec<Job>) -> Queued {
        let mut queued = Queued::default();
        for job in jobs {
            let client = job.identity.to_vec();
            if !queued.per_client.contains_key(&client) {
                queued.turns.push_back(client.clone());
            }
            queued.per_client.entry(client).or_default().push_back(job);
        }
        queued
    }

    fn index_of(job: &Job) -> String {
        match &job.admitted.as_ref().unwrap().request.op {
            Op::Search { index, .. } | Op::Info { index } => index.clone(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn searches_of_an_index_being_scanned_wait_and_others_go_first() {
        let mut queued = queue(vec![search("x", "a"), search("y", "b")]);
        queued.scanning.push(owned("t", "a"));
        let first = queued.take_next().expect("b's search is ready");
        assert_eq!(index_of(&first), "b");
        assert!(
            queued.take_next().is_none(),
            "a's search waits for a's batch"
        );
        queued.scanning.clear();
        assert_eq!(index_of(&queued.take_next().expect("a is free")), "a");
    }

    #[test]
    fn a_client_s_requests_stay_in_order_behind_a_waiting_search() {
        let info = job("x", Op::Info { index: "b".into() });
        let mut queued = queue(vec![search("x", "a"), info]);
        queued.scanning.push(owned("t", "a"));
        assert!(
            queued.take_next().is_none(),
            "x's later request does not overtake its waiting search"
        );
        queued.scanning.clear();
        assert_eq!(index_of(&queued.take_next().unwrap()), "a");
        assert_eq!(index_of(&queued.take_next().unwrap()), "b");
    }
}
