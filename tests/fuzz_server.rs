//! Fuzzing of the request decoder and the operation layer, with the server running inside the
//! test process (faissx::server::Server on a thread) and a DEALER socket sending it corpus
//! requests, generated requests, their mutations and garbage. A crash in FAISS or in the server
//! is a crash of this process: the test runs the fuzzer in a child process of itself, so that it
//! can report the signal and save the message that was being served.
//!
//! FAISSX_FUZZ_SECONDS (default 20), FAISSX_FUZZ_SEED (default fixed): how long, which messages.
//! FAISSX_FUZZ_REPLAY=file: send the messages of a reproducer instead (after the same setup);
//! with FAISSX_FUZZ_BURST=1, all at once before reading the replies, as the wire fuzzer does.
//! FAISSX_FUZZ_CHILD=1: run the fuzzer in this process, without the supervising parent (to run
//! it under a debugger). FAISSX_FUZZ_WRITE_CORPUS=1: regenerate tests/fuzz/corpus.
//! scripts/fuzz.sh runs this and tests/fuzz_wire.rs for longer.

mod common;
mod fuzz;
mod remote;

use faissx::protocol::*;
use faissx::server::{Config, Limits, Server};
use fuzz::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The known indexes are rebuilt this often: mutated requests reset, remove from and retrain
/// them, and what the fuzzers create under other names must not pile up.
const RESET_EVERY: u64 = 250;
/// A ping and the canary search this often.
const CHECK_EVERY: u64 = 100;
/// Address space of the fuzzing process: a request that makes FAISS allocate without bound
/// fails there (and is reported) instead of pushing a shared machine into swap.
const ADDRESS_SPACE: u64 = 8 << 30;

struct InProcess {
    endpoint: String,
    shutdown: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<(), faissx::server::ServerError>>>,
}

impl InProcess {
    fn start() -> InProcess {
        faissx::server::set_quiet(true);
        let config = Config {
            port: 0,
            bind_address: "127.0.0.1".into(),
            workers: 2,
            limits: Limits {
                max_message_bytes: MAX_FRAME,
                ..Default::default()
            },
            ..Default::default()
        };
        let server = Server::bind(config).expect("bind an in-process server");
        let endpoint = server.endpoint().to_string();
        let shutdown = Arc::new(AtomicBool::new(false));
        let flag = shutdown.clone();
        // faissx-server serves on its main thread: give this one a main thread's stack, so that
        // the decoder's recursion limits are tested as deployed.
        let thread = std::thread::Builder::new()
            .name("faissx-server".into())
            .stack_size(8 << 20)
            .spawn(move || server.run(&flag))
            .expect("spawn the server thread");
        InProcess {
            endpoint,
            shutdown,
            thread: Some(thread),
        }
    }

    fn stop(mut self) {
        self.shutdown.store(true, Ordering::SeqCst);
        let thread = self.thread.take().expect("running");
        thread
            .join()
            .expect("the server thread panicked")
            .expect("the server failed");
    }
}

/// Generated entries are named NNN-what.bin; other .bin files are hand-added seeds.
fn generated(name: &str) -> bool {
    name.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

#[test]
fn corpus_matches_its_generator() {
    let entries = corpus();
    let dir = corpus_dir();
    let manifest_path = dir.join("MANIFEST.txt");
    if std::env::var_os("FAISSX_FUZZ_WRITE_CORPUS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for name in corpus_files().keys().filter(|n| generated(n)) {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        for entry in &entries {
            let path = dir.join(format!("{}.bin", entry.name));
            std::fs::write(path, encode_messages([&entry.message])).unwrap();
        }
        std::fs::write(&manifest_path, manifest(&entries)).unwrap();
        println!("wrote {} corpus files to {}", entries.len(), dir.display());
    }
    let regenerate =
        "regenerate with FAISSX_FUZZ_WRITE_CORPUS=1 cargo test --release --test fuzz_server corpus";
    let on_disk: BTreeMap<String, Vec<u8>> = corpus_files()
        .into_iter()
        .filter(|(name, _)| generated(name))
        .collect();
    let expected: BTreeMap<String, Vec<u8>> = entries
        .iter()
        .map(|e| (format!("{}.bin", e.name), encode_messages([&e.message])))
        .collect();
    assert_eq!(
        on_disk.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the corpus files differ from corpus(): {regenerate}"
    );
    for (name, bytes) in &expected {
        assert!(
            &on_disk[name] == bytes,
            "{name} differs from corpus(): {regenerate}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&manifest_path).unwrap_or_default(),
        manifest(&entries),
        "MANIFEST.txt is stale: {regenerate}"
    );

    // What the corpus must cover, so that mutations start from every kind of request.
    let requests: Vec<&Request> = entries.iter().map(|e| &e.request).collect();
    let ops: BTreeSet<&str> = requests.iter().map(|r| op_name(&r.op)).collect();
    for op in OPS {
        assert!(ops.contains(op), "the corpus has no {op} request");
    }
    let specs: BTreeSet<&str> = requests
        .iter()
        .filter_map(|r| match &r.op {
            Op::Create { spec, .. } => Some(spec_name(spec)),
            _ => None,
        })
        .collect();
    for spec in SPECS {
        assert!(specs.contains(spec), "the corpus creates no {spec} index");
    }
    let descriptions: BTreeSet<&str> = requests
        .iter()
        .filter_map(|r| match &r.op {
            Op::Create {
                spec:
                    IndexSpec::Factory { description, .. }
                    | IndexSpec::BinaryFactory { description, .. },
                ..
            } => Some(description.as_str()),
            _ => None,
        })
        .collect();
    for description in [
        "IVF4,Flat",
        "HNSW8",
        "PQ4",
        "IDMap,Flat",
        "SQ8",
        "BFlat",
        "BIVF4",
    ] {
        assert!(
            descriptions.contains(description),
            "the corpus has no factory string {description}"
        );
    }
    let mut selectors = Vec::new();
    let mut params = BTreeSet::new();
    for request in &requests {
        let (selector, search_params) = match &request.op {
            Op::RemoveIds { selector, .. } => (Some(selector), None),
            Op::Search { params, .. } | Op::RangeSearch { params, .. } => (
                params.as_ref().and_then(|p| p.selector.as_ref()),
                params.as_ref(),
            ),
            _ => (None, None),
        };
        if let Some(selector) = selector {
            selector_names(selector, &mut selectors);
        }
        if let Some(p) = search_params {
            for (name, set) in [
                ("selector", p.selector.is_some()),
                ("nprobe", p.nprobe.is_some()),
                ("max_codes", p.max_codes.is_some()),
                ("ef_search", p.ef_search.is_some()),
                (
                    "check_relative_distance",
                    p.check_relative_distance.is_some(),
                ),
                ("bounded_queue", p.bounded_queue.is_some()),
            ] {
                if set {
                    params.insert(name);
                }
            }
        }
    }
    for kind in ["Range", "Batch", "Bitmap", "Not", "And", "Or", "Xor"] {
        assert!(
            selectors.contains(&kind),
            "the corpus has no {kind} selector"
        );
    }
    assert_eq!(params.len(), 6, "search parameters covered: {params:?}");
    assert!(requests
        .iter()
        .any(|r| matches!(r.op, Op::Add { with_ids: true, .. })));
    assert!(requests
        .iter()
        .any(|r| matches!(r.op, Op::Add { parts: 2.., .. })));
    assert!(requests
        .iter()
        .any(|r| matches!(r.op, Op::Load { binary: true, .. })));
}

/// The corpus is valid: sent in order after the fuzzers' setup, every request succeeds. (A
/// corpus of refused requests would only exercise the refusals.)
#[test]
fn corpus_requests_succeed_in_order() {
    let server = InProcess::start();
    let context = zmq::Context::new();
    let conn = Conn::open(&context, &server.endpoint);
    let mut id = 0;
    reset_world(&conn, &mut id).unwrap();
    for entry in corpus() {
        conn.send(&entry.message);
        let reply = conn
            .recv(HANG)
            .unwrap_or_else(|| panic!("{}: no reply", entry.name));
        match check_reply(&entry.message, &reply) {
            Ok(Ok(_)) => {}
            other => panic!("{}: {other:?}", entry.name),
        }
    }
    server.stop();
}

#[test]
fn in_process_server_survives_fuzzing() {
    if std::env::var_os("FAISSX_FUZZ_CHILD").is_some() {
        fuzz_in_this_process();
        return;
    }
    let seed = seed();
    let keep_going = std::env::var_os("FAISSX_FUZZ_KEEP_GOING").is_some();
    let deadline = Instant::now() + duration();
    let supervisor = std::process::id();
    let log_path = target_dir().join(format!("fuzz-server-{seed}-{supervisor}.log"));
    std::fs::File::create(&log_path).expect("create the fuzzing log");
    let mut skip = 0;
    let mut crashes: Vec<String> = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let run = supervise_one_run(seed, skip, left, &log_path);
        match run {
            Ok(()) => break,
            Err((report, Some(crash))) if keep_going && !deadline_passed(deadline) => {
                // Carry on after the message that crashed it, with the same stream of messages.
                println!("fuzz: {}; going on", crash.0);
                crashes.push(crash.0);
                skip = crash.1;
                drop(report);
            }
            Err((report, _)) => {
                for crash in &crashes {
                    println!("fuzz: earlier: {crash}");
                }
                panic!("{report}");
            }
        }
    }
    assert!(
        crashes.is_empty(),
        "the server crashed {} times:\n{}",
        crashes.len(),
        crashes.join("\n")
    );
    // Nothing to look at after a clean run.
    let (inflight, start) = InFlight::paths(seed, supervisor);
    for path in [log_path, inflight, start] {
        let _ = std::fs::remove_file(path);
    }
}

fn deadline_passed(deadline: Instant) -> bool {
    deadline.saturating_duration_since(Instant::now()) < Duration::from_secs(1)
}

/// Runs the fuzzer in a child process for `left`, skipping its first `skip` messages; on a
/// failure, the report and, if a signal killed it, a one-line description of the crash and the
/// number of the message that caused it.
fn supervise_one_run(
    seed: u64,
    skip: u64,
    left: Duration,
    log_path: &std::path::Path,
) -> Result<(), (String, Option<(String, u64)>)> {
    let log = std::fs::OpenOptions::new()
        .append(true)
        .open(log_path)
        .expect("open the fuzzing log");
    let mut reader = std::fs::File::open(log_path).unwrap();
    reader.seek(std::io::SeekFrom::End(0)).unwrap();
    let mut command = Command::new(std::env::current_exe().expect("this test binary"));
    command
        .args([
            "in_process_server_survives_fuzzing",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("FAISSX_FUZZ_CHILD", "1")
        .env("FAISSX_FUZZ_SEED", seed.to_string())
        .env("FAISSX_FUZZ_SECONDS", left.as_secs_f64().to_string())
        .env("FAISSX_FUZZ_SKIP", skip.to_string())
        .env("FAISSX_FUZZ_SUPERVISOR", std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    remote::limit_resource(&mut command, libc::RLIMIT_AS, ADDRESS_SPACE);
    let mut child = command.spawn().expect("start the fuzzing process");
    // Pass the child's own lines ("fuzz: ...") on as they come: long runs show progress.
    let mut output = String::new();
    let mut pending = String::new();
    let mut forward = |reader: &mut std::fs::File, output: &mut String| {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).unwrap();
        pending.push_str(&String::from_utf8_lossy(&bytes));
        while let Some(end) = pending.find('\n') {
            let line: String = pending.drain(..=end).collect();
            // libtest prints "test name ... " before the test's first line.
            if let Some(at) = line.find("fuzz:") {
                print!("{}", &line[at..]);
            }
            output.push_str(&line);
        }
    };
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        forward(&mut reader, &mut output);
        std::thread::sleep(Duration::from_millis(250));
    };
    forward(&mut reader, &mut output);
    if status.success() {
        return Ok(());
    }
    let lines: Vec<&str> = output.lines().collect();
    let tail = lines[lines.len().saturating_sub(60)..].join("\n");
    let mut report = format!(
        "the fuzzing process failed ({status}); its whole output is in {}\n--- its last lines ---\n{tail}\n",
        log_path.display()
    );
    let Some(signal) = status.signal() else {
        return Err((report, None));
    };
    // It died while the server served the last message of the in-flight file.
    let (inflight, start) = InFlight::paths(seed, std::process::id());
    let history = decode_messages(&std::fs::read(inflight).unwrap_or_default());
    let first: u64 = std::fs::read_to_string(start)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let Some((last, before)) = history.split_last() else {
        return Err((report, None));
    };
    let n = first + before.len() as u64;
    let path = save_reproducer("crash", seed, n, last, before);
    // FAISS's own words, when it aborted on an exception.
    let what = lines
        .iter()
        .rev()
        .find(|l| l.contains("what():"))
        .map_or(String::new(), |l| format!(" ({})", l.trim()));
    let crash = format!(
        "signal {signal} on message {n} ({}){what}: {}",
        path.display(),
        describe(last)
    );
    report.push_str(&format!("--- killed by {crash} ---\n"));
    Err((report, Some((crash, n))))
}

/// Why the run stops: saves the message and panics. `history` ends with `message`.
fn fail(seed: u64, n: u64, message: &Message, history: &[Message], why: &str) -> ! {
    let before = &history[..history.len().saturating_sub(1)];
    save_reproducer("crash", seed, n, message, before);
    panic!("fuzz: message {n}: {why}");
}

fn fuzz_in_this_process() {
    let seed = seed();
    let server = InProcess::start();
    let context = zmq::Context::new();
    let mut conn = Conn::open(&context, &server.endpoint);
    let mut id = 0;
    run_steps(&conn, &mut id, canary_setup()).expect("create the canary");
    if let Some(path) = std::env::var_os("FAISSX_FUZZ_REPLAY") {
        replay(&context, &server.endpoint, &conn, &mut id, path.as_ref());
        server.stop();
        return;
    }
    let duration = duration();
    println!(
        "fuzz: in-process server {}, seed {seed}, {:.0} s",
        server.endpoint,
        duration.as_secs_f64()
    );
    let mut gen = Gen::new(seed, corpus_messages());
    // After a crash, the supervisor carries on with the messages after the one that caused it.
    let skip: u64 = std::env::var("FAISSX_FUZZ_SKIP")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for _ in 0..skip {
        gen.message();
    }
    let supervisor = std::env::var("FAISSX_FUZZ_SUPERVISOR")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(std::process::id);
    let mut inflight = InFlight::create(seed, supervisor);
    let mut history: Vec<Message> = Vec::new();
    let mut stats = Stats {
        sent: skip,
        skipped: skip,
        ..Default::default()
    };
    let started = Instant::now();
    let mut progress = started;
    // Time spent rebuilding the known indexes, and generating and recording messages.
    let mut overhead = (Duration::ZERO, Duration::ZERO);
    while started.elapsed() < duration {
        let n = stats.sent + 1;
        if stats.sent.is_multiple_of(RESET_EVERY) || stats.sent == skip {
            let began = Instant::now();
            let reset = reset_world(&conn, &mut id);
            overhead.0 += began.elapsed();
            if let Err(why) = reset {
                let last = history.last().cloned().unwrap_or_default();
                fail(
                    seed,
                    n - 1,
                    &last,
                    &history,
                    &format!("resetting the indexes: {why}"),
                );
            }
            history.clear();
            inflight.restart(n);
        }
        let began = Instant::now();
        let message = gen.message();
        inflight.push(&message);
        overhead.1 += began.elapsed();
        history.push(message.clone());
        let sent_at = Instant::now();
        conn.send(&message);
        stats.sent += 1;
        if oversized(&message) {
            if !conn.dropped(HANG) {
                fail(
                    seed,
                    n,
                    &message,
                    &history,
                    "a frame over the size limit: the connection was not dropped",
                );
            }
            if conn.recv(Duration::ZERO).is_some() {
                fail(
                    seed,
                    n,
                    &message,
                    &history,
                    "a frame over the size limit was served",
                );
            }
            stats.dropped += 1;
            conn = Conn::open(&context, &server.endpoint);
            continue;
        }
        let Some(reply) = conn.recv(HANG) else {
            fail(
                seed,
                n,
                &message,
                &history,
                &format!("no reply within {HANG:?}"),
            );
        };
        let took = sent_at.elapsed();
        match check_reply(&message, &reply) {
            Err(why) => fail(seed, n, &message, &history, &why),
            Ok(result) => {
                stats.record(&message, took, &result);
                if let Err(error) = &result {
                    if error.kind == ErrorKind::Server {
                        let path = save_reproducer(
                            "server-error",
                            seed,
                            n,
                            &message,
                            &history[..history.len() - 1],
                        );
                        stats.server_errors.push((n, error.message.clone(), path));
                    }
                }
            }
        }
        if took > SLOW {
            println!("fuzz: message {n} took {took:?}: {}", describe(&message));
            let path = save_reproducer("slow", seed, n, &message, &history[..history.len() - 1]);
            stats.slow.push((n, took, path));
        }
        if n.is_multiple_of(CHECK_EVERY) {
            if let Err(why) = health_check(&conn, &mut id) {
                fail(
                    seed,
                    n,
                    &message,
                    &history,
                    &format!("after this message: {why}"),
                );
            }
        }
        if progress.elapsed() > Duration::from_secs(10) {
            progress = Instant::now();
            println!("{}", stats.summary(seed, started.elapsed()));
        }
    }
    health_check(&conn, &mut id).expect("the server still serves at the end");
    println!("{}", stats.summary(seed, started.elapsed()));
    println!(
        "{}; rebuilding the indexes {:.1?}, generating {:.1?}",
        stats.time_report(),
        overhead.0,
        overhead.1
    );
    for (n, took, path) in &stats.slow {
        println!("fuzz: slow: message {n} took {took:?}: {}", path.display());
    }
    server.stop();
    assert!(
        stats.server_errors.is_empty(),
        "the server failed (a caught panic) on: {:#?}",
        stats.server_errors
    );
}

/// Sends the messages of a reproducer file, after the same setup as a run, and prints what
/// each got.
fn replay(
    context: &zmq::Context,
    endpoint: &str,
    conn: &Conn,
    id: &mut u64,
    path: &std::path::Path,
) {
    let messages = decode_messages(&std::fs::read(path).expect("read the replay file"));
    assert!(!messages.is_empty(), "{} holds no message", path.display());
    reset_world(conn, id).expect("set up the indexes");
    if std::env::var_os("FAISSX_FUZZ_BURST").is_some() {
        // As the wire fuzzer sends a burst: all at once on one connection, then the replies.
        for message in &messages {
            conn.send(message);
        }
        for i in 0..messages.len() {
            let reply = conn.recv(HANG);
            let header = reply.map(|r| decode::<Reply>(&r[0]).map(|r| (r.id, r.result)));
            println!("fuzz:   reply {} of {}: {header:?}", i + 1, messages.len());
        }
        health_check(conn, id).expect("the server still serves");
        return;
    }
    for (i, message) in messages.iter().enumerate() {
        println!("fuzz: replay {}: {}", i + 1, describe(message));
        let started = Instant::now();
        if oversized(message) {
            let fresh = Conn::open(context, endpoint);
            fresh.send(message);
            println!(
                "fuzz:   over the size limit; dropped: {}",
                fresh.dropped(HANG)
            );
            continue;
        }
        conn.send(message);
        let reply = conn.recv(HANG).expect("a reply");
        println!(
            "fuzz:   {:?} in {:?}",
            check_reply(message, &reply),
            started.elapsed()
        );
    }
    health_check(conn, id).expect("the server still serves");
}
