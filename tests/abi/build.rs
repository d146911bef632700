//! Generates the ABI checks: ctest2 reads src/decls.rs and writes, into OUT_DIR, a C file that
//! includes faissx_c.h (compiled here with -Werror, so a parameter or return type that differs
//! from the header fails the build) and a Rust program (`tests/ctest.rs`) that compares sizes,
//! alignments, field offsets, signedness, constant values and function addresses at run time.

use std::collections::HashSet;
use std::path::Path;

fn main() {
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../include");
    // faissx's build.rs regenerates the header; rerun when it does.
    println!(
        "cargo:rerun-if-changed={}",
        include.join("faissx_c.h").display()
    );
    println!("cargo:rerun-if-changed=src/decls.rs");

    let decls = std::fs::read_to_string("src/decls.rs").expect("read src/decls.rs");
    let opaque = opaque_handles(&decls);

    let mut cfg = ctest2::TestGenerator::new();
    cfg.header("faissx_c.h")
        .include(&include)
        // Every C type of the header is a typedef (of an anonymous struct, of an enum, or of an
        // incomplete `struct X_H`), so none is spelled with a `struct` tag. ctest2 translates
        // the integer and c_* types itself, but not the floats.
        .type_name(|ty, _is_struct, _is_union| match ty {
            "f32" => "float".to_string(),
            "f64" => "double".to_string(),
            _ => ty.to_string(),
        })
        // Handles have no layout to check: they only ever appear behind pointers, where the
        // function checks still compare them by name.
        .skip_struct({
            let opaque = opaque.clone();
            move |name| opaque.contains(name)
        })
        .skip_type(move |name| opaque.contains(name))
        .generate("src/decls.rs", "all.rs");
}

/// The handle structs (no public field) and the aliases of them, as gen_abi_decls.py writes them.
fn opaque_handles(decls: &str) -> HashSet<String> {
    let mut opaque = HashSet::new();
    let mut lines = decls.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(name) = line
            .strip_prefix("pub struct ")
            .and_then(|r| r.strip_suffix(" {"))
        {
            if lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("_private"))
            {
                opaque.insert(name.to_string());
            }
        }
    }
    for line in decls.lines() {
        if let Some((alias, target)) = line
            .strip_prefix("pub type ")
            .and_then(|r| r.strip_suffix(';'))
            .and_then(|r| r.split_once(" = "))
        {
            if opaque.contains(target) {
                opaque.insert(alias.to_string());
            }
        }
    }
    opaque
}
