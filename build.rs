//! Jobs:
//! - generate include/faissx_c.h from the Rust sources. The header is committed: CI regenerates
//!   it and fails when it differs, so the C contract only changes on purpose;
//! - compile src/local/shim.cpp, the C++ entry points FAISS's C API lacks, against the headers
//!   of the very FAISS that `faiss-sys` just built;
//! - give libfaissx.so its SONAME, and the build tree the links a SONAME implies;
//! - tell src/cpu.rs which CPU features the C/C++ flags (FAISS's included) require.
use std::path::{Path, PathBuf};

include!("src/cpu_features.rs");

/// The ABI version: bumped when a release breaks binary compatibility with programs linked to
/// the previous one. Also in scripts/install.sh, packaging/ and bindings/faiss_c/build.rs.
const SONAME: &str = "libfaissx.so.0";

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    generate_header(&root);
    compile_shim(&root);
    compile_server_allocator(&root);
    soname();
    build_tree_pkg_config(&root);
    required_cpu_features();
}

/// target/<profile>/pkgconfig/{faissx,faiss_c}.pc: pkg-config files for the build tree, so that
/// consumers written for an installed faissx (the Go module's `#cgo pkg-config: faissx`) build
/// and run in the repository too, with PKG_CONFIG_PATH pointed here. Unlike the installed ones
/// (packaging/), they carry an rpath: nothing installs the build tree in the loader's path.
fn build_tree_pkg_config(root: &Path) {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let Some(profile_dir) = out_dir.ancestors().nth(3) else {
        return;
    };
    let dir = profile_dir.join("pkgconfig");
    let lib = profile_dir.display();
    let version = std::env::var("CARGO_PKG_VERSION").unwrap();
    let files = [
        (
            "faissx.pc",
            format!(
                "# The build tree's libfaissx (written by build.rs; scripts/install.sh installs one that\n\
                 # does not point into the repository).\n\
                 Name: faissx\nDescription: faissx in its build tree\nVersion: {version}\n\
                 Libs: -L{lib} -lfaissx -Wl,-rpath,{lib}\nCflags: -I{}\n",
                root.join("include").display()
            ),
        ),
        (
            "faiss_c.pc",
            format!(
                "# The build tree's libfaiss_c (written by build.rs).\n\
                 Name: faiss_c\nDescription: faissx's compat library in its build tree\n\
                 Version: {version}\nRequires.private: faissx\n\
                 Libs: -L{lib} -lfaiss_c -Wl,-rpath,{lib}\nCflags: -I{}\n",
                root.join("bindings/faiss_c/include").display()
            ),
        ),
    ];
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    for (name, text) in files {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            if let Err(e) = std::fs::write(&path, text) {
                println!("cargo:warning=cannot write {}: {e}", path.display());
            }
        }
    }
}

/// Programs linked with `-lfaissx` record the SONAME, not the file they found, so an installed
/// libfaissx.so.0 serves them and a later incompatible libfaissx.so.1 can sit beside it. In the
/// build tree, programs linked to target/<profile>/libfaissx.so (the tests, the bindings, the
/// examples) then look for libfaissx.so.0 next to it: these links give them that, dangling
/// until rustc writes the library.
///
/// Not `rustc-cdylib-link-arg`: cargo hands that one on to the cdylibs of dependent packages
/// too (cargo#9562), and bindings/faiss_c's libfaiss_c.so would come out named libfaissx.so.0.
/// `rustc-link-arg` stays within this package; its executables, which would otherwise carry
/// the library's name, are given their own.
fn soname() {
    println!("cargo:rustc-link-arg=-Wl,-soname,{SONAME}");
    println!("cargo:rustc-link-arg-bins=-Wl,-soname,faissx-server");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let Some(profile_dir) = out_dir.ancestors().nth(3) else {
        return;
    };
    for dir in [profile_dir.to_path_buf(), profile_dir.join("deps")] {
        let link = dir.join(SONAME);
        if std::fs::read_link(&link).is_ok_and(|target| target == Path::new("libfaissx.so")) {
            continue;
        }
        let _ = std::fs::remove_file(&link);
        if std::fs::create_dir_all(&dir).is_ok() {
            if let Err(e) = std::os::unix::fs::symlink("libfaissx.so", &link) {
                println!("cargo:warning=cannot link {}: {e}", link.display());
            }
        }
    }
}

/// FAISS is built by faiss-sys with the C++ flags of the environment (cargo's [env] in
/// .cargo/config.toml sets the default); the -m and -march flags among them decide what CPUs
/// the result runs on. The names go to src/cpu.rs, which checks them when the library loads.
fn required_cpu_features() {
    let target = std::env::var("TARGET").unwrap_or_default();
    let mut flags = Vec::new();
    // The variables cc and cmake read, in the order they apply them.
    for base in ["CFLAGS", "CXXFLAGS"] {
        for name in [
            base.to_string(),
            format!("TARGET_{base}"),
            format!("{base}_{target}"),
            format!("{base}_{}", target.replace('-', "_")),
        ] {
            println!("cargo:rerun-if-env-changed={name}");
            if let Ok(value) = std::env::var(&name) {
                flags.extend(value.split_whitespace().map(str::to_string));
            }
        }
    }
    let mut features: Vec<&str> = Vec::new();
    let mut shown = Vec::new();
    let x86 = target.starts_with("x86_64") || target.starts_with("i686");
    for flag in &flags {
        if let Some(cpu) = flag.strip_prefix("-march=") {
            shown.push(flag.clone());
            for feature in march_features(cpu) {
                if !features.contains(&feature) {
                    features.push(feature);
                }
            }
        } else if let Some(name) = flag.strip_prefix("-mno-") {
            let names = gcc_flag_features(name);
            features.retain(|f| !names.contains(f));
            shown.push(flag.clone());
        } else if let Some(name) = flag.strip_prefix("-m") {
            let names = gcc_flag_features(name);
            if !names.is_empty() {
                shown.push(flag.clone());
            }
            for feature in names {
                if !features.contains(&feature) {
                    features.push(feature);
                }
            }
        }
    }
    if !x86 {
        features.clear();
    }
    println!(
        "cargo:rustc-env=FAISSX_BUILD_CPU_FEATURES={}",
        features.join(",")
    );
    println!(
        "cargo:rustc-env=FAISSX_BUILD_CPU_FLAGS={}",
        if shown.is_empty() {
            "no -m flags".to_string()
        } else {
            shown.join(" ")
        }
    );
}

/// The check's names for GCC's `-mNAME` (sse4 names two; flags that are no feature, none).
fn gcc_flag_features(name: &str) -> Vec<&'static str> {
    if name == "sse4" {
        return vec!["sse4.1", "sse4.2"];
    }
    CPU_FEATURES
        .iter()
        .filter(|(gcc, _)| *gcc == name)
        .map(|(_, check)| *check)
        .collect()
}

/// The features `-march=CPU` turns on, for the psABI levels and `native`; other CPU names are
/// GCC's own tables, which this does not repeat: it warns that the check will not cover them.
fn march_features(cpu: &str) -> Vec<&'static str> {
    const V2: &[&str] = &["sse3", "ssse3", "sse4.1", "sse4.2", "popcnt"];
    const V3: &[&str] = &[
        "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "lzcnt", "movbe",
    ];
    const V4: &[&str] = &["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"];
    match cpu {
        "x86-64" => vec![],
        "x86-64-v2" => V2.to_vec(),
        "x86-64-v3" => [V2, V3].concat(),
        "x86-64-v4" => [V2, V3, V4].concat(),
        // The build machine's own extensions, as far as the table names them.
        "native" => CPU_FEATURES
            .iter()
            .map(|(_, check)| *check)
            .filter(|check| cpu_has(check) == Some(true))
            .collect(),
        other => {
            println!(
                "cargo:warning=-march={other}: the load-time CPU check does not know what this \
                 CPU name implies and will not cover it; use -march=x86-64-v3 or -m flags"
            );
            vec![]
        }
    }
}

/// faissx-server's operator new/delete (src/server/alloc.cpp), linked into the package's
/// binaries only, as an object file so that the linker takes it whether or not anything
/// references it: replacing the allocator is the program's choice, never libfaissx's. The
/// integration tests link it too, so that the server they run in-process (the fuzzer) refuses
/// what the real one refuses; outside an untrusted read it is the standard allocator.
fn compile_server_allocator(root: &Path) {
    println!("cargo:rerun-if-changed=src/server/alloc.cpp");
    let objects = cc::Build::new()
        .cpp(true)
        .std("c++17")
        .file(root.join("src/server/alloc.cpp"))
        .flag_if_supported(macro_prefix_map(root))
        .warnings(false)
        .compile_intermediates();
    for object in objects {
        println!("cargo:rustc-link-arg-bins={}", object.display());
        println!("cargo:rustc-link-arg-tests={}", object.display());
    }
}

/// __FILE__ in FAISS's assertion macros would otherwise put the checkout's absolute path into
/// the shipped libraries' strings; relative to it, the messages still name the file. Debug info
/// keeps the full paths (that is where debuggers look for sources).
fn macro_prefix_map(root: &Path) -> String {
    format!("-fmacro-prefix-map={}/=", root.display())
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
    println!("cargo:rerun-if-changed=src/local/distance_tiles.h");
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
        .flag_if_supported(macro_prefix_map(root))
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
