"""Client-side tuning, as the FAISSx client's ``faissx.client.optimization``."""

from . import memory_manager

__all__ = ["memory_manager"]
