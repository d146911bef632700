//! Runs ctest2's checks of `src/decls.rs` against `include/faissx_c.h` (see build.rs). Prints each
//! mismatch and panics ("some tests failed") if there was any.

// The included file is ctest2's generated code, written in its own style (`function_casts_as_integer`
// is recent, hence `unknown_lints` for older compilers).
#![allow(clippy::all, unknown_lints, function_casts_as_integer, non_snake_case)]

use faissx_abi_test::decls::*;
// The generated code names C types as decls.rs does (c_int, c_void...).
use std::os::raw::*;

include!(concat!(env!("OUT_DIR"), "/all.rs"));
