from pathlib import Path

import pytest

from newsflow.pipeline import build_tables, clean_stage, decode_stage, enrich_stage, extract_stage
from newsflow.source import Batch, records_from_values
from newsflow.tasks.dedup import DedupIndex
from newsflow.tasks.validate import build_data_docs


def test_data_docs_from_a_relative_output_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_event_bytes: bytes
) -> None:
    import datetime as dt

    monkeypatch.chdir(tmp_path)  # the demo passes "output", a relative path
    events, _ = decode_stage(Batch(records_from_values([seed_event_bytes, b'{"id": "e", "body": ""}'])))
    articles = clean_stage(events, DedupIndex(), 2_000_000)
    tables = build_tables(articles, enrich_stage(articles, extract_stage(articles)), dt.datetime.now(dt.UTC))
    index = build_data_docs(tables, Path("output") / "data_docs", "test-run")
    assert index == (tmp_path / "output" / "data_docs" / "index.html")
    assert index.exists() and "articles" in index.read_text()
    assert list((tmp_path / "output" / "data_docs" / "validations").rglob("*.html"))
