//! The write path under failure: validate → log (fsync) → apply → acknowledge. A write the log
//! could not take (full disk, read-only file system, file size limit) is answered with an error
//! and not applied; nothing acknowledged is lost across kill -9; deletes that race creations
//! stay deleted; one server owns a data directory; the empty tenant has a directory of its own;
//! fragments that failed appends left in a log are skipped, and a gap in the numbering is not.
//!
//! The disk-full and read-only cases mount a small tmpfs, which needs root (CI runs as root).

mod common;
mod remote;

use common::Rng;
use faissx::protocol::*;
use remote::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const D: usize = 8;

fn vectors(seed: u64, n: usize) -> Vec<f32> {
    Rng::new(seed).vectors(n, D)
}

fn add_op(name: &str, n: usize) -> Op {
    Op::Add {
        index: name.into(),
        n: n as u64,
        with_ids: false,
        part: 0,
        parts: 1,
    }
}

fn ntotal(raw: &mut Raw, name: &str) -> i64 {
    match raw.ok(Op::Info { index: name.into() }, vec![]).0 {
        Answer::Info(info) => info.ntotal,
        other => panic!("Info answered {other:?}"),
    }
}

/// The stored vectors of a flat index, in order.
fn stored(raw: &mut Raw, name: &str) -> Vec<f32> {
    let (_, frames) = raw.ok(Op::FlatVectors { index: name.into() }, vec![]);
    from_frame::<f32>(&frames[0], frames[0].len() / 4, "xb").unwrap()
}

/// Adds batches of `batch` vectors until the server refuses one; returns the vectors of the
/// acknowledged batches and the error of the refused one.
fn add_until_refused(raw: &mut Raw, name: &str, batch: usize) -> (Vec<f32>, WireError) {
    let mut acknowledged = Vec::new();
    for seed in 0..10_000u64 {
        let x = vectors(seed, batch);
        match raw.call(add_op(name, batch), vec![to_frame(&x)]).0 {
            Ok(_) => acknowledged.extend_from_slice(&x),
            Err(error) => return (acknowledged, error),
        }
    }
    panic!("the server never refused a write");
}

/// What every failure test checks after the refusal: the index holds exactly the acknowledged
/// vectors, now and after kill -9 and a restart on the same files.
#[track_caller]
fn holds_exactly(server: &mut Server, raw: &mut Raw, name: &str, acknowledged: &[f32]) {
    assert_eq!(
        stored(raw, name),
        acknowledged,
        "refused vectors were applied"
    );
    server.kill9();
}

/// A tmpfs of `bytes` mounted on a fresh directory, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(tag: &str, bytes: u64) -> Tmpfs {
        let dir = std::env::temp_dir().join(format!("faissx-tmpfs-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(&dir)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a tmpfs needs root (these tests simulate a full disk with one)"
        );
        Tmpfs(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A directory made read-only in place (a read-only bind mount over itself), until dropped.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn make(dir: &Path) -> ReadOnly {
        let run = |args: &[&str]| {
            let status = Command::new("mount").args(args).arg(dir).arg(dir).status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "bind mounts need root (this test makes a directory read-only with one)"
            );
        };
        run(&["--bind"]);
        let status = Command::new("mount")
            .args(["-o", "remount,bind,ro"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(status.success(), "remount read-only");
        ReadOnly(dir.to_path_buf())
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Restarts a server on a copy of `files` and checks the index is exactly `acknowledged`.
#[track_caller]
fn restart_holds(files: &Path, name: &str, acknowledged: &[f32]) {
    let copy = TempDir::new("restart");
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", files.display()))
        .arg(copy.path())
        .status()
        .unwrap();
    assert!(status.success());
    let server = Server::start(&["--data-dir", copy.arg()]);
    let mut raw = Raw::connect(&server.endpoint);
    assert_eq!(ntotal(&mut raw, name) as usize, acknowledged.len() / D);
    assert_eq!(stored(&mut raw, name), acknowledged);
    let log = server.stderr();
    assert!(!log.contains("not replayed"), "{log}");
}

#[test]
fn a_full_disk_refuses_the_write_and_keeps_everything_acknowledged() {
    let disk = Tmpfs::mount("full", 256 << 10);
    let mut server = Server::start(&["--data-dir", disk.arg()]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("full", D as u32);
    let (acknowledged, error) = add_until_refused(&mut raw, "full", 200);
    assert_eq!(error.kind, ErrorKind::Server, "{}", error.message);
    assert!(error.message.contains("not applied"), "{}", error.message);
    assert!(!acknowledged.is_empty());
    // Refused again, still not applied; a search sees only what was acknowledged.
    let again = raw.err(add_op("full", 200), vec![to_frame(&vectors(99_999, 200))]);
    assert_eq!(again.kind, ErrorKind::Server);
    let (_, frames) = raw.ok(
        Op::Search {
            index: "full".into(),
            n: 1,
            k: 1,
            params: None,
        },
        vec![to_frame(&vectors(99_999, 1))],
    );
    let label = from_frame::<i64>(&frames[1], 1, "labels").unwrap()[0];
    assert!((label as usize) < acknowledged.len() / D);
    holds_exactly(&mut server, &mut raw, "full", &acknowledged);
    restart_holds(disk.path(), "full", &acknowledged);

    // With room again, the same server files take writes after the cut-back log.
    let mut server = Server::start(&["--data-dir", disk.arg()]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.ok(
        Op::Delete {
            index: "full".into(),
        },
        vec![],
    );
    raw.create_flat("again", D as u32);
    raw.add("again", &vectors(5, 10), D);
    assert_eq!(ntotal(&mut raw, "again"), 10);
    server.kill9();
}

#[test]
fn a_read_only_file_system_refuses_writes_without_applying_them() {
    let dir = TempDir::new("ro");
    let mut server = Server::start(&["--data-dir", dir.arg()]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("ro", D as u32);
    let acknowledged = vectors(1, 50);
    raw.add("ro", &acknowledged, D);
    let tenant_dir = dir.files()[0].parent().unwrap().to_path_buf();
    let tenant_dir = if tenant_dir == dir.path() {
        dir.files()[1].parent().unwrap().to_path_buf()
    } else {
        tenant_dir
    };
    let read_only = ReadOnly::make(&tenant_dir);
    let error = raw.err(add_op("ro", 5), vec![to_frame(&vectors(2, 5))]);
    assert_eq!(error.kind, ErrorKind::Server, "{}", error.message);
    let reset = raw.err(Op::Reset { index: "ro".into() }, vec![]);
    assert_eq!(reset.kind, ErrorKind::Server, "{}", reset.message);
    holds_exactly(&mut server, &mut raw, "ro", &acknowledged);
    drop(read_only);
    restart_holds(dir.path(), "ro", &acknowledged);
}

#[test]
fn a_file_size_limit_refuses_the_write_and_the_server_stays_up() {
    let dir = TempDir::new("fsize");
    let mut server = Server::start_with_file_size_limit(
        &["--data-dir", dir.arg(), "--log-level", "warn"],
        64 << 10,
    );
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("limited", D as u32);
    let (acknowledged, error) = add_until_refused(&mut raw, "limited", 100);
    assert_eq!(error.kind, ErrorKind::Server, "{}", error.message);
    assert!(!acknowledged.is_empty());
    // Alive, and still serving reads and other indexes that fit.
    assert_eq!(ntotal(&mut raw, "limited") as usize, acknowledged.len() / D);
    raw.create_flat("small", D as u32);
    raw.add("small", &vectors(7, 3), D);
    holds_exactly(&mut server, &mut raw, "limited", &acknowledged);
    let server = Server::start(&["--data-dir", dir.arg()]);
    let mut raw = Raw::connect(&server.endpoint);
    assert_eq!(stored(&mut raw, "limited"), acknowledged);
    assert_eq!(ntotal(&mut raw, "small"), 3);
}

#[test]
fn a_write_faiss_refuses_leaves_no_record_in_the_log() {
    let dir = TempDir::new("refused");
    let mut server = Server::start(&["--data-dir", dir.arg()]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("q", D as u32);
    raw.ok(
        Op::Create {
            index: "ivf".into(),
            spec: IndexSpec::IvfFlat {
                quantizer: "q".into(),
                d: D as u64,
                nlist: 4,
                metric: faissx::ffi::types::METRIC_L2,
            },
        },
        vec![],
    );
    let wal = |dir: &TempDir| {
        dir.files()
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "wal"))
            .map(|f| std::fs::metadata(f).unwrap().len())
            .sum::<u64>()
    };
    let before = wal(&dir);
    // Untrained: FAISS refuses the add after it was logged, so the record is cut back off.
    let error = raw.err(add_op("ivf", 4), vec![to_frame(&vectors(3, 4))]);
    assert_eq!(error.kind, ErrorKind::Faiss, "{}", error.message);
    assert_eq!(wal(&dir), before, "the refused add stayed in the log");
    server.kill9();
    let server = Server::start(&["--data-dir", dir.arg()]);
    let mut raw = Raw::connect(&server.endpoint);
    assert_eq!(ntotal(&mut raw, "ivf"), 0);
    assert!(
        !server.stderr().contains("not replayed"),
        "{}",
        server.stderr()
    );
}

#[test]
fn deletes_racing_creations_stay_deleted_after_kill_9() {
    let dir = TempDir::new("race");
    let mut server = Server::start(&["--data-dir", dir.arg(), "--workers", "4"]);
    let mut creator = Raw::connect(&server.endpoint);
    let mut deleter = Raw::connect(&server.endpoint);
    let mut expected = Vec::new();
    for i in 0..150 {
        let name = format!("race-{i}");
        let create = creator.request(Op::Create {
            index: name.clone(),
            spec: IndexSpec::Flat {
                d: D as u32,
                metric: faissx::ffi::types::METRIC_L2,
            },
        });
        let delete = deleter.request(Op::Delete {
            index: name.clone(),
        });
        creator.send(vec![encode(&create)]);
        deleter.send(vec![encode(&delete)]);
        let created = creator
            .recv(10_000)
            .expect("create answered")
            .0
            .result
            .is_ok();
        let deleted = deleter
            .recv(10_000)
            .expect("delete answered")
            .0
            .result
            .is_ok();
        assert!(created || !deleted, "{name}: deleted without being created");
        if created && !deleted {
            expected.push(name);
        }
    }
    server.kill9();
    let server = Server::start(&["--data-dir", dir.arg()]);
    let mut raw = Raw::connect(&server.endpoint);
    let mut names = raw.list();
    names.sort();
    expected.sort();
    assert_eq!(
        names, expected,
        "deleted indexes came back, or created ones were lost"
    );
}

#[test]
fn one_server_owns_a_data_directory() {
    let dir = TempDir::new("lock");
    let mut first = Server::start(&["--data-dir", dir.arg()]);
    let failed = Server::try_start(&["--data-dir", dir.arg()])
        .err()
        .expect("a second server on the same data dir must not start");
    assert!(!failed.status.success());
    assert!(
        failed.stderr.contains("in use by another faissx-server")
            && failed.stderr.contains(dir.arg()),
        "{}",
        failed.stderr
    );
    first.kill9();
    // The lock goes with the process that held it, even after kill -9.
    let _second = Server::start(&["--data-dir", dir.arg()]);
}

#[test]
fn the_empty_tenant_has_its_own_directory_and_is_restored() {
    let dir = TempDir::new("empty-tenant");
    let mut server = Server::start(&["--data-dir", dir.arg()]);
    let mut empty = Raw::connect(&server.endpoint);
    empty.tenant = Some(String::new());
    let mut other = Raw::connect(&server.endpoint);
    other.tenant = Some("other".into());
    empty.create_flat("shared-name", D as u32);
    empty.add("shared-name", &vectors(1, 4), D);
    other.create_flat("shared-name", D as u32);
    other.add("shared-name", &vectors(2, 6), D);
    for file in dir.files().iter().filter(|f| !f.ends_with("LOCK")) {
        assert_ne!(
            file.parent(),
            Some(dir.path()),
            "{} is in the data directory's root",
            file.display()
        );
    }
    server.kill9();
    let server = Server::start(&["--data-dir", dir.arg()]);
    let mut empty = Raw::connect(&server.endpoint);
    empty.tenant = Some(String::new());
    let mut other = Raw::connect(&server.endpoint);
    other.tenant = Some("other".into());
    assert_eq!(empty.list(), ["shared-name"]);
    assert_eq!(stored(&mut empty, "shared-name"), vectors(1, 4));
    assert_eq!(stored(&mut other, "shared-name"), vectors(2, 6));
}

/// Offsets of the records of a log: each is `len u32 | crc u32 | payload`.
fn record_offsets(log: &[u8]) -> Vec<usize> {
    let mut at = 0;
    let mut offsets = Vec::new();
    while at + 8 <= log.len() {
        offsets.push(at);
        at += 8 + u32::from_le_bytes(log[at..at + 4].try_into().unwrap()) as usize;
    }
    offsets
}

/// A server on a fresh data directory that acknowledged three adds of two vectors to `name`,
/// then was killed: the directory, the log's path and the acknowledged vectors.
fn three_logged_adds(name: &str) -> (TempDir, PathBuf, Vec<f32>) {
    let dir = TempDir::new(name);
    let mut server = Server::start(&["--data-dir", dir.arg()]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat(name, D as u32);
    let mut acknowledged = Vec::new();
    for seed in 0..3 {
        let x = vectors(seed, 2);
        raw.add(name, &x, D);
        acknowledged.extend(x);
    }
    server.kill9();
    let wal = dir
        .files()
        .into_iter()
        .find(|f| f.extension().is_some_and(|e| e == "wal"))
        .expect("a log");
    (dir, wal, acknowledged)
}

#[test]
fn fragments_of_failed_appends_are_skipped_but_a_lost_write_is_not() {
    let (dir, wal, acknowledged) = three_logged_adds("f");
    let intact = std::fs::read(&wal).unwrap();
    let offsets = record_offsets(&intact);
    assert_eq!(offsets.len(), 3);

    // The front half of a record between two good ones, as a failed append before the cut-back
    // existed left it: skipped, and every acknowledged write is replayed.
    let fragment = &intact[offsets[1]..offsets[1] + (offsets[2] - offsets[1]) / 2];
    let mut damaged = intact[..offsets[1]].to_vec();
    damaged.extend_from_slice(fragment);
    damaged.extend_from_slice(&intact[offsets[1]..]);
    damaged.extend_from_slice(b"garbage at the end");
    std::fs::write(&wal, &damaged).unwrap();
    let server = Server::start(&["--data-dir", dir.arg()]);
    let log = server.stderr();
    assert!(
        log.contains("skipped") && log.contains("never acknowledged"),
        "{log}"
    );
    let mut raw = Raw::connect(&server.endpoint);
    assert_eq!(stored(&mut raw, "f"), acknowledged);
    drop(server);

    // A record missing between two good ones is an acknowledged write lost: refused.
    let (dir, wal, _) = three_logged_adds("g");
    let intact = std::fs::read(&wal).unwrap();
    let offsets = record_offsets(&intact);
    let mut gap = intact[..offsets[1]].to_vec();
    gap.extend_from_slice(b"xxxx");
    gap.extend_from_slice(&intact[offsets[2]..]);
    std::fs::write(&wal, &gap).unwrap();
    let failed = Server::try_start(&["--data-dir", dir.arg()])
        .err()
        .expect("a log missing an acknowledged write must not be accepted");
    assert!(
        failed.stderr.contains("may be lost") && failed.stderr.contains(&*wal.to_string_lossy()),
        "{}",
        failed.stderr
    );
}
