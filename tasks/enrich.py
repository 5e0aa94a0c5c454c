"""Enrichment: places on the map, GDELT-style tone, themes with evidence, key phrases."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tasks.extract import Mention
from tasks.geo import resolve_places

if TYPE_CHECKING:
    from spacy.tokens import Doc

_WORD = re.compile(r"[a-z][a-z'-]*")

# A small taxonomy fitted to a geopolitics/defence feed. A theme is assigned when its terms occur
# at least MIN_THEME_HITS times; the score is hits per 100 words, capped at 1.
THEMES: dict[str, tuple[str, ...]] = {
    "MILITARY": ("military", "troops", "army", "forces", "soldiers", "invasion", "invade",
                 "buildup", "weapons", "missile", "missiles", "defense", "defence", "escalation",
                 "war", "combat", "artillery", "tanks", "navy", "air force", "drone", "drones"),
    "DIPLOMACY": ("diplomacy", "diplomatic", "talks", "summit", "call", "negotiation",
                  "negotiations", "ambassador", "foreign minister", "leaders", "treaty",
                  "dialogue", "envoy", "allies", "nato"),
    "SANCTIONS": ("sanctions", "sanction", "embargo", "export controls", "asset freeze",
                  "punishments", "penalties", "blacklist", "tariffs", "costs"),
    "CYBER": ("cyber", "cyberattack", "cyber attacks", "hack", "hackers", "hacking",
              "ransomware", "malware", "social media campaigns", "disinformation"),
    "NUCLEAR": ("nuclear", "uranium", "enrichment", "warhead", "warheads", "atomic",
                "nonproliferation", "reactor"),
    "ELECTIONS": ("election", "elections", "vote", "voters", "ballot", "campaign", "polls",
                  "candidate", "referendum"),
    "TERRORISM": ("terrorism", "terrorist", "terrorists", "extremist", "bombing", "isis",
                  "al-qaida", "insurgents"),
    "ECONOMY": ("economy", "economic", "inflation", "market", "markets", "gdp", "trade",
                "recession", "prices", "investment"),
    "ENERGY": ("energy", "oil", "gas", "pipeline", "opec", "electricity", "fuel"),
    "PROTEST": ("protest", "protests", "protesters", "demonstration", "rally", "riot"),
}
MIN_THEME_HITS = 2


@dataclass
class Enrichment:
    tone: dict[str, float] = field(default_factory=dict)
    themes: list[dict[str, Any]] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    quote_tones: list[float | None] = field(default_factory=list)


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, float]:
    """VADER's valence lexicon (shipped inside the vadersentiment package)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return dict(SentimentIntensityAnalyzer().lexicon)


def tone(text: str) -> dict[str, float]:
    """GDELT-GKG-style tone over a word lexicon.

    positive/negative: % of words with positive/negative valence; tone = positive - negative
    (-100..100); polarity = positive + negative (how emotionally charged the text is).
    """
    words = _WORD.findall(text.lower())
    if not words:
        return {"tone": 0.0, "positive_score": 0.0, "negative_score": 0.0, "polarity": 0.0}
    lexicon = _lexicon()
    pos = sum(1 for w in words if lexicon.get(w, 0.0) > 0)
    neg = sum(1 for w in words if lexicon.get(w, 0.0) < 0)
    positive, negative = 100.0 * pos / len(words), 100.0 * neg / len(words)
    return {
        "tone": positive - negative,
        "positive_score": positive,
        "negative_score": negative,
        "polarity": positive + negative,
    }


def themes(text: str) -> list[dict[str, Any]]:
    lowered = text.lower()
    n_words = max(1, len(lowered.split()))
    found = []
    for theme, terms in THEMES.items():
        hits: Counter[str] = Counter()
        for term in terms:
            count = len(re.findall(rf"\b{re.escape(term)}\b", lowered))
            if count:
                hits[term] = count
        total = sum(hits.values())
        if total >= MIN_THEME_HITS:
            found.append({
                "theme": theme,
                "score": min(1.0, 100.0 * total / n_words / 5.0),
                "evidence": [t for t, _ in hits.most_common(5)],
            })
    return sorted(found, key=lambda t: -t["score"])


def keywords(doc: Doc, limit: int = 10) -> list[str]:
    """Key phrases: noun chunks without determiners or stop words, ranked by frequency with a
    bonus for multi-word phrases and for phrases early in the text."""
    scores: dict[str, float] = {}
    n = max(1, len(doc))
    for chunk in doc.noun_chunks:
        tokens = [t for t in chunk if not (t.is_stop or t.is_punct or t.pos_ in ("DET", "PRON", "NUM"))]
        if not tokens:
            continue
        phrase = " ".join(t.lemma_.lower() if t.pos_ == "NOUN" else t.text for t in tokens)
        if len(phrase) < 3:
            continue
        position_bonus = 1.0 - 0.5 * chunk.start / n
        scores[phrase] = scores.get(phrase, 0.0) + (1.0 + 0.5 * (len(tokens) - 1)) * position_bonus
    return sorted(scores, key=lambda p: -scores[p])[:limit]


def geocode(entities: list[Mention]) -> list[dict[str, Any]]:
    places = [m for m in entities if m.type in ("GPE", "LOC")]
    resolutions = resolve_places([m.canonical for m in places])
    rows = []
    for mention, res in zip(places, resolutions, strict=True):
        place = res.place
        rows.append({
            "text": mention.text,
            "canonical_name": place.name if place else None,
            "country_code": place.country_code if place else None,
            "feature_type": place.feature_type if place else None,
            "latitude": place.latitude if place else None,
            "longitude": place.longitude if place else None,
            "geonames_id": place.geonames_id if place else None,
            "unresolved_reason": res.reason,
            "start_char": mention.start,
            "end_char": mention.end,
        })
    return rows


def enrich_article(doc: Doc, entities: list[Mention], quotes: list[dict[str, Any]]) -> Enrichment:
    return Enrichment(
        tone=tone(doc.text),
        themes=themes(doc.text),
        keywords=keywords(doc),
        locations=geocode(entities),
        quote_tones=[tone(q["text"])["tone"] for q in quotes],
    )
