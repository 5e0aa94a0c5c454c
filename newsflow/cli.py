"""The `newsflow` command: replay seeds, ingest, run the embedded broker, the demo, checks."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from newsflow import SEEDS_DIR
from newsflow.config import Settings, settings_from_env

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


def _check_kafka(settings: Settings) -> None:
    """Fail fast with advice when no bootstrap server accepts a connection (the client would
    otherwise retry for a long time)."""
    import socket

    for server in settings.kafka.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or "localhost", int(port or 9092)), timeout=3):
                return
        except (OSError, ValueError):
            continue
    raise CliError(
        f"cannot reach Kafka at {settings.kafka.bootstrap_servers}. Start the embedded broker "
        "with `newsflow broker`, start infra/docker-compose.yml, or set KAFKA_BOOTSTRAP_SERVERS."
    )


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
    _check_kafka(settings)
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
    _check_kafka(settings)
    # Imported only now: Prefect and the flow take seconds to import, a bad setting should not.
    from newsflow.flows.ingest import ingest
    from newsflow.prefect_api import prefect_api

    # Until the flow installs its own handlers (newsflow.supervision), a stop request ends the
    # start-up (main() made SIGTERM raise KeyboardInterrupt like SIGINT), with exit 0.
    try:
        with prefect_api():  # a temporary API that a Ctrl-C to the process group does not kill
            ingest(mode=args.mode, max_batches=args.max_batches,
                   bootstrap_servers=settings.kafka.bootstrap_servers, topic=settings.kafka.topic,
                   group_id=settings.kafka.group_id, output_dir=str(settings.output_dir),
                   batch_records=args.batch_records)
    except KeyboardInterrupt:
        print("newsflow: stopped while starting; nothing was read", file=sys.stderr)
    return 0


def cmd_broker(args: argparse.Namespace) -> int:
    from newsflow.broker import EmbeddedBroker

    with EmbeddedBroker(port=args.port) as broker:
        print(f"embedded Kafka (Tansu) listening on {broker.bootstrap_servers}; Ctrl-C stops it")
        print(f"  export KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap_servers}")
        try:
            while broker.process and broker.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from newsflow.accounting import account

    result = account(Path(args.output))
    doubled = result.doubled()
    print(f"articles: {sum(result.articles.values())}  quarantined articles: "
          f"{sum(result.quarantined.values())}  dead letters: {sum(result.dead_letters.values())}")
    print(f"offsets landed more than once: {len(doubled)}")
    for offset in doubled[:20]:
        print(f"  {offset}")
    return 1 if doubled else 0


def print_summary(output_dir: Path) -> None:
    """Row counts per table, where they are, and the seed article's people and places."""
    from newsflow.report import connect
    from newsflow.schemas import TABLES

    print(f"\nLanded under {output_dir.resolve()}:")
    con = connect(output_dir)  # one DuckDB view per table, empty where nothing landed
    for name in TABLES:
        count = con.execute(f"SELECT count(*) FROM {name}").fetchone()
        rows = count[0] if count else 0
        print(f"  {name:<13} {rows:>6} rows" + (f"  {output_dir / name}/" if rows else ""))
    entities = f"{output_dir}/entities/*/*.parquet"
    locations = f"{output_dir}/locations/*/*.parquet"
    if not list((output_dir / "entities").glob("*/*.parquet")):
        return
    query = f"""
SELECT e.entity_type AS type, e.canonical_name AS name, count(*) AS mentions,
       any_value(l.country_code) AS country, round(any_value(l.latitude), 2) AS lat,
       round(any_value(l.longitude), 2) AS lon
FROM read_parquet('{entities}', hive_partitioning=true) e
LEFT JOIN read_parquet('{locations}', hive_partitioning=true) l
  ON l.article_id = e.article_id AND l.start_char = e.start_char
WHERE e.entity_type IN ('PERSON', 'GPE', 'LOC')
GROUP BY ALL ORDER BY type, mentions DESC, name"""
    print("\nPeople and places (DuckDB):" + query.replace("\n", "\n  "))
    print(con.execute(query).fetch_df().to_string(index=False))


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
        summary = ingest(mode="drain", bootstrap_servers=broker.bootstrap_servers,
                         topic=kafka.topic, output_dir=str(output))
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
    _check_kafka(_settings(args))
    print(f"serving newsflow-ingest/drain-scheduled (every {args.interval_minutes} min) and "
          f"newsflow-ingest/stream (paused) against {PREFECT_API_URL.value()}")
    serve_deployments(args.interval_minutes, limit=args.limit)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from newsflow.report import build_report

    output = Path(args.output)
    if not output.exists():
        raise CliError(f"{output}: no such folder; run `newsflow ingest` (or `make demo`) first")
    target = build_report(output, Path(args.html) if args.html else output / "report.html")
    print(f"report written to {target}")
    return 0


def _log_kafka_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    kafka_logger = logging.getLogger("kafka")
    kafka_logger.setLevel(logging.DEBUG)
    kafka_logger.addHandler(handler)
    kafka_logger.propagate = False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsflow", description=__doc__)
    parser.add_argument("--kafka-debug", action="store_true",
                        help="log kafka-python at DEBUG to stderr, for connection problems (passwords are redacted)")
    sub = parser.add_subparsers(dest="command", required=True)

    def kafka_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--bootstrap-servers", help="Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS)")
        p.add_argument("--topic", help="article topic (env NEWSFLOW_TOPIC, default news.articles)")

    p = sub.add_parser("replay", help="produce seed files as article events")
    p.add_argument("paths", nargs="+", help="files or folders: .txt .html .html.gz .json .jsonl")
    kafka_options(p)
    p.add_argument("--rate", type=float, help="events per second (default: as fast as possible)")
    p.add_argument("--source", help="source name for events that have none")
    p.add_argument("--partitions", type=int, default=3, help="partitions if the topic is created")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("ingest", help="run the ingest flow")
    kafka_options(p)
    p.add_argument("--group", help="consumer group (env NEWSFLOW_GROUP)")
    p.add_argument("--mode", choices=["drain", "stream"], default="drain",
                   help="drain: stop when caught up (scheduled runs); stream: run until stopped")
    p.add_argument("--max-batches", type=int)
    p.add_argument("--batch-records", type=int, help="records per micro-batch (default 200)")
    p.add_argument("--output", help="output folder (env NEWSFLOW_OUTPUT, default ./output)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("broker", help="run the embedded Kafka broker (Tansu) in the foreground")
    p.add_argument("--port", type=int, default=9092)
    p.set_defaults(func=cmd_broker)

    p = sub.add_parser("demo", help="embedded broker + replay seeds + ingest + summary")
    p.add_argument("paths", nargs="*", default=[str(SEEDS_DIR)],
                   help="seed files or folders (default: the seed articles shipped with newsflow)")
    p.add_argument("--output", default="output", help="output folder (default ./output)")
    p.add_argument("--partitions", type=int, default=3)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="serve the scheduled drain and stream deployments (needs a Prefect server)")
    p.add_argument("--interval-minutes", type=float, default=float(os.environ.get("NEWSFLOW_DRAIN_INTERVAL_MIN", 5)))
    p.add_argument("--limit", type=int, help="maximum concurrent flow runs")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("report", help="build an HTML report from the landed Parquet (DuckDB)")
    p.add_argument("--output", default=os.environ.get("NEWSFLOW_OUTPUT", "output"), help="Parquet root")
    p.add_argument("--html", help="where to write the report (default <output>/report.html)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("check", help="check that no offset landed twice")
    p.add_argument("--output", default=os.environ.get("NEWSFLOW_OUTPUT", "output"))
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
