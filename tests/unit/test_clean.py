import datetime as dt

from newsflow.events import ArticleEvent
from newsflow.source import RawRecord
from newsflow.tasks.clean import (
    clean_batch,
    clean_event,
    clean_text,
    detect_language,
    normalise,
    parse_timestamp,
)
from newsflow.tasks.dedup import NEAR_DUPLICATE_BITS, DedupIndex, content_hash, hamming, simhash


def _event(body: str | None, offset: int = 0, content_type: str = "text/plain", id_: str = "a") -> ArticleEvent:
    record = RawRecord("t", 0, offset, 1_700_000_000_000 + offset, None, b"")
    return ArticleEvent(id_, None, None, None, None, body, content_type, record)


def test_seed_boilerplate_is_removed_and_last_paragraph_kept(seed_text: str) -> None:
    body = clean_text(seed_text)
    assert "Leo covers Congress" not in body
    assert "In Other News" not in body and "Load More" not in body
    assert body.endswith("the Iranian nuclear program during the discussion.")
    assert body.startswith("White House officials are downplaying")
    assert body.count("\n\n") == 11  # all 12 article paragraphs survive


def test_bio_like_sentence_mid_article_is_kept() -> None:
    text = "Leo covers Congress for us, said the editor.\n\nSecond paragraph of the story."
    assert clean_text(text) == text


def test_normalise_invisible_characters_and_hyphenation() -> None:
    assert normalise("inter-\nnational\u200b news\u00a0today") == "international news today"
    assert normalise("a\u202eb") == "ab"
    assert normalise("line one\nline two\n\n\npara two") == "line one line two\n\npara two"


def test_language() -> None:
    assert detect_language("The president spoke to reporters on Monday about the war.")[0] == "en"
    assert detect_language("Der Präsident sprach am Montag mit Journalisten über den Krieg.")[0] == "de"
    assert detect_language("  ... ") == (None, None)


def test_html_event_is_extracted() -> None:
    html = (
        "<html><head><title>Big news</title></head><body><nav>Home | World</nav><article>"
        + "".join(f"<p>Paragraph {i} of the report says the talks will continue next week in Geneva.</p>" for i in range(8))
        + "</article><footer>Copyright 2021</footer><script>alert(1)</script></body></html>"
    )
    article = clean_event(_event(html, content_type="text/html"), 2_000_000)
    assert article.body and "Paragraph 0" in article.body and "alert" not in article.body
    assert "Home | World" not in article.body
    assert article.title == "Big news"
    assert article.language == "en" and article.analysable


def test_oversized_and_missing_bodies_are_not_parsed() -> None:
    big = clean_event(_event("word " * 1000), max_body_chars=100)
    assert big.body is None and big.body_chars == 5000 and not big.analysable
    missing = clean_event(_event(None), 100)
    assert missing.body is None and missing.body_chars == 0


def test_timestamps() -> None:
    assert parse_timestamp("2021-12-06") == dt.datetime(2021, 12, 6, tzinfo=dt.UTC)
    assert parse_timestamp("2021-12-06T10:00:00Z") == dt.datetime(2021, 12, 6, 10, tzinfo=dt.UTC)
    assert parse_timestamp("last tuesday") is None


def test_exact_and_near_duplicates(seed_text: str) -> None:
    wire = seed_text.replace("Load More", "")
    syndicated = clean_text(seed_text).replace("White House officials", "Officials at the White House")
    index = DedupIndex()
    articles = clean_batch(
        [_event(seed_text, 0, id_="orig"), _event(wire, 1, id_="copy"),
         _event(syndicated, 2, id_="wire"), _event("Completely different text " * 20, 3, id_="other")],
        index, 2_000_000,
    )
    kinds = {a.event.id: (a.duplicate_of, a.duplicate_kind) for a in articles}
    assert kinds["orig"] == (None, None)
    assert kinds["copy"] == ("orig", "exact")
    assert kinds["wire"] == ("orig", "near")
    assert kinds["other"] == (None, None)


def test_reprocessing_does_not_find_itself(seed_text: str) -> None:
    """After a crash the same offsets run again against an index that already holds them."""
    index = DedupIndex()
    first = clean_batch([_event(seed_text, 5, id_="a")], index, 2_000_000)
    again = clean_batch([_event(seed_text, 5, id_="a")], index, 2_000_000)
    assert first[0].duplicate_of is None and again[0].duplicate_of is None


def test_an_article_id_sent_again_is_a_redelivery_or_a_new_version_never_its_own_duplicate(seed_text: str) -> None:
    index = DedupIndex()
    clean_batch([_event(seed_text, 0, id_="a")], index, 2_000_000)
    corrected = seed_text.replace("Monday", "Tuesday")  # a near-identical correction
    again = clean_batch([_event(seed_text, 1, id_="a"), _event(corrected, 2, id_="a")], index, 2_000_000)
    assert (again[0].duplicate_of, again[0].duplicate_kind) == (None, "redelivery") and not again[0].analysable
    assert (again[1].duplicate_of, again[1].duplicate_kind) == (None, None) and again[1].analysable
    # Another id with the same content is still a duplicate, of the article's latest version.
    copy = clean_batch([_event(corrected, 3, id_="b")], index, 2_000_000)
    assert (copy[0].duplicate_of, copy[0].duplicate_kind) == ("a", "exact")
    # Its redelivery, too, is a redelivery.
    assert clean_batch([_event(corrected, 4, id_="b")], index, 2_000_000)[0].duplicate_kind == "redelivery"


def test_simhash_is_stable_and_close_for_small_edits(seed_text: str) -> None:
    body = clean_text(seed_text)
    assert simhash(body) == simhash(body)
    assert hamming(simhash(body), simhash(body.replace("Monday", "Sunday"))) <= NEAR_DUPLICATE_BITS
    assert content_hash("Hello,  World") == content_hash("hello world")


PAGES_WITH_METADATA = [
    # OpenGraph and JSON-LD.
    """<html><head><title>Talks resume | The Daily Ledger</title>
    <meta property="og:title" content="Talks resume in Geneva">
    <meta property="og:site_name" content="The Daily Ledger">
    <meta property="article:published_time" content="2021-12-06T14:00:00Z">
    <script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
    "author": {"@type": "Person", "name": "Maria Lopez"}}</script></head><body><article><h1>Talks resume in Geneva</h1>
    <p>Negotiators met again on Monday after a pause of several weeks, officials said.</p>
    <p>The two delegations are expected to publish a joint statement later this week.</p></article></body></html>""",
    # Only a <title>, a byline and a date in the body: the fallbacks.
    """<html><head><title>Flooding closes river road</title></head><body>
    <div class="byline">By John Carter</div><p>Published 3 March 2022</p>
    <p>Heavy rain closed the river road for a second day, the county said on Thursday.</p>
    <p>Crews expect to reopen one lane by the weekend if the water keeps falling.</p></body></html>""",
    # Nothing at all.
    "<html><body><p>Just a sentence without any metadata around it at all, nothing more.</p></body></html>",
]


def test_page_metadata_agrees_with_trafilatura() -> None:
    from trafilatura.metadata import extract_metadata
    from trafilatura.settings import set_date_params
    from trafilatura.utils import load_html

    from newsflow.tasks.clean import page_metadata

    for html in PAGES_WITH_METADATA:
        full = extract_metadata(load_html(html), date_config=set_date_params(True))
        assert page_metadata(load_html(html)) == (full.title, full.author, full.date, full.sitename)
    found = [page_metadata(load_html(html)) for html in PAGES_WITH_METADATA]
    assert found[0] == ("Talks resume in Geneva", "Maria Lopez", "2021-12-06", "The Daily Ledger")
    assert found[1] == ("Flooding closes river road", "John Carter", "2022-03-03", None)  # body fallbacks
    assert found[2] == (None, None, None, None)


def test_page_date_is_searched_only_when_the_event_has_none(monkeypatch) -> None:
    import htmldate

    from newsflow.tasks.clean import clean_body

    searches = []
    find_date = htmldate.find_date
    monkeypatch.setattr(htmldate, "find_date", lambda *a, **k: searches.append(1) or find_date(*a, **k))
    page = PAGES_WITH_METADATA[0]
    assert clean_body(page, "text/html", None, None).published_at == dt.datetime(2021, 12, 6, tzinfo=dt.UTC)
    assert len(searches) == 1
    with_date = clean_body(page, "text/html", None, "2022-01-31")
    assert with_date.published_at == dt.datetime(2022, 1, 31, tzinfo=dt.UTC)
    assert (with_date.title, with_date.author, with_date.site_name) == (
        "Talks resume in Geneva", "Maria Lopez", "The Daily Ledger")
    assert len(searches) == 1  # the event's date wins, so the page was not searched for one


def _reference_simhash(text: str) -> int:
    """simhash as first written (numpy bit matrix, Python sum over the bits): the figure compared."""
    import hashlib
    import re
    from collections import Counter

    import numpy as np

    counts = Counter(re.findall(r"\w+", text.lower()))
    if not counts:
        return 0
    hashes = np.array(
        [int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "big") for w in counts], dtype=np.uint64)
    bits = (hashes[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)
    signs = bits.astype(np.int64) * 2 - 1
    weights = (signs * np.array(list(counts.values()), dtype=np.int64)[:, None]).sum(axis=0)
    value = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return value - (1 << 64) if value >= (1 << 63) else value


def test_simhash_and_fingerprints_are_the_reference(seed_text: str) -> None:
    import random

    from newsflow.tasks.dedup import fingerprints

    rng = random.Random(3)
    vocabulary = ["the", "The", "war", "talks", "Genève", "a", "b", "x1", "état", "日本", "new", "York", "", "!", "--"]
    texts = [seed_text, "", "   ", "one", "One one ONE", clean_text(seed_text)]
    texts += [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 60))) for _ in range(500)]
    for text in texts:
        assert simhash(text) == _reference_simhash(text), text
        assert fingerprints(text) == (content_hash(text), simhash(text))
    values = {simhash(text) for text in texts}
    assert len(values) > 400 and min(values) < 0 < max(values)  # the top bit both set and clear


def test_invisible_characters_are_the_ones_listed() -> None:
    from newsflow.tasks.clean import _INVISIBLE

    listed = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    every_character = "".join(map(chr, range(0x110000))).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    assert _INVISIBLE.sub("", every_character) == every_character.translate(dict.fromkeys(listed))
