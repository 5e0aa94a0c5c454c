"""The hostile records of issue 15, as event bytes: shared by the fault suite and the benchmark."""

from __future__ import annotations

import json
import random

WORDS = [
    "troops", "border", "talks", "sanctions", "officials", "minister", "capital", "election", "market", "energy",
    "pipeline", "summit", "ceasefire", "embassy", "parliament", "report", "agency", "forces", "region", "council",
]


def _sentences(seed: int, count: int, words: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "." for _ in range(count)]


PROSE = ("Officials in the capital said on Monday that the talks with the ministers would resume next week, "
         "and that observers from the region were expected to attend the summit. ")


def event(event_id: str, body: str, **fields: str) -> bytes:
    return json.dumps({"id": event_id, "body": body, "published_at": "2021-12-06", **fields}).encode()


def good_article(i: int, id_prefix: str = "good") -> bytes:
    """A short, unique English article (cheap to parse, never a near-duplicate of another)."""
    rng = random.Random(i)
    sentences = [
        f"Officials in the capital said on Monday that report {i} describes "
        + " ".join(rng.choice(WORDS) for _ in range(12)) + "."
        for _ in range(4)
    ]
    return event(f"{id_prefix}-{i:05d}", " ".join(sentences))


def over_nlp_limit() -> bytes:
    """1.2 M characters of English: under NEWSFLOW_MAX_BODY_CHARS (2 M), over spaCy's 1 M."""
    return event("poison-long", " ".join(_sentences(1, 18_000, 9))[:1_200_000])


def many_short_sentences() -> bytes:
    """961 KB, almost all of it 137,000 two-word sentences with no space between them: parsed at
    once, such a text grew a worker to 7.7 GB; in pieces it stays near 1.5 GB but costs about 85 s
    of CPU, so it meets the CPU budget."""
    return event("poison-sentences", PROSE * 3 + "Yes.No." * (961_000 // 7))


def quotes_in_one_sentence() -> bytes:
    """2,000 quotes in one sentence (25 KB): the quote-overlap check grows with the cube of the
    quotes (about 11 s of CPU here)."""
    return event("poison-quotes", "Officials said " + ", ".join(f'"talk {i}"' for i in range(2_000)) + ".")


def open_parentheses() -> bytes:
    """42 KB of "(" after a paragraph of prose: the tokenizer's prefix search is quadratic on it
    (over 100 s, inside one call that no signal interrupts)."""
    return event("poison-parens", PROSE * 2 + "(" * 42_000)
