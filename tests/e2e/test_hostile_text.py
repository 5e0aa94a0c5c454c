"""Event-supplied text is shown, never run: GX Data Docs, the HTML report and a Prefect artifact
opened in headless Chromium with <script>, onerror and javascript: payloads in every text field."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from newsflow.schemas import TABLES
from tests.e2e.conftest import wait_for_text

pytestmark = [pytest.mark.browser]

SCRIPT = "<script>window.__pwned=1</script>"
PAYLOAD = (f'{SCRIPT}<img src=x onerror="window.__pwned=2"><svg onload="window.__pwned=3"></svg>'
           "[click](javascript:window.__pwned=4) Mega$_$Corp")
# Values some charts filter on, so the hostile names reach every figure and table.
OVERRIDES: dict[str, dict[str, Any]] = {
    "entities": {"entity_type": "ORG"},
    "quotes": {"speaker_kind": "PERSON"},
    "quarantine": {"table_name": "articles"},
}


def _value(field: pa.Field, now: dt.datetime) -> Any:
    kind = field.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return PAYLOAD
    if pa.types.is_integer(kind):
        return 1
    if pa.types.is_floating(kind):
        return 0.5
    if pa.types.is_timestamp(kind):
        return now
    if pa.types.is_date(kind):
        return now.date()
    if pa.types.is_boolean(kind):
        return True
    if pa.types.is_list(kind):
        return [PAYLOAD] if pa.types.is_string(kind.value_type) else []
    return None


def hostile_tables() -> dict[str, pa.Table]:
    """One row per table, every text field the payload (the sink casts to the real schemas)."""
    now = dt.datetime.now(dt.UTC)
    tables = {}
    for name, schema in TABLES.items():
        row = {f.name: _value(f, now) for f in schema}
        row.update({"kafka_topic": "news", "kafka_partition": 0, "kafka_offset": 0, **OVERRIDES.get(name, {})})
        tables[name] = pa.Table.from_pylist([row], schema=schema)
    return tables


def assert_inert(browser) -> None:  # type: ignore[no-untyped-def]
    """No payload ran, no alert is open, no javascript: link was made, and the text is shown."""
    assert browser.execute_script("return window.__pwned === undefined")
    assert not browser.execute_script(
        "return [...document.querySelectorAll('a[href]')].some(a => a.href.startsWith('javascript:'))")
    assert SCRIPT in browser.find_element("tag name", "body").text


def test_report_shows_hostile_text_as_text(tmp_path: Path, browser, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from newsflow.report import build_report
    from newsflow.sink import land_batch
    from newsflow.source import Batch, records_from_values

    land_batch(tmp_path, hostile_tables(), Batch(records_from_values([b"{}"], topic="news")))
    target = build_report(tmp_path, tmp_path / "report.html")  # "$_$" used to fail here (mathtext)
    browser.get(target.as_uri())
    wait_for_text(browser, ["newsflow report", SCRIPT])
    browser.save_screenshot(str(artifacts_dir / "hostile-report.png"))
    assert_inert(browser)
    assert "Mega$_$Corp" in browser.find_element("tag name", "body").text


def test_data_docs_show_hostile_text_as_text(tmp_path: Path, browser, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from newsflow.tasks.validate import build_data_docs, suite_path

    validated = {name: table for name, table in hostile_tables().items() if suite_path(name).exists()}
    index = build_data_docs(validated, tmp_path / "docs", "hostile-run")
    pages = sorted((tmp_path / "docs" / "validations").rglob("*.html"))
    assert pages, "no validation pages were built"
    for page in [index, *pages]:
        raw = page.read_text(encoding="utf-8")
        assert "<script>window.__pwned" not in raw and "onerror=\"window" not in raw
        browser.get(page.as_uri())
        browser.implicitly_wait(1)
        assert browser.execute_script("return window.__pwned === undefined"), page
    browser.get(next(p for p in pages if "articles" in p.name).as_uri())
    text = wait_for_text(browser, [SCRIPT], timeout_s=10)
    browser.save_screenshot(str(artifacts_dir / "hostile-data-docs.png"))
    assert SCRIPT in text  # the failing content_type is listed, as text


def test_prefect_artifact_shows_hostile_text_as_text(prefect_server: str, browser, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from prefect.artifacts import create_markdown_artifact
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from newsflow.config import Settings
    from newsflow.flows.monitoring import RunMonitor

    monitor = RunMonitor(Settings(), source=None, mode="drain")
    markdown = monitor.report_markdown(
        f"Data Docs: `{PAYLOAD}`", 1.0, Counter({f"articles: {PAYLOAD}": 2}), Counter({PAYLOAD: 1}), [PAYLOAD])
    with temporary_settings({PREFECT_API_URL: prefect_server}):
        artifact_id = create_markdown_artifact(markdown, key="hostile-report")
    browser.get(f"{prefect_server.removesuffix('/api')}/artifacts/artifact/{artifact_id}")
    wait_for_text(browser, ["Quarantine reasons", SCRIPT])
    browser.save_screenshot(str(artifacts_dir / "hostile-prefect-artifact.png"))
    assert_inert(browser)
