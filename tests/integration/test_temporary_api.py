"""The temporary Prefect API that `newsflow ingest` starts when PREFECT_API_URL is not set: its
server writes task runs in batches (newsflow/prefect_api.py), and none is lost when it stops."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

from tests.integration.kafka_helpers import ROOT, assert_accounted, ingest_command, produce
from tests.poison_records import good_article


def test_every_task_run_is_recorded_in_its_final_state(broker: str, tmp_path: Path) -> None:
    """The server's task-run recorder writes 25 events at a time; the last, partial batch is
    written when the run stops its temporary server, so every task run of every batch is in the
    Prefect database, completed, after the process has exited."""
    topic, output, home = "news.recorded", tmp_path / "out", tmp_path / "prefect-home"
    values = [good_article(i) for i in range(7)]
    expected = produce(broker, topic, values)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({"PREFECT_HOME": str(home), "NEWSFLOW_BATCH_WAIT_S": "1", "NEWSFLOW_WORKERS": "1"})
    run = subprocess.run(ingest_command(broker, topic, output, batch_records=2), cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert_accounted(output, expected, len(values))

    with sqlite3.connect(home / "prefect.db") as db:
        rows = db.execute("SELECT name, state_type FROM task_run").fetchall()
    stages = Counter(name.rsplit("-", 1)[0] for name, _ in rows)
    batches = stages["land"]
    assert batches >= 4  # 7 records, at most 2 per batch
    assert stages == {"clean": batches, "extract": batches, "enrich": batches, "validate": batches,
                      "land": batches, "data-docs": 1}
    assert {state for _, state in rows} == {"COMPLETED"}
