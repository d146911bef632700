//! `index_io_c.h`: reading and writing indexes in FAISS's file format, plus in-memory buffers.

use crate::boundary;
use crate::ffi::boundary::*;
use crate::ffi::dispatch::*;
use crate::ffi::types::*;
use crate::local::index::LocalIndex;
use crate::local::{shim, shim_status, sys};
use std::os::raw::{c_char, c_int};

/// Reads with FAISS here (a `FILE*` or a custom reader only this process can use); in remote
/// mode the index is then uploaded and `*p_out` is the server's copy, as for every constructor.
unsafe fn read_then_upload<T>(
    p_out: *mut *mut T,
    binary: bool,
    read: impl FnOnce(*mut *mut T) -> Result<()>,
) -> Result<()> {
    let mut local: *mut T = std::ptr::null_mut();
    read(&mut local)?;
    let Some(client) = crate::remote::active_client() else {
        *p_out = local;
        return Ok(());
    };
    let bytes = local_bytes(local, binary);
    if binary {
        sys::faiss_IndexBinary_free(local.cast());
    } else {
        sys::faiss_Index_free(local.cast());
    }
    *p_out = RemoteIndex::load(client, bytes?, binary)?.cast();
    Ok(())
}

/// Writes the index to an open `FILE*` in FAISS's file format.
#[no_mangle]
pub unsafe extern "C" fn faissx_write_index(idx: *const FaissIndex, f: *mut libc::FILE) -> c_int {
    boundary!({
        non_null(idx, "idx")?;
        non_null(f, "f")?;
        if let Some(remote) = as_remote(idx) {
            let bytes = remote.save()?;
            if libc::fwrite(bytes.as_ptr().cast(), 1, bytes.len(), f) != bytes.len() {
                return Err(Error::io("fwrite failed"));
            }
            return Ok(());
        }
        crate::remote::face::serializable(idx)?;
        faiss_status(sys::faiss_write_index(idx, f))
    })
}

/// Writes the index to the file `fname` in FAISS's file format (FAISS's Python and C++ read it).
#[no_mangle]
pub unsafe extern "C" fn faissx_write_index_fname(
    idx: *const FaissIndex,
    fname: *const c_char,
) -> c_int {
    boundary!({
        non_null(idx, "idx")?;
        non_null(fname, "fname")?;
        if let Some(remote) = as_remote(idx) {
            let fname = c_str(fname, "fname")?;
            std::fs::write(fname, remote.save()?)
                .map_err(|e| Error::new(FAISSX_ERR_FAISS, format!("cannot write {fname}: {e}")))?;
            return Ok(());
        }
        crate::remote::face::serializable(idx)?;
        faiss_status(sys::faiss_write_index_fname(idx, fname))
    })
}

/// Writes the index through a custom writer, with FAISS's IO flags.
#[no_mangle]
pub unsafe extern "C" fn faissx_write_index_custom(
    idx: *const FaissIndex,
    io_writer: *mut FaissIOWriter,
    io_flags: c_int,
) -> c_int {
    boundary!({
        non_null(idx, "idx")?;
        non_null(io_writer, "io_writer")?;
        if let Some(remote) = as_remote(idx) {
            // FAISS writes a fresh copy of the server's index so that the writer sees the
            // calls, chunks and io_flags it sees locally; a fresh copy rather than the handle's
            // cached one, as the writer may call back into this handle.
            let copy = LocalIndex::load(&remote.save()?, false)?;
            let RawIndex::Float(local) = copy.raw() else {
                return Err(Error::invalid("idx is a binary index"));
            };
            return faiss_status(sys::faiss_write_index_custom(local, io_writer, io_flags));
        }
        crate::remote::face::serializable(idx)?;
        faiss_status(sys::faiss_write_index_custom(idx, io_writer, io_flags))
    })
}

/// Reads an index from an open `FILE*`; the caller owns `*p_out`.
#[no_mangle]
pub unsafe extern "C" fn faissx_read_index(
    f: *mut libc::FILE,
    io_flags: c_int,
    p_out: *mut *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(f, "f")?;
        non_null(p_out, "p_out")?;
        read_then_upload(p_out, false, |out| {
            faiss_status(sys::faiss_read_index(f, io_flags, out))
        })
    })
}

/// Reads an index from the file `fname` (FAISS's file format); the caller owns `*p_out`. A missing or corrupt file returns an error, never a partial index.
#[no_mangle]
pub unsafe extern "C" fn faissx_read_index_fname(
    fname: *const c_char,
    io_flags: c_int,
    p_out: *mut *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(fname, "fname")?;
        non_null(p_out, "p_out")?;
        if let Some(client) = crate::remote::active_client() {
            let fname = c_str(fname, "fname")?;
            let bytes = std::fs::read(fname)
                .map_err(|e| Error::new(FAISSX_ERR_FAISS, format!("cannot read {fname}: {e}")))?;
            *p_out = RemoteIndex::load(client, bytes, false)?.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_read_index_fname(fname, io_flags, p_out))
    })
}

/// Reads an index through a custom reader; the caller owns `*p_out`.
#[no_mangle]
pub unsafe extern "C" fn faissx_read_index_custom(
    io_reader: *mut FaissIOReader,
    io_flags: c_int,
    p_out: *mut *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(io_reader, "io_reader")?;
        non_null(p_out, "p_out")?;
        read_then_upload(p_out, false, |out| {
            faiss_status(sys::faiss_read_index_custom(io_reader, io_flags, out))
        })
    })
}

/// Writes a binary index to an open `FILE*`.
#[no_mangle]
pub unsafe extern "C" fn faissx_write_index_binary(
    idx: *const FaissIndexBinary,
    f: *mut libc::FILE,
) -> c_int {
    boundary!({
        non_null(idx, "idx")?;
        non_null(f, "f")?;
        if let Some(remote) = as_remote(idx) {
            let bytes = remote.save()?;
            if libc::fwrite(bytes.as_ptr().cast(), 1, bytes.len(), f) != bytes.len() {
                return Err(Error::io("fwrite failed"));
            }
            return Ok(());
        }
        faiss_status(sys::faiss_write_index_binary(idx, f))
    })
}

/// Writes a binary index to the file `fname`.
#[no_mangle]
pub unsafe extern "C" fn faissx_write_index_binary_fname(
    idx: *const FaissIndexBinary,
    fname: *const c_char,
) -> c_int {
    boundary!({
        non_null(idx, "idx")?;
        non_null(fname, "fname")?;
        if let Some(remote) = as_remote(idx) {
            let fname = c_str(fname, "fname")?;
            std::fs::write(fname, remote.save()?)
                .map_err(|e| Error::new(FAISSX_ERR_FAISS, format!("cannot write {fname}: {e}")))?;
            return Ok(());
        }
        faiss_status(sys::faiss_write_index_binary_fname(idx, fname))
    })
}

/// Writes a binary index through a custom writer.
#[no_mangle]
pub unsafe extern "C" fn faissx_write_index_binary_custom(
    idx: *const FaissIndexBinary,
    io_writer: *mut FaissIOWriter,
) -> c_int {
    boundary!({
        non_null(idx, "idx")?;
        non_null(io_writer, "io_writer")?;
        if let Some(remote) = as_remote(idx) {
            // As faissx_write_index_custom: FAISS writes a fresh copy of the server's index.
            let copy = LocalIndex::load(&remote.save()?, true)?;
            let RawIndex::Binary(local) = copy.raw() else {
                return Err(Error::invalid("idx is not a binary index"));
            };
            return faiss_status(sys::faiss_write_index_binary_custom(local, io_writer));
        }
        faiss_status(sys::faiss_write_index_binary_custom(idx, io_writer))
    })
}

/// Reads a binary index from an open `FILE*`; the caller owns `*p_out`.
#[no_mangle]
pub unsafe extern "C" fn faissx_read_index_binary(
    f: *mut libc::FILE,
    io_flags: c_int,
    p_out: *mut *mut FaissIndexBinary,
) -> c_int {
    boundary!({
        non_null(f, "f")?;
        non_null(p_out, "p_out")?;
        read_then_upload(p_out, true, |out| {
            faiss_status(sys::faiss_read_index_binary(f, io_flags, out))
        })
    })
}

/// Reads a binary index from the file `fname`; the caller owns `*p_out`.
#[no_mangle]
pub unsafe extern "C" fn faissx_read_index_binary_fname(
    fname: *const c_char,
    io_flags: c_int,
    p_out: *mut *mut FaissIndexBinary,
) -> c_int {
    boundary!({
        non_null(fname, "fname")?;
        non_null(p_out, "p_out")?;
        if let Some(client) = crate::remote::active_client() {
            let fname = c_str(fname, "fname")?;
            let bytes = std::fs::read(fname)
                .map_err(|e| Error::new(FAISSX_ERR_FAISS, format!("cannot read {fname}: {e}")))?;
            *p_out = RemoteIndex::load(client, bytes, true)?.cast();
            return Ok(());
        }
        faiss_status(sys::faiss_read_index_binary_fname(fname, io_flags, p_out))
    })
}

/// Reads a binary index through a custom reader; the caller owns `*p_out`.
#[no_mangle]
pub unsafe extern "C" fn faissx_read_index_binary_custom(
    io_reader: *mut FaissIOReader,
    io_flags: c_int,
    p_out: *mut *mut FaissIndexBinary,
) -> c_int {
    boundary!({
        non_null(io_reader, "io_reader")?;
        non_null(p_out, "p_out")?;
        read_then_upload(p_out, true, |out| {
            faiss_status(sys::faiss_read_index_binary_custom(
                io_reader, io_flags, out,
            ))
        })
    })
}

/// Reads a vector transform from the file `fname`; the caller owns `*p_out`.
#[no_mangle]
pub unsafe extern "C" fn faissx_read_VectorTransform_fname(
    fname: *const c_char,
    p_out: *mut *mut FaissVectorTransform,
) -> c_int {
    boundary!({
        non_null(fname, "fname")?;
        non_null(p_out, "p_out")?;
        faiss_status(sys::faiss_read_VectorTransform_fname(fname, p_out))
    })
}

/// Serializes `idx` in FAISS's file format into a new buffer: `*p_buf` (free it with
/// `faissx_free_buf`) holding `*p_size` bytes. `faissx_read_index_buf` and FAISS's
/// `read_index` read it back.
#[no_mangle]
pub unsafe extern "C" fn faissx_write_index_buf(
    idx: *const FaissIndex,
    p_size: *mut usize,
    p_buf: *mut *mut u8,
) -> c_int {
    boundary!({
        non_null(idx, "idx")?;
        non_null(p_size, "p_size")?;
        non_null(p_buf, "p_buf")?;
        if let Some(remote) = as_remote(idx) {
            return remote_bytes_out(remote, p_size, p_buf);
        }
        shim_status(shim::faissx_shim_write_index_buf(idx.cast(), p_size, p_buf))
    })
}

/// Reads an index from `size` bytes at `buf` (FAISS's file format); the bytes are copied, so
/// `buf` may be released afterwards. The caller owns `*p_out`.
#[no_mangle]
pub unsafe extern "C" fn faissx_read_index_buf(
    buf: *const u8,
    size: usize,
    io_flags: c_int,
    p_out: *mut *mut FaissIndex,
) -> c_int {
    boundary!({
        non_null(buf, "buf")?;
        non_null(p_out, "p_out")?;
        if let Some(client) = crate::remote::active_client() {
            *p_out = RemoteIndex::load(client, slice(buf, size).to_vec(), false)?.cast();
            return Ok(());
        }
        shim_status(shim::faissx_shim_read_index_buf(
            buf,
            size,
            io_flags,
            p_out.cast(),
        ))
    })
}

/// Serializes a binary index into a new buffer, as `faissx_write_index_buf`.
#[no_mangle]
pub unsafe extern "C" fn faissx_write_index_binary_buf(
    idx: *const FaissIndexBinary,
    p_size: *mut usize,
    p_buf: *mut *mut u8,
) -> c_int {
    boundary!({
        non_null(idx, "idx")?;
        non_null(p_size, "p_size")?;
        non_null(p_buf, "p_buf")?;
        if let Some(remote) = as_remote(idx) {
            return remote_bytes_out(remote, p_size, p_buf);
        }
        shim_status(shim::faissx_shim_write_index_binary_buf(
            idx.cast(),
            p_size,
            p_buf,
        ))
    })
}

/// Reads a binary index from a buffer, as `faissx_read_index_buf`.
#[no_mangle]
pub unsafe extern "C" fn faissx_read_index_binary_buf(
    buf: *const u8,
    size: usize,
    io_flags: c_int,
    p_out: *mut *mut FaissIndexBinary,
) -> c_int {
    boundary!({
        non_null(buf, "buf")?;
        non_null(p_out, "p_out")?;
        if let Some(client) = crate::remote::active_client() {
            *p_out = RemoteIndex::load(client, slice(buf, size).to_vec(), true)?.cast();
            return Ok(());
        }
        shim_status(shim::faissx_shim_read_index_binary_buf(
            buf,
            size,
            io_flags,
            p_out.cast(),
        ))
    })
}

/// Frees a buffer from `faissx_write_index_buf` / `faissx_write_index_binary_buf` and sets
/// `*p_buf` to NULL. NULL and `*p_buf == NULL` are no-ops.
#[no_mangle]
pub unsafe extern "C" fn faissx_free_buf(p_buf: *mut *mut u8) {
    boundary!((), {
        if !p_buf.is_null() {
            libc::free((*p_buf).cast());
            *p_buf = std::ptr::null_mut();
        }
        Ok(())
    })
}
