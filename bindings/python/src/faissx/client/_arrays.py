"""Checks of the numpy arrays handed to libfaissx.

libfaissx reads the caller's buffer in place, so an array must already be what FAISS reads:
C-contiguous, of the index's dtype and width. Rather than copying silently (which doubles the
memory of a large add), a wrong array is refused with a message saying what to change.
"""

from __future__ import annotations

import numbers
from typing import Any, Optional

import numpy as np


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"a numpy array of dtype {x.dtype} and shape {x.shape}"
    return f"a {type(x).__name__}"


def matrix(x: Any, dtype: Any, width: int, what: str, width_name: str = "d") -> np.ndarray:
    """``x`` as an (n, width) C-contiguous array of ``dtype``, or a TypeError/ValueError."""
    dtype = np.dtype(dtype)
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"{what} must be a numpy array of {dtype} with shape (n, {width}), got "
            f"{_describe(x)}; convert it with np.asarray(x, dtype='{dtype}')"
        )
    if x.dtype != dtype:
        raise TypeError(
            f"{what} must have dtype {dtype}, got {x.dtype}; convert it with x.astype('{dtype}')"
        )
    if x.ndim != 2:
        raise ValueError(
            f"{what} must be 2-D with shape (n, {width}), got shape {x.shape}; a single "
            f"vector is x.reshape(1, -1)"
        )
    if x.shape[1] != width:
        raise ValueError(
            f"{what} has {x.shape[1]} columns, but the index has {width_name} = {width}"
        )
    if not x.flags.c_contiguous:
        raise ValueError(
            f"{what} is not C-contiguous (a transposed or strided view?); libfaissx reads "
            f"it in place: pass np.ascontiguousarray(x)"
        )
    return x


def ids(x: Any, n: int, what: str = "ids") -> np.ndarray:
    """``x`` as n contiguous int64 ids."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{what} must be a numpy array of int64, got {_describe(x)}")
    if x.dtype != np.int64:
        raise TypeError(
            f"{what} must have dtype int64, got {x.dtype}; convert it with x.astype('int64')"
        )
    if x.ndim != 1 or x.shape[0] != n:
        raise ValueError(f"{what} must have shape ({n},), got {x.shape}")
    if not x.flags.c_contiguous:
        raise ValueError(f"{what} is not contiguous; pass np.ascontiguousarray({what})")
    return x


def count(value: Any, what: str, minimum: int = 1) -> int:
    """A Python or numpy integer of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an integer, got {type(value).__name__}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value}")
    return value


def output(out: Optional[np.ndarray], shape: tuple, dtype: Any, what: str) -> np.ndarray:
    """A caller-provided result buffer (checked) or a new one."""
    if out is None:
        return np.empty(shape, dtype=dtype)
    dtype = np.dtype(dtype)
    if not isinstance(out, np.ndarray) or out.dtype != dtype or out.shape != shape:
        raise ValueError(
            f"{what} must be a numpy array of {dtype} with shape {shape}, got {_describe(out)}"
        )
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(f"{what} must be C-contiguous and writeable")
    return out
