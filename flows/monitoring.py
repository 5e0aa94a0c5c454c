"""What a flow run tells Prefect about itself: state message, events, consumer lag, live artifacts.

The batch loop calls three small hooks (run_started, batch_landed, run_finished); everything
Prefect-specific about monitoring lives here, so the loop stays about landing and committing.

- **Events** (for Automations and notifications): per landed batch, `newsflow.records.quarantined`
  and `newsflow.records.dead-lettered` when it had any, with counts and reasons as payload, and
  `newsflow.consumer.lag` with the records behind per partition. The resource is the topic
  (`newsflow.topic.<topic>`); Prefect relates the events to the flow run.
- **Artifacts**: a progress artifact (share of the backlog landed) and the counts and lag tables are
  updated every ARTIFACT_EVERY_BATCHES landed batches and at the end; the validation report (with
  the GX results in its own markdown and the run's Data Docs path as text) at the end.
- **State message**: "124 records: 113 articles, 10 quarantined, 1 dead letter".

Event-supplied text (reasons carry exception messages and field values) is escaped for markdown
and HTML before it reaches an artifact, and cut to a bounded length in event payloads.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import pyarrow as pa

from newsflow.config import _env_number
from newsflow.sink import REPLACEMENTS

if TYPE_CHECKING:
    from newsflow.config import Settings
    from newsflow.events import Unparseable
    from newsflow.flows.ingest import RunTotals
    from newsflow.source import Batch
    from newsflow.tasks.validate import TableResult

ARTIFACT_EVERY_BATCHES = 5
DATA_DOCS_KEEP = 10


def artifact_every_batches() -> int:
    return max(1, _env_number("NEWSFLOW_ARTIFACT_EVERY_BATCHES", ARTIFACT_EVERY_BATCHES, int))


def data_docs_keep() -> int:
    return max(1, _env_number("NEWSFLOW_DATA_DOCS_KEEP", DATA_DOCS_KEEP, int))
EVENT_REASONS = 20  # reasons per event payload, most frequent first
EVENT_TEXT_CHARS = 300
QUARANTINED = "newsflow.records.quarantined"
DEAD_LETTERED = "newsflow.records.dead-lettered"
LAG = "newsflow.consumer.lag"
GONE = "newsflow.records.gone"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_text(value: Any, limit: int = 200) -> str:
    """Event-supplied text as inert markdown: one line, HTML characters as entities, markdown
    punctuation backslash-escaped, so the UI shows it and never renders or runs it."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def md_code(value: Any) -> str:
    """Text for a markdown code span: shown verbatim by the renderer, so only backticks and line
    breaks (which would end the span) are taken out."""
    return "`" + " ".join(str(value).replace("`", "'").split()) + "`"


def _short(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= EVENT_TEXT_CHARS else text[: EVENT_TEXT_CHARS - 1] + "…"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def run_docs_dir(output_dir: Path, run_name: str, now: dt.datetime | None = None) -> Path:
    """This run's own Data Docs folder: <output>/data_docs/<UTC time>-<run name> (sorts by time)."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", run_name).strip("-.") or "run"
    return output_dir / "data_docs" / f"{stamp}-{safe}"


def prune_data_docs(output_dir: Path, keep: int | None = None) -> list[Path]:
    """Remove all but the newest `keep` (NEWSFLOW_DATA_DOCS_KEEP) runs' Data Docs folders;
    returns what was removed."""
    keep = data_docs_keep() if keep is None else keep
    root = output_dir / "data_docs"
    if not root.is_dir():
        return []
    runs = sorted((p for p in root.iterdir() if p.is_dir() and re.match(r"^\d{8}T\d{6}Z-", p.name)),
                  key=lambda p: p.name)
    removed = runs[: max(0, len(runs) - keep)]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def state_message(records: int, articles: int, quarantined: int, dead_letters: int,
                  child_rows_quarantined: int = 0, redone_batches: int = 0) -> str:
    """'124 records: 113 articles, 10 quarantined, 1 dead letter' (+ what else a user should know)."""
    message = (f"{_plural(records, 'record')}: {_plural(articles, 'article')}, {quarantined} quarantined, "
               f"{_plural(dead_letters, 'dead letter')}")
    extras = []
    if child_rows_quarantined:
        extras.append(f"{_plural(child_rows_quarantined, 'extracted row')} quarantined")
    if redone_batches:
        extras.append(f"{_plural(redone_batches, 'batch')} left to be read again after a rebalance"
                      .replace("batchs", "batches"))
    return message + (f" ({'; '.join(extras)})" if extras else "")


@dataclass
class ValidationTally:
    """GX results summed over a run: per table, expectations evaluated and unexpected rows."""

    evaluated: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[tuple[str, str]] = field(default_factory=Counter)
    failed_batches: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, results: dict[str, TableResult]) -> None:
        for table, result in results.items():
            self.evaluated[table] += result.evaluated
            self.rows[table] += result.rows
            for item in result.results:
                if not item.get("success", True):
                    key = (table, str(item.get("expectation")))
                    self.failed_batches[key] += 1
                    self.unexpected[key] += int(item.get("unexpected_count") or 0)

    def markdown(self) -> str:
        if not self.evaluated:
            return "No rows validated."
        lines = ["| table | rows validated | expectation checks | failed expectations |", "|---|---|---|---|"]
        for table in sorted(self.evaluated):
            failed = sum(1 for (t, _) in self.failed_batches if t == table)
            lines.append(f"| {md_text(table)} | {self.rows[table]} | {self.evaluated[table]} | {failed} |")
        if self.unexpected:
            lines += ["", "| table | failed expectation | unexpected rows | batches |", "|---|---|---|---|"]
            for (table, expectation), count in self.unexpected.most_common():
                lines.append(f"| {md_text(table)} | {md_text(expectation)} | {count} | "
                             f"{self.failed_batches[(table, expectation)]} |")
        return "\n".join(lines)


class RunMonitor:
    """Tells Prefect how a run is going. Every call is best effort: monitoring never fails a run
    whose data landed (a Prefect API hiccup is logged, not raised)."""

    def __init__(self, settings: Settings, source: Any, mode: str,
                 every_batches: int | None = None):
        self.settings = settings
        self.source = source
        self.mode = mode
        self.every_batches = max(1, every_batches or artifact_every_batches())
        self.batches = 0
        self.records = 0
        self.articles = 0
        self.quarantined_articles = 0
        self.quarantined_children = 0
        self.dead_letters = 0
        self.rows: Counter[str] = Counter()
        self.validation = ValidationTally()
        self.lag: dict[str, int] = {}
        self._progress_id: UUID | None = None
        self.events_emitted: Counter[str] = Counter()
        self.started = time.monotonic()

    # -- hooks -------------------------------------------------------------------------------
    def batch_landed(self, batch: Batch, tables: dict[str, pa.Table], results: dict[str, TableResult],
                     unparseable: list[Unparseable]) -> None:
        self.batches += 1
        self.records += len(batch)
        for name, table in tables.items():
            if name != REPLACEMENTS:  # the sink's instructions, not a table
                self.rows[name] += table.num_rows
        self.rows["dead_letters"] += len(unparseable)
        self.articles += tables["articles"].num_rows if "articles" in tables else 0
        quarantine = tables.get("quarantine")
        reasons: Counter[str] = Counter()
        quarantined_articles = 0
        if quarantine is not None and quarantine.num_rows:
            for row in quarantine.select(["table_name", "reason"]).to_pylist():
                reasons[f"{row['table_name']}: {row['reason']}"] += 1
                if row["table_name"] == "articles":
                    quarantined_articles += 1
            self.quarantined_children += quarantine.num_rows - quarantined_articles
        self.quarantined_articles += quarantined_articles
        self.dead_letters += len(unparseable)
        self.validation.add(results)
        self._guarded(self._emit_batch_events, batch, quarantine, reasons, unparseable)
        self.lag = self._guarded(self._read_lag) or self.lag
        self._guarded(self._emit_lag, batch)
        if self.batches % self.every_batches == 1 or self.every_batches == 1:
            self._guarded(self.publish_live)

    def run_finished(self, totals: RunTotals) -> str:
        """Final artifacts; returns the run's state message."""
        self.lag = self._guarded(self._read_lag) or self.lag
        self._guarded(self.publish_live, final=True)
        self._guarded(self.publish_report, totals.data_docs, totals.seconds, totals.quarantine_reasons,
                      totals.dead_letter_errors, totals.table_failures, totals.active_seconds)
        return self.message(totals.redone_batches)

    def message(self, redone_batches: int = 0) -> str:
        return state_message(self.records, self.articles, self.quarantined_articles, self.dead_letters,
                             self.quarantined_children, redone_batches)

    # -- events ------------------------------------------------------------------------------
    def _resource(self, topic: str) -> dict[str, str]:
        return {"prefect.resource.id": f"newsflow.topic.{topic}", "prefect.resource.name": topic}

    def _emit(self, event: str, topic: str, payload: dict[str, Any]) -> None:
        from prefect.events import emit_event

        emit_event(event=event, resource=self._resource(topic), payload=payload)
        self.events_emitted[event] += 1

    def _emit_batch_events(self, batch: Batch, quarantine: pa.Table | None, reasons: Counter[str],
                           unparseable: list[Unparseable]) -> None:
        topic = batch.records[0].topic if batch.records else self.settings.kafka.topic
        where = {f"{t}/{p}": [recs[0].offset, recs[-1].offset] for (t, p), recs in batch.by_partition().items()}
        if reasons:
            self._emit(QUARANTINED, topic, {
                "count": sum(reasons.values()),
                "articles": sum(n for r, n in reasons.items() if r.startswith("articles: ")),
                "reasons": {_short(r): n for r, n in reasons.most_common(EVENT_REASONS)},
                "batch": self.batches, "offsets": where,
            })
        if unparseable:
            kinds = Counter(item.kind for item in unparseable)
            examples: dict[str, str] = {}
            for item in unparseable:
                examples.setdefault(item.kind, _short(item.error))
            self._emit(DEAD_LETTERED, topic, {
                "count": len(unparseable), "reasons": dict(kinds.most_common(EVENT_REASONS)),
                "examples": examples, "dead_letter_topic": self.settings.kafka.dlq_topic,
                "batch": self.batches, "offsets": where,
            })

    def _read_lag(self) -> dict[str, int] | None:
        read = getattr(self.source, "lag", None)
        if read is None:
            return None
        return {f"{topic}/{partition}": behind for (topic, partition), behind in sorted(read().items())}

    def offsets_gone(self, topic: str, partition: int, first: int, last: int) -> None:
        """Offsets the lake never saw because the broker no longer has them (read across, not
        skipped by us): nothing of ours is lost, but an operator should know the feed was."""
        self._guarded(self._emit, GONE, topic, {"partition": partition, "first": first, "last": last,
                                                "count": last - first + 1, "group": self.settings.kafka.group_id})

    def _emit_lag(self, batch: Batch) -> None:
        topic = batch.records[0].topic if batch.records else self.settings.kafka.topic
        self._emit(LAG, topic, {"partitions": self.lag, "total": sum(self.lag.values()),
                                "group": self.settings.kafka.group_id, "batch": self.batches})

    # -- artifacts ---------------------------------------------------------------------------
    def progress(self) -> float:
        """Share of the known backlog this run has landed, in %; 100 when nothing is behind."""
        behind = sum(self.lag.values())
        return 100.0 if not behind else round(100.0 * self.records / (self.records + behind), 1)

    def publish_live(self, final: bool = False) -> None:
        from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact

        progress = self.progress()
        behind = sum(self.lag.values())
        description = (f"{self.records} records landed in {self.batches} batches; {behind} behind on "
                       f"{md_text(self.settings.kafka.topic)}" + ("" if final else " (updated every "
                                                              f"{self.every_batches} batches)"))
        if self._progress_id is None:
            # Sync here (no event loop in the flow's thread); the cast tells mypy so.
            self._progress_id = cast(UUID, create_progress_artifact(progress, key="newsflow-ingest-progress",
                                                                    description=description))
        else:
            update_progress_artifact(self._progress_id, progress, description=description)
        create_table_artifact(
            key="newsflow-ingest-counts",
            table=[{"table": name, "rows": count} for name, count in sorted(self.rows.items())],
            description=f"Rows landed under {md_text(self.settings.output_dir)} so far: {self.message()}.",
        )
        create_table_artifact(
            key="newsflow-consumer-lag",
            table=[{"partition": name, "records behind": n} for name, n in self.lag.items()]
            or [{"partition": "none assigned", "records behind": 0}],
            description=f"Consumer group {md_text(self.settings.kafka.group_id)}: records between its committed "
                        f"offset and the end of each partition, after batch {self.batches}.",
        )

    def publish_report(self, data_docs: Path | None, seconds: float, reasons: Counter[str] | None = None,
                       dead_kinds: Counter[str] | None = None, table_failures: list[str] | None = None,
                       active_seconds: float = 0.0) -> None:
        from prefect.artifacts import create_markdown_artifact

        docs = (f"GX Data Docs of this run (open the file in a browser on the machine that ran it): "
                f"{md_code(data_docs)}" if data_docs else "No rows validated, no Data Docs.")
        create_markdown_artifact(
            key="newsflow-ingest-report",
            markdown=self.report_markdown(docs, seconds, reasons or Counter(), dead_kinds or Counter(),
                                          table_failures or [], active_seconds),
            description="Validation summary of the run",
        )

    def report_markdown(self, docs: str, seconds: float, reasons: Counter[str], dead_kinds: Counter[str],
                        table_failures: list[str], active_seconds: float = 0.0) -> str:
        reason_rows = "\n".join(f"| {md_text(r)} | {n} |" for r, n in reasons.most_common()) or "| none | 0 |"
        dead_rows = "\n".join(f"| {md_text(k)} | {n} |" for k, n in dead_kinds.most_common()) or "| none | 0 |"
        failures = "\n".join(f"- {md_text(f, 500)}" for f in table_failures) or "- none"
        return (
            f"# newsflow ingest\n\n**{md_text(self.message())}** in {_plural(self.batches, 'batch')}"
            .replace("batchs", "batches") + f", {seconds:.1f} s"
            + (f" ({self.records / active_seconds:.2f} records/s while records were arriving)" if active_seconds else "")
            + f".\n\n{docs}\n\n"
            f"## Validation (Great Expectations)\n\n{self.validation.markdown()}\n\n"
            f"## Quarantine reasons\n\n| table: failed expectations | rows |\n|---|---|\n{reason_rows}\n\n"
            f"## Dead letters (topic {md_code(self.settings.kafka.dlq_topic)})\n\n| error | records |\n|---|---|\n"
            f"{dead_rows}\n\n## Table-level expectation failures\n\n{failures}\n"
        )

    # -- plumbing ----------------------------------------------------------------------------
    def _guarded(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except Exception:  # monitoring must never fail a run whose data landed
            import logging

            logging.getLogger(__name__).exception("monitoring: %s failed", getattr(call, "__name__", call))
            return None
