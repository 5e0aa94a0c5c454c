from newsflow.events import ArticleEvent, Unparseable, decode
from newsflow.source import records_from_values


def _decode(value: bytes):  # type: ignore[no-untyped-def]
    return decode(records_from_values([value])[0])


def test_good_event_decodes(seed_event_bytes: bytes) -> None:
    event = _decode(seed_event_bytes)
    assert isinstance(event, ArticleEvent)
    assert event.id == "5746d6ddd9dd780a"
    assert event.content_type == "text/plain"
    assert event.body and event.body.startswith("White House officials")


def test_bad_events_say_why() -> None:
    cases = {
        b"{not json": "malformed_json",
        b"\xff\xfe\x00": "invalid_utf8",
        b"[1, 2]": "not_an_object",
        b'{"body": "no id"}': "bad_field",
        b'{"id": "x", "body": 42}': "bad_field",
        b"[" * 10_000: "too_deep",
    }
    for raw, kind in cases.items():
        result = _decode(raw)
        assert isinstance(result, Unparseable), raw[:20]
        assert result.kind == kind
        assert result.error


def test_missing_body_is_an_event_for_the_suite_to_judge() -> None:
    event = _decode(b'{"id": "a1", "title": "t"}')
    assert isinstance(event, ArticleEvent) and event.body is None


def test_ingest_date_is_null_outside_the_calendar() -> None:
    from newsflow.lake import ingest_dates

    days = ingest_dates([1_638_748_800_000, 0, 253_402_300_799_999]).to_pylist()
    assert [str(d) for d in days] == ["2021-12-06", "1970-01-01", "9999-12-31"]
    hostile = [None, -1, -5_000, 253_402_300_800_000, 2**63 - 1, -(2**63)]
    assert ingest_dates(hostile).to_pylist() == [None] * len(hostile)


def test_unreadable_and_null_records_are_dead_letters() -> None:
    from newsflow.events import decode
    from newsflow.source import RawRecord

    unreadable = decode(RawRecord("t", 0, 7, None, None, None, error="CorruptRecordError: bad header"))
    assert isinstance(unreadable, Unparseable) and unreadable.kind == "unreadable_record"
    assert "bad header" in unreadable.error
    null = decode(RawRecord("t", 0, 8, 1, b"key", None))
    assert isinstance(null, Unparseable) and null.kind == "no_value"


def test_dead_letter_publisher_sends_a_retried_batch_once() -> None:
    """The land task is retried as a whole (say, after a failed offset commit): records the broker
    already acknowledged are not sent to the dead-letter topic a second time."""
    from newsflow.deadletter import DeadLetterPublisher

    class Acknowledged:
        def get(self, timeout: float) -> None:
            return None

    class Producer:
        def __init__(self) -> None:
            self.sent: list[bytes] = []

        def send(self, topic: str, key: bytes | None, value: bytes, headers: list) -> Acknowledged:
            self.sent.append(value)
            return Acknowledged()

        def flush(self) -> None:
            pass

    publisher = DeadLetterPublisher.__new__(DeadLetterPublisher)
    publisher.topic, publisher._producer, publisher._acknowledged = "t.dlq", Producer(), set()
    first = [decode(records_from_values([b"not json", b"{broken"], topic="t")[i]) for i in range(2)]
    publisher.publish(first)
    publisher.publish(first)  # the retry
    assert publisher._producer.sent == [b"not json", b"{broken"]
    later = [decode(records_from_values([b"also broken"], topic="t", start_offset=2)[0])]
    publisher.publish(later)
    assert publisher._producer.sent == [b"not json", b"{broken", b"also broken"]
