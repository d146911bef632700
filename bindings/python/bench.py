#!/usr/bin/env python3
"""The faissx Python package against faiss-cpu (local) and against the upstream Python FAISSx
package (remote), on one workload, in one run; prints Markdown tables with the ratios.

    bash bindings/python/bench.sh     # builds the wheel and both venvs, then runs this

or by hand, with the interpreter of a venv holding the faissx wheel and faiss-cpu 1.12.0:

    python bench.py --upstream-python .venv-upstream/bin/python

Workload (IndexFlatL2, d = 128, k = 10, float32 data from numpy's PCG64 with a fixed seed,
the same bytes on every side):

- a 1-query search on 10 000 vectors: median of up to 300 calls (the upstream package: as
  many as fit in --budget-s seconds, at least 20);
- a 1000-query batch search on the same index: median of 5 (upstream: at least 1);
- an add of 100 000 vectors into a fresh index: median of 3.

Sides: faiss-cpu and faissx in this process (calls alternate, faiss-cpu first on even calls);
faissx against a faissx-server started here on loopback (OMP_WAIT_POLICY=PASSIVE); the
upstream client against the upstream server, both run by --upstream-python in a process of
their own (the two packages are both called `faissx`). Every side's labels are compared with
faiss-cpu's; a mismatch stops the benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

D = 128
K = 10
N_BASE = 10_000
N_ADD = 100_000
N_BATCH = 1000
SEED = 20261204


def data():
    rng = np.random.default_rng(SEED)
    base = rng.random((N_ADD, D), dtype=np.float32)
    queries = rng.random((N_BATCH, D), dtype=np.float32)
    return base, queries


def timed(f, *args):
    start = time.perf_counter()
    result = f(*args)
    return time.perf_counter() - start, result


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_workload(module, base, queries, budget_s, reference=None, max_searches=300):
    """Times the workload on ``module`` (faiss, faissx.client or the upstream client).

    ``reference``: faiss-cpu's labels (1-query, batch) to compare with; returns the times and
    the number of label mismatches.
    """
    index = module.IndexFlatL2(D)
    index.add(base[:N_BASE])
    mismatches = 0
    single = []
    started = time.perf_counter()
    for i in range(max_searches):
        q = queries[i % N_BATCH : i % N_BATCH + 1]
        t, (_, labels) = timed(index.search, q, K)
        single.append(t)
        if reference is not None and not np.array_equal(labels[0], reference[0][i % N_BATCH]):
            mismatches += 1
        if i >= 19 and time.perf_counter() - started > budget_s:
            break
    batch = []
    for _ in range(5):
        t, (_, labels) = timed(index.search, queries, K)
        batch.append(t)
        if reference is not None and not np.array_equal(labels, reference[1]):
            mismatches += 1
        if sum(batch) > budget_s / 2:
            break
    adds = []
    for _ in range(3):
        fresh = module.IndexFlatL2(D)
        t, _ = timed(fresh.add, base)
        adds.append(t)
        if fresh.ntotal != N_ADD:
            raise RuntimeError(f"the add left {fresh.ntotal} vectors, not {N_ADD}")
        del fresh
        if sum(adds) > budget_s / 2:
            break
    return {"single": single, "batch": batch, "add": adds, "mismatches": mismatches}


# --- the upstream side (run by --upstream-python) ---------------------------------------------


def upstream_side(args):
    """Starts the upstream server, points the upstream client at it, runs the workload."""
    import msgpack
    import zmq
    from faissx import client as upstream

    import faiss

    base, queries = data()
    reference = faiss.IndexFlatL2(D)
    reference.add(base[:N_BASE])
    ref = (
        [reference.search(queries[i : i + 1], K)[1][0] for i in range(N_BATCH)],
        reference.search(queries, K)[1],
    )
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="upstream-server-", suffix=".log", delete=False)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "faissx.server.cli",
            "run",
            "--port",
            str(port),
            "--bind-address",
            "127.0.0.1",
            "--log-level",
            "WARNING",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    endpoint = f"tcp://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"upstream server exited; log {log.name}")
            sock = zmq.Context.instance().socket(zmq.REQ)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(endpoint)
            sock.send(msgpack.packb({"action": "ping"}))
            ready = sock.poll(500, zmq.POLLIN)
            sock.close()
            if ready:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("upstream server did not answer a ping")
            time.sleep(0.2)
        upstream.configure(server=endpoint, timeout=args.timeout)
        client = upstream.get_client()
        if client is None or client.mode != "remote":
            raise RuntimeError("the upstream client is not in remote mode")
        result = run_workload(upstream, base, queries, args.budget_s, ref, args.searches)
        import importlib.metadata

        result["version"] = importlib.metadata.version("faissx")
        result["checksum"] = float(base[:100].sum())
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    print("UPSTREAM " + json.dumps(result))


# --- the driver --------------------------------------------------------------------------------


def med(values):
    return float(np.median(values))


def fmt(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream-python", help="interpreter with the upstream faissx")
    parser.add_argument(
        "--server-bin",
        default=os.path.join(
            os.path.dirname(os.path.abspath(__file__)),
            "..",
            "..",
            "target",
            "release",
            "faissx-server",
        ),
    )
    parser.add_argument(
        "--budget-s", type=float, default=30.0, help="time budget per side for the 1-query loop"
    )
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="upstream client request timeout, seconds"
    )
    parser.add_argument("--upstream-side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.upstream_side:
        upstream_side(args)
        return

    import faiss

    import faissx
    from faissx import client as fx

    load_start = "/".join(f"{x:.2f}" for x in os.getloadavg())
    base, queries = data()
    reference = faiss.IndexFlatL2(D)
    reference.add(base[:N_BASE])
    ref = (
        [reference.search(queries[i : i + 1], K)[1][0] for i in range(N_BATCH)],
        reference.search(queries, K)[1],
    )

    # Local: faiss-cpu and faissx alternate call by call on indexes of the same vectors.
    fx.use_local()
    sides = {"faiss-cpu": faiss.IndexFlatL2(D), "faissx local": fx.IndexFlatL2(D)}
    for index in sides.values():
        index.add(base[:N_BASE])
    local = {name: {"single": [], "batch": [], "add": []} for name in sides}
    mismatches = 0
    for i in range(20):  # warm-up
        for index in sides.values():
            index.search(queries[i : i + 1], K)
    for i in range(args.searches):
        order = list(sides) if i % 2 == 0 else list(reversed(list(sides)))
        for name in order:
            q = queries[i % N_BATCH : i % N_BATCH + 1]
            t, (_, labels) = timed(sides[name].search, q, K)
            local[name]["single"].append(t)
            mismatches += not np.array_equal(labels[0], ref[0][i % N_BATCH])
    for i in range(5):
        order = list(sides) if i % 2 == 0 else list(reversed(list(sides)))
        for name in order:
            t, (_, labels) = timed(sides[name].search, queries, K)
            local[name]["batch"].append(t)
            mismatches += not np.array_equal(labels, ref[1])
    for i in range(3):
        order = list(sides) if i % 2 == 0 else list(reversed(list(sides)))
        for name in order:
            fresh = faiss.IndexFlatL2(D) if name == "faiss-cpu" else fx.IndexFlatL2(D)
            t, _ = timed(fresh.add, base)
            local[name]["add"].append(t)
            del fresh
    if mismatches:
        raise SystemExit(f"faissx local returned other labels than faiss-cpu ({mismatches})")

    # Remote: faissx against a faissx-server on loopback.
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    server = subprocess.Popen(
        [args.server_bin, "--bind-address", "127.0.0.1", "--port", "0", "--log-level", "warn"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        endpoint = server.stdout.readline().strip().removeprefix("listening on ")
        fx.configure(endpoint)
        probe = fx.IndexFlatL2(D)
        if not probe.is_remote:
            raise SystemExit("faissx is not in remote mode")
        ours = run_workload(fx, base, queries, args.budget_s, ref, args.searches)
    finally:
        fx.use_local()
        server.terminate()
        server.wait(10)
        server.stdout.close()
    if ours["mismatches"]:
        raise SystemExit(f"faissx remote returned other labels ({ours['mismatches']})")

    upstream = None
    if args.upstream_python:
        out = subprocess.run(
            [
                os.path.abspath(args.upstream_python),
                os.path.abspath(__file__),
                "--upstream-side",
                "--budget-s",
                str(args.budget_s),
                "--searches",
                str(args.searches),
                "--timeout",
                str(args.timeout),
            ],
            capture_output=True,
            text=True,
            cwd=tempfile.gettempdir(),
        )
        lines = [line for line in out.stdout.splitlines() if line.startswith("UPSTREAM ")]
        if out.returncode != 0 or not lines:
            raise SystemExit(f"upstream side failed:\n{out.stdout}\n{out.stderr}")
        upstream = json.loads(lines[-1][len("UPSTREAM ") :])
        if abs(upstream["checksum"] - float(base[:100].sum())) > 1e-3:
            raise SystemExit("the upstream side generated other data")
        if upstream["mismatches"]:
            raise SystemExit(f"upstream returned other labels ({upstream['mismatches']})")
    load_end = "/".join(f"{x:.2f}" for x in os.getloadavg())

    rows = [
        ("1-query search, 10 000 vectors", "single"),
        ("1000-query batch, 10 000 vectors", "batch"),
        ("add 100 000 vectors", "add"),
    ]
    print(
        f"{faissx.library_version()}; faiss-cpu {faiss.__version__}; numpy {np.__version__}; "
        f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs"
    )
    print(f"load average (1/5/15 min): {load_start} at start, {load_end} at end\n")
    print("Local (this process):\n")
    print("| workload | faiss-cpu | faissx local | faissx / faiss-cpu |")
    print("|---|---:|---:|---:|")
    for label, key in rows:
        a, b = med(local["faiss-cpu"][key]), med(local["faissx local"][key])
        n = len(local["faiss-cpu"][key])
        print(f"| {label} (median of {n}) | {fmt(a)} | {fmt(b)} | {b / a:.2f} |")
    print("\nRemote (server on loopback, same machine):\n")
    if upstream:
        print(
            f"| workload | upstream FAISSx {upstream['version']} | faissx-server "
            "| upstream / faissx | faissx remote / faissx local |"
        )
        print("|---|---:|---:|---:|---:|")
    else:
        print("| workload | faissx-server | faissx remote / faissx local |")
        print("|---|---:|---:|")
    for label, key in rows:
        ours_t = med(ours[key])
        vs_local = ours_t / med(local["faissx local"][key])
        if upstream:
            up = med(upstream[key])
            print(
                f"| {label} (median of {len(upstream[key])} / {len(ours[key])}) | {fmt(up)} "
                f"| {fmt(ours_t)} | {up / ours_t:.0f}× | {vs_local:.2f} |"
            )
        else:
            print(f"| {label} (median of {len(ours[key])}) | {fmt(ours_t)} | {vs_local:.2f} |")
    print(
        "\nLabels: faissx local, faissx remote"
        + (" and upstream FAISSx" if upstream else "")
        + " returned faiss-cpu's labels on every search."
    )


if __name__ == "__main__":
    main()
