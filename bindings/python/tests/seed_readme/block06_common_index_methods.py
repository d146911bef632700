# Python code block 6 of 10 of the seed FAISSx client README (section "Common Index Methods"),
# kept verbatim below this header as a compatibility fixture: do not edit it.
# tests/test_seed_readme.py runs it; the only change it makes is the server address.
def add(self, x: np.ndarray) -> None:
    """Add vectors to the index."""

def search(self, x: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """Search for k nearest neighbors for each query vector."""

def reset(self) -> None:
    """Reset the index to its initial state."""

def reconstruct(self, i: int) -> np.ndarray:
    """Reconstruct vector i from the index."""

def reconstruct_n(self, i0: int, ni: int) -> np.ndarray:
    """Reconstruct ni vectors from the index, starting from i0."""

def train(self, x: np.ndarray) -> None:
    """Train the index on the given vectors."""

def set_parameter(self, name: str, value: Any) -> None:
    """Set a parameter for the index."""
