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


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from newsflow import __version__

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"newsflow {__version__}"


def test_every_option_says_its_default_and_variable() -> None:
    import argparse

    from newsflow.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) >= {"replay", "ingest", "broker", "demo", "serve", "sql", "report", "check"}
    for name, command in commands.choices.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction) or not action.option_strings:
                continue
            assert action.help and "default" in action.help, f"{name} {action.option_strings}"
    # The settings an option overrides are named where the option is.
    ingest = commands.choices["ingest"].format_help()
    for variable in ("KAFKA_BOOTSTRAP_SERVERS", "NEWSFLOW_TOPIC", "NEWSFLOW_GROUP", "NEWSFLOW_OUTPUT",
                     "NEWSFLOW_BATCH_RECORDS"):
        assert variable in ingest


def test_check_and_sql_refuse_a_missing_folder(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    for command in (["check"], ["sql", "SELECT 1"]):
        assert main([*command, "--output", str(tmp_path / "missing")]) == 2
        assert "missing: no such folder" in capsys.readouterr().err


def _land_articles(output, titles: list[str], fingerprinted: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Land articles rows through the sink, as ingest does (whatever format the sink writes)."""
    import datetime as dt

    import pyarrow as pa

    from newsflow.schemas import ARTICLES
    from newsflow.sink import land_batch
    from newsflow.source import Batch, records_from_values

    batch = Batch(records_from_values([b"{}"] * len(titles), topic="news"))
    now = dt.datetime.now(dt.UTC)
    rows = [{"article_id": f"a{i}", "title": title, "ingested_at": now, "body_chars": 0, "word_count": 0,
             "pipeline_version": "test", "kafka_topic": "news", "kafka_partition": 0, "kafka_offset": i,
             **({"content_hash": f"hash-{i}", "simhash": i} if fingerprinted else {})}
            for i, title in enumerate(titles)]
    land_batch(output, {"articles": pa.Table.from_pylist(rows, schema=ARTICLES)}, batch)


def test_sql_queries_every_table_and_prints_hostile_text_inert(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    hostile = "Mega$_$Corp \x1b]0;owned\x07\x1b[2J \u202eevil"
    _land_articles(tmp_path, ["calm title", hostile])
    assert main(["sql", "SELECT article_id, title FROM articles ORDER BY article_id", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "calm title" in out and "(2 rows)" in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b]0;owned\\x07\\x1b[2J" in out and "\\u202eevil" in out
    from newsflow.schemas import TABLES

    union = " UNION ALL ".join(f"SELECT '{name}' AS t, count(*) AS n FROM {name}" for name in TABLES)
    assert main(["sql", union, "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"({len(TABLES)} rows)" in out


def test_sql_errors_are_one_line(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["sql", "SELECT nope FROM articles", "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsflow: error: SQL:") and err.count("\n") == 1


def test_sql_prompt_reads_piped_statements(tmp_path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import io

    _land_articles(tmp_path, ["first", "second"])
    script = ".tables\nSELECT count(*) AS n\n  FROM articles;\nSELECT broken;\nSELECT 'still here' AS s;\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    assert main(["sql", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "dead_letters" in out  # .tables
    assert "error: " in out and "still here" in out  # an error does not end the session


def test_not_kafka_fails_fast_with_one_line_of_advice(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    """A port that accepts connections but speaks something else (here: HTTP)."""
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from tests.conftest import SEED

    class Quiet(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"127.0.0.1:{server.server_address[1]}"
    try:
        for command in (["replay", str(SEED)], ["ingest"]):
            started = time.monotonic()
            assert main([*command, "--bootstrap-servers", address]) == 2
            err = capsys.readouterr().err
            print(f"{command[0]} against a non-Kafka port failed after {time.monotonic() - started:.1f} s")
            assert err.count("\n") == 1 and "did not answer as a Kafka broker" in err and "newsflow broker" in err
    finally:
        server.shutdown()


def test_foreign_and_empty_table_files_are_skipped_and_named(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    """A 0-byte .parquet (a full disk) and a foreign file in a table's folder are outside its log:
    ingest's start-up, check, sql and the report read through the log and skip them; check names them."""
    from newsflow.pipeline import dedup_index_from
    from newsflow.report import build_report

    _land_articles(tmp_path, ["one", "two"], fingerprinted=True)
    day = next((tmp_path / "articles").glob("ingest_date=*"))
    (day / "part-00000-left-by-a-full-disk.parquet").write_bytes(b"")
    (tmp_path / "articles" / "notes.txt").write_text("not a table file")

    assert dedup_index_from(tmp_path).id_count == 2
    assert main(["check", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "no table's log references" in out
    assert "part-00000-left-by-a-full-disk.parquet" in out and "notes.txt" in out
    assert main(["sql", "SELECT count(*) AS n FROM articles", "--output", str(tmp_path)]) == 0
    assert "(1 row)" in capsys.readouterr().out
    assert build_report(tmp_path, tmp_path / "report.html").exists()
