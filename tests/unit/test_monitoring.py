"""The monitoring module's pure parts: messages, escaping, Data Docs folders, lag of a memory source."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from newsflow.flows.monitoring import ValidationTally, md_text, prune_data_docs, run_docs_dir, state_message
from newsflow.source import MemorySource, records_from_values
from newsflow.tasks.validate import TableResult


def test_state_message_reads_like_the_issue_asks() -> None:
    assert state_message(124, 113, 10, 1) == "124 records: 113 articles, 10 quarantined, 1 dead letter"
    assert state_message(1, 1, 0, 0) == "1 record: 1 article, 0 quarantined, 0 dead letters"
    assert state_message(5, 5, 0, 0, child_rows_quarantined=2, redone_batches=1) == (
        "5 records: 5 articles, 0 quarantined, 0 dead letters "
        "(2 extracted rows quarantined; 1 batch left to be read again after a rebalance)")


def test_md_text_leaves_nothing_to_render_or_run() -> None:
    hostile = "<img src=x onerror=alert(1)> [click](javascript:alert(2)) **bold** | cell\n`code`"
    text = md_text(hostile)
    assert "<" not in text and ">" not in text and "\n" not in text
    assert "\\[click\\]\\(javascript:alert\\(2\\)\\)" in text and "\\*\\*bold\\*\\*" in text and "\\|" in text
    assert len(md_text("x" * 1000, limit=50)) <= 50


def test_each_run_keeps_its_own_data_docs_and_old_ones_are_pruned(tmp_path: Path) -> None:
    start = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)
    folders = [run_docs_dir(tmp_path, f"run/{i} <x>", start + dt.timedelta(minutes=i)) for i in range(4)]
    assert len(set(folders)) == 4 and all(f.parent == tmp_path / "data_docs" for f in folders)
    assert all("/" not in f.name and "<" not in f.name for f in folders)
    for folder in folders:
        folder.mkdir(parents=True)
        (folder / "index.html").write_text("docs")
    (tmp_path / "data_docs" / "user-notes").mkdir()  # not a run folder: never touched
    removed = prune_data_docs(tmp_path, keep=2)
    assert removed == folders[:2]
    assert sorted(p.name for p in (tmp_path / "data_docs").iterdir()) == sorted(
        [folders[2].name, folders[3].name, "user-notes"])


def test_validation_tally_sums_batches_into_markdown() -> None:
    tally = ValidationTally()
    for _ in range(2):
        tally.add({"articles": TableResult("articles", 10, False, evaluated=12, results=[
            {"expectation": "expect_column_values_to_be_between(body_chars)", "success": False, "unexpected_count": 3},
            {"expectation": "expect_column_values_to_not_be_null(article_id)", "success": True,
             "unexpected_count": None}])})
    markdown = tally.markdown()
    assert "| articles | 20 | 24 | 1 |" in markdown
    assert "| articles | expect\\_column\\_values\\_to\\_be\\_between\\(body\\_chars\\) | 6 | 2 |" in markdown


def test_memory_source_lag_counts_what_is_not_committed() -> None:
    from newsflow.config import BatchLimits

    source = MemorySource(records_from_values([b"a", b"b", b"c"]))
    assert source.lag() == {("memory", 0): 3}
    source.commit(source.poll_batch(BatchLimits(max_records=2)))
    assert source.lag() == {("memory", 0): 1}


def test_md_code_cannot_end_its_span() -> None:
    from newsflow.flows.monitoring import md_code

    assert md_code("a`b\nc") == "`a'b c`"
