"""Fingerprints of code newsflow replicates or follows from a dependency.

Several faster steps (main text, language scores, noun chunks) reproduce a dependency's own code
exactly; each pins the sha256 of the source it was read from and falls back to the dependency as
shipped when the installed source differs."""

from __future__ import annotations

import hashlib
import inspect
from typing import Any


def source_sha256(*objects: Any) -> str:
    """sha256 of the source of modules, classes or functions, joined by newlines."""
    return hashlib.sha256("\n".join(inspect.getsource(o) for o in objects).encode()).hexdigest()
