//! Two jobs:
//! - generate include/faissx_c.h from the Rust sources. The header is committed: CI regenerates
//!   it and fails when it differs, so the C contract only changes on purpose;
//! - compile src/local/shim.cpp, the C++ entry points FAISS's C API lacks, against the headers
//!   of the very FAISS that `faiss-sys` just built.
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    generate_header(&root);
    compile_shim(&root);
    compile_server_allocator(&root);
}

/// faissx-server's operator new/delete (src/server/alloc.cpp), linked into the package's
/// binaries only, as an object file so that the linker takes it whether or not anything
/// references it: replacing the allocator is the program's choice, never libfaissx's.
fn compile_server_allocator(root: &Path) {
    println!("cargo:rerun-if-changed=src/server/alloc.cpp");
    let objects = cc::Build::new()
        .cpp(true)
        .std("c++17")
        .file(root.join("src/server/alloc.cpp"))
        .warnings(false)
        .compile_intermediates();
    for object in objects {
        println!("cargo:rustc-link-arg-bins={}", object.display());
    }
}

fn generate_header(root: &Path) {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let header = root.join("include").join("faissx_c.h");
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen could not read the ffi module")
        .write_to_file(header);
}

fn compile_shim(root: &Path) {
    println!("cargo:rerun-if-changed=src/local/shim.cpp");
    println!("cargo:rerun-if-env-changed=FAISSX_FAISS_INCLUDE");
    let include = match std::env::var_os("FAISSX_FAISS_INCLUDE") {
        Some(dir) => PathBuf::from(dir),
        None => faiss_sys_include().unwrap_or_else(|| {
            panic!(
                "FAISS headers not found next to faiss-sys's build output; \
                 set FAISSX_FAISS_INCLUDE to the directory holding faiss/Index.h"
            )
        }),
    };
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .file(root.join("src/local/shim.cpp"))
        .include(include)
        .flag_if_supported("-fopenmp")
        .warnings(false)
        .compile("faissx_shim");
}

/// faiss-sys installs FAISS (headers included) into its own OUT_DIR, a sibling of ours under
/// target/<profile>/build; several builds may be there, the newest is the one linked.
fn faiss_sys_include() -> Option<PathBuf> {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").ok()?);
    let build_dir = out_dir.parent()?.parent()?;
    std::fs::read_dir(build_dir)
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("faiss-sys-")
        })
        .map(|entry| entry.path().join("out").join("include"))
        .filter(|include| include.join("faiss").join("Index.h").is_file())
        .max_by_key(|include| {
            std::fs::metadata(include.join("faiss").join("Index.h"))
                .and_then(|m| m.modified())
                .ok()
        })
}
