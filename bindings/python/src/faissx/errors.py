"""Exceptions raised for failed libfaissx calls.

Every failure of a libfaissx call raises a :class:`FaissxError` (a ``RuntimeError``, as FAISS's
own Python raises for its errors) carrying libfaissx's negative return code in ``code`` and its
message in ``message``. Subclasses name the cause, so a service can tell a bad argument from an
unreachable server; input the Python layer rejects before calling libfaissx (a float64 array, a
wrong shape, ``k <= 0``) raises ``TypeError`` or ``ValueError`` instead.
"""

from __future__ import annotations

from typing import Dict, Type

__all__ = [
    "FaissxError",
    "FaissError",
    "InvalidArgumentError",
    "UnsupportedError",
    "IOFailure",
    "TransportError",
    "AuthError",
    "NotFoundError",
    "ProtocolError",
    "ServerError",
    "error_for",
]

# libfaissx's codes (include/faissx_c.h).
ERR_UNKNOWN = -1
ERR_FAISS = -2
ERR_STD = -4
ERR_INVALID_ARGUMENT = -5
ERR_UNSUPPORTED = -6
ERR_IO = -7
ERR_TRANSPORT = -10
ERR_AUTH = -11
ERR_NOT_FOUND = -12
ERR_PROTOCOL = -13
ERR_SERVER = -14


class FaissxError(RuntimeError):
    """A libfaissx call failed: ``code`` is its negative return code, ``message`` its text."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"[faissx error {code}] {message}")
        self.code = code
        self.message = message


class FaissError(FaissxError):
    """FAISS itself rejected the call (code -2 or -4): untrained index, bad factory string..."""


class InvalidArgumentError(FaissxError, ValueError):
    """libfaissx refused an argument before FAISS saw it (code -5)."""


class UnsupportedError(FaissxError):
    """The index does not support the operation here (code -6), e.g. on a remote index."""


class IOFailure(FaissxError, OSError):
    """A file could not be read or written (code -7)."""

    def __init__(self, code: int, message: str) -> None:
        FaissxError.__init__(self, code, message)


class TransportError(FaissxError, ConnectionError):
    """The faissx-server could not be reached, or did not answer in time (code -10)."""

    def __init__(self, code: int, message: str) -> None:
        FaissxError.__init__(self, code, message)


class AuthError(FaissxError, PermissionError):
    """The server refused the API key or tenant (code -11)."""

    def __init__(self, code: int, message: str) -> None:
        FaissxError.__init__(self, code, message)


class NotFoundError(FaissxError, LookupError):
    """The server does not know the index (code -12)."""


class ProtocolError(FaissxError):
    """Client and server do not understand each other (code -13)."""


class ServerError(FaissxError):
    """The server failed while serving the request (code -14)."""


_BY_CODE: Dict[int, Type[FaissxError]] = {
    ERR_FAISS: FaissError,
    ERR_STD: FaissError,
    ERR_INVALID_ARGUMENT: InvalidArgumentError,
    ERR_UNSUPPORTED: UnsupportedError,
    ERR_IO: IOFailure,
    ERR_TRANSPORT: TransportError,
    ERR_AUTH: AuthError,
    ERR_NOT_FOUND: NotFoundError,
    ERR_PROTOCOL: ProtocolError,
    ERR_SERVER: ServerError,
}


def error_for(code: int, message: str) -> FaissxError:
    return _BY_CODE.get(code, FaissxError)(code, message)
