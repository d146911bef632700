# Python code block 7 of 10 of the seed FAISSx client README (section "Index Modification Utilities"),
# kept verbatim below this header as a compatibility fixture: do not edit it.
# tests/test_seed_readme.py runs it; the only change it makes is the server address.
from faissx.client.modification import merge_indices, split_index

# Merge multiple indices
merged_index = merge_indices([index1, index2, index3])

# Split an index into multiple parts
split_indices = split_index(index, 3)  # Split into 3 parts
