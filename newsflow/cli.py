"""newsflow: replay article events to Kafka, ingest them into validated tables, query and report them."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from newsflow import SEEDS_DIR, __version__
from newsflow.config import DEFAULT_GROUP, DEFAULT_TOPIC, BatchLimits, KafkaSettings, Settings, settings_from_env

ENV_DEFAULTS = {
    # No network here and no wish to phone home: analytics off unless the user says otherwise.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}


class CliError(Exception):
    """A user-facing error: printed without a traceback, exit code 2."""


def _settings(args: argparse.Namespace) -> Settings:
    try:
        settings = settings_from_env()
    except ValueError as exc:  # a malformed NEWSFLOW_* / KAFKA_* variable
        raise CliError(str(exc)) from exc
    kafka = settings.kafka
    if getattr(args, "bootstrap_servers", None):
        kafka = replace(kafka, bootstrap_servers=args.bootstrap_servers)
    if getattr(args, "topic", None):
        kafka = replace(kafka, topic=args.topic)
    if getattr(args, "group", None):
        kafka = replace(kafka, group_id=args.group)
    settings = settings.with_overrides(kafka=kafka)
    if getattr(args, "output", None):
        settings = settings.with_overrides(output_dir=Path(args.output))
    return settings


def _kafka_topics(settings: Settings) -> set[str]:
    """The broker's topics; a CliError with one line of advice within seconds when the bootstrap
    address is not a Kafka broker (the client would otherwise retry and log for a long time)."""
    from newsflow.preflight import KafkaUnavailable, kafka_topics

    try:
        return kafka_topics(settings.kafka)
    except KafkaUnavailable as exc:
        raise CliError(str(exc)) from None


def _require_topic(settings: Settings) -> None:
    from newsflow.preflight import KafkaUnavailable, TopicMissing, require_topic

    try:
        require_topic(settings.kafka)
    except (KafkaUnavailable, TopicMissing) as exc:
        raise CliError(str(exc)) from None


def _output_folder(args: argparse.Namespace) -> Path | str:
    """The output folder (or s3:// URI) named by --output / NEWSFLOW_OUTPUT; a local folder must
    exist for readers."""
    from newsflow.lake import is_object_store

    if is_object_store(args.output):
        return str(args.output)
    output = Path(args.output)
    if not output.is_dir():
        raise CliError(f"{output}: no such folder; run `newsflow ingest` (or `newsflow demo`) first, "
                       "or point --output / NEWSFLOW_OUTPUT at the output folder")
    return output


def cmd_replay(args: argparse.Namespace) -> int:
    from newsflow.broker import ensure_topics
    from newsflow.replay import OutgoingEvent, collect_files, events_from_file, produce

    settings = _settings(args)
    try:
        files = collect_files([Path(p) for p in args.paths])
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    if not files:
        raise CliError(f"no seed files (.txt .html .html.gz .json .jsonl) under {' '.join(args.paths)}")
    _kafka_topics(settings)
    ensure_topics(settings.kafka.bootstrap_servers, {settings.kafka.topic: args.partitions},
                  settings.kafka.client_options())
    events: list[OutgoingEvent] = []
    for path in files:
        try:
            events.extend(events_from_file(path, source=args.source))
        except (ValueError, OSError) as exc:
            raise CliError(f"{path}: {exc}") from exc
    sent = produce(events, settings.kafka, rate=args.rate, total=len(events),
                   show_progress=not args.no_progress)
    print(f"replayed {sent} events from {len(files)} files to {settings.kafka.topic} "
          f"at {settings.kafka.bootstrap_servers}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _require_topic(settings)
    # Imported only now: Prefect and the flow take seconds to import, a bad setting should not.
    from newsflow.flows.ingest import ingest
    from newsflow.lake import LakeError, check_tables
    from newsflow.prefect_api import prefect_api

    # A lake this group may not write, or a recreated topic, is a situation to decide, not a crash.
    # Until the flow installs its own handlers (newsflow.supervision), a stop request ends the
    # start-up (main() made SIGTERM raise KeyboardInterrupt like SIGINT), with exit 0.
    try:
        check_tables(settings.output_dir, settings.kafka.group_id)  # before Prefect starts
        with prefect_api():  # a temporary API that a Ctrl-C to the process group does not kill
            ingest(mode=args.mode, max_batches=args.max_batches,
                   bootstrap_servers=settings.kafka.bootstrap_servers, topic=settings.kafka.topic,
                   group_id=settings.kafka.group_id, output_dir=str(settings.output_dir),
                   batch_records=args.batch_records, new_epoch=args.new_epoch)
    except LakeError as exc:
        raise CliError(str(exc)) from exc
    except KeyboardInterrupt:
        print("newsflow: stopped while starting; nothing was read", file=sys.stderr)
    return 0


def cmd_broker(args: argparse.Namespace) -> int:
    """Run Tansu in the foreground until SIGINT/SIGTERM, then stop it (no orphan on the port)."""
    import signal

    from newsflow.broker import EmbeddedBroker, PortInUse

    stop_requested: list[int] = []

    def request_stop(signum: int, frame: object) -> None:
        stop_requested.append(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    broker = EmbeddedBroker(port=args.port)
    try:
        try:
            broker.start()
        except PortInUse as exc:
            raise CliError(f"{exc} (is `newsflow broker` already running? then use it as it is)") from None
        print(f"embedded Kafka (Tansu) listening on {broker.bootstrap_servers}; Ctrl-C or SIGTERM stops it")
        print("  it keeps topics and offsets in memory only: they are gone when it stops")
        print(f"  export KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap_servers}", flush=True)
        while not stop_requested and broker.process and broker.process.poll() is None:
            time.sleep(0.2)
        if not stop_requested:
            code = broker.process.returncode if broker.process else None
            raise CliError(f"the embedded broker exited on its own (code {code})")
    finally:
        broker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("embedded broker stopped")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from newsflow.accounting import check_offsets
    from newsflow.lake import epochs_landed, files_outside_log
    from newsflow.sqlshell import safe_text

    output = _output_folder(args)
    doubled_anywhere = False
    epochs = epochs_landed(output) or [0]
    for epoch in epochs:  # offsets restart with each epoch of a recreated topic's log
        result = check_offsets(output, epoch)
        doubled_anywhere = doubled_anywhere or bool(result.doubled)
        label = f"epoch {epoch}: " if len(epochs) > 1 else ""
        print(f"{label}articles: {result.articles}  quarantined articles: {result.quarantined}  "
              f"dead letters: {result.dead_letters}")
        print(f"{label}offsets landed more than once: {len(result.doubled)}")
        for offset in result.doubled[:20]:
            print(f"  {offset}")
    outside = files_outside_log(output)
    if outside:
        print(f"files in the table folders that no table's log references (every reader skips them; "
              f"`newsflow maintain` vacuums unreferenced files after a week): {len(outside)}")
        for path in outside[:20]:
            print(f"  {safe_text(str(path))}")
    return 1 if doubled_anywhere else 0


def print_summary(output_dir: Path) -> None:
    """Row counts per table, where they are, and the seed article's people and places."""
    from newsflow.report import connect
    from newsflow.schemas import TABLES
    from newsflow.sqlshell import format_table

    print(f"\nLanded under {output_dir.resolve()}:")
    con = connect(output_dir)  # one DuckDB view per table, empty where nothing landed
    counts = {}
    for name in TABLES:
        count = con.execute(f"SELECT count(*) FROM {name}").fetchone()
        counts[name] = count[0] if count else 0
        print(f"  {name:<13} {counts[name]:>6} rows" + (f"  {output_dir / name}/" if counts[name] else ""))
    if not counts["entities"]:
        return
    # The same query runs as `newsflow sql "..."` over the same views.
    query = """
SELECT e.entity_type AS type, e.canonical_name AS name, count(*) AS mentions,
       any_value(l.country_code) AS country, round(any_value(l.latitude), 2) AS lat,
       round(any_value(l.longitude), 2) AS lon
FROM entities e
LEFT JOIN locations l ON l.article_id = e.article_id AND l.start_char = e.start_char
WHERE e.entity_type IN ('PERSON', 'GPE', 'LOC')
GROUP BY ALL ORDER BY type, mentions DESC, name"""
    print("\nPeople and places (`newsflow sql`):" + query.replace("\n", "\n  "))
    cursor = con.execute(query)
    print(format_table([d[0] for d in cursor.description], cursor.fetchall()))


def cmd_demo(args: argparse.Namespace) -> int:
    """Embedded broker -> replay seeds -> ingest (drain) -> summary. The README's first command."""
    from newsflow.broker import EmbeddedBroker, ensure_topics
    from newsflow.flows.ingest import ingest
    from newsflow.replay import collect_files, events_from_file, produce

    output = Path(args.output)
    files = collect_files([Path(p) for p in args.paths])
    with EmbeddedBroker() as broker:
        print(f"embedded Kafka (Tansu) on {broker.bootstrap_servers}")
        settings = settings_from_env()
        kafka = replace(settings.kafka, bootstrap_servers=broker.bootstrap_servers)
        ensure_topics(broker.bootstrap_servers, {kafka.topic: args.partitions, kafka.dlq_topic: 1})
        events = [e for f in files for e in events_from_file(f)]
        produce(events, kafka, total=len(events))
        print(f"replayed {len(events)} events from {len(files)} files; ingesting (drain mode)…")
        # A fresh broker: its topic is a new log even when the folder holds an earlier demo's.
        summary = ingest(mode="drain", bootstrap_servers=broker.bootstrap_servers,
                         topic=kafka.topic, output_dir=str(output), new_epoch=True)
    print(f"\n{summary['records']} records in {summary['batches']} batches, {summary['seconds']} s")
    print_summary(output)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the scheduled drain and the streaming deployments against PREFECT_API_URL."""
    from prefect.settings import PREFECT_API_URL

    from newsflow.flows.deployments import serve_deployments

    if not PREFECT_API_URL.value():
        raise CliError(
            "PREFECT_API_URL is not set: start `prefect server start` and "
            "`export PREFECT_API_URL=http://127.0.0.1:4200/api` (deployments need a lasting API)."
        )
    _kafka_topics(_settings(args))
    print(f"serving newsflow-ingest/drain-scheduled (every {args.interval_minutes} min), "
          f"newsflow-ingest/stream (paused) and newsflow-maintain/maintain-daily against {PREFECT_API_URL.value()}")
    serve_deployments(args.interval_minutes, limit=args.limit)
    return 0


def cmd_maintain(args: argparse.Namespace) -> int:
    from newsflow.maintain import MIN_VACUUM_RETENTION_HOURS, maintain, retention_days_from_env

    if args.vacuum_retention_hours < MIN_VACUUM_RETENTION_HOURS:
        raise CliError(f"--vacuum-retention-hours must be at least {MIN_VACUUM_RETENTION_HOURS}: a running "
                       "ingest's files are unreferenced until its commit, and vacuum would delete them")
    try:
        retention = args.retention_days if args.retention_days is not None else retention_days_from_env()
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    reports = maintain(args.output, retention_days=retention, vacuum_retention_hours=args.vacuum_retention_hours)
    if not reports:
        raise CliError(f"{args.output}: no tables; run `newsflow ingest` (or `newsflow demo`) first")
    for report in reports:
        print(report.summary())
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from newsflow.lake import local_root
    from newsflow.report import build_report

    output = _output_folder(args)
    if args.since and args.until and args.since > args.until:
        raise CliError(f"--since {args.since} is after --until {args.until}")
    target = build_report(output, Path(args.html) if args.html else local_root(output) / "report.html",
                          since=args.since, until=args.until)
    print(f"report written to {target}")
    return 0


def _log_kafka_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    kafka_logger = logging.getLogger("kafka")
    kafka_logger.setLevel(logging.DEBUG)
    kafka_logger.addHandler(handler)
    kafka_logger.propagate = False


def cmd_sql(args: argparse.Namespace) -> int:
    """One query (or a script of several) over the landed tables, or a prompt without one."""
    import duckdb

    from newsflow.report import connect
    from newsflow.schemas import TABLES
    from newsflow.sqlshell import first_line, interactive, run_statements

    output = _output_folder(args)
    con = connect(output)
    if args.query is None:
        interactive(con, output, list(TABLES))
        return 0
    try:
        run_statements(con, args.query, print)
    except duckdb.Error as exc:
        from newsflow.sqlshell import safe_text

        raise CliError(f"SQL: {safe_text(first_line(exc))}") from None
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _env_help(text: str, env: str | None = None, default: object = None) -> str:
    """Help text that always names the option's default and, if one sets it, its variable."""
    parts = [text]
    if env:
        parts.append(f"env {env}")
    parts.append(f"default: {default}")
    return f"{parts[0]} ({'; '.join(parts[1:])})"


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    defaults = KafkaSettings()
    output_default = env.get("NEWSFLOW_OUTPUT", "output")
    parser = argparse.ArgumentParser(
        prog="newsflow", description=__doc__,
        epilog="Typical use: `newsflow broker` in one terminal, then `newsflow replay FILES`, `newsflow ingest`, "
               "`newsflow sql \"SELECT ...\"`, `newsflow report`. `newsflow demo` does all of it once.")
    parser.add_argument("--version", action="version", version=f"newsflow {__version__}")
    parser.add_argument("--kafka-debug", action="store_true",
                        help="log kafka-python at DEBUG to stderr, for connection problems; "
                             "passwords are redacted (default: off)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def kafka_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--bootstrap-servers", metavar="HOST:PORT[,...]", help=_env_help(
            "Kafka bootstrap servers", "KAFKA_BOOTSTRAP_SERVERS", defaults.bootstrap_servers))
        p.add_argument("--topic", help=_env_help("article topic", "NEWSFLOW_TOPIC", DEFAULT_TOPIC))

    def output_option(p: argparse.ArgumentParser, what: str) -> None:
        p.add_argument("--output", default=output_default, metavar="FOLDER",
                       help=_env_help(what, "NEWSFLOW_OUTPUT", "output"))

    p = sub.add_parser("replay", help="produce seed files to the topic as article events (creates the topic)")
    p.add_argument("paths", nargs="*", default=[str(SEEDS_DIR)], help="files or folders: .txt .html .html.gz "
                   ".json .jsonl (default: the seed articles shipped with newsflow)")
    kafka_options(p)
    p.add_argument("--rate", type=float, help=_env_help("events per second", default="as fast as possible"))
    p.add_argument("--source", help=_env_help("source name for events that have none", default="none"))
    p.add_argument("--partitions", type=int, default=3,
                   help=_env_help("partitions if the topic has to be created", default=3))
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default: shown)")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("ingest", help="consume the topic into validated tables (the Prefect flow)")
    kafka_options(p)
    p.add_argument("--group", help=_env_help("consumer group", "NEWSFLOW_GROUP", DEFAULT_GROUP))
    p.add_argument("--mode", choices=["drain", "stream"], default="drain", help=_env_help(
        "drain: stop when caught up (what a schedule runs); stream: run until Ctrl-C / SIGTERM", default="drain"))
    p.add_argument("--max-batches", type=int, help=_env_help("stop after this many micro-batches", default="no limit"))
    p.add_argument("--batch-records", type=int, help=_env_help(
        "records per micro-batch", "NEWSFLOW_BATCH_RECORDS", BatchLimits.max_records))
    output_option(p, "output folder")
    p.add_argument("--new-epoch", action="store_true",
                   help=_env_help("the topic was recreated (or the broker lost its data): land its new log beside "
                                  "the history", default="off"))
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("broker", help="run the embedded Kafka broker (Tansu, in memory) until Ctrl-C / SIGTERM")
    p.add_argument("--port", type=int, default=9092, help=_env_help("port on 127.0.0.1", default=9092))
    p.set_defaults(func=cmd_broker)

    p = sub.add_parser("demo", help="embedded broker + replay seeds + ingest + summary, in one go")
    p.add_argument("paths", nargs="*", default=[str(SEEDS_DIR)],
                   help="seed files or folders (default: the seed articles shipped with newsflow)")
    output_option(p, "output folder")
    p.add_argument("--partitions", type=int, default=3, help=_env_help("partitions of the demo topic", default=3))
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="serve the scheduled drain and stream deployments (needs PREFECT_API_URL)")
    interval = float(env.get("NEWSFLOW_DRAIN_INTERVAL_MIN", 5))
    p.add_argument("--interval-minutes", type=float, default=interval, help=_env_help(
        "minutes between scheduled drain runs", "NEWSFLOW_DRAIN_INTERVAL_MIN", 5))
    p.add_argument("--limit", type=int, help=_env_help("maximum concurrent flow runs", default="no limit"))
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("sql", help="query the tables with DuckDB: one query, or a prompt without one")
    p.add_argument("query", nargs="?", help="SQL over the views articles, entities, quotes, amounts, dates, "
                   "locations, quarantine, dead_letters (default: an interactive prompt; reads stdin if piped)")
    output_option(p, "output folder to query")
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("report", help="build an HTML report from the landed tables (DuckDB)")
    output_option(p, "output folder to report on")
    p.add_argument("--html", metavar="FILE", help=_env_help("where to write the report", default="<output>/report.html"))
    p.add_argument("--since", type=_date, metavar="YYYY-MM-DD",
                   help=_env_help("only articles dated on or after this day", default="no lower bound"))
    p.add_argument("--until", type=_date, metavar="YYYY-MM-DD",
                   help=_env_help("only articles dated on or before this day", default="no upper bound"))
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("maintain", help="compact closed days, checkpoint, vacuum, apply retention (safe beside ingest)")
    output_option(p, "lake root (folder or s3:// URI)")
    p.add_argument("--retention-days", type=int,
                   help=_env_help("delete rows whose ingest_date is older than this many days",
                                  "NEWSFLOW_RETENTION_DAYS", "keep all"))
    p.add_argument("--vacuum-retention-hours", type=int, default=168,
                   help=_env_help("remove unreferenced files older than this many hours (a week of time travel)",
                                  default=168))
    p.set_defaults(func=cmd_maintain)

    p = sub.add_parser("check", help="check that every landed offset landed once (exit 1 if one is doubled)")
    output_option(p, "output folder to check")
    p.set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    for key, value in ENV_DEFAULTS.items():
        os.environ.setdefault(key, value)
    args = build_parser().parse_args(argv)
    if args.command == "ingest" and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    if args.kafka_debug:
        _log_kafka_to_stderr()
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"newsflow: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
