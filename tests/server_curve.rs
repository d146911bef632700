//! Encrypted connections (ZeroMQ CURVE) against a real faissx-server: with
//! `--curve-secret-key-file`, only clients given the server's public key (the
//! `server_public_key` option or FAISSX_SERVER_PUBLIC_KEY) reach it, and they get the same
//! results as over a plain connection.

mod common;
mod remote;

use common::*;
use faissx::ffi::faissx::faissx_configure_recovery;
use faissx::ffi::types::*;
use faissx::protocol::*;
use remote::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const D: usize = 8;

/// A fresh key pair in `dir`: (secret key file, public key text).
fn key_pair(dir: &TempDir, name: &str) -> (PathBuf, String) {
    let (secret, public) = faissx::curve::write_key_files(&dir.path().join(name)).expect("keys");
    let public = std::fs::read_to_string(public).expect("public key file");
    (secret, public.trim().to_string())
}

fn curve_server(secret: &Path) -> Server {
    Server::start(&["--curve-secret-key-file", secret.to_str().unwrap()])
}

/// No retries and a short reply timeout, so that calls that must fail fail quickly; undone by
/// [`Defaults`]'s drop, also when a test fails.
fn fail_fast() -> Defaults {
    set_option("timeout_ms", "5000");
    check(faissx_configure_recovery(0, 0.0, 1.0));
    Defaults
}

/// Runs a call that must fail to connect with a short connect timeout: a CURVE handshake that
/// cannot complete shows as no connection within it. A socket keeps the timeout it was made
/// with, so the connections that must succeed are made with the default one.
fn refused<T>(call: impl FnOnce() -> T) -> T {
    set_option("connect_timeout_ms", "300");
    let result = call();
    set_option("connect_timeout_ms", "5000");
    result
}

struct Defaults;

impl Drop for Defaults {
    fn drop(&mut self) {
        set_option("server_public_key", "");
        set_option("connect_timeout_ms", "5000");
        set_option("timeout_ms", "30000");
        check(faissx_configure_recovery(3, 0.1, 2.0));
        local_mode();
    }
}

/// Adds the same vectors to a new index, wherever remote mode points now, and searches it.
fn add_and_search() -> (Vec<f32>, Vec<idx_t>) {
    let mut rng = Rng::new(7);
    let index = flat_l2(D);
    index.add(&rng.vectors(200, D));
    index.add(&rng.vectors(50, D));
    assert_eq!(index.ntotal(), 250);
    index.search(&rng.vectors(5, D), 10)
}

#[test]
fn encrypted_results_equal_plain_and_local_ones() {
    let _serial = exclusive();
    let _defaults = fail_fast();
    let dir = TempDir::new("curve-same");
    let (secret, public) = key_pair(&dir, "server");
    let encrypted = curve_server(&secret);
    let plain = Server::start(&[]);

    local_mode();
    let local = add_and_search();

    set_option("server_public_key", &public);
    configure(Some(&encrypted.endpoint), None, None);
    check(ping());
    let over_curve = add_and_search();

    set_option("server_public_key", "");
    configure(Some(&plain.endpoint), None, None);
    let over_plain = add_and_search();

    assert_eq!(over_curve, over_plain);
    assert_eq!(over_curve.1, local.1);
    // Equal to float32 rounding, as remote results are to local ones (README).
    for (remote, local) in over_curve.0.iter().zip(&local.0) {
        assert!(close(*remote, *local), "{remote} vs {local}");
    }
    assert!(
        encrypted
            .stderr()
            .contains(&format!("CURVE on, public key {public}")),
        "the server names its public key: {}",
        encrypted.stderr()
    );
}

#[test]
fn clients_without_the_right_key_get_transport_errors() {
    let _serial = exclusive();
    let _defaults = fail_fast();
    let dir = TempDir::new("curve-refused");
    let (secret, public) = key_pair(&dir, "server");
    let (_, other_public) = key_pair(&dir, "other");
    let server = curve_server(&secret);

    set_option("server_public_key", &public);
    configure(Some(&server.endpoint), None, None);
    let index = flat_l2(D);
    index.add(&Rng::new(3).vectors(20, D));
    let name = remote_name(&index);

    // No key: the handshake never completes, so the call times out as with no server, and the
    // message points at the key.
    set_option("server_public_key", "");
    configure(Some(&server.endpoint), None, None);
    expect_err(
        refused(ping),
        FAISSX_ERR_TRANSPORT,
        &[&server.endpoint, "server_public_key"],
    );
    assert!(matches!(refused(|| open(&name)), Err(FAISSX_ERR_TRANSPORT)));

    // Another server's public key: the server cannot be authenticated.
    set_option("server_public_key", &other_public);
    configure(Some(&server.endpoint), None, None);
    expect_err(
        refused(ping),
        FAISSX_ERR_TRANSPORT,
        &[&server.endpoint, "server_public_key"],
    );
    assert!(matches!(refused(|| open(&name)), Err(FAISSX_ERR_TRANSPORT)));

    // A client that speaks the protocol without CURVE is never answered.
    let mut raw = Raw::connect(&server.endpoint);
    let request = raw.request(Op::Ping);
    raw.send(vec![encode(&request)]);
    assert!(raw.recv(1000).is_none(), "a plain DEALER got a reply");

    // The server still serves the client with the right key, on the index made before.
    set_option("server_public_key", &public);
    configure(Some(&server.endpoint), None, None);
    check(ping());
    let reopened = open(&name).expect("the right key opens the index");
    assert_eq!(reopened.ntotal(), 20);
    let (_, labels) = index.search(&Rng::new(3).vectors(1, D), 1);
    assert_eq!(labels, [0]);
}

#[test]
fn set_option_changes_the_key_of_a_configured_client() {
    let _serial = exclusive();
    let _defaults = fail_fast();
    let dir = TempDir::new("curve-switch");
    let (secret, public) = key_pair(&dir, "server");
    let server = curve_server(&secret);

    // The option applies to a client configured before it was set.
    configure(Some(&server.endpoint), None, None);
    assert_eq!(refused(ping), FAISSX_ERR_TRANSPORT, "{}", last_error());
    set_option("server_public_key", &public);
    check(ping());
    // The connection made with the key is pooled: once the key is off, no call may reuse it.
    set_option("server_public_key", "");
    assert_eq!(refused(ping), FAISSX_ERR_TRANSPORT, "{}", last_error());
}

#[test]
fn malformed_public_keys_are_refused_by_name() {
    let _serial = exclusive();
    let _defaults = Defaults;
    let valid = faissx::curve::encode(&zmq::CurveKeyPair::new().unwrap().public_key);
    let (option, value) = (cstr("server_public_key"), cstr(&valid[..39]));
    let rc = unsafe { faissx::ffi::faissx::faissx_set_option(option.as_ptr(), value.as_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["server_public_key", "40", "39"],
    );
    let bad = cstr(&format!("{}~", &valid[..39]));
    let rc = unsafe { faissx::ffi::faissx::faissx_set_option(option.as_ptr(), bad.as_ptr()) };
    expect_err(
        rc,
        FAISSX_ERR_INVALID_ARGUMENT,
        &["server_public_key", "Z85"],
    );
    // Surrounding whitespace, as in a file read with its newline, is fine.
    set_option("server_public_key", &format!(" {valid}\n"));
}

#[test]
fn keygen_writes_a_usable_pair_and_never_overwrites_it() {
    let _serial = exclusive();
    let _defaults = fail_fast();
    let dir = TempDir::new("curve-keygen");
    let prefix = dir.path().join("faissx");
    let out = Command::new(SERVER_BIN)
        .args(["keygen", "--out", prefix.to_str().unwrap()])
        .output()
        .expect("run keygen");
    assert!(out.status.success(), "{out:?}");
    let (secret, public) = (dir.path().join("faissx.key"), dir.path().join("faissx.pub"));
    let mode = std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the secret key is its owner's only");
    let public_text = std::fs::read_to_string(&public).unwrap();
    let public_key = faissx::curve::decode(&public_text).expect("a Z85 public key");
    let secret_before = std::fs::read(&secret).unwrap();

    let again = run_server(&["keygen", "--out", prefix.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read(&secret).unwrap(), secret_before);

    let server = curve_server(&secret);
    set_option("server_public_key", &public_text);
    configure(Some(&server.endpoint), None, None);
    check(ping());
    assert!(server
        .stderr()
        .contains(&faissx::curve::encode(&public_key)));
}

#[test]
fn unsafe_or_malformed_secret_key_files_stop_the_server() {
    let dir = TempDir::new("curve-files");
    let (secret, _) = key_pair(&dir, "server");
    let arg = secret.to_str().unwrap();

    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let open_to_all = run_server(&["--port", "0", "--curve-secret-key-file", arg]);
    assert!(!open_to_all.status.success());
    for fragment in [arg, "0644", "too open", "chmod 600"] {
        assert!(
            open_to_all.stderr.contains(fragment),
            "{fragment}: {}",
            open_to_all.stderr
        );
    }

    let malformed = dir.path().join("malformed.key");
    std::fs::write(&malformed, "not a key\n").unwrap();
    std::fs::set_permissions(&malformed, std::fs::Permissions::from_mode(0o600)).unwrap();
    let failed = run_server(&[
        "--port",
        "0",
        "--curve-secret-key-file",
        malformed.to_str().unwrap(),
    ]);
    assert!(!failed.status.success());
    assert!(
        failed.stderr.contains(malformed.to_str().unwrap())
            && failed.stderr.contains("not a CURVE secret key"),
        "{}",
        failed.stderr
    );

    let missing = dir.path().join("missing.key");
    let failed = run_server(&[
        "--port",
        "0",
        "--curve-secret-key-file",
        missing.to_str().unwrap(),
    ]);
    assert!(!failed.status.success());
    assert!(
        failed.stderr.contains(missing.to_str().unwrap()),
        "{}",
        failed.stderr
    );
}

/// FAISSX_SERVER_PUBLIC_KEY is read once per process, so it is tested in a child process: this
/// test binary again, running only [`environment_child`].
#[test]
fn server_public_key_from_the_environment() {
    let dir = TempDir::new("curve-env");
    let (secret, public) = key_pair(&dir, "server");
    let server = curve_server(&secret);
    for (key, expect) in [(public.as_str(), "ok"), ("not-a-key", "invalid")] {
        run_child_test(
            "environment_child",
            &[
                ("FAISSX_SERVER", &server.endpoint),
                ("FAISSX_SERVER_PUBLIC_KEY", key),
                ("FAISSX_CURVE_TEST_EXPECT", expect),
            ],
        );
    }
}

#[test]
#[ignore = "run by server_public_key_from_the_environment, with the environment it sets"]
fn environment_child() {
    let expect = std::env::var("FAISSX_CURVE_TEST_EXPECT")
        .expect("only server_public_key_from_the_environment runs this");
    match expect.as_str() {
        "ok" => check(ping()),
        // Refused rather than sent unencrypted.
        "invalid" => expect_err(
            ping(),
            FAISSX_ERR_INVALID_ARGUMENT,
            &["FAISSX_SERVER_PUBLIC_KEY", "40"],
        ),
        other => panic!("unknown expectation {other}"),
    }
}
