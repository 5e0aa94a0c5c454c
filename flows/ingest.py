"""Ingest flow: Kafka micro-batches -> clean -> extract -> enrich -> GX -> Delta Lake -> commit.

One Prefect task per stage per micro-batch (never per article). Offsets are committed only after
every table's Delta commit of the batch, so a crash anywhere before the commit makes the batch run
again; each table's log records the offsets it holds, and only what is missing is written.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import pyarrow as pa
from prefect import Task, flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.states import Completed
from prefect.utilities.annotations import quote

from newsflow.config import BatchLimits, Settings, settings_from_env
from newsflow.deadletter import DeadLetterPublisher, dead_letter_rows
from newsflow.events import Unparseable
from newsflow.flows.monitoring import RunMonitor, prune_data_docs, run_docs_dir
from newsflow.lake import local_root
from newsflow.pipeline import (
    Analysis,
    clean_stage,
    decode_stage,
    dedup_index_from,
    enrich_stage,
    extract_stage,
    validate_stage,
)
from newsflow.positions import LakePositions, prepare_sink, topic_id_or_none, unconfirmed_gaps
from newsflow.preflight import require_topic
from newsflow.sink import REPLACEMENTS, DeltaSink, Landed
from newsflow.source import Batch, KafkaSource, Source
from newsflow.supervision import RunGuard, StopRequested
from newsflow.tasks.clean import CleanArticle
from newsflow.tasks.dedup import DedupIndex
from newsflow.tasks.validate import TableResult, build_data_docs, default_validator
from newsflow.tasks.workers import set_bounds, start_workers

# Prefect must not hash or persist batches, consumers or models: every task opts out of caching
# (cache_policy=NO_CACHE) and of result persistence. Batch-sized arguments are passed through
# opaque() (Prefect's quote): otherwise Prefect walks every element looking for upstream futures, which
# measured 0.5-0.8 s per 50-article batch for the enrich and validate tasks alone.
DOCS_SAMPLE_ROWS = 2000
# Drain mode gives up (committing nothing it has not landed) when no partition is assigned for
# this long, or when nothing at all arrives for this long while partitions are assigned.
NO_ASSIGNMENT_LIMIT_S = 60.0
DRAIN_IDLE_LIMIT_S = 300.0
BRIEF_POLL_S = 0.2
# How often the batch loop looks at a running stage and at the batch under validation.
STAGE_WAIT_S = 0.02


def poll_batch(source: Source, limits: BatchLimits) -> Batch:
    """Read one micro-batch, bounded by record count, bytes and time.

    Not a Prefect task: an idle stream polls every few seconds, and a task run per empty poll
    filled the Prefect database (about 720 an hour) with runs that did nothing. A batch's task
    runs start with clean, once it has records."""
    return source.poll_batch(limits)


@task(name="clean", cache_policy=NO_CACHE, persist_result=False)
def clean(
    batch: Batch, index: DedupIndex, max_body_chars: int, workers: int
) -> tuple[list[CleanArticle], list[Unparseable]]:
    """Records decoded into article events (the unparseable ones set aside as dead letters), then
    main text, boilerplate, normalisation, language, duplicates."""
    events, unparseable = decode_stage(batch)
    return clean_stage(events, index, max_body_chars, workers), unparseable


@task(name="extract", cache_policy=NO_CACHE, persist_result=False)
def extract(articles: list[CleanArticle], workers: int) -> Analysis:
    """Entities, quotes, amounts and dates of the analysable articles."""
    return extract_stage(articles, workers)


@task(name="enrich", cache_policy=NO_CACHE, persist_result=False)
def enrich(articles: list[CleanArticle], analysis: Analysis, workers: int) -> Analysis:
    """Geocoding, tone, themes and keywords."""
    return enrich_stage(articles, analysis, workers)


@task(name="validate", cache_policy=NO_CACHE, persist_result=False)
def validate(
    articles: list[CleanArticle], analysis: Analysis
) -> tuple[dict[str, pa.Table], dict[str, pa.Table], dict[str, TableResult]]:
    """Build the tables and run each GX suite; failing rows move to quarantine.

    Returns the tables as built (for Data Docs), as routed, and the validation results."""
    return validate_stage(articles, analysis, default_validator())


@task(name="data-docs", cache_policy=NO_CACHE, persist_result=False)
def data_docs(samples: dict[str, pa.Table], output_dir: Path, run_name: str) -> Path:
    """Build GX Data Docs for this run's rows in the run's own folder; older runs' are pruned."""
    index = build_data_docs(samples, run_docs_dir(output_dir, run_name), run_name)
    prune_data_docs(output_dir)
    return index


@task(name="land", cache_policy=NO_CACHE, persist_result=False, retries=3, retry_delay_seconds=[1, 5, 15])
def land(
    sink: DeltaSink,
    tables: dict[str, pa.Table],
    unparseable: list[Unparseable],
    batch: Batch,
    publisher: DeadLetterPublisher | None,
    source: Source,
    batch_number: int,
) -> list[Landed] | None:
    """Send unparseable records to the dead-letter topic, commit every table, then the batch's
    Kafka offsets (only once its tables are committed). Transient errors retry with backoff, and a
    retry writes only what the tables' logs do not hold yet. None if the offsets were refused
    because the group rebalanced: whoever owns the partitions reads the batch again, and the
    tables keep it from landing twice."""
    if unparseable and publisher is not None:
        publisher.publish(unparseable)
    landed = sink.land({**tables, "dead_letters": dead_letter_rows(unparseable)}, batch)
    _fault_point("KILL_AFTER_LAND", batch_number)
    return landed if source.commit(batch) else None


@dataclass
class RunTotals:
    """What a flow run did, for the log, the return value and the UI artifacts."""

    batches: int = 0
    records: int = 0
    rows: Counter[str] = field(default_factory=Counter)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    dead_letter_errors: Counter[str] = field(default_factory=Counter)
    expectations_evaluated: int = 0
    table_failures: list[str] = field(default_factory=list)
    # Up to DOCS_SAMPLE_ROWS rows per table as built (before routing), for this run's Data Docs.
    docs_sample: dict[str, pa.Table] = field(default_factory=dict)
    data_docs: Path | None = None
    redone_batches: int = 0
    seconds: float = 0.0
    # From the first non-empty poll to the last commit: excludes the group join and the final
    # idle poll that proves a drained topic is empty.
    active_seconds: float = 0.0

    def add(self, batch: Batch, tables: dict[str, pa.Table], results: dict[str, TableResult],
            unparseable: list[Unparseable], built: dict[str, pa.Table]) -> None:
        self.batches += 1
        validator = default_validator()
        for name, full in built.items():
            # The suite's columns only: a sample of raw HTML bodies would hold hundreds of MB.
            table = validator.suite_columns(name, full)
            kept = self.docs_sample.get(name)
            if kept is None or kept.num_rows < DOCS_SAMPLE_ROWS:
                merged = table if kept is None else pa.concat_tables([kept, table])
                self.docs_sample[name] = merged.slice(0, DOCS_SAMPLE_ROWS)
        self.records += len(batch)
        for name, table in tables.items():
            if name != REPLACEMENTS:  # the sink's instructions, not a table
                self.rows[name] += table.num_rows
        self.rows["dead_letters"] += len(unparseable)
        for row in tables["quarantine"].select(["table_name", "reason"]).to_pylist():
            self.quarantine_reasons[f"{row['table_name']}: {row['reason']}"] += 1
        for item in unparseable:
            self.dead_letter_errors[item.kind] += 1
        for result in results.values():
            self.expectations_evaluated += result.evaluated
            self.table_failures += [f"{result.table}: {f}" for f in result.table_failures]

    def as_dict(self) -> dict[str, Any]:
        return {
            "batches": self.batches,
            "redone_batches": self.redone_batches,
            "records": self.records,
            "rows": dict(self.rows),
            "quarantine_reasons": dict(self.quarantine_reasons),
            "dead_letter_errors": dict(self.dead_letter_errors),
            "seconds": round(self.seconds, 2),
            "active_seconds": round(self.active_seconds, 2),
            "records_per_second": round(self.records / self.active_seconds, 2) if self.active_seconds else None,
        }


T = TypeVar("T")


def opaque(value: T) -> T:
    """quote(value), typed as the value: Prefect passes it through without walking its elements."""
    return cast(T, quote(value))


FAULT_SIGNALS = {
    "STOP_BEFORE_LAND": signal.SIGSTOP,  # a consumer paused past its session (tests/integration/test_zombie.py)
    "STOP_AFTER_FENCE": signal.SIGSTOP,  # ... paused while it holds the partition locks
    "KILL_AFTER_LAND": signal.SIGKILL,  # a crash between the rename and the commit
}


def _fault_point(name: str, batch_number: int) -> None:
    """Fault injection for the fault tests: NEWSFLOW_FAULT_<NAME>=N sends this process the fault's
    signal at that point of batch N's landing."""
    target = os.environ.get(f"NEWSFLOW_FAULT_{name}")
    if target and int(target) == batch_number and name not in _faults_fired:
        _faults_fired.add(name)  # once: batch numbers repeat when a batch is not landed
        os.kill(os.getpid(), FAULT_SIGNALS[name])


_faults_fired: set[str] = set()


class _Validating:
    """A batch whose stages are done and whose GX validation runs in a task-runner thread, so the
    next batch's cleaning and NLP (in the worker processes) overlap it."""

    def __init__(self, batch: Batch, unparseable: list[Unparseable], articles: list[CleanArticle],
                 analysis: Analysis):
        self.batch, self.unparseable = batch, unparseable
        self._done = threading.Event()
        self.validation = validate.submit(opaque(articles), opaque(analysis))
        self.validation.add_done_callback(lambda _: self._done.set())

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float) -> bool:
        """done(), after waiting up to `timeout` seconds for it."""
        return self._done.wait(timeout)


class UnlandedWork(RuntimeError):
    """A drain run that read batches it could not land must not end as a success."""


def unlanded_work_error(totals: RunTotals) -> None:
    """Raise when a drain gives up (no partitions, or no progress) after reading batches that it
    did not land (the group took their partitions away): nothing is lost (their offsets were not
    committed), but the run has not done its work and must not report success."""
    if totals.redone_batches:
        raise UnlandedWork(
            f"{totals.redone_batches} batch(es) read by this run were not landed (the consumer group "
            "took their partitions away) and the run is giving up; their offsets are not "
            "committed, so the next run reads them again"
        )


def run_ingest(
    settings: Settings,
    source: Source,
    *,
    mode: Literal["drain", "stream"] = "drain",
    max_batches: int | None = None,
    publisher: DeadLetterPublisher | None = None,
    monitor: RunMonitor | None = None,
    sink: DeltaSink | None = None,
) -> RunTotals:
    """The batch loop, shared by the flow and by tests that bring their own source.

    Batch N is validated in a thread while batch N+1 is polled, cleaned and analysed; batch N is
    then landed and committed before batch N+1 is validated, so commits stay in order and each
    follows its own tables' commits. A batch is landed only if this consumer still owns its
    partitions: the group coordinator confirms the membership (source.still_owns) before the
    tables are committed, so a consumer that was paused past its session usually lands nothing,
    and when it lands anyway the tables' logs keep it from landing anything twice. The consumer
    is only ever used from this thread."""
    logger = get_run_logger()
    guard = RunGuard(source)  # from here on, SIGINT/SIGTERM ask for a clean stop
    guard.install()
    monitor = monitor or RunMonitor(settings, source, mode)
    if sink is None:
        sink = prepare_sink(settings.output_dir, settings.kafka.group_id, settings.kafka.topic)
    positions = LakePositions(sink)
    index = dedup_index_from(settings.output_dir, articles=sink.table("articles"))  # its log is read once
    set_bounds(settings.bounds)
    start_workers(settings.workers)
    default_validator()  # import GX and load suites before the first batch, not inside it
    # What is loaded by now lives as long as the process: exempt it from garbage collection, so
    # the full collection after each batch (below) only walks what the batches left behind.
    gc.collect()
    gc.freeze()
    totals = RunTotals()
    started = time.monotonic()
    idle_since = time.monotonic()
    first_records: float | None = None
    group_settle_s = 2 * settings.kafka.session_timeout_ms / 1000 + settings.limits.max_wait_s
    validating: _Validating | None = None

    def land_and_commit() -> None:
        """Land and commit the batch under validation, unless the group rebalanced since it was
        read (its records are then read again from the committed offsets, here or elsewhere)."""
        nonlocal validating, idle_since
        item, validating = validating, None
        if item is None:
            return
        built, tables, results = item.validation.result()
        number = totals.batches + 1
        if not source.is_current(item.batch):
            totals.redone_batches += 1
            logger.warning("batch %d not landed: the group rebalanced after it was read", number)
            return
        if not lands_without_gap(item.batch, number):
            return
        _fault_point("STOP_BEFORE_LAND", number)
        # No lock: a consumer paused right here past its session (a zombie) lands nothing twice,
        # because each table's commit carries its partitions' offsets as Delta app transactions
        # and delta-rs refuses a commit racing another that set the same ones (newsflow/sink.py).
        if not source.still_owns(item.batch):
            totals.redone_batches += 1
            logger.warning("batch %d not landed: its partitions were given to another consumer "
                           "while this one was not polling", number)
            return
        _fault_point("STOP_AFTER_FENCE", number)
        landed = land(sink, opaque(tables), opaque(item.unparseable), opaque(item.batch), publisher, source, number)
        if landed is None:
            totals.redone_batches += 1
            logger.warning("batch %d landed but not committed (rebalance): its records will be read again, "
                           "and the rows the tables already hold will not be written twice", number)
            return
        positions.landed(item.batch)
        totals.add(item.batch, tables, results, item.unparseable, built)
        monitor.batch_landed(item.batch, tables, results, item.unparseable)
        # Batches leave reference cycles (GX results, Prefect states) that can hold whole tables;
        # left to the collector's own schedule they piled up with the backlog (peak RSS grew by
        # about 250 MB per doubling), so they are collected once per batch.
        gc.collect()
        idle_since = time.monotonic()
        totals.active_seconds = idle_since - (first_records or idle_since)
        first, last = item.batch.records[0], item.batch.records[-1]
        logger.info(
            "batch %d: %d records (%s/%d@%d..%s/%d@%d) -> %d articles, %d quarantined, "
            "%d dead letters; %d rows in %d table commits",
            totals.batches, len(item.batch), first.topic, first.partition, first.offset,
            last.topic, last.partition, last.offset, tables["articles"].num_rows,
            tables["quarantine"].num_rows, len(item.unparseable), sum(x.rows for x in landed),
            sum(x.version is not None for x in landed),
        )

    def lands_without_gap(batch: Batch, number: int) -> bool:
        """False (and the batch's partitions read again) if the batch starts past where the lake
        stands and the broker has not shown that the records in between are gone."""
        gaps = positions.gaps(batch)
        if not gaps:
            return True
        first_offsets = batch.first_offsets()
        unconfirmed = unconfirmed_gaps(batch, gaps)
        if unconfirmed:
            totals.redone_batches += 1
            for (topic, partition), expected in sorted(unconfirmed.items()):
                logger.warning("batch %d not landed: %s partition %d was read from offset %s, but the "
                               "lake holds it only up to %d; reading it again from there", number, topic,
                               partition, batch.read_from.get((topic, partition)), expected - 1)
            source.rewind({**first_offsets, **unconfirmed})
            return False
        for (topic, partition), expected in sorted(gaps.items()):
            first = first_offsets[(topic, partition)]
            logger.warning("%s partition %d: offsets %d..%d are no longer in the topic (retention, compaction "
                           "or transaction markers); landing from %d on", topic, partition, expected, first - 1, first)
            monitor.offsets_gone(topic, partition, expected, first - 1)
        return True

    def land_if_validated() -> None:
        if validating is not None and validating.done():
            land_and_commit()

    def run_stage(stage: Task[..., T], *args: Any) -> T:
        """Run a stage's task on the task runner; meanwhile this thread lands the batch under
        validation as soon as it is validated (a stream's rows then do not wait for the next
        event's parse) and keeps the consumer alive, which only this thread uses. With workers=0
        the stage runs here: its CPU budget is a signal timer, which only the main thread gets."""
        if settings.workers <= 0:
            result = stage(*args)
            land_if_validated()
            return result
        finished = threading.Event()
        future = stage.submit(*args)
        future.add_done_callback(lambda _: finished.set())
        try:
            while not finished.wait(STAGE_WAIT_S):
                guard.tick()
                land_if_validated()
        except StopRequested:
            future.wait()  # the stage sees the same stop at its next tick and abandons its workers
            raise
        return future.result()

    while not guard.stop_requested and (max_batches is None or totals.batches + (validating is not None) < max_batches):
        # With a batch under validation, look for records only briefly, over and over, and land
        # that batch as soon as it is validated if none came (records that come start the next
        # batch, during whose stages it lands: run_stage).
        limits = settings.limits if validating is None else replace(
            settings.limits, max_wait_s=min(settings.limits.max_wait_s, BRIEF_POLL_S), first_record_wait_s=STAGE_WAIT_S)
        batch = poll_batch(source, limits)
        if not batch.records:
            if validating is not None:
                if validating.wait(STAGE_WAIT_S):
                    land_and_commit()
                continue
            idle = time.monotonic() - idle_since
            if mode == "drain" and source.caught_up():
                # Other members may hold partitions, or a dead one may, until the group evicts it
                # (one session timeout) and hands its partitions to us: wait that long first.
                if source.owns_all_partitions() or idle > group_settle_s:
                    break
                continue
            if mode == "drain" and not source.has_assignment() and idle > NO_ASSIGNMENT_LIMIT_S:
                unlanded_work_error(totals)
                logger.warning("no partitions assigned after %.0f s (does the topic exist?); stopping", idle)
                break
            if mode == "drain" and idle > DRAIN_IDLE_LIMIT_S:
                unlanded_work_error(totals)
                logger.warning("no progress for %.0f s (broker unreachable?); stopping, nothing lost", idle)
                break
            continue
        # Active time starts with the first records in hand: the consumer-group join before them
        # is start-up, not throughput.
        first_records = first_records if first_records is not None else time.monotonic()
        try:
            with guard.working():  # keeps the group membership alive; a stop abandons the batch
                articles, unparseable = run_stage(clean, opaque(batch), index, settings.max_body_chars, settings.workers)
                analysis = run_stage(extract, opaque(articles), settings.workers)
                analysis = run_stage(enrich, opaque(articles), opaque(analysis), settings.workers)
        except StopRequested as stop:
            logger.warning("%s: the batch in hand (%d records) is not landed; it is read again by the "
                           "next run", stop, len(batch))
            break
        land_and_commit()
        validating = _Validating(batch, unparseable, articles, analysis)
    land_and_commit()
    if guard.stop_requested:
        logger.warning("stopped by %s after landing what was validated", guard.signal_name)
    totals.seconds = time.monotonic() - started
    if totals.docs_sample and not guard.stop_requested:  # a stop must end within seconds: no docs
        run_name = flow_run.get_name() or "run"
        try:
            totals.data_docs = data_docs(opaque(totals.docs_sample), local_root(settings.output_dir), run_name)
        except Exception:  # docs are a report on data already landed and committed: never fail the run
            logger.exception("GX Data Docs could not be built")
    return totals


@flow(name="newsflow-ingest", log_prints=True)
def ingest(
    mode: Literal["drain", "stream"] = "drain",
    max_batches: int | None = None,
    bootstrap_servers: str | None = None,
    topic: str | None = None,
    group_id: str | None = None,
    output_dir: str | None = None,
    batch_records: int | None = None,
    new_epoch: bool = False,
) -> dict[str, Any]:
    """Consume article events in micro-batches and land them in validated Delta tables; drain or
    stream. new_epoch: the topic was recreated (or the broker lost its data) and its new log is to
    be landed beside the history (see newsflow/positions.py)."""
    settings = settings_from_env()
    kafka = settings.kafka
    kafka = replace(kafka, bootstrap_servers=bootstrap_servers) if bootstrap_servers else kafka
    kafka = replace(kafka, topic=topic) if topic else kafka
    kafka = replace(kafka, group_id=group_id) if group_id else kafka
    settings = settings.with_overrides(kafka=kafka)
    if output_dir:
        settings = settings.with_overrides(output_dir=Path(output_dir))
    if batch_records:
        settings = settings.with_overrides(limits=BatchLimits(
            batch_records, settings.limits.max_bytes, settings.limits.max_wait_s))
    require_topic(settings.kafka)  # a missing topic fails the run at once, with the reason
    group = settings.kafka.group_id
    sink = prepare_sink(settings.output_dir, group, settings.kafka.topic, topic_id_or_none(settings.kafka),
                        new_epoch=new_epoch)
    # A partition without a committed offset (a new group, offsets expired) resumes where the
    # lake says it stands, not at the topic's start or end.
    source = KafkaSource(settings.kafka, resume_at=lambda topic, partition: sink.next_offsets(
        [(topic, partition)]).get((topic, partition)))
    publisher = DeadLetterPublisher(settings.kafka)
    monitor = RunMonitor(settings, source, mode)
    try:
        totals = run_ingest(settings, source, mode=mode, max_batches=max_batches, publisher=publisher,
                            monitor=monitor, sink=sink)
        message = monitor.run_finished(totals)  # reads the lag, so before the consumer closes
    finally:
        source.close()
        publisher.close()
    summary = totals.as_dict()
    print(f"ingest finished: {message}; {summary}")
    # The run's state carries the summary, so the UI's run list tells a clean run from one that
    # quarantined or dead-lettered records; callers still get the summary dict as the result.
    return cast(dict[str, Any], Completed(message=message, data=summary))


if __name__ == "__main__":
    ingest()
