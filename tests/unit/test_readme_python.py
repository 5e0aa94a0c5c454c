"""The README's Python example reads a landed table through its Delta log, as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pyarrow as pa

from newsflow.schemas import ENTITIES
from newsflow.sink import land_batch
from newsflow.source import Batch, RawRecord
from tests.unit.test_infra import ROOT


def test_readme_python_example_reads_the_delta_table(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    records = [RawRecord("news", 0, offset, 1_638_748_800_000, None, b"{}") for offset in range(3)]
    rows = [{"article_id": f"a{i}", "mention_index": 0, "text": name, "canonical_name": name,
             "entity_type": "PERSON", "start_char": 0, "end_char": len(name), "kafka_topic": "news",
             "kafka_partition": 0, "kafka_offset": i}
            for i, name in enumerate(["Joe Biden", "Joe Biden", "Vladimir Putin"])]
    land_batch(tmp_path / "output", {"entities": pa.Table.from_pylist(rows, schema=ENTITIES)}, Batch(records))

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", readme, flags=re.S)
    assert block, "the README has a Python example"
    monkeypatch.chdir(tmp_path)  # the example reads ./output
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block[1], "README.md", "exec"), {})
    assert "Joe Biden" in printed.getvalue() and "2" in printed.getvalue()
