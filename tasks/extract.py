"""Extraction: entities with in-article canonical names, quotes with speakers, amounts, dates."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from newsflow.tasks.dates import extract_dates  # date mentions live with their resolver
from newsflow.tasks.entities import Mention, extract_entities
from newsflow.tasks.entities import canonicalise_entities as canonicalise_entities  # re-exported
from newsflow.tasks.pinned import source_sha256
from newsflow.tasks.quotes import extract_quotes
from newsflow.tasks.workers import RecordFailure, map_in_workers

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

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


# sha256 of the source of spaCy 3.8's English noun_chunks, which noun_chunk_bounds follows.
NOUN_CHUNKS_READ_FROM = "6443d1524fb0ebca5531cae9e3c07178f238b77f4c8dddd72a70b9c17134f435"
_NP_LABELS = ("oprd", "nsubj", "dobj", "nsubjpass", "pcomp", "pobj", "dative", "appos", "attr", "ROOT")


@lru_cache(maxsize=1)
def _english_noun_chunks() -> Any:
    """spaCy's English noun-chunk iterator if its source is the one read for noun_chunk_bounds."""
    from spacy.lang.en.syntax_iterators import noun_chunks

    return noun_chunks if source_sha256(noun_chunks) == NOUN_CHUNKS_READ_FROM else None


def noun_chunk_bounds(doc: Doc) -> list[tuple[int, int]]:
    """(start, end) of each of doc.noun_chunks, found as spaCy's English iterator finds them, but
    making a Token object only for the words that can head a chunk (a noun with a subject, object
    or conjunct relation) instead of for every word, which cost more than the rest of keyword
    extraction. Any other iterator (another language, another spaCy) is used as it is."""
    english = _english_noun_chunks()
    if english is None or getattr(doc, "noun_chunks_iterator", None) is not english or not doc.has_annotation("DEP"):
        return [(chunk.start, chunk.end) for chunk in doc.noun_chunks]
    import numpy as np
    from spacy.attrs import DEP, POS
    from spacy.symbols import NOUN, PRON, PROPN

    strings = doc.vocab.strings
    np_deps = {strings.add(label) for label in _NP_LABELS}
    conj = strings.add("conj")
    pos, dep = doc.to_array([POS, DEP]).T
    heads = np.isin(pos, [NOUN, PROPN, PRON]) & (np.isin(dep, list(np_deps)) | (dep == conj))
    bounds: list[tuple[int, int]] = []
    prev_end = -1  # chunks do not nest
    for i in np.flatnonzero(heads).tolist():
        word = doc[i]
        left = word.left_edge.i
        if left <= prev_end:
            continue
        if word.dep != conj:
            prev_end = i
            bounds.append((left, i + 1))
            continue
        head = word.head
        while head.dep == conj and head.head.i < head.i:
            head = head.head
        if head.dep in np_deps:  # coordinated to a noun phrase: one too
            prev_end = i
            bounds.append((left, i + 1))
    return bounds


def noun_phrases(doc: Doc) -> list[tuple[str, int, float]]:
    """Noun chunks without determiners, pronouns, numbers or stop words; nouns lemmatised."""
    bounds = noun_chunk_bounds(doc)
    if not bounds:
        return []
    import numpy as np
    from spacy.attrs import IS_PUNCT, IS_STOP, LEMMA, ORTH, POS
    from spacy.symbols import DET, NOUN, NUM, PRON

    flags = doc.to_array([IS_STOP, IS_PUNCT, POS])
    kept = ((flags[:, 0] == 0) & (flags[:, 1] == 0) & ~np.isin(flags[:, 2], [DET, PRON, NUM])).tolist()
    nouns = (flags[:, 2] == NOUN).tolist()
    names = doc.to_array([LEMMA, ORTH])  # string hashes, looked up only for the words kept
    strings = doc.vocab.strings
    phrases = []
    n = max(1, len(doc))
    for start, end in bounds:
        words = [strings[int(names[i, 0])].lower() if nouns[i] else strings[int(names[i, 1])]
                 for i in range(start, end) if kept[i]]
        if not words:
            continue
        phrase = " ".join(words)
        if len(phrase) >= 3:
            phrases.append((phrase, len(words), start / n))
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


# ---------------------------------------------------------------- one long article, several workers

# A text is spread over the workers only when it is cut into at most this many pieces per worker:
# spreading is for the ordinary long article of a thin batch (a stream's one event), not a way
# round the per-record CPU budget, which each piece gets afresh.
SPREAD_PIECES_PER_WORKER = 2


def parse_pieces(items: list[tuple[str, int]]) -> list[bytes]:
    """(text, k): the k-th of the pieces parse() cuts the text into, parsed and serialised (without
    the tensor, which nothing downstream reads): a unit of work for one worker when the pieces of
    one article are parsed by several."""
    from newsflow.tasks.nlp import load_nlp, pieces, prepare

    return [load_nlp()(pieces(prepare([text])[0])[k]).to_bytes(exclude=["tensor", "user_data"])
            for text, k in items]


def extract_parsed(items: list[tuple[str, dt.date | None, list[bytes] | None]]) -> list[Extraction]:
    """extract_texts for (text, publication date, its pieces as parse_pieces gave them): the pieces
    are joined into the Doc that parse() makes of the text; a text without pieces is parsed here."""
    from spacy.tokens import Doc

    from newsflow.tasks.nlp import joined, load_nlp, parse, prepare

    vocab = load_nlp().vocab
    out = []
    for text, published, parsed in items:
        if parsed is None:
            doc = parse([text])[0]
        else:
            doc = joined([Doc(vocab).from_bytes(b) for b in parsed], text, prepare([text])[0])
        out.append(extract_article(doc, published))
    return out


def extract_in_workers(items: list[tuple[str, dt.date | None]], workers: int) -> list[Extraction | RecordFailure]:
    """extract_texts over the worker processes, each item isolated (tasks.workers.map_in_workers).

    A batch with fewer texts than workers would leave workers idle while one long text is parsed:
    its long texts' pieces are then parsed by all the workers at once and joined (the same Doc, so
    the same extraction; tests/integration/test_extract_spread.py), and only then extracted. A
    piece that fails fails its article, with the piece's reason."""
    from newsflow.tasks.nlp import pieces

    counts = [len(pieces(text)) for text, _ in items]
    spread = [1 < n <= SPREAD_PIECES_PER_WORKER * workers for n in counts]
    if workers < 2 or len(items) >= workers or not any(spread):
        return map_in_workers(extract_texts, items, workers, "extract")
    jobs = [(text, k) for (text, _), n, s in zip(items, counts, spread, strict=True) if s for k in range(n)]
    pieces_parsed: list[bytes | RecordFailure] = map_in_workers(parse_pieces, jobs, workers, "extract")
    parsed = iter(pieces_parsed)
    results: list[Extraction | RecordFailure | None] = []
    second: list[tuple[str, dt.date | None, list[bytes] | None]] = []
    for (text, published), n, s in zip(items, counts, spread, strict=True):
        parts = [next(parsed) for _ in range(n)] if s else None
        failed = next((p for p in parts or [] if isinstance(p, RecordFailure)), None)
        results.append(failed)
        if failed is None:
            second.append((text, published, cast("list[bytes] | None", parts)))  # no failure among them
    extractions: list[Extraction | RecordFailure] = map_in_workers(extract_parsed, second, workers, "extract")
    extracted = iter(extractions)
    return [result if result is not None else next(extracted) for result in results]
