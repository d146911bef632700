//! Client options from the environment (FAISSX_<OPTION>): read once per process, so each case
//! runs this test binary again as a child with the environment it sets, running only
//! [`environment_child`].

mod common;
mod remote;

use common::*;
use faissx::ffi::types::*;
use remote::*;

fn child(envs: &[(&str, &str)], expect: &str) {
    let mut envs = envs.to_vec();
    envs.push(("FAISSX_ENV_TEST_EXPECT", expect));
    run_child_test("environment_child", &envs);
}

#[test]
fn options_come_from_the_environment() {
    // A server that never answers: the request gives up after FAISSX_TIMEOUT_MS, and says so.
    let context = zmq::Context::new();
    let silent = context.socket(zmq::ROUTER).unwrap();
    silent.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = silent.get_last_endpoint().unwrap().unwrap();
    child(
        &[("FAISSX_SERVER", &endpoint), ("FAISSX_TIMEOUT_MS", "300")],
        "timeout",
    );

    let server = Server::start(&[]);
    child(
        &[
            ("FAISSX_SERVER", &server.endpoint),
            ("FAISSX_CACHE_VECTORS", "maybe"),
        ],
        "invalid",
    );
    child(
        &[
            ("FAISSX_SERVER", &server.endpoint),
            ("FAISSX_IO_THREADS", "0"),
        ],
        "invalid io_threads",
    );
    child(
        &[
            ("FAISSX_SERVER", &server.endpoint),
            ("FAISSX_CONNECT_TIMEOUT_MS", "2000"),
            ("FAISSX_SPIN_WAIT_US", "0"),
        ],
        "ok",
    );
    // Timeouts changed after a connection was made apply to it too (connections are pooled).
    let pid = server.pid().to_string();
    child(
        &[
            ("FAISSX_SERVER", &server.endpoint),
            ("FAISSX_ENV_TEST_SERVER_PID", &pid),
        ],
        "pooled",
    );
}

#[test]
#[ignore = "run by options_come_from_the_environment, with the environment it sets"]
fn environment_child() {
    let expect = std::env::var("FAISSX_ENV_TEST_EXPECT")
        .expect("only options_come_from_the_environment runs this");
    match expect.as_str() {
        "ok" => check(ping()),
        "timeout" => expect_err(ping(), FAISSX_ERR_TRANSPORT, &["within 300 ms"]),
        // Refused rather than run with an option the user did not get; setting the option
        // replaces the variable.
        "invalid" => {
            expect_err(
                ping(),
                FAISSX_ERR_INVALID_ARGUMENT,
                &["FAISSX_CACHE_VECTORS", "maybe", "cache_vectors"],
            );
            set_option("cache_vectors", "off");
            check(ping());
        }
        "invalid io_threads" => {
            expect_err(
                ping(),
                FAISSX_ERR_INVALID_ARGUMENT,
                &["FAISSX_IO_THREADS", "'0'", "between 1 and 64"],
            );
            set_option("io_threads", "2");
            check(ping());
        }
        "pooled" => {
            let pid: i32 = std::env::var("FAISSX_ENV_TEST_SERVER_PID")
                .unwrap()
                .parse()
                .unwrap();
            check(ping());
            set_option("timeout_ms", "250");
            // No retry on a fresh connection: the error is the pooled connection's.
            check(faissx::ffi::faissx::faissx_configure_recovery(0, 0.0, 1.0));
            // SAFETY: signals to the test's own server process.
            unsafe { libc::kill(pid, libc::SIGSTOP) };
            let rc = ping();
            unsafe { libc::kill(pid, libc::SIGCONT) };
            expect_err(rc, FAISSX_ERR_TRANSPORT, &["within 250 ms"]);
        }
        other => panic!("unknown expectation {other}"),
    }
}
