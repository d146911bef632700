"""Index modification, as the FAISSx client's ``faissx.client.modification``:
``merge_indices([a, b, c])`` and ``split_index(index, 3)``, on libfaissx's
``faissx_merge_indices`` / ``faissx_split_index`` (run by the server for remote indexes)."""

from . import merge_indices, split_index

__all__ = ["merge_indices", "split_index"]
