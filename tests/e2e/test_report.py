"""`newsflow report` renders in a browser: a map on country shapes, the articles, tone per day,
quarantine reasons in words, a date range; one screenshot per section."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from newsflow.cli import main
from newsflow.pipeline import process_batch
from newsflow.report import build_report, reason_in_words, world_shapes
from newsflow.sink import land_batch
from newsflow.source import Batch, records_from_values
from newsflow.tasks.dedup import DedupIndex
from tests.e2e.conftest import wait_for_text

pytestmark = [pytest.mark.browser]

SECTIONS = ["counts", "map", "articles", "entities", "tone", "themes", "quotes", "quarantine", "dead-letters"]


def _land(output: Path, seed_event_bytes: bytes, validator) -> None:  # type: ignore[no-untyped-def]
    """The seed on its own date and a copy dated two days later (a gap day between them)."""
    seed = json.loads(seed_event_bytes)
    later = {**seed, "id": "later", "url": "https://example.org/later", "title": "Two days later",
             "published_at": "2021-12-08T09:00:00Z", "body": seed["body"][: len(seed["body"]) // 3]}
    values = [seed_event_bytes, json.dumps(later).encode(), b"not json", b'{"id": "e", "body": ""}']
    batch = Batch(records_from_values(values, topic="news"))
    land_batch(output, process_batch(batch, DedupIndex(), validator).tables, batch)


def test_report_sections_render_with_a_real_map(  # type: ignore[no-untyped-def]
    tmp_path: Path, browser, artifacts_dir: Path, seed_event_bytes: bytes, validator
) -> None:
    _land(tmp_path, seed_event_bytes, validator)
    target = build_report(tmp_path, tmp_path / "report.html")

    browser.get(target.as_uri())
    text = wait_for_text(browser, ["newsflow report", "Joe Biden", "Crimea", "malformed_json"])
    for section in SECTIONS:
        element = browser.find_element("id", section)
        browser.execute_script("arguments[0].scrollIntoView()", element)
        element.screenshot(str(artifacts_dir / f"report-{section}.png"))
    browser.save_screenshot(str(artifacts_dir / "report.png"))
    for heading in ("Places", "Articles", "Most mentioned", "Tone over time", "Quotes by speaker", "Quarantine",
                    "Dead letters"):
        assert heading in text
    assert "a senior administration official" in text
    assert "GeoNames, geonames.org, CC BY 4.0" in text
    # The article list: title linked to its URL, source, date, top people and places.
    link = browser.find_element("link text", "Two days later")
    assert link.get_attribute("href") == "https://example.org/later"
    row = link.find_element("xpath", "./ancestor::tr").text
    assert "2021-12-08" in row and "Joe Biden" in row
    # Quarantine in words, not expectation names.
    assert "expect_column_values_to_be_between(body_chars)" not in text
    assert "body chars is not between" in text or "body is missing" in text
    images = browser.find_elements("tag name", "img")
    assert len(images) >= 5
    assert all(browser.execute_script("return arguments[0].naturalWidth", img) > 0 for img in images)


def test_report_date_range(tmp_path: Path, seed_event_bytes: bytes, validator) -> None:  # type: ignore[no-untyped-def]
    _land(tmp_path / "out", seed_event_bytes, validator)
    html_file = tmp_path / "range.html"
    assert main(["report", "--output", str(tmp_path / "out"), "--html", str(html_file),
                 "--since", "2021-12-07", "--until", "2021-12-31"]) == 0
    page = html_file.read_text()
    assert "Two days later" in page and "<b>articles</b>: 1</li>" in page
    assert main(["report", "--output", str(tmp_path / "out"), "--since", "2022-01-02", "--until", "2022-01-01"]) == 2


def test_reasons_in_words_come_from_the_suite() -> None:
    from newsflow.tasks.validate import describe, load_suite_config

    for expectation in load_suite_config("articles")["expectations"]:
        name = describe(expectation)
        words = reason_in_words("articles", name)
        assert words != name and not words.startswith("expect_"), name
    assert reason_in_words("articles", "clean: ValueError: boom") == "clean: ValueError: boom"


def test_world_shapes_are_shipped_and_attributed() -> None:
    shapes = world_shapes()
    assert "GeoNames, geonames.org" in shapes["attribution"]
    assert {"US", "UA", "RU", "FR", "AU", "BR"} <= set(shapes["countries"])
    lon, lat = shapes["countries"]["FR"]["rings"][0][0]
    assert -10 < lon < 60 and 35 < lat < 55
    assert dt.date(2021, 12, 6)  # the seed's date, used by the range test above
