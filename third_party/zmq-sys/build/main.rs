//! faissx's changes to zmq-sys 0.12.0: libzmq is built with CURVE, linked against the
//! system's libsodium (upstream builds it without: https://github.com/erickt/rust-zmq/issues/357),
//! and on Linux with eventfd signalling (see `signal_with_eventfd`).

fn main() {
    println!("cargo:rerun-if-changed=build/main.rs");
    println!("cargo:rerun-if-env-changed=PROFILE");
    let variable = |name: &str| {
        pkg_config::get_variable("libsodium", name).unwrap_or_else(|e| {
            panic!(
                "libsodium not found ({}): install libsodium-dev (scripts/setup.sh)",
                e
            )
        })
    };
    let lib_dir = variable("libdir");
    // zeromq-src prints this directory quoted ({:?}), which cargo does not understand.
    println!("cargo:rustc-link-search=native={}", lib_dir);
    signal_with_eventfd();
    zeromq_src::Build::new()
        .with_libsodium(Some(zeromq_src::LibLocation::new(
            lib_dir,
            variable("includedir"),
        )))
        .build();
}

/// zeromq-src leaves ZMQ_HAVE_EVENTFD undefined on Linux, so libzmq's signaler (the wake-up
/// behind every message handed between threads) falls back to a Unix socket pair: two system
/// calls through the socket layer per wake-up where an eventfd costs two light ones. zeromq-src
/// offers no way to add a define; cc reads its flags from the environment.
fn signal_with_eventfd() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let target = std::env::var("TARGET").expect("cargo sets TARGET");
    let variable = format!("CXXFLAGS_{}", target.replace('-', "_"));
    let mut flags = std::env::var(&variable).unwrap_or_default();
    flags.push_str(" -DZMQ_HAVE_EVENTFD -DZMQ_HAVE_EVENTFD_CLOEXEC");
    std::env::set_var(&variable, flags.trim_start());
}
