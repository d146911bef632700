# Python code block 10 of 10 of the seed FAISSx client README (section "Working with Existing FAISS Code"),
# kept verbatim below this header as a compatibility fixture: do not edit it.
# tests/test_seed_readme.py runs it; the only change it makes is the server address.
# Original code using local FAISS
import faiss
index = faiss.IndexFlatL2(128)

# Switch to FAISSx (local mode)
from faissx import client as faiss
index = faiss.IndexFlatL2(128)

# Switch to FAISSx (remote mode)
from faissx import client as faiss
faiss.configure(server="tcp://localhost:45678")
index = faiss.IndexFlatL2(128)
