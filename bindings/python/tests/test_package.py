"""What the wheel installs: the package from site-packages (not the source tree), libfaissx
inside it, its runtime libraries grafted next to it, no dependency on FAISS's Python."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig

import pytest

import faissx
from faissx import _native

INSTALLED = "FAISSX_TEST_WHEEL" in os.environ


@pytest.mark.skipif(not INSTALLED, reason="run by run_tests.sh against the installed wheel")
def test_installed_from_the_wheel():
    site = sysconfig.get_paths()["platlib"]
    assert faissx.__file__.startswith(site), faissx.__file__
    package = os.path.dirname(faissx.__file__)
    assert _native.library_path == os.path.join(package, "_lib", "libfaissx.so.0")
    assert os.path.isfile(os.path.join(faissx.get_include(), "faissx_c.h"))
    # OpenBLAS, LAPACK, OpenMP and Fortran runtimes resolve to the copies the wheel carries.
    ldd = subprocess.run(
        ["ldd", _native.library_path], capture_output=True, text=True, check=True
    ).stdout
    grafted = os.path.join(os.path.dirname(package), "faissx.libs")
    resolved = {}
    for line in ldd.splitlines():
        if "=>" in line:
            name, target = line.split("=>")
            resolved[name.strip()] = os.path.realpath(target.split("(")[0].strip())
    for prefix in ("libopenblas", "liblapack", "libblas", "libgomp", "libgfortran"):
        found = {n: t for n, t in resolved.items() if n.startswith(prefix)}
        assert found, f"{prefix} not linked:\n{ldd}"
        for name, target in found.items():
            assert target.startswith(os.path.realpath(grafted) + os.sep), (name, target)


def test_needs_only_numpy():
    """faissx never imports FAISS's Python package: numpy is its only dependency."""
    script = (
        "import sys, numpy as np\n"
        "from faissx import client as faiss\n"
        "index = faiss.IndexFlatL2(4)\n"
        "index.add(np.eye(4, dtype='float32'))\n"
        "print(index.search(np.eye(4, dtype='float32')[:1], 1)[1][0, 0])\n"
        "assert not any(m == 'faiss' or m.startswith('faiss.') for m in sys.modules), "
        "sorted(m for m in sys.modules if 'faiss' in m)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"


def test_version():
    assert faissx.library_version().startswith("faissx ")
    assert "FAISS 1.12" in faissx.library_version()
