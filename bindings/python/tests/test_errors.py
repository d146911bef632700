"""Bad input gives a clear exception naming what was wrong, locally and remotely, and leaves
the index as it was; libfaissx's failures arrive as FaissxError with its code and message."""

from __future__ import annotations

import numpy as np
import pytest

import faissx
from faissx import client as fx

D = 32


@pytest.fixture
def flat(mode):
    index = fx.IndexFlatL2(D)
    assert index.is_remote == (mode == "remote")
    index.add(np.ones((10, D), dtype=np.float32))
    return index


def test_wrong_dtype(flat):
    x64 = np.ones((3, D))
    calls = (
        flat.add,
        flat.train,
        lambda x: flat.search(x, 2),
        lambda x: flat.range_search(x, 1.0),
        lambda x: flat.assign(x, 1),
    )
    for call in calls:
        with pytest.raises(TypeError, match=r"dtype float32, got float64.*astype\('float32'\)"):
            call(x64)
    with pytest.raises(TypeError, match="dtype float32, got int64"):
        flat.add(np.ones((3, D), dtype=np.int64))
    with pytest.raises(TypeError, match="must be a numpy array of float32.*got a list"):
        flat.add([[0.0] * D])
    assert flat.ntotal == 10


def test_wrong_ids(mode):
    index = fx.IndexIDMap(fx.IndexFlatL2(D))
    x = np.ones((3, D), dtype=np.float32)
    with pytest.raises(TypeError, match="ids must have dtype int64, got int32"):
        index.add_with_ids(x, np.arange(3, dtype=np.int32))
    with pytest.raises(ValueError, match=r"ids must have shape \(3,\), got \(2,\)"):
        index.add_with_ids(x, np.arange(2, dtype=np.int64))
    with pytest.raises(TypeError, match="ids to remove must have dtype int64"):
        index.remove_ids(np.arange(3, dtype=np.int32))
    assert index.ntotal == 0


def test_wrong_shape(flat):
    with pytest.raises(ValueError, match=r"must be 2-D with shape \(n, 32\), got shape \(32,\)"):
        flat.search(np.ones(D, dtype=np.float32), 1)
    with pytest.raises(ValueError, match="x has 16 columns, but the index has d = 32"):
        flat.add(np.ones((4, 16), dtype=np.float32))
    with pytest.raises(ValueError, match="has 33 columns"):
        flat.search(np.ones((1, D + 1), dtype=np.float32), 1)
    with pytest.raises(ValueError, match=r"D must be a numpy array of float32 with shape \(1, 2\)"):
        flat.search(np.ones((1, D), dtype=np.float32), 2, D=np.empty((1, 3), np.float32))
    assert flat.ntotal == 10


def test_non_contiguous(flat):
    wide = np.ones((4, 2 * D), dtype=np.float32)
    for x in (
        wide[:, ::2],
        np.asfortranarray(np.ones((4, D), dtype=np.float32)),
        np.ones((8, D), dtype=np.float32)[::2],
    ):
        assert x.shape == (4, D)
        with pytest.raises(ValueError, match=r"not C-contiguous.*np\.ascontiguousarray"):
            flat.add(x)
        with pytest.raises(ValueError, match="not C-contiguous"):
            flat.search(x, 1)
    assert flat.ntotal == 10


def test_bad_k(flat):
    q = np.ones((1, D), dtype=np.float32)
    for k in (0, -1, -100):
        with pytest.raises(ValueError, match=f"k must be >= 1, got {k}"):
            flat.search(q, k)
    with pytest.raises(TypeError, match="k must be an integer, got float"):
        flat.search(q, 2.5)
    with pytest.raises(ValueError, match="k must be >= 1"):
        flat.assign(q, 0)
    # Beyond what libfaissx accepts: its own error, with its code.
    with pytest.raises(faissx.InvalidArgumentError) as info:
        flat.search(q, 1 << 30)
    assert info.value.code == -5
    assert "k must be <= 16777216 (got 1073741824)" in info.value.message


def test_libfaissx_errors_carry_code_and_message(mode):
    ivf = fx.IndexIVFFlat(fx.IndexFlatL2(D), D, 4)
    with pytest.raises(faissx.FaissError) as info:
        ivf.add(np.ones((3, D), dtype=np.float32))
    assert info.value.code == -2
    assert "faissx_Index_add" in info.value.message
    assert "train" in info.value.message.lower()
    assert isinstance(info.value, RuntimeError)  # what FAISS's Python raises

    with pytest.raises(faissx.InvalidArgumentError) as info:
        fx.IndexPQ(D, 5, 8)  # M must divide d
    assert info.value.code == -5

    with pytest.raises(faissx.FaissError, match="could not parse"):
        fx.index_factory(D, "NoSuchIndex")

    flat = fx.IndexFlatL2(D)
    flat.add(np.ones((2, D), dtype=np.float32))
    with pytest.raises(faissx.FaissxError) as info:
        flat.reconstruct(5)
    assert info.value.code < 0 and "faissx_Index_reconstruct" in info.value.message

    hnsw = fx.IndexHNSWFlat(D, 8)
    with pytest.raises(faissx.FaissError, match="remove_ids not implemented") as info:
        hnsw.remove_ids(np.array([0], dtype=np.int64))
    assert info.value.code == -2

    nan = np.full((1, D), np.nan, dtype=np.float32)
    with pytest.raises(faissx.InvalidArgumentError, match="(?i)nan"):
        flat.add(nan)
    assert flat.ntotal == 2


def test_constructor_arguments():
    with pytest.raises(ValueError, match="d must be >= 1, got 0"):
        fx.IndexFlatL2(0)
    with pytest.raises(TypeError, match="d must be an integer"):
        fx.IndexFlatL2("128")
    with pytest.raises(TypeError, match="missing the argument 'M'"):
        fx.IndexIVFPQ(fx.IndexFlatL2(D), D, 4)
    with pytest.raises(TypeError, match="unexpected arguments: bogus"):
        fx.IndexIVFFlat(D, nlist=4, bogus=1)
    with pytest.raises(TypeError, match="wraps a faissx index"):
        fx.IndexIDMap("not an index")
    with pytest.raises(TypeError, match="metric must be an integer"):
        fx.IndexFlat(D, "L2")


def test_mapped_index_is_read_only(tmp_path):
    import faiss

    rng = np.random.default_rng(3)
    xb = rng.random((2000, D), dtype=np.float32)
    reference = faiss.index_factory(D, "IVF8,Flat")
    reference.train(xb)
    reference.add(xb)
    path = str(tmp_path / "ivf.index")
    faiss.write_index(reference, path)

    from faissx.client.optimization import memory_manager

    memory_manager.set_option("use_memory_mapping", True)
    try:
        mapped = fx.read_index(path)
    finally:
        memory_manager.set_option("use_memory_mapping", False)
    with open("/proc/self/maps") as maps:
        assert path in maps.read()  # the lists really are mapped from the file
    mapped.nprobe = reference.nprobe = 3
    D1, I1 = mapped.search(xb[:20], 5)
    D2, I2 = reference.search(xb[:20], 5)
    np.testing.assert_array_equal(I1, I2)
    with pytest.raises(ValueError, match="read-only"):
        mapped.add(xb[:2])
    with pytest.raises(ValueError, match="read-only"):
        mapped.reset()
    assert mapped.ntotal == 2000
    loaded = fx.read_index(path)
    loaded.add(xb[:2])
    assert loaded.ntotal == 2002
