"""Runs one seed README block (tests/seed_readme/) in a fresh process, as test_seed_readme.py
asks, and reports what it left behind.

    seed_runner.py BLOCK_FILE RESULT_FILE [NAME=KIND ...]

The block's text is executed as it is, except that the server addresses it names
("tcp://localhost:45678", "tcp://your-server:45678") become $SEED_SERVER when that is set.
numpy's global generator is seeded with $SEED_SEED first, so the test can make the same
"random" vectors for faiss-cpu. NAME=KIND arguments define names a block uses without
defining them (the README's snippets assume earlier code): KIND is "dimension" (128),
"vectors" (100 x 128 float32 from a generator of their own), "faissx" (the
faissx.client module) or "flat_index" (an IndexFlatL2 of 128 holding 30 vectors).

The result file (.npz) holds the block's numpy arrays (D, I, vectors, ...) and, in "info", a
JSON summary of its index objects (class, ntotal, d, is_remote), the memory options and where
a new index would live now ($SEED_PROBE=0 skips that last check).
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np


def substitute(text: str) -> str:
    server = os.environ.get("SEED_SERVER")
    if not server:
        return text
    for address in ("tcp://localhost:45678", "tcp://your-server:45678"):
        text = text.replace(address, server)
    return text


def predefined(kind: str):
    from faissx import client

    if kind == "dimension":
        return 128
    if kind == "vectors":
        return np.random.default_rng(99).random((100, 128), dtype=np.float32)
    if kind == "faissx":
        return client
    if kind == "flat_index":
        index = client.IndexFlatL2(128)
        index.add(np.random.default_rng(len(kind)).random((30, 128), dtype=np.float32))
        return index
    raise SystemExit(f"unknown predefined kind {kind!r}")


def describe(value):
    from faissx.client import Index, IndexBinary

    if isinstance(value, (Index, IndexBinary)):
        info = {
            "class": type(value).__name__,
            "ntotal": value.ntotal,
            "d": value.d,
            "is_remote": value.is_remote,
        }
        if hasattr(value, "nlist"):
            info["nlist"] = value.nlist
        if hasattr(value, "nprobe"):
            info["nprobe"] = value.nprobe
        return info
    if isinstance(value, list) and value and all(isinstance(v, Index) for v in value):
        return [describe(v) for v in value]
    return None


def main() -> None:
    block_file, result_file, *defines = sys.argv[1:]
    with open(block_file) as f:
        text = substitute(f.read())
    np.random.seed(int(os.environ.get("SEED_SEED", "0")))
    namespace = {"__name__": "__main__", "__file__": block_file}
    for item in defines:
        name, kind = item.split("=", 1)
        namespace[name] = predefined(kind)
    exec(compile(text, block_file, "exec"), namespace)

    from faissx import client
    from faissx.client.optimization import memory_manager

    arrays = {}
    info = {"objects": {}, "memory_options": memory_manager.get_options()}
    for name, value in namespace.items():
        if name.startswith("__"):
            continue
        if isinstance(value, np.ndarray):
            arrays[name] = value
        elif describe(value) is not None:
            info["objects"][name] = describe(value)
    # Where an index created now would live: shows what the block's configure() did
    # ($SEED_PROBE=0 skips it, for a block pointed at no server).
    if os.environ.get("SEED_PROBE", "1") != "0":
        info["new_index_is_remote"] = client.IndexFlatL2(4).is_remote
    arrays["info"] = np.array(json.dumps(info))
    np.savez(result_file, **arrays)


if __name__ == "__main__":
    main()
