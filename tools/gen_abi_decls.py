#!/usr/bin/env python3
"""Generates tests/abi/src/decls.rs — plain declarations of libfaissx's C ABI for ctest2 — from
the Rust sources, so the ABI check always covers every export and cannot drift from them.

    tools/gen_abi_decls.py            rewrite tests/abi/src/decls.rs
    tools/gen_abi_decls.py --verify   exit 1 if tests/abi/src/decls.rs differs from a fresh generation

ctest2's Rust parser predates let-else, `unsafe extern` and `#[unsafe(...)]`, so it cannot read
the faissx crate itself. It reads this file instead: the types, aliases and constants of
src/ffi/types.rs and one `extern "C"` declaration per `pub [unsafe] extern "C" fn faissx_*` of
src/ffi/*.rs, with every type spelled the way the C header's typedefs name it.
"""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TYPES_RS = os.path.join(ROOT, "src", "ffi", "types.rs")
FFI_DIR = os.path.join(ROOT, "src", "ffi")
DECLS_RS = os.path.join(ROOT, "tests", "abi", "src", "decls.rs")

PRIMITIVES = {"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "isize", "usize", "f32", "f64"}
C_TYPES = {"c_char", "c_schar", "c_uchar", "c_short", "c_ushort", "c_int", "c_uint", "c_long",
           "c_ulong", "c_longlong", "c_ulonglong", "c_float", "c_double", "c_void"}
KEYWORDS = {"mut", "const", "unsafe", "extern", "fn", "Option"}

ITEM = re.compile(
    r"(?P<attrs>(?:#\[[^\]]*\]\s*)*)pub\s+(?P<kind>struct|enum|type|const)\s+(?P<name>\w+)"
    r"(?P<rest>\s*\{.*?\n\}|[^;]*;)",
    re.S,
)
FIELD = re.compile(r"^\s*(pub\s+)?(\w+)\s*:\s*(.+?),?\s*$")
VARIANT = re.compile(r"^\s*(\w+)\s*=\s*(-?\d+)\s*,?\s*$")
EXPORT = re.compile(
    r"#\[no_mangle\]\s*pub\s+(?:unsafe\s+)?extern\s+\"C\"\s+fn\s+(faissx_\w+)\s*"
    r"\((?P<params>.*?)\)\s*(?:->\s*(?P<ret>[^{]+?))?\s*\{",
    re.S,
)


class Unsupported(Exception):
    pass


def strip_comments(text):
    return re.sub(r"//[^\n]*", "", text)


def normalize_type(ty, known, where):
    """One spelling per type, checked against what decls.rs defines or imports."""
    ty = " ".join(ty.replace("std::os::raw::", "").replace("core::ffi::", "").split())
    for ident in re.findall(r"[A-Za-z_][\w:]*", ty.replace('"C"', "")):
        if ident in KEYWORDS or ident in PRIMITIVES or ident in C_TYPES or ident in known:
            continue
        if ident == "libc::FILE":
            continue
        raise Unsupported(f"{where}: type `{ident}` is neither a C type nor defined in types.rs")
    return ty


def split_top_level(text):
    """Splits on commas outside (), [] and <> (the `->` of a fn pointer type is not a bracket)."""
    parts, depth, cur = [], 0, ""
    masked = text.replace("->", "\0\1")
    for ch in masked:
        if ch in "(<[":
            depth += 1
        elif ch in ")>]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.replace("\0\1", "->").strip() for p in parts if p.strip()]


def parse_types():
    """Items of types.rs, in source order: ("struct"|"opaque"|"type"|"const"|"enum", ...)."""
    items = []
    for m in ITEM.finditer(strip_comments(open(TYPES_RS).read())):
        kind, name, attrs, rest = m["kind"], m["name"], m["attrs"], m["rest"]
        if kind == "type":
            items.append(("type", name, re.match(r"\s*=\s*(.+);", rest, re.S)[1]))
        elif kind == "const":
            cm = re.match(r"\s*:\s*(.+?)\s*=\s*(.+?);", rest, re.S)
            items.append(("const", name, cm[1], " ".join(cm[2].split())))
        elif kind == "struct":
            body = rest.strip()[1:-1]
            fields = [FIELD.match(line) for line in body.splitlines() if line.strip()]
            if any(f is None for f in fields):
                raise Unsupported(f"types.rs: cannot read the fields of {name}")
            if "repr(C)" not in attrs:
                # faissx keeps handles opaque: no public field, no layout.
                if any(f[1] for f in fields):
                    raise Unsupported(f"types.rs: {name} has public fields but no #[repr(C)]")
                items.append(("opaque", name))
            else:
                if not all(f[1] for f in fields):
                    raise Unsupported(f"types.rs: #[repr(C)] {name} has a private field")
                items.append(("struct", name, [(f[2], f[3]) for f in fields]))
        elif kind == "enum":
            if "repr(C)" not in attrs:
                raise Unsupported(f"types.rs: enum {name} is not #[repr(C)]")
            body = rest.strip()[1:-1]
            variants = [VARIANT.match(line) for line in body.splitlines() if line.strip()]
            if any(v is None for v in variants):
                raise Unsupported(f"types.rs: enum {name} needs an explicit value on each variant")
            items.append(("enum", name, [(v[1], v[2]) for v in variants]))
    return items


def parse_exports(known):
    """Every faissx_ export, grouped by source module (files and functions in source order)."""
    modules = []
    for path in sorted(glob.glob(os.path.join(FFI_DIR, "*.rs"))):
        text = strip_comments(open(path).read())
        fns = []
        for m in EXPORT.finditer(text):
            name = m[1]
            params = []
            for p in split_top_level(m["params"]):
                pname, _, pty = p.partition(":")
                pname = pname.strip().removeprefix("mut ").strip()
                params.append((pname, normalize_type(pty, known, name)))
            ret = normalize_type(m["ret"], known, name) if m["ret"] else None
            fns.append((name, params, ret))
        # An export that the pattern above did not read would silently go unchecked.
        declared = re.findall(r"extern\s+\"C\"\s+fn\s+(faissx_\w+)", text)
        missed = set(declared) - {f[0] for f in fns}
        if missed or text.count("#[no_mangle]") != len(fns):
            raise Unsupported(
                f"{os.path.relpath(path, ROOT)}: {text.count('#[no_mangle]')} #[no_mangle] items, "
                f"{len(fns)} read as `pub extern \"C\" fn faissx_*`; unread: {sorted(missed)}"
            )
        if fns:
            modules.append((os.path.relpath(path, ROOT), fns))
    return modules


def generate():
    items = parse_types()
    known = {i[1] for i in items}
    modules = parse_exports(known)

    body = []
    for item in items:
        kind, name = item[0], item[1]
        if kind == "type":
            body.append(f"pub type {name} = {normalize_type(item[2], known, name)};")
        elif kind == "const":
            body.append(f"pub const {name}: {normalize_type(item[2], known, name)} = {item[3]};")
        elif kind == "opaque":
            # repr(C) only so that pointers to it are FFI-safe in the extern blocks; build.rs
            # tells ctest2 to skip its layout (a zero-sized stand-in for an incomplete C type).
            body.append(f"#[repr(C)]\npub struct {name} {{\n    _private: [u8; 0],\n}}")
        elif kind == "struct":
            fields = "".join(f"    pub {f}: {normalize_type(t, known, name)},\n" for f, t in item[2])
            body.append(f"#[repr(C)]\npub struct {name} {{\n{fields}}}")
        elif kind == "enum":
            # ctest2 does not look at enums; a C enum is an int here, so the type is checked as
            # an alias of c_int and each enumerator as a constant of it.
            body.append(f"pub type {name} = c_int;")
            body.extend(f"pub const {v}: {name} = {val};" for v, val in item[2])
    for source, fns in modules:
        decls = []
        for name, params, ret in fns:
            args = ", ".join(f"{p}: {t}" for p, t in params)
            decls.append(f"    pub fn {name}({args}){f' -> {ret}' if ret else ''};")
        body.append(f"// {source}\nextern \"C\" {{\n" + "\n".join(decls) + "\n}")

    used_c = sorted(t for t in C_TYPES if re.search(rf"\b{t}\b", "\n".join(body)))
    header = [
        "//! libfaissx's C ABI as plain declarations, for ctest2 (see build.rs).",
        "//! Generated by tools/gen_abi_decls.py from src/ffi/; do not edit.",
        "//!",
        f"//! {len([i for i in items if i[0] == 'struct'])} repr(C) structs, "
        f"{len([i for i in items if i[0] == 'opaque'])} opaque handles, "
        f"{sum(len(f) for _, f in modules)} functions.",
        "",
        "// The names are FAISS's C names (FaissIndex_H, METRIC_Linf, faissx_Index_add), which",
        "// Rust's naming lints reject; the ABI fixes them.",
        "#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case)]",
        "",
        f"use std::os::raw::{{{', '.join(used_c)}}};" if used_c else "",
        "",
    ]
    # One-line items stay together; a blank line around each struct and extern block.
    text = body[0]
    for prev, item in zip(body, body[1:]):
        text += ("\n" if "\n" not in prev + item else "\n\n") + item
    return rustfmt("\n".join(header) + "\n" + text + "\n")


def rustfmt(text):
    # The committed file is what `cargo fmt` leaves, so --verify and the fmt check agree.
    out = subprocess.run(
        ["rustfmt", "--edition", "2021", "--emit", "stdout"],
        input=text, capture_output=True, text=True, check=True,
    )
    return out.stdout


def main():
    try:
        fresh = generate()
    except Unsupported as e:
        sys.exit(f"gen_abi_decls: {e}")
    rel = os.path.relpath(DECLS_RS, ROOT)
    if "--verify" in sys.argv:
        current = open(DECLS_RS).read() if os.path.exists(DECLS_RS) else ""
        if current != fresh:
            print(f"{rel} is stale: run tools/gen_abi_decls.py", file=sys.stderr)
            sys.exit(1)
        print(f"{rel} is up to date")
        return
    with open(DECLS_RS, "w") as f:
        f.write(fresh)
    print(f"wrote {rel}")


if __name__ == "__main__":
    main()
