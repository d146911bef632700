# Python code block 4 of 10 of the seed FAISSx client README (section "Programmatic Configuration"),
# kept verbatim below this header as a compatibility fixture: do not edit it.
# tests/test_seed_readme.py runs it; the only change it makes is the server address.
from faissx import client as faiss

# Configure the client programmatically
faiss.configure(
    server="tcp://your-server:45678",
    api_key="your-api-key",
    tenant_id="your-tenant-id"
)
