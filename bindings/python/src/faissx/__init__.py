"""faissx: FAISS through libfaissx, in this process or on a shared faissx-server.

``from faissx import client as faiss`` gives FAISS's Python API (see :mod:`faissx.client`).
Failed libfaissx calls raise :class:`FaissxError` (with ``code`` and ``message``).
"""

from ._native import lib as _lib
from .errors import (
    AuthError,
    FaissError,
    FaissxError,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
    TransportError,
    UnsupportedError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "library_version",
    "get_include",
    "FaissxError",
    "FaissError",
    "InvalidArgumentError",
    "UnsupportedError",
    "TransportError",
    "AuthError",
    "NotFoundError",
    "ServerError",
]


def library_version() -> str:
    """libfaissx's version string: ``"faissx X.Y.Z (FAISS A.B.C)"``."""
    return _lib.faissx_version().decode()


def get_include() -> str:
    """The folder holding ``faissx_c.h``, libfaissx's C header, shipped with the wheel for C
    code that links the same library: pass its path, ``faissx._native.library_path``, to the
    linker (the file is named by its SONAME, libfaissx.so.0, so ``-lfaissx`` does not find it)."""
    import os

    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")
    if os.path.isfile(os.path.join(here, "faissx_c.h")):
        return here
    # A source checkout (FAISSX_LIBRARY pointing at target/release): the repository's header.
    return os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "include")
    )
