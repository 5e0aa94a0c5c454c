"""Extraction: entities with in-article canonical names, quotes with speakers, amounts, dates."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from newsflow.tasks.dates import resolve_date
from newsflow.tasks.geo import COUNTRY_ALIASES, gazetteer
from newsflow.tasks.quotes import extract_quotes

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

ENTITY_TYPES = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "LAW", "PRODUCT")
AMOUNT_TYPES = ("CARDINAL", "MONEY", "PERCENT", "QUANTITY")
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


@dataclass
class Extraction:
    """Everything extracted from one article."""

    entities: list[Mention] = field(default_factory=list)
    quotes: list[dict[str, Any]] = field(default_factory=list)
    amounts: list[dict[str, Any]] = field(default_factory=list)
    dates: list[dict[str, Any]] = field(default_factory=list)
    # Keyword candidates for enrichment: (phrase, content words, position in the text 0..1).
    phrases: list[tuple[str, int, float]] = field(default_factory=list)


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


# ---------------------------------------------------------------- amounts

_QUALIFIERS = [
    "more than", "less than", "fewer than", "at least", "at most", "up to", "as many as",
    "as much as", "nearly", "almost", "about", "around", "approximately", "roughly", "over",
    "under", "some", "an estimated", "estimated", "just over", "just under", "close to",
]
_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "a": 1, "an": 1,
}
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3, "m": 1e6,
           "bn": 1e9, "hundred": 1e2}
_CURRENCIES = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "dollars": "USD",
               "dollar": "USD", "euros": "EUR", "euro": "EUR", "pounds": "GBP", "rubles": "RUB",
               "roubles": "RUB", "yuan": "CNY", "yen": "JPY", "hryvnias": "UAH"}


def parse_amount(text: str) -> tuple[float | None, str | None, str | None]:
    """(value, qualifier, unit) of an amount phrase such as 'more than $1.5 billion'."""
    lowered = text.lower().replace("’", "'").strip()
    qualifier = None
    for q in sorted(_QUALIFIERS, key=len, reverse=True):
        if lowered.startswith(q + " "):
            qualifier, lowered = q, lowered[len(q) + 1 :]
            break
    unit = None
    for symbol, code in _CURRENCIES.items():
        if lowered.startswith(symbol) or lowered.endswith(" " + symbol):
            unit = code
            lowered = lowered.removeprefix(symbol).removesuffix(" " + symbol)
            break
    if lowered.endswith("%") or lowered.endswith(" percent") or lowered.endswith(" per cent"):
        unit = "percent"
        lowered = re.sub(r"\s*(%|percent|per cent)$", "", lowered)
    value: float | None = None
    total = 0.0
    for word in re.findall(r"[\d.,]+|[a-z]+", lowered):
        number = word.replace(",", "")
        if re.fullmatch(r"\d+(?:\.\d+)?", number):
            total += float(number)
        elif word in _SCALES and (total or word == "hundred"):
            total = (total or 1) * _SCALES[word]
        elif word in _NUMBER_WORDS:
            total += _NUMBER_WORDS[word]
        elif word in ("and",):
            continue
        elif total:
            unit = unit or word
            break
    if total:
        value = total
    return value, qualifier, unit


def _counted_thing(span: Span) -> str | None:
    """The noun an amount counts: '94,000 troops', or the X of 'the number of X is ... 94,000'."""
    root = span.root
    if root.dep_ in ("nummod", "quantmod") and root.head.pos_ in ("NOUN", "PROPN"):
        head = root.head
        mods = [t for t in head.lefts if t.dep_ in ("amod", "compound") and t.i > span.end - 1]
        return " ".join([*(t.text for t in mods), head.text])
    following = span.doc[span.end] if span.end < len(span.doc) else None
    if following is not None and following.pos_ == "NOUN":
        return following.text
    sent = span.sent
    for t in sent:
        if t.lower_ == "number" and t.i + 1 < len(span.doc) and span.doc[t.i + 1].lower_ == "of":
            obj = [c for c in span.doc[t.i + 1].children if c.dep_ == "pobj"]
            if obj:
                noun = obj[0]
                words = [m.text for m in noun.lefts if m.dep_ in ("amod", "compound")]
                return " ".join([*words, noun.text])
    return None


def extract_amounts(doc: Doc) -> list[dict[str, Any]]:
    rows = []
    for ent in doc.ents:
        if ent.label_ not in AMOUNT_TYPES:
            continue
        value, qualifier, unit = parse_amount(ent.text)
        rows.append({
            "text": ent.text,
            "value": value,
            "qualifier": qualifier,
            "unit": unit,
            "counted": _counted_thing(ent) if ent.label_ != "MONEY" else None,
            "start_char": ent.start_char,
            "end_char": ent.end_char,
        })
    return rows


# ---------------------------------------------------------------- dates


def _tense(span: Span) -> str:
    """'past', 'future' or 'neutral' for the clause a date mention sits in."""
    token: Token | None = span.root
    for _ in range(6):
        if token is None:
            break
        if token.pos_ in ("VERB", "AUX"):
            auxes = {c.lower_ for c in token.children if c.dep_ in ("aux", "auxpass")}
            if auxes & {"will", "'ll", "shall", "wo"} or token.lower_ in ("scheduled", "expected"):
                return "future"
            if any(c.lower_ == "to" for c in token.children if c.dep_ == "aux"):
                return "future"
            if token.tag_ in ("VBD",) or auxes & {"has", "have", "had", "was", "were"}:
                return "past"
            if token.tag_ in ("VBZ", "VBP") and token.lemma_ == "be":
                return "neutral"
        if token.head is token:
            break
        token = token.head
    return "neutral"


def extract_dates(doc: Doc, published: dt.date | None) -> list[dict[str, Any]]:
    rows = []
    previous: tuple[int, str] | None = None  # (end_char, tense) of the last date mention
    text = doc.text  # built from every token on each access: read it once
    for ent in doc.ents:
        if ent.label_ != "DATE":
            continue
        before = doc[ent.start - 1].lower_ if ent.start > 0 else ""
        gap = text[previous[0] : ent.start_char] if previous else None
        if previous and gap in (", ", " or ", " and ", " to ", "-", " - ", " – "):
            tense = previous[1]  # "late January, early February": one phrase, one direction
        elif before in ("by", "until", "till", "before"):
            tense = "future"  # "by late January": a deadline points forward whatever the verb
        else:
            tense = _tense(ent)
        previous = (ent.end_char, tense)
        resolved = resolve_date(ent.text, published, tense)
        rows.append({
            "text": ent.text,
            "resolved_start": resolved.start,
            "resolved_end": resolved.end,
            "granularity": resolved.granularity,
            "unresolved_reason": resolved.reason,
            "start_char": ent.start_char,
            "end_char": ent.end_char,
        })
    return rows


# ---------------------------------------------------------------- keyword candidates


def noun_phrases(doc: Doc) -> list[tuple[str, int, float]]:
    """Noun chunks without determiners, pronouns, numbers or stop words; nouns lemmatised."""
    phrases = []
    n = max(1, len(doc))
    for chunk in doc.noun_chunks:
        tokens = [t for t in chunk if not (t.is_stop or t.is_punct or t.pos_ in ("DET", "PRON", "NUM"))]
        if not tokens:
            continue
        phrase = " ".join(t.lemma_.lower() if t.pos_ == "NOUN" else t.text for t in tokens)
        if len(phrase) >= 3:
            phrases.append((phrase, len(tokens), chunk.start / n))
    return phrases


def extract_article(doc: Doc, published: dt.date | None) -> Extraction:
    entities = extract_entities(doc)
    return Extraction(
        entities=entities,
        quotes=extract_quotes(doc, entities),
        amounts=extract_amounts(doc),
        dates=extract_dates(doc, published),
        phrases=noun_phrases(doc),
    )


def extract_texts(items: list[tuple[str, dt.date | None]]) -> list[Extraction]:
    """Parse (text, publication date) pairs and extract from each: the unit of work sent to a
    worker process (the Doc stays there)."""
    from newsflow.tasks.nlp import parse

    docs = parse([text for text, _ in items])
    return [extract_article(doc, published) for doc, (_, published) in zip(docs, items, strict=True)]
