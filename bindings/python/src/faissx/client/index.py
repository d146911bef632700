"""Index classes with FAISS's Python API, over libfaissx handles.

An object wraps one libfaissx handle: a FAISS index in this process (local mode) or an index
held by a faissx-server (remote mode, after :func:`faissx.client.configure` or with
``FAISSX_SERVER`` set when the index is created). Every method is the same in both modes.
"""

from __future__ import annotations

import ctypes
import numbers
from ctypes import POINTER, byref, c_float, c_size_t, c_void_p
from typing import Any, List, Optional, Sequence, Tuple, Type, Union

import numpy as np

from .._native import check, check_getter, lib
from . import _arrays

__all__ = [
    "METRIC_INNER_PRODUCT",
    "METRIC_L2",
    "METRIC_L1",
    "METRIC_Linf",
    "ScalarQuantizer",
    "Index",
    "IndexFlat",
    "IndexFlatL2",
    "IndexFlatIP",
    "IndexIVF",
    "IndexIVFFlat",
    "IndexIVFPQ",
    "IndexIVFScalarQuantizer",
    "IndexHNSW",
    "IndexHNSWFlat",
    "IndexPQ",
    "IndexScalarQuantizer",
    "IndexIDMap",
    "IndexIDMap2",
    "IndexBinary",
    "IndexBinaryFlat",
    "IndexBinaryIVF",
]

METRIC_INNER_PRODUCT = 0
METRIC_L2 = 1
METRIC_L1 = 2
METRIC_Linf = 3


class ScalarQuantizer:
    """Quantizer types of :class:`IndexScalarQuantizer`, as ``faiss.ScalarQuantizer.QT_*``."""

    QT_8bit = 0
    QT_4bit = 1
    QT_8bit_uniform = 2
    QT_4bit_uniform = 3
    QT_fp16 = 4
    QT_8bit_direct = 5
    QT_6bit = 6
    QT_bf16 = 7
    QT_8bit_direct_signed = 8


def _new(constructor: Any, operation: str, *args: Any) -> int:
    handle = c_void_p()
    check(constructor(byref(handle), *args), operation)
    if not handle.value:
        raise ValueError(f"{operation}: libfaissx returned no object")
    return handle.value


def _metric(metric: Any) -> int:
    if isinstance(metric, bool) or not isinstance(metric, numbers.Integral):
        raise TypeError(f"metric must be an integer (faissx.client.METRIC_*), got {metric!r}")
    return int(metric)


def _range_result(handle: int, nq: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    lims_p = POINTER(c_size_t)()
    lib.faissx_RangeSearchResult_lims(handle, byref(lims_p))
    lims = np.ctypeslib.as_array(lims_p, shape=(nq + 1,)).astype(np.uint64, copy=True)
    total = int(lims[-1])
    labels_p = POINTER(ctypes.c_int64)()
    dist_p = POINTER(c_float)()
    lib.faissx_RangeSearchResult_labels(handle, byref(labels_p), byref(dist_p))
    if total:
        labels = np.ctypeslib.as_array(labels_p, shape=(total,)).copy()
        distances = np.ctypeslib.as_array(dist_p, shape=(total,)).copy()
    else:
        labels = np.empty(0, dtype=np.int64)
        distances = np.empty(0, dtype=np.float32)
    return lims, distances, labels


class _Selector:
    """An IDSelector built from what FAISS's Python ``remove_ids`` accepts."""

    def __init__(self, x: Any) -> None:
        if isinstance(x, IDSelectorRange):
            self.handle = _new(lib.faissx_IDSelectorRange_new, "IDSelectorRange", x.imin, x.imax)
            return
        if isinstance(x, IDSelectorBatch):
            x = x.ids
        ids = _arrays.ids(x, x.shape[0] if isinstance(x, np.ndarray) else -1, "ids to remove")
        self.handle = _new(
            lib.faissx_IDSelectorBatch_new, "IDSelectorBatch", ids.shape[0], ids.ctypes.data
        )

    def __enter__(self) -> int:
        return self.handle

    def __exit__(self, *exc: Any) -> None:
        lib.faissx_IDSelector_free(self.handle)


class IDSelectorRange:
    """Selects ids ``imin <= id < imax`` (for :meth:`Index.remove_ids`)."""

    def __init__(self, imin: int, imax: int) -> None:
        self.imin = int(imin)
        self.imax = int(imax)


class IDSelectorBatch:
    """Selects the ids of an int64 array (for :meth:`Index.remove_ids`)."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = _arrays.ids(ids, ids.shape[0] if isinstance(ids, np.ndarray) else -1)


class _Handle:
    """A libfaissx handle owned (or borrowed) by a Python object."""

    _handle: Optional[int] = None
    _owned: bool = False
    # Python objects the handle borrows from (a quantizer, a sub-index), kept alive with it.
    _keep: Tuple[Any, ...] = ()
    _free_name = "faissx_Index_free"

    def _adopt(self, handle: Optional[int], owned: bool = True, keep: Tuple[Any, ...] = ()) -> None:
        if not handle:
            raise ValueError("libfaissx returned no index")
        self._handle = handle
        self._owned = owned
        self._keep = keep

    def __del__(self) -> None:
        handle, self._handle = self._handle, None
        if handle and self._owned and lib is not None:
            try:
                getattr(lib, self._free_name)(handle)
            except Exception:  # interpreter shutdown: nothing left to report to
                pass

    @property
    def _h(self) -> int:
        if not self._handle:
            raise ValueError("this index has been freed")
        return self._handle


class Index(_Handle):
    """A float-vector index: FAISS's ``faiss.Index`` API on a libfaissx handle.

    Vectors go in and come out as numpy arrays: ``float32`` of shape ``(n, d)``, C-contiguous
    (libfaissx reads them in place: nothing is copied on the way in). Results are
    ``(D, I)``: ``float32`` distances and ``int64`` labels of shape ``(n, k)``, ``-1`` where
    fewer than ``k`` results exist.

    Subclasses are created with FAISS's constructors (``IndexFlatL2(d)``, ...), by
    :func:`faissx.client.index_factory`, :func:`faissx.client.read_index` or
    :func:`faissx.client.remote_open`. Wrong input raises ``TypeError``/``ValueError``; a
    failed libfaissx call raises :class:`faissx.FaissxError` with its code and message.
    """

    # Set for indexes read with memory mapping: FAISS aborts the process on a write to mapped
    # inverted lists (an exception thrown inside OpenMP), so writes are refused here first.
    _mapped_from: Optional[str] = None

    # --- creation ---------------------------------------------------------------------------

    @classmethod
    def _wrap(cls, handle: int, owned: bool = True, keep: Tuple[Any, ...] = ()) -> "Index":
        obj = object.__new__(cls)
        obj._adopt(handle, owned, keep)
        return obj

    # --- properties -------------------------------------------------------------------------

    @property
    def d(self) -> int:
        """Dimension of the vectors."""
        return lib.faissx_Index_d(self._h)

    @property
    def ntotal(self) -> int:
        """Number of vectors the index holds."""
        return lib.faissx_Index_ntotal(self._h)

    @property
    def is_trained(self) -> bool:
        """Whether the index is trained (indexes without training always are)."""
        return bool(lib.faissx_Index_is_trained(self._h))

    @property
    def metric_type(self) -> int:
        """``METRIC_L2`` (1), ``METRIC_INNER_PRODUCT`` (0), ..."""
        return lib.faissx_Index_metric_type(self._h)

    @property
    def verbose(self) -> bool:
        return bool(lib.faissx_Index_verbose(self._h))

    @verbose.setter
    def verbose(self, value: bool) -> None:
        lib.faissx_Index_set_verbose(self._h, int(bool(value)))

    @property
    def is_remote(self) -> bool:
        """True if the index lives on a faissx-server, False if FAISS runs it in this process."""
        return bool(lib.faissx_is_remote(self._h))

    @property
    def remote_name(self) -> Optional[str]:
        """The index's name on its server (for :func:`faissx.client.remote_open` in another
        service), or None for a local index. Asking for it shares the index: it no longer
        belongs to this process's session and stays on the server after the process exits."""
        # Sharing asks the server, which can fail: that raises, it is not a local index.
        lib.faissx_clear_last_error()
        name = check_getter(lib.faissx_remote_name(self._h), "remote_name")
        return name.decode("utf-8") if name else None

    # --- operations -------------------------------------------------------------------------

    def _vectors(self, x: Any, what: str = "x") -> np.ndarray:
        return _arrays.matrix(x, np.float32, self.d, what)

    def _writable(self, operation: str) -> int:
        if self._mapped_from is not None:
            raise ValueError(
                f"{operation}: this index maps its inverted lists from {self._mapped_from} "
                "(read with use_memory_mapping / IO_FLAG_MMAP) and is read-only; read it "
                "without memory mapping to modify it"
            )
        return self._h

    def train(self, x: np.ndarray) -> None:
        """Trains the index on the vectors ``x`` (float32, shape (n, d))."""
        x = self._vectors(x)
        check(lib.faissx_Index_train(self._writable("train"), x.shape[0], x.ctypes.data), "train")

    def add(self, x: np.ndarray) -> None:
        """Adds the vectors ``x`` (float32, shape (n, d)); their labels are ``ntotal`` onwards."""
        x = self._vectors(x)
        check(lib.faissx_Index_add(self._writable("add"), x.shape[0], x.ctypes.data), "add")

    def add_with_ids(self, x: np.ndarray, ids: np.ndarray) -> None:
        """Adds the vectors ``x`` with the labels ``ids`` (int64, shape (n,)).

        Only indexes that store ids (IndexIDMap, the IVF family) accept it, as in FAISS.
        """
        x = self._vectors(x)
        ids = _arrays.ids(ids, x.shape[0])
        check(
            lib.faissx_Index_add_with_ids(
                self._writable("add_with_ids"), x.shape[0], x.ctypes.data, ids.ctypes.data
            ),
            "add_with_ids",
        )

    def search(
        self,
        x: np.ndarray,
        k: int,
        *,
        params: Any = None,
        D: Optional[np.ndarray] = None,
        I: Optional[np.ndarray] = None,  # noqa: E741 - FAISS's name
    ) -> Tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest neighbours of each query in ``x`` (float32, shape (n, d)).

        Returns ``(D, I)``: distances (float32) and labels (int64), shape (n, k), nearest
        first; label -1 where the index holds fewer than k results. ``D`` and ``I`` may be
        given to receive the results in place.
        """
        if params is not None:
            raise TypeError(
                "search parameters objects are not supported by faissx.client; set nprobe "
                "or hnsw.efSearch on the index, or use set_parameter"
            )
        x = self._vectors(x)
        k = _arrays.count(k, "k")
        n = x.shape[0]
        D = _arrays.output(D, (n, k), np.float32, "D")
        I = _arrays.output(I, (n, k), np.int64, "I")  # noqa: E741
        check(
            lib.faissx_Index_search(self._h, n, x.ctypes.data, k, D.ctypes.data, I.ctypes.data),
            "search",
        )
        return D, I

    def assign(self, x: np.ndarray, k: int, labels: Optional[np.ndarray] = None) -> np.ndarray:
        """The labels of the ``k`` nearest neighbours of each query, shape (n, k)."""
        x = self._vectors(x)
        k = _arrays.count(k, "k")
        out = _arrays.output(labels, (x.shape[0], k), np.int64, "labels")
        check(
            lib.faissx_Index_assign(self._h, x.shape[0], x.ctypes.data, out.ctypes.data, k),
            "assign",
        )
        return out

    def range_search(
        self, x: np.ndarray, thresh: float, *, params: Any = None
    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every stored vector within ``thresh`` of each query (for L2: squared distance
        below ``thresh``; for inner product: similarity above it).

        Returns ``(lims, D, I)``: the results of query i are ``D[lims[i]:lims[i+1]]`` and
        ``I[lims[i]:lims[i+1]]`` (unordered within a query), as in FAISS.
        """
        if params is not None:
            raise TypeError("search parameters objects are not supported by faissx.client")
        x = self._vectors(x)
        n = x.shape[0]
        result = _new(lib.faissx_RangeSearchResult_new, "range_search", n)
        try:
            check(
                lib.faissx_Index_range_search(self._h, n, x.ctypes.data, float(thresh), result),
                "range_search",
            )
            lims, D, I = _range_result(result, n)  # noqa: E741
        finally:
            lib.faissx_RangeSearchResult_free(result)
        return lims, D, I

    def reset(self) -> None:
        """Removes every vector; a trained index stays trained."""
        check(lib.faissx_Index_reset(self._writable("reset")), "reset")

    def remove_ids(self, x: Union[np.ndarray, IDSelectorBatch, IDSelectorRange]) -> int:
        """Removes the vectors with the given ids (an int64 array or a selector); returns how
        many were removed. Flat indexes renumber the vectors after them, as in FAISS."""
        removed = c_size_t(0)
        with _Selector(x) as selector:
            check(
                lib.faissx_Index_remove_ids(self._writable("remove_ids"), selector, byref(removed)),
                "remove_ids",
            )
        return removed.value

    def reconstruct(self, key: int, x: Optional[np.ndarray] = None) -> np.ndarray:
        """The stored (decoded) vector of id ``key``, float32 of shape (d,)."""
        key = _arrays.count(key, "key", minimum=0)
        out = _arrays.output(x, (self.d,), np.float32, "x")
        check(lib.faissx_Index_reconstruct(self._h, key, out.ctypes.data), "reconstruct")
        return out

    def reconstruct_n(
        self, n0: int = 0, ni: int = -1, x: Optional[np.ndarray] = None
    ) -> np.ndarray:
        """The stored vectors of ids ``n0`` .. ``n0 + ni - 1`` (all from n0 when ni is -1),
        float32 of shape (ni, d)."""
        n0 = _arrays.count(n0, "n0", minimum=0)
        if ni == -1:
            ni = self.ntotal - n0
        ni = _arrays.count(ni, "ni", minimum=0)
        out = _arrays.output(x, (ni, self.d), np.float32, "x")
        check(lib.faissx_Index_reconstruct_n(self._h, n0, ni, out.ctypes.data), "reconstruct_n")
        return out

    def merge_from(self, other: "Index", add_id: int = 0) -> None:
        """Moves the vectors of ``other`` (same kind and parameters) into this index."""
        if not isinstance(other, Index):
            raise TypeError(f"merge_from needs a faissx index, got {type(other).__name__}")
        check(
            lib.faissx_Index_merge_from(self._writable("merge_from"), other._h, int(add_id)),
            "merge_from",
        )

    def set_parameter(self, name: str, value: Any) -> None:
        """Sets a search-time parameter by name, as FAISS's ``ParameterSpace`` does:
        ``"nprobe"`` (IVF), ``"efSearch"`` (HNSW), ``"k_factor"``, ``"ht"``, ..."""
        if not isinstance(name, str):
            raise TypeError(f"parameter name must be a str, got {type(name).__name__}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"parameter {name!r} needs a number, got {value!r}")
        space = _new(lib.faissx_ParameterSpace_new, "ParameterSpace")
        try:
            check(
                lib.faissx_ParameterSpace_set_index_parameter(
                    space, self._h, name.encode("utf-8"), float(value)
                ),
                f"set_parameter({name!r})",
            )
        finally:
            lib.faissx_ParameterSpace_free(space)

    def __repr__(self) -> str:
        if not self._handle:
            return f"<faissx {type(self).__name__} (freed)>"
        # Not the name: asking for it would share the index, which printing must not do.
        where = "remote" if self.is_remote else "local"
        return (
            f"<faissx {type(self).__name__} d={self.d} ntotal={self.ntotal} "
            f"is_trained={self.is_trained} {where}>"
        )


class IndexFlat(Index):
    """Exact search over stored vectors: ``IndexFlat(d, metric=METRIC_L2)``."""

    def __init__(self, d: int, metric: int = METRIC_L2) -> None:
        d = _arrays.count(d, "d")
        self._adopt(_new(lib.faissx_IndexFlat_new_with, "IndexFlat", d, _metric(metric)))


class IndexFlatL2(IndexFlat):
    """Exact search by squared L2 distance: ``IndexFlatL2(d)``.

    No training. ``search`` returns squared Euclidean distances, smallest first.
    """

    def __init__(self, d: int) -> None:
        d = _arrays.count(d, "d")
        self._adopt(_new(lib.faissx_IndexFlatL2_new_with, "IndexFlatL2", d))


class IndexFlatIP(IndexFlat):
    """Exact search by inner product: ``IndexFlatIP(d)`` (cosine similarity on normalized
    vectors). ``search`` returns similarities, largest first."""

    def __init__(self, d: int) -> None:
        d = _arrays.count(d, "d")
        self._adopt(_new(lib.faissx_IndexFlatIP_new_with, "IndexFlatIP", d))


def _quantizer_args(
    cls_name: str, args: Sequence[Any], kwargs: dict, names: Sequence[Tuple[str, Any]]
) -> Tuple[Optional[Index], int, List[Any]]:
    """Both constructor forms of the IVF family: FAISS's ``(quantizer, d, nlist, ...)`` and the
    FAISSx client's ``(d, nlist, ...)``, where the index makes its own flat quantizer.

    Returns the quantizer given (or None), d and the remaining arguments in order of ``names``.
    """
    rest = list(args)
    quantizer = None
    if rest and isinstance(rest[0], Index):
        quantizer = rest.pop(0)
    elif "quantizer" in kwargs:
        quantizer = kwargs.pop("quantizer")
        if not isinstance(quantizer, Index):
            raise TypeError(f"{cls_name}: quantizer must be a faissx index")
    if rest:
        d = rest.pop(0)
    elif "d" in kwargs:
        d = kwargs.pop("d")
    elif "dimension" in kwargs:
        d = kwargs.pop("dimension")
    else:
        raise TypeError(f"{cls_name}() missing the dimension d")
    d = _arrays.count(d, "d")
    values: List[Any] = []
    for name, default in names:
        if rest:
            values.append(rest.pop(0))
        elif name in kwargs:
            values.append(kwargs.pop(name))
        elif default is not _REQUIRED:
            values.append(default)
        else:
            raise TypeError(f"{cls_name}() missing the argument {name!r}")
    if rest or kwargs:
        extra = list(kwargs) or [repr(a) for a in rest]
        raise TypeError(f"{cls_name}() got unexpected arguments: {', '.join(map(str, extra))}")
    return quantizer, d, values


_REQUIRED = object()


class IndexIVF(Index):
    """The inverted-file family: vectors are stored in ``nlist`` lists, one per centroid of
    a coarse quantizer trained by k-means; a search visits the ``nprobe`` nearest lists."""

    _quantizer: Optional[Index] = None

    @property
    def nlist(self) -> int:
        """Number of inverted lists."""
        return lib.faissx_IndexIVF_nlist(self._h)

    @property
    def nprobe(self) -> int:
        """Lists visited per query (default 1): more is slower and finds more."""
        return lib.faissx_IndexIVF_nprobe(self._h)

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        value = _arrays.count(value, "nprobe")
        lib.faissx_IndexIVF_set_nprobe(self._h, value)

    @property
    def quantizer(self) -> Index:
        """The coarse quantizer. The one given to (or made by) the constructor is returned
        as it is; for an index from ``read_index`` or the factory, a view borrowed from the
        index (for a remote index, a local snapshot valid until the next write through it)."""
        if self._quantizer is not None:
            return self._quantizer
        return _wrap_index(lib.faissx_IndexIVF_quantizer(self._h), owned=False, keep=(self,))

    def _own_quantizer(self, quantizer: Optional[Index], d: int, metric: int) -> Index:
        if quantizer is not None:
            return quantizer
        if metric == METRIC_INNER_PRODUCT:
            return IndexFlatIP(d)
        return IndexFlatL2(d)


class IndexIVFFlat(IndexIVF):
    """IVF with vectors stored in full: ``IndexIVFFlat(quantizer, d, nlist, metric=METRIC_L2)``.

    Also accepts the FAISSx client's form ``IndexIVFFlat(d, nlist, metric=METRIC_L2)``, which
    makes a flat quantizer itself. Needs ``train`` before ``add``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        quantizer, d, (nlist, metric) = _quantizer_args(
            "IndexIVFFlat", args, kwargs, [("nlist", 100), ("metric", METRIC_L2)]
        )
        nlist = _arrays.count(nlist, "nlist")
        metric = _metric(metric)
        quantizer = self._own_quantizer(quantizer, d, metric)
        self._quantizer = quantizer
        self._adopt(
            _new(
                lib.faissx_IndexIVFFlat_new_with_metric,
                "IndexIVFFlat",
                quantizer._h,
                d,
                nlist,
                metric,
            ),
            keep=(quantizer,),
        )


class IndexIVFPQ(IndexIVF):
    """IVF with residuals compressed by a product quantizer:
    ``IndexIVFPQ(quantizer, d, nlist, M, nbits, metric=METRIC_L2)``.

    Also accepts the FAISSx client's form ``IndexIVFPQ(d, nlist, m, nbits)``. Each vector takes
    M codes of ``nbits`` bits (M must divide d). Needs ``train`` before ``add``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "m" in kwargs:
            kwargs["M"] = kwargs.pop("m")
        quantizer, d, (nlist, M, nbits, metric) = _quantizer_args(
            "IndexIVFPQ",
            args,
            kwargs,
            [("nlist", _REQUIRED), ("M", _REQUIRED), ("nbits", 8), ("metric", METRIC_L2)],
        )
        nlist = _arrays.count(nlist, "nlist")
        M = _arrays.count(M, "M")
        nbits = _arrays.count(nbits, "nbits")
        metric = _metric(metric)
        quantizer = self._own_quantizer(quantizer, d, metric)
        self._quantizer = quantizer
        self._adopt(
            _new(
                lib.faissx_IndexIVFPQ_new_with_metric,
                "IndexIVFPQ",
                quantizer._h,
                d,
                nlist,
                M,
                nbits,
                metric,
            ),
            keep=(quantizer,),
        )

    @property
    def M(self) -> int:
        return lib.faissx_IndexIVFPQ_M(self._h)

    @property
    def nbits(self) -> int:
        return lib.faissx_IndexIVFPQ_nbits(self._h)


class IndexIVFScalarQuantizer(IndexIVF):
    """IVF with vectors compressed by a scalar quantizer:
    ``IndexIVFScalarQuantizer(quantizer, d, nlist, qtype=ScalarQuantizer.QT_8bit,
    metric=METRIC_L2, encode_residual=True)``.

    Also accepts the FAISSx client's form ``IndexIVFScalarQuantizer(d, nlist, qtype)``.
    Needs ``train`` before ``add``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        quantizer, d, (nlist, qtype, metric, by_residual) = _quantizer_args(
            "IndexIVFScalarQuantizer",
            args,
            kwargs,
            [
                ("nlist", 100),
                ("qtype", ScalarQuantizer.QT_8bit),
                ("metric", METRIC_L2),
                ("encode_residual", True),
            ],
        )
        nlist = _arrays.count(nlist, "nlist")
        qtype = _arrays.count(qtype, "qtype", minimum=0)
        metric = _metric(metric)
        quantizer = self._own_quantizer(quantizer, d, metric)
        self._quantizer = quantizer
        self._adopt(
            _new(
                lib.faissx_IndexIVFScalarQuantizer_new_with_metric,
                "IndexIVFScalarQuantizer",
                quantizer._h,
                d,
                nlist,
                qtype,
                metric,
                int(bool(by_residual)),
            ),
            keep=(quantizer,),
        )


class _HNSWParameters:
    """``index.hnsw``: the graph's search and construction parameters."""

    def __init__(self, index: "IndexHNSW") -> None:
        self._index = index

    @property
    def efSearch(self) -> int:
        """Candidates kept while searching (default 16): more is slower and finds more."""
        return lib.faissx_IndexHNSW_efSearch(self._index._h)

    @efSearch.setter
    def efSearch(self, value: int) -> None:
        value = _arrays.count(value, "efSearch")
        lib.faissx_IndexHNSW_set_efSearch(self._index._h, value)

    @property
    def efConstruction(self) -> int:
        """Candidates kept while adding (default 40)."""
        return lib.faissx_IndexHNSW_efConstruction(self._index._h)

    @efConstruction.setter
    def efConstruction(self, value: int) -> None:
        value = _arrays.count(value, "efConstruction")
        lib.faissx_IndexHNSW_set_efConstruction(self._index._h, value)

    @property
    def M(self) -> int:
        """Neighbours per node on the upper levels (2·M on level 0)."""
        return lib.faissx_IndexHNSW_M(self._index._h)


class IndexHNSW(Index):
    """A hierarchical navigable small-world graph over stored vectors."""

    @property
    def hnsw(self) -> _HNSWParameters:
        """The graph's parameters: ``index.hnsw.efSearch = 64``."""
        return _HNSWParameters(self)


class IndexHNSWFlat(IndexHNSW):
    """HNSW graph over full vectors: ``IndexHNSWFlat(d, M=32, metric=METRIC_L2)``.

    No training; no removal. Builds are multi-threaded, so two builds of the same data may
    differ slightly, as in FAISS.
    """

    def __init__(self, d: int, M: int = 32, metric: int = METRIC_L2) -> None:
        d = _arrays.count(d, "d")
        M = _arrays.count(M, "M")
        self._adopt(
            _new(lib.faissx_IndexHNSWFlat_new_with_metric, "IndexHNSWFlat", d, M, _metric(metric))
        )


class IndexPQ(Index):
    """Product quantization: ``IndexPQ(d, M, nbits, metric=METRIC_L2)``.

    Each vector is cut into M sub-vectors (M divides d), each stored as an ``nbits``-bit code.
    Needs ``train``; distances are approximate.
    """

    def __init__(self, d: int, M: int, nbits: int = 8, metric: int = METRIC_L2) -> None:
        d = _arrays.count(d, "d")
        M = _arrays.count(M, "M")
        nbits = _arrays.count(nbits, "nbits")
        self._adopt(_new(lib.faissx_IndexPQ_new_with, "IndexPQ", d, M, nbits, _metric(metric)))

    @property
    def M(self) -> int:
        return lib.faissx_IndexPQ_M(self._h)

    @property
    def nbits(self) -> int:
        return lib.faissx_IndexPQ_nbits(self._h)


class IndexScalarQuantizer(Index):
    """Scalar quantization: ``IndexScalarQuantizer(d, qtype=ScalarQuantizer.QT_8bit,
    metric=METRIC_L2)``. Each component is stored on 8, 6, 4 bits or as fp16/bf16;
    needs ``train`` (except fp16/bf16/direct types)."""

    def __init__(
        self, d: int, qtype: int = ScalarQuantizer.QT_8bit, metric: int = METRIC_L2
    ) -> None:
        d = _arrays.count(d, "d")
        qtype = _arrays.count(qtype, "qtype", minimum=0)
        self._adopt(
            _new(
                lib.faissx_IndexScalarQuantizer_new_with,
                "IndexScalarQuantizer",
                d,
                qtype,
                _metric(metric),
            )
        )


class IndexIDMap(Index):
    """Your own 64-bit ids around another index: ``IndexIDMap(index)``.

    Use ``add_with_ids``; searches return your ids. The wrapped index is borrowed (kept alive
    by this object, as FAISS's Python does) and must be empty.
    """

    _map_new = "faissx_IndexIDMap_new"

    def __init__(self, index: Index) -> None:
        if not isinstance(index, Index):
            raise TypeError(
                f"{type(self).__name__} wraps a faissx index, got {type(index).__name__}"
            )
        self._adopt(_new(getattr(lib, self._map_new), type(self).__name__, index._h), keep=(index,))

    @property
    def index(self) -> Index:
        """The wrapped index."""
        if self._keep:
            return self._keep[0]
        return _wrap_index(lib.faissx_IndexIDMap_sub_index(self._h), owned=False, keep=(self,))

    @property
    def id_map(self) -> np.ndarray:
        """The ids, in the order the wrapped index stores their vectors (a copy)."""
        pointer = POINTER(ctypes.c_int64)()
        size = c_size_t(0)
        lib.faissx_IndexIDMap_id_map(self._h, byref(pointer), byref(size))
        if size.value == 0:
            return np.empty(0, dtype=np.int64)
        return np.ctypeslib.as_array(pointer, shape=(size.value,)).copy()


class IndexIDMap2(IndexIDMap):
    """As :class:`IndexIDMap`, and ``reconstruct`` takes your ids: ``IndexIDMap2(index)``."""

    _map_new = "faissx_IndexIDMap2_new"


# --- binary indexes ---------------------------------------------------------------------------


class IndexBinary(_Handle):
    """A binary-code index (Hamming distance): FAISS's ``faiss.IndexBinary`` API.

    ``d`` is in bits (a multiple of 8); vectors are ``uint8`` arrays of shape ``(n, d // 8)``.
    ``search`` returns ``(D, I)`` with int32 Hamming distances.
    """

    _free_name = "faissx_IndexBinary_free"

    @classmethod
    def _wrap(cls, handle: int, owned: bool = True, keep: Tuple[Any, ...] = ()) -> "IndexBinary":
        obj = object.__new__(cls)
        obj._adopt(handle, owned, keep)
        return obj

    @property
    def d(self) -> int:
        """Dimension in bits."""
        return lib.faissx_IndexBinary_d(self._h)

    @property
    def code_size(self) -> int:
        """Bytes per vector (d / 8)."""
        return self.d // 8

    @property
    def ntotal(self) -> int:
        return lib.faissx_IndexBinary_ntotal(self._h)

    @property
    def is_trained(self) -> bool:
        return bool(lib.faissx_IndexBinary_is_trained(self._h))

    @property
    def metric_type(self) -> int:
        return lib.faissx_IndexBinary_metric_type(self._h)

    @property
    def is_remote(self) -> bool:
        """True if the index lives on a faissx-server."""
        return bool(lib.faissx_is_remote(self._h))

    def _codes(self, x: Any, what: str = "x") -> np.ndarray:
        return _arrays.matrix(x, np.uint8, self.code_size, what, width_name="d / 8")

    def train(self, x: np.ndarray) -> None:
        """Trains the index on codes ``x`` (uint8, shape (n, d / 8))."""
        x = self._codes(x)
        check(lib.faissx_IndexBinary_train(self._h, x.shape[0], x.ctypes.data), "train")

    def add(self, x: np.ndarray) -> None:
        """Adds the codes ``x`` (uint8, shape (n, d / 8))."""
        x = self._codes(x)
        check(lib.faissx_IndexBinary_add(self._h, x.shape[0], x.ctypes.data), "add")

    def add_with_ids(self, x: np.ndarray, ids: np.ndarray) -> None:
        x = self._codes(x)
        ids = _arrays.ids(ids, x.shape[0])
        check(
            lib.faissx_IndexBinary_add_with_ids(
                self._h, x.shape[0], x.ctypes.data, ids.ctypes.data
            ),
            "add_with_ids",
        )

    def search(
        self,
        x: np.ndarray,
        k: int,
        *,
        params: Any = None,
        D: Optional[np.ndarray] = None,
        I: Optional[np.ndarray] = None,  # noqa: E741
    ) -> Tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest codes by Hamming distance: ``(D, I)``, int32 and int64, (n, k)."""
        if params is not None:
            raise TypeError("search parameters objects are not supported by faissx.client")
        x = self._codes(x)
        k = _arrays.count(k, "k")
        n = x.shape[0]
        D = _arrays.output(D, (n, k), np.int32, "D")
        I = _arrays.output(I, (n, k), np.int64, "I")  # noqa: E741
        check(
            lib.faissx_IndexBinary_search(
                self._h, n, x.ctypes.data, k, D.ctypes.data, I.ctypes.data
            ),
            "search",
        )
        return D, I

    def range_search(self, x: np.ndarray, thresh: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every code within Hamming distance < ``thresh``: ``(lims, D, I)`` as in FAISS."""
        x = self._codes(x)
        n = x.shape[0]
        result = _new(lib.faissx_RangeSearchResult_new, "range_search", n)
        try:
            check(
                lib.faissx_IndexBinary_range_search(self._h, n, x.ctypes.data, int(thresh), result),
                "range_search",
            )
            lims, D, I = _range_result(result, n)  # noqa: E741
        finally:
            lib.faissx_RangeSearchResult_free(result)
        # FAISS's binary range search reports integer distances.
        return lims, D.astype(np.int32), I

    def reset(self) -> None:
        check(lib.faissx_IndexBinary_reset(self._h), "reset")

    def remove_ids(self, x: Union[np.ndarray, IDSelectorBatch, IDSelectorRange]) -> int:
        removed = c_size_t(0)
        with _Selector(x) as selector:
            check(
                lib.faissx_IndexBinary_remove_ids(self._h, selector, byref(removed)),
                "remove_ids",
            )
        return removed.value

    def reconstruct(self, key: int) -> np.ndarray:
        """The stored code of id ``key``, uint8 of shape (d / 8,)."""
        key = _arrays.count(key, "key", minimum=0)
        out = np.empty(self.code_size, dtype=np.uint8)
        check(lib.faissx_IndexBinary_reconstruct(self._h, key, out.ctypes.data), "reconstruct")
        return out

    def reconstruct_n(self, n0: int = 0, ni: int = -1) -> np.ndarray:
        n0 = _arrays.count(n0, "n0", minimum=0)
        if ni == -1:
            ni = self.ntotal - n0
        ni = _arrays.count(ni, "ni", minimum=0)
        out = np.empty((ni, self.code_size), dtype=np.uint8)
        check(
            lib.faissx_IndexBinary_reconstruct_n(self._h, n0, ni, out.ctypes.data),
            "reconstruct_n",
        )
        return out

    def __repr__(self) -> str:
        if not self._handle:
            return f"<faissx {type(self).__name__} (freed)>"
        where = "remote" if self.is_remote else "local"
        return f"<faissx {type(self).__name__} d={self.d} ntotal={self.ntotal} {where}>"


class IndexBinaryFlat(IndexBinary):
    """Exact Hamming search over binary codes: ``IndexBinaryFlat(d)``, d in bits."""

    def __init__(self, d: int) -> None:
        d = _arrays.count(d, "d")
        self._adopt(_new(lib.faissx_IndexBinaryFlat_new_with, "IndexBinaryFlat", d))


class IndexBinaryIVF(IndexBinary):
    """Inverted lists of binary codes: ``IndexBinaryIVF(quantizer, d, nlist)``, or the FAISSx
    client's form ``IndexBinaryIVF(d, nlist)`` (a binary flat quantizer is made). Needs
    ``train``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        rest = list(args)
        quantizer = rest.pop(0) if rest and isinstance(rest[0], IndexBinary) else None
        quantizer = kwargs.pop("quantizer", quantizer)
        if not rest and "d" not in kwargs:
            raise TypeError("IndexBinaryIVF() missing the dimension d")
        d = _arrays.count(rest.pop(0) if rest else kwargs.pop("d"), "d")
        nlist = _arrays.count(rest.pop(0) if rest else kwargs.pop("nlist", 100), "nlist")
        if rest or kwargs:
            raise TypeError("IndexBinaryIVF() got unexpected arguments")
        if quantizer is None:
            quantizer = IndexBinaryFlat(d)
        self._quantizer = quantizer
        self._adopt(
            _new(lib.faissx_IndexBinaryIVF_new_with, "IndexBinaryIVF", quantizer._h, d, nlist),
            keep=(quantizer,),
        )

    @property
    def nlist(self) -> int:
        return lib.faissx_IndexBinaryIVF_nlist(self._h)

    @property
    def nprobe(self) -> int:
        """Lists visited per query (default 1)."""
        return lib.faissx_IndexBinaryIVF_nprobe(self._h)

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        lib.faissx_IndexBinaryIVF_set_nprobe(self._h, _arrays.count(value, "nprobe"))


# --- wrapping handles made by libfaissx (factory, read, open) ---------------------------------

# Most derived first: the first cast that answers names the class.
_FLOAT_KINDS: List[Tuple[str, Type[Index]]] = [
    ("faissx_IndexIDMap2_cast", IndexIDMap2),
    ("faissx_IndexIDMap_cast", IndexIDMap),
    ("faissx_IndexIVFPQ_cast", IndexIVFPQ),
    ("faissx_IndexIVFScalarQuantizer_cast", IndexIVFScalarQuantizer),
    ("faissx_IndexIVFFlat_cast", IndexIVFFlat),
    ("faissx_IndexIVF_cast", IndexIVF),
    ("faissx_IndexHNSWFlat_cast", IndexHNSWFlat),
    ("faissx_IndexHNSW_cast", IndexHNSW),
    ("faissx_IndexPQ_cast", IndexPQ),
    ("faissx_IndexScalarQuantizer_cast", IndexScalarQuantizer),
    ("faissx_IndexFlatL2_cast", IndexFlatL2),
    ("faissx_IndexFlatIP_cast", IndexFlatIP),
    ("faissx_IndexFlat_cast", IndexFlat),
]


def _wrap_index(handle: Optional[int], owned: bool = True, keep: Tuple[Any, ...] = ()) -> Index:
    """The Python object for a float index handle, of the most specific class libfaissx's
    casts recognize (plain :class:`Index` for kinds without their own class)."""
    if not handle:
        raise ValueError("libfaissx returned no index")
    for cast, cls in _FLOAT_KINDS:
        if getattr(lib, cast)(handle):
            return cls._wrap(handle, owned, keep)
    lib.faissx_clear_last_error()
    return Index._wrap(handle, owned, keep)


def _wrap_binary(handle: Optional[int], owned: bool = True) -> IndexBinary:
    if not handle:
        raise ValueError("libfaissx returned no index")
    if lib.faissx_IndexBinaryIVF_cast(handle):
        return IndexBinaryIVF._wrap(handle, owned)
    if lib.faissx_IndexBinaryFlat_cast(handle):
        return IndexBinaryFlat._wrap(handle, owned)
    return IndexBinary._wrap(handle, owned)
