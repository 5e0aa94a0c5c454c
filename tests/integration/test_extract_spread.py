"""One long article of a thin batch, its pieces parsed by several workers at once, gives the same
extraction as one process parsing it (tasks/extract.py extract_in_workers)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from newsflow.tasks.extract import Extraction, extract_in_workers, extract_texts
from newsflow.tasks.nlp import PIECE_CHARS, pieces
from newsflow.tasks.workers import RecordFailure, shutdown

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_5746d6ddd9dd780a.txt"


def _long_article() -> str:
    """The seed article's paragraphs three times over in different orders: about 9,600
    characters, which parse() cuts into two pieces at a paragraph break."""
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    orders = [paragraphs, paragraphs[::-1], paragraphs[1::2] + paragraphs[::2]]
    return "\n\n".join(p for order in orders for p in order)


@pytest.fixture(scope="module", autouse=True)
def _stop_workers():  # type: ignore[no-untyped-def]
    yield
    shutdown()


def test_a_long_article_alone_is_parsed_by_both_workers_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import newsflow.tasks.extract as extract

    text = _long_article()
    assert len(pieces(text)) == 2 and len(text) > PIECE_CHARS
    items = [(text, dt.date(2021, 12, 6))]
    spread: list[int] = []  # the pieces sent to the workers to parse
    real_parse_pieces, real_map = extract.parse_pieces, extract.map_in_workers

    def watching_map(function, jobs, workers, stage):  # type: ignore[no-untyped-def]
        if function is real_parse_pieces:
            spread.extend(k for _, k in jobs)
        return real_map(function, jobs, workers, stage)

    monkeypatch.setattr(extract, "map_in_workers", watching_map)
    [in_workers] = extract_in_workers(items, workers=2)
    [here] = extract_texts(items)
    assert sorted(spread) == [0, 1]  # both pieces went to the workers
    assert isinstance(in_workers, Extraction)
    assert in_workers == here
    assert len(here.entities) > 20 and here.quotes  # a real article's worth, not an empty match


def test_a_piece_that_fails_fails_its_article_and_nothing_else() -> None:
    text = _long_article()
    broken = "\ud800" + text  # a lone surrogate: spaCy cannot take it, in whichever piece it is
    results = extract_in_workers([(broken, None)], workers=2)
    assert isinstance(results[0], RecordFailure) and results[0].stage == "extract"
    # A thin batch of a long article and a short one: the short one is extracted as usual.
    results = extract_in_workers([(broken, None), ("Joe Biden spoke in Kyiv on Monday.", None)], workers=3)
    assert isinstance(results[0], RecordFailure)
    assert isinstance(results[1], Extraction) and results[1].entities
