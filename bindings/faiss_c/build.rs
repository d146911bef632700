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
    // Programs record libfaiss_c.so.0, as they record libfaissx.so.0 (the root build.rs, which
    // also makes the libfaissx.so.0 links this library's NEEDED entry finds in the build tree).
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libfaiss_c.so.0");
    symlink_soname(profile_dir);
    println!("cargo:rerun-if-changed=build.rs");
}

/// In the build tree, programs linked to target/<profile>/libfaiss_c.so look for its SONAME
/// next to it; dangling until rustc writes the library.
fn symlink_soname(profile_dir: &std::path::Path) {
    let link = profile_dir.join("libfaiss_c.so.0");
    if std::fs::read_link(&link).is_ok_and(|t| t == std::path::Path::new("libfaiss_c.so")) {
        return;
    }
    let _ = std::fs::remove_file(&link);
    if let Err(e) = std::os::unix::fs::symlink("libfaiss_c.so", &link) {
        println!("cargo:warning=cannot link {}: {e}", link.display());
    }
}
