#!/usr/bin/env python3
"""The faissx benchmark workload through Python's faiss-cpu wheel.

Run by `cargo run --release -p faissx-bench -- python`, which writes into DIR the data
(base.f32, queries.f32), the procedure (params.json: sizes, k, repetitions) and the IVF/HNSW
indexes faissx built (<key>.index), so both sides search the same structures. Prints
{"facts": {...}, "rows": {key: {"median": s, "min": s}}} on stdout and writes each suite's
batch labels to DIR/wheel_<key>.i64 for the result check.

    python3 bench/python_bench.py DIR
"""

import argparse
import ctypes
import json
import os
import sys
import time

import numpy as np
import faiss


def stat(times):
    return {"median": float(np.median(times)), "min": float(np.min(times))}


LIBC = ctypes.CDLL(None)


def trim_heap():
    """Before each timed build step, as the Rust side does: freed memory goes back to the
    kernel, so every add starts from new pages instead of whatever this process freed last."""
    LIBC.malloc_trim(0)


def timed(f):
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def facts():
    loaded = sorted(m for m in sys.modules if m.startswith("faiss._swigfaiss"))
    out = {
        "faiss": faiss.__version__,
        "numpy": np.__version__,
        "compile options": faiss.get_compile_options().strip(),
        "loaded module": ", ".join(loaded),
        "OpenMP max threads": str(faiss.omp_get_max_threads()),
    }
    # The wheel links OpenBLAS statically into its extension module; its thread count is
    # readable through the module's exported symbols.
    if loaded:
        try:
            lib = ctypes.CDLL(sys.modules[loaded[0]].__file__)
            out["OpenBLAS threads"] = str(lib.openblas_get_num_threads())
        except (OSError, AttributeError):
            pass
    env = ["OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS",
           "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "FAISS_OPT_LEVEL", "GLIBC_TUNABLES"]
    out["environment"] = " ".join(f"{v}={os.environ.get(v, 'unset')}" for v in env)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    args = parser.parse_args()

    def path(name):
        return os.path.join(args.dir, name)

    with open(path("params.json")) as f:
        p = json.load(f)
    d, k, nq = p["d"], p["k"], p["n_queries"]
    base = np.fromfile(path("base.f32"), dtype="<f4").reshape(-1, d)
    queries = np.fromfile(path("queries.f32"), dtype="<f4").reshape(-1, d)
    batch = queries[:nq]
    rows = {}

    for s in p["suites"]:
        key, x = s["key"], base[: s["n"]]
        factory = s.get("factory")
        if factory is None:
            times = []
            for _ in range(p["add_runs"]):
                index = None
                index = faiss.IndexFlatL2(d)
                trim_heap()
                times.append(timed(lambda: index.add(x)))
            rows[f"{key}.add"] = stat(times)
        else:
            train, add = [], []
            for _ in range(p["build_runs"]):
                built = faiss.index_factory(d, factory)
                if s["trains"]:
                    trim_heap()
                    train.append(timed(lambda: built.train(x)))
                trim_heap()
                add.append(timed(lambda: built.add(x)))
                del built
            if train:
                rows[f"{key}.train"] = stat(train)
            rows[f"{key}.add"] = stat(add)
            # Search the structure faissx built, as the Rust side does.
            index = faiss.read_index(path(f"{key}.index"))
            faiss.ParameterSpace().set_index_parameter(index, s["param"], s["value"])

        # Query i once each, in order: the same sequence the Rust side gives a lone side.
        for i in range(p["warmup"]):
            index.search(queries[i : i + 1], k)
        times = []
        for i in range(p["single_runs"]):
            q = queries[i % nq : i % nq + 1]
            times.append(timed(lambda: index.search(q, k)))
        rows[f"{key}.search1"] = stat(times)

        index.search(batch, k)
        times, labels = [], None
        for _ in range(s["batch_runs"]):
            start = time.perf_counter()
            _, labels = index.search(batch, k)
            times.append(time.perf_counter() - start)
        rows[f"{key}.search{nq}"] = stat(times)
        labels.astype("<i8").tofile(path(f"wheel_{key}.i64"))

    json.dump({"facts": facts(), "rows": rows}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
