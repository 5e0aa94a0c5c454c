"""Main-text extraction quality on the article-extraction benchmark pages.

Scores newsflow's cleaning stage (trafilatura + normalisation + boilerplate rules) beside plain
trafilatura with default settings, on the same pages: precision, recall and F1 over the bag of
word tokens of extracted vs expected body, averaged over pages (the benchmark's own measure).

    python benchmarks/extraction_eval.py [../shared/eval/article-extraction]
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from newsflow.events import ArticleEvent
from newsflow.source import RawRecord
from newsflow.tasks.clean import clean_event

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "article-extraction"
_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.lower()))


def prf(extracted: str, expected: str) -> tuple[float, float, float]:
    got, want = tokens(extracted), tokens(expected)
    overlap = sum((got & want).values())
    precision = overlap / sum(got.values()) if got else (1.0 if not want else 0.0)
    recall = overlap / sum(want.values()) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def newsflow_extract(html: str) -> str:
    record = RawRecord("eval", 0, 0, None, None, b"")
    event = ArticleEvent("eval", None, None, None, None, html, "text/html", record)
    return clean_event(event, max_body_chars=50_000_000).body or ""


def trafilatura_default(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def main(folder: Path) -> None:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, item in sorted(truth.items()):
        path = folder / "html" / f"{page_id}.html.gz"
        if path.exists():
            pages.append((gzip.decompress(path.read_bytes()).decode("utf-8", "replace"), item["articleBody"]))
    extractors: dict[str, Callable[[str], str]] = {
        "newsflow clean": newsflow_extract,
        "trafilatura (defaults)": trafilatura_default,
    }
    print(f"{len(pages)} pages from {folder}")
    print(f"{'extractor':<24} {'precision':>9} {'recall':>7} {'F1':>6} {'pages/s':>8}")
    for name, extract in extractors.items():
        scores = []
        started = time.perf_counter()
        for html, expected in pages:
            scores.append(prf(extract(html), expected))
        elapsed = time.perf_counter() - started
        n = len(scores)
        p, r, f = (sum(s[i] for s in scores) / n for i in range(3))
        print(f"{name:<24} {p:>9.3f} {r:>7.3f} {f:>6.3f} {n / elapsed:>8.1f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR)
