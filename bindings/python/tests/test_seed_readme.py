"""The seed FAISSx client README's Python blocks (tests/seed_readme/, verbatim) run unchanged,
locally and against a faissx-server, with faiss-cpu's results.

Each block runs in a fresh interpreter (seed_runner.py), because remote mode and the
FAISSX_* environment are per process. The only change made to a block is its server address.
Where a block uses names it never defines (the README's snippets assume earlier code), the
runner defines them before it runs, and this file says so at each such test.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import typing

import faiss
import numpy as np
import pytest

from faissx import client as fx

from conftest import HERE

BLOCKS = HERE / "seed_readme"
SEED = 4242


def run_block(tmp_path, block, server=None, env_remote=None, defines=(), probe=True):
    """Runs a block; ``server``: the server its addresses are pointed at; ``env_remote``:
    a server named by FAISSX_SERVER (remote mode with the block unchanged)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FAISSX_") or k in ("FAISSX_LIBRARY",)
    }
    env["SEED_SEED"] = str(SEED)
    if not probe:
        env["SEED_PROBE"] = "0"
    if server is not None:
        env["SEED_SERVER"] = server.endpoint
    if env_remote is not None:
        env.update(
            FAISSX_SERVER=env_remote.endpoint,
            FAISSX_API_KEY="test-key",
            FAISSX_TENANT_ID="tenant-a",
        )
    result = tmp_path / f"{block}.npz"
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "seed_runner.py"),
            str(BLOCKS / f"{block}.py"),
            str(result),
            *defines,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, f"{block} failed:\n{out.stdout}\n{out.stderr}"
    with np.load(result) as data:
        arrays = {name: data[name] for name in data.files}
    info = json.loads(str(arrays.pop("info")))
    return arrays, info, out.stdout


def readme_data():
    """The vectors and query of the README's flat-index blocks, drawn as they draw them."""
    np.random.seed(SEED)
    vectors = np.random.random((100, 128)).astype("float32")
    query = np.random.random((1, 128)).astype("float32")
    return vectors, query


def assert_flat_results_match(arrays):
    vectors, query = readme_data()
    np.testing.assert_array_equal(arrays["vectors"], vectors)
    reference = faiss.IndexFlatL2(128)
    reference.add(vectors)
    D, I = reference.search(query, k=5)  # noqa: E741
    np.testing.assert_array_equal(arrays["I"], I)
    np.testing.assert_allclose(arrays["D"], D, rtol=1e-5, atol=1e-5)


def test_every_block_is_a_fixture():
    names = sorted(p.name for p in BLOCKS.glob("block*.py"))
    assert len(names) == 10
    for name in names:
        with open(BLOCKS / name) as f:
            head = f.read().split("\n", 3)
        assert "kept verbatim" in head[1], name


@pytest.mark.parametrize("where", ["local", "remote"])
def test_quick_start(tmp_path, auth_server, where):
    # The block creates its index before its configure() call: local unless FAISSX_SERVER
    # already points at a server. Its configure() names the README's key and tenant, which
    # the server knows; the runner's index made afterwards shows it took effect.
    arrays, info, _ = run_block(
        tmp_path,
        "block01_quick_start",
        server=auth_server,
        env_remote=auth_server if where == "remote" else None,
    )
    assert info["objects"]["index"]["is_remote"] == (where == "remote")
    assert info["objects"]["index"]["ntotal"] == 100
    assert info["new_index_is_remote"] is True
    assert_flat_results_match(arrays)


@pytest.mark.parametrize("where", ["local", "remote"])
def test_local_mode(tmp_path, auth_server, where):
    arrays, info, _ = run_block(
        tmp_path, "block02_local_mode", env_remote=auth_server if where == "remote" else None
    )
    assert info["objects"]["index"]["is_remote"] == (where == "remote")
    assert info["new_index_is_remote"] == (where == "remote")
    assert_flat_results_match(arrays)


def test_remote_mode(tmp_path, auth_server):
    arrays, info, _ = run_block(tmp_path, "block03_remote_mode", server=auth_server)
    assert info["objects"]["index"]["is_remote"] is True
    assert info["objects"]["index"]["ntotal"] == 100
    assert_flat_results_match(arrays)


def test_programmatic_configuration(tmp_path, auth_server):
    _, info, _ = run_block(tmp_path, "block04_programmatic_configuration", server=auth_server)
    assert info["new_index_is_remote"] is True


@pytest.mark.parametrize("where", ["local", "remote"])
def test_performance_vs_memory(tmp_path, auth_server, where):
    # The block uses `faiss` and `dimension` without defining them (it continues the Quick
    # Start): they are defined as there, `from faissx import client as faiss`, 128.
    _, info, _ = run_block(
        tmp_path,
        "block05_performance_vs_memory",
        env_remote=auth_server if where == "remote" else None,
        defines=["faiss=faissx", "dimension=dimension"],
    )
    index = info["objects"]["index"]
    assert index["class"] == "IndexIVFPQ"
    assert index["d"] == 128 and index["nlist"] == 100
    assert index["is_remote"] == (where == "remote")


def test_common_index_methods():
    # The block is a list of method stubs whose annotations use np, Tuple and Any without
    # importing them; with those defined, every stub must match a real method of each index
    # class: same name, callable with the same arguments.
    namespace = {"np": np, "Tuple": typing.Tuple, "Any": typing.Any}
    with open(BLOCKS / "block06_common_index_methods.py") as f:
        exec(compile(f.read(), "block06", "exec"), namespace)
    stubs = {n: f for n, f in namespace.items() if inspect.isfunction(f)}
    assert sorted(stubs) == sorted(
        ["add", "search", "reset", "reconstruct", "reconstruct_n", "train", "set_parameter"]
    )
    classes = [
        fx.IndexFlatL2,
        fx.IndexFlatIP,
        fx.IndexIVFFlat,
        fx.IndexHNSWFlat,
        fx.IndexPQ,
        fx.IndexIVFPQ,
        fx.IndexScalarQuantizer,
        fx.IndexIVFScalarQuantizer,
        fx.IndexIDMap,
        fx.IndexIDMap2,
    ]
    for cls in classes:
        for name, stub in stubs.items():
            ours = inspect.signature(getattr(cls, name))
            theirs = list(inspect.signature(stub).parameters)[1:]
            # Positional calls with the stub's arguments bind.
            ours.bind(None, *range(len(theirs)))
            # Keyword names match, except where faissx keeps FAISS's own names (key, n0)
            # rather than the seed's (i, i0): FAISS code passing them by name must run.
            for param in theirs:
                if (name, param) not in (("reconstruct", "i"), ("reconstruct_n", "i0")):
                    assert param in ours.parameters, (cls.__name__, name, param)
    # And they do what the stubs' docstrings say, on a real index.
    index = fx.IndexIVFFlat(8, nlist=2)
    x = np.random.default_rng(1).random((200, 8), dtype=np.float32)
    index.train(x)
    index.add(x)
    index.set_parameter("nprobe", 2)
    D, I = index.search(x[:3], 2)  # noqa: E741
    assert I[:, 0].tolist() == [0, 1, 2]
    flat = fx.IndexFlatL2(8)
    flat.add(x)
    np.testing.assert_array_equal(flat.reconstruct(4), x[4])
    np.testing.assert_array_equal(flat.reconstruct_n(4, 3), x[4:7])
    flat.reset()
    assert flat.ntotal == 0


@pytest.mark.parametrize("where", ["local", "remote"])
def test_index_modification(tmp_path, auth_server, where):
    # The block merges index1..index3 and splits `index`, all undefined in the README:
    # each is defined as an IndexFlatL2(128) holding 30 vectors.
    _, info, _ = run_block(
        tmp_path,
        "block07_index_modification",
        env_remote=auth_server if where == "remote" else None,
        defines=["index1=flat_index", "index2=flat_index", "index3=flat_index", "index=flat_index"],
    )
    merged = info["objects"]["merged_index"]
    assert merged["ntotal"] == 90 and merged["is_remote"] == (where == "remote")
    parts = info["objects"]["split_indices"]
    assert [p["ntotal"] for p in parts] == [10, 10, 10]
    assert all(p["is_remote"] == (where == "remote") for p in parts)


def test_error_handling(tmp_path, open_server):
    # The block adds `vectors`, which the README never defines: 100 x 128 float32 are. Its
    # configure() passes no API key, so it runs against the server without authentication.
    arrays, info, stdout = run_block(
        tmp_path, "block08_error_handling", server=open_server, defines=["vectors=vectors"]
    )
    assert "Connection error" not in stdout
    index = info["objects"]["index"]
    assert index["is_remote"] is True and index["ntotal"] == 100


def test_error_handling_without_a_server(tmp_path):
    """The same block with its address pointing at a closed port: the error is raised (a
    RuntimeError, which the block catches and prints), with no fallback to local mode."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    class Closed:
        endpoint = f"tcp://127.0.0.1:{port}"

    _, info, stdout = run_block(
        tmp_path,
        "block08_error_handling",
        server=Closed,
        defines=["vectors=vectors"],
        probe=False,
    )
    assert stdout.startswith("Connection error: [faissx error -10]")
    assert f"127.0.0.1:{port}" in stdout
    assert "index" not in info["objects"]


def test_memory_management(tmp_path):
    _, info, _ = run_block(tmp_path, "block09_memory_management")
    options = info["memory_options"]
    assert options["max_memory_usage_mb"] == 1024 and options["cache_memory_mb"] == 1024
    assert options["use_memory_mapping"] is True
    assert options["cache_vectors"] is True


def test_existing_faiss_code(tmp_path, open_server):
    # `import faiss` is faiss-cpu; the block then switches to faissx and configures a server
    # without an API key (the server without authentication).
    _, info, _ = run_block(tmp_path, "block10_existing_faiss_code", server=open_server)
    assert info["objects"]["index"]["is_remote"] is True
    assert info["objects"]["index"]["class"] == "IndexFlatL2"
    assert info["new_index_is_remote"] is True
