"""CLI errors are one clear line and exit code 2, never a traceback."""

import pytest

from newsflow.cli import main


def test_unreachable_kafka(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--bootstrap-servers", "127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach Kafka at 127.0.0.1:1" in err and "newsflow broker" in err


def test_missing_seed_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "no/such/folder", "--bootstrap-servers", "127.0.0.1:1"]) == 2
    assert "no/such/folder: no such file or folder" in capsys.readouterr().err


def test_malformed_setting(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NEWSFLOW_BATCH_RECORDS", "lots")
    assert main(["ingest"]) == 2
    assert "NEWSFLOW_BATCH_RECORDS must be an integer" in capsys.readouterr().err


def test_report_without_output(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["report", "--output", str(tmp_path / "none")]) == 2
    assert "run `newsflow ingest`" in capsys.readouterr().err
