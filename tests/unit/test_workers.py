"""The worker pool gives exactly what the same stages give in-process, in the same order."""

from __future__ import annotations

import json

import pyarrow as pa

from newsflow.pipeline import process_batch
from newsflow.source import Batch, records_from_values
from newsflow.tasks.dedup import DedupIndex
from newsflow.tasks.workers import CHUNKS_PER_WORKER, chunks


def test_chunks_keep_order_and_cover_everything() -> None:
    items = list(range(100))
    parts = chunks(items, workers=2)
    assert [x for part in parts for x in part] == items
    assert all(parts)
    # As many chunks as allowed, give or take the rounding of equal sizes.
    assert 2 * CHUNKS_PER_WORKER - 3 <= len(parts) <= 2 * CHUNKS_PER_WORKER
    assert chunks(list(range(5)), workers=2) == [[0], [1], [2], [3], [4]]
    assert chunks([1], workers=4) == [[1]]


def _without_times(table: pa.Table) -> list[dict]:
    """Rows without the wall-clock columns (also inside a quarantined row's JSON)."""
    drop = {"ingested_at", "quarantined_at"}
    rows = []
    for row in table.to_pylist():
        if "row_json" in row:
            row["row_json"] = {k: v for k, v in json.loads(row["row_json"]).items() if k not in drop}
        rows.append({k: v for k, v in row.items() if k not in drop})
    return rows


def test_two_workers_land_the_same_rows_as_one(seed_event_bytes: bytes, validator) -> None:  # type: ignore[no-untyped-def]
    seed = json.loads(seed_event_bytes)
    html = ("<html><head><title>Talks resume</title></head><body><article>"
            + "".join(f"<p>Officials in Kyiv said on day {i} that talks with Moscow would resume in Geneva, "
                      f"and {i * 100} observers were expected.</p>" for i in range(12))
            + "</article></body></html>")
    values = [
        seed_event_bytes,
        json.dumps({**seed, "id": "edited", "body": seed["body"].replace("Monday", "Sunday")}).encode(),
        json.dumps({"id": "page", "body": html, "content_type": "text/html"}).encode(),
        json.dumps({"id": "short", "body": seed["body"][:1500]}).encode(),
        json.dumps({"id": "de", "body": "Die Regierung hat am Montag neue Gespräche angekündigt. " * 10}).encode(),
    ]
    batch = Batch(records_from_values(values))
    in_process = process_batch(batch, DedupIndex(), validator, workers=0)
    pooled = process_batch(batch, DedupIndex(), validator, workers=2)
    assert in_process.tables["articles"].num_rows == 4  # the German text is quarantined
    assert in_process.tables["entities"].num_rows > 20
    for name, table in in_process.tables.items():
        assert _without_times(pooled.tables[name]) == _without_times(table), name

