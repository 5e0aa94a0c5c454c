"""`make eval`: every extraction-quality benchmark in one run, newsflow beside its reference.

    python benchmarks/quality.py [EVAL_ROOT] [--only main-text,entities,places,quotes,dates]

EVAL_ROOT defaults to ../shared/eval (the public development sets; never committed here). Each
area's scorer lives in its own module with a `report(eval_root) -> str`; the metrics are the ones
the sets' READMEs define. Figures and their history are in docs/quality.md.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scorer modules beside this file

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "eval"
# area -> (module, the development set it reads)
AREAS = {
    "main-text": ("extraction_eval", "article-extraction"),
    "entities": ("quality_ner", "ner-conll2003-dev"),
    "places": ("quality_geo", "geo-lgl"),
    "quotes": ("quality_quotes", "quotes-polnear-dev"),
    "dates": ("quality_dates", "dates-timebank"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("eval_root", nargs="?", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--only", help="comma-separated areas (default: all)")
    args = parser.parse_args(argv)
    areas = args.only.split(",") if args.only else list(AREAS)
    unknown = set(areas) - set(AREAS)
    if unknown:
        parser.error(f"unknown area(s): {', '.join(sorted(unknown))}; choose from {', '.join(AREAS)}")
    missing = [AREAS[a][1] for a in areas if not (args.eval_root / AREAS[a][1]).is_dir()]
    if missing:
        print(f"missing under {args.eval_root}: {', '.join(missing)}", file=sys.stderr)
        return 2
    for area in areas:
        module_name, dataset = AREAS[area]
        started = time.perf_counter()
        print(f"\n=== {area} ({dataset}) ===", flush=True)
        module = importlib.import_module(module_name)
        if area == "main-text":
            module.main(args.eval_root / dataset)
        else:
            print(module.report(args.eval_root))
        print(f"({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
