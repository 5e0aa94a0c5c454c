"""Named entities: spaCy's mentions with repaired spans and types, and one canonical name per thing
within an article."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsflow.tasks.geo import COUNTRY_ALIASES, gazetteer

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

ENTITY_TYPES = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "LAW", "PRODUCT")
PLACE_TYPES = ("GPE", "LOC")

_TITLES = {
    "president", "vice", "prime", "minister", "sen", "sen.", "senator", "rep", "rep.", "gov",
    "gov.", "governor", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "gen", "gen.",
    "general", "brig", "brig.", "lt", "lt.", "col", "col.", "maj", "maj.", "adm", "adm.",
    "secretary", "chancellor", "king", "queen", "pope", "judge", "justice", "mayor", "former",
    "sir", "lord", "prince", "princess", "ambassador", "chairman", "ceo", "sgt", "sgt.", "capt",
    "capt.", "defense", "foreign", "state", "u.s.", "russian", "ukrainian",
}
# Organisations whose names are also places; they stay organisations.
_ORG_NOT_PLACE = {"white house", "kremlin", "pentagon", "congress", "nato", "un", "eu"}


@dataclass
class Mention:
    text: str
    canonical: str
    type: str
    start: int
    end: int


# ---------------------------------------------------------------- entities


def _strip_article(text: str) -> str:
    text = re.sub(r"^(?:the|The)\s+", "", text.strip())
    return re.sub(r"(?:'s|’s|'|’)$", "", text).strip()


def _person_tokens(text: str) -> list[str]:
    tokens = _strip_article(text).split()
    while len(tokens) > 1 and tokens[0].lower() in _TITLES:
        tokens = tokens[1:]
    return tokens


def _place_canonical(text: str) -> str:
    key = text.strip().lower()
    code = COUNTRY_ALIASES.get(key) or COUNTRY_ALIASES.get(key.removeprefix("the "))
    gaz = gazetteer()
    if code and code in gaz.countries:
        return gaz.countries[code].name
    for place in gaz.candidates(text):
        if place.feature_type == "country":
            return place.name
    return _strip_article(text)


def canonicalise_entities(raw: list[tuple[str, str, int, int]]) -> list[Mention]:
    """Give every mention one name for the thing it refers to within the article.

    People: a surname or titled name maps to the fullest name in the article ending the same way
    ("Biden", "President Joe Biden" -> "Joe Biden"). Places: aliases map to the gazetteer name
    ("U.S.", "the United States" -> "United States"). Types: a mention tagged ORG that names a
    known place becomes GPE (the small model tags Crimea ORG), one that is a known person's surname
    becomes PERSON, and each canonical entity takes its majority type.
    """
    gaz = gazetteer()
    persons = [_person_tokens(t) for t, label, _, _ in raw if label == "PERSON"]
    full_names = sorted({" ".join(p) for p in persons if len(p) >= 2}, key=len, reverse=True)

    def person_name(text: str) -> str | None:
        tokens = _person_tokens(text)
        if not tokens:
            return None
        joined = " ".join(tokens)
        for full in full_names:
            parts = full.split()
            if joined == full or (len(tokens) < len(parts) and parts[-len(tokens):] == tokens):
                return full
        return joined

    mentions: list[Mention] = []
    surnames = {name.split()[-1]: name for name in full_names}
    for text, label, start, end in raw:
        clean = _strip_article(text)
        if not clean:
            continue
        if label == "PERSON":
            mentions.append(Mention(text, person_name(text) or clean, "PERSON", start, end))
        elif label in PLACE_TYPES:
            mentions.append(Mention(text, _place_canonical(text), label, start, end))
        elif label in ("ORG", "FAC") and clean in surnames:
            mentions.append(Mention(text, surnames[clean], "PERSON", start, end))
        elif label in ("ORG", "PERSON", "NORP") and clean.lower() not in _ORG_NOT_PLACE and (
            gaz.is_place(clean) and label != "NORP"
        ):
            kind = "LOC" if any(p.feature_type == "region" for p in gaz.candidates(clean)) else "GPE"
            mentions.append(Mention(text, _place_canonical(text), kind, start, end))
        else:
            mentions.append(Mention(text, clean, label, start, end))
    votes: dict[str, Counter[str]] = {}
    for m in mentions:
        votes.setdefault(m.canonical, Counter())[m.type] += 1
    for m in mentions:
        m.type = votes[m.canonical].most_common(1)[0][0]
    return mentions


def _person_start(ent: Span) -> int:
    """Widen a PERSON span over a given name the small model left out ("Oleksii Reznikov")."""
    start = ent.start
    while start > 0:
        prev = ent.doc[start - 1]
        if prev.pos_ == "PROPN" and prev.is_title and prev.ent_type_ == "" and prev.lower_ not in _TITLES:
            start -= 1
        else:
            break
    return start


def extract_entities(doc: Doc) -> list[Mention]:
    raw = []
    for e in doc.ents:
        if e.label_ not in ENTITY_TYPES:
            continue
        span = doc[_person_start(e) : e.end] if e.label_ == "PERSON" else e
        raw.append((span.text, e.label_, span.start_char, span.end_char))
    return canonicalise_entities(raw)
