//! What libfaissx keeps of a remote index between calls (the `cache_vectors` option), against a
//! real faissx-server whose metrics count the requests that reach it.

mod common;
mod remote;

use common::*;
use faissx::ffi::index_ivf::*;
use faissx::ffi::types::*;
use remote::*;
use std::net::SocketAddr;

const D: usize = 8;
const NLIST: usize = 16;

fn list_size_requests(metrics: SocketAddr) -> f64 {
    sample(
        &scrape(metrics),
        r#"faissx_requests_total{op="list_sizes"}"#,
    )
}

fn list_sizes(ivf: &Index) -> Vec<usize> {
    (0..NLIST)
        // SAFETY: a live IVF handle, list numbers below its nlist.
        .map(|list| unsafe { faissx_IndexIVF_get_list_size(ivf.ptr(), list) })
        .collect()
}

/// FAISS's callers read list sizes one list at a time; the server answers a request with every
/// list's size. One request serves a whole loop, until a write through the handle.
#[test]
fn list_sizes_come_in_one_request_until_a_write() {
    let _serial = exclusive();
    let (server, metrics) = metrics_server(&[]);
    configure(Some(&server.endpoint), None, None);
    let mut rng = Rng::new(5);
    let ivf = Index::factory(D, &format!("IVF{NLIST},Flat"), METRIC_L2);
    ivf.train(&clustered(&mut rng, 500, D, NLIST));
    ivf.add(&clustered(&mut rng, 300, D, NLIST));
    let asked = list_size_requests(metrics);

    let sizes = list_sizes(&ivf);
    assert_eq!(sizes.iter().sum::<usize>(), 300);
    assert_eq!(list_size_requests(metrics), asked + 1.0);

    // A write through the handle: the sizes read next are the server's new ones.
    ivf.add(&clustered(&mut rng, 100, D, NLIST));
    let grown = list_sizes(&ivf);
    assert_eq!(grown.iter().sum::<usize>(), 400);
    assert!(grown
        .iter()
        .zip(&sizes)
        .all(|(after, before)| after >= before));
    assert_eq!(list_size_requests(metrics), asked + 2.0);

    // Past the last list: an error naming nlist, as before the sizes were kept.
    // SAFETY: a live IVF handle.
    let past = unsafe { faissx_IndexIVF_get_list_size(ivf.ptr(), NLIST + 3) };
    assert_eq!(past, 0);
    expect_message(&["out of range", "nlist"]);

    // Without the cache, every call asks the server.
    set_option("cache_vectors", "off");
    assert_eq!(list_sizes(&ivf), grown);
    set_option("cache_vectors", "on");
    assert_eq!(
        list_size_requests(metrics),
        asked + 2.0 + NLIST as f64,
        "one request per list without the cache"
    );
    drop(ivf);
    local_mode();
}
