import gzip
import json
from pathlib import Path

from newsflow.replay import collect_files, events_from_file
from tests.conftest import SEED


def test_seed_file_gets_its_id_and_sidecar_metadata() -> None:
    (event,) = events_from_file(SEED)
    payload = json.loads(event.value)
    assert event.key == b"5746d6ddd9dd780a" and payload["id"] == "5746d6ddd9dd780a"
    assert payload["source"] == "militarytimes.com"
    assert payload["published_at"].startswith("2021-12-06")
    assert payload["content_type"] == "text/plain"
    assert set(payload) == {"id", "url", "source", "title", "published_at", "body", "content_type"}


def test_html_gz_and_jsonl(tmp_path: Path) -> None:
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(b"<html><body><p>Hi</p></body></html>"))
    (html_event,) = events_from_file(page)
    assert json.loads(html_event.value)["content_type"] == "text/html"
    again = next(events_from_file(page))
    assert again.key == html_event.key  # stable id from content

    lines = tmp_path / "events.jsonl"
    lines.write_bytes(b'{"id": "a", "body": "x"}\n\n{broken\n[1]\n')
    events = list(events_from_file(lines, source="wire"))
    assert len(events) == 3
    assert json.loads(events[0].value)["source"] == "wire"
    assert events[1].value == b"{broken"  # forwarded as-is for the dead-letter topic


def test_collect_files_skips_sidecars(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "a.meta.json").write_text("{}")
    (tmp_path / "notes.md").write_text("x")
    assert [p.name for p in collect_files([tmp_path])] == ["a.txt"]
