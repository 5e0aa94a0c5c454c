"""`newsflow demo` run twice into one folder: each run starts a fresh broker (a new log), continues
into the folder as a new epoch, and the second run changes no table but records the redelivery."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsflow.lake import epochs_landed, read_table
from newsflow.schemas import CHILD_TABLES
from tests.integration.kafka_helpers import ROOT

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _demo(output: Path, api: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsflow.cli", "demo", "--output", str(output)], cwd=ROOT,
                          env={**os.environ, "PREFECT_API_URL": api, "NEWSFLOW_WORKERS": "1"},
                          capture_output=True, text=True, timeout=900)


def _content(output: Path) -> dict[str, list[tuple]]:
    """Each content table's rows without their Kafka coordinates (which differ between logs)."""
    tables = {}
    for name in ("articles", *CHILD_TABLES):
        table = read_table(output, name)
        keep = [c for c in table.column_names
                if not c.startswith("kafka_") and c not in ("ingested_at", "ingest_date", "original_body")]
        tables[name] = sorted(map(str, table.select(keep).to_pylist()))
    return tables


def test_demo_twice_into_one_folder_shows_the_same_rows(prefect_api: str, tmp_path: Path) -> None:
    output = tmp_path / "out"
    first = _demo(output, prefect_api)
    assert first.returncode == 0, first.stderr[-3000:]
    before = _content(output)
    assert before["entities"] and before["locations"]

    second = _demo(output, prefect_api)
    assert second.returncode == 0, second.stderr[-3000:]
    assert epochs_landed(output) == [0, 1]
    assert _content(output) == before  # nothing replaced, nothing analysed twice
    reasons = read_table(output, "quarantine", columns=["reason"])["reason"].to_pylist()
    assert sum(r.startswith("redelivery") for r in reasons) == len(before["articles"])
    # The summary of the second run shows the same table rows as the first.
    for name in ("articles", "entities", "locations"):
        line = next(x for x in first.stdout.splitlines() if x.strip().startswith(name))
        assert line in second.stdout
    checked = subprocess.run([sys.executable, "-m", "newsflow.cli", "check", "--output", str(output)], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
