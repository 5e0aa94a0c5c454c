"""Themes and keyword candidates: the fast paths find exactly what the plain ones find."""

from __future__ import annotations

from collections import Counter

import pytest

from newsflow.tasks.enrich import _THEME_PATTERNS, _THEME_TOKENS, MIN_THEME_HITS, _token_pattern, themes
from newsflow.tasks.extract import noun_chunk_bounds, noun_phrases
from newsflow.tasks.nlp import parse, parsed_text

TEXTS = [
    "Al-Qaida and al-qaida's AL-QAIDA-linked cells; xal-qaida, al-qaidas and qaida are not it.",
    "The Air Force and the air  force: troops, troops' tanks, TANKS. Cyber attacks and cyber-attacks.",
    "Sanctions, sanction, sanctioned; export controls and an asset freeze, export-controls.",
    "",
]


def _themes_one_scan_per_theme(text: str) -> list[dict]:  # type: ignore[type-arg]
    """themes() as it was: every theme scans the text with its own alternation."""
    lowered = text.lower()
    n_words = max(1, len(lowered.split()))
    found = []
    for theme, (single, _, multi) in _THEME_PATTERNS.items():
        hits: Counter[str] = Counter(single.findall(lowered))
        for term, pattern in multi:
            if count := len(pattern.findall(lowered)):
                hits[term] = count
        if (total := sum(hits.values())) >= MIN_THEME_HITS:
            found.append({"theme": theme, "score": min(1.0, 100.0 * total / n_words / 5.0),
                          "evidence": [t for t, _ in hits.most_common(5)]})
    return sorted(found, key=lambda t: -t["score"])


@pytest.mark.parametrize("text", TEXTS)
def test_themes_from_one_token_scan_equal_a_scan_per_theme(text: str) -> None:
    assert _THEME_TOKENS is not None
    assert themes(text) == _themes_one_scan_per_theme(text)


def test_hyphenated_terms_stay_whole_tokens() -> None:
    assert _THEME_TOKENS is not None
    assert _THEME_TOKENS.findall("al-qaida's al-qaidas") == ["al-qaida", "s", "al", "qaidas"]
    found = {t["theme"]: t["evidence"] for t in themes("Al-Qaida said al-qaida would strike again.")}
    assert found == {"TERRORISM": ["al-qaida"]}


def test_a_term_that_is_a_piece_of_a_hyphenated_term_falls_back_to_a_scan_per_theme(monkeypatch) -> None:
    import newsflow.tasks.enrich as enrich

    monkeypatch.setitem(enrich.THEMES, "TERRORISM", (*enrich.THEMES["TERRORISM"], "qaida"))
    assert _token_pattern() is None  # "qaida" inside "al-qaida" would be counted twice otherwise


SENTENCES = (
    "The mayor and the city council approved the budget, and residents, teachers and nurses "
    "protested outside the hall of the old county courthouse on Tuesday.\n"
    "She gave him the keys. Who knows what they wanted? It was a dark and stormy night.\n"
    "Apples, oranges, and the pears that grew in the orchard were sold to markets in Ohio."
)


def test_noun_chunk_bounds_are_spacys_noun_chunks() -> None:
    doc = parse([SENTENCES])[0]
    expected = [(chunk.start, chunk.end) for chunk in doc.noun_chunks]
    assert len(expected) > 10
    assert noun_chunk_bounds(doc) == expected


def test_noun_phrases_drop_function_words_and_lemmatise_nouns() -> None:
    doc = parse([SENTENCES])[0]
    phrases = [phrase for phrase, _, _ in noun_phrases(doc)]
    assert "city council" in phrases and "nurse" in phrases and "Ohio" in phrases
    assert not {"the mayor", "she", "who"} & set(phrases)


def test_parsed_text_is_the_docs_text() -> None:
    doc = parse(["WASHINGTON (AP) - The SENATE voted.\nIt passed."])[0]
    assert parsed_text(doc) == doc.text
