"""The seed article against its hand-written expected output (tests/fixtures/seed_expected.json)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from newsflow.tasks.clean import clean_text
from newsflow.tasks.enrich import enrich_article
from newsflow.tasks.extract import Extraction, extract_article
from newsflow.tasks.nlp import parse

EXPECTED = json.loads((Path(__file__).parents[1] / "fixtures" / "seed_expected.json").read_text())
PUBLISHED = dt.date(2021, 12, 6)


@pytest.fixture(scope="module")
def seed_doc(seed_text: str):  # type: ignore[no-untyped-def]
    return parse([clean_text(seed_text)])[0]


@pytest.fixture(scope="module")
def extraction(seed_doc) -> Extraction:  # type: ignore[no-untyped-def]
    return extract_article(seed_doc, PUBLISHED)


def _precision_recall(found: set, expected: set) -> tuple[float, float]:
    hits = len(found & expected)
    return hits / max(1, len(found)), hits / max(1, len(expected))


def test_entities_canonical_names_and_types(extraction: Extraction) -> None:
    found = {(m.canonical, m.type) for m in extraction.entities}
    expected = {tuple(e) for e in EXPECTED["entities"]}
    precision, recall = _precision_recall(found, expected)
    print(f"seed entities: precision {precision:.2f} recall {recall:.2f}; extra {found - expected}")
    assert recall == 1.0, expected - found
    assert precision >= 0.9
    by_text = {(m.text, m.canonical) for m in extraction.entities}
    assert ("Biden", "Joe Biden") in by_text and ("U.S.", "United States") in by_text
    # Mentions leave out a leading article: "the United States" is the mention "United States".
    assert ("United States", "United States") in by_text
    assert not any(m.text.lower().startswith("the ") for m in extraction.entities)
    assert all(m.type != "ORG" for m in extraction.entities if m.canonical == "Crimea")


def test_quotes_and_speakers(extraction: Extraction) -> None:
    quotes = extraction.quotes
    for want in EXPECTED["quotes"]:
        match = [q for q in quotes if q["text"].startswith(want["starts"])]
        assert match, want["starts"]
        assert match[0]["speaker"] == want["speaker"], (want, match[0])
        assert match[0]["speaker_kind"] == want["kind"]
    assert len(quotes) == len(EXPECTED["quotes"])
    difficult = next(q for q in quotes if q["text"] == "very, very difficult")
    assert difficult["reporting_verb"] == "promise"


def test_amounts(extraction: Extraction) -> None:
    troops = next(a for a in extraction.amounts if "94,000" in a["text"])
    want = EXPECTED["amounts"][0]
    assert (troops["text"], troops["value"], troops["qualifier"], troops["counted"]) == (
        want["text"], want["value"], want["qualifier"], want["counted"])


def test_dates_resolved_against_published_date(extraction: Extraction) -> None:
    found = {(d["text"], str(d["resolved_start"]), str(d["resolved_end"])) for d in extraction.dates}
    expected = {tuple(d) for d in EXPECTED["dates"]}
    precision, recall = _precision_recall(found, expected)
    print(f"seed dates: precision {precision:.2f} recall {recall:.2f}")
    assert expected <= found, expected - found


def test_seed_places_geocoded(seed_doc, extraction: Extraction) -> None:  # type: ignore[no-untyped-def]
    enrichment = enrich_article(seed_doc.text, extraction)
    places = {row["canonical_name"]: row for row in enrichment.locations}
    for name, country in EXPECTED["places"].items():
        assert places[name]["country_code"] == country
    assert places["Crimea"]["feature_type"] == "region"
    assert 44 < places["Crimea"]["latitude"] < 46.5 and 32 < places["Crimea"]["longitude"] < 37
    assert places["Russia"]["feature_type"] == "country"
    assert {t["theme"] for t in enrichment.themes} >= {"MILITARY", "DIPLOMACY", "CYBER"}
    assert -100 <= enrichment.tone["tone"] <= 100 and enrichment.tone["polarity"] > 0
    assert enrichment.keywords and len(enrichment.keywords) <= 10
