//! Fuzzing of the faissx-server binary over the wire: the generator of tests/fuzz_server.rs
//! (corpus requests, generated requests, their mutations, garbage) sent over several DEALER
//! connections at once, in bursts, by clients that leave without reading their replies, plus
//! raw TCP garbage at the port. The server must answer everything, keep serving a normal client,
//! and not grow its memory without bound.
//!
//! FAISSX_FUZZ_SECONDS (default 20), FAISSX_FUZZ_SEED, FAISSX_FUZZ_KEEP_GOING=1 (restart the
//! server after a crash and carry on; the test fails at the end with every crash): see
//! scripts/fuzz.sh. A reproducer this test saves replays in-process with FAISSX_FUZZ_REPLAY
//! (tests/fuzz_server.rs).

mod common;
mod fuzz;
mod remote;

use faissx::protocol::*;
use fuzz::*;
use remote::*;
use std::io::Write;
use std::time::{Duration, Instant};

const RESET_EVERY: u64 = 250;
const CHECK_EVERY: u64 = 100;
const CONNECTIONS: usize = 4;
/// Address space of the server process: a request that makes FAISS allocate without bound fails
/// there (and is reported) instead of pushing a shared machine into swap.
const ADDRESS_SPACE: u64 = 8 << 30;
/// A generous bound on the server's resident memory at the end: the known indexes hold a few
/// hundred KB, every fuzzed index is deleted at each rebuild, so growth past this is a leak.
const RSS_BOUND_KB: u64 = 1 << 20;
/// Mixed into the seed, so that the two fuzzers do not send the same messages for one seed.
const WIRE_STREAM: u64 = 0x7769_7265;

/// The server's state letter and, once it died, what killed it (the zombie's exit status:
/// the server is not reaped until it is dropped).
fn process_state(pid: u32) -> (char, String) {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return ('X', "gone".into());
    };
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first().and_then(|s| s.chars().next()).unwrap_or('?');
    // Field 52 of stat (50 after pid and comm): the waitpid status.
    let status: i32 = fields.get(49).and_then(|s| s.parse().ok()).unwrap_or(0);
    let how = if status & 0x7f != 0 {
        format!("signal {}", status & 0x7f)
    } else {
        format!("exit code {}", (status >> 8) & 0xff)
    };
    (state, how)
}

fn alive(pid: u32) -> bool {
    !matches!(process_state(pid).0, 'Z' | 'X')
}

/// The server under test, its process id, and connections to it.
struct Target {
    server: Server,
    pid: u32,
    control: Conn,
    conns: Vec<Conn>,
    id: u64,
}

impl Target {
    fn start(context: &zmq::Context) -> Target {
        let server = Server::try_start_with(
            &[
                "--workers",
                "2",
                "--max-message-mb",
                "1",
                "--log-level",
                "warn",
            ],
            |command| limit_resource(command, libc::RLIMIT_AS, ADDRESS_SPACE),
        )
        .unwrap_or_else(|failed| panic!("faissx-server did not start: {failed:?}"));
        let control = Conn::open(context, &server.endpoint);
        let conns = (0..CONNECTIONS)
            .map(|_| Conn::open(context, &server.endpoint))
            .collect();
        let mut target = Target {
            pid: server.pid(),
            server,
            control,
            conns,
            id: 0,
        };
        run_steps(&target.control, &mut target.id, canary_setup()).expect("create the canary");
        target
    }

    /// A reply on `conn` within [`HANG`], or why none came (the server died, or hangs).
    fn reply(&self, conn: &Conn) -> Result<(Message, Duration), String> {
        let started = Instant::now();
        while started.elapsed() < HANG {
            if let Some(reply) = conn.recv(Duration::from_millis(250)) {
                return Ok((reply, started.elapsed()));
            }
            if !alive(self.pid) {
                return Err(format!("the server died ({})", process_state(self.pid).1));
            }
        }
        Err(format!("no reply within {HANG:?}"))
    }

    /// What the server last wrote to stderr (FAISS's words when it aborts), without FAISS's
    /// warnings about small training sets, which every rebuild of the known indexes prints.
    fn stderr_tail(&self) -> String {
        let text = self.server.stderr();
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("WARNING clustering"))
            .collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// One client that connects, sends, and leaves without reading.
fn vanish(context: &zmq::Context, endpoint: &str, message: &Message) {
    let conn = Conn::open(context, endpoint);
    conn.send(message);
}

fn raw_tcp(port: u16, bytes: &[u8]) {
    if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
        let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
        let _ = stream.write_all(bytes);
    }
}

/// The next message that fits in a frame: bursts share a connection, which a frame over the
/// limit would drop with the other replies.
fn message_under_limit(gen: &mut Gen) -> Message {
    loop {
        let message = gen.message();
        if !oversized(&message) {
            return message;
        }
    }
}

#[test]
fn server_process_survives_wire_fuzzing() {
    let seed = seed();
    let keep_going = std::env::var_os("FAISSX_FUZZ_KEEP_GOING").is_some();
    let duration = duration();
    let context = zmq::Context::new();
    let mut target = Target::start(&context);
    println!(
        "fuzz: faissx-server pid {} at {}, seed {seed}, {:.0} s",
        target.pid,
        target.server.endpoint,
        duration.as_secs_f64()
    );
    let mut gen = Gen::new(seed ^ WIRE_STREAM, corpus_messages());
    let mut stats = Stats::default();
    let mut history: Vec<Message> = Vec::new();
    let mut crashes: Vec<String> = Vec::new();
    let mut since_reset = RESET_EVERY;
    let mut rss_before = None;
    let mut next_check = CHECK_EVERY;
    let started = Instant::now();
    let mut progress = started;
    while started.elapsed() < duration {
        if since_reset >= RESET_EVERY {
            reset_world(&target.control, &mut target.id).expect("rebuild the known indexes");
            rss_before.get_or_insert_with(|| target.server.memory("VmRSS") >> 10);
            since_reset = 0;
            history.clear();
        }
        // What to send this time, and to whom.
        let (batch, conn) = match gen.below(40) {
            0 => {
                let bytes = gen.tcp_garbage();
                raw_tcp(target.server.port, &bytes);
                stats.unanswered += 1;
                continue;
            }
            1 => {
                let message = message_under_limit(&mut gen);
                vanish(&context, &target.server.endpoint, &message);
                stats.unanswered += 1;
                continue;
            }
            2..=9 => {
                let count = gen.below(7) + 2;
                let batch: Vec<Message> =
                    (0..count).map(|_| message_under_limit(&mut gen)).collect();
                (batch, gen.below(CONNECTIONS))
            }
            _ => (vec![gen.message()], gen.below(CONNECTIONS)),
        };
        let first = stats.sent + 1;
        stats.sent += batch.len() as u64;
        since_reset += batch.len() as u64;
        history.extend(batch.iter().cloned());
        let failure = if oversized(&batch[0]) {
            // Alone, on a connection of its own: the server drops it without a reply.
            let fresh = Conn::open(&context, &target.server.endpoint);
            fresh.send(&batch[0]);
            stats.dropped += 1;
            if fresh.dropped(HANG) {
                None
            } else if !alive(target.pid) {
                Some(format!("the server died ({})", process_state(target.pid).1))
            } else {
                Some("a frame over the size limit: the connection was not dropped".into())
            }
        } else {
            send_and_check(&target, conn, &batch, first, seed, &history, &mut stats)
        };
        if let Some(why) = failure {
            let message = batch.last().expect("a batch has messages");
            let n = stats.sent;
            let path = save_reproducer("crash", seed, n, message, &history[..history.len() - 1]);
            let report = format!(
                "messages {first}..={n} ({} in a burst on one connection; the last saved to {}): \
                 {why}\n--- the server's last words ---\n{}",
                batch.len(),
                path.display(),
                target.stderr_tail()
            );
            if keep_going && !alive(target.pid) {
                println!("fuzz: {report}\nfuzz: restarting the server and going on");
                crashes.push(report);
                target = Target::start(&context);
                since_reset = RESET_EVERY;
                continue;
            }
            for crash in &crashes {
                println!("fuzz: earlier: {crash}");
            }
            panic!("{report}");
        }
        if stats.sent >= next_check {
            next_check = stats.sent + CHECK_EVERY;
            if let Err(why) = health_check(&target.control, &mut target.id) {
                let message = history.last().cloned().unwrap_or_default();
                let path = save_reproducer("crash", seed, stats.sent, &message, &history);
                panic!(
                    "after message {}: {why} (the messages since the last rebuild: {})",
                    stats.sent,
                    path.display()
                );
            }
        }
        if progress.elapsed() > Duration::from_secs(10) {
            progress = Instant::now();
            println!("{}", stats.summary(seed, started.elapsed()));
        }
    }
    health_check(&target.control, &mut target.id).expect("the server still serves at the end");
    still_serves(&target.server, None);
    assert!(alive(target.pid), "the server process is gone");
    // Measured after the same rebuild as at the start, so that both hold the same indexes.
    reset_world(&target.control, &mut target.id).expect("rebuild the known indexes");
    let rss_after = target.server.memory("VmRSS") >> 10;
    println!("{}", stats.summary(seed, started.elapsed()));
    println!("{}", stats.time_report());
    println!(
        "fuzz: server memory (VmRSS) {} KiB after the first rebuild, {rss_after} KiB at the end",
        rss_before.unwrap_or(0)
    );
    for (n, took, path) in &stats.slow {
        println!("fuzz: slow: message {n} took {took:?}: {}", path.display());
    }
    assert!(
        rss_after < RSS_BOUND_KB,
        "the server grew to {rss_after} KiB (from {} KiB)",
        rss_before.unwrap_or(0)
    );
    assert!(
        stats.server_errors.is_empty(),
        "the server failed (a caught panic) on: {:#?}",
        stats.server_errors
    );
    assert!(
        crashes.is_empty(),
        "the server crashed {} times:\n{}",
        crashes.len(),
        crashes.join("\n")
    );
}

/// Sends `batch` back to back on one connection, then reads as many replies and checks that
/// each answers a different request (replies to a burst come in any order, as workers run in
/// parallel, and fuzzed requests may share ids).
fn send_and_check(
    target: &Target,
    conn: usize,
    batch: &[Message],
    first: u64,
    seed: u64,
    history: &[Message],
    stats: &mut Stats,
) -> Option<String> {
    let conn = &target.conns[conn];
    for message in batch {
        conn.send(message);
    }
    let mut replies = Vec::new();
    for _ in batch {
        match target.reply(conn) {
            Ok(reply) => replies.push(reply),
            Err(why) => return Some(why),
        }
    }
    let Some(matched) = match_replies(batch, &replies) else {
        let ids: Vec<u64> = replies
            .iter()
            .map(|(r, _)| decode::<Reply>(&r[0]).map_or(u64::MAX, |r| r.id))
            .collect();
        let expected: Vec<u64> = batch.iter().map(expected_id).collect();
        return Some(format!(
            "replies with ids {ids:?} do not answer requests with ids {expected:?} one to one"
        ));
    };
    for ((reply, took), i) in replies.iter().zip(matched) {
        let sent = &batch[i];
        let n = first + i as u64;
        let result = check_reply(sent, reply).expect("matched");
        stats.record(sent, *took, &result);
        if let Err(error) = &result {
            if error.kind == ErrorKind::Server {
                let path = save_reproducer("server-error", seed, n, sent, history);
                stats.server_errors.push((n, error.message.clone(), path));
            }
        }
        if *took > SLOW && batch.len() == 1 {
            println!("fuzz: message {n} took {took:?}: {}", describe(sent));
            let path = save_reproducer("slow", seed, n, sent, &history[..history.len() - 1]);
            stats.slow.push((n, *took, path));
        }
    }
    None
}

/// For each reply, the index of the request it answers, every request answered once; None if
/// no such assignment exists. A burst is at most 8 long: plain backtracking.
fn match_replies(batch: &[Message], replies: &[(Message, Duration)]) -> Option<Vec<usize>> {
    fn assign(
        answers: &[Vec<usize>],
        at: usize,
        used: &mut Vec<bool>,
        out: &mut Vec<usize>,
    ) -> bool {
        if at == answers.len() {
            return true;
        }
        for &i in &answers[at] {
            if !used[i] {
                used[i] = true;
                out.push(i);
                if assign(answers, at + 1, used, out) {
                    return true;
                }
                out.pop();
                used[i] = false;
            }
        }
        false
    }
    let answers: Vec<Vec<usize>> = replies
        .iter()
        .map(|(reply, _)| {
            (0..batch.len())
                .filter(|&i| check_reply(&batch[i], reply).is_ok())
                .collect()
        })
        .collect();
    let mut out = Vec::new();
    assign(&answers, 0, &mut vec![false; batch.len()], &mut out).then_some(out)
}
