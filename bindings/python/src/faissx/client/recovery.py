"""Retries when the faissx-server cannot be reached, as the FAISSx client's
``faissx.client.recovery``.

:func:`configure_recovery` sets libfaissx's own policy: requests that are safe to repeat
(searches, reads, parameter changes) are retried inside libfaissx with exponential backoff.
Adds, trains and removals are never retried there, because a request that reached the server
before its reply was lost would be applied twice. :func:`with_retry` is the caller asking to
retry one call anyway, with the same policy, on :class:`faissx.TransportError` only (every
other error is raised at once).
"""

from __future__ import annotations

import time
from typing import Any, Callable, TypeVar

from .._native import check, lib
from ..errors import TransportError

__all__ = ["configure_recovery", "with_retry", "get_recovery_settings"]

T = TypeVar("T")

_settings = {"max_retries": 3, "initial_backoff": 0.1, "backoff_factor": 2.0}


def configure_recovery(
    max_retries: int = 3, initial_backoff: float = 0.1, backoff_factor: float = 2.0
) -> None:
    """Up to ``max_retries`` more attempts, waiting ``initial_backoff`` seconds, then
    ``backoff_factor`` times longer each time (libfaissx defaults: 3, 0.1 s, 2)."""
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be an integer >= 0, got {max_retries!r}")
    if not initial_backoff >= 0:
        raise ValueError(f"initial_backoff must be >= 0 seconds, got {initial_backoff!r}")
    if not backoff_factor >= 1:
        raise ValueError(f"backoff_factor must be >= 1, got {backoff_factor!r}")
    check(
        lib.faissx_configure_recovery(max_retries, float(initial_backoff), float(backoff_factor)),
        "configure_recovery",
    )
    _settings.update(
        max_retries=max_retries,
        initial_backoff=float(initial_backoff),
        backoff_factor=float(backoff_factor),
    )


def get_recovery_settings() -> dict:
    """The settings of the last :func:`configure_recovery` (or the defaults)."""
    return dict(_settings)


def with_retry(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func(*args, **kwargs)``, called again after a backoff when it raises
    :class:`faissx.TransportError`, up to ``max_retries`` more times; the last error is
    raised. Retrying an add whose request reached the server can add its vectors twice."""
    delay = _settings["initial_backoff"]
    attempts_left = _settings["max_retries"]
    while True:
        try:
            return func(*args, **kwargs)
        except TransportError:
            if attempts_left <= 0:
                raise
            attempts_left -= 1
            time.sleep(delay)
            delay *= _settings["backoff_factor"]
