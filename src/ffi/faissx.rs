//! faissx's own functions, which FAISS has no counterpart for.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::remote::{self, Recovery, Settings};
use std::os::raw::{c_char, c_int};
use std::time::Duration;

/// faissx's version and the FAISS version it runs, as "faissx X.Y.Z (FAISS A.B.C)". Static
/// storage: never free it.
#[no_mangle]
pub extern "C" fn faissx_version() -> *const c_char {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_version");
    concat!("faissx ", env!("CARGO_PKG_VERSION"), " (FAISS 1.12.0)\0")
        .as_ptr()
        .cast()
}

/// 1 if `index` lives on a faissx-server, 0 if FAISS runs it in this process;
/// FAISSX_ERR_INVALID_ARGUMENT (with the last error set) for NULL.
#[no_mangle]
pub unsafe extern "C" fn faissx_is_remote(index: *const FaissIndex) -> c_int {
    boundary!(FAISSX_ERR_INVALID_ARGUMENT, {
        non_null(index, "index")?;
        Ok(as_remote(index).is_some().into())
    })
}

/// Turns remote mode on: indexes created from now on (constructors, factory, read_index,
/// clone of a remote index) live on the faissx-server at `server` ("tcp://host:45678" or
/// "host:45678"). `api_key` and `tenant_id` may be NULL when the server does not enforce
/// authentication. `server` NULL turns remote mode off for indexes created afterwards.
/// Existing handles keep working where they live. Nothing is sent until the first index is
/// created, so a wrong address shows there, as FAISSX_ERR_TRANSPORT.
/// The environment does the same at the first constructor call: FAISSX_SERVER,
/// FAISSX_API_KEY, FAISSX_TENANT_ID.
#[no_mangle]
pub unsafe extern "C" fn faissx_configure(
    server: *const c_char,
    api_key: *const c_char,
    tenant_id: *const c_char,
) -> c_int {
    boundary!({
        if server.is_null() {
            remote::configure(None);
            return Ok(());
        }
        let optional = |text: *const c_char, name: &str| -> Result<Option<String>> {
            if text.is_null() {
                Ok(None)
            } else {
                Ok(Some(c_str(text, name)?.to_string()).filter(|s| !s.is_empty()))
            }
        };
        let server = c_str(server, "server")?.trim().to_string();
        if server.is_empty() {
            return Err(Error::invalid("server is empty"));
        }
        remote::configure(Some(Settings {
            server,
            api_key: optional(api_key, "api_key")?,
            tenant: optional(tenant_id, "tenant_id")?,
        }));
        Ok(())
    })
}

/// How requests that are safe to repeat (searches, reads, parameter changes; never adds,
/// trains or removals) are retried when the server cannot be reached: up to `max_retries`
/// more times, waiting `initial_backoff_s` seconds, then `backoff_factor` times longer each
/// time. Defaults: 3, 0.1 s, 2.
#[no_mangle]
pub extern "C" fn faissx_configure_recovery(
    max_retries: c_int,
    initial_backoff_s: f64,
    backoff_factor: f64,
) -> c_int {
    boundary!({
        let valid = |value: f64, min: f64| value.is_finite() && value >= min;
        if max_retries < 0 || !valid(initial_backoff_s, 0.0) || !valid(backoff_factor, 1.0) {
            return Err(Error::invalid(format!(
                "need max_retries >= 0, initial_backoff_s >= 0, backoff_factor >= 1 \
                 (got {max_retries}, {initial_backoff_s}, {backoff_factor})"
            )));
        }
        remote::configure_recovery(Recovery {
            max_retries: max_retries as u32,
            initial_backoff: Duration::from_secs_f64(initial_backoff_s),
            backoff_factor,
        });
        Ok(())
    })
}

/// Sets a client option by name:
/// - "timeout_ms": how long the server may stay silent on a request (default 30000); it sends
///   signs of life three times per timeout while it works, so long trains and adds are waited
///   for as long as the server is alive and working on them;
/// - "connect_timeout_ms": how long a request may wait for a connection (default 5000);
/// - "cache_vectors": "on"/"off" (default on): keep reconstructed vectors, `xb`, `id_map` and
///   IVF list sizes of remote indexes on the client until the next write through the same
///   handle. Writes by other clients are not seen while a copy is cached: turn it off for
///   indexes others modify;
/// - "cache_memory_mb": budget of the reconstructed-vector cache per index (default 256);
/// - "spin_wait_us": how long a call polls for the server's reply before it sleeps (default
///   500; one thread per process polls at a time; 0: always sleep);
/// - "server_public_key": the server's CURVE public key (40 Z85 characters, its `.pub` file):
///   connections made from now on are encrypted and reach only the server holding the matching
///   secret key; "" turns it off (default: FAISSX_SERVER_PUBLIC_KEY, else off);
/// - "heartbeat_ms": how often a client whose session owns indexes tells the server it is alive
///   when it sends nothing else (default 5000); the server frees the indexes of a session
///   silent for its --session-timeout-ms, and never sooner than twice this;
/// - "io_threads": ZeroMQ I/O threads per server connected to (default 1, at most 64), fixed
///   when the first request goes to that server after `faissx_configure`. Each carries the
///   requests and replies of the connections given to it; a process whose many threads send
///   small requests at once may need more than one.
///
/// Each option can also be given by the environment, as FAISSX_ and its name in capitals
/// (FAISSX_TIMEOUT_MS=120000, FAISSX_CACHE_VECTORS=off), read when the process first uses
/// faissx: programs that call FAISS's C names through libfaiss_c tune them that way. A variable
/// whose value is invalid makes remote calls fail with a message naming it, until the option
/// is set here.
#[no_mangle]
pub unsafe extern "C" fn faissx_set_option(name: *const c_char, value: *const c_char) -> c_int {
    boundary!({
        let name = c_str(name, "name")?;
        let value = c_str(value, "value")?;
        remote::set_option(name, value)
    })
}

/// Opens the existing index `name` of this client's tenant on the configured server, to share
/// it with the services that use it: `*p_out` is a handle whose free leaves the index on the
/// server. Needs remote mode (faissx_configure or FAISSX_SERVER).
#[no_mangle]
pub unsafe extern "C" fn faissx_remote_open(
    name: *const c_char,
    p_out: *mut *mut FaissIndex,
) -> c_int {
    boundary!({
        let name = c_str(name, "name")?;
        non_null(p_out, "p_out")?;
        let client = remote::active_client().ok_or_else(|| {
            Error::unsupported("remote mode is off: call faissx_configure or set FAISSX_SERVER")
        })?;
        *p_out = RemoteIndex::open(client, name)?.cast();
        Ok(())
    })
}

/// The server-side name of a remote index (give it to faissx_remote_open in another service),
/// NULL for a local index. Owned by the handle: valid until it is freed.
///
/// Asking for the name shares the index: like faissx_remote_persist, it no longer belongs to
/// this process's session and stays on the server when the process exits or dies, until it
/// is freed through this handle or dropped by name. NULL with the last error set (and the
/// index still the session's) when the server cannot be told.
#[no_mangle]
pub unsafe extern "C" fn faissx_remote_name(index: *const FaissIndex) -> *const c_char {
    boundary!(std::ptr::null(), {
        non_null(index, "index")?;
        Ok(match as_remote(index) {
            Some(remote) => {
                remote.persist()?;
                remote.c_name.as_ptr()
            }
            None => std::ptr::null(),
        })
    })
}

/// Makes a remote index outlive this process. An index created in remote mode belongs to the
/// process's session: when the process exits or dies without freeing it, the server frees it
/// within its session timeout (README, "Index lifetime"). After this call it stays on the
/// server until it is freed through this handle or dropped by name (faissx_remote_drop,
/// `faissx-server drop`). Nothing to do for an index opened by name, or one already shared.
/// FAISSX_ERR_INVALID_ARGUMENT for a local index.
#[no_mangle]
pub unsafe extern "C" fn faissx_remote_persist(index: *const FaissIndex) -> c_int {
    boundary!({
        non_null(index, "index")?;
        let remote = as_remote(index).ok_or_else(|| {
            Error::invalid("not a remote index (remote mode was off when it was made)")
        })?;
        remote.persist()
    })
}

/// Lists the indexes of this client's tenant on the configured server: `*p_json` is a JSON
/// array, sorted by name, of objects
/// `{"name", "class", "d", "ntotal", "bytes", "age_ms", "session", "own_session"}`: the FAISS
/// class ("IndexFlatL2", ...), its stored codes in bytes (approximate memory), the time since
/// it was created, the id of the session that owns it (null: shared or persistent, kept until
/// dropped) and whether that is this process's session. Free the string with
/// faissx_remote_list_free. Needs remote mode.
#[no_mangle]
pub unsafe extern "C" fn faissx_remote_list(p_json: *mut *mut c_char) -> c_int {
    boundary!({
        non_null(p_json, "p_json")?;
        let client = active_client()?;
        let listed = remote::list(&client)?;
        let json = remote::list_json(&listed, Some(client.session()));
        *p_json = std::ffi::CString::new(json)
            .map_err(|_| Error::invalid("an index name holds a NUL byte"))?
            .into_raw();
        Ok(())
    })
}

/// Frees the listing faissx_remote_list wrote; NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn faissx_remote_list_free(json: *mut c_char) {
    let _call = crate::ffi::boundary::calls::enter(&|| "faissx_remote_list_free");
    if !json.is_null() {
        drop(std::ffi::CString::from_raw(json));
    }
}

/// Deletes the index `name` of this client's tenant on the configured server, whoever created
/// it: FAISSX_ERR_NOT_FOUND (naming it) when there is none. Handles still open on it fail
/// from then on with FAISSX_ERR_NOT_FOUND. Needs remote mode.
#[no_mangle]
pub unsafe extern "C" fn faissx_remote_drop(name: *const c_char) -> c_int {
    boundary!({
        let name = c_str(name, "name")?;
        let client = active_client()?;
        client
            .call(
                crate::protocol::Op::Delete {
                    index: name.to_string(),
                },
                vec![],
            )
            .map(|_| ())
    })
}

fn active_client() -> Result<std::sync::Arc<remote::Client>> {
    remote::active_client().ok_or_else(|| {
        Error::unsupported("remote mode is off: call faissx_configure or set FAISSX_SERVER")
    })
}

/// Checks that the configured server answers (and accepts the credentials): 0, or the error
/// a request would get (FAISSX_ERR_TRANSPORT, FAISSX_ERR_AUTH, ...).
#[no_mangle]
pub extern "C" fn faissx_ping() -> c_int {
    boundary!({
        let client = remote::active_client().ok_or_else(|| {
            Error::unsupported("remote mode is off: call faissx_configure or set FAISSX_SERVER")
        })?;
        client.call(crate::protocol::Op::Ping, vec![])?;
        Ok(())
    })
}
