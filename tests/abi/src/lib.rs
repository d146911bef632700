//! The C ABI of libfaissx, checked against `include/faissx_c.h`.
//!
//! [`decls`] is what ctest2 reads (build.rs); `tests/ctest.rs` runs the checks it generates, and
//! `tests/coverage.rs` makes sure decls declares everything the header does.

pub mod decls;

// The checks resolve every `faissx_*` declaration against the real library, so it must be linked
// even though nothing here names it.
use faissx as _;
