//! Index lifetime against a real faissx-server: what a process creates belongs to its session
//! and is freed when the process ends (exit, crash, `kill -9`), unless it was shared by name or
//! persisted; operators and programs list and drop a tenant's indexes.
//!
//! The clients run in child processes (ignored tests of this binary, started with FAISSX_*
//! variables), so that they can die as processes do. Heartbeats every 100 ms and a 1 s session
//! timeout keep the waits short (and leave a loaded machine room for late heartbeats).

mod common;
mod remote;

use common::*;
use faissx::ffi::faissx::*;
use faissx::ffi::types::*;
use remote::*;
use std::os::raw::c_char;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const D: usize = 8;
const HEARTBEAT_MS: &str = "100";
const TIMEOUT_MS: &str = "1000";
/// How long an ended session's indexes may take to go: its timeout, the sweeper's interval
/// (a quarter of it) and slack for a loaded machine.
const GONE_WITHIN: Duration = Duration::from_millis(5_000);

fn session_server(extra: &[&str]) -> Server {
    let mut args = vec!["--session-timeout-ms", TIMEOUT_MS];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn vectors(n: usize, seed: u64) -> Vec<f32> {
    Rng::new(seed).vectors(n, D)
}

/// The names a child wrote, one per line, once it wrote them all.
fn wait_for_names(file: &Path, count: usize, child: &mut Child) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(file) {
            if text.ends_with("END\n") {
                let names: Vec<String> = text.lines().map(String::from).collect();
                assert_eq!(names.len(), count + 1, "{names:?}");
                return names[..count].to_vec();
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the client exited ({status}) before writing its names");
        }
        assert!(
            Instant::now() < deadline,
            "the client never wrote its names"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `test` (an ignored test of this binary) in a child process that uses `server`.
fn spawn_client(test: &str, server: &Server, out: &Path, key: Option<(&str, &str)>) -> Child {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args([test, "--exact", "--ignored", "--nocapture"])
        .env("FAISSX_SERVER", &server.endpoint)
        .env("FAISSX_HEARTBEAT_MS", HEARTBEAT_MS)
        .env("SESSIONS_TEST_OUT", out)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some((api_key, tenant)) = key {
        command
            .env("FAISSX_API_KEY", api_key)
            .env("FAISSX_TENANT_ID", tenant);
    }
    command.spawn().expect("start the client process")
}

fn out_file(dir: &TempDir) -> PathBuf {
    dir.path().join("names.txt")
}

/// `faissx_remote_list`, parsed.
fn remote_list() -> Vec<serde_json::Value> {
    let mut json: *mut c_char = std::ptr::null_mut();
    check(unsafe { faissx_remote_list(&mut json) });
    let text = unsafe { std::ffi::CStr::from_ptr(json) }
        .to_str()
        .expect("UTF-8")
        .to_string();
    unsafe { faissx_remote_list_free(json) };
    match serde_json::from_str(&text).expect("faissx_remote_list gives JSON") {
        serde_json::Value::Array(rows) => rows,
        other => panic!("not an array: {other}"),
    }
}

fn listed_names() -> Vec<String> {
    remote_list()
        .iter()
        .map(|row| row["name"].as_str().expect("a name").to_string())
        .collect()
}

/// Waits until `name` is no longer listed; how long that took.
#[track_caller]
fn wait_until_gone(name: &str) -> Duration {
    let start = Instant::now();
    while listed_names().iter().any(|n| n == name) {
        assert!(
            start.elapsed() < GONE_WITHIN,
            "{name} is still on the server {GONE_WITHIN:?} after its session ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    start.elapsed()
}

fn drop_rc(name: &str) -> i32 {
    let name = cstr(name);
    unsafe { faissx_remote_drop(name.as_ptr()) }
}

fn kill9(child: &mut Child) {
    child.kill().expect("SIGKILL the client");
    child.wait().expect("reap the client");
}

/// The client of the tests below: creates an owned index, one shared by name and one
/// persisted, writes their names, then lives until killed (at most a minute).
#[test]
#[ignore = "run by the tests above in a child process"]
fn child_creates_and_lives() {
    let out = std::env::var("SESSIONS_TEST_OUT").expect("SESSIONS_TEST_OUT");
    let owned = flat_l2(D);
    owned.add(&vectors(5, 1));
    let shared = flat_l2(D);
    shared.add(&vectors(7, 2));
    let persisted = flat_l2(D);
    persisted.add(&vectors(3, 3));
    check(unsafe { faissx_remote_persist(persisted.ptr()) });
    let names = [
        remote_name_untouched(&owned),
        remote_name(&shared),
        remote_name_untouched(&persisted),
    ];
    std::fs::write(&out, format!("{}\nEND\n", names.join("\n"))).unwrap();
    std::thread::sleep(Duration::from_secs(60));
    // Never freed: a process that dies frees nothing.
    std::mem::forget((owned, shared, persisted));
}

/// The client that exits normally without freeing what it created.
#[test]
#[ignore = "run by the tests above in a child process"]
fn child_creates_and_exits() {
    let out = std::env::var("SESSIONS_TEST_OUT").expect("SESSIONS_TEST_OUT");
    let first = flat_l2(D);
    first.add(&vectors(4, 4));
    let second = Index::factory(D, "IVF2,Flat", METRIC_L2);
    let names = [
        remote_name_untouched(&first),
        remote_name_untouched(&second),
    ];
    std::fs::write(&out, format!("{}\nEND\n", names.join("\n"))).unwrap();
    std::mem::forget((first, second));
}

/// The name of a remote index, without sharing it as faissx_remote_name does.
fn remote_name_untouched(index: &Index) -> String {
    unsafe { faissx::remote::index::as_remote(index.ptr()) }
        .expect("a remote index")
        .name
        .clone()
}

#[test]
fn kill_9_frees_owned_indexes_and_keeps_shared_ones() {
    let _serial = exclusive();
    let (server, metrics) = metrics_server(&["--session-timeout-ms", TIMEOUT_MS]);
    let dir = TempDir::new("sessions-kill");
    let mut child = spawn_client("child_creates_and_lives", &server, &out_file(&dir), None);
    let names = wait_for_names(&out_file(&dir), 3, &mut child);
    let (owned, shared, persisted) = (&names[0], &names[1], &names[2]);
    configure(Some(&server.endpoint), None, None);

    // A live client idle for several timeouts keeps everything: its heartbeats say it lives.
    std::thread::sleep(Duration::from_millis(2_500));
    let listed = remote_list();
    for name in [owned, shared, persisted] {
        assert!(
            listed.iter().any(|row| row["name"] == name.as_str()),
            "{name} was freed while its client lived: {listed:?}"
        );
    }
    let session_of = |name: &str| {
        listed
            .iter()
            .find(|row| row["name"] == name)
            .map(|row| row["session"].clone())
            .unwrap()
    };
    assert!(session_of(owned).is_string(), "{listed:?}");
    assert!(session_of(shared).is_null(), "{listed:?}");
    assert!(session_of(persisted).is_null(), "{listed:?}");

    kill9(&mut child);
    let took = wait_until_gone(owned);
    println!("owned index freed {took:?} after kill -9");
    let names = listed_names();
    assert!(names.contains(shared), "{names:?}");
    assert!(names.contains(persisted), "{names:?}");

    // The shared index still serves, opened by name in another process (this one).
    let opened = open(shared).expect("the shared index opens by name");
    assert_eq!(opened.ntotal(), 7);
    let query = vectors(7, 2);
    let (_, labels) = opened.search(&query[..D], 1);
    assert_eq!(labels, [0]);
    drop(opened);
    // Opening did not make this process its owner: freeing the handle left it there.
    assert!(listed_names().contains(shared));
    let log = server.stderr();
    assert!(
        log.contains("ended (no request for") && log.contains(owned.as_str()),
        "the server logs what it freed: {log}"
    );
    // Whoever looks for the freed index learns why it is gone.
    assert_eq!(open(owned).err(), Some(FAISSX_ERR_NOT_FOUND));
    expect_message(&[
        owned,
        "freed when its session ended: no request for 1000 ms",
    ]);
    let scraped = scrape(metrics);
    assert_eq!(
        sample(&scraped, "faissx_session_indexes_freed_total"),
        1.0,
        "{scraped}"
    );
    assert!(sample(&scraped, "faissx_sessions_ended_total") >= 1.0);
    local_mode();
}

/// A normal exit ends the session at once: the server frees its indexes without waiting for
/// the session's timeout (a minute here).
#[test]
fn a_normal_exit_without_freeing_frees() {
    let _serial = exclusive();
    let server = Server::start(&["--session-timeout-ms", "60000"]);
    let dir = TempDir::new("sessions-exit");
    let mut child = spawn_client("child_creates_and_exits", &server, &out_file(&dir), None);
    let names = wait_for_names(&out_file(&dir), 2, &mut child);
    assert!(child.wait().expect("the client exits").success());
    configure(Some(&server.endpoint), None, None);
    for name in &names {
        wait_until_gone(name);
    }
    assert!(listed_names().is_empty(), "{:?}", listed_names());
    let log = server.stderr();
    assert!(log.contains("ended (the client ended it)"), "{log}");
    local_mode();
}

#[test]
fn a_live_client_keeps_its_indexes_past_the_timeout() {
    let _serial = exclusive();
    let server = session_server(&[]);
    configure(Some(&server.endpoint), None, None);
    set_option("heartbeat_ms", HEARTBEAT_MS);
    let index = flat_l2(D);
    index.add(&vectors(10, 5));
    // Idle: no request of the program for three timeouts, only heartbeats.
    std::thread::sleep(Duration::from_millis(3_000));
    assert_eq!(index.search(&vectors(10, 5)[..D], 1).1, [0]);
    let listed = remote_list();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["own_session"], true, "{listed:?}");
    drop(index);
    assert!(listed_names().is_empty());
    set_option("heartbeat_ms", "5000");
    local_mode();
}

const KEY_ONE: &str = "sessions-key-one";
const KEY_TWO: &str = "sessions-key-two";

fn cli(server: &Server, key: &str, args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(SERVER_BIN);
    command
        .args(args)
        .args(["--server", &server.endpoint, "--api-key", key]);
    let out = command.output().expect("run faissx-server");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn list_and_drop_through_the_c_api_and_the_cli() {
    let _serial = exclusive();
    let server = session_server(&["--auth-keys", &format!("{KEY_ONE}:one,{KEY_TWO}:two")]);
    configure(Some(&server.endpoint), Some(KEY_ONE), Some("one"));
    let index = flat_l2(D);
    index.add(&vectors(3, 6));
    let name = remote_name(&index);
    let ivf = Index::factory(D, "IVF2,Flat", METRIC_L2);
    let listed = remote_list();
    assert_eq!(listed.len(), 2, "{listed:?}");
    let row = listed
        .iter()
        .find(|row| row["name"] == name.as_str())
        .expect("listed");
    assert_eq!(row["class"], "IndexFlatL2", "{row}");
    assert_eq!(row["d"], D, "{row}");
    assert_eq!(row["ntotal"], 3, "{row}");
    assert_eq!(row["bytes"], 3 * D * 4, "{row}");
    assert!(row["age_ms"].as_u64().unwrap() < 60_000, "{row}");
    assert!(row["session"].is_null(), "shared by its name: {row}");
    let ivf_row = listed
        .iter()
        .find(|row| row["name"] != name.as_str())
        .unwrap();
    assert_eq!(ivf_row["class"], "IndexIVFFlat", "{ivf_row}");
    assert_eq!(ivf_row["own_session"], true, "{ivf_row}");

    // The operator's view: a table with the same facts.
    let (ok, table, stderr) = cli(&server, KEY_ONE, &["list"]);
    assert!(ok, "{stderr}");
    let header = table.lines().next().unwrap_or_default();
    for column in ["NAME", "CLASS", "D", "NTOTAL", "SIZE", "AGE", "OWNER"] {
        assert!(header.contains(column), "{table}");
    }
    let line = table
        .lines()
        .find(|line| line.starts_with(&name))
        .unwrap_or_else(|| panic!("{name} not in {table}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[1..5], ["IndexFlatL2", "8", "3", "96"], "{line}");
    assert!(line.ends_with("shared"), "{line}");
    assert!(
        table.contains("session "),
        "the IVF is its session's: {table}"
    );

    // Another tenant's key sees nothing of it and cannot drop it.
    let (ok, other_table, stderr) = cli(&server, KEY_TWO, &["list"]);
    assert!(ok, "{stderr}");
    assert_eq!(other_table.lines().count(), 1, "{other_table}");
    let (ok, _, stderr) = cli(&server, KEY_TWO, &["drop", &name]);
    assert!(!ok);
    assert!(
        stderr.contains(&format!("no index named '{name}'")),
        "{stderr}"
    );
    configure(Some(&server.endpoint), Some(KEY_TWO), None);
    assert!(remote_list().is_empty());
    expect_err(drop_rc(&name), FAISSX_ERR_NOT_FOUND, &[&name]);
    configure(Some(&server.endpoint), Some(KEY_ONE), None);
    assert_eq!(listed_names().len(), 2);

    // Unknown names: not found, named.
    expect_err(
        drop_rc("no-such-index"),
        FAISSX_ERR_NOT_FOUND,
        &["faissx_remote_drop", "no index named 'no-such-index'"],
    );

    // Dropping through the C API and the CLI.
    let ivf_name = ivf_row["name"].as_str().unwrap().to_string();
    check(drop_rc(&ivf_name));
    let (ok, stdout, stderr) = cli(&server, KEY_ONE, &["drop", &name]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&format!("dropped {name}")), "{stdout}");
    assert!(listed_names().is_empty());
    let (ok, table, _) = cli(&server, KEY_ONE, &["list", "--json"]);
    assert!(ok);
    assert_eq!(table.trim(), "[]");
    // The handles now name a dropped index.
    assert_eq!(
        unsafe { faissx::ffi::index::faissx_Index_add(index.ptr(), 1, vectors(1, 7).as_ptr()) },
        FAISSX_ERR_NOT_FOUND
    );
    drop((index, ivf));

    // Without remote mode there is no server to ask; a local index has no session to leave.
    local_mode();
    let mut json: *mut c_char = std::ptr::null_mut();
    expect_err(
        unsafe { faissx_remote_list(&mut json) },
        FAISSX_ERR_UNSUPPORTED,
        &["remote mode is off"],
    );
    expect_err(
        drop_rc("x"),
        FAISSX_ERR_UNSUPPORTED,
        &["remote mode is off"],
    );
    let local = flat_l2(D);
    expect_err(
        unsafe { faissx_remote_persist(local.ptr()) },
        FAISSX_ERR_INVALID_ARGUMENT,
        &["faissx_remote_persist", "not a remote index"],
    );
}

/// With --data-dir: an index owned by a live client survives a server restart (the client's
/// heartbeats claim it again); once its client is dead it is freed (from memory and disk)
/// within the session timeout after the restart; a shared index survives restarts and its
/// creator's death.
#[test]
fn with_a_data_dir_owned_indexes_wait_for_their_session_and_shared_ones_stay() {
    let _serial = exclusive();
    let data = TempDir::new("sessions-data");
    let mut server = session_server(&["--data-dir", data.arg()]);
    let port = server.port.to_string();
    let restart = |server: &mut Server| {
        assert!(server.terminate().success());
        *server = session_server(&["--data-dir", data.arg(), "--port", &port]);
    };
    let dir = TempDir::new("sessions-data-out");
    let mut child = spawn_client("child_creates_and_lives", &server, &out_file(&dir), None);
    let names = wait_for_names(&out_file(&dir), 3, &mut child);
    let (owned, shared, persisted) = (&names[0], &names[1], &names[2]);

    // Restarted while the owner lives: everything is back, and stays past the timeout.
    restart(&mut server);
    configure(Some(&server.endpoint), None, None);
    std::thread::sleep(Duration::from_millis(2_500));
    let listed = listed_names();
    for name in [owned, shared, persisted] {
        assert!(
            listed.contains(name),
            "{name} lost in a restart: {listed:?}"
        );
    }
    let owner = remote_list()
        .into_iter()
        .find(|row| row["name"] == owned.as_str())
        .unwrap()["session"]
        .clone();
    assert!(owner.is_string(), "still its session's after the restart");

    // Restarted after the owner died while the server was down: restored, then freed once
    // the session's timeout passed without it.
    assert!(server.terminate().success());
    kill9(&mut child);
    server = session_server(&["--data-dir", data.arg(), "--port", &port]);
    wait_until_gone(owned);
    let listed = listed_names();
    assert!(
        listed.contains(shared) && listed.contains(persisted),
        "{listed:?}"
    );
    let hex: String = owned.bytes().map(|b| format!("{b:02x}")).collect();
    let left: Vec<PathBuf> = data
        .files()
        .into_iter()
        .filter(|f| f.to_string_lossy().contains(&hex))
        .collect();
    assert!(left.is_empty(), "files of the freed index: {left:?}");

    // And after one more restart: the shared indexes, with their vectors; not the freed one.
    restart(&mut server);
    configure(Some(&server.endpoint), None, None);
    let mut listed = listed_names();
    listed.sort();
    let mut expected = vec![shared.clone(), persisted.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    assert_eq!(open(shared).expect("opens").ntotal(), 7);
    assert_eq!(open(persisted).expect("opens").ntotal(), 3);
    local_mode();
}

/// Requests of raw protocol clients (no session) create indexes that belong to nobody, as
/// before sessions: they stay.
#[test]
fn requests_without_a_session_create_persistent_indexes() {
    let _serial = exclusive();
    let server = session_server(&[]);
    let mut raw = Raw::connect(&server.endpoint);
    raw.create_flat("raw", D as u32);
    std::thread::sleep(Duration::from_millis(1_200));
    assert_eq!(raw.list(), ["raw"]);
}
