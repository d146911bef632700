"""Memory options, as the FAISSx client's ``memory_manager``, mapped onto libfaissx.

=========================  =====================================================================
option                     what honours it
=========================  =====================================================================
``cache_vectors``          libfaissx's ``cache_vectors``: vectors reconstructed from a remote
                           index (and its ``xb``/``id_map``) are kept on the client until the
                           next write through the same object. Turn it off for indexes that
                           other services modify. Default on.
``max_memory_usage_mb``    libfaissx's ``cache_memory_mb``: the most memory that cache may use,
                           per index. It bounds what the client keeps, not FAISS's indexes:
                           a local index takes the memory its vectors need (FAISS has no
                           limit), and a server bounds its own memory with
                           ``faissx-server --max-memory-mb`` (requests past it fail with an
                           error naming the size asked).
``use_memory_mapping``     :func:`faissx.client.read_index` of a local file maps the inverted
                           lists of IVF indexes from the file (FAISS's ``IO_FLAG_MMAP``)
                           instead of reading them into memory; other kinds are loaded.
                           Such an index is read-only (FAISS would abort the process on a
                           write to mapped lists, so writes raise ``ValueError``). In remote
                           mode the file's bytes are sent to the server, which holds the
                           index in memory: the option changes nothing there.
``timeout_ms``,            libfaissx's options of the same name (see ``faissx_set_option`` in
``connect_timeout_ms``,    ``faissx_c.h``).
``cache_memory_mb``,
``spin_wait_us``,
``heartbeat_ms``,
``io_threads``,
``server_public_key``
=========================  =====================================================================

Unknown names raise ``ValueError``: an option that does nothing must not look accepted.
"""

from __future__ import annotations

import numbers
from typing import Any, Dict

from ..._native import check, lib

__all__ = ["set_option", "get_option", "get_options"]

_values: Dict[str, Any] = {
    "cache_vectors": True,
    "max_memory_usage_mb": 256,
    "use_memory_mapping": False,
    "timeout_ms": 30000,
    "connect_timeout_ms": 5000,
    "cache_memory_mb": 256,
    "spin_wait_us": 500,
    "heartbeat_ms": 5000,
    "io_threads": 1,
    "server_public_key": "",
}

_PASSED_THROUGH = (
    "timeout_ms",
    "connect_timeout_ms",
    "cache_memory_mb",
    "spin_wait_us",
    "heartbeat_ms",
    "io_threads",
)


def _native(name: str, value: str) -> None:
    check(lib.faissx_set_option(name.encode(), value.encode()), f"set_option({name!r})")


def _megabytes(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{name} must be a number of megabytes >= 0, got {value!r}")
    return int(value)


def set_option(name: str, value: Any) -> None:
    """Sets one option (see the module's table)."""
    if name == "cache_vectors":
        if not isinstance(value, bool):
            raise TypeError(f"cache_vectors must be True or False, got {value!r}")
        _native("cache_vectors", "on" if value else "off")
    elif name in ("max_memory_usage_mb", "cache_memory_mb"):
        mb = _megabytes(name, value)
        _native("cache_memory_mb", str(mb))
        _values["max_memory_usage_mb"] = _values["cache_memory_mb"] = mb
        return
    elif name == "use_memory_mapping":
        if not isinstance(value, bool):
            raise TypeError(f"use_memory_mapping must be True or False, got {value!r}")
    elif name in _PASSED_THROUGH:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        _native(name, str(int(value)))
    elif name == "server_public_key":
        if not isinstance(value, str):
            raise TypeError("server_public_key must be a str (40 Z85 characters, or '')")
        _native(name, value)
    else:
        raise ValueError(
            f"unknown memory_manager option {name!r}; known: {', '.join(sorted(_values))}"
        )
    _values[name] = value


def get_option(name: str) -> Any:
    """The value last set for ``name`` (or its default)."""
    if name not in _values:
        raise ValueError(f"unknown memory_manager option {name!r}")
    return _values[name]


def get_options() -> Dict[str, Any]:
    return dict(_values)
