"""The stages composed over one micro-batch, as plain functions: no Prefect, no Kafka."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from newsflow import PIPELINE_VERSION
from newsflow.deadletter import dead_letter_rows
from newsflow.events import ArticleEvent, Unparseable, decode_batch
from newsflow.schemas import CHILD_TABLES, to_table
from newsflow.sink import REPLACEMENTS, REPLACEMENTS_SCHEMA
from newsflow.source import Batch
from newsflow.tasks.clean import REDELIVERY, CleanArticle, clean_batch
from newsflow.tasks.dedup import DedupIndex
from newsflow.tasks.enrich import Enrichment, enrich_texts
from newsflow.tasks.extract import Extraction, extract_in_workers
from newsflow.tasks.nlp import MAX_ANALYSED_CHARS
from newsflow.tasks.workers import RecordFailure, map_in_workers

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from deltalake import DeltaTable

    from newsflow.tasks.validate import BatchValidator, TableResult


@dataclass
class Analysis:
    """Extraction and enrichment of the analysable articles, by position in the batch."""

    extractions: dict[int, Extraction] = field(default_factory=dict)
    enrichments: dict[int, Enrichment] = field(default_factory=dict)
    # Articles whose cleaning, extraction or enrichment failed: quarantined with the reason.
    failures: dict[int, RecordFailure] = field(default_factory=dict)


def _split(positions: list[int], values: list[Any]) -> tuple[dict[int, Any], dict[int, RecordFailure]]:
    """A map's values by position: results, and the records that failed."""
    results: dict[int, Any] = {}
    failures: dict[int, RecordFailure] = {}
    for position, value in zip(positions, values, strict=True):
        (failures if isinstance(value, RecordFailure) else results)[position] = value
    return results, failures


@dataclass
class BatchOutput:
    """Everything a batch lands: valid tables, quarantine, dead letters, and what was checked."""

    tables: dict[str, pa.Table]
    unparseable: list[Unparseable]
    validation: dict[str, TableResult] = field(default_factory=dict)


def decode_stage(batch: Batch) -> tuple[list[ArticleEvent], list[Unparseable]]:
    return decode_batch(batch.records)


def clean_stage(
    events: list[ArticleEvent], index: DedupIndex, max_body_chars: int, workers: int = 0
) -> list[CleanArticle]:
    return clean_batch(events, index, max_body_chars, workers)


def extract_stage(articles: list[CleanArticle], workers: int = 0) -> Analysis:
    """Parse the analysable articles and extract from each (spread over the worker processes)."""
    failures = {i: a.failure for i, a in enumerate(articles) if a.failure is not None}
    positions = []
    for i, article in enumerate(articles):
        if article.analysable and len(article.body or "") > MAX_ANALYSED_CHARS:
            failures[i] = RecordFailure("extract", "text_too_long", f"{len(article.body or ''):,} characters "
                                        f"after cleaning, over the NLP limit of {MAX_ANALYSED_CHARS:,}")
        elif article.analysable:
            positions.append(i)
    items = []
    for i in positions:
        published_at = articles[i].published_at
        items.append((articles[i].body or "", published_at.date() if published_at else None))
    extractions, failed = _split(positions, extract_in_workers(items, workers))
    return Analysis(extractions=extractions, failures=failures | failed)


def enrich_stage(articles: list[CleanArticle], analysis: Analysis, workers: int = 0) -> Analysis:
    """Geocoding, tone, themes and keywords of every analysed article."""
    positions = list(analysis.extractions)
    items = [(articles[i].body or "", analysis.extractions[i]) for i in positions]
    analysis.enrichments, failures = _split(positions, map_in_workers(enrich_texts, items, workers, "enrich"))
    analysis.failures |= failures
    return analysis


def _kafka(article: CleanArticle) -> dict[str, Any]:
    record = article.event.record
    return {"kafka_topic": record.topic, "kafka_partition": record.partition, "kafka_offset": record.offset}


def build_tables(
    articles: list[CleanArticle], analysis: Analysis, ingested_at: dt.datetime
) -> dict[str, pa.Table]:
    """Assemble the rows of every content table, each with its schema from newsflow.schemas."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in ("articles", *CHILD_TABLES)}
    for i, article in enumerate(articles):
        event, kafka = article.event, _kafka(article)
        enrichment = analysis.enrichments.get(i)
        rows["articles"].append({
            "article_id": event.id,
            "url": event.url,
            "source": event.source,
            "title": article.title,
            "author": article.author,
            "site_name": article.site_name,
            "published_at": article.published_at,
            "kafka_timestamp": event.record.table_timestamp_ms,
            "ingested_at": ingested_at,
            "content_type": event.content_type,
            "language": article.language,
            "language_score": article.language_score,
            "body": article.body,
            "original_body": article.original_body,
            "body_chars": article.body_chars,
            "word_count": article.word_count,
            "content_hash": article.content_hash,
            "simhash": article.simhash,
            "duplicate_of": article.duplicate_of,
            "duplicate_kind": article.duplicate_kind,
            **(enrichment.tone if enrichment else {}),
            "themes": enrichment.themes if enrichment else [],
            "keywords": enrichment.keywords if enrichment else [],
            **kafka,
            "pipeline_version": PIPELINE_VERSION,
        })
        extraction = analysis.extractions.get(i)
        if extraction is None:
            continue
        base = {"article_id": event.id, **kafka}
        for n, m in enumerate(extraction.entities):
            rows["entities"].append({**base, "mention_index": n, "text": m.text,
                                     "canonical_name": m.canonical, "entity_type": m.type,
                                     "start_char": m.start, "end_char": m.end})
        tones = enrichment.quote_tones if enrichment else []
        for n, q in enumerate(extraction.quotes):
            rows["quotes"].append({**base, "quote_index": n, **q,
                                   "tone": tones[n] if n < len(tones) else None})
        for n, a in enumerate(extraction.amounts):
            rows["amounts"].append({**base, "amount_index": n, **a})
        for n, d in enumerate(extraction.dates):
            rows["dates"].append({**base, "date_index": n, **d})
        for n, loc in enumerate(enrichment.locations if enrichment else []):
            rows["locations"].append({**base, "location_index": n, **loc})
    return {name: to_table(name, table_rows) for name, table_rows in rows.items()}


def _json_row(row: dict[str, Any]) -> str:
    def default(value: Any) -> str:
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return str(value)

    return json.dumps(row, default=default, ensure_ascii=False)


def _python_value(scalar: pa.Scalar) -> Any:
    """A cell as a Python value; a timestamp past datetime's range (a hostile Kafka timestamp in
    year 10000) as its integer instead of an error."""
    try:
        return scalar.as_py()
    except (OverflowError, ValueError):
        return getattr(scalar, "value", None)


def _row_at(table: pa.Table, position: int) -> dict[str, Any]:
    return {name: _python_value(table.column(name)[position]) for name in table.column_names}


def _quarantine_rows(
    name: str, table: pa.Table, failed: dict[int, list[str]], now: dt.datetime,
    failures: dict[int, RecordFailure] | None = None,
) -> list[dict]:
    """Quarantine rows for the failed positions of a table; a record whose processing failed
    (`failures`) is labelled `<stage>:<kind>` and its reason comes first."""
    failures = failures or {}
    if not failed and not failures:
        return []  # the common case; to_pylist of a whole table (bodies, raw HTML) is not free
    out = []
    for position in sorted(set(failed) | set(failures)):
        row = _row_at(table, position)
        expectations = sorted(set(failed.get(position, [])))
        failure = failures.get(position)
        labels = ([failure.label] if failure else []) + expectations
        reasons = ([failure.reason] if failure else []) + expectations
        out.append({
            "table_name": name,
            "article_id": row.get("article_id"),
            "failed_expectations": labels,
            "reason": "; ".join(reasons),
            "row_json": _json_row(row),
            "quarantined_at": now,
            "kafka_topic": row["kafka_topic"],
            "kafka_partition": row["kafka_partition"],
            "kafka_offset": row["kafka_offset"],
            "pipeline_version": PIPELINE_VERSION,
        })
    return out


def _drop_positions(table: pa.Table, positions: set[int]) -> pa.Table:
    if not positions:
        return table
    keep = pa.array([i not in positions for i in range(table.num_rows)])
    return table.filter(keep)


def _drop_articles(table: pa.Table, coordinates: set[tuple[str, int, int]]) -> pa.Table:
    """Remove child rows of quarantined articles: they stand or fall with their article."""
    if not coordinates or table.num_rows == 0:
        return table
    keys = zip(
        table["kafka_topic"].to_pylist(), table["kafka_partition"].to_pylist(),
        table["kafka_offset"].to_pylist(), strict=True,
    )
    return table.filter(pa.array([k not in coordinates for k in keys]))


def _route_redeliveries(articles: pa.Table, now: dt.datetime) -> tuple[pa.Table, list[dict]]:
    """Articles delivered again with the content already landed under their id change nothing:
    their offsets are accounted for in quarantine (reason 'redelivery'), not as second articles."""
    redelivered = pc.equal(articles["duplicate_kind"], REDELIVERY).fill_null(False)
    if not pc.any(redelivered).as_py():
        return articles, []
    rows = [{
        "table_name": "articles",
        "article_id": row["article_id"],
        "failed_expectations": [],
        "reason": f"{REDELIVERY}: article {row['article_id']} was landed before with the same content",
        "row_json": _json_row({k: row[k] for k in ("article_id", "content_hash", "kafka_topic", "kafka_partition",
                                                   "kafka_offset")}),
        "quarantined_at": now,
        "kafka_topic": row["kafka_topic"],
        "kafka_partition": row["kafka_partition"],
        "kafka_offset": row["kafka_offset"],
        "pipeline_version": PIPELINE_VERSION,
    } for row in articles.filter(redelivered).to_pylist()]
    return articles.filter(pc.invert(redelivered)), rows


def validate_and_route(
    tables: dict[str, pa.Table], validator: BatchValidator, failures: dict[int, RecordFailure] | None = None
) -> tuple[dict[str, pa.Table], dict[str, TableResult]]:
    """Validate each table with its suite; failing rows move to the quarantine table, and so do
    the articles (by row position) whose processing failed."""
    failures = failures or {}
    now = dt.datetime.now(dt.UTC)
    articles, quarantine = _route_redeliveries(tables["articles"], now)
    results: dict[str, TableResult] = {}
    result = validator.validate("articles", articles)
    results["articles"] = result
    quarantine += _quarantine_rows("articles", articles, result.failed_rows, now, failures)
    quarantined = {
        (q["kafka_topic"], q["kafka_partition"], q["kafka_offset"]) for q in quarantine
    }
    routed = {"articles": _drop_positions(articles, set(result.failed_rows) | set(failures))}
    for name in CHILD_TABLES:
        table = _drop_articles(tables[name], quarantined)
        result = validator.validate(name, table)
        results[name] = result
        quarantine += _quarantine_rows(name, table, result.failed_rows, now)
        routed[name] = _drop_positions(table, set(result.failed_rows))
    routed["quarantine"] = to_table("quarantine", quarantine)
    return routed, results


def replacements(articles: list[CleanArticle], landed_articles: pa.Table) -> pa.Table:
    """The batch's new versions of earlier articles that land as articles, with the version each
    replaces (the sink removes its rows from every table). A version read in this batch that did
    not land as an article (quarantined) is skipped over: its own predecessor is replaced."""
    landed = set(zip(landed_articles["kafka_topic"].to_pylist(), landed_articles["kafka_partition"].to_pylist(),
                     landed_articles["kafka_offset"].to_pylist(), strict=True))
    # By full position (timestamp included) and id: an earlier epoch's version of the article can
    # have the coordinates of another record of this batch.
    in_batch = {(_position(a), a.event.id): a for a in articles}
    rows = []
    for article in articles:
        record = article.event.record
        if article.replaces is None or (record.topic, record.partition, record.offset) not in landed:
            continue
        replaced: tuple[int, str, int, int] | None = article.replaces
        while (replaced is not None and (replaced, article.event.id) in in_batch
               and replaced[1:] not in landed):
            replaced = in_batch[(replaced, article.event.id)].replaces
        if replaced is None:
            continue
        timestamp, topic, partition, offset = replaced
        rows.append({"article_id": article.event.id, "kafka_topic": record.topic,
                     "kafka_partition": record.partition, "kafka_offset": record.offset,
                     "replaced_topic": topic, "replaced_partition": partition, "replaced_offset": offset,
                     "replaced_timestamp_ms": timestamp or None,
                     "replaced_in_batch": (replaced, article.event.id) in in_batch})
    return pa.Table.from_pylist(rows, schema=REPLACEMENTS_SCHEMA)


def _position(article: CleanArticle) -> tuple[int, str, int, int]:
    record = article.event.record
    return (record.timestamp_ms or 0, record.topic, record.partition, record.offset)


def validate_stage(
    articles: list[CleanArticle], analysis: Analysis, validator: BatchValidator
) -> tuple[dict[str, pa.Table], dict[str, pa.Table], dict[str, TableResult]]:
    """Build the tables and validate them: (tables as built, tables as routed, results). The
    routed tables also hold the batch's REPLACEMENTS (new versions of earlier articles)."""
    tables = build_tables(articles, analysis, dt.datetime.now(dt.UTC))
    routed, results = validate_and_route(tables, validator, analysis.failures)
    routed[REPLACEMENTS] = replacements(articles, routed["articles"])
    return tables, routed, results


def process_batch(
    batch: Batch,
    index: DedupIndex,
    validator: BatchValidator,
    *,
    max_body_chars: int = 2_000_000,
    workers: int = 0,
    stage_done: Callable[[str], None] | None = None,
) -> BatchOutput:
    """Run every stage on a batch; the Prefect flow runs the same stages as separate tasks.

    `stage_done(name)` is called after each stage (the benchmark's CPU budget measures there)."""
    done = stage_done or (lambda name: None)
    events, unparseable = decode_stage(batch)
    done("decode")
    articles = clean_stage(events, index, max_body_chars, workers)
    done("clean")
    analysis = extract_stage(articles, workers)
    done("extract")
    analysis = enrich_stage(articles, analysis, workers)
    done("enrich")
    _, routed, results = validate_stage(articles, analysis, validator)
    done("validate")
    routed["dead_letters"] = dead_letter_rows(unparseable)
    return BatchOutput(routed, unparseable, results)


def dedup_index_from(output_dir: Any, window_days: int | None = None, articles: DeltaTable | None = None) -> DedupIndex:
    """Rebuild the duplicate index from the fingerprints of the articles landed in the last
    `window_days` days (NEWSFLOW_DEDUP_WINDOW_DAYS, default 30): start-up reads a few columns of a
    recent window, file by file, into a compact index, however long the history. `articles`: the
    articles table if already open (the sink's), not to read its log again."""
    from newsflow.lake import dedup_batches, dedup_window_days

    days = dedup_window_days() if window_days is None else window_days

    def fingerprints() -> Iterator[pa.RecordBatch]:
        # Timestamps as int64 milliseconds: a hostile one (year 10000) has no datetime.
        for batch in dedup_batches(output_dir, days, articles=articles):
            column = batch.schema.get_field_index("kafka_timestamp")
            ts = pc.cast(pc.cast(batch.column(column), pa.timestamp("ms")), pa.int64())
            yield batch.set_column(column, "kafka_timestamp", ts)

    return DedupIndex.from_landed(fingerprints())
