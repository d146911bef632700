"""ctypes declarations of the libfaissx functions the Python package calls, and the one place
where a failed call becomes a Python exception.

The library is found next to this file (``_lib/libfaissx.so.0``, where the wheel puts it under
its SONAME), or
at the path in ``FAISSX_LIBRARY`` (for a library built in a source tree).
"""

from __future__ import annotations

import ctypes
import os
from ctypes import (
    POINTER,
    c_char_p,
    c_double,
    c_float,
    c_int,
    c_int64,
    c_size_t,
    c_uint8,
    c_void_p,
)
from typing import Any, Dict, Optional

from .errors import error_for

__all__ = ["lib", "check", "library_path"]


def _find_library() -> str:
    override = os.environ.get("FAISSX_LIBRARY")
    if override:
        return override
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_lib", "libfaissx.so.0")


library_path = _find_library()
try:
    lib = ctypes.CDLL(library_path)
except OSError as error:  # pragma: no cover - depends on the installation
    raise ImportError(
        f"faissx cannot load libfaissx from {library_path}: {error}. Reinstall the faissx "
        "wheel, or point FAISSX_LIBRARY at a libfaissx.so built with `cargo build --release`."
    ) from error

P = c_void_p  # every FAISS handle is opaque to Python
PP = POINTER(c_void_p)
idx_t = c_int64

# name: (restype, argtypes). Fallible functions return int (0 or a negative code).
_SIGNATURES: Dict[str, Any] = {
    "faissx_get_last_error": (c_char_p, []),
    "faissx_get_last_error_code": (c_int, []),
    "faissx_clear_last_error": (None, []),
    "faissx_version": (c_char_p, []),
    "faissx_get_version": (c_char_p, []),
    "faissx_configure": (c_int, [c_char_p, c_char_p, c_char_p]),
    "faissx_configure_recovery": (c_int, [c_int, c_double, c_double]),
    "faissx_set_option": (c_int, [c_char_p, c_char_p]),
    "faissx_remote_open": (c_int, [c_char_p, PP]),
    "faissx_remote_name": (c_char_p, [P]),
    "faissx_is_remote": (c_int, [P]),
    "faissx_ping": (c_int, []),
    # Index
    "faissx_Index_free": (None, [P]),
    "faissx_Index_d": (c_int, [P]),
    "faissx_Index_is_trained": (c_int, [P]),
    "faissx_Index_ntotal": (idx_t, [P]),
    "faissx_Index_metric_type": (c_int, [P]),
    "faissx_Index_verbose": (c_int, [P]),
    "faissx_Index_set_verbose": (None, [P, c_int]),
    "faissx_Index_train": (c_int, [P, idx_t, P]),
    "faissx_Index_add": (c_int, [P, idx_t, P]),
    "faissx_Index_add_with_ids": (c_int, [P, idx_t, P, P]),
    "faissx_Index_search": (c_int, [P, idx_t, P, idx_t, P, P]),
    "faissx_Index_range_search": (c_int, [P, idx_t, P, c_float, P]),
    "faissx_Index_assign": (c_int, [P, idx_t, P, P, idx_t]),
    "faissx_Index_reset": (c_int, [P]),
    "faissx_Index_remove_ids": (c_int, [P, P, POINTER(c_size_t)]),
    "faissx_Index_reconstruct": (c_int, [P, idx_t, P]),
    "faissx_Index_reconstruct_n": (c_int, [P, idx_t, idx_t, P]),
    "faissx_Index_merge_from": (c_int, [P, P, idx_t]),
    # IndexBinary
    "faissx_IndexBinary_free": (None, [P]),
    "faissx_IndexBinary_d": (c_int, [P]),
    "faissx_IndexBinary_is_trained": (c_int, [P]),
    "faissx_IndexBinary_ntotal": (idx_t, [P]),
    "faissx_IndexBinary_metric_type": (c_int, [P]),
    "faissx_IndexBinary_train": (c_int, [P, idx_t, P]),
    "faissx_IndexBinary_add": (c_int, [P, idx_t, P]),
    "faissx_IndexBinary_add_with_ids": (c_int, [P, idx_t, P, P]),
    "faissx_IndexBinary_search": (c_int, [P, idx_t, P, idx_t, P, P]),
    "faissx_IndexBinary_range_search": (c_int, [P, idx_t, P, c_int, P]),
    "faissx_IndexBinary_reset": (c_int, [P]),
    "faissx_IndexBinary_remove_ids": (c_int, [P, P, POINTER(c_size_t)]),
    "faissx_IndexBinary_reconstruct": (c_int, [P, idx_t, P]),
    "faissx_IndexBinary_reconstruct_n": (c_int, [P, idx_t, idx_t, P]),
    "faissx_IndexBinaryFlat_new_with": (c_int, [PP, idx_t]),
    "faissx_IndexBinaryFlat_cast": (P, [P]),
    "faissx_IndexBinaryIVF_new_with": (c_int, [PP, P, c_size_t, c_size_t]),
    "faissx_IndexBinaryIVF_cast": (P, [P]),
    "faissx_IndexBinaryIVF_nlist": (c_size_t, [P]),
    "faissx_IndexBinaryIVF_nprobe": (c_size_t, [P]),
    "faissx_IndexBinaryIVF_set_nprobe": (None, [P, c_size_t]),
    "faissx_IndexBinaryIVF_set_own_fields": (None, [P, c_int]),
    "faissx_index_binary_factory": (c_int, [PP, c_int, c_char_p]),
    # constructors and casts
    "faissx_index_factory": (c_int, [PP, c_int, c_char_p, c_int]),
    "faissx_IndexFlat_new_with": (c_int, [PP, idx_t, c_int]),
    "faissx_IndexFlatL2_new_with": (c_int, [PP, idx_t]),
    "faissx_IndexFlatIP_new_with": (c_int, [PP, idx_t]),
    "faissx_IndexFlat_cast": (P, [P]),
    "faissx_IndexFlatL2_cast": (P, [P]),
    "faissx_IndexFlatIP_cast": (P, [P]),
    "faissx_IndexIVF_cast": (P, [P]),
    "faissx_IndexIVF_nlist": (c_size_t, [P]),
    "faissx_IndexIVF_nprobe": (c_size_t, [P]),
    "faissx_IndexIVF_set_nprobe": (None, [P, c_size_t]),
    "faissx_IndexIVF_quantizer": (P, [P]),
    "faissx_IndexIVF_set_own_fields": (None, [P, c_int]),
    "faissx_IndexIVFFlat_new_with_metric": (c_int, [PP, P, c_size_t, c_size_t, c_int]),
    "faissx_IndexIVFFlat_cast": (P, [P]),
    "faissx_IndexIVFPQ_new_with_metric": (
        c_int,
        [PP, P, c_size_t, c_size_t, c_size_t, c_size_t, c_int],
    ),
    "faissx_IndexIVFPQ_cast": (P, [P]),
    "faissx_IndexIVFPQ_M": (c_size_t, [P]),
    "faissx_IndexIVFPQ_nbits": (c_size_t, [P]),
    "faissx_IndexIVFScalarQuantizer_new_with_metric": (
        c_int,
        [PP, P, c_size_t, c_size_t, c_int, c_int, c_int],
    ),
    "faissx_IndexIVFScalarQuantizer_cast": (P, [P]),
    "faissx_IndexPQ_new_with": (c_int, [PP, c_int, c_size_t, c_size_t, c_int]),
    "faissx_IndexPQ_cast": (P, [P]),
    "faissx_IndexPQ_M": (c_size_t, [P]),
    "faissx_IndexPQ_nbits": (c_size_t, [P]),
    "faissx_IndexScalarQuantizer_new_with": (c_int, [PP, idx_t, c_int, c_int]),
    "faissx_IndexScalarQuantizer_cast": (P, [P]),
    "faissx_IndexHNSWFlat_new_with_metric": (c_int, [PP, c_int, c_int, c_int]),
    "faissx_IndexHNSWFlat_cast": (P, [P]),
    "faissx_IndexHNSW_cast": (P, [P]),
    "faissx_IndexHNSW_M": (c_int, [P]),
    "faissx_IndexHNSW_efSearch": (c_int, [P]),
    "faissx_IndexHNSW_set_efSearch": (None, [P, c_int]),
    "faissx_IndexHNSW_efConstruction": (c_int, [P]),
    "faissx_IndexHNSW_set_efConstruction": (None, [P, c_int]),
    "faissx_IndexIDMap_new": (c_int, [PP, P]),
    "faissx_IndexIDMap_cast": (P, [P]),
    "faissx_IndexIDMap_id_map": (None, [P, POINTER(POINTER(idx_t)), POINTER(c_size_t)]),
    "faissx_IndexIDMap_sub_index": (P, [P]),
    "faissx_IndexIDMap2_new": (c_int, [PP, P]),
    "faissx_IndexIDMap2_cast": (P, [P]),
    # selectors, range search results, parameters
    "faissx_IDSelectorBatch_new": (c_int, [PP, c_size_t, P]),
    "faissx_IDSelectorRange_new": (c_int, [PP, idx_t, idx_t]),
    "faissx_IDSelector_free": (None, [P]),
    "faissx_RangeSearchResult_new": (c_int, [PP, idx_t]),
    "faissx_RangeSearchResult_free": (None, [P]),
    "faissx_RangeSearchResult_lims": (None, [P, POINTER(POINTER(c_size_t))]),
    "faissx_RangeSearchResult_labels": (
        None,
        [P, POINTER(POINTER(idx_t)), POINTER(POINTER(c_float))],
    ),
    "faissx_ParameterSpace_new": (c_int, [PP]),
    "faissx_ParameterSpace_free": (None, [P]),
    "faissx_ParameterSpace_set_index_parameter": (c_int, [P, P, c_char_p, c_double]),
    "faissx_fvec_renorm_L2": (None, [c_size_t, c_size_t, P]),
    # serialization and index modification
    "faissx_write_index_fname": (c_int, [P, c_char_p]),
    "faissx_read_index_fname": (c_int, [c_char_p, c_int, PP]),
    "faissx_write_index_binary_fname": (c_int, [P, c_char_p]),
    "faissx_read_index_binary_fname": (c_int, [c_char_p, c_int, PP]),
    "faissx_write_index_buf": (c_int, [P, POINTER(c_size_t), POINTER(POINTER(c_uint8))]),
    "faissx_read_index_buf": (c_int, [P, c_size_t, c_int, PP]),
    "faissx_write_index_binary_buf": (
        c_int,
        [P, POINTER(c_size_t), POINTER(POINTER(c_uint8))],
    ),
    "faissx_read_index_binary_buf": (c_int, [P, c_size_t, c_int, PP]),
    "faissx_free_buf": (None, [POINTER(POINTER(c_uint8))]),
    "faissx_clone_index": (c_int, [P, PP]),
    "faissx_merge_indices": (c_int, [PP, c_size_t, PP]),
    "faissx_split_index": (c_int, [P, c_size_t, PP]),
}

for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _fn = getattr(lib, _name)
    _fn.restype = _restype
    _fn.argtypes = _argtypes


def last_error() -> str:
    message = lib.faissx_get_last_error()
    return message.decode("utf-8", "replace") if message else "(libfaissx gave no message)"


def check(code: int, operation: str) -> None:
    """Raises the exception for a libfaissx return code; 0 returns.

    The message is read right after the call, on the same thread: libfaissx keeps it per
    thread, and ctypes runs the call on the calling thread.
    """
    if code != 0:
        raise error_for(code, f"{operation}: {last_error()}")


def check_getter(value: Any, operation: str) -> Any:
    """For getters, which cannot return a code: 0/NULL plus a recorded error means failure."""
    if not value and lib.faissx_get_last_error_code() != 0:
        code = lib.faissx_get_last_error_code()
        lib.faissx_clear_last_error()
        raise error_for(code, f"{operation}: {last_error()}")
    return value


def text(value: Optional[str]) -> Optional[bytes]:
    return None if value is None else value.encode("utf-8")
