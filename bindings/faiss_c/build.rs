//! Links libfaiss_c.so to libfaissx.so dynamically (see Cargo.toml for the build order), and
//! lets it find libfaissx.so at run time in its own directory, where both are installed side by
//! side.
use std::path::PathBuf;

fn main() {
    // OUT_DIR is target/<profile>/build/faiss_c-<hash>/out. The faissx unit writes libfaissx.so
    // to target/<profile>/deps and copies it up to target/<profile> only when faissx itself was
    // asked for (not for `cargo build -p faiss_c`), so deps/ is the copy that always exists.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let profile_dir = out_dir
        .ancestors()
        .nth(3)
        .expect("OUT_DIR is target/<profile>/build/<pkg>/out");
    println!(
        "cargo:rustc-link-search=native={}",
        profile_dir.join("deps").display()
    );
    println!("cargo:rustc-link-lib=dylib=faissx");
    // $ORIGIN/deps serves target/<profile>/libfaiss_c.so when libfaissx.so was not copied up.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-rpath,$ORIGIN:$ORIGIN/deps");
    println!("cargo:rerun-if-changed=build.rs");
}
