"""Page metadata on the article-extraction benchmark pages: newsflow's against trafilatura's.

For every page, checks that newsflow.tasks.byline.extract_author returns what trafilatura's
extract_author returns, and that page_metadata's title, author, date and site name are those of
trafilatura's extract_metadata; prints the agreement, every difference, and the CPU time
(time.process_time, best of N passes) of both author searches, over the pages page_metadata
sends to the author search and over all pages, and of both metadata functions.

    python benchmarks/metadata_check.py [../shared/eval/article-extraction] [--passes 5]

The pages are read from the eval folder at run time and never copied here (hence a check script
and not a test: tests/unit/test_byline.py and test_clean.py check the same on hand-written pages).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import time
from collections.abc import Callable
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "article-extraction"


def best_cpu(function: Callable[[object], object], trees: list, passes: int) -> float:
    """Least CPU time of `passes` passes of function over the trees, in seconds."""
    times = []
    for _ in range(passes):
        start = time.process_time()
        for tree in trees:
            function(tree)
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    from trafilatura.metadata import examine_meta, extract_meta_json, extract_metadata
    from trafilatura.metadata import extract_author as their_author
    from trafilatura.settings import set_date_params
    from trafilatura.utils import load_html

    from newsflow.tasks.byline import extract_author as our_author
    from newsflow.tasks.byline import translation_is_current
    from newsflow.tasks.clean import page_metadata

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()

    pages = sorted((args.root / "html").glob("*.html.gz"))
    parsed = [(p.name, load_html(gzip.decompress(p.read_bytes()).decode("utf-8", "replace"))) for p in pages]
    names = [name for name, tree in parsed if tree is not None]
    trees = [tree for _, tree in parsed if tree is not None]
    print(f"{len(trees)} pages from {args.root}; translated expressions current: {translation_is_current()}")

    def reaches_author_search(tree: object) -> bool:
        # page_metadata's steps before it: no author in the meta tags nor in JSON-LD.
        metadata = examine_meta(tree)
        if metadata.author and " " not in metadata.author:
            metadata.author = None
        with contextlib.suppress(Exception):
            metadata = extract_meta_json(tree, metadata)
        return not metadata.author

    searched = [tree for tree in trees if reaches_author_search(tree)]
    authors = [(name, their_author(tree), our_author(tree)) for name, tree in zip(names, trees, strict=True)]
    same = sum(theirs == ours for _, theirs, ours in authors)
    print(f"extract_author: same result on {same}/{len(trees)} pages "
          f"({sum(theirs is not None for _, theirs, _ in authors)} with an author); "
          f"{len(searched)} pages reach the author search in page_metadata")
    for name, theirs, ours in authors:
        if theirs != ours:
            print(f"  DIFFERENT {name}: trafilatura {theirs!r}, newsflow {ours!r}")

    date_config = set_date_params(True)

    def full(tree: object) -> tuple:
        found = extract_metadata(tree, date_config=date_config)
        return (found.title, found.author, found.date, found.sitename)

    metadata = [(name, full(tree), page_metadata(tree)) for name, tree in zip(names, trees, strict=True)]
    same = sum(theirs == ours for _, theirs, ours in metadata)
    print(f"page_metadata: same title, author, date and site name as extract_metadata on {same}/{len(trees)} pages")
    for name, theirs, ours in metadata:
        if theirs != ours:
            print(f"  DIFFERENT {name}: trafilatura {theirs!r}, newsflow {ours!r}")

    print(f"CPU seconds, best of {args.passes} passes (ms a page averaged over all {len(trees)} pages):")
    for label, function, subset in [
        ("trafilatura extract_author, pages searched", their_author, searched),
        ("newsflow extract_author, pages searched", our_author, searched),
        ("trafilatura extract_author, all pages", their_author, trees),
        ("newsflow extract_author, all pages", our_author, trees),
        ("trafilatura extract_metadata (all fields)", full, trees),
        ("newsflow page_metadata", page_metadata, trees),
    ]:
        seconds = best_cpu(function, subset, args.passes)
        print(f"  {label:45s} {seconds:7.3f} s  ({1000 * seconds / len(trees):5.2f} ms)")


if __name__ == "__main__":
    main()
