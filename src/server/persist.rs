//! Durability for `--data-dir`: a snapshot per index plus a write-ahead log.
//!
//! `<data>/<tenant>/<name>.index` (`.bindex` for binary indexes) holds `FXS1`, the sequence
//! number of the last write it contains (u64 LE), then the index in FAISS's file format. It is
//! replaced atomically: written to a temporary file, fsync'ed, renamed, directory fsync'ed.
//! `<name>.wal` holds the writes since: records of `len u32 | crc32 u32 | payload` where the
//! payload is a msgpack [`WalRecord`]. A write is acknowledged only after its record is
//! fsync'ed, so after `kill -9` every acknowledged write is in the snapshot or the log.
//! Tenant and index names are hex-encoded into file names, so any name is a safe path; the
//! empty tenant's directory is `_`, which no hex encoding produces.
//!
//! A record is appended before its write is applied; an append that fails (disk full, file
//! size limit, read-only file system) is cut back off the log, and so is the record of a write
//! that FAISS then refuses, so the log holds exactly the writes that were acknowledged. Sequence
//! numbers run without gaps, which is how recovery tells a never-acknowledged fragment (skipped,
//! with a warning) from a lost acknowledged write (refused).
//!
//! `<name>.meta` (JSON, [`IndexMeta`]) says when the index was created and which client
//! session owns it, if one does. It is written before the index's first snapshot and replaced
//! atomically when the index is shared, so an index is never restored without its owner: a
//! restarted server gives each owning session its timeout to come back before it frees that
//! session's indexes (README, "Index lifetime"). An index without the file (a data directory
//! older than sessions) belongs to no session.
//!
//! `<data>/LOCK` is held (flock) by the server using the directory, so a second server on the
//! same directory refuses to start instead of overwriting the first one's files.

use crate::local::index::LocalIndex;
use crate::protocol::Op;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const SNAPSHOT_MAGIC: &[u8; 4] = b"FXS1";
/// Past this much log, the next write takes a snapshot instead, bounding restart time.
pub const WAL_SNAPSHOT_BYTES: u64 = 256 << 20;

/// One logged write: the request's operation and its payload frames.
#[derive(Serialize, Deserialize)]
pub struct WalRecord {
    pub seq: u64,
    pub op: Op,
    pub frames: Vec<serde_bytes::ByteBuf>,
}

/// Where one index lives on disk.
#[derive(Debug, Clone)]
pub struct IndexFiles {
    pub snapshot: PathBuf,
    pub wal: PathBuf,
    pub meta: PathBuf,
}

/// What `<name>.meta` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct IndexMeta {
    /// Milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// The session the index belongs to; `None`: shared or persistent.
    pub session: Option<crate::protocol::SessionHello>,
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The empty tenant's directory: hex("") would be the data directory itself.
const EMPTY_TENANT_DIR: &str = "_";

fn tenant_dir(tenant: &str) -> String {
    if tenant.is_empty() {
        EMPTY_TENANT_DIR.to_string()
    } else {
        hex(tenant)
    }
}

fn tenant_of_dir(dir: &str) -> Option<String> {
    if dir == EMPTY_TENANT_DIR {
        Some(String::new())
    } else {
        unhex(dir).filter(|tenant| !tenant.is_empty())
    }
}

/// Exclusive use of a data directory for as long as the returned file stays open.
pub struct DataDirLock {
    _file: File,
}

/// Takes `<data_dir>/LOCK`, creating the directory if needed; fails naming the process that
/// holds it.
pub fn lock_data_dir(data_dir: &Path) -> Result<DataDirLock, String> {
    fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let path = data_dir.join("LOCK");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor this function owns; released when the file is closed,
    // which is also what happens when the process dies (even by kill -9).
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::WouldBlock {
            return Err(format!("cannot lock {}: {error}", path.display()));
        }
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        let holder = holder.trim();
        return Err(format!(
            "{} is in use by another faissx-server ({}); one server owns a data directory",
            data_dir.display(),
            if holder.is_empty() {
                "process unknown".to_string()
            } else {
                format!("pid {holder}")
            }
        ));
    }
    // Who holds it, for the message a second server prints; the lock itself is the flock.
    let pid = std::process::id().to_string();
    file.set_len(0)
        .and_then(|()| file.write_all(pid.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(DataDirLock { _file: file })
}

fn unhex(text: &str) -> Option<String> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

impl IndexFiles {
    pub fn new(data_dir: &Path, tenant: &str, name: &str, binary: bool) -> Self {
        let dir = data_dir.join(tenant_dir(tenant));
        let stem = hex(name);
        IndexFiles {
            snapshot: dir.join(format!(
                "{stem}.{}",
                if binary { "bindex" } else { "index" }
            )),
            wal: dir.join(format!("{stem}.wal")),
            meta: dir.join(format!("{stem}.meta")),
        }
    }

    /// Atomically replaces `<name>.meta`.
    pub fn write_meta(&self, meta: &IndexMeta) -> Result<(), String> {
        let bytes = serde_json::to_vec(meta).map_err(|e| e.to_string())?;
        let dir = self.meta.parent().expect("meta has a directory");
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let tmp = self.meta.with_extension("meta-tmp");
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            fs::rename(&tmp, &self.meta)?;
            File::open(dir)?.sync_all()
        };
        write().map_err(|e| format!("cannot write {}: {e}", self.meta.display()))
    }

    /// `<name>.meta`; `Ok(None)` when there is none.
    pub fn read_meta(&self) -> Result<Option<IndexMeta>, String> {
        match fs::read(&self.meta) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("{} is corrupt: {e}", self.meta.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", self.meta.display())),
        }
    }

    /// Atomically replaces the snapshot with `index` as of write `seq`, then drops the log
    /// (every record in it is at most `seq`).
    pub fn write_snapshot(&self, index: &LocalIndex, seq: u64) -> Result<(), String> {
        let bytes = index.save().map_err(|e| e.message)?;
        let dir = self.snapshot.parent().expect("snapshot has a directory");
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let tmp = self.snapshot.with_extension("tmp");
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(SNAPSHOT_MAGIC)?;
            file.write_all(&seq.to_le_bytes())?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            fs::rename(&tmp, &self.snapshot)?;
            File::open(dir)?.sync_all()
        };
        write().map_err(|e| format!("cannot write {}: {e}", self.snapshot.display()))?;
        match fs::remove_file(&self.wal) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("cannot remove {}: {e}", self.wal.display())),
        }
    }

    /// Appends one record after the first `good_len` bytes of the log (anything after them is
    /// the remains of a failed append, cut off first) and fsyncs it; returns the log's new
    /// size. On failure the log is cut back to `good_len`, so nothing of the record stays.
    pub fn append(&self, record: &WalRecord, good_len: u64) -> Result<u64, String> {
        let payload = rmp_serde::to_vec_named(record).map_err(|e| e.to_string())?;
        let len =
            u32::try_from(payload.len()).map_err(|_| "write too large for the log".to_string())?;
        let mut header = [0u8; 8];
        header[..4].copy_from_slice(&len.to_le_bytes());
        header[4..].copy_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        let wal = self.wal.display();
        if let Some(dir) = self.wal.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&self.wal)
            .map_err(|e| format!("cannot append to {wal}: {e}"))?;
        let append = |file: &mut File| -> std::io::Result<u64> {
            if file.metadata()?.len() != good_len {
                file.set_len(good_len)?;
            }
            file.seek(SeekFrom::Start(good_len))?;
            file.write_all(&header)?;
            file.write_all(&payload)?;
            file.sync_data()?;
            Ok(good_len + 8 + payload.len() as u64)
        };
        append(&mut file).map_err(|e| {
            let cut = file
                .set_len(good_len)
                .and_then(|()| file.sync_data())
                .map_or_else(
                    |cut| format!("; cutting it back also failed ({cut}): the next write retries"),
                    |()| String::new(),
                );
            format!("cannot append to {wal}: {e}{cut}")
        })
    }

    /// Cuts the log back to `good_len` bytes: the record of a write that was not applied.
    pub fn truncate(&self, good_len: u64) -> Result<(), String> {
        let cut = || -> std::io::Result<()> {
            let file = OpenOptions::new().write(true).open(&self.wal)?;
            file.set_len(good_len)?;
            file.sync_data()
        };
        cut().map_err(|e| format!("cannot cut back {}: {e}", self.wal.display()))
    }

    pub fn remove(&self) {
        let _ = fs::remove_file(&self.snapshot);
        let _ = fs::remove_file(&self.wal);
        // Last: a crash before it leaves a meta file without a snapshot, which recovery ignores
        // (and the next index of that name replaces).
        let _ = fs::remove_file(&self.meta);
    }
}

/// An index found on disk, with the logged writes to replay on it.
pub struct Recovered {
    pub tenant: String,
    pub name: String,
    pub files: IndexFiles,
    pub index: LocalIndex,
    pub seq: u64,
    pub replay: Vec<WalRecord>,
    /// Bytes of a torn last record (a write that was never acknowledged), dropped.
    pub torn_tail: u64,
    /// Length of the log after recovery: where the next record goes.
    pub wal_len: u64,
    /// Fragments of failed appends between good records, skipped: (offset, bytes).
    pub skipped: Vec<(u64, u64)>,
    /// `<name>.meta`, or why it could not be read.
    pub meta: Result<Option<IndexMeta>, String>,
}

/// Reads every index under `data_dir`. A corrupt snapshot or log fails with the file's name;
/// with `skip_corrupt`, such indexes are reported in the second list instead.
pub fn recover(
    data_dir: &Path,
    skip_corrupt: bool,
) -> Result<(Vec<Recovered>, Vec<String>), String> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let tenants = match fs::read_dir(data_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(data_dir)
                .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
            return Ok((found, skipped));
        }
        Err(e) => return Err(format!("cannot read {}: {e}", data_dir.display())),
    };
    for tenant_dir in tenants {
        let tenant_dir = tenant_dir.map_err(|e| e.to_string())?.path();
        if !tenant_dir.is_dir() {
            continue;
        }
        let Some(tenant) = tenant_dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(tenant_of_dir)
        else {
            continue;
        };
        let files = fs::read_dir(&tenant_dir)
            .map_err(|e| format!("cannot read {}: {e}", tenant_dir.display()))?;
        for file in files {
            let path = file.map_err(|e| e.to_string())?.path();
            let binary = match path.extension().and_then(|e| e.to_str()) {
                Some("index") => false,
                Some("bindex") => true,
                _ => continue,
            };
            let Some(name) = path.file_stem().and_then(|n| n.to_str()).and_then(unhex) else {
                continue;
            };
            let files = IndexFiles::new(data_dir, &tenant, &name, binary);
            match recover_one(&files, binary) {
                Ok((index, seq, wal)) => found.push(Recovered {
                    meta: files.read_meta(),
                    tenant: tenant.clone(),
                    name,
                    files,
                    index,
                    seq,
                    replay: wal.records,
                    torn_tail: wal.torn_tail,
                    wal_len: wal.len,
                    skipped: wal.skipped,
                }),
                Err(message) if skip_corrupt => skipped.push(message),
                Err(message) => return Err(message),
            }
        }
    }
    Ok((found, skipped))
}

type RecoveredParts = (LocalIndex, u64, Wal);

fn recover_one(files: &IndexFiles, binary: bool) -> Result<RecoveredParts, String> {
    let snapshot = files.snapshot.display();
    let bytes = fs::read(&files.snapshot).map_err(|e| format!("cannot read {snapshot}: {e}"))?;
    if bytes.len() < 12 || &bytes[..4] != SNAPSHOT_MAGIC {
        return Err(format!(
            "{snapshot} is not a faissx snapshot (corrupt or truncated)"
        ));
    }
    let seq = u64::from_le_bytes(bytes[4..12].try_into().expect("8 bytes"));
    let index = LocalIndex::load(&bytes[12..], binary)
        .map_err(|e| format!("{snapshot} is corrupt: {}", e.message))?;
    let wal = read_wal(&files.wal, seq)?;
    Ok((index, seq, wal))
}

/// A log as recovery found it.
struct Wal {
    /// The records after the snapshot's sequence number, in order.
    records: Vec<WalRecord>,
    /// Bytes after the last good record, dropped.
    torn_tail: u64,
    /// Fragments skipped between good records: (offset, bytes).
    skipped: Vec<(u64, u64)>,
    /// The log's length once the tail is dropped.
    len: u64,
}

/// How rmp-serde's named encoding of a [`WalRecord`] begins: a map of 3 fields, "seq" first.
const RECORD_START: &[u8] = b"\x83\xa3seq";

/// The record at `at`, if a whole, intact one starts there: (record, its length with header).
fn record_at(bytes: &[u8], at: usize) -> Option<(WalRecord, usize)> {
    let header = bytes.get(at..at + 8)?;
    let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
    let payload = bytes.get(at + 8..(at + 8).checked_add(len)?)?;
    // Every record is a msgpack map that starts with its `seq` field: a cheap test that keeps
    // the search for the next record after garbage from checksumming at every offset.
    if !payload.starts_with(RECORD_START) || crc32fast::hash(payload) != crc {
        return None;
    }
    let record = rmp_serde::from_slice(payload).ok()?;
    Some((record, 8 + len))
}

/// The log's records after `seq`.
///
/// A write's record is complete and fsync'ed before the write is acknowledged, and records
/// carry consecutive sequence numbers. So bytes that are not a record — the remains of an
/// append that failed, or was cut short by a crash — belong to writes never acknowledged: at
/// the end they are dropped; between records they are skipped, but only if the next good
/// record continues the numbering (nothing acknowledged was in them). Anything else is
/// corruption, and refused.
fn read_wal(path: &Path, seq: u64) -> Result<Wal, String> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut file) => {
            file.read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Wal {
                records: Vec::new(),
                torn_tail: 0,
                skipped: Vec::new(),
                len: 0,
            })
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    let mut records = Vec::new();
    let mut skipped = Vec::new();
    // Where each good record lies, so that a damaged log is rewritten from exactly these.
    let mut good: Vec<std::ops::Range<usize>> = Vec::new();
    let mut last_seq: Option<u64> = None;
    let mut at = 0usize;
    while at < bytes.len() {
        if let Some((record, len)) = record_at(&bytes, at) {
            last_seq = Some(record.seq);
            if record.seq > seq {
                records.push(record);
            }
            good.push(at..at + len);
            at += len;
            continue;
        }
        // Not a record: find the next one, if any.
        let next = (at + 1..bytes.len())
            .find_map(|from| record_at(&bytes, from).map(|(record, _)| (from, record.seq)));
        let Some((from, next_seq)) = next else {
            // A whole record that fills the log to its end but fails its checksum is not the
            // remains of a failed append (those are cut back, or end short): it is a record
            // that was written, and perhaps acknowledged, then damaged.
            let declared = bytes
                .get(at..at + 4)
                .map(|l| u32::from_le_bytes(l.try_into().expect("4 bytes")) as usize);
            let payload = bytes.get(at + 8..);
            if declared == payload.map(<[u8]>::len)
                && payload.is_some_and(|p| p.starts_with(RECORD_START))
            {
                return Err(format!(
                    "{} is corrupt: bad checksum in the last record, at byte {at}",
                    path.display()
                ));
            }
            break;
        };
        let expected = last_seq.unwrap_or(seq).saturating_add(1);
        if next_seq != expected && !(last_seq.is_none() && next_seq <= expected) {
            return Err(format!(
                "{} is corrupt: unreadable bytes at {at}..{from}, and the record after them is \
                 write {next_seq} where write {expected} was due (an acknowledged write may be lost)",
                path.display()
            ));
        }
        skipped.push((at as u64, (from - at) as u64));
        at = from;
    }
    let good_end = good.last().map_or(0, |record| record.end);
    let torn = (bytes.len() - good_end) as u64;
    if torn > 0 || !skipped.is_empty() {
        // Rewrite the log as its good records only, so later appends follow a clean log.
        let clean: Vec<u8> = good
            .iter()
            .flat_map(|r| &bytes[r.clone()])
            .copied()
            .collect();
        let tmp = path.with_extension("wal.tmp");
        let rewrite = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(&clean)?;
            file.sync_all()?;
            fs::rename(&tmp, path)?;
            if let Some(dir) = path.parent() {
                File::open(dir)?.sync_all()?;
            }
            Ok(())
        };
        rewrite().map_err(|e| format!("cannot rewrite {}: {e}", path.display()))?;
        return Ok(Wal {
            records,
            torn_tail: torn,
            skipped,
            len: clean.len() as u64,
        });
    }
    Ok(Wal {
        records,
        torn_tail: 0,
        skipped,
        len: good_end as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_start_as_the_log_reader_expects() {
        let record = WalRecord {
            seq: 3,
            op: Op::Ping,
            frames: vec![],
        };
        assert!(rmp_serde::to_vec_named(&record)
            .unwrap()
            .starts_with(RECORD_START));
    }

    #[test]
    fn names_round_trip_through_hex() {
        for name in ["plain", "with/slash", "..", "ünïcode", ""] {
            assert_eq!(unhex(&hex(name)).as_deref(), Some(name));
            assert_eq!(tenant_of_dir(&tenant_dir(name)).as_deref(), Some(name));
        }
        assert_eq!(unhex("zz"), None);
        assert_ne!(tenant_dir(""), "");
    }
}
