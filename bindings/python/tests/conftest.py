"""Fixtures: real faissx-server processes on free loopback ports, and the local/remote switch.

The server binary is ``$FAISSX_SERVER_BIN`` (run_tests.sh sets it), else the repository's
``target/release/faissx-server``. Without one the remote tests fail rather than skip: a green
run must have exercised remote mode.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator, List

import numpy as np
import pytest

from faissx import client as fx

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

# API key -> tenant of the authenticating server. The last three are the seed README's.
AUTH_KEYS = {
    "test-key": "tenant-a",
    "other-key": "tenant-b",
    "your-key": "your-tenant",
    "test-key-1": "tenant-1",
    "your-api-key": "your-tenant-id",
}


def server_binary() -> Path:
    path = Path(os.environ.get("FAISSX_SERVER_BIN", REPO / "target/release/faissx-server"))
    if not path.is_file():
        raise RuntimeError(
            f"faissx-server not found at {path}: run `cargo build --release` at {REPO} or set "
            "FAISSX_SERVER_BIN"
        )
    return path


class Server:
    """A faissx-server child process; ``endpoint`` is what it printed it listens on."""

    def __init__(self, args: List[str]) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="faissx-py-server-", suffix=".log")
        self.proc = subprocess.Popen(
            [str(server_binary()), "--bind-address", "127.0.0.1", "--log-level", "warn", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        # The server's first stdout line is "listening on tcp://127.0.0.1:PORT" once it serves.
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.proc.kill()
            self.proc.wait()
            self.log.seek(0)
            log = self.log.read().decode(errors="replace")
            raise RuntimeError(f"faissx-server did not start ({line!r}): {log}")
        self.endpoint = line[len("listening on ") :]
        self.port = int(self.endpoint.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()


def start_server(*args: str) -> Server:
    if "--port" not in args:
        args = ("--port", "0") + args
    return Server(list(args))


@pytest.fixture(scope="session")
def auth_server() -> Iterator[Server]:
    """A server that checks API keys (:data:`AUTH_KEYS`)."""
    keys = ",".join(f"{key}:{tenant}" for key, tenant in AUTH_KEYS.items())
    server = start_server("--auth-keys", keys)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def open_server() -> Iterator[Server]:
    """A server without authentication (tenants are what clients say)."""
    server = start_server()
    yield server
    server.stop()


@pytest.fixture(params=["local", "remote"])
def mode(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs a test once locally and once against the authenticating server: indexes the test
    creates live where the mode says (the test checks ``is_remote``)."""
    if request.param == "remote":
        server = request.getfixturevalue("auth_server")
        fx.configure(server.endpoint, "test-key", "tenant-a")
    try:
        yield request.param
    finally:
        fx.use_local()


@pytest.fixture(scope="session")
def data() -> dict:
    """Deterministic float32 data: clustered base vectors (so IVF and HNSW have structure)."""
    rng = np.random.default_rng(20261204)
    d = 32
    centres = rng.random((50, d), dtype=np.float32)
    xb = (centres[rng.integers(0, 50, 4000)] + 0.05 * rng.standard_normal((4000, d))).astype(
        np.float32
    )
    xq = (centres[rng.integers(0, 50, 60)] + 0.05 * rng.standard_normal((60, d))).astype(np.float32)
    return {"d": d, "xb": xb, "xq": xq, "xt": xb[:2000]}


def python() -> str:
    return sys.executable
