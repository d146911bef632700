# Python code block 1 of 10 of the seed FAISSx client README (section "Quick Start"),
# kept verbatim below this header as a compatibility fixture: do not edit it.
# tests/test_seed_readme.py runs it; the only change it makes is the server address.
# Just change your import - everything else stays the same!
from faissx import client as faiss  # ← replace "import faiss" with this
import numpy as np

# Your existing FAISS code works unchanged
dimension = 128
index = faiss.IndexFlatL2(dimension)
vectors = np.random.random((100, dimension)).astype('float32')
index.add(vectors)
D, I = index.search(np.random.random((1, dimension)).astype('float32'), k=5)

# Optional: Connect to a remote FAISSx server for distributed search
faiss.configure(server="tcp://localhost:45678", api_key="your-key", tenant_id="your-tenant")
# Now all operations use the remote server
