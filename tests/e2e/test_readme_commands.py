"""The README's command blocks run as written (in a temp folder, on a free port instead of 9092,
since this machine is shared). Elsewhere: `ingest --mode stream` in tests/e2e/test_monitoring.py;
`prefect server start` (the prefect_server fixture), `newsflow serve` and
`prefect deployment run newsflow-ingest/stream` in tests/e2e/test_prefect_ui.py; the interactive
`newsflow sql` in tests/unit/test_cli.py; docker compose is checked by tests/unit/test_infra.py
(no docker engine here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsflow.broker import free_port
from tests.integration.kafka_helpers import ROOT

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_block(after_heading: str, index: int = 0) -> list[str]:
    """The command lines of the index-th ```bash block after a heading, comments stripped."""
    text = README[README.index(f"## {after_heading}\n"):]
    blocks = text.split("```bash\n")[1:]
    block = blocks[index].split("```")[0]
    return [line.split("  #")[0].rstrip() for line in block.splitlines() if line.strip()]


def _bin_dir(tmp_path: Path) -> Path:
    """`newsflow` and `prefect` on PATH, through this interpreter (its venv may not be on PATH)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, module in (("newsflow", "newsflow.cli"), ("prefect", "prefect")):
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {module} "$@"\n')
        wrapper.chmod(0o755)
    return bin_dir


def test_using_it_runs_as_written(tmp_path: Path, prefect_api: str) -> None:
    lines = readme_block("Using it")
    assert lines[0].startswith(". .venv/bin/activate")  # the venv: this test puts newsflow on PATH itself
    port = free_port()
    script = ["set -e"]
    for line in lines[1:]:
        if line.startswith("newsflow broker &"):
            line = line.replace("newsflow broker", f"newsflow broker --port {port}")
            script += [line, f"until (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null; do sleep 0.2; done"]
            continue
        script.append(line)
    script.append("wait")  # the broker's exit status after `kill %1`
    env = {**os.environ, "PATH": f"{_bin_dir(tmp_path)}:{os.environ['PATH']}", "PREFECT_API_URL": prefect_api,
           "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}", "NEWSFLOW_WORKERS": "1", "NEWSFLOW_BATCH_WAIT_S": "1"}
    env.pop("NEWSFLOW_OUTPUT", None)
    result = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=900)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert "it keeps topics and offsets in memory only" in out
    assert "replayed 1 events" in out
    assert "canonical_name" in out and "Joe Biden" in out  # the sql query's result
    assert "report written to output/report.html" in out
    assert "offsets landed more than once: 0" in out
    assert "embedded broker stopped" in out
    assert not (tmp_path / "output").exists()  # the reset


def test_worker_deployment_commands_run_as_written(tmp_path: Path, prefect_server: str) -> None:
    lines = readme_block("Scheduled and streaming deployments", index=1)
    assert lines[-1] == "prefect worker start --pool newsflow"
    env = {**os.environ, "PATH": f"{_bin_dir(tmp_path)}:{os.environ['PATH']}", "PREFECT_API_URL": prefect_server}
    # Registering is what this test checks; a worker (last line) would go on to execute the
    # scheduled runs, which tests/e2e/test_prefect_ui.py does through `newsflow serve`.
    for line in lines[:-1]:
        result = subprocess.run(["bash", "-c", line], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, line + "\n" + (result.stdout + result.stderr)[-3000:]
    listed = subprocess.run(["bash", "-c", "prefect deployment ls"], cwd=ROOT, env={**env, "COLUMNS": "250"},
                            capture_output=True, text=True, timeout=120)
    assert "newsflow-ingest/drain-scheduled" in listed.stdout and "newsflow-ingest/stream" in listed.stdout
    worker = subprocess.run(["bash", "-c", "prefect worker start --pool newsflow --run-once"], cwd=ROOT,
                            env={**env, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}, capture_output=True,
                            text=True, timeout=300)
    assert worker.returncode == 0, (worker.stdout + worker.stderr)[-3000:]
