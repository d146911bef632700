//! Helpers for the tests that run against a real `faissx-server` process: starting and stopping
//! it, temporary data directories, and switching the process-wide remote mode.
//!
//! Remote mode is one setting for the whole process, while the tests of one binary run on
//! parallel threads: every test that configures it holds [`exclusive`] for its whole body.
#![allow(dead_code)]

use crate::common::{check, cstr, last_error, Index};
use faissx::ffi::faissx::*;
use faissx::ffi::types::*;
use faissx::protocol::*;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::raw::c_int;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

pub const SERVER_BIN: &str = env!("CARGO_BIN_EXE_faissx-server");

/// Serializes the tests of a binary that touch the process-wide remote settings.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    // A failed test must not fail every later one.
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn unique(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("faissx-remote-{}-{tag}-{n}", std::process::id()))
}

/// A directory removed with everything in it on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let path = unique(tag);
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn arg(&self) -> &str {
        self.0.to_str().expect("temp paths are UTF-8")
    }

    /// Every file below the directory.
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.0, &mut out);
        out.sort();
        out
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `faissx-server` child process on a loopback port, killed on drop.
pub struct Server {
    child: Option<Child>,
    /// "tcp://127.0.0.1:PORT", as the server printed it.
    pub endpoint: String,
    pub port: u16,
    /// The server's stderr goes to a file, so that nothing blocks on a full pipe and the
    /// log can be read at any time.
    log: PathBuf,
}

/// A server that did not start: its exit status and what it wrote to stderr.
#[derive(Debug)]
pub struct Failed {
    pub status: ExitStatus,
    pub stderr: String,
}

impl Server {
    /// Starts a server with `args` (plus `--bind-address 127.0.0.1`, and `--port 0` unless
    /// `args` name a port) and waits until it listens.
    #[track_caller]
    pub fn start(args: &[&str]) -> Server {
        Server::try_start(args)
            .unwrap_or_else(|failed| panic!("faissx-server did not start: {failed:?}"))
    }

    pub fn try_start(args: &[&str]) -> Result<Server, Failed> {
        Server::try_start_with(args, |_| {})
    }

    /// Starts a server whose files may not grow past `bytes` (RLIMIT_FSIZE, `ulimit -f`).
    #[track_caller]
    pub fn start_with_file_size_limit(args: &[&str], bytes: u64) -> Server {
        Server::try_start_with(args, |command| {
            limit_resource(command, libc::RLIMIT_FSIZE, bytes)
        })
        .unwrap_or_else(|failed| panic!("faissx-server did not start: {failed:?}"))
    }

    /// Like [`Server::try_start`], with the command adjusted by `adjust` before it runs.
    pub fn try_start_with(
        args: &[&str],
        adjust: impl FnOnce(&mut Command),
    ) -> Result<Server, Failed> {
        let log = unique("server-log");
        let mut command = Command::new(SERVER_BIN);
        adjust(&mut command);
        command.args(["--bind-address", "127.0.0.1"]);
        if !args.contains(&"--port") {
            command.args(["--port", "0"]);
        }
        let mut child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).expect("server log file"))
            .spawn()
            .expect("spawn faissx-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read the server's stdout");
        let Some(endpoint) = line
            .trim()
            .strip_prefix("listening on ")
            .map(str::to_string)
        else {
            // No "listening" line: the server exited (or is about to) without serving.
            let status = child.wait().expect("wait for faissx-server");
            let stderr = std::fs::read_to_string(&log).unwrap_or_default();
            let _ = std::fs::remove_file(&log);
            return Err(Failed { status, stderr });
        };
        let port = endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("endpoint ends in a port");
        Ok(Server {
            child: Some(child),
            endpoint,
            port,
            log,
        })
    }

    /// The server process's id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server still running").id()
    }

    /// A line of /proc/<pid>/status in bytes, e.g. "VmRSS" (resident) or "VmHWM" (its peak).
    pub fn memory(&self, field: &str) -> u64 {
        self.status(field) * 1024
    }

    /// The server process's threads.
    pub fn threads(&self) -> u64 {
        self.status("Threads")
    }

    /// The number a line of /proc/<pid>/status starts with.
    fn status(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the server process is alive");
        let line = status
            .lines()
            .find(|l| l.starts_with(&format!("{field}:")))
            .unwrap_or_else(|| panic!("no {field} in /proc/<pid>/status"));
        line.split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no number in /proc/<pid>/status's {field}"))
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `kill -9`: no chance to flush anything.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL faissx-server");
            child.wait().expect("reap faissx-server");
        }
    }

    /// SIGTERM, then waits for the server to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("server still running");
        // SAFETY: plain kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        assert_eq!(rc, 0, "SIGTERM faissx-server");
        child.wait().expect("reap faissx-server")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Makes `command`'s process start with `resource` (RLIMIT_FSIZE, RLIMIT_AS, ...) limited to
/// `value`.
pub fn limit_resource(command: &mut Command, resource: libc::__rlimit_resource_t, value: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe; it runs in the child before exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: value,
                rlim_max: value,
            };
            if libc::setrlimit(resource, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Runs the server binary to completion (for startups that must fail).
pub fn run_server(args: &[&str]) -> Failed {
    let out = Command::new(SERVER_BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run faissx-server");
    Failed {
        status: out.status,
        stderr: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        ),
    }
}

/// A normal client, through libfaissx (with `key` = (API key, tenant) where auth is on), still
/// gets served: the check every "the server survived" test ends with.
#[track_caller]
pub fn still_serves(server: &Server, key: Option<(&str, &str)>) {
    let _serial = exclusive();
    configure(Some(&server.endpoint), key.map(|k| k.0), key.map(|k| k.1));
    let index = flat_l2(4);
    index.add(&[0.0, 0.0, 0.0, 1.0, 5.0, 5.0, 5.0, 5.0]);
    let (distances, labels) = index.search(&[5.0, 5.0, 5.0, 4.0], 2);
    assert_eq!(labels, [1, 0]);
    assert_eq!(distances, [1.0, 84.0]);
    drop(index);
    local_mode();
}

/// `faissx_configure(server, api_key, tenant)`; `None` for the server turns remote mode off.
pub fn configure_rc(server: Option<&str>, api_key: Option<&str>, tenant: Option<&str>) -> c_int {
    let owned = [server, api_key, tenant].map(|s| s.map(cstr));
    let [server, api_key, tenant] = owned
        .each_ref()
        .map(|s| s.as_ref().map_or(ptr::null(), |c| c.as_ptr()));
    unsafe { faissx_configure(server, api_key, tenant) }
}

#[track_caller]
pub fn configure(server: Option<&str>, api_key: Option<&str>, tenant: Option<&str>) {
    check(configure_rc(server, api_key, tenant));
}

#[track_caller]
pub fn local_mode() {
    configure(None, None, None);
}

#[track_caller]
pub fn set_option(name: &str, value: &str) {
    let (name, value) = (cstr(name), cstr(value));
    check(unsafe { faissx_set_option(name.as_ptr(), value.as_ptr()) });
}

pub fn ping() -> c_int {
    faissx_ping()
}

pub fn is_remote(index: *const FaissIndex) -> bool {
    let rc = unsafe { faissx_is_remote(index) };
    assert!(rc >= 0, "faissx_is_remote failed: {}", last_error());
    rc == 1
}

/// The server-side name of a remote index.
pub fn remote_name(index: &Index) -> String {
    let name = unsafe { faissx_remote_name(index.ptr()) };
    assert!(!name.is_null(), "not a remote index: {}", last_error());
    unsafe { std::ffi::CStr::from_ptr(name) }
        .to_str()
        .expect("UTF-8 name")
        .to_string()
}

/// `faissx_remote_open(name)`: the handle, or the error code.
pub fn open(name: &str) -> Result<Index, c_int> {
    let name = cstr(name);
    let mut p = ptr::null_mut();
    match unsafe { faissx_remote_open(name.as_ptr(), &mut p) } {
        0 => Ok(Index::from_new(0, p)),
        rc => Err(rc),
    }
}

/// A flat L2 index through faissx's ABI (local or remote, as configured).
#[track_caller]
pub fn flat_l2(d: usize) -> Index {
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx::ffi::index_flat::faissx_IndexFlatL2_new_with(&mut p, d as idx_t) };
    Index::from_new(rc, p)
}

/// `faissx_IndexFlatL2_new_with`'s return code and the handle it wrote, if any.
pub fn try_flat_l2(d: usize) -> (c_int, Option<Index>) {
    let mut p = ptr::null_mut();
    let rc = unsafe { faissx::ffi::index_flat::faissx_IndexFlatL2_new_with(&mut p, d as idx_t) };
    (rc, (rc == 0 && !p.is_null()).then(|| Index::from_new(0, p)))
}

/// A raw pointer that may cross threads: the C ABI's handles are usable from any thread.
#[derive(Clone, Copy)]
pub struct Shared(pub *mut FaissIndex);
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    /// A method, not `.0`: closures then capture the whole `Shared`, which may cross threads.
    pub fn get(&self) -> *mut FaissIndex {
        self.0
    }
}

/// A client that speaks the wire protocol directly over a DEALER socket, to send what
/// libfaissx never would.
pub struct Raw {
    _context: zmq::Context,
    pub socket: zmq::Socket,
    pub api_key: Option<String>,
    pub tenant: Option<String>,
    next_id: u64,
}

impl Raw {
    pub fn connect(endpoint: &str) -> Raw {
        let context = zmq::Context::new();
        let socket = context.socket(zmq::DEALER).expect("DEALER socket");
        socket.set_linger(0).unwrap();
        socket.set_rcvtimeo(10_000).unwrap();
        socket.set_sndtimeo(10_000).unwrap();
        socket.connect(endpoint).expect("connect");
        Raw {
            _context: context,
            socket,
            api_key: None,
            tenant: None,
            next_id: 1,
        }
    }

    pub fn with_key(mut self, api_key: &str) -> Raw {
        self.api_key = Some(api_key.into());
        self
    }

    /// Sends frames as they are.
    pub fn send(&self, frames: Vec<Vec<u8>>) {
        self.socket.send_multipart(frames, 0).expect("send");
    }

    /// The next reply, or None if none comes within `timeout_ms`.
    pub fn recv(&self, timeout_ms: i32) -> Option<(Reply, Vec<Vec<u8>>)> {
        self.socket.set_rcvtimeo(timeout_ms).unwrap();
        let frames = self.socket.recv_multipart(0).ok()?;
        let (head, payload) = frames.split_first().expect("a reply has a header");
        let reply: Reply = faissx::protocol::decode(head).expect("the server's replies decode");
        Some((reply, payload.to_vec()))
    }

    pub fn request(&mut self, op: Op) -> Request {
        self.next_id += 1;
        Request {
            version: PROTOCOL_VERSION,
            id: self.next_id,
            api_key: self.api_key.clone(),
            tenant: self.tenant.clone(),
            keepalive_ms: None,
            session: None,
            op,
        }
    }

    /// One request and its reply (matched by id).
    #[track_caller]
    pub fn call(
        &mut self,
        op: Op,
        payload: Vec<Vec<u8>>,
    ) -> (Result<Answer, WireError>, Vec<Vec<u8>>) {
        let request = self.request(op);
        let mut frames = vec![faissx::protocol::encode(&request)];
        frames.extend(payload);
        self.send(frames);
        let (reply, payload) = self.recv(10_000).expect("the server answers");
        assert_eq!(reply.id, request.id, "reply to another request");
        assert_eq!(reply.version, PROTOCOL_VERSION);
        (reply.result, payload)
    }

    #[track_caller]
    pub fn ok(&mut self, op: Op, payload: Vec<Vec<u8>>) -> (Answer, Vec<Vec<u8>>) {
        let (result, payload) = self.call(op, payload);
        (result.expect("request failed"), payload)
    }

    /// The error a request gets.
    #[track_caller]
    pub fn err(&mut self, op: Op, payload: Vec<Vec<u8>>) -> WireError {
        match self.call(op, payload).0 {
            Ok(answer) => panic!("expected an error, got {answer:?}"),
            Err(error) => error,
        }
    }

    pub fn list(&mut self) -> Vec<String> {
        match self.ok(Op::List, vec![]).0 {
            Answer::Names(names) => names,
            other => panic!("List answered {other:?}"),
        }
    }

    pub fn create_flat(&mut self, name: &str, d: u32) {
        let spec = IndexSpec::Flat {
            d,
            metric: METRIC_L2,
        };
        self.ok(
            Op::Create {
                index: name.into(),
                spec,
            },
            vec![],
        );
    }

    #[track_caller]
    pub fn add(&mut self, name: &str, vectors: &[f32], d: usize) {
        if let Err(error) = self.try_add(name, vectors, d) {
            panic!("request failed: {error:?}");
        }
    }

    /// An add of `vectors` (of dimension `d`) in one part, and what the server answered.
    #[track_caller]
    pub fn try_add(&mut self, name: &str, vectors: &[f32], d: usize) -> Result<Answer, WireError> {
        let op = Op::Add {
            index: name.into(),
            n: (vectors.len() / d) as u64,
            with_ids: false,
            part: 0,
            parts: 1,
        };
        self.call(op, vec![to_frame(vectors)]).0
    }
}

/// A server with metrics on a free port, and the address it reports.
pub fn metrics_server(args: &[&str]) -> (Server, SocketAddr) {
    let mut all = vec!["--metrics-address", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let server = Server::start(&all);
    // Logged before the server's "listening" line, which Server::start waited for.
    let log = server.stderr();
    let address = log
        .lines()
        .find_map(|line| line.split("metrics on http://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .and_then(|address| address.parse().ok())
        .unwrap_or_else(|| panic!("no metrics address in the log: {log}"));
    (server, address)
}

/// Sends `request` as it is and returns everything the server answered before closing.
pub fn exchange(address: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).expect("connect to the metrics port");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).expect("send");
    // Nothing more is coming: a server waiting for the rest of a request stops waiting.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    // A reset after a malformed request ends the answer as well as a close does.
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// GET `path`: the status code, the headers and the body.
pub fn get(address: SocketAddr, path: &str) -> (u16, String, String) {
    let answer = exchange(
        address,
        format!("GET {path} HTTP/1.0\r\nHost: test\r\n\r\n").as_bytes(),
    );
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, head.to_string(), body.to_string())
}

/// The value of the sample `series` (name and labels, exactly as exported).
pub fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{metrics}"))
        .parse()
        .expect("a number")
}

pub fn scrape(address: SocketAddr) -> String {
    let (status, head, body) = get(address, "/metrics");
    assert_eq!(status, 200, "{head}\n{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    body
}

/// Runs `test`, an ignored test of this same test binary, in a child process with `envs` set
/// (settings faissx reads once per process, from the environment), and asserts that it passed.
#[track_caller]
pub fn run_child_test(test: &str, envs: &[(&str, &str)]) {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command.args([test, "--exact", "--ignored", "--nocapture"]);
    for (name, value) in envs {
        command.env(name, value);
    }
    let out = command.output().expect("run the child test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{envs:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
