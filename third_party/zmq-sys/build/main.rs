//! faissx's one change to zmq-sys 0.12.0: libzmq is built with CURVE, linked against the
//! system's libsodium (upstream builds it without: https://github.com/erickt/rust-zmq/issues/357).

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
    zeromq_src::Build::new()
        .with_libsodium(Some(zeromq_src::LibLocation::new(
            lib_dir,
            variable("includedir"),
        )))
        .build();
}
