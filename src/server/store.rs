//! The tenant store: every tenant's indexes by name, each behind its own lock with what it
//! borrows, what it holds (for quotas, read without its lock) and its files. Writes go through
//! here so that each is logged before it is applied and cut back off the log if FAISS refuses
//! it; recovery replays the same writes with the same [`apply_write`].

use super::persist::{self, IndexFiles, IndexMeta, WalRecord, WAL_SNAPSHOT_BYTES};
use super::sessions::{Session, Sessions};
use super::{budget, fail, warn, Config, ServerError};
use crate::ffi::boundary::Error;
use crate::local::index::LocalIndex;
use crate::protocol::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

pub(super) struct Entry {
    /// Creation order. Locks are always taken newest first: a composite is newer than what it
    /// borrows, so every path locks in the same order and none can deadlock.
    serial: u64,
    pub(super) index: RwLock<LocalIndex>,
    /// Indexes this one borrows (an IVF's quantizer, an IDMap's wrapped index), kept alive
    /// while it lives even if deleted by name, as FAISS composites borrow theirs.
    pub(super) deps: Vec<Arc<Entry>>,
    files: Option<IndexFiles>,
    /// Set when the index is deleted by name while a composite still borrows it: it lives on
    /// in memory, but its files (and its name) are no longer its own.
    deleted: AtomicBool,
    /// Sequence number of the last write, for the log and snapshots.
    seq: AtomicU64,
    wal_bytes: AtomicU64,
    /// What the index holds, as of its last write: for quotas and the memory budget, read
    /// without taking the index's lock.
    pub(super) usage: Usage,
    /// The session whose end frees the index; `None`: shared or persistent. Its lock also
    /// orders the rewrites of the meta file.
    owner: Mutex<Option<Arc<Session>>>,
    /// Milliseconds since the Unix epoch.
    created_ms: u64,
    /// The most specific FAISS class, for listings (which must not wait for a write's lock).
    class: String,
}

#[derive(Default)]
pub(super) struct Usage {
    pub(super) d: AtomicU64,
    pub(super) vectors: AtomicU64,
    /// Bytes of stored codes (vectors × code size).
    pub(super) bytes: AtomicU64,
    /// Bytes one more vector takes.
    pub(super) vector_bytes: AtomicU64,
}

/// (tenant, index name).
pub(super) type Key = (String, String);

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

    fn new(
        index: LocalIndex,
        files: Option<IndexFiles>,
        deps: Vec<Arc<Entry>>,
        owner: Option<Arc<Session>>,
        created_ms: u64,
    ) -> Self {
        let class = index.info().classes.last().cloned().unwrap_or_default();
        Entry {
            serial: next_serial(),
            index: RwLock::new(index),
            deps,
            files,
            deleted: AtomicBool::new(false),
            seq: AtomicU64::new(0),
            wal_bytes: AtomicU64::new(0),
            usage: Usage::default(),
            owner: Mutex::new(owner),
            created_ms,
            class,
        }
        .accounted()
    }

    fn owned_by(&self, session: &Arc<Session>) -> bool {
        self.owner
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|owner| Arc::ptr_eq(owner, session))
    }

    fn meta(&self, session: Option<&Session>) -> IndexMeta {
        IndexMeta {
            created_ms: self.created_ms,
            session: session.map(|s| SessionHello {
                id: s.id.clone(),
                heartbeat_ms: (Sessions::timeout_of(s) / 2).min(u64::from(u32::MAX)) as u32,
            }),
        }
    }

    fn accounted(self) -> Self {
        self.account(&self.index.read().unwrap());
        self
    }

    /// Vectors the index held after its last write.
    pub(super) fn vectors(&self) -> u64 {
        self.usage.vectors.load(Ordering::Relaxed)
    }

    /// Records what `index` (this entry's, locked by the caller) holds now.
    pub(super) fn account(&self, index: &LocalIndex) {
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
pub(super) fn read<R>(entry: &Arc<Entry>, f: impl FnOnce(&LocalIndex) -> R) -> R {
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
pub(super) fn write<R>(
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

pub(super) struct State {
    pub(super) config: Config,
    pub(super) indexes: RwLock<HashMap<Key, Arc<Entry>>>,
    pub(super) budget: budget::Budget,
    pub(super) sessions: Sessions,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl State {
    /// What the tenant's indexes hold together.
    pub(super) fn tenant_use(&self, tenant: &str) -> budget::TenantUse {
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
    pub(super) fn entry(&self, tenant: &str, name: &str) -> Option<Arc<Entry>> {
        self.indexes
            .read()
            .unwrap()
            .get(&(tenant.to_string(), name.to_string()))
            .cloned()
    }

    /// Restores every index of the data directory, replaying what its log holds past its
    /// snapshot; an empty store without one.
    pub(super) fn open(config: Config) -> Result<State, ServerError> {
        let mut indexes = HashMap::new();
        let sessions = Sessions::new(config.session_timeout);
        if let Some(dir) = &config.data_dir {
            let (recovered, skipped) =
                persist::recover(dir, config.skip_corrupt).map_err(ServerError)?;
            for message in skipped {
                warn(&format!("SKIPPED (--skip-corrupt): {message}"));
            }
            for found in recovered {
                let key = (found.tenant.clone(), found.name.clone());
                indexes.insert(key, Arc::new(restore(found, &sessions)));
            }
            super::log(&format!(
                "restored {} indexes from {}",
                indexes.len(),
                dir.display()
            ));
        }
        Ok(State {
            budget: budget::Budget::new(config.quotas.max_memory_bytes),
            config,
            indexes: RwLock::new(indexes),
            sessions,
        })
    }

    /// Adds a new index under `name`, owned by `owner` (freed when that session ends), written
    /// to its files before anyone can find it.
    pub(super) fn insert(
        &self,
        tenant: &str,
        name: &str,
        index: LocalIndex,
        deps: Vec<Arc<Entry>>,
        owner: Option<&Arc<Session>>,
    ) -> Result<IndexInfo, WireError> {
        if name.is_empty() {
            return Err(fail(
                ErrorKind::InvalidArgument,
                "index names cannot be empty",
            ));
        }
        let binary = index.info().binary;
        let files = self
            .config
            .data_dir
            .as_ref()
            .map(|dir| IndexFiles::new(dir, tenant, name, binary));
        // A session that ended while this request waited is started again: the request shows
        // its client is alive, and an index owned by an ended session would never be freed.
        let owner = owner.map(|session| self.sessions.current(session));
        let entry = Arc::new(Entry::new(index, files, deps, owner, now_ms()));
        let key = (tenant.to_string(), name.to_string());
        // Held until the first snapshot is written: writes and deletes that find the new name
        // wait for it (a delete would otherwise remove the files before the snapshot lands).
        let created = entry.index.read().unwrap();
        {
            let mut indexes = self.indexes.write().unwrap();
            if indexes.contains_key(&key) {
                return Err(fail(
                    ErrorKind::InvalidArgument,
                    format!("an index named '{name}' already exists"),
                ));
            }
            indexes.insert(key.clone(), entry.clone());
            // The sweeper ends a session before it looks for its indexes under this lock: an
            // index that was not there when it looked must not stay with the ended session.
            let mut owner = entry.owner.lock().unwrap();
            if let Some(session) = owner.as_ref() {
                session.owns_indexes();
            }
            let ended = owner.as_ref().filter(|s| s.ended());
            if let Some(current) = ended.map(|s| self.sessions.current(s)) {
                current.owns_indexes();
                *owner = Some(current);
            }
        }
        // The owner is on disk before the index is: a restart never finds the index without it.
        // Written under the owner's lock, as a Persist racing the creation writes it.
        let written = match entry.files() {
            Some(files) => {
                let owner = entry.owner.lock().unwrap();
                files
                    .write_meta(&entry.meta(owner.as_deref()))
                    .map_err(|m| fail(ErrorKind::Server, m))
            }
            None => Ok(()),
        };
        match written.and_then(|()| snapshot(&entry, &created)) {
            Ok(()) => Ok(created.info()),
            Err(error) => {
                let mut indexes = self.indexes.write().unwrap();
                if indexes.get(&key).is_some_and(|e| Arc::ptr_eq(e, &entry)) {
                    indexes.remove(&key);
                }
                Err(error)
            }
        }
    }

    /// Deletes the tenant's index `name` and its files. A composite that borrows it keeps it
    /// in memory.
    pub(super) fn remove(&self, tenant: &str, name: &str) -> Result<(), WireError> {
        self.remove_if(tenant, name, |_| true)
    }

    /// Deletes the tenant's index `name` if `still` holds of it once no write is in progress.
    fn remove_if(
        &self,
        tenant: &str,
        name: &str,
        still: impl Fn(&Entry) -> bool,
    ) -> Result<(), WireError> {
        let not_found = || self.not_found(tenant, name);
        let entry = self.entry(tenant, name).ok_or_else(not_found)?;
        // The index's own lock first: a write or the creation snapshot in progress finishes
        // (and is then removed with the files); the map's lock then keeps the name from being
        // created again until the old files are gone, so they cannot remove the new index's
        // files.
        let _writes = entry.index.write().unwrap();
        let mut indexes = self.indexes.write().unwrap();
        let key = (tenant.to_string(), name.to_string());
        match indexes.get(&key) {
            Some(current) if Arc::ptr_eq(current, &entry) && still(&entry) => indexes.remove(&key),
            _ => return Err(not_found()),
        };
        entry.deleted.store(true, Ordering::SeqCst);
        if let Some(files) = &entry.files {
            files.remove();
        }
        Ok(())
    }

    /// Detaches the tenant's index `name` from the session that created it: it stays until
    /// deleted by name. Durable (its meta file rewritten) before it returns.
    pub(super) fn persist(&self, tenant: &str, name: &str) -> Result<(), WireError> {
        let entry = self
            .entry(tenant, name)
            .ok_or_else(|| self.not_found(tenant, name))?;
        let mut owner = entry.owner.lock().unwrap();
        if owner.is_none() {
            return Ok(());
        }
        if let Some(files) = entry.files() {
            files
                .write_meta(&entry.meta(None))
                .map_err(|m| fail(ErrorKind::Server, m))?;
        }
        *owner = None;
        Ok(())
    }

    /// Frees the indexes `session` still owns, now that it ended; returns their names.
    pub(super) fn reap(&self, session: &Arc<Session>) -> Vec<String> {
        let owned: Vec<String> = self
            .indexes
            .read()
            .unwrap()
            .iter()
            .filter(|((tenant, _), entry)| *tenant == session.tenant && entry.owned_by(session))
            .map(|((_, name), _)| name.clone())
            .collect();
        owned
            .into_iter()
            // Shared or deleted meanwhile: not this session's to free any more.
            .filter(|name| {
                self.remove_if(&session.tenant, name, |e| e.owned_by(session))
                    .is_ok()
            })
            .collect()
    }

    /// The error for a name the tenant has no index of, saying when a session's end freed it:
    /// a client whose heartbeats stopped reaching the server learns why its index is gone.
    pub(super) fn not_found(&self, tenant: &str, name: &str) -> WireError {
        let why = self
            .sessions
            .freed_why(tenant, name)
            .map_or_else(String::new, |why| {
                format!(" (freed when its session ended: {why})")
            });
        fail(ErrorKind::NotFound, format!("no index named '{name}'{why}"))
    }

    /// Frees what an ended session still owns, and says so in the log.
    pub(super) fn session_ended(&self, session: &Arc<Session>, why: &str) {
        let freed = if session.owned_any() {
            self.reap(session)
        } else {
            Vec::new()
        };
        self.sessions.remember_freed(&session.tenant, &freed, why);
        self.sessions.ended.fetch_add(1, Ordering::Relaxed);
        self.sessions
            .freed
            .fetch_add(freed.len() as u64, Ordering::Relaxed);
        if !freed.is_empty() {
            super::log(&format!(
                "session {} of tenant '{}' ended ({why}): freed {} index{} it owned: {}",
                session.id,
                session.tenant,
                freed.len(),
                if freed.len() == 1 { "" } else { "es" },
                freed.join(", ")
            ));
        }
    }

    /// Ends the sessions silent for longer than their timeout, freeing their indexes.
    pub(super) fn expire_sessions(&self) {
        for session in self.sessions.expire() {
            let why = format!("no request for {} ms", Sessions::timeout_of(&session));
            self.session_ended(&session, &why);
        }
    }

    /// The tenant's indexes for operators, by name.
    pub(super) fn describe(&self, tenant: &str) -> Vec<IndexSummary> {
        let now = now_ms();
        let mut listed: Vec<IndexSummary> = self
            .indexes
            .read()
            .unwrap()
            .iter()
            .filter(|((t, _), _)| t == tenant)
            .map(|((_, name), entry)| IndexSummary {
                name: name.clone(),
                class: entry.class.clone(),
                d: entry.usage.d.load(Ordering::Relaxed) as u32,
                ntotal: entry.vectors() as i64,
                bytes: entry.usage.bytes.load(Ordering::Relaxed),
                created_ms: entry.created_ms,
                age_ms: now.saturating_sub(entry.created_ms),
                session: entry.owner.lock().unwrap().as_ref().map(|s| s.id.clone()),
            })
            .collect();
        listed.sort_by(|a, b| a.name.cmp(&b.name));
        listed
    }

    /// Snapshots every index with logged writes, so a clean restart replays nothing.
    pub(super) fn flush(&self) {
        for entry in self.indexes.read().unwrap().values() {
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

/// An index as recovery found it, with the writes its log holds past its snapshot applied.
/// An index its meta file says a session owns is that session's again, and the session is
/// given its timeout from now to show it is still alive.
fn restore(found: persist::Recovered, sessions: &Sessions) -> Entry {
    let meta = found.meta.unwrap_or_else(|message| {
        // Unknown owner: kept (as if shared) rather than freed, so no data is lost.
        warn(&format!("{message}; the index is kept as persistent"));
        None
    });
    let created_ms = meta.as_ref().map_or_else(now_ms, |m| m.created_ms);
    let owner = meta
        .and_then(|m| m.session)
        .map(|hello| sessions.touch(&found.tenant, &hello));
    if let Some(session) = &owner {
        session.owns_indexes();
    }
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
        // A logged write is cut back off the log when FAISS refuses it; one that fails here
        // was never acknowledged (the cut itself failed before a crash).
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
    let entry = Entry::new(
        found.index,
        Some(found.files),
        Vec::new(),
        owner,
        created_ms,
    );
    entry.seq.store(seq, Ordering::SeqCst);
    entry.wal_bytes.store(found.wal_len, Ordering::SeqCst);
    if !found.replay.is_empty() {
        // Fold the replayed log into a fresh snapshot so it is not replayed again; if that
        // fails (a full disk), the log still holds the writes.
        let files = entry.files.as_ref().expect("recovered from files");
        match files.write_snapshot(&entry.index.read().unwrap(), seq) {
            Ok(()) => entry.wal_bytes.store(0, Ordering::SeqCst),
            Err(message) => warn(&format!("{message}; the log keeps the writes")),
        }
    }
    entry
}

/// Applies a write to `entry`'s index durably: logged (fsync'ed) first, cut back off the log
/// if FAISS refuses it, so that the log holds exactly what was acknowledged. Returns what
/// [`apply_write`] returns and what the index holds after it.
pub(super) fn write_logged(
    entry: &Arc<Entry>,
    op: &Op,
    payload: &[&[u8]],
) -> Result<(Option<u64>, IndexInfo), WireError> {
    write(&[entry], |indexes, held| {
        let index = indexes[0];
        let logged = log_write(entry, index, held, op, payload)?;
        let removed = match apply_write(index, op, payload) {
            Ok(removed) => removed,
            Err(error) => {
                for record in logged {
                    record.undo();
                }
                return Err(super::from_local(error));
            }
        };
        for record in logged {
            record.commit();
        }
        for (other, other_index) in held {
            other.account(other_index);
        }
        after_write(entry, index, held, op)?;
        Ok((removed, index.info()))
    })
}

/// Moves `source`'s vectors into `target` (FAISS's merge_from); both are snapshotted, as a merge
/// is not logged.
pub(super) fn merge(
    target: &Arc<Entry>,
    source: &Arc<Entry>,
    add_id: i64,
) -> Result<IndexInfo, WireError> {
    write(&[target, source], |indexes, held| {
        let (target_index, source_index) = (indexes[0], indexes[1]);
        target_index
            .merge_from(source_index, add_id)
            .map_err(super::from_local)?;
        // Both indexes changed, and with them what they borrow (an IDMap's wrapped index).
        for (entry, locked) in held {
            entry.account(locked);
            snapshot(entry, locked)?;
        }
        Ok(target_index.info())
    })
}

/// Copies a subset of `source`'s entries into `target` (FAISS's copy_subset_to). Not logged:
/// replaying it would need `source` as it was then. `target` is snapshotted instead, as a merge
/// is; `source` is only read.
pub(super) fn copy_subset(
    target: &Arc<Entry>,
    source: &Arc<Entry>,
    subset_type: i32,
    a1: i64,
    a2: i64,
) -> Result<IndexInfo, WireError> {
    write(&[target, source], |indexes, _| {
        let (target_index, source_index) = (indexes[0], indexes[1]);
        target_index
            .copy_subset_from(source_index, subset_type, a1, a2)
            .map_err(super::from_local)?;
        target.account(target_index);
        snapshot(target, target_index)?;
        Ok(target_index.info())
    })
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
    if matches!(op, Op::Train { .. } | Op::TrainEncoder { .. })
        || entry.wal_bytes.load(Ordering::SeqCst) > WAL_SNAPSHOT_BYTES
    {
        if let Err(error) = snapshot(entry, index) {
            warn(&format!("{}; the log keeps the write", error.message));
        }
    }
    if entry.deps.is_empty() || matches!(op, Op::Add { .. } | Op::AddCore { .. }) {
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

pub(super) fn apply_write(
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
        Op::SetIds { n, .. } => index.set_ids(*n, frame(0)?).map(|()| None),
        Op::UpdateVectors { n, .. } => index
            .update_vectors(*n, frame(0)?, frame(1)?)
            .map(|()| None),
        Op::AddCore { n, with_ids, .. } => {
            let ids = if *with_ids { Some(frame(2)?) } else { None };
            index.add_core(*n, frame(0)?, frame(1)?, ids).map(|()| None)
        }
        Op::TrainEncoder { n, with_assign, .. } => {
            let assign = if *with_assign { Some(frame(1)?) } else { None };
            index.train_encoder(*n, frame(0)?, assign).map(|()| None)
        }
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
        Op::SetParam {
            name, value, space, ..
        } => index.set_param(name, *value, *space).map(|()| None),
        Op::PrependTransform { .. } => index.prepend_transform(frame(0)?).map(|()| None),
        _ => Err(Error::invalid("not a write operation")),
    }
}
