//! Parity scenarios of the per-class functions (getters, setters, frees) of every index class.

pub const SCENARIOS: &[(&str, fn())] = &[];
