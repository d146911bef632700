//! Durability of `--data-dir`: acknowledged writes survive `kill -9`, a clean shutdown and
//! restart gives identical search results, corrupt files stop the server with their name (or
//! are skipped loudly with `--skip-corrupt`), and clients reconnect to a restarted server.

mod common;
mod remote;

use common::*;
use faissx::ffi::index::*;
use faissx::ffi::index_ivf::*;
use faissx::ffi::types::*;
use remote::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

const D: usize = 8;

/// Starts a server on `dir`; also bounds how long a request waits for a server that is down
/// (the default 30 s would make a failing test hang while its handles are freed).
fn start(dir: &TempDir, port: Option<u16>) -> Server {
    set_option("timeout_ms", "3000");
    let port = port.map(|p| p.to_string());
    let mut args = vec!["--data-dir", dir.arg()];
    if let Some(port) = &port {
        args.extend(["--port", port.as_str()]);
    }
    Server::start(&args)
}

fn vector(i: usize) -> Vec<f32> {
    let mut rng = Rng::new(1000 + i as u64);
    rng.vectors(1, D)
}

#[test]
fn acknowledged_adds_survive_kill_9() {
    let _serial = exclusive();
    let dir = TempDir::new("kill9");
    let mut server = start(&dir, None);
    configure(Some(&server.endpoint), None, None);
    // The add in flight at the kill waits this long for its reply before failing.
    set_option("timeout_ms", "1500");
    let index = flat_l2(D);
    let name = remote_name(&index);
    let handle = Shared(index.ptr());

    let acknowledged = Mutex::new(Vec::new());
    let failure = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0.. {
                let x = vector(i);
                let rc = unsafe { faissx_Index_add(handle.get(), 1, x.as_ptr()) };
                if rc != 0 {
                    failure.store(-rc as usize, Ordering::SeqCst);
                    break;
                }
                acknowledged.lock().unwrap().push(i);
            }
        });
        while acknowledged.lock().unwrap().len() < 40 {
            std::thread::yield_now();
        }
        server.kill9();
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    assert_eq!(
        failure.load(Ordering::SeqCst) as i32,
        -FAISSX_ERR_TRANSPORT,
        "{}",
        last_error()
    );

    // Same port: the old handle's connection comes back by itself.
    let server = start(&dir, Some(server.port));
    let reopened = open(&name).expect("the index is restored");
    let ntotal = reopened.ntotal();
    // The add in flight at the kill may or may not have been applied; none before it is lost.
    assert!(
        ntotal == acknowledged.len() || ntotal == acknowledged.len() + 1,
        "{ntotal} vs {}",
        acknowledged.len()
    );
    for &i in &acknowledged {
        let (distances, labels) = reopened.search(&vector(i), 1);
        assert_eq!(
            (labels[0], distances[0]),
            (i as idx_t, 0.0),
            "acknowledged add {i}"
        );
    }
    assert_eq!(
        index.ntotal(),
        ntotal,
        "the handle from before the restart works again"
    );
    index.add(&vector(10_000));
    assert_eq!(reopened.ntotal(), ntotal + 1);
    drop((reopened, index));
    drop(server);
    local_mode();
}

/// Trains an IVF's encoder alone on `xb` scaled by `scale`.
fn train_encoder(index: &Index, xb: &[f32], scale: f32) {
    let scaled: Vec<f32> = xb.iter().map(|v| v * scale).collect();
    check(unsafe {
        faissx_IndexIVF_train_encoder(
            faissx_IndexIVF_cast(index.ptr()),
            (xb.len() / D) as idx_t,
            scaled.as_ptr(),
            std::ptr::null(),
        )
    });
}

/// Every kind of logged write (add, add_with_ids, remove, parameters, train, train_encoder, merge) on a few
/// index types, then a restart: searches give the same results as before.
fn build_state(xb: &[f32]) -> (Vec<Index>, Vec<String>) {
    let ivf = Index::factory(D, "IVF8,Flat", METRIC_L2);
    ivf.train(xb);
    ivf.add(xb);
    unsafe { faissx_IndexIVF_set_nprobe(ivf.ptr(), 3) };
    let map = Index::factory(D, "IDMap2,Flat", METRIC_INNER_PRODUCT);
    let ids: Vec<idx_t> = (0..xb.len() / D).map(|i| 7 * i as idx_t + 3).collect();
    map.add_with_ids(xb, &ids);
    let selector = Selector::range(100, 400);
    check(unsafe { faissx_Index_remove_ids(map.ptr(), selector.0, std::ptr::null_mut()) });
    let flat = flat_l2(D);
    flat.add(&xb[..50 * D]);
    let other = flat_l2(D);
    other.add(&xb[50 * D..80 * D]);
    check(unsafe { faissx_Index_merge_from(flat.ptr(), other.ptr(), 0) });
    let pq = Index::factory(D, "PQ2x4", METRIC_L2);
    pq.train(xb);
    pq.add(xb);
    check(unsafe { faissx_Index_reset(other.ptr()) });
    other.add(&xb[..3 * D]);
    let sq = Index::factory(D, "IVF4,SQ8", METRIC_L2);
    sq.train(xb);
    train_encoder(&sq, xb, 0.5);
    sq.add(xb);
    let indexes = vec![ivf, map, flat, other, pq, sq];
    let names = indexes.iter().map(remote_name).collect();
    (indexes, names)
}

/// What a client can observe of an index: ntotal, nprobe (0 if not IVF), a search.
type Observed = (usize, usize, (Vec<f32>, Vec<idx_t>));

fn snapshot(indexes: &[Index], xq: &[f32]) -> Vec<Observed> {
    indexes
        .iter()
        .map(|index| {
            let nprobe = if unsafe { faissx_IndexIVF_cast(index.ptr()) }.is_null() {
                0
            } else {
                unsafe { faissx_IndexIVF_nprobe(index.ptr()) }
            };
            (index.ntotal(), nprobe, index.search(xq, 5))
        })
        .collect()
}

#[test]
fn restarts_restore_identical_results() {
    let _serial = exclusive();
    let dir = TempDir::new("restart");
    let mut rng = Rng::new(5);
    let (xb, xq) = (
        clustered(&mut rng, 600, D, 8),
        clustered(&mut rng, 10, D, 8),
    );
    let mut server = start(&dir, None);
    configure(Some(&server.endpoint), None, None);
    let (indexes, names) = build_state(&xb);
    let before = snapshot(&indexes, &xq);

    // Clean shutdown: exit 0, everything flushed. Restarts keep the port, so the handles
    // from before keep working (and free their indexes at the end).
    assert!(server.terminate().success(), "{}", server.stderr());
    let mut server = start(&dir, Some(server.port));
    let reopened: Vec<Index> = names.iter().map(|n| open(n).expect("restored")).collect();
    assert_eq!(
        snapshot(&reopened, &xq),
        before,
        "after SIGTERM and restart"
    );
    assert_eq!(
        snapshot(&indexes, &xq),
        before,
        "old handles after SIGTERM and restart"
    );

    // The same after kill -9, where only the log and snapshots on disk count.
    indexes[2].add(&xq);
    check(unsafe {
        faissx_Index_remove_ids(
            indexes[1].ptr(),
            Selector::batch(&[3, 10, 17]).0,
            std::ptr::null_mut(),
        )
    });
    unsafe { faissx_IndexIVF_set_nprobe(indexes[0].ptr(), 5) };
    // The stored codes now decode with another encoder.
    train_encoder(&indexes[5], &xb, 2.0);
    // Queries added to lists of the caller's choice, replayed from the log.
    let lists: Vec<idx_t> = (0..xq.len() / D).map(|i| (i % 4) as idx_t).collect();
    let ids: Vec<idx_t> = (0..xq.len() / D).map(|i| 5000 + i as idx_t).collect();
    check(unsafe {
        faissx::ffi::index_scalar_quantizer::faissx_IndexIVFScalarQuantizer_add_core(
            faissx_IndexIVF_cast(indexes[5].ptr()).cast(),
            lists.len() as idx_t,
            xq.as_ptr(),
            ids.as_ptr(),
            lists.as_ptr(),
        )
    });
    // Vectors replaced in place, replayed from the log.
    check(unsafe { faissx_IndexIVF_make_direct_map(indexes[0].ptr(), 1) });
    let mut ids: Vec<idx_t> = vec![4, 90, 91];
    check(unsafe {
        faissx::ffi::index_ivf_flat::faissx_IndexIVFFlat_update_vectors(
            indexes[0].ptr().cast(),
            3,
            ids.as_mut_ptr(),
            xq.as_ptr(),
        )
    });
    let before = snapshot(&indexes, &xq);
    server.kill9();
    let server = start(&dir, Some(server.port));
    let reopened: Vec<Index> = names.iter().map(|n| open(n).expect("restored")).collect();
    assert_eq!(
        snapshot(&reopened, &xq),
        before,
        "after kill -9 and restart"
    );
    drop((reopened, indexes, server));
    local_mode();
}

/// An IDMap borrows the index it wraps, as in FAISS: adds through the IDMap change the
/// wrapped index too, and a restart must not undo that.
#[test]
fn borrowed_sub_indexes_survive_restarts() {
    let _serial = exclusive();
    let dir = TempDir::new("borrowed");
    let mut server = start(&dir, None);
    configure(Some(&server.endpoint), None, None);
    let mut rng = Rng::new(8);
    let xb = rng.vectors(30, D);
    let flat = flat_l2(D);
    let mut p = std::ptr::null_mut();
    let map = Index::from_new(
        unsafe { faissx::ffi::meta_indexes::faissx_IndexIDMap_new(&mut p, flat.ptr()) },
        p,
    );
    map.add_with_ids(&xb, &(100..130).collect::<Vec<idx_t>>());
    let state = || {
        (
            flat.ntotal(),
            flat.search(&xb[..D], 3),
            map.search(&xb[..D], 3),
        )
    };
    let before = state();
    assert_eq!(before.0, 30);
    assert!(server.terminate().success());
    let server = start(&dir, Some(server.port));
    assert_eq!(state(), before);
    drop((map, flat, server));
    local_mode();
}

fn files_with(dir: &TempDir, extension: &str) -> Vec<std::path::PathBuf> {
    dir.files()
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == extension))
        .collect()
}

#[test]
fn corrupt_snapshots_stop_the_server_unless_skipped() {
    let _serial = exclusive();
    let dir = TempDir::new("corrupt");
    let mut server = start(&dir, None);
    configure(Some(&server.endpoint), None, None);
    let (good, bad) = (flat_l2(D), flat_l2(D));
    good.add(&vector(1));
    bad.add(&vector(2));
    let bad_name = remote_name(&bad);
    assert!(server.terminate().success());
    let files = files_with(&dir, "index");
    assert_eq!(files.len(), 2, "{files:?}");
    let hex: String = bad_name.bytes().map(|b| format!("{b:02x}")).collect();
    let corrupt = files
        .iter()
        .find(|f| f.to_string_lossy().contains(&hex))
        .expect("the bad index's file");
    let corrupt_name = corrupt.to_string_lossy().into_owned();
    let mut bytes = std::fs::read(corrupt).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(corrupt, &bytes).unwrap();

    let port = server.port.to_string();
    let args = ["--data-dir", dir.arg(), "--port", &port];
    let failed = Server::try_start(&args)
        .err()
        .expect("a corrupt file stops the server");
    assert!(!failed.status.success());
    assert!(failed.stderr.contains(&corrupt_name), "{}", failed.stderr);

    let server = Server::start(&[&args[..], &["--skip-corrupt"]].concat());
    let log = server.stderr();
    assert!(
        log.contains("SKIPPED") && log.contains(&corrupt_name),
        "{log}"
    );
    assert_eq!(open(&bad_name).err(), Some(FAISSX_ERR_NOT_FOUND));
    assert_eq!(good.ntotal(), 1, "the intact index is served");
    drop((good, bad, server));
    local_mode();
}

#[test]
fn torn_and_corrupt_logs() {
    let _serial = exclusive();
    let dir = TempDir::new("wal");
    let mut server = start(&dir, None);
    configure(Some(&server.endpoint), None, None);
    let index = flat_l2(D);
    for i in 0..3 {
        index.add(&vector(i));
    }
    server.kill9();
    let on_disk: Vec<_> = dir
        .files()
        .into_iter()
        .map(|f| (std::fs::read(&f).unwrap(), f))
        .collect();
    let restore = || {
        on_disk
            .iter()
            .for_each(|(bytes, f)| std::fs::write(f, bytes).unwrap())
    };
    let wal = files_with(&dir, "wal").pop().expect("a log");
    let wal_name = wal.to_string_lossy().into_owned();
    let intact = std::fs::read(&wal).unwrap();
    let port = server.port.to_string();
    let args = ["--data-dir", dir.arg(), "--port", &port];

    // A complete record with a wrong checksum is corruption, not a torn write.
    let mut corrupt = intact.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    std::fs::write(&wal, &corrupt).unwrap();
    match Server::try_start(&args) {
        Err(failed) => assert!(failed.stderr.contains(&wal_name), "{}", failed.stderr),
        Ok(server) => panic!("a corrupt log was accepted: {}", server.stderr()),
    }

    // A record cut short is a write that was never acknowledged: dropped, and said so.
    restore();
    let mut torn = intact.clone();
    torn.extend_from_slice(&intact[..intact.len() / 6]);
    std::fs::write(&wal, &torn).unwrap();
    let server = Server::start(&args);
    assert!(server.stderr().contains(&wal_name), "{}", server.stderr());
    assert_eq!(index.ntotal(), 3);
    let (distances, labels) = index.search(&vector(2), 1);
    assert_eq!((labels[0], distances[0]), (2, 0.0));
    drop((index, server));
    local_mode();
}

/// copy_subset_to is not logged (replaying it would need its source as it was then): the index
/// it wrote to is snapshotted before it is acknowledged. Indexes made by constructors without
/// arguments (an IVF without quantizer or lists) are restored too.
#[test]
fn copied_subsets_and_default_constructed_indexes_survive_kill_9() {
    let _serial = exclusive();
    let dir = TempDir::new("copy-subset");
    let mut server = start(&dir, None);
    configure(Some(&server.endpoint), None, None);
    let mut rng = Rng::new(11);
    let (xb, xq) = (clustered(&mut rng, 400, D, 8), clustered(&mut rng, 5, D, 8));
    let source = Index::factory(D, "IVF4,Flat", faissx::ffi::types::METRIC_L2);
    source.train(&xb);
    source.add(&xb);
    let mut p = std::ptr::null_mut();
    check(unsafe { faissx::ffi::clone_index::faissx_clone_index(source.ptr(), &mut p) });
    let target = Index::from_new(0, p);
    check(unsafe { faissx_Index_reset(target.ptr()) });
    check(unsafe {
        faissx_IndexIVF_copy_subset_to(source.ptr().cast(), target.ptr().cast(), 0, 50, 250)
    });
    unsafe { faissx_IndexIVF_set_nprobe(target.ptr().cast(), 4) };
    let mut p = std::ptr::null_mut();
    let shell = Index::from_new(
        unsafe { faissx::ffi::index_ivf_flat::faissx_IndexIVFFlat_new(&mut p) },
        p.cast(),
    );
    let state = || (target.ntotal(), target.search(&xq, 4), shell.to_bytes());
    let before = state();
    assert_eq!(before.0, 200);
    server.kill9();
    let server = start(&dir, Some(server.port));
    unsafe { faissx_IndexIVF_set_nprobe(target.ptr().cast(), 4) };
    assert_eq!(state(), before, "after kill -9 and restart");
    drop((source, target, shell, server));
    local_mode();
}
