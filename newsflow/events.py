"""The article event contract: decoding consumed records, or saying exactly why they can't be."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from newsflow.source import RawRecord

EVENT_FIELDS = ("id", "url", "source", "title", "published_at", "body", "content_type")
CONTENT_TYPES = ("text/plain", "text/html")


@dataclass(frozen=True)
class ArticleEvent:
    """A decoded event: the fields of the contract plus the record it came from."""

    id: str
    url: str | None
    source: str | None
    title: str | None
    published_at: str | None
    body: str | None
    content_type: str
    record: RawRecord


@dataclass(frozen=True)
class Unparseable:
    """A record that is not an article event; it goes to the dead-letter topic with this error."""

    record: RawRecord
    kind: str  # unreadable_record | no_value | invalid_utf8 | malformed_json | not_an_object | bad_field | too_deep
    error: str


def _optional_str(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"field {name!r} must be a string or null, got {type(value).__name__}")
    return value


def decode(record: RawRecord) -> ArticleEvent | Unparseable:
    """Decode one record; never raises."""
    raw = record.value
    if record.error is not None:
        return Unparseable(record, "unreadable_record", record.error)
    if raw is None:
        return Unparseable(record, "no_value", "record has no value (null, a tombstone)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Unparseable(
            record, "invalid_utf8", f"invalid UTF-8 at byte {exc.start}: {exc.reason}"
        )
    try:
        payload = json.loads(text)
    except RecursionError:
        # CPython's parser refuses nesting deeper than the recursion limit; nothing else to do.
        return Unparseable(record, "too_deep", "JSON nested too deeply to parse")
    except json.JSONDecodeError as exc:
        return Unparseable(
            record, "malformed_json", f"malformed JSON: {exc.msg} (line {exc.lineno} col {exc.colno})"
        )
    if not isinstance(payload, dict):
        return Unparseable(
            record, "not_an_object", f"event must be a JSON object, got {type(payload).__name__}"
        )
    event_id = payload.get("id")
    if not isinstance(event_id, str) or not event_id.strip():
        return Unparseable(record, "bad_field", "event has no 'id' string")
    try:
        content_type = _optional_str(payload, "content_type") or "text/plain"
        return ArticleEvent(
            id=event_id.strip(),
            url=_optional_str(payload, "url"),
            source=_optional_str(payload, "source"),
            title=_optional_str(payload, "title"),
            published_at=_optional_str(payload, "published_at"),
            body=_optional_str(payload, "body"),
            content_type=content_type.split(";")[0].strip().lower(),
            record=record,
        )
    except TypeError as exc:
        return Unparseable(record, "bad_field", str(exc))


def decode_batch(records: list[RawRecord]) -> tuple[list[ArticleEvent], list[Unparseable]]:
    """Split a batch into decoded events and unparseable records, keeping order."""
    events: list[ArticleEvent] = []
    rejected: list[Unparseable] = []
    for record in records:
        result = decode(record)
        (events if isinstance(result, ArticleEvent) else rejected).append(result)  # type: ignore[arg-type]
    return events, rejected


def encode(event: dict[str, Any]) -> bytes:
    """Serialise an event dict (the contract's fields) to the bytes sent to Kafka."""
    return json.dumps({k: event.get(k) for k in EVENT_FIELDS}, ensure_ascii=False).encode("utf-8")
