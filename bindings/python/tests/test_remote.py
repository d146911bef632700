"""Remote mode itself: credentials and tenants, the environment, failures of the server (no
fallback), retries, client options, and an index shared with a C service."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import faiss
import numpy as np
import pytest

import faissx
from faissx import client as fx
from faissx.client.optimization import memory_manager
from faissx.client.recovery import configure_recovery, with_retry

from conftest import HERE, start_server

D = 16


@pytest.fixture
def restore_client_settings():
    yield
    fx.use_local()
    configure_recovery(3, 0.1, 2.0)
    memory_manager.set_option("connect_timeout_ms", 5000)
    memory_manager.set_option("cache_vectors", True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wrong_key_is_an_auth_error(auth_server, restore_client_settings):
    fx.configure(auth_server.endpoint, "no-such-key", "tenant-a")
    with pytest.raises(faissx.AuthError) as info:
        fx.IndexFlatL2(D)
    assert info.value.code == -11
    assert "unknown API key" in info.value.message
    fx.configure(auth_server.endpoint, "test-key", "tenant-b")  # key of tenant-a
    with pytest.raises(faissx.AuthError, match="tenant-b"):
        fx.ping()
    fx.configure(auth_server.endpoint, "test-key", "tenant-a")
    fx.ping()


def test_tenants_are_isolated(auth_server, restore_client_settings):
    fx.configure(auth_server.endpoint, "test-key", "tenant-a")
    index = fx.IndexFlatL2(D)
    index.add(np.ones((3, D), dtype=np.float32))
    name = index.remote_name
    assert name
    same_tenant = fx.remote_open(name)
    assert same_tenant.ntotal == 3
    fx.configure(auth_server.endpoint, "other-key", "tenant-b")
    with pytest.raises(faissx.NotFoundError) as info:
        fx.remote_open(name)
    assert info.value.code == -12


def test_remote_open_needs_remote_mode():
    fx.use_local()
    with pytest.raises(faissx.UnsupportedError, match="remote mode is off"):
        fx.remote_open("anything")


def test_unreachable_server_fails_without_fallback(restore_client_settings):
    port = free_port()
    memory_manager.set_option("connect_timeout_ms", 300)
    configure_recovery(max_retries=0)
    fx.configure(f"tcp://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(faissx.TransportError) as info:
        fx.IndexFlatL2(D)
    assert info.value.code == -10
    assert f"127.0.0.1:{port}" in info.value.message
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, ConnectionError)
    assert time.monotonic() - started < 10


def test_server_gone_mid_session(restore_client_settings):
    """A search on a stopped server raises; it never answers with empty results."""
    # Before the first request: libfaissx's pooled connections keep the timeouts they were
    # made with.
    memory_manager.set_option("connect_timeout_ms", 300)
    configure_recovery(max_retries=1, initial_backoff=0.05)
    server = start_server()
    try:
        fx.configure(server.endpoint)
        index = fx.IndexFlatL2(D)
        index.add(np.ones((5, D), dtype=np.float32))
        assert index.search(np.ones((1, D), dtype=np.float32), 2)[1].tolist() == [[0, 1]]
    finally:
        server.stop()
    started = time.monotonic()
    with pytest.raises(faissx.TransportError) as info:
        index.search(np.ones((1, D), dtype=np.float32), 2)
    assert "search" in info.value.message and server.endpoint in info.value.message
    assert time.monotonic() - started < 3


def test_with_retry_waits_for_a_server_that_comes_up(restore_client_settings):
    port = free_port()
    memory_manager.set_option("connect_timeout_ms", 300)
    configure_recovery(max_retries=12, initial_backoff=0.2, backoff_factor=1.2)
    fx.configure(f"tcp://127.0.0.1:{port}")
    servers = []

    def start_later():
        time.sleep(1.0)
        servers.append(start_server("--port", str(port)))

    starter = threading.Thread(target=start_later)
    starter.start()
    try:
        index = with_retry(fx.IndexFlatL2, D)
        assert index.is_remote
        with_retry(index.add, np.ones((4, D), dtype=np.float32))
        assert index.ntotal == 4
    finally:
        starter.join()
        for server in servers:
            server.stop()
    # Other errors are not retried.
    calls = []

    def bad():
        calls.append(1)
        return fx.IndexPQ(D, 5, 8)

    fx.use_local()
    with pytest.raises(faissx.InvalidArgumentError):
        with_retry(bad)
    assert len(calls) == 1


def test_environment_configures_remote_mode(auth_server):
    """FAISSX_SERVER / FAISSX_API_KEY / FAISSX_TENANT_ID, read when the first index is made."""
    script = (
        "import numpy as np\n"
        "from faissx import client as faiss\n"
        "index = faiss.IndexFlatL2(8)\n"
        "index.add(np.ones((3, 8), dtype='float32'))\n"
        "print(index.is_remote, index.ntotal)\n"
    )
    env = dict(os.environ)
    env.update(
        FAISSX_SERVER=auth_server.endpoint, FAISSX_API_KEY="test-key", FAISSX_TENANT_ID="tenant-a"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "3"]
    env["FAISSX_API_KEY"] = "wrong"
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode != 0
    assert "AuthError" in out.stderr and "-11" in out.stderr


def test_cache_vectors_option(auth_server, restore_client_settings):
    """With the cache on, a handle keeps the vectors it reconstructed until it writes itself;
    off, it sees another client's writes at once."""
    fx.configure(auth_server.endpoint, "test-key", "tenant-a")
    first = np.full((2, D), 1.0, dtype=np.float32)
    second = np.full((2, D), 2.0, dtype=np.float32)
    for cached in (False, True):
        memory_manager.set_option("cache_vectors", cached)
        owner = fx.IndexFlatL2(D)
        owner.add(first)
        other = fx.remote_open(owner.remote_name)
        np.testing.assert_array_equal(owner.reconstruct(0), first[0])
        other.reset()
        other.add(second)
        seen = owner.reconstruct(0)
        np.testing.assert_array_equal(seen, first[0] if cached else second[0])


def test_memory_manager_options(restore_client_settings):
    memory_manager.set_option("max_memory_usage_mb", 64)
    assert memory_manager.get_option("cache_memory_mb") == 64
    memory_manager.set_option("max_memory_usage_mb", 256)
    with pytest.raises(ValueError, match="unknown memory_manager option 'swap_to_disk'"):
        memory_manager.set_option("swap_to_disk", True)
    with pytest.raises(TypeError, match="cache_vectors must be True or False"):
        memory_manager.set_option("cache_vectors", "yes")
    with pytest.raises(ValueError, match="megabytes"):
        memory_manager.set_option("max_memory_usage_mb", -1)
    with pytest.raises(faissx.FaissxError) as info:
        memory_manager.set_option("server_public_key", "not a key")
    assert info.value.code == -5
    # libfaissx checks the range and names it; the value kept is the last one it took.
    memory_manager.set_option("io_threads", 2)
    with pytest.raises(faissx.FaissxError, match="between 1 and 64") as info:
        memory_manager.set_option("io_threads", 0)
    assert info.value.code == -5
    assert memory_manager.get_option("io_threads") == 2
    memory_manager.set_option("io_threads", 1)


def _compiler():
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("a C compiler (cc, gcc or clang) is needed to build interop_writer.c")


def test_index_written_by_c_is_searched_from_python(auth_server, tmp_path):
    """A C service creates an index on the server and adds vectors; this Python service opens
    it by name, searches it (same results as faiss-cpu on the same vectors), and once the C
    service frees it, searching fails instead of answering from nothing."""
    include = faissx.get_include()
    library = Path(faissx._native.library_path)
    binary = tmp_path / "interop_writer"
    subprocess.run(
        [
            _compiler(),
            "-std=c11",
            "-O1",
            "-I",
            include,
            str(HERE / "interop_writer.c"),
            str(library),
            f"-Wl,-rpath,{library.parent}",
            "-o",
            str(binary),
        ],
        check=True,
    )
    d, n = 24, 3000
    vectors_file = tmp_path / "xb.f32"
    env = dict(os.environ)
    env.update(
        FAISSX_SERVER=auth_server.endpoint, FAISSX_API_KEY="test-key", FAISSX_TENANT_ID="tenant-a"
    )
    writer = subprocess.Popen(
        [str(binary), str(d), str(n), str(vectors_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        name = writer.stdout.readline().strip()
        assert name, "the C program printed no index name"
        fx.configure(auth_server.endpoint, "test-key", "tenant-a")
        shared = fx.remote_open(name)
        assert isinstance(shared, fx.IndexIDMap) and shared.is_remote
        assert shared.remote_name == name
        xb = np.fromfile(vectors_file, dtype="<f4").reshape(n, d)
        ids = 1_000_000 + 3 * np.arange(n, dtype=np.int64)
        assert shared.ntotal == n
        reference = faiss.IndexIDMap(faiss.IndexFlatL2(d))
        reference.add_with_ids(xb, ids)
        xq = np.ascontiguousarray(xb[::150] + np.float32(0.01))
        D1, I1 = shared.search(xq, 8)
        D2, I2 = reference.search(xq, 8)
        np.testing.assert_array_equal(I1, I2)
        np.testing.assert_allclose(D1, D2, rtol=1e-5, atol=1e-5)
    finally:
        writer.stdin.close()
        assert writer.wait(30) == 0
        writer.stdout.close()
    try:
        with pytest.raises(faissx.NotFoundError):
            shared.search(xq, 8)
    finally:
        fx.use_local()
