"""`newsflow report` renders in a browser: figures load, every section is there."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsflow.pipeline import process_batch
from newsflow.report import build_report
from newsflow.sink import land_batch
from newsflow.source import Batch, records_from_values
from newsflow.tasks.dedup import DedupIndex
from tests.e2e.conftest import wait_for_text

pytestmark = [pytest.mark.browser]


def test_report_renders_with_figures(  # type: ignore[no-untyped-def]
    tmp_path: Path, browser, artifacts_dir: Path, seed_event_bytes: bytes, validator
) -> None:
    batch = Batch(records_from_values([seed_event_bytes, b"not json", b'{"id": "e", "body": ""}'], topic="news"))
    output = process_batch(batch, DedupIndex(), validator)
    land_batch(tmp_path, output.tables, batch)
    target = build_report(tmp_path, tmp_path / "report.html")

    browser.get(target.as_uri())
    text = wait_for_text(browser, ["newsflow report", "Joe Biden", "Crimea", "malformed_json"])
    browser.save_screenshot(str(artifacts_dir / "report.png"))
    for heading in ("Most mentioned", "Places", "Tone over time", "Quotes by speaker", "Quarantine", "Dead letters"):
        assert heading in text
    assert "a senior administration official" in text
    assert "expect_column_values_to_be_between(body_chars)" in text
    images = browser.find_elements("tag name", "img")
    assert len(images) >= 4
    assert all(browser.execute_script("return arguments[0].naturalWidth", img) > 0 for img in images)
