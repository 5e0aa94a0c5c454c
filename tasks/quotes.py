"""Direct quotes and their speakers: pure functions over a parsed spaCy Doc and the article's
entity mentions (tasks.extract calls `extract_quotes`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token


class EntityMention(Protocol):
    """What quotes need of an entity mention (tasks.extract.Mention has it)."""

    text: str
    canonical: str
    type: str
    start: int
    end: int


def _strip_article(text: str) -> str:
    text = re.sub(r"^(?:the|The)\s+", "", text.strip())
    return re.sub(r"(?:'s|’s|'|’)$", "", text).strip()


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


def extract_quotes(doc: Doc, entities: Sequence[EntityMention]) -> list[dict[str, Any]]:
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


def _speaker(subject: Span, persons: list[EntityMention], descriptions: dict[str, str]) -> tuple[str, str]:
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


