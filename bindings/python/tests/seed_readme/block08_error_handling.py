# Python code block 8 of 10 of the seed FAISSx client README (section "Error Handling"),
# kept verbatim below this header as a compatibility fixture: do not edit it.
# tests/test_seed_readme.py runs it; the only change it makes is the server address.
from faissx import client as faiss
from faissx.client.recovery import with_retry, configure_recovery

# Configure recovery behavior
configure_recovery(max_retries=5, initial_backoff=1.0, backoff_factor=2.0)

try:
    faiss.configure(server="tcp://your-server:45678")

    # Use automatic retry for operations
    index = faiss.IndexFlatL2(128)
    with_retry(index.add, vectors)

except RuntimeError as e:
    print(f"Connection error: {e}")
    # Handle the error appropriately
