"""Every index class of faissx.client against the faiss-cpu wheel, locally and on a server:
same construction, same data, same calls; labels identical, distances equal to float32
rounding (libfaissx's FAISS is built for AVX2, the wheel's for AVX-512)."""

from __future__ import annotations

import os

import faiss
import numpy as np
import pytest

from faissx import client as fx

K = 10


def assert_same_results(ours, theirs, exact_distances=False):
    D1, I1 = ours
    D2, I2 = theirs
    assert D1.dtype == D2.dtype and I1.dtype == I2.dtype == np.int64
    assert D1.shape == D2.shape and I1.shape == I2.shape
    np.testing.assert_array_equal(I1, I2)
    if exact_distances:
        np.testing.assert_array_equal(D1, D2)
    else:
        np.testing.assert_allclose(D1, D2, rtol=1e-5, atol=1e-5)


# name -> (builder taking the module (faiss or faissx.client) and d, needs training,
#          stores explicit ids, can reconstruct, can remove)
def _ivf_flat(m, d):
    return m.IndexIVFFlat(m.IndexFlatL2(d), d, 16)


def _ivf_flat_ip(m, d):
    return m.IndexIVFFlat(m.IndexFlatIP(d), d, 16, m.METRIC_INNER_PRODUCT)


def _ivf_pq(m, d):
    return m.IndexIVFPQ(m.IndexFlatL2(d), d, 16, 8, 8)


def _ivf_sq(m, d):
    return m.IndexIVFScalarQuantizer(m.IndexFlatL2(d), d, 16, m.ScalarQuantizer.QT_8bit)


KINDS = {
    "IndexFlatL2": (lambda m, d: m.IndexFlatL2(d), False, True, True),
    "IndexFlatIP": (lambda m, d: m.IndexFlatIP(d), False, True, True),
    "IndexFlat_L1": (lambda m, d: m.IndexFlat(d, m.METRIC_L1), False, True, True),
    "IndexIVFFlat": (_ivf_flat, True, False, True),
    "IndexIVFFlat_IP": (_ivf_flat_ip, True, False, True),
    "IndexIVFPQ": (_ivf_pq, True, False, True),
    "IndexIVFScalarQuantizer": (_ivf_sq, True, False, True),
    "IndexPQ": (lambda m, d: m.IndexPQ(d, 8, 8), True, True, True),
    "IndexScalarQuantizer_8bit": (
        lambda m, d: m.IndexScalarQuantizer(d, m.ScalarQuantizer.QT_8bit),
        True,
        True,
        True,
    ),
    "IndexScalarQuantizer_fp16": (
        lambda m, d: m.IndexScalarQuantizer(d, m.ScalarQuantizer.QT_fp16),
        False,
        True,
        True,
    ),
}


def _both(name, d):
    build = KINDS[name][0]
    return build(fx, d), build(faiss, d)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_class_matches_faiss_cpu(mode, data, name, tmp_path):
    d, xb, xq, xt = data["d"], data["xb"], data["xq"], data["xt"]
    _, trains, reconstructs, removes = KINDS[name]
    ours, theirs = _both(name, d)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.is_remote == (mode == "remote")
    assert ours.d == theirs.d == d
    assert ours.metric_type == theirs.metric_type
    assert ours.is_trained == theirs.is_trained == (not trains)
    if trains:
        ours.train(xt)
        theirs.train(xt)
        assert ours.is_trained and theirs.is_trained
    ours.add(xb)
    theirs.add(xb)
    assert ours.ntotal == theirs.ntotal == len(xb)
    if hasattr(theirs, "nprobe"):
        ours.nprobe = theirs.nprobe = 4
        assert ours.nprobe == 4
        assert ours.nlist == theirs.nlist == 16
    assert_same_results(ours.search(xq, K), theirs.search(xq, K))

    # Results into caller-provided buffers, written in place.
    D = np.empty((len(xq), K), dtype=np.float32)
    I = np.empty((len(xq), K), dtype=np.int64)  # noqa: E741
    D2, I2 = ours.search(xq, K, D=D, I=I)
    assert D2 is D and I2 is I
    assert_same_results((D, I), theirs.search(xq, K))

    # More neighbours than vectors on a small query set: -1 labels, as FAISS.
    if not trains:
        small_ours, small_theirs = _both(name, d)
        small_ours.add(xb[:3])
        small_theirs.add(xb[:3])
        assert_same_results(small_ours.search(xq[:2], 5), small_theirs.search(xq[:2], 5))

    if reconstructs:
        np.testing.assert_array_equal(ours.reconstruct(7), theirs.reconstruct(7))
        np.testing.assert_array_equal(ours.reconstruct_n(10, 5), theirs.reconstruct_n(10, 5))

    # Written by faissx, read by the wheel: the same index.
    path = str(tmp_path / "ours.index")
    fx.write_index(ours, path)
    from_ours = faiss.read_index(path)
    if hasattr(from_ours, "nprobe"):
        from_ours.nprobe = 4
    assert_same_results(ours.search(xq, K), from_ours.search(xq, K), exact_distances=False)

    # Written by the wheel, read by faissx (created on the server in remote mode).
    path2 = str(tmp_path / "theirs.index")
    faiss.write_index(theirs, path2)
    from_theirs = fx.read_index(path2)
    assert from_theirs.is_remote == (mode == "remote")
    assert type(from_theirs).__name__ == type(theirs).__name__
    if hasattr(theirs, "nprobe"):
        from_theirs.nprobe = 4
    assert_same_results(from_theirs.search(xq, K), theirs.search(xq, K))

    if removes:
        ids = np.arange(0, 400, 3, dtype=np.int64)
        assert ours.remove_ids(ids) == theirs.remove_ids(ids) == len(ids)
        assert ours.ntotal == theirs.ntotal == len(xb) - len(ids)
        assert_same_results(ours.search(xq, K), theirs.search(xq, K))
        selector_ours = fx.IDSelectorRange(1000, 1100)
        selector_theirs = faiss.IDSelectorRange(1000, 1100)
        assert ours.remove_ids(selector_ours) == theirs.remove_ids(selector_theirs)
        assert_same_results(ours.search(xq, K), theirs.search(xq, K))

    ours.reset()
    theirs.reset()
    assert ours.ntotal == 0 and ours.is_trained
    D, I = ours.search(xq[:2], 3)  # noqa: E741
    assert (I == -1).all()


@pytest.mark.parametrize("name", ["IndexFlatL2", "IndexFlatIP", "IndexIVFFlat"])
def test_range_search_matches_faiss_cpu(mode, data, name):
    d, xb, xq, xt = data["d"], data["xb"], data["xq"], data["xt"]
    ours, theirs = _both(name, d)
    if KINDS[name][1]:
        ours.train(xt)
        theirs.train(xt)
    ours.add(xb)
    theirs.add(xb)
    # A radius that finds a few dozen neighbours per query.
    D, _ = theirs.search(xq, 30)
    radius = float(np.median(D[:, -1]))
    if name == "IndexFlatIP":
        radius = float(np.median(D[:, 20]))
    lims1, D1, I1 = ours.range_search(xq, radius)
    lims2, D2, I2 = theirs.range_search(xq, radius)
    assert lims1.dtype == lims2.dtype
    np.testing.assert_array_equal(lims1, lims2)
    assert lims1[-1] > len(xq)
    for q in range(len(xq)):
        a, b = lims1[q], lims1[q + 1]
        o1, o2 = np.argsort(I1[a:b]), np.argsort(I2[a:b])
        np.testing.assert_array_equal(I1[a:b][o1], I2[a:b][o2])
        np.testing.assert_allclose(D1[a:b][o1], D2[a:b][o2], rtol=1e-5, atol=1e-5)


def test_hnsw(mode, data, tmp_path):
    """HNSW builds are multi-threaded, so two builds differ: parity is checked on one built
    graph (faissx's, read by the wheel), the build by recall against exact search."""
    d, xb, xq = data["d"], data["xb"], data["xq"]
    ours = fx.IndexHNSWFlat(d, 16)
    assert ours.is_remote == (mode == "remote")
    assert ours.hnsw.M == 16
    ours.hnsw.efConstruction = 40
    assert ours.hnsw.efConstruction == 40
    ours.add(xb)
    ours.hnsw.efSearch = 64
    assert ours.hnsw.efSearch == 64
    path = str(tmp_path / "hnsw.index")
    fx.write_index(ours, path)
    theirs = faiss.read_index(path)
    theirs.hnsw.efSearch = 64
    assert_same_results(ours.search(xq, K), theirs.search(xq, K))

    exact = faiss.IndexFlatL2(d)
    exact.add(xb)
    _, truth = exact.search(xq, 1)
    _, found = ours.search(xq, K)
    recall = np.mean([truth[i, 0] in found[i] for i in range(len(xq))])
    assert recall >= 0.95

    ours.set_parameter("efSearch", 128)
    assert ours.hnsw.efSearch == 128
    back = fx.read_index(path)
    assert isinstance(back, fx.IndexHNSWFlat)
    assert back.is_remote == (mode == "remote")
    back.hnsw.efSearch = 64
    assert_same_results(back.search(xq, K), theirs.search(xq, K))


@pytest.mark.parametrize("cls", ["IndexIDMap", "IndexIDMap2"])
def test_idmap(mode, data, cls, tmp_path):
    d, xb, xq = data["d"], data["xb"], data["xq"]
    ids = np.arange(10**12, 10**12 + len(xb) * 7, 7, dtype=np.int64)
    ours = getattr(fx, cls)(fx.IndexFlatL2(d))
    theirs = getattr(faiss, cls)(faiss.IndexFlatL2(d))
    assert ours.is_remote == (mode == "remote")
    ours.add_with_ids(xb, ids)
    theirs.add_with_ids(xb, ids)
    assert_same_results(ours.search(xq, K), theirs.search(xq, K))
    np.testing.assert_array_equal(ours.id_map, ids)
    if cls == "IndexIDMap2":
        key = int(ids[123])
        np.testing.assert_array_equal(ours.reconstruct(key), theirs.reconstruct(key))
    removed = ids[::5].copy()
    assert ours.remove_ids(removed) == theirs.remove_ids(removed) == len(removed)
    assert_same_results(ours.search(xq, K), theirs.search(xq, K))
    path = str(tmp_path / "idmap.index")
    fx.write_index(ours, path)
    assert type(faiss.read_index(path)).__name__ == cls
    assert_same_results(ours.search(xq, K), faiss.read_index(path).search(xq, K))
    with pytest.raises(fx.FaissxError):
        ours.add(xb[:2])  # an IDMap needs ids, as in FAISS


def test_ivf_seed_forms(mode, data):
    """The FAISSx client's constructors without a quantizer make a flat one of the metric."""
    d, xb, xq, xt = data["d"], data["xb"], data["xq"], data["xt"]
    cases = [
        (fx.IndexIVFFlat(d, nlist=16), faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, 16)),
        (
            fx.IndexIVFPQ(d, nlist=16, m=8, nbits=8),
            faiss.IndexIVFPQ(faiss.IndexFlatL2(d), d, 16, 8, 8),
        ),
        (
            fx.IndexIVFScalarQuantizer(d, 16, fx.ScalarQuantizer.QT_fp16),
            faiss.IndexIVFScalarQuantizer(
                faiss.IndexFlatL2(d), d, 16, faiss.ScalarQuantizer.QT_fp16
            ),
        ),
    ]
    for ours, theirs in cases:
        assert ours.is_remote == (mode == "remote")
        assert ours.quantizer.is_remote == (mode == "remote")
        for index in (ours, theirs):
            index.train(xt)
            index.add(xb)
            index.nprobe = 3
        assert_same_results(ours.search(xq, K), theirs.search(xq, K))
        assert ours.quantizer.ntotal == 16
    assert fx.IndexIVFPQ(d, nlist=16, m=8, nbits=8).M == 8


# "np": no polysemous training, which the factory turns on for PQ and takes ~50 s here.
FACTORY = [
    "Flat",
    "IVF16,Flat",
    "IVF16,PQ8np",
    "PQ8np",
    "SQ8",
    "IVF16,SQ8",
    "IDMap,Flat",
    "IDMap2,Flat",
]


@pytest.mark.parametrize("description", FACTORY)
def test_index_factory(mode, data, description):
    d, xb, xq, xt = data["d"], data["xb"], data["xq"], data["xt"]
    ours = fx.index_factory(d, description)
    theirs = faiss.index_factory(d, description)
    assert ours.is_remote == (mode == "remote")
    assert type(ours).__name__ == type(theirs).__name__
    if not theirs.is_trained:
        ours.train(xt)
        theirs.train(xt)
    if description.startswith("IDMap"):
        ids = np.arange(len(xb), dtype=np.int64) * 3
        ours.add_with_ids(xb, ids)
        theirs.add_with_ids(xb, ids)
    else:
        ours.add(xb)
        theirs.add(xb)
    if description.startswith("IVF"):
        ours.set_parameter("nprobe", 5)
        faiss.ParameterSpace().set_index_parameter(theirs, "nprobe", 5)
        assert ours.nprobe == 5
    assert_same_results(ours.search(xq, K), theirs.search(xq, K))
    ip = fx.index_factory(d, description, fx.METRIC_INNER_PRODUCT)
    assert ip.metric_type == fx.METRIC_INNER_PRODUCT


def test_serialize_and_clone(mode, data):
    d, xb, xq = data["d"], data["xb"], data["xq"]
    theirs = faiss.IndexFlatL2(d)
    theirs.add(xb)
    ours = fx.deserialize_index(faiss.serialize_index(theirs))
    assert ours.is_remote == (mode == "remote")
    assert_same_results(ours.search(xq, K), theirs.search(xq, K))
    back = faiss.deserialize_index(fx.serialize_index(ours))
    assert_same_results(back.search(xq, K), theirs.search(xq, K))
    copy = fx.clone_index(ours)
    assert copy.is_remote == (mode == "remote")
    ours.reset()
    assert copy.ntotal == len(xb)


@pytest.mark.parametrize("kind", ["IndexBinaryFlat", "IndexBinaryIVF"])
def test_binary(mode, kind, tmp_path):
    rng = np.random.default_rng(7)
    d = 64
    xb = rng.integers(0, 256, (3000, d // 8), dtype=np.uint8)
    xq = rng.integers(0, 256, (40, d // 8), dtype=np.uint8)
    if kind == "IndexBinaryFlat":
        ours, theirs = fx.IndexBinaryFlat(d), faiss.IndexBinaryFlat(d)
    else:
        ours = fx.IndexBinaryIVF(fx.IndexBinaryFlat(d), d, 8)
        theirs = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(d), d, 8)
        ours.train(xb)
        theirs.train(xb)
        ours.nprobe = theirs.nprobe = 3
        assert ours.nprobe == 3 and ours.nlist == 8
    assert ours.is_remote == (mode == "remote")
    assert ours.d == d and ours.code_size == 8
    ours.add(xb)
    theirs.add(xb)
    assert ours.ntotal == theirs.ntotal
    D1, I1 = ours.search(xq, K)
    D2, I2 = theirs.search(xq, K)
    assert D1.dtype == np.int32
    np.testing.assert_array_equal(D1, D2)
    # Hamming ties are common: compare the label sets of each distance.
    for q in range(len(xq)):
        for dist in np.unique(D1[q][:-1]):
            last = D1[q] == D1[q][-1]
            sel = (D1[q] == dist) & ~last
            assert set(I1[q][sel]) == set(I2[q][sel])
    if kind == "IndexBinaryFlat":
        np.testing.assert_array_equal(ours.reconstruct(5), xb[5])
        np.testing.assert_array_equal(ours.reconstruct_n(0, 4), xb[:4])
    path = str(tmp_path / "b.index")
    fx.write_index_binary(ours, path)
    back = faiss.read_index_binary(path)
    if kind == "IndexBinaryIVF":
        back.nprobe = 3
    np.testing.assert_array_equal(back.search(xq, K)[0], D1)
    again = fx.read_index_binary(path)
    assert type(again).__name__ == kind
    assert again.is_remote == (mode == "remote")
    ours.reset()
    assert ours.ntotal == 0
    with pytest.raises(TypeError, match="uint8"):
        again.search(xq.astype(np.int8), K)


def test_merge_and_split(mode, data):
    d, xb, xq = data["d"], data["xb"], data["xq"]
    parts = []
    for chunk in np.array_split(xb, 3):
        index = fx.IndexFlatL2(d)
        index.add(np.ascontiguousarray(chunk))
        parts.append(index)
    merged = fx.merge_indices(parts)
    assert merged.is_remote == (mode == "remote")
    assert merged.ntotal == len(xb)
    reference = faiss.IndexFlatL2(d)
    reference.add(xb)
    assert_same_results(merged.search(xq, K), reference.search(xq, K))
    assert sum(p.ntotal for p in parts) == len(xb)  # the sources are unchanged

    from faissx.client.modification import merge_indices, split_index

    pieces = split_index(merged, 4)
    assert [p.ntotal for p in pieces] == [1000, 1000, 1000, 1000]
    assert all(p.is_remote == (mode == "remote") for p in pieces)
    np.testing.assert_array_equal(pieces[2].reconstruct(0), xb[2000])
    assert_same_results(merge_indices(pieces).search(xq, K), reference.search(xq, K))

    ivf = fx.IndexIDMap2(fx.IndexFlatL2(d))
    ivf.add_with_ids(xb, np.arange(len(xb), dtype=np.int64) + 500)
    halves = fx.split_index(ivf, 2)
    assert sorted(np.concatenate([h.id_map for h in halves]).tolist()) == list(
        range(500, 500 + len(xb))
    )


def test_normalize_l2():
    x = np.random.default_rng(5).random((50, 16), dtype=np.float32)
    ours, theirs = x.copy(), x.copy()
    fx.normalize_L2(ours)
    faiss.normalize_L2(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    with pytest.raises(TypeError, match="float32"):
        fx.normalize_L2(x.astype(np.float64))


def test_help_reads_well():
    import pydoc

    text = pydoc.render_doc(fx.IndexFlatL2, renderer=pydoc.plaintext)
    assert "Exact search by squared L2 distance" in text
    assert "search(self, x: 'np.ndarray', k: 'int'" in text
    assert "The ``k`` nearest neighbours" in text
    import faissx

    package = os.path.dirname(faissx.__file__)
    assert os.path.isfile(os.path.join(package, "py.typed"))


def test_threads_share_an_index(mode, data):
    """Calls release the GIL (ctypes); libfaissx's errors are per thread, so a failing call
    in one thread reports its own message while other threads search."""
    from concurrent.futures import ThreadPoolExecutor

    d, xb, xq = data["d"], data["xb"], data["xq"]
    ours = fx.IndexFlatL2(d)
    ours.add(xb)
    expected = ours.search(xq, K)

    def work(i):
        if i % 4 == 3:
            with pytest.raises(ValueError, match="k must be >= 1"):
                ours.search(xq, 0)
            # The message names this thread's own factory string, not another thread's.
            with pytest.raises(fx.FaissxError) as info:
                fx.index_factory(d, f"NoSuchIndex{i}")
            return "error" if f"NoSuchIndex{i}" in info.value.message else info.value.message
        D, I = ours.search(xq, K)  # noqa: E741
        np.testing.assert_array_equal(I, expected[1])
        return "ok"

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, range(32)))
    assert results.count("ok") == 24 and results.count("error") == 8
