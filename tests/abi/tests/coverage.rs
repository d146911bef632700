//! ctest2 checks what decls.rs declares; these tests make sure that is everything the header
//! declares (and nothing it lacks), so an export, typedef or constant cannot escape the checks.

use faissx_abi_test::decls;
use std::collections::BTreeSet;
use std::os::raw::c_int;

const HEADER: &str = include_str!("../../../include/faissx_c.h");
const DECLS: &str = include_str!("../src/decls.rs");

/// The header without its comments (its prose names functions too).
fn header_code() -> String {
    let mut code = String::new();
    let mut rest = HEADER;
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("unterminated comment") + start + 2;
        rest = &rest[end..];
    }
    code.push_str(rest);
    code.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_before(text: &str) -> &str {
    let start = text
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    &text[start..]
}

/// Names of the functions, macros + enumerators, and typedefs the header declares.
fn header_names() -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let code = header_code();
    let (mut fns, mut consts, mut types) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut in_enum = false;
    for line in code.lines().map(str::trim) {
        if let Some(def) = line.strip_prefix("#define ") {
            let name = def.split_whitespace().next().unwrap();
            if name != "FAISSX_C_H" {
                consts.insert(name.to_string());
            }
        } else if line.starts_with("typedef enum") {
            in_enum = true;
        } else if in_enum && !line.starts_with('}') {
            if let Some((name, _)) = line.split_once('=') {
                consts.insert(name.trim().to_string());
            }
        } else if line.starts_with('}') || line.starts_with("typedef ") {
            // `} Name;` closes a typedef'd struct or enum; `typedef T Name;` is an alias.
            if let Some(decl) = line.strip_suffix(';') {
                if !decl.contains('(') {
                    types.insert(ident_before(decl).to_string());
                }
            }
            in_enum = false;
        } else if let Some(open) = line
            .find("faissx_")
            .and_then(|i| line[i..].find('(').map(|j| i + j))
        {
            fns.insert(ident_before(&line[..open]).to_string());
        }
    }
    (fns, consts, types)
}

fn decls_names(prefix: &str) -> BTreeSet<String> {
    DECLS
        .lines()
        .filter_map(|line| line.trim().strip_prefix(prefix))
        .map(|rest| ident_before(rest.split(['(', ':', ' ', '<']).next().unwrap()).to_string())
        .collect()
}

fn assert_same(what: &str, header: &BTreeSet<String>, decls: &BTreeSet<String>) {
    let missing: Vec<_> = header.difference(decls).collect();
    let extra: Vec<_> = decls.difference(header).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: in the header but not in decls.rs (run tools/gen_abi_decls.py): {missing:?}; \
         in decls.rs but not in the header: {extra:?}"
    );
}

#[test]
fn every_exported_function_is_checked() {
    let (fns, _, _) = header_names();
    assert!(
        fns.len() > 300,
        "only {} functions found in the header",
        fns.len()
    );
    assert_same("functions", &fns, &decls_names("pub fn "));
}

#[test]
fn every_constant_is_checked() {
    let (_, consts, _) = header_names();
    for expected in [
        "METRIC_L2",
        "QT_8bit",
        "FAISSX_ERR_INVALID_ARGUMENT",
        "FAISS_IO_FLAG_MMAP",
        "OK",
    ] {
        assert!(
            consts.contains(expected),
            "{expected} not found in the header"
        );
    }
    assert_same("constants", &consts, &decls_names("pub const "));
}

#[test]
fn every_typedef_is_checked() {
    let (_, _, types) = header_names();
    let mut decls = decls_names("pub type ");
    decls.extend(decls_names("pub struct "));
    assert_same("types", &types, &decls);
}

/// decls.rs writes the Rust enum as an alias of `c_int` plus one constant per variant, because
/// ctest2 ignores enums; this ties that stand-in to the real type.
#[test]
fn error_code_enum_is_an_int_with_the_checked_values() {
    use faissx::ffi::types::FaissErrorCode as Code;
    assert_eq!(size_of::<Code>(), size_of::<decls::FaissErrorCode>());
    assert_eq!(align_of::<Code>(), align_of::<decls::FaissErrorCode>());
    let pairs = [
        (Code::OK, decls::OK),
        (Code::UNKNOWN_EXCEPT, decls::UNKNOWN_EXCEPT),
        (Code::FAISS_EXCEPT, decls::FAISS_EXCEPT),
        (Code::STD_EXCEPT, decls::STD_EXCEPT),
    ];
    for (variant, constant) in pairs {
        assert_eq!(variant as c_int, constant, "{variant:?}");
    }
}
