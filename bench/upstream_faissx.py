#!/usr/bin/env python3
"""Local faiss vs the upstream Python FAISSx server (PyPI `faissx`), measured as
`faissx-bench remote` measures ours.

Starts the upstream server (`python3 -m faissx.server.cli run`) as a subprocess on a free
loopback port (in-memory, no auth), points the upstream client at it
(`faissx.client.configure(server=...)`), then times, for IndexFlatL2, d = 128, on
deterministic random float32 data (numpy, fixed seed):

- a 1-query search, k = 10, on 10 000 vectors: median of N calls, local and remote
  alternating (N = 300, or fewer when remote calls are slow: as many as fit in about
  --budget-s seconds, at least 20);
- an add of 100 000 vectors into a fresh index: median of 3 (1 when a remote add takes
  more than --budget-s seconds).

"Local" is a plain `faiss.IndexFlatL2` from the faiss-cpu wheel. It checks that the remote
side really ran on the server: the client is in remote mode with no local index behind its
index objects, the server (asked over a socket of our own) holds the vectors, the remote
labels match the local ones, and once the server is stopped a remote search fails.
Prints a Markdown table, the package versions and the load average.

    pip install faissx faiss-cpu numpy
    python3 bench/upstream_faissx.py
"""

import argparse
import atexit
import ctypes
import importlib.metadata
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import msgpack
import numpy as np
import zmq
import faiss
from faissx import client as fx

D = 128
K = 10
N_SEARCH_BASE = 10_000
N_ADD = 100_000
N_QUERIES = 1000
SEED = 20260422


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ask(endpoint, request, timeout_ms=2000):
    """One request to the upstream server over a socket of our own; None if no answer."""
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.connect(endpoint)
        sock.send(msgpack.packb(request))
        if not sock.poll(timeout_ms, zmq.POLLIN):
            return None
        return msgpack.unpackb(sock.recv(), raw=False)
    finally:
        sock.close()


def held_vectors(endpoint, index_id):
    """How many vectors the server says the index holds (None if it does not know it)."""
    reply = ask(endpoint, {"action": "get_index_status", "index_id": index_id}) or {}
    return (reply.get("status") or {}).get("ntotal")


def die_with_parent():
    """In the child: get SIGKILL if this benchmark process dies (Linux), so no server is left."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Server:
    def __init__(self):
        self.port = free_port()
        self.endpoint = f"tcp://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(
            prefix="upstream-faissx-server-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "faissx.server.cli", "run", "--port", str(self.port),
             "--bind-address", "127.0.0.1", "--log-level", "WARNING"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=die_with_parent)
        atexit.register(self.stop)

    def wait_ready(self, limit_s=60):
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; log: "
                                   f"{self.log.name}")
            reply = ask(self.endpoint, {"action": "ping"}, 500)
            if reply and reply.get("success"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"server did not answer a ping in {limit_s} s; log: {self.log.name}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def fmt(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def timed(f):
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def versions():
    def v(name):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "?"
    return (f"faissx {v('faissx')}, faiss-cpu {faiss.__version__}, numpy {np.__version__}, "
            f"pyzmq {zmq.__version__} (libzmq {zmq.zmq_version()}), msgpack {v('msgpack')}, "
            f"Python {sys.version.split()[0]}")


def load():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def bench(server, args):
    rng = np.random.default_rng(SEED)
    base = rng.random((N_ADD, D), dtype=np.float32)
    queries = rng.random((N_QUERIES, D), dtype=np.float32)
    checks = []

    # Generous timeout, as faissx-bench remote sets: a slow reply must not become a failure.
    fx.configure(server=server.endpoint, timeout=args.timeout)
    client = fx.get_client()
    if client is None or client.mode != "remote":
        raise RuntimeError("upstream client is not in remote mode")

    # (a) 1-query search on 10 000 vectors.
    local = faiss.IndexFlatL2(D)
    local.add(base[:N_SEARCH_BASE])
    remote = fx.IndexFlatL2(D)
    remote.add(base[:N_SEARCH_BASE])
    if getattr(remote, "_local_index", None) is not None:
        raise RuntimeError("upstream index object holds a local faiss index")
    held = held_vectors(server.endpoint, remote.index_id)
    if held != N_SEARCH_BASE:
        raise RuntimeError(f"server reports {held} vectors, not {N_SEARCH_BASE}")
    checks.append(f"client mode {client.mode!r}, index {remote.index_id} has no local faiss "
                  f"index; the server (asked on a socket of our own) reports {held} vectors")

    mismatched = 0

    def search(remote_side, q):
        nonlocal mismatched
        x = queries[q:q + 1]
        out = {}
        t = timed(lambda: out.update(r=(remote if remote_side else local).search(x, K)))
        if remote_side:
            _, want = local.search(x, K)
            if not np.array_equal(out["r"][1], want):
                mismatched += 1
        return t

    warm = [search(True, q) for q in range(3)] + [search(False, q) for q in range(3)]
    per_pair = max(warm[:3]) + max(warm[3:])
    n = max(args.min_searches, min(args.searches, int(args.budget_s / per_pair)))
    loc, rem = [], []
    for run in range(n):
        q = run % N_QUERIES
        for remote_side in (run % 2 == 1, run % 2 == 0):
            (rem if remote_side else loc).append(search(remote_side, q))
    if mismatched:
        raise RuntimeError(f"{mismatched} remote searches returned other labels than local")
    checks.append(f"all {n + 3} remote searches returned the same labels as local faiss")

    # (b) add 100 000 vectors into a fresh index.
    def add_once(index):
        return timed(lambda: index.add(base))

    add_l, add_r = [], []
    for rep in range(3):
        for remote_side in (rep % 2 == 1, rep % 2 == 0):
            if not remote_side:
                add_l.append(add_once(faiss.IndexFlatL2(D)))
                continue
            index = fx.IndexFlatL2(D)
            add_r.append(add_once(index))
            held = held_vectors(server.endpoint, index.index_id)
            if held != N_ADD:
                raise RuntimeError(f"server reports {held} vectors, not {N_ADD}")
            ask(server.endpoint, {"action": "delete_index", "index_id": index.index_id})
        if add_r[-1] > args.budget_s:
            break
    checks.append(f"after each remote add the server reported {N_ADD} vectors in the index")

    # Stopping the server must make remote calls fail (no silent local fallback).
    client.timeout = 3.0
    remote.search(queries[:1], K)  # answers while the server runs
    logging.getLogger("faissx").setLevel(logging.CRITICAL)  # its expected errors
    server.stop()
    try:
        remote.search(queries[:1], K)
        checks.append("WARNING: a remote search still answered after the server was stopped")
    except Exception as e:  # the upstream client raises RuntimeError/TimeoutError
        checks.append(f"after the server was stopped, a remote search raised "
                      f"{type(e).__name__}: {str(e)[:80]}")
    return n, loc, rem, add_l, add_r, checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=300, help="most 1-query searches")
    parser.add_argument("--min-searches", type=int, default=20)
    parser.add_argument("--budget-s", type=float, default=60.0,
                        help="time budget for the search loop; a remote add above it is not "
                             "repeated")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="upstream client request timeout, seconds")
    args = parser.parse_args()

    # SIGTERM/SIGHUP unwind through the finally below, so the server is stopped.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))

    load_start = load()
    server = Server()
    try:
        server.wait_ready()
        n, loc, rem, add_l, add_r, checks = bench(server, args)
    finally:
        server.stop()
    load_end = load()

    ls, rs = float(np.median(loc)), float(np.median(rem))
    la, ra = float(np.median(add_l)), float(np.median(add_r))
    print(f"IndexFlatL2, d = {D}, k = {K}; upstream FAISSx server on {server.endpoint} "
          f"(in-memory, no auth), same machine.\n")
    print("| workload | local (faiss wheel) | upstream FAISSx remote | remote/local |")
    print("|---|---:|---:|---:|")
    print(f"| 1-query search, {N_SEARCH_BASE:_} vectors (median of {n}) | {fmt(ls)} | "
          f"{fmt(rs)} | {rs / ls:.0f} |".replace("_", " "))
    print(f"| add {N_ADD:_} × d={D} (median of {len(add_r)}) | {fmt(la)} | {fmt(ra)} | "
          f"{ra / la:.0f} |".replace("_", " "))
    print()
    print(f"- 1-query search: remote − local = {(rs - ls) * 1e6:.0f} µs (median), "
          f"fastest runs {min(loc) * 1e6:.0f} µs local / {min(rem) * 1e6:.0f} µs remote")
    p10, p90 = np.percentile(rem, [10, 90])
    print(f"- remote 1-query search: mean {fmt(float(np.mean(rem)))}, p10 {fmt(p10)}, "
          f"p90 {fmt(p90)}, max {fmt(max(rem))}, {sum(t >= 0.15 for t in rem)} of {n} "
          f"took ≥ 150 ms; "
          f"remote adds: {', '.join(fmt(t) for t in add_r)}")
    print(f"- versions: {versions()}")
    print(f"- load average (1/5/15 min): start {load_start}, end {load_end}")
    for c in checks:
        print(f"- check: {c}")
    print(f"- server log: {server.log.name}")


if __name__ == "__main__":
    main()
