"""py3langid's language identifier as newsflow uses it, with two steps made cheaper and the same scores.

- `visit_counts` walks the model's byte automaton, reading each state's row offset and feature
  from two lists of Python ints (100,000 states), one scattered object per entry; as arrays of C
  longs the same values sit together, and between pages the walk waits less on memory.
- `_sparse_score` multiplies the log feature counts by the model's float16 rows; numpy converts
  the float16 operand of the product to float32 first, element by element (about a tenth of a
  millisecond a text). Here the rows are converted through a table of the float32 value of each of
  the 65,536 float16 bit patterns (made by numpy's own conversion), and the product is taken of the
  same float32 values (tests/unit/test_language.py compares the scores bit for bit).

If the installed py3langid's functions are not the ones read for this, its identifier is used
as it comes."""

from __future__ import annotations

from array import array
from functools import lru_cache
from typing import Any

import numpy as np

from newsflow.tasks.pinned import source_sha256

# sha256 of the source of py3langid 0.4.0's visit_counts, LanguageIdentifier._raw_score and
# LanguageIdentifier._sparse_score, joined by newlines.
READ_FROM = "e734ce6d2fd9e4ad5abe0332b4af01baed4bb292835828be20edfe1a8e86fb36"


def _source_fingerprint() -> str:
    from py3langid import langid

    functions = (langid.visit_counts, langid.LanguageIdentifier._raw_score, langid.LanguageIdentifier._sparse_score)
    return source_sha256(*functions)


@lru_cache(maxsize=1)
def _float16_as_float32() -> np.ndarray:
    """The float32 value of every float16 bit pattern, indexed by the pattern."""
    return np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)


def _identifier_class() -> Any:
    from py3langid import langid

    class Identifier(langid.LanguageIdentifier):
        __slots__ = ()

        def _sparse_score(self, visits: Any, table: np.ndarray) -> np.ndarray:
            if table.dtype != np.float16:
                return super()._sparse_score(visits, table)
            idx = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
            counts = np.fromiter(visits.values(), dtype=np.float32, count=len(visits))
            rows = _float16_as_float32()[table.view(np.uint16)[idx]]
            return np.log1p(counts) @ rows + self.nb_pc

    return Identifier


@lru_cache(maxsize=1)
def identifier() -> Any:
    """py3langid's model, probabilities normalised (classify gives a language and its probability)."""
    from py3langid import langid

    path = langid.MODEL_DIR / langid.MODEL_FILE
    if _source_fingerprint() != READ_FROM:
        return langid.LanguageIdentifier.from_modelpath(path, norm_probs=True)
    loaded = _identifier_class().from_modelpath(path, norm_probs=True)
    loaded._rowbase = array("l", loaded._rowbase)
    loaded.tk_output = array("l", loaded.tk_output)
    return loaded
