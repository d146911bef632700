"""The Python side of tests/python_interop.rs, run with the faiss-cpu wheel.

    interop.py check
    interop.py build  DIR D K    build indexes from DIR/xb.f32, write py_*.index + results
    interop.py search DIR D K    read DIR/rs_*.index (written by faissx), write results

Vectors and results travel as raw little-endian files: float32 vectors and distances,
int64 labels. Exit status 3 means faiss or numpy cannot be imported.
"""

import os
import sys

try:
    import numpy as np
    import faiss
except ImportError as error:
    print(
        f"cannot import faiss-cpu/numpy ({error}); install them: pip install faiss-cpu numpy",
        file=sys.stderr,
    )
    sys.exit(3)

NAMES = ("flat", "ivf", "hnsw")


def vectors(directory, name, d):
    return np.fromfile(os.path.join(directory, name), dtype="<f4").reshape(-1, d)


def save_results(directory, prefix, distances, labels):
    distances.astype("<f4").tofile(os.path.join(directory, prefix + ".dis"))
    labels.astype("<i8").tofile(os.path.join(directory, prefix + ".lab"))


def build(directory, d, k):
    xb, xq = vectors(directory, "xb.f32", d), vectors(directory, "xq.f32", d)
    flat = faiss.IndexFlatL2(d)
    ivf = faiss.index_factory(d, "IVF16,Flat")
    ivf.train(xb)
    ivf.nprobe = 4
    hnsw = faiss.IndexHNSWFlat(d, 16)
    hnsw.hnsw.efSearch = 64
    for name, index in zip(NAMES, (flat, ivf, hnsw)):
        index.add(xb)
        faiss.write_index(index, os.path.join(directory, f"py_{name}.index"))
        save_results(directory, f"py_{name}", *index.search(xq, k))
    pca = faiss.PCAMatrix(d, d // 2)
    pca.train(xb)
    faiss.write_VectorTransform(pca, os.path.join(directory, "py_pca.vt"))
    pca.apply(xq).astype("<f4").tofile(os.path.join(directory, "py_pca.out"))


def search(directory, d, k):
    xq = vectors(directory, "xq.f32", d)
    for name in NAMES:
        index = faiss.read_index(os.path.join(directory, f"rs_{name}.index"))
        save_results(directory, f"pysearch_{name}", *index.search(xq, k))


def main(argv):
    if argv[1:] == ["check"]:
        print(f"faiss {faiss.__version__}, numpy {np.__version__}")
        return 0
    command, directory, d, k = argv[1], argv[2], int(argv[3]), int(argv[4])
    {"build": build, "search": search}[command](directory, d, k)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
