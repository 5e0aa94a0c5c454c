"""Turn seed files into article events and produce them to Kafka."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsflow.config import KafkaSettings
from newsflow.events import encode

# Seed files named like `000_5746d6ddd9dd780a.txt` already carry their stable id.
_ID_IN_NAME = re.compile(r"^(?:\d+_)?(?P<id>[0-9a-f]{16,64})$")
SUPPORTED = (".txt", ".html", ".htm", ".html.gz", ".json", ".jsonl")


@dataclass(frozen=True)
class OutgoingEvent:
    """What replay sends: the Kafka key and the value bytes (normally an encoded event)."""

    key: bytes
    value: bytes
    origin: str  # file (and line) it came from, for messages


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in SUPPORTED:
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _stem(path: Path) -> str:
    name = path.name
    for suffix in sorted(SUPPORTED, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def stable_id(path: Path, content: bytes) -> str:
    """The id in the file name if there is one, else a hash of the content (same file, same id)."""
    match = _ID_IN_NAME.match(_stem(path))
    if match:
        return match["id"][:16]
    return hashlib.sha256(content).hexdigest()[:16]


def _sidecar(path: Path) -> dict[str, Any]:
    """Optional `<stem>.meta.json` beside a text/HTML seed: url, source, title, published_at."""
    meta = path.with_name(f"{_stem(path)}.meta.json")
    if meta.exists():
        data = json.loads(meta.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            return data
    return {}


def events_from_file(path: Path, *, source: str | None = None) -> Iterator[OutgoingEvent]:
    """Yield the events one seed file holds."""
    suffix = _suffix(path)
    if suffix in (".txt", ".html", ".htm", ".html.gz"):
        raw = path.read_bytes()
        content = gzip.decompress(raw) if suffix == ".html.gz" else raw
        meta = _sidecar(path)
        event_id = str(meta.get("id") or stable_id(path, content))
        event = {
            "id": event_id,
            "url": meta.get("url"),
            "source": meta.get("source") or source,
            "title": meta.get("title"),
            "published_at": meta.get("published_at"),
            "body": content.decode("utf-8", errors="replace"),
            "content_type": "text/plain" if suffix == ".txt" else "text/html",
        }
        yield OutgoingEvent(event_id.encode(), encode(event), str(path))
    elif suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        for i, item in enumerate(data if isinstance(data, list) else [data]):
            yield _from_object(item, f"{path}[{i}]", source)
    elif suffix == ".jsonl":
        with path.open("rb") as fh:
            for lineno, line in enumerate(fh, start=1):
                line = line.rstrip(b"\r\n")
                if not line.strip():
                    continue
                origin = f"{path}:{lineno}"
                try:
                    item = json.loads(line)
                except (UnicodeDecodeError, json.JSONDecodeError):
                    # Forwarded as-is: the pipeline, not replay, decides where bad events go.
                    yield OutgoingEvent(hashlib.sha256(line).hexdigest()[:16].encode(), line, origin)
                    continue
                yield _from_object(item, origin, source)
    else:
        raise ValueError(f"{path}: unsupported file type (expected one of {', '.join(SUPPORTED)})")


def _from_object(item: Any, origin: str, source: str | None) -> OutgoingEvent:
    if not isinstance(item, dict):
        raw = json.dumps(item).encode()
        return OutgoingEvent(hashlib.sha256(raw).hexdigest()[:16].encode(), raw, origin)
    if source and not item.get("source"):
        item = {**item, "source": source}
    if not item.get("id") and isinstance(item.get("body"), str):
        item = {**item, "id": hashlib.sha256(item["body"].encode()).hexdigest()[:16]}
    key = str(item.get("id") or "").encode()
    # The event goes out as given (extra fields and odd values included): judging it is the pipeline's job.
    return OutgoingEvent(key, json.dumps(item, ensure_ascii=False).encode("utf-8"), origin)


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders (recursively, sorted) into the seed files they hold."""
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and _suffix(p) in SUPPORTED and not p.name.endswith(".meta.json")
            )
        else:
            files.append(path)
    return files


def produce(
    events: Iterable[OutgoingEvent],
    settings: KafkaSettings,
    *,
    rate: float | None = None,
    total: int | None = None,
    show_progress: bool = True,
) -> int:
    """Send events to the topic, at most `rate` per second; returns how many were acknowledged."""
    from kafka import KafkaProducer
    from rich.progress import Progress

    producer = KafkaProducer(
        acks="all", linger_ms=5, max_request_size=16 * 1024 * 1024, **settings.client_options()
    )
    sent = 0
    started = time.monotonic()
    futures = []
    try:
        with Progress(disable=not show_progress, transient=False) as progress:
            task = progress.add_task(f"replay → {settings.topic}", total=total)
            for event in events:
                if rate:
                    # Pace against the start time so the average rate holds without drift.
                    wait = started + sent / rate - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                futures.append(producer.send(settings.topic, key=event.key, value=event.value))
                sent += 1
                progress.advance(task)
            producer.flush()
        for future in futures:
            future.get(timeout=30)
    finally:
        producer.close()
    return sent
