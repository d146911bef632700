//! The seam between the C ABI and remote mode: recognising remote handles, turning C buffers
//! into the slices a request carries, and copying replies back into the caller's buffers.

use crate::ffi::boundary::{Error, Result};
use crate::ffi::types::*;
pub use crate::local::index::RawIndex;
pub use crate::protocol::IndexSpec;
pub use crate::remote::face::lent;
pub use crate::remote::index::{as_remote, RemoteIndex};
use crate::remote::{active_client, Client};
use std::os::raw::c_void;
use std::sync::Arc;

/// Rejects remote handles in functions that only work on FAISS objects in this process.
///
/// # Safety
/// `index` must be NULL or a live handle.
pub unsafe fn local_only<T>(index: *const T, name: &str) -> Result<()> {
    if as_remote(index).is_some() {
        Err(Error::unsupported(format!(
            "{name} is a remote index; this function only works on local indexes"
        )))
    } else {
        Ok(())
    }
}

/// The bytes of `n` vectors of `remote`'s dimension at `x`.
///
/// # Safety
/// `x` must hold `n` vectors (checked non-NULL by the caller when n > 0).
pub unsafe fn vectors<'a, T>(remote: &RemoteIndex, x: *const T, n: idx_t) -> &'a [u8] {
    let len = n as usize * remote.vector_bytes();
    if len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(x.cast::<u8>(), len)
    }
}

/// # Safety
/// `len` items must be readable at `p` (NULL allowed when `len` is 0).
pub unsafe fn slice<'a, T>(p: *const T, len: usize) -> &'a [T] {
    if len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(p, len)
    }
}

/// Copies `values` to `dst`.
///
/// # Safety
/// `dst` must have room for `values.len()` items.
pub unsafe fn copy_out<T: Copy>(values: &[T], dst: *mut T) {
    if !values.is_empty() {
        std::ptr::copy_nonoverlapping(values.as_ptr(), dst, values.len());
    }
}

/// Copies little-endian frame bytes to a buffer of `T` (f32 distances, i32 Hamming distances).
///
/// # Safety
/// `dst` must have room for `bytes.len()` bytes.
pub unsafe fn copy_bytes_out<T>(bytes: &[u8], dst: *mut T) {
    copy_out(bytes, dst.cast::<u8>())
}

/// In remote mode, creates `spec` on the server and returns the new handle.
pub fn create_remote(spec: impl FnOnce() -> Result<IndexSpec>) -> Result<Option<*mut FaissIndex>> {
    match active_client() {
        None => Ok(None),
        Some(client) => Ok(Some(RemoteIndex::create(client, spec()?)?.cast())),
    }
}

/// A sub-index (quantizer, wrapped index) as the server knows it: a remote handle's name, or
/// a local index uploaded for the duration of the construction.
pub struct ServerSide {
    pub name: String,
    upload: Option<*mut RemoteIndex>,
}

impl Drop for ServerSide {
    fn drop(&mut self) {
        if let Some(upload) = self.upload {
            // SAFETY: created by RemoteIndex::load below and freed once. A failed delete only
            // leaves a temporary copy on the server; the construction's result is unaffected.
            let _ = unsafe { RemoteIndex::free(upload) };
        }
    }
}

/// # Safety
/// `index` must be a live handle (local or remote).
pub unsafe fn server_side<T>(
    client: &Arc<Client>,
    index: *const T,
    binary: bool,
) -> Result<ServerSide> {
    if let Some(remote) = as_remote(index) {
        return Ok(ServerSide {
            name: remote.name.clone(),
            upload: None,
        });
    }
    let bytes = local_bytes(index, binary)?;
    let upload = RemoteIndex::load(client.clone(), bytes, binary)?;
    Ok(ServerSide {
        name: (*upload).name.clone(),
        upload: Some(upload),
    })
}

/// A local index in FAISS's file format.
///
/// # Safety
/// `index` must be a live local handle of the given kind.
pub unsafe fn local_bytes<T>(index: *const T, binary: bool) -> Result<Vec<u8>> {
    let mut size = 0usize;
    let mut buf: *mut u8 = std::ptr::null_mut();
    crate::local::shim_status(if binary {
        crate::local::shim::faissx_shim_write_index_binary_buf(index.cast(), &mut size, &mut buf)
    } else {
        crate::local::shim::faissx_shim_write_index_buf(index.cast(), &mut size, &mut buf)
    })?;
    let bytes = slice(buf, size).to_vec();
    libc::free(buf.cast());
    Ok(bytes)
}

/// Refuses a handle that is not of `class`. The class's functions take the class's handle
/// type, but C callers can hand any index; FAISS's C API then reads another object's fields.
///
/// # Safety
/// `index` must be NULL or a live handle.
pub unsafe fn of_class<T>(index: *const T, class: &'static std::ffi::CStr) -> Result<()> {
    crate::ffi::boundary::non_null(index, "index")?;
    let name = class.to_str().unwrap_or_default();
    let is = match as_remote(index) {
        Some(remote) => remote.is(name),
        None => crate::local::shim::faissx_shim_is_class(index.cast(), class.as_ptr()) != 0,
    };
    if is {
        Ok(())
    } else {
        Err(Error::unsupported(format!("index is not an {name}")))
    }
}

/// For casts: `Some(index or NULL)` when `index` is remote, following the classes the server
/// reported for it.
///
/// # Safety
/// `index` must be NULL or a live handle.
pub unsafe fn remote_cast<T, U>(index: *mut T, class: &str) -> Option<*mut U> {
    as_remote(index).map(|remote| {
        if remote.is(class) {
            index.cast()
        } else {
            std::ptr::null_mut()
        }
    })
}

/// A composite index (IVF over a quantizer, IDMap over an index, ...) over `sub`:
/// - in remote mode, created on the server from `spec` (given the sub-index's name there): a
///   remote `sub` of that server is borrowed, a local one uploaded;
/// - over a remote `sub` that server does not hold (local mode, or remote mode on another
///   server), FAISS's composite in this process over the sub-index's face, made by
///   `over_face` (a shim `..._over_face`);
/// - `None` for a local `sub` outside remote mode: FAISS's C API builds it.
///
/// # Safety
/// `sub` must be a live handle.
pub unsafe fn create_composite<T>(
    sub: *const T,
    binary_sub: bool,
    spec: impl FnOnce(String) -> Result<IndexSpec>,
    over_face: impl FnOnce(*mut c_void, *mut *mut c_void) -> Result<()>,
) -> Result<Option<*mut FaissIndex>> {
    let client = active_client();
    if let Some(remote) = as_remote(sub) {
        if !client
            .as_ref()
            .is_some_and(|c| c.same_server(&remote.client))
        {
            if binary_sub {
                return Err(Error::unsupported(
                    "the binary sub-index is a remote index of another server (or remote mode \
                     is off): only float remote indexes can serve a composite built in this \
                     process; configure its server and build the composite there",
                ));
            }
            return crate::remote::face::composite_over(remote, over_face).map(Some);
        }
    }
    let Some(client) = client else {
        return Ok(None);
    };
    let side = server_side(&client, sub, binary_sub)?;
    let created = RemoteIndex::create(client, spec(side.name.clone())?)?;
    *(*created).sub_handle.lock().unwrap() = Some((sub as usize, binary_sub));
    Ok(Some(created.cast()))
}

/// Refuses an IVF that encodes residuals over a remote quantizer, in this process: FAISS
/// computes residuals from the quantizer's centroids vector by vector (a round trip each),
/// inside parallel loops that cannot report a failed request.
pub fn residuals_over_face(class: &str) -> Error {
    Error::unsupported(format!(
        "an {class} built in this process over a remote quantizer cannot encode residuals \
         (FAISS reconstructs one centroid per vector, a round trip each, inside parallel loops \
         that cannot report a failure); encode the vectors themselves (by_residual = 0), or \
         configure the quantizer's server and build the IVF there"
    ))
}

/// Constructors without arguments: in remote mode, what FAISS's constructor of `class` makes,
/// made on the server.
pub fn create_default(class: &str) -> Result<Option<*mut FaissIndex>> {
    create_remote(|| {
        Ok(IndexSpec::Default {
            class: class.into(),
        })
    })
}

/// For copy_subset_to: `Some(result)` when either index is remote, `None` when both are local
/// and the shim copies. FAISS copies from the source's lists into the target's: a remote source
/// is fetched (for a local target), and a local source, or one on another server, is uploaded
/// to the target's server for the duration of the copy.
///
/// # Safety
/// Both must be live handles.
pub unsafe fn remote_copy_subset<T>(
    index: *const T,
    other: *mut T,
    subset_type: std::os::raw::c_int,
    a1: idx_t,
    a2: idx_t,
) -> Option<Result<()>> {
    let copy_locally = |from: *const std::os::raw::c_void| {
        crate::local::shim_status(crate::local::shim::faissx_shim_IndexIVF_copy_subset_to(
            from,
            other.cast(),
            subset_type,
            a1,
            a2,
        ))
    };
    let fetched =
        |source: &RemoteIndex| crate::local::index::LocalIndex::load(&source.save()?, false);
    let raw = |copy: &crate::local::index::LocalIndex| match copy.raw() {
        RawIndex::Float(index) => index,
        RawIndex::Binary(_) => std::ptr::null_mut(),
    };
    Some(match (as_remote(index), as_remote(other)) {
        (None, None) => return None,
        (Some(source), None) => {
            fetched(source).and_then(|copy| copy_locally(raw(&copy).cast_const().cast()))
        }
        (Some(source), Some(target)) if target.same_server(source) => {
            target.copy_subset_from(&source.name, subset_type, a1, a2)
        }
        (source, Some(target)) => (|| {
            let copy = source.map(fetched).transpose()?;
            let local = copy
                .as_ref()
                .map_or(index.cast::<FaissIndex>(), |c| raw(c).cast_const());
            let side = server_side(&target.client, local, false)?;
            target.copy_subset_from(&side.name, subset_type, a1, a2)
        })(),
    })
}

/// For merges: `Some(result)` when either index is remote (both must be) or the merge is
/// refused, `None` when both are local and FAISS merges them. Merged into itself, FAISS
/// appends each list to itself from memory the append may move, then empties it: refused in
/// both modes.
///
/// # Safety
/// Both must be live handles.
pub unsafe fn remote_merge<T>(
    index: *const T,
    other: *const T,
    add_id: idx_t,
) -> Option<Result<()>> {
    if std::ptr::eq(index, other) {
        return Some(Err(Error::invalid("cannot merge an index into itself")));
    }
    match (as_remote(index), as_remote(other)) {
        (Some(target), Some(source)) => Some(target.merge_from(source, add_id)),
        (None, None) => None,
        _ => Some(Err(Error::unsupported(
            "cannot merge a local and a remote index",
        ))),
    }
}

/// The quantizer of a remote IVF index (float or binary): a pointer into a client-side copy of
/// the index, valid until the next write through the handle.
pub fn remote_quantizer<T>(remote: &RemoteIndex) -> Result<*mut T> {
    if let Some((quantizer, _)) = remote.sub_handle() {
        return Ok(quantizer as *mut T);
    }
    remote.with_local_copy(|copy| {
        // SAFETY: the copy is a live local index; the casts return NULL for other classes.
        unsafe {
            match copy.raw() {
                RawIndex::Float(local) => crate::local::sys::faiss_IndexIVF_quantizer(
                    crate::local::sys::faiss_IndexIVF_cast(local),
                )
                .cast(),
                RawIndex::Binary(local) => crate::local::sys::faiss_IndexBinaryIVF_quantizer(
                    crate::local::sys::faiss_IndexBinaryIVF_cast(local),
                )
                .cast(),
            }
        }
    })
}

/// The index a remote IDMap wraps, as `sub_index` hands it out: the one inside the handle's
/// client-side copy.
pub fn remote_sub_index(
    remote: &RemoteIndex,
    sub_index: unsafe extern "C" fn(*mut FaissIndex) -> *mut FaissIndex,
) -> Result<*mut FaissIndex> {
    if let Some((index, false)) = remote.sub_handle() {
        return Ok(index as *mut FaissIndex);
    }
    remote.with_local_copy(|copy| match copy.raw() {
        // SAFETY: the copy is a live local index of the class `sub_index` reads.
        RawIndex::Float(local) => unsafe { sub_index(local) },
        RawIndex::Binary(_) => std::ptr::null_mut(),
    })
}

/// A remote index serialized into a malloc'd buffer, as `faissx_write_index_buf` hands out.
///
/// # Safety
/// `p_size` and `p_buf` must be writable.
pub unsafe fn remote_bytes_out(
    remote: &RemoteIndex,
    p_size: *mut usize,
    p_buf: *mut *mut u8,
) -> Result<()> {
    let bytes = remote.save()?;
    let buf = libc::malloc(bytes.len().max(1)).cast::<u8>();
    if buf.is_null() {
        return Err(Error::new(FAISSX_ERR_STD, "out of memory"));
    }
    copy_out(&bytes, buf);
    (*p_size, *p_buf) = (bytes.len(), buf);
    Ok(())
}
