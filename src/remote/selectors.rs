//! What a remote search or removal needs to know about FAISS objects that stay local: id
//! selectors and search parameters are opaque FAISS objects whose contents FAISS's C API
//! cannot read back (an IDSelectorBatch's ids, an IDSelectorNot's operand). Their
//! constructors record a description here, keyed by address, that travels on the wire.

use crate::ffi::boundary::{Error, Result};
use crate::ffi::types::*;
use crate::local::{shim, sys};
use crate::protocol::{SearchParams, Selector};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// What a selector's constructor recorded. Ranges and batches are fixed when made (FAISS
/// copies a batch's ids); a bitmap stays the caller's bytes, which FAISS reads at each search,
/// and a combination reads its operands then too: so those are described when sent.
pub enum Recorded {
    Fixed(Selector),
    Bitmap { n: usize, bits: usize },
    Not(usize),
    And(usize, usize),
    Or(usize, usize),
    Xor(usize, usize),
}

fn selectors() -> &'static Mutex<HashMap<usize, Recorded>> {
    static SELECTORS: OnceLock<Mutex<HashMap<usize, Recorded>>> = OnceLock::new();
    SELECTORS.get_or_init(Default::default)
}

/// Search parameters' selector, which only IVF parameters expose through the C API.
fn params_selectors() -> &'static Mutex<HashMap<usize, usize>> {
    static PARAMS: OnceLock<Mutex<HashMap<usize, usize>>> = OnceLock::new();
    PARAMS.get_or_init(Default::default)
}

pub fn record<T>(selector: *const T, description: Recorded) {
    selectors()
        .lock()
        .unwrap()
        .insert(selector as usize, description);
}

/// The wire description of a recorded selector as it selects now; None when it, or an operand
/// of it, was not made by faissx or was freed.
pub fn described<T>(selector: *const T) -> Option<Selector> {
    fn build(recorded: &HashMap<usize, Recorded>, at: usize) -> Option<Selector> {
        let operand = |at: usize| build(recorded, at).map(Box::new);
        Some(match recorded.get(&at)? {
            Recorded::Fixed(selector) => selector.clone(),
            Recorded::Bitmap { n, bits } => Selector::Bitmap {
                n: *n as u64,
                // SAFETY: FAISS's bitmap selector borrows the caller's bytes, which the caller
                // keeps alive while the selector is used.
                bits: unsafe { std::slice::from_raw_parts(*bits as *const u8, *n) }.to_vec(),
            },
            Recorded::Not(a) => Selector::Not(operand(*a)?),
            Recorded::And(a, b) => Selector::And(operand(*a)?, operand(*b)?),
            Recorded::Or(a, b) => Selector::Or(operand(*a)?, operand(*b)?),
            Recorded::Xor(a, b) => Selector::Xor(operand(*a)?, operand(*b)?),
        })
    }
    build(&selectors().lock().unwrap(), selector as usize)
}

pub fn forget<T>(selector: *const T) {
    selectors().lock().unwrap().remove(&(selector as usize));
}

pub fn record_params_selector<T, S>(params: *const T, selector: *const S) {
    params_selectors()
        .lock()
        .unwrap()
        .insert(params as usize, selector as usize);
}

pub fn forget_params<T>(params: *const T) {
    params_selectors()
        .lock()
        .unwrap()
        .remove(&(params as usize));
}

/// The wire description of a selector handed to a remote index.
pub fn describe(selector: *const FaissIDSelector) -> Result<Selector> {
    described(selector).ok_or_else(|| {
        Error::unsupported(
            "this id selector was not created by faissx, so it cannot be sent to the server",
        )
    })
}

/// The wire form of search parameters handed to a remote index.
///
/// # Safety
/// `params` must be NULL or live search parameters from faissx.
pub unsafe fn describe_params(
    params: *const FaissSearchParameters,
) -> Result<Option<SearchParams>> {
    if params.is_null() {
        return Ok(None);
    }
    let mut out = SearchParams::default();
    let params_mut = params.cast_mut();
    let ivf = sys::faiss_SearchParametersIVF_cast(params_mut);
    let hnsw = shim::faissx_shim_cast_SearchParametersHNSW(params_mut.cast());
    let selector: *const FaissIDSelector = if !ivf.is_null() {
        out.nprobe = Some(sys::faiss_SearchParametersIVF_nprobe(ivf) as u64);
        out.max_codes = Some(sys::faiss_SearchParametersIVF_max_codes(ivf) as u64);
        sys::faiss_SearchParametersIVF_sel(ivf)
    } else if !hnsw.is_null() {
        out.ef_search = Some(shim::faissx_shim_SearchParametersHNSW_get(hnsw, 0));
        out.check_relative_distance =
            Some(shim::faissx_shim_SearchParametersHNSW_get(hnsw, 1) != 0);
        out.bounded_queue = Some(shim::faissx_shim_SearchParametersHNSW_get(hnsw, 2) != 0);
        shim::faissx_shim_SearchParametersHNSW_sel(hnsw).cast()
    } else {
        let address = params_selectors()
            .lock()
            .unwrap()
            .get(&(params as usize))
            .copied();
        address.unwrap_or(0) as *const FaissIDSelector
    };
    if !selector.is_null() {
        out.selector = Some(describe(selector)?);
    }
    Ok(Some(out))
}
