//! Durability for `--data-dir`: a snapshot per index plus a write-ahead log.
//!
//! `<data>/<tenant>/<name>.index` (`.bindex` for binary indexes) holds `FXS1`, the sequence
//! number of the last write it contains (u64 LE), then the index in FAISS's file format. It is
//! replaced atomically: written to a temporary file, fsync'ed, renamed, directory fsync'ed.
//! `<name>.wal` holds the writes since: records of `len u32 | crc32 u32 | payload` where the
//! payload is a msgpack [`WalRecord`]. A write is acknowledged only after its record is
//! fsync'ed, so after `kill -9` every acknowledged write is in the snapshot or the log.
//! Tenant and index names are hex-encoded into file names, so any name is a safe path.

use crate::local::index::LocalIndex;
use crate::protocol::Op;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
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
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<String> {
    if text.len() % 2 != 0 {
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
        let dir = data_dir.join(hex(tenant));
        let stem = hex(name);
        IndexFiles {
            snapshot: dir.join(format!(
                "{stem}.{}",
                if binary { "bindex" } else { "index" }
            )),
            wal: dir.join(format!("{stem}.wal")),
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

    /// Appends one record and fsyncs it; returns the log's new size.
    pub fn append(&self, record: &WalRecord) -> Result<u64, String> {
        let payload = rmp_serde::to_vec_named(record).map_err(|e| e.to_string())?;
        let len =
            u32::try_from(payload.len()).map_err(|_| "write too large for the log".to_string())?;
        let mut bytes = Vec::with_capacity(payload.len() + 8);
        bytes.extend_from_slice(&len.to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
        let append = || -> std::io::Result<u64> {
            let mut file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.wal)?;
            file.write_all(&bytes)?;
            file.sync_data()?;
            Ok(file.metadata()?.len())
        };
        append().map_err(|e| format!("cannot append to {}: {e}", self.wal.display()))
    }

    pub fn remove(&self) {
        let _ = fs::remove_file(&self.snapshot);
        let _ = fs::remove_file(&self.wal);
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
        let Some(tenant) = tenant_dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(unhex)
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
                Ok((index, seq, replay, torn_tail)) => found.push(Recovered {
                    tenant: tenant.clone(),
                    name,
                    files,
                    index,
                    seq,
                    replay,
                    torn_tail,
                }),
                Err(message) if skip_corrupt => skipped.push(message),
                Err(message) => return Err(message),
            }
        }
    }
    Ok((found, skipped))
}

type RecoveredParts = (LocalIndex, u64, Vec<WalRecord>, u64);

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
    let (replay, torn_tail) = read_wal(&files.wal, seq)?;
    Ok((index, seq, replay, torn_tail))
}

/// The log's records after `seq`. A record cut short at the end is a write whose fsync never
/// finished, so it was never acknowledged: it is dropped and its size reported. A complete
/// record with a wrong checksum is corruption.
fn read_wal(path: &Path, seq: u64) -> Result<(Vec<WalRecord>, u64), String> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut file) => {
            file.read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    let mut records = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        if bytes.len() - at < 8 {
            break;
        }
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes"));
        if bytes.len() - at - 8 < len {
            break;
        }
        let payload = &bytes[at + 8..at + 8 + len];
        if crc32fast::hash(payload) != crc {
            return Err(format!(
                "{} is corrupt: bad checksum in the record at byte {at}",
                path.display()
            ));
        }
        let record: WalRecord = rmp_serde::from_slice(payload).map_err(|e| {
            format!(
                "{} is corrupt: unreadable record at byte {at}: {e}",
                path.display()
            )
        })?;
        if record.seq > seq {
            records.push(record);
        }
        at += 8 + len;
    }
    let torn = (bytes.len() - at) as u64;
    if torn > 0 {
        // Keep the log appendable: later records must not follow garbage.
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| e.to_string())?;
        file.set_len(at as u64)
            .map_err(|e| format!("cannot truncate {}: {e}", path.display()))?;
        file.sync_all().map_err(|e| e.to_string())?;
    }
    Ok((records, torn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_hex() {
        for name in ["plain", "with/slash", "..", "ünïcode", ""] {
            assert_eq!(unhex(&hex(name)).as_deref(), Some(name));
        }
        assert_eq!(unhex("zz"), None);
    }
}
