//! Admission: a request's header decoded, its protocol version, credentials and limits checked,
//! before anything it describes is built or queued.

use super::operations::Admitted;
use super::sessions::MAX_SESSION_ID;
use super::store::State;
use super::{fail, Limits, DEFAULT_TENANT};
use crate::protocol::*;

/// Decodes a request header and checks its version, credentials and limits; a refusal carries
/// the request's id when the header was readable.
///
/// The credentials are read and checked first, skipping over the operation: an unauthenticated
/// client cannot make the server build what a header describes (a selector of millions of ids).
pub(super) fn admit(state: &State, header: &[u8]) -> Result<Admitted, (u64, WireError)> {
    let credentials = decode::<Credentials>(header).map_err(|e| (0, e))?;
    let refuse = |error| (credentials.id, error);
    if credentials.version != PROTOCOL_VERSION {
        return Err(refuse(fail(
            ErrorKind::Protocol,
            format!(
                "protocol version {} is not supported (this server speaks {PROTOCOL_VERSION})",
                credentials.version
            ),
        )));
    }
    let tenant = authenticate(state, &credentials).map_err(refuse)?;
    let request = decode::<Request>(header).map_err(refuse)?;
    let session = match &request.session {
        Some(hello) if hello.id.is_empty() || hello.id.len() > MAX_SESSION_ID => {
            return Err(refuse(fail(
                ErrorKind::Protocol,
                format!("a session id has 1 to {MAX_SESSION_ID} bytes"),
            )))
        }
        Some(hello) => Some(
            state
                .sessions
                .admit(&tenant, hello)
                .map_err(|why| refuse(fail(ErrorKind::Limit, why)))?,
        ),
        None => None,
    };
    check_limits(&state.config.limits, &request.op).map_err(refuse)?;
    Ok(Admitted {
        request,
        tenant,
        session,
    })
}

/// The fields of a [`Request`] that say who sends it; serde skips the rest (the operation)
/// without building it.
#[derive(serde::Deserialize)]
struct Credentials {
    version: u32,
    id: u64,
    api_key: Option<String>,
    tenant: Option<String>,
}

/// The tenant a request acts for, after checking its credentials.
fn authenticate(state: &State, request: &Credentials) -> Result<String, WireError> {
    let Some(keys) = &state.config.auth else {
        return Ok(request
            .tenant
            .clone()
            .unwrap_or_else(|| DEFAULT_TENANT.into()));
    };
    let Some(given) = &request.api_key else {
        return Err(fail(ErrorKind::Auth, "an API key is required"));
    };
    // Compare against every key in constant time, so timing tells nothing about which
    // prefix matched or which key exists.
    let mut tenant = None;
    for (key, key_tenant) in keys {
        if bool::from(subtle::ConstantTimeEq::ct_eq(
            key.as_bytes(),
            given.as_bytes(),
        )) {
            tenant = Some(key_tenant.clone());
        }
    }
    let tenant = tenant.ok_or_else(|| fail(ErrorKind::Auth, "unknown API key"))?;
    match &request.tenant {
        Some(claimed) if claimed != &tenant => Err(fail(
            ErrorKind::Auth,
            format!("the API key does not belong to tenant '{claimed}'"),
        )),
        _ => Ok(tenant),
    }
}

/// Refuses what exceeds the server's limits on one request.
fn check_limits(limits: &Limits, op: &Op) -> Result<(), WireError> {
    let too_big = |what: &str, value: u64, max: u64| {
        if value > max {
            Err(fail(
                ErrorKind::Limit,
                format!("{what} = {value} exceeds the server's limit of {max}"),
            ))
        } else {
            Ok(())
        }
    };
    match op {
        Op::Create { spec, .. } => {
            let d = match spec {
                IndexSpec::Factory { d, .. }
                | IndexSpec::BinaryFactory { d, .. }
                | IndexSpec::Flat { d, .. }
                | IndexSpec::FlatL2 { d }
                | IndexSpec::FlatIP { d }
                | IndexSpec::ScalarQuantizer { d, .. }
                | IndexSpec::HnswFlat { d, .. }
                | IndexSpec::Pq { d, .. }
                | IndexSpec::Lsh { d, .. } => u64::from(*d),
                IndexSpec::Flat1D { .. } => 1,
                IndexSpec::IvfFlat { d, .. }
                | IndexSpec::IvfScalarQuantizer { d, .. }
                | IndexSpec::IvfPq { d, .. }
                | IndexSpec::BinaryFlat { d }
                | IndexSpec::BinaryIvf { d, .. } => *d,
                // Their dimension is the borrowed index's (a transform's input is bounded by
                // the bytes that describe it).
                IndexSpec::IdMap { .. }
                | IndexSpec::RefineFlat { .. }
                | IndexSpec::PreTransform { .. }
                | IndexSpec::Default { .. } => 0,
            };
            too_big("d", d, limits.max_dimension.into())
        }
        Op::Search { n, k, .. } | Op::Assign { n, k, .. } | Op::SearchPreassigned { n, k, .. } => {
            too_big("k", *k, limits.max_k)?;
            too_big("n", *n, limits.max_batch)?;
            // 4-byte distances and 8-byte labels; computed in u128, as n·k·12 overflows u64.
            let bytes = u128::from(*n) * u128::from(*k) * 12;
            if bytes > limits.max_result_bytes as u128 {
                return Err(fail(
                    ErrorKind::Limit,
                    format!(
                        "n = {n} queries times k = {k} neighbours is {bytes} bytes of results, \
                         more than the server's limit of {} bytes",
                        limits.max_result_bytes
                    ),
                ));
            }
            Ok(())
        }
        Op::Add { part, parts, .. } if part >= parts => Err(fail(
            ErrorKind::InvalidArgument,
            format!("part {part} of an add in {parts} parts: parts are numbered from 0"),
        )),
        Op::Train { n, .. }
        | Op::TrainEncoder { n, .. }
        | Op::AddCore { n, .. }
        | Op::UpdateVectors { n, .. }
        | Op::SetIds { n, .. }
        | Op::Add { n, .. }
        | Op::RangeSearch { n, .. }
        | Op::Reconstruct { n, .. }
        | Op::SaEncode { n, .. }
        | Op::SaDecode { n, .. }
        | Op::ComputeResidual { n, .. } => too_big("n", *n, limits.max_batch),
        _ => Ok(()),
    }
}
