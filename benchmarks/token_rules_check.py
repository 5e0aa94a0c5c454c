"""newsflow's array-based rule components against the model's stock attribute_ruler and
lemmatizer, on every text of the dev sets: each token's POS, tag, dependency, lemma and
morphology must be equal, and the CPU time of both is printed.

    python benchmarks/token_rules_check.py [../shared/eval] [--limit N]

Each text is parsed once by newsflow's pipeline up to the parser (the two rule components
disabled); a copy goes through the stock components, another through TokenRules.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
DEFAULT_ROOT = ROOT.parent / "shared" / "eval"


def dev_texts(root: Path) -> dict[str, list[str]]:
    """Texts of each dev set, as the quality benchmarks read them."""
    from quality_dates import load_timebank
    from quality_geo import load_lgl
    from quality_ner import read_conll
    from quality_quotes import evaluation_text, load_articles

    from newsflow.tasks.clean import clean_text, extract_html

    sets = {
        "article-extraction": [clean_text(extract_html(gzip.decompress(p.read_bytes()).decode("utf-8", "replace")).text)
                               for p in sorted((root / "article-extraction" / "html").glob("*.html.gz"))],
        "ner-conll2003-dev": [d.text for d in read_conll(root / "ner-conll2003-dev" / "eng.testa")],
        "geo-lgl": [a.text for a in load_lgl(root / "geo-lgl" / "lgl.xml")],
        "quotes-polnear-dev": [evaluation_text(a.text) for a in load_articles(root / "quotes-polnear-dev")],
        "dates-timebank": [a.text for a in load_timebank(root / "dates-timebank")],
    }
    return sets


def token_attributes(doc) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(t.i, t.pos, t.tag, t.dep, t.lemma, t.morph.key, str(t.morph)) for t in doc]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("eval_root", nargs="?", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--limit", type=int, default=0, help="texts per set (0: all)")
    args = parser.parse_args()

    from spacy.tokens import Doc

    from newsflow.tasks.nlp import TOKEN_RULES, load_nlp

    nlp = load_nlp()
    ruler, lemmatizer, rules = nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer"), nlp.get_pipe(TOKEN_RULES)
    upstream = [name for name in nlp.pipe_names if name not in (TOKEN_RULES, "ner")]
    total_tokens = total_diffs = 0
    seconds = {"stock": 0.0, "token_rules": 0.0}
    for name, texts in dev_texts(args.eval_root).items():
        texts = texts[: args.limit] if args.limit else texts
        tokens = diffs = 0
        with nlp.select_pipes(enable=upstream):
            parsed = list(nlp.pipe(texts))
        for doc in parsed:
            stock, fast = Doc(nlp.vocab).from_bytes(doc.to_bytes()), Doc(nlp.vocab).from_bytes(doc.to_bytes())
            started = time.process_time()
            stock = lemmatizer(ruler(stock))
            seconds["stock"] += time.process_time() - started
            started = time.process_time()
            fast = rules(fast)
            seconds["token_rules"] += time.process_time() - started
            expected, found = token_attributes(stock), token_attributes(fast)
            tokens += len(expected)
            diffs += sum(a != b for a, b in zip(expected, found, strict=True))
        print(f"{name:<20} {len(texts):5d} texts {tokens:8,d} tokens, {diffs} differing")
        total_tokens, total_diffs = total_tokens + tokens, total_diffs + diffs
    print(f"all: {total_tokens:,d} tokens, {total_diffs} differing; CPU stock {seconds['stock']:.2f} s, "
          f"token rules {seconds['token_rules']:.2f} s (first sight of every form included)")
    sys.exit(1 if total_diffs else 0)


if __name__ == "__main__":
    main()
