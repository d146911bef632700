# Python code block 2 of 10 of the seed FAISSx client README (section "Local Mode (Default)"),
# kept verbatim below this header as a compatibility fixture: do not edit it.
# tests/test_seed_readme.py runs it; the only change it makes is the server address.
# Just change the import - everything else stays the same
from faissx import client as faiss
import numpy as np

# Do FAISS stuff...
dimension = 128
index = faiss.IndexFlatL2(dimension)
vectors = np.random.random((100, dimension)).astype('float32')
index.add(vectors)
D, I = index.search(np.random.random((1, dimension)).astype('float32'), k=5)
