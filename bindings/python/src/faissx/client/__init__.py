"""FAISS's Python API on libfaissx, locally or against a faissx-server.

Replace ``import faiss`` with::

    from faissx import client as faiss

and FAISS code runs unchanged in this process (local mode, the default). After::

    faiss.configure(server="tcp://host:45678", api_key="key", tenant_id="tenant")

(or with ``FAISSX_SERVER``, ``FAISSX_API_KEY``, ``FAISSX_TENANT_ID`` in the environment when
the first index is created) new indexes live on the faissx-server and every call goes there,
with the same results. There is no fallback: a failed remote call raises
:class:`faissx.FaissxError` (``TransportError`` when the server cannot be reached).
Indexes created before ``configure`` stay local; :func:`use_local` turns remote mode off for
indexes created afterwards.
"""

from __future__ import annotations

import os
from ctypes import POINTER, byref, c_size_t, c_uint8, c_void_p
from typing import List, Optional, Sequence, Union

import numpy as np

from .._native import check, lib, text
from ..errors import (
    AuthError,
    FaissError,
    FaissxError,
    InvalidArgumentError,
    NotFoundError,
    TransportError,
    UnsupportedError,
)
from . import _arrays
from .index import (
    METRIC_INNER_PRODUCT,
    METRIC_L1,
    METRIC_L2,
    METRIC_Linf,
    IDSelectorBatch,
    IDSelectorRange,
    Index,
    IndexBinary,
    IndexBinaryFlat,
    IndexBinaryIVF,
    IndexFlat,
    IndexFlatIP,
    IndexFlatL2,
    IndexHNSW,
    IndexHNSWFlat,
    IndexIDMap,
    IndexIDMap2,
    IndexIVF,
    IndexIVFFlat,
    IndexIVFPQ,
    IndexIVFScalarQuantizer,
    IndexPQ,
    IndexScalarQuantizer,
    ScalarQuantizer,
    _wrap_binary,
    _wrap_index,
)

__all__ = [
    "configure",
    "use_local",
    "ping",
    "remote_open",
    "index_factory",
    "index_binary_factory",
    "write_index",
    "read_index",
    "write_index_binary",
    "read_index_binary",
    "serialize_index",
    "deserialize_index",
    "serialize_index_binary",
    "deserialize_index_binary",
    "clone_index",
    "normalize_L2",
    "merge_indices",
    "split_index",
    "METRIC_L2",
    "METRIC_INNER_PRODUCT",
    "METRIC_L1",
    "METRIC_Linf",
    "IO_FLAG_READ_ONLY",
    "IO_FLAG_MMAP",
    "ScalarQuantizer",
    "IDSelectorBatch",
    "IDSelectorRange",
    "Index",
    "IndexFlat",
    "IndexFlatL2",
    "IndexFlatIP",
    "IndexIVF",
    "IndexIVFFlat",
    "IndexIVFPQ",
    "IndexIVFScalarQuantizer",
    "IndexHNSW",
    "IndexHNSWFlat",
    "IndexPQ",
    "IndexScalarQuantizer",
    "IndexIDMap",
    "IndexIDMap2",
    "IndexBinary",
    "IndexBinaryFlat",
    "IndexBinaryIVF",
    "FaissxError",
    "FaissError",
    "InvalidArgumentError",
    "UnsupportedError",
    "TransportError",
    "AuthError",
    "NotFoundError",
]

# FAISS's C++ IO flags (faiss/index_io.h), which libfaissx passes to FAISS unchanged.
IO_FLAG_READ_ONLY = 2
IO_FLAG_SKIP_IVF_DATA = 8
IO_FLAG_MMAP = IO_FLAG_SKIP_IVF_DATA | 0x646F0000

DEFAULT_SERVER = "tcp://localhost:45678"


def configure(
    server: Optional[str] = None,
    api_key: Optional[str] = None,
    tenant_id: Optional[str] = None,
) -> None:
    """Turns remote mode on: indexes created from now on live on the faissx-server at
    ``server`` (``"tcp://host:45678"`` or ``"host:45678"``).

    Arguments left out come from ``FAISSX_SERVER`` (default ``tcp://localhost:45678``),
    ``FAISSX_API_KEY`` and ``FAISSX_TENANT_ID``. Nothing is sent yet: a wrong address or key
    shows at the first index created (or at :func:`ping`).
    """
    server = server or os.environ.get("FAISSX_SERVER") or DEFAULT_SERVER
    if api_key is None:
        api_key = os.environ.get("FAISSX_API_KEY") or None
    if tenant_id is None:
        tenant_id = os.environ.get("FAISSX_TENANT_ID") or None
    check(lib.faissx_configure(text(server), text(api_key), text(tenant_id)), "configure")


def use_local() -> None:
    """Turns remote mode off: indexes created from now on run in this process. Indexes
    already on a server stay there."""
    check(lib.faissx_configure(None, None, None), "use_local")


def ping() -> None:
    """Checks that the configured server answers and accepts the credentials; raises
    :class:`TransportError`, :class:`AuthError`, ... otherwise."""
    check(lib.faissx_ping(), "ping")


def remote_open(name: str) -> Index:
    """Opens the index ``name`` (another service's ``index.remote_name``) of this tenant on
    the configured server. Dropping the returned object leaves the index on the server."""
    handle = c_void_p()
    check(lib.faissx_remote_open(text(name), byref(handle)), f"remote_open({name!r})")
    return _wrap_index(handle.value)


def index_factory(d: int, description: str, metric: int = METRIC_L2) -> Index:
    """An index from a FAISS factory string: ``"Flat"``, ``"IVF100,Flat"``, ``"HNSW32"``,
    ``"IVF256,PQ16"``, ``"IDMap,Flat"``, ``"SQ8"``, ... The object is of the matching class
    (``IndexIVFFlat``, ...) where faissx.client has one."""
    d = _arrays.count(d, "d")
    if not isinstance(description, str):
        raise TypeError(f"description must be a str, got {type(description).__name__}")
    handle = c_void_p()
    check(
        lib.faissx_index_factory(byref(handle), d, text(description), int(metric)),
        f"index_factory({description!r})",
    )
    return _wrap_index(handle.value)


def index_binary_factory(d: int, description: str) -> IndexBinary:
    """A binary index from a factory string (``"BFlat"``, ``"BIVF64"``); d in bits."""
    d = _arrays.count(d, "d")
    handle = c_void_p()
    check(
        lib.faissx_index_binary_factory(byref(handle), d, text(description)),
        f"index_binary_factory({description!r})",
    )
    return _wrap_binary(handle.value)


def _path(fname: Union[str, "os.PathLike[str]"]) -> bytes:
    return os.fsencode(os.fspath(fname))


def write_index(index: Union[Index, IndexBinary], fname: Union[str, "os.PathLike[str]"]) -> None:
    """Writes the index to ``fname`` in FAISS's file format (FAISS's ``faiss.read_index``
    reads it). A remote index is written on this side: its bytes come over the wire."""
    if isinstance(index, IndexBinary):
        write_index_binary(index, fname)
        return
    if not isinstance(index, Index):
        raise TypeError(f"write_index needs a faissx index, got {type(index).__name__}")
    check(lib.faissx_write_index_fname(index._h, _path(fname)), f"write_index({fname!s})")


def read_index(fname: Union[str, "os.PathLike[str]"], io_flags: Optional[int] = None) -> Index:
    """Reads an index written by FAISS or faissx. In remote mode the index is created on
    the server (the file is read here and sent).

    With ``memory_manager.set_option('use_memory_mapping', True)`` (or
    ``io_flags=IO_FLAG_MMAP``), a local read maps the inverted lists of IVF indexes from the
    file instead of loading them, as FAISS does (other kinds are loaded); such an index is
    read-only (writes raise ``ValueError``), and the file must stay unchanged while it lives.
    """
    from .optimization import memory_manager

    if io_flags is None:
        io_flags = IO_FLAG_MMAP if memory_manager.get_option("use_memory_mapping") else 0
    handle = c_void_p()
    check(
        lib.faissx_read_index_fname(_path(fname), int(io_flags), byref(handle)),
        f"read_index({fname!s})",
    )
    index = _wrap_index(handle.value)
    if io_flags & IO_FLAG_MMAP == IO_FLAG_MMAP and not index.is_remote:
        index._mapped_from = os.fspath(fname)
    return index


def write_index_binary(index: IndexBinary, fname: Union[str, "os.PathLike[str]"]) -> None:
    """Writes a binary index in FAISS's file format."""
    if not isinstance(index, IndexBinary):
        raise TypeError(f"write_index_binary needs a binary index, got {type(index).__name__}")
    check(
        lib.faissx_write_index_binary_fname(index._h, _path(fname)),
        f"write_index_binary({fname!s})",
    )


def read_index_binary(fname: Union[str, "os.PathLike[str]"], io_flags: int = 0) -> IndexBinary:
    """Reads a binary index written by FAISS or faissx."""
    handle = c_void_p()
    check(
        lib.faissx_read_index_binary_fname(_path(fname), int(io_flags), byref(handle)),
        f"read_index_binary({fname!s})",
    )
    return _wrap_binary(handle.value)


def _take_buffer(writer, handle: int, what: str) -> np.ndarray:
    size = c_size_t(0)
    buf = POINTER(c_uint8)()
    check(writer(handle, byref(size), byref(buf)), what)
    try:
        return (
            np.ctypeslib.as_array(buf, shape=(size.value,)).copy()
            if size.value
            else (np.empty(0, dtype=np.uint8))
        )
    finally:
        lib.faissx_free_buf(byref(buf))


def _bytes(data: np.ndarray, what: str) -> np.ndarray:
    if isinstance(data, (bytes, bytearray)):
        data = np.frombuffer(data, dtype=np.uint8)
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 1:
        raise TypeError(f"{what} needs a 1-D uint8 numpy array (or bytes)")
    return np.ascontiguousarray(data)


def serialize_index(index: Index) -> np.ndarray:
    """The index in FAISS's file format, as a uint8 array (``faiss.deserialize_index``
    reads it)."""
    return _take_buffer(lib.faissx_write_index_buf, index._h, "serialize_index")


def deserialize_index(data: np.ndarray, io_flags: int = 0) -> Index:
    """An index from FAISS's file format in a uint8 array (``faiss.serialize_index``'s
    output); created on the server in remote mode."""
    data = _bytes(data, "deserialize_index")
    handle = c_void_p()
    check(
        lib.faissx_read_index_buf(data.ctypes.data, data.shape[0], int(io_flags), byref(handle)),
        "deserialize_index",
    )
    return _wrap_index(handle.value)


def serialize_index_binary(index: IndexBinary) -> np.ndarray:
    return _take_buffer(lib.faissx_write_index_binary_buf, index._h, "serialize_index_binary")


def deserialize_index_binary(data: np.ndarray, io_flags: int = 0) -> IndexBinary:
    data = _bytes(data, "deserialize_index_binary")
    handle = c_void_p()
    check(
        lib.faissx_read_index_binary_buf(
            data.ctypes.data, data.shape[0], int(io_flags), byref(handle)
        ),
        "deserialize_index_binary",
    )
    return _wrap_binary(handle.value)


def normalize_L2(x: np.ndarray) -> None:
    """Scales each row of ``x`` (float32, (n, d), C-contiguous) to unit L2 norm, in place, as
    ``faiss.normalize_L2``: inner product on normalized vectors is cosine similarity."""
    if not isinstance(x, np.ndarray) or x.ndim != 2:
        raise ValueError("normalize_L2 needs a 2-D float32 numpy array")
    x = _arrays.matrix(x, np.float32, x.shape[1], "x")
    if not x.flags.writeable:
        raise ValueError("normalize_L2 writes x in place: it must be writeable")
    lib.faissx_fvec_renorm_L2(x.shape[1], x.shape[0], x.ctypes.data)


def clone_index(index: Index) -> Index:
    """A deep copy (on the same server for a remote index)."""
    handle = c_void_p()
    check(lib.faissx_clone_index(index._h, byref(handle)), "clone_index")
    return _wrap_index(handle.value)


def merge_indices(indices: Sequence[Index]) -> Index:
    """A new index holding the vectors of every index in ``indices`` (one kind, same
    parameters), in order. The sources are unchanged. Where labels are positions (flat, PQ,
    scalar quantizer), those of each index continue after the vectors before it; explicit
    ids (IDMap, IVF) are kept. All local, or all on one server (the result is made there)."""
    indices = list(indices)
    if not indices:
        raise ValueError("merge_indices needs at least one index")
    for i, index in enumerate(indices):
        if not isinstance(index, Index):
            raise TypeError(f"merge_indices: item {i} is a {type(index).__name__}, not an index")
    handles = (c_void_p * len(indices))(*[index._h for index in indices])
    out = c_void_p()
    check(lib.faissx_merge_indices(handles, len(indices), byref(out)), "merge_indices")
    return _wrap_index(out.value)


def split_index(index: Index, num_parts: int = 2) -> List[Index]:
    """``num_parts`` new indexes of the same kind, each holding a near-equal consecutive share
    of the vectors; ids are kept (where labels are positions, part k's labels start at 0, as
    in IndexShards). ``merge_indices`` of the parts gives the index back."""
    if not isinstance(index, Index):
        raise TypeError(f"split_index needs a faissx index, got {type(index).__name__}")
    num_parts = _arrays.count(num_parts, "num_parts")
    out = (c_void_p * num_parts)()
    check(lib.faissx_split_index(index._h, num_parts, out), "split_index")
    return [_wrap_index(out[i]) for i in range(num_parts)]


# The FAISSx client's submodules, importable as attributes too.
from . import modification, optimization, recovery  # noqa: E402, F401
