//! Parity scenarios of the objects that are not indexes: parameter spaces, clustering, transforms, results, selectors, buffers, distance utilities.

pub const SCENARIOS: &[(&str, fn())] = &[];
