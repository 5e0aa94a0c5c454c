"""Cleaning: main text from HTML, boilerplate removal, normalisation, language and duplicates."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsflow.events import ArticleEvent
from newsflow.tasks.dedup import DedupIndex, fingerprints
from newsflow.tasks.workers import RecordFailure

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# Below this many words a text is not an article (a teaser, an error page, an empty extraction).
MIN_ARTICLE_WORDS = 25
ENGLISH = "en"
# duplicate_kind of an article id delivered again with the same content (see mark_duplicates).
REDELIVERY = "redelivery"

# Invisible characters that change hashes and offsets but carry no meaning in news text:
# zero-width space/joiners, word joiner, BOM, soft hyphen and bidirectional controls.
# (A character class, not str.translate: translate looks every character up in a dict.)
_INVISIBLE = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u00ad\u202a-\u202e\u2066-\u2069]"
)
_HTML_HINT = re.compile(r"<\s*(?:!doctype|html|body|p|div|script|article|br|span|a\s)", re.I)
_LINE_HYPHEN = re.compile(r"(\w)-\n(\w)")
_SPACES = re.compile(r"[ \t\f\v]+")

# Standalone lines that are page furniture, not prose.
_FURNITURE = re.compile(
    r"^(?:in other news|load more|read more|related(?: articles| stories)?:?|advertisement|"
    r"share(?: this(?: article| story)?)?(?: on \w+)?|subscribe(?: now)?|sign up(?: for [\w ]+)?|"
    r"follow us(?: on [\w ]+)?|click here.*|skip to (?:main )?content|comments?|"
    r"(?:©|copyright) .{0,80}|all rights reserved\.?|newsletter|more from [\w .]+|"
    r"trending(?: now)?|most (?:read|popular)|see all|show comments|back to top)$",
    re.I,
)
# A closing author bio: "Leo covers Congress ...", "Jane Doe is a reporter for ...".
_AUTHOR_BIO = re.compile(
    r"^(?:[A-Z][\w'’.-]+ ){0,2}[A-Z][\w'’.-]+ (?:covers|has covered|is an? [\w -]{0,40}"
    r"(?:reporter|correspondent|editor|writer|journalist)|writes about|reports on)\b"
)


@dataclass
class CleanArticle:
    """An event after cleaning: the articles row without its enrichment columns."""

    event: ArticleEvent
    body: str | None
    original_body: str | None
    title: str | None
    author: str | None
    site_name: str | None
    published_at: dt.datetime | None
    language: str | None
    language_score: float | None
    body_chars: int
    word_count: int
    content_hash: str | None
    simhash: int | None
    duplicate_of: str | None = None
    duplicate_kind: str | None = None
    # Position (timestamp_ms, topic, partition, offset) of the earlier version of this article id
    # that this delivery, with new content, replaces in every table.
    replaces: tuple[int, str, int, int] | None = None
    # Set when cleaning this record failed (an exception, a CPU or memory bound): it is quarantined.
    failure: RecordFailure | None = None

    @property
    def analysable(self) -> bool:
        """Worth running NLP on: English prose of article length, not a copy of an earlier one."""
        return (
            self.failure is None
            and self.body is not None
            and self.language == ENGLISH
            and self.word_count >= MIN_ARTICLE_WORDS
            and self.duplicate_of is None
            and self.duplicate_kind != REDELIVERY
        )


def _paragraph_lines(text: str) -> list[list[str]]:
    """NFC, invisible characters removed, line-break hyphenation joined; paragraphs of lines."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = _LINE_HYPHEN.sub(lambda m: m[1] + m[2] if m[2].islower() else m[0], text)
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [_SPACES.sub(" ", line).strip() for line in block.split("\n")]
        if any(lines):
            paragraphs.append([line for line in lines if line])
    return paragraphs


def _join(paragraphs: list[list[str]]) -> str:
    # Within a paragraph a single newline is a wrapped line, not a break in meaning.
    return "\n\n".join(" ".join(lines) for lines in paragraphs)


def normalise(text: str) -> str:
    """Unicode- and whitespace-normalised text, paragraphs separated by blank lines."""
    return _join(_paragraph_lines(text))


def clean_text(text: str) -> str:
    """Normalise and drop boilerplate: furniture lines anywhere, author bios and furniture at the
    end. Only the tail may hold a bio; a sentence like it mid-article is news, not furniture."""
    paragraphs = []
    for lines in _paragraph_lines(text):
        kept = [line for line in lines if not _FURNITURE.match(line)]
        if kept:
            paragraphs.append(kept)
    while paragraphs and _AUTHOR_BIO.match(" ".join(paragraphs[-1])):
        paragraphs.pop()
    return _join(paragraphs)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_HINT.search(text[:5000]))


@dataclass(frozen=True)
class HtmlExtract:
    text: str
    title: str | None
    author: str | None
    date: str | None
    site_name: str | None


def page_metadata(
    tree: HtmlElement, with_date: bool = True
) -> tuple[str | None, str | None, str | None, str | None]:
    """Title, author, publication date and site name of a parsed page.

    The same steps, in the same order, as trafilatura's extract_metadata for these four fields;
    it also reads categories, tags, licence and more that nothing here uses, which cost a third of
    its time (tests/unit/test_clean.py checks that both agree). Two of its steps are newsflow's
    faster equivalents: the JSON-LD reading (newsflow.tasks.jsonld) and the byline search in the
    body (newsflow.tasks.byline; benchmarks/metadata_check.py compares all of it with trafilatura
    on the benchmark pages). `with_date=False` skips the date search (htmldate: 0.8 ms a page on
    average over the benchmark pages, 42 ms on the slowest)."""
    from htmldate import find_date
    from trafilatura.metadata import (
        META_URL,
        examine_meta,
        extract_sitename,
        extract_title,
        extract_url,
    )
    from trafilatura.settings import set_date_params

    from newsflow.tasks.byline import extract_author
    from newsflow.tasks.jsonld import extract_meta_json

    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    with contextlib.suppress(Exception):  # broken JSON-LD: trafilatura carries on the same way
        metadata = extract_meta_json(tree, metadata)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author:
        metadata.author = extract_author(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, None)
    if with_date:
        metadata.date = find_date(tree, **{**set_date_params(True), "url": metadata.url})
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url and (match := META_URL.match(metadata.url)):
        metadata.sitename = match[1]
    metadata.clean_and_trim()
    return metadata.title, metadata.author, metadata.date, metadata.sitename


def extract_html(html: str, with_date: bool = True) -> HtmlExtract:
    """Main text and metadata of an article page (trafilatura); the page's date only if asked."""
    from newsflow.tasks.main_text import main_text, parse_html

    tree = parse_html(html)
    if tree is None:
        return HtmlExtract("", None, None, None, None)
    title, author, date, site_name = page_metadata(tree, with_date)
    # Measured on the benchmark pages (benchmarks/extraction_eval.py): dropping tables or
    # de-duplicating segments costs recall and buys no precision, so both stay at defaults;
    # fast=True (no fallback extractors) scores the same F1 in about 60% of the time.
    # main_text is trafilatura's bare_extraction with those options, minus wasted work; it works
    # on the tree itself, so it comes after the metadata.
    text = main_text(tree)
    return HtmlExtract(text=text or "", title=title, author=author, date=date, site_name=site_name)


def detect_language(text: str) -> tuple[str | None, float | None]:
    """ISO 639-1 code and probability from the first thousand characters (plenty for prose, and
    the classifier's cost grows with the sample)."""
    sample = text[:1000]
    if not re.search(r"\w", sample):
        return None, None
    from newsflow.tasks.language import identifier

    lang, score = identifier().classify(sample)
    return str(lang), float(score)


def parse_timestamp(value: str | None) -> dt.datetime | None:
    """ISO 8601 (date or date-time) to an aware UTC datetime; None if absent or unreadable."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


@dataclass(frozen=True)
class CleanedBody:
    """What cleaning makes of one body; computed in worker processes, so it holds no event."""

    body: str
    title: str | None
    author: str | None
    site_name: str | None
    published_at: dt.datetime | None
    language: str | None
    language_score: float | None
    word_count: int
    content_hash: str | None
    simhash: int | None


def clean_body(body: str, content_type: str, title: str | None, published_at: str | None) -> CleanedBody:
    """Main text, metadata, normalisation, language and fingerprints of one body."""
    text, author, site_name, published = body, None, None, published_at
    if content_type == "text/html" or looks_like_html(body):
        # The event's own date wins over the page's, so the page is only searched without one.
        extracted = extract_html(body, with_date=not published_at)
        text = extracted.text
        title = title or extracted.title
        author, site_name = extracted.author, extracted.site_name
        published = published or extracted.date
    cleaned = clean_text(text)
    language, score = detect_language(cleaned)
    content_hash, simhash = fingerprints(cleaned) if cleaned else (None, None)
    return CleanedBody(
        body=cleaned,
        title=normalise(title) if title else None,
        author=author,
        site_name=site_name,
        published_at=parse_timestamp(published),
        language=language,
        language_score=score,
        word_count=len(cleaned.split()),
        content_hash=content_hash,
        simhash=simhash,
    )


BodyFields = tuple[str, str, str | None, str | None]  # body, content type, title, published_at


def clean_bodies(items: list[BodyFields]) -> list[CleanedBody]:
    """clean_body over a list: the unit of work sent to a worker process."""
    return [clean_body(*item) for item in items]


def warm_up() -> None:
    """Pay the cleaners' one-time costs (language model, trafilatura's and htmldate's lazy
    set-up) before the first batch rather than inside it."""
    clean_body("<html><body><p>Warm-up text, 1 December 2021.</p></body></html>", "text/html", None, None)


def _usable(event: ArticleEvent, max_body_chars: int) -> bool:
    # Too big to parse safely, or missing: the event is kept as it came, for the quarantine.
    return event.body is not None and len(event.body) <= max_body_chars


def _article(event: ArticleEvent, cleaned: CleanedBody | RecordFailure | None) -> CleanArticle:
    original = event.body
    if cleaned is None or isinstance(cleaned, RecordFailure):
        return CleanArticle(
            event, None, original, event.title, None, None, _safe_timestamp(event.published_at), None,
            None, len(original or ""), 0, None, None,
            failure=cleaned if isinstance(cleaned, RecordFailure) else None,
        )
    return CleanArticle(
        event=event,
        body=cleaned.body,
        original_body=original,
        title=cleaned.title,
        author=cleaned.author,
        site_name=cleaned.site_name,
        published_at=cleaned.published_at,
        language=cleaned.language,
        language_score=cleaned.language_score,
        body_chars=len(original or ""),
        word_count=cleaned.word_count,
        content_hash=cleaned.content_hash,
        simhash=cleaned.simhash,
    )


def _safe_timestamp(value: str | None) -> dt.datetime | None:
    """The event's own date for a row whose cleaning failed: a date that cannot be read is left
    out rather than failing the row a second time."""
    try:
        return parse_timestamp(value)
    except Exception:  # noqa: BLE001
        return None


def clean_event(event: ArticleEvent, max_body_chars: int) -> CleanArticle:
    """Clean one event; never raises (an unusable body gives a row the GX suite will quarantine)."""
    if not _usable(event, max_body_chars):
        return _article(event, None)
    assert event.body is not None
    return _article(event, clean_body(event.body, event.content_type, event.title, event.published_at))


def mark_duplicates(articles: list[CleanArticle], index: DedupIndex) -> None:
    """Set duplicate_of on copies of earlier articles and add originals to the index, in order.

    An article id delivered again with the same content is a redelivery (duplicate_kind
    'redelivery', not analysed, not landed as an article again); with new content it is a new
    version of the article, is analysed, and replaces the earlier version (`replaces`). Neither is
    ever a duplicate of itself."""
    for article in sorted(articles, key=lambda a: _position(a)):
        if article.content_hash is None or article.simhash is None:
            continue
        position = _position(article)
        if index.is_redelivery(article.event.id, position, article.content_hash):
            article.duplicate_kind = REDELIVERY
            continue
        article.replaces = index.replaced_by(article.event.id, position, article.content_hash)
        found = index.find(position, article.content_hash, article.simhash, article.event.id)
        if found:
            article.duplicate_of, article.duplicate_kind = found
        else:
            index.add(article.event.id, position, article.content_hash, article.simhash)
        index.remember(article.event.id, position, article.content_hash)


def _position(article: CleanArticle) -> tuple[int, str, int, int]:
    record = article.event.record
    return (record.timestamp_ms or 0, record.topic, record.partition, record.offset)


def clean_batch(
    events: list[ArticleEvent], index: DedupIndex, max_body_chars: int, workers: int = 0
) -> list[CleanArticle]:
    """The cleaning stage over a whole micro-batch: bodies in the workers, duplicates here, in
    batch order (the index is this process's state)."""
    from newsflow.tasks.workers import map_in_workers

    usable = [e for e in events if _usable(e, max_body_chars)]
    fields = [(e.body or "", e.content_type, e.title, e.published_at) for e in usable]
    values = map_in_workers(clean_bodies, fields, workers, "clean")
    cleaned = dict(zip((id(e) for e in usable), values, strict=True))
    articles = [_article(event, cleaned.get(id(event))) for event in events]
    mark_duplicates(articles, index)
    return articles
