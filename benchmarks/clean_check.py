"""Cleaning before and after: the same CleanedBody for every input, and the CPU time of both.

    python benchmarks/clean_check.py [--rev main] [--passes 7] [--eval ../shared/eval/article-extraction]

"Before" is newsflow/tasks as it is at --rev (read from git into a scratch package, so both run
in this process); "after" is the working tree. Inputs compared:

- the benchmark corpus of benchmarks/throughput.py (corpus(120): the seed and the benchmark pages
  with a marker sentence, events decoded as the pipeline decodes them, fields as clean_batch
  builds them);
- every benchmark page unmodified, without a date (so the page's date is searched for);
- the seeds, with the dates of their .meta.json;
- every string in tests/unit that looks like HTML, and the pages test_byline.py builds from its
  fixtures and its random generator, as HTML events with and without a date.

Then the CPU time (time.process_time) of clean_bodies over the corpus, before and after in
alternating passes, with the medians in ms per event. The eval pages are read at run time and
never copied into the repository.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import gzip
import importlib
import json
import logging
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EVAL = ROOT.parent / "shared" / "eval" / "article-extraction"
OLD_PACKAGE = "newsflow_tasks_before"

Fields = tuple[str, str, str | None, str | None]


def load_tasks_at(rev: str) -> ModuleType:
    """newsflow.tasks.clean as of `rev`, importing the tasks modules of that revision."""
    scratch = Path(tempfile.mkdtemp(prefix="clean_check_"))
    package = scratch / OLD_PACKAGE
    package.mkdir()
    names = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", rev, "tasks/"],
                           check=True, capture_output=True, text=True).stdout.split()
    for name in names:
        if not name.endswith(".py"):
            continue
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{name}"],
                                check=True, capture_output=True, text=True).stdout
        (package / Path(name).name).write_text(source.replace("newsflow.tasks.", f"{OLD_PACKAGE}."))
    (package / "data").symlink_to(ROOT / "tasks" / "data")
    sys.path.insert(0, str(scratch))
    return importlib.import_module(f"{OLD_PACKAGE}.clean")


def corpus_fields() -> list[Fields]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from throughput import corpus

    from newsflow.events import decode_batch
    from newsflow.source import records_from_values

    events, rejected = decode_batch(records_from_values(corpus(120)))
    assert not rejected
    return [(e.body or "", e.content_type, e.title, e.published_at) for e in events]


def eval_pages(eval_dir: Path) -> list[Fields]:
    return [(gzip.decompress(p.read_bytes()).decode("utf-8", "replace"), "text/html", None, None)
            for p in sorted((eval_dir / "html").glob("*.html.gz"))]


def seed_fields() -> list[Fields]:
    fields: list[Fields] = []
    for text in sorted((ROOT / "seeds").glob("*.txt")):
        meta_file = text.with_name(text.name.removesuffix(".txt") + ".meta.json")
        meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
        fields.append((text.read_text(encoding="utf-8"), "text/plain", meta.get("title"), meta.get("published_at")))
    return fields


def test_pages() -> list[str]:
    """HTML written in tests/unit: string literals that look like a page, and test_byline's pages."""
    from newsflow.tasks.clean import looks_like_html

    pages = []
    for test_file in sorted((ROOT / "tests" / "unit").glob("test_*.py")):
        for node in ast.walk(ast.parse(test_file.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and looks_like_html(node.value):
                pages.append(node.value)
    sys.path.insert(0, str(ROOT))
    from tests.unit import test_byline

    bodies = [body for body, _ in test_byline.FIXTURES + test_byline.REL_FIXTURES]
    rng = random.Random(20240613)  # the generator of test_agrees_with_trafilatura_on_random_pages
    bodies += ["".join(test_byline._random_element(rng, 0) for _ in range(rng.randint(1, 6))) for _ in range(400)]
    return pages + [test_byline._page(body) for body in bodies]


def outcome(clean_body, fields: Fields) -> object:
    """CleanedBody's fields as a dict (before and after are different classes), or the exception."""
    try:
        return dataclasses.asdict(clean_body(*fields))
    except Exception as exc:  # noqa: BLE001 - an exception is an outcome to compare too
        return type(exc).__name__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", default="main", help="git revision of 'before' (default: main)")
    parser.add_argument("--passes", type=int, default=7, help="timed passes of each (default: 7)")
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    args = parser.parse_args()

    logging.disable(logging.WARNING)  # trafilatura's complaints about the test pages
    old = load_tasks_at(args.rev)
    from newsflow.tasks import clean as new

    corpus = corpus_fields()
    groups = {
        "benchmark corpus (120 events)": corpus,
        "benchmark pages unmodified, no date": eval_pages(args.eval),
        "seeds": seed_fields(),
        "hand-written test pages, no date": [(p, "text/html", None, None) for p in test_pages()],
        "hand-written test pages, dated": [(p, "text/html", None, "2021-12-06") for p in test_pages()],
    }
    old.warm_up()
    new.warm_up()
    compared = differing = 0
    for label, inputs in groups.items():
        diffs = 0
        for fields in inputs:
            before, after = outcome(old.clean_body, fields), outcome(new.clean_body, fields)
            if before != after:
                diffs += 1
                print(f"  DIFFERENT ({label}) {fields[0][:80]!r}:\n    before {before!r}\n    after  {after!r}")
        print(f"{label}: {len(inputs)} inputs, {diffs} differ")
        compared, differing = compared + len(inputs), differing + diffs
    print(f"equality: {compared} inputs compared, {differing} differ")

    times: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(args.passes):
        for label, module in (("before", old), ("after", new)):
            start = time.process_time()
            module.clean_bodies(corpus)
            times[label].append(1000 * (time.process_time() - start) / len(corpus))
    for label, values in times.items():
        print(f"clean_bodies CPU {label}: median {statistics.median(values):.2f} ms/event over {args.passes} passes "
              f"({', '.join(f'{v:.2f}' for v in values)})")
    saved = statistics.median(times["before"]) - statistics.median(times["after"])
    print(f"saved: {saved:.2f} ms/event")


if __name__ == "__main__":
    main()
