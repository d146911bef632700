# Python code block 9 of 10 of the seed FAISSx client README (section "Memory Management"),
# kept verbatim below this header as a compatibility fixture: do not edit it.
# tests/test_seed_readme.py runs it; the only change it makes is the server address.
from faissx.client.optimization import memory_manager

# Set memory usage options
memory_manager.set_option('max_memory_usage_mb', 1024)  # 1GB limit
memory_manager.set_option('use_memory_mapping', True)  # Use mmap for large indices
memory_manager.set_option('cache_vectors', True)  # Enable vector caching
