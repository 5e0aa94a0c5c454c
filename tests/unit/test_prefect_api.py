"""The temporary Prefect API's server settings (newsflow/prefect_api.py)."""

from __future__ import annotations

from typing import Any


def test_the_temporary_server_batches_task_run_writes_unless_told_otherwise(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The server gets newsflow's recorder defaults; a user's own setting wins."""
    import subprocess as real_subprocess

    from newsflow import prefect_api

    seen: list[dict[str, Any]] = []

    def fake_popen(command: list[str], **kwargs: Any) -> object:
        seen.append(kwargs["env"])
        return object()

    server = prefect_api._server_class()(port=8999)
    monkeypatch.setattr(real_subprocess, "Popen", fake_popen)
    monkeypatch.delenv("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE", raising=False)
    server._run_uvicorn_command()
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE", "7")
    server._run_uvicorn_command()
    assert seen[0]["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE"] == "25"
    assert seen[0]["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL"] == "1"
    assert seen[1]["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE"] == "7"
