# Python code block 5 of 10 of the seed FAISSx client README (section "Performance vs Memory Trade-offs"),
# kept verbatim below this header as a compatibility fixture: do not edit it.
# tests/test_seed_readme.py runs it; the only change it makes is the server address.
# High accuracy, high memory
index = faiss.IndexFlatL2(dimension)

# Good balance for most use cases
index = faiss.IndexIVFFlat(dimension, nlist=100)
index.nprobe = 10  # Adjust for speed vs accuracy

# Maximum memory efficiency
index = faiss.IndexIVFPQ(dimension, nlist=100, m=8, nbits=8)
