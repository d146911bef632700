//! Operations: what each request does to the tenant store, and what it may allocate while
//! doing it (checked against the memory budget and the tenant's quotas before it starts).

use super::sessions::Session;
use super::store::{self, Entry, State};
use super::{budget, fail, from_local};
use crate::ffi::boundary::Error;
use crate::local::index::{LocalIndex, RawIndex};
use crate::protocol::*;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// A request whose header was decoded and whose credentials and limits were checked.
pub(super) struct Admitted {
    pub(super) request: Request,
    pub(super) tenant: String,
    /// The session the request came from, which owns what it creates.
    pub(super) session: Option<Arc<Session>>,
}

/// What a request is answered with: a reply header's answer and its payload frames, or why not.
pub(super) type Served = Result<(Answer, Vec<Vec<u8>>), WireError>;

/// Serves an admitted request; a panic inside FAISS glue becomes an error, never a dead worker.
pub(super) fn outcome(state: &State, admitted: &Admitted, payload: &[&[u8]]) -> Served {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        serve(
            state,
            &admitted.tenant,
            admitted.session.as_ref(),
            &admitted.request,
            payload,
        )
    }))
    .unwrap_or_else(|_| {
        Err(fail(
            ErrorKind::Server,
            "internal error while serving the request",
        ))
    })
}

fn serve(
    state: &State,
    tenant: &str,
    session: Option<&Arc<Session>>,
    request: &Request,
    payload: &[&[u8]],
) -> Served {
    let frame = |i: usize| -> Result<&[u8], WireError> {
        payload.get(i).copied().ok_or_else(|| {
            fail(
                ErrorKind::Protocol,
                format!("missing payload frame {}", i + 1),
            )
        })
    };
    let find = |name: &str| -> Result<Arc<Entry>, WireError> {
        state
            .entry(tenant, name)
            .ok_or_else(|| state.not_found(tenant, name))
    };
    let _memory = reserve_memory(state, tenant, &request.op, payload)?;
    match &request.op {
        Op::Ping | Op::Heartbeat => Ok((Answer::Done, vec![])),
        Op::Persist { index } => {
            state.persist(tenant, index)?;
            Ok((Answer::Done, vec![]))
        }
        Op::EndSession => {
            if let Some(ended) = session.and_then(|s| state.sessions.end(tenant, &s.id)) {
                state.session_ended(&ended, "the client ended it");
            }
            Ok((Answer::Done, vec![]))
        }
        Op::Describe => Ok((Answer::Indexes(state.describe(tenant)), vec![])),
        Op::List => {
            let mut names: Vec<String> = state
                .indexes
                .read()
                .unwrap()
                .keys()
                .filter(|(t, _)| t == tenant)
                .map(|(_, n)| n.clone())
                .collect();
            names.sort();
            Ok((Answer::Names(names), vec![]))
        }
        Op::Create { index, spec } => {
            let borrowed: Mutex<Vec<Arc<Entry>>> = Mutex::new(Vec::new());
            let sub = |name: &str| -> crate::ffi::boundary::Result<RawIndex> {
                let entry = find(name).map_err(|e| Error::invalid(e.message))?;
                let raw = entry.index.read().unwrap().raw();
                borrowed.lock().unwrap().push(entry);
                Ok(raw)
            };
            // The sub-indexes are only read while the composite is built (its dimension, whether
            // it is trained); they are held by `borrowed`, and by the new entry from then on.
            let built = LocalIndex::create(spec, &sub).map_err(from_local)?;
            let borrowed = borrowed.into_inner().unwrap();
            let info = state.insert(tenant, index, built, borrowed, session)?;
            Ok((Answer::Info(info), vec![]))
        }
        Op::Load { index, binary } => {
            let loaded = LocalIndex::load(frame(0)?, *binary).map_err(from_local)?;
            let info = state.insert(tenant, index, loaded, Vec::new(), session)?;
            Ok((Answer::Info(info), vec![]))
        }
        Op::Save { index } => Ok((
            Answer::Data,
            vec![store::read(&find(index)?, |i| i.save()).map_err(from_local)?],
        )),
        Op::Delete { index } => {
            state.remove(tenant, index)?;
            Ok((Answer::Done, vec![]))
        }
        Op::Info { index } => Ok((
            Answer::Info(store::read(&find(index)?, |i| i.info())),
            vec![],
        )),
        Op::Clone { index, to } => {
            // FAISS's clone copies sub-indexes too: the copy owns everything it uses.
            let copy = store::read(&find(index)?, |i| i.duplicate()).map_err(from_local)?;
            let info = state.insert(tenant, to, copy, Vec::new(), session)?;
            Ok((Answer::Info(info), vec![]))
        }
        Op::Search {
            index,
            n,
            k,
            params,
        } => {
            let queries = frame(0)?;
            let (distances, labels) = store::read(&find(index)?, |i| {
                i.search(*n, *k, queries, params.as_ref())
            })
            .map_err(from_local)?;
            Ok((Answer::Data, vec![distances, labels]))
        }
        Op::Assign { index, n, k } => {
            let queries = frame(0)?;
            let labels =
                store::read(&find(index)?, |i| i.assign(*n, *k, queries)).map_err(from_local)?;
            Ok((Answer::Data, vec![labels]))
        }
        Op::RangeSearch {
            index,
            n,
            radius,
            params,
        } => {
            let queries = frame(0)?;
            let max_bytes = state.config.limits.max_result_bytes;
            let frames = store::read(&find(index)?, |i| {
                i.range_search(*n, *radius, queries, params.as_ref(), max_bytes)
            })
            .map_err(from_local)?;
            Ok((Answer::Data, frames.into()))
        }
        Op::Reconstruct { index, first, n } => {
            let max_bytes = state.config.limits.max_result_bytes;
            let vectors = store::read(&find(index)?, |i| i.reconstruct(*first, *n, max_bytes))
                .map_err(from_local)?;
            Ok((Answer::Data, vec![vectors]))
        }
        Op::IdMap { index } => Ok((
            Answer::Data,
            vec![store::read(&find(index)?, |i| i.id_map()).map_err(from_local)?],
        )),
        Op::FlatVectors { index } => Ok((
            Answer::Data,
            vec![store::read(&find(index)?, |i| i.flat_vectors()).map_err(from_local)?],
        )),
        Op::ListSizes { index } => Ok((
            Answer::Data,
            vec![store::read(&find(index)?, |i| i.list_sizes()).map_err(from_local)?],
        )),
        Op::ListIds { index, list } => Ok((
            Answer::Data,
            vec![store::read(&find(index)?, |i| i.list_ids(*list)).map_err(from_local)?],
        )),
        Op::SaEncode { index, n } => {
            let vectors = frame(0)?;
            let codes =
                store::read(&find(index)?, |i| i.sa_encode(*n, vectors)).map_err(from_local)?;
            Ok((Answer::Data, vec![codes]))
        }
        Op::SaDecode { index, n } => {
            let codes = frame(0)?;
            let vectors =
                store::read(&find(index)?, |i| i.sa_decode(*n, codes)).map_err(from_local)?;
            Ok((Answer::Data, vec![vectors]))
        }
        Op::ComputeResidual { index, n } => {
            let (vectors, keys) = (frame(0)?, frame(1)?);
            let residuals = store::read(&find(index)?, |i| i.compute_residual(*n, vectors, keys))
                .map_err(from_local)?;
            Ok((Answer::Data, vec![residuals]))
        }
        Op::SearchPreassigned {
            index,
            n,
            k,
            store_pairs,
            params,
        } => {
            let frames = [frame(0)?, frame(1)?, frame(2)?];
            let (distances, labels) = store::read(&find(index)?, |i| {
                i.search_preassigned(*n, *k, frames, *store_pairs, params.as_ref())
            })
            .map_err(from_local)?;
            Ok((Answer::Data, vec![distances, labels]))
        }
        Op::MergeFrom {
            index,
            other,
            add_id,
        } => {
            if index == other {
                return Err(fail(
                    ErrorKind::InvalidArgument,
                    "cannot merge an index into itself",
                ));
            }
            let (target, source) = (find(index)?, find(other)?);
            let info = store::merge(&target, &source, *add_id)?;
            Ok((Answer::Info(info), vec![]))
        }
        Op::CopySubset {
            index,
            from,
            subset_type,
            a1,
            a2,
        } => {
            if index == from {
                // Both would be locked, and the lists read would grow as they are read.
                return Err(fail(
                    ErrorKind::InvalidArgument,
                    "copy_subset_to: index and other are the same index; copy into another one",
                ));
            }
            let (target, source) = (find(index)?, find(from)?);
            let info = store::copy_subset(&target, &source, *subset_type, *a1, *a2)?;
            Ok((Answer::Info(info), vec![]))
        }
        Op::Train { .. }
        | Op::TrainEncoder { .. }
        | Op::AddCore { .. }
        | Op::UpdateVectors { .. }
        | Op::SetIds { .. }
        | Op::Add { .. }
        | Op::Reset { .. }
        | Op::RemoveIds { .. }
        | Op::SetParam { .. }
        | Op::PrependTransform { .. } => {
            let entry = find(write_target(&request.op))?;
            let (removed, info) = store::write_logged(&entry, &request.op, payload)?;
            let answer = match removed {
                Some(n) => Answer::Removed { n, info },
                None => Answer::Info(info),
            };
            Ok((answer, vec![]))
        }
    }
}

/// Checks what a request will allocate against the memory budget, and what it adds to its
/// tenant's indexes against the quotas, before anything is allocated. The estimates are upper
/// bounds of the buffers the operation builds (results and their reply frames, copies).
fn reserve_memory<'a>(
    state: &'a State,
    tenant: &str,
    op: &Op,
    payload: &[&[u8]],
) -> Result<Option<budget::Reservation<'a>>, WireError> {
    let usage = |name: &str| {
        state.entry(tenant, name).map(|entry| {
            let u = &entry.usage;
            (
                u.d.load(Ordering::Relaxed),
                u.vectors.load(Ordering::Relaxed),
                u.bytes.load(Ordering::Relaxed),
                u.vector_bytes.load(Ordering::Relaxed),
            )
        })
    };
    let payload_bytes: u64 = payload.iter().map(|f| f.len() as u64).sum();
    let quotas = &state.config.quotas;
    let check_quota = |vectors: u64, bytes: u64| {
        if quotas.tenant_max_vectors.is_none() && quotas.tenant_max_bytes.is_none() {
            return Ok(());
        }
        quotas.check(
            tenant,
            &state.tenant_use(tenant),
            &budget::TenantUse { vectors, bytes },
        )
    };
    let (bytes, what) = match op {
        Op::Search { n, k, .. } => (
            n.saturating_mul(*k).saturating_mul(24),
            format!("a search of {n} queries for {k} neighbours"),
        ),
        Op::Assign { n, k, .. } => (
            n.saturating_mul(*k).saturating_mul(16),
            format!("an assign of {n} queries for {k} neighbours"),
        ),
        Op::SearchPreassigned { n, k, .. } => (
            n.saturating_mul(*k)
                .saturating_mul(24)
                .saturating_add(payload_bytes),
            format!("a search of {n} preassigned queries for {k} neighbours"),
        ),
        Op::SaDecode { index, n } | Op::ComputeResidual { index, n } => {
            let d = usage(index).map_or(0, |(d, ..)| d);
            (
                n.saturating_mul(d).saturating_mul(8),
                format!("{n} vectors of dimension {d}"),
            )
        }
        Op::SaEncode { .. } => (
            payload_bytes.saturating_mul(2),
            "standalone codes".to_string(),
        ),
        Op::Reconstruct { index, n, .. } => {
            let d = usage(index).map_or(0, |(d, ..)| d);
            (
                n.saturating_mul(d).saturating_mul(8),
                format!("reconstructing {n} vectors"),
            )
        }
        Op::FlatVectors { index } => {
            let (d, vectors) = usage(index).map_or((0, 0), |(d, v, ..)| (d, v));
            (
                vectors.saturating_mul(d).saturating_mul(8),
                format!("the {vectors} vectors of '{index}'"),
            )
        }
        Op::Save { index } => (
            usage(index).map_or(0, |(_, _, bytes, _)| bytes.saturating_mul(2)),
            format!("serializing '{index}'"),
        ),
        Op::Clone { index, .. } => {
            let (vectors, bytes) = usage(index).map_or((0, 0), |(_, v, b, _)| (v, b));
            check_quota(vectors, bytes)?;
            (bytes, format!("a copy of '{index}'"))
        }
        Op::Load { .. } => {
            check_quota(0, payload_bytes)?;
            (
                payload_bytes.saturating_mul(2),
                format!("loading an index of {payload_bytes} bytes"),
            )
        }
        Op::Add { index, n, .. } | Op::AddCore { index, n, .. } => {
            let vector_bytes = usage(index).map_or(0, |(.., vb)| vb);
            check_quota(*n, n.saturating_mul(vector_bytes))?;
            (payload_bytes, format!("adding {n} vectors"))
        }
        Op::UpdateVectors { n, .. } => (
            payload_bytes.saturating_mul(2),
            format!("updating {n} vectors"),
        ),
        Op::SetIds { n, .. } => (
            // The ids, and the reverse map an IDMap2 builds from them.
            payload_bytes.saturating_mul(4),
            format!("replacing {n} ids"),
        ),
        Op::Train { n, .. } | Op::TrainEncoder { n, .. } => (
            payload_bytes.saturating_mul(2),
            format!("training on {n} vectors"),
        ),
        Op::MergeFrom { other, .. } => (
            usage(other).map_or(0, |(_, _, bytes, _)| bytes),
            format!("merging '{other}'"),
        ),
        Op::CopySubset { from, .. } => {
            // At most every entry of the source.
            let (vectors, bytes) = usage(from).map_or((0, 0), |(_, v, b, _)| (v, b));
            check_quota(vectors, bytes)?;
            (bytes, format!("copying entries of '{from}'"))
        }
        Op::RangeSearch { .. } => (payload_bytes, "a range search".to_string()),
        Op::Ping
        | Op::List
        | Op::Heartbeat
        | Op::Persist { .. }
        | Op::EndSession
        | Op::Describe
        | Op::Create { .. }
        | Op::Delete { .. }
        | Op::Info { .. }
        | Op::Reset { .. }
        | Op::RemoveIds { .. }
        | Op::SetParam { .. }
        | Op::PrependTransform { .. }
        | Op::IdMap { .. }
        | Op::ListIds { .. }
        | Op::ListSizes { .. } => return Ok(None),
    };
    state.budget.reserve(bytes, &what)
}

fn write_target(op: &Op) -> &str {
    match op {
        Op::Train { index, .. }
        | Op::TrainEncoder { index, .. }
        | Op::AddCore { index, .. }
        | Op::UpdateVectors { index, .. }
        | Op::SetIds { index, .. }
        | Op::Add { index, .. }
        | Op::Reset { index }
        | Op::RemoveIds { index, .. }
        | Op::SetParam { index, .. }
        | Op::PrependTransform { index } => index,
        _ => unreachable!("only writes reach write_target"),
    }
}

/// Searches of this many queries or more are never served together with others: FAISS may
/// answer a search of that size on another code path than a single query (a flat scan's BLAS
/// path starts at 20 queries), and one that large gains nothing from company.
pub(super) const ALONE_QUERIES: u64 = 20;

/// Serves searches of one index with the same k and parameters (and no selector), each fewer
/// than [`ALONE_QUERIES`] queries, as one FAISS call, when the index answers every query of a
/// call as a search of it alone would ([`LocalIndex::searches_independently`]): the same
/// bits as serving them one by one, for one pass over the index. A search left `None` is to be
/// served on its own: all of them when they cannot be served together, and those whose
/// queries are not what FAISS can search (they get their own error, and cannot spoil the
/// others' results).
pub(super) fn search_together(
    state: &State,
    searches: &[(&Admitted, &[u8])],
) -> Vec<Option<Served>> {
    let mut served: Vec<Option<Served>> = searches.iter().map(|_| None).collect();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        serve_together(state, searches, &mut served)
    }))
    .unwrap_or_else(|_| served.iter_mut().for_each(|s| *s = None));
    served
}

fn serve_together(state: &State, searches: &[(&Admitted, &[u8])], served: &mut [Option<Served>]) {
    let Some((first, _)) = searches.first() else {
        return;
    };
    let Op::Search {
        index, k, params, ..
    } = &first.request.op
    else {
        return;
    };
    let Some(entry) = state.entry(&first.tenant, index) else {
        return;
    };
    store::read(&entry, |local| {
        if !local.searches_independently() {
            return;
        }
        let mut queries = Vec::new();
        let mut members = Vec::new();
        for (at, (admitted, frame)) in searches.iter().enumerate() {
            let Op::Search { n, .. } = admitted.request.op else {
                continue;
            };
            if local.check_queries(n, frame).is_ok() {
                queries.extend_from_slice(frame);
                members.push((at, n));
            }
        }
        let total: u64 = members.iter().map(|(_, n)| n).sum();
        if members.len() < 2 {
            return;
        }
        let Ok(_memory) = state.budget.reserve(
            total.saturating_mul(*k).saturating_mul(24),
            "a batch of searches",
        ) else {
            return;
        };
        let Ok((distances, labels)) = local.search_each(total, *k, &queries, params.as_ref())
        else {
            return;
        };
        let per_query = |frame: &[u8]| frame.len() as u64 / total;
        let (distance_bytes, label_bytes) = (per_query(&distances), per_query(&labels));
        let mut from = 0u64;
        for (at, n) in members {
            let to = from + n;
            let slice = |frame: &[u8], bytes: u64| {
                frame[(from * bytes) as usize..(to * bytes) as usize].to_vec()
            };
            served[at] = Some(Ok((
                Answer::Data,
                vec![
                    slice(&distances, distance_bytes),
                    slice(&labels, label_bytes),
                ],
            )));
            from = to;
        }
    })
}
