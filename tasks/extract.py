"""Extraction: entities with in-article canonical names, quotes with speakers, amounts, dates."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from newsflow.tasks.dates import extract_dates  # date mentions live with their resolver
from newsflow.tasks.entities import Mention, _strip_article, extract_entities
from newsflow.tasks.entities import canonicalise_entities as canonicalise_entities  # re-exported

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

AMOUNT_TYPES = ("CARDINAL", "MONEY", "PERCENT", "QUANTITY")


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
# Entity extraction and canonicalisation live in tasks/entities.py (imported above).


# ---------------------------------------------------------------- quotes

REPORTING_VERBS = {
    "say", "tell", "add", "state", "warn", "promise", "note", "explain", "claim", "insist",
    "argue", "announce", "declare", "write", "ask", "reply", "respond", "acknowledge", "admit",
    "vow", "pledge", "caution", "predict", "suggest", "describe", "call", "report", "estimate",
    "stress", "emphasize", "emphasise", "threaten", "urge", "deny", "confirm", "recall",
}
_QUOTE_RE = re.compile(r"“([^”]{2,}?)”|\"([^\"\n]{2,}?)\"")
_PRONOUNS = {"he", "she", "they", "i", "we"}


@dataclass
class _Quote:
    start: int  # offsets of the quoted text, without the quote marks
    end: int


def _find_quotes(text: str) -> list[_Quote]:
    quotes = []
    for m in _QUOTE_RE.finditer(text):
        group = 1 if m.group(1) is not None else 2
        quotes.append(_Quote(m.start(group), m.end(group)))
    return quotes


def _subject_phrase(verb: Token) -> Span | None:
    for child in verb.children:
        if child.dep_ in ("nsubj", "nsubjpass"):
            # The head noun and what names or describes it, not trailing clauses.
            keep = [t for t in child.subtree if t.i <= child.i or t.dep_ in ("compound", "flat", "appos")]
            keep = [t for t in keep if t.dep_ not in ("prep", "punct", "relcl", "acl") or t.i == child.i]
            lo, hi = min(t.i for t in keep), max(t.i for t in keep)
            return verb.doc[lo : hi + 1]
    return None


def _inside_any(token: Token, quotes: list[_Quote]) -> bool:
    return any(q.start - 1 <= token.idx < q.end + 1 for q in quotes)


def extract_quotes(doc: Doc, entities: list[Mention]) -> list[dict[str, Any]]:
    """Direct quotes with the speaker found through the reporting verb's subject.

    A pronoun subject takes the nearest preceding person; an anonymous description ("the
    official") takes the fuller earlier description with the same head noun ("a senior
    administration official"). A quote with no reporting verb in its sentence continues the
    previous quote's speaker when it directly follows it; otherwise its speaker is unknown.
    """
    text = doc.text
    quotes = _find_quotes(text)
    persons = [m for m in entities if m.type == "PERSON"]
    results: list[dict[str, Any]] = []
    descriptions: dict[str, str] = {}  # head noun -> first full description
    previous: dict[str, Any] | None = None
    for q in quotes:
        span = doc.char_span(q.start, q.end, alignment_mode="expand")
        if span is None:
            continue
        sent = span.sent
        verbs = [
            t for t in sent
            if t.lemma_.lower() in REPORTING_VERBS and t.pos_ in ("VERB", "AUX")
            and not _inside_any(t, quotes)
        ]
        speaker, kind, verb_text = None, "unknown", None
        if verbs:
            verb = min(verbs, key=lambda t: min(abs(t.idx - q.start), abs(t.idx - q.end)))
            verb_text = verb.lemma_.lower()
            subject = _subject_phrase(verb)
            if subject is not None:
                speaker, kind = _speaker(subject, persons, descriptions)
        elif previous is not None and 0 <= q.start - previous["_end"] < 40:
            speaker, kind, verb_text = previous["speaker"], previous["speaker_kind"], previous["reporting_verb"]
        quote = {
            "text": text[q.start : q.end],
            "speaker": speaker,
            "speaker_kind": kind,
            "reporting_verb": verb_text,
            "start_char": q.start,
            "end_char": q.end,
            "_end": q.end,
        }
        # A short quoted phrase with nobody saying it is a scare quote or a title, not a quote.
        if speaker is None and len(text[q.start : q.end].split()) < 6:
            continue
        results.append(quote)
        previous = quote
    for quote in results:
        quote.pop("_end")
    return results


def _speaker(subject: Span, persons: list[Mention], descriptions: dict[str, str]) -> tuple[str, str]:
    start, end = subject.start_char, subject.end_char
    for m in persons:
        if m.start >= start and m.end <= end:
            return m.canonical, "person"
    root = subject.root
    if root.lower_ in _PRONOUNS and root.lower_ not in ("we", "i"):
        before = [m for m in persons if m.end <= start]
        if before:
            return before[-1].canonical, "person"
        return root.text, "unknown"
    ents = [e for e in subject.ents if e.label_ in ("ORG", "GPE", "NORP")]
    if ents:
        return _strip_article(ents[0].text), "organisation"
    description = subject.text
    first = description.split()[0].lower() if description else ""
    head = root.lemma_.lower()
    if first in ("the", "this", "that") and head in descriptions:
        return descriptions[head], "anonymous"
    normalised = description[0].lower() + description[1:] if description else description
    descriptions.setdefault(head, normalised)
    return normalised, "anonymous"


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
