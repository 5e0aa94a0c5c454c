"""Named-entity quality on the CoNLL-2003 English dev split (`ner-conll2003-dev/eng.testa`).

Scores newsflow's entity extraction (tasks.nlp.parse, which recases all-caps lines and ends
sentences at line breaks, then tasks.entities) beside raw spaCy NER (the stock model on the same
text), with the metric the set's README defines: each document is its
sentences joined by newlines, spaCy labels are mapped onto CoNLL's (PERSON -> PER; ORG; GPE, LOC,
FAC -> LOC; NORP, EVENT, LAW, PRODUCT, WORK_OF_ART, LANGUAGE -> MISC; numbers and dates
dropped), a prediction covers every gold token its characters overlap, and precision / recall /
F1 count exact (document, token span, type) matches, micro-averaged (conlleval). Also printed:
the type-ignored F1 (boundaries only), per-type figures, the README's "'the' dropped" variant,
and what newsflow changes: "fixed" are gold entities newsflow finds and raw spaCy misses,
"broken" the reverse, over raw spaCy and for the repairs alone over newsflow's own parse.

    python benchmarks/quality_ner.py [--cpu] [--toponyms]

--cpu adds the process time per article of the entity work on real news bodies; --toponyms an
out-of-domain check of place mentions against LGL's gold toponyms.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

CONLL_TYPES = ("PER", "LOC", "ORG", "MISC")
SPACY_TO_CONLL = {
    "PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC",
    "NORP": "MISC", "EVENT": "MISC", "LAW": "MISC", "PRODUCT": "MISC", "WORK_OF_ART": "MISC",
    "LANGUAGE": "MISC",
}

Entity = tuple[int, int, int, str]  # (document, first token, last token + 1, CoNLL type)


@dataclass
class ConllDocument:
    text: str
    token_offsets: list[tuple[int, int]]  # [start, end) of every token in text
    gold: set[tuple[int, int, str]]  # (first token, last token + 1, type)


def read_conll(path: Path) -> list[ConllDocument]:
    """Documents of an IOB1 CoNLL-2003 file, closing one at every DOCSTART line and at the end
    (this copy puts DOCSTART after each document, not before)."""
    documents: list[ConllDocument] = []
    sentences: list[list[tuple[str, str]]] = []
    sentence: list[tuple[str, str]] = []

    def close_document() -> None:
        if sentence:
            sentences.append(list(sentence))
            sentence.clear()
        if sentences:
            documents.append(_document(sentences))
            sentences.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-DOCSTART-"):
            close_document()
        elif not line.strip():
            if sentence:
                sentences.append(list(sentence))
                sentence.clear()
        else:
            fields = line.split(" ")
            sentence.append((fields[0], fields[-1]))
    close_document()
    return documents


def _document(sentences: list[list[tuple[str, str]]]) -> ConllDocument:
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    gold: set[tuple[int, int, str]] = set()
    position = 0
    for sentence in sentences:
        chunk_start, chunk_type = -1, ""
        for i, (token, tag) in enumerate(sentence):
            index = len(offsets)
            if i:
                parts.append(" ")
                position += 1
            offsets.append((position, position + len(token)))
            parts.append(token)
            position += len(token)
            kind = tag[2:] if tag != "O" else ""
            if chunk_type and (kind != chunk_type or tag.startswith("B-")):
                gold.add((chunk_start, index, chunk_type))
                chunk_type = ""
            if kind and not chunk_type:
                chunk_start, chunk_type = index, kind
        if chunk_type:
            gold.add((chunk_start, len(offsets), chunk_type))
        parts.append("\n")
        position += 1
    return ConllDocument("".join(parts), offsets, gold)


def token_span(document: ConllDocument, start_char: int, end_char: int) -> tuple[int, int] | None:
    """The gold tokens a character span overlaps, as [first, last + 1)."""
    covered = [i for i, (s, e) in enumerate(document.token_offsets) if s < end_char and e > start_char]
    return (covered[0], covered[-1] + 1) if covered else None


def predicted_set(
    documents: list[ConllDocument], predictions: list[Iterable[tuple[str, int, int]]]
) -> set[Entity]:
    """(document, token start, token end, CoNLL type) of spaCy-labelled character spans."""
    found: set[Entity] = set()
    for n, (document, spans) in enumerate(zip(documents, predictions, strict=True)):
        for label, start_char, end_char in spans:
            kind = SPACY_TO_CONLL.get(label)
            span = token_span(document, start_char, end_char) if kind else None
            if kind and span:
                found.add((n, span[0], span[1], kind))
    return found


def prf(found: set, gold: set) -> tuple[float, float, float]:
    hits = len(found & gold)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass
class Scores:
    overall: tuple[float, float, float]
    untyped: tuple[float, float, float]
    per_type: dict[str, tuple[float, float, float]]


def score(found: set[Entity], gold: set[Entity]) -> Scores:
    return Scores(
        overall=prf(found, gold),
        untyped=prf({e[:3] for e in found}, {e[:3] for e in gold}),
        per_type={t: prf({e for e in found if e[3] == t}, {e for e in gold if e[3] == t}) for t in CONLL_TYPES},
    )


def _strip_the(found: set[Entity], documents: list[ConllDocument]) -> set[Entity]:
    """The README's labelled variant: a leading "the"/"The" token dropped from every prediction."""
    stripped = set()
    for n, start, end, kind in found:
        document = documents[n]
        s, e = document.token_offsets[start]
        if end - start > 1 and document.text[s:e].lower() == "the":
            start += 1
        stripped.add((n, start, end, kind))
    return stripped


def report(eval_root: Path) -> str:
    import spacy

    from newsflow.tasks.entities import extract_entities
    from newsflow.tasks.nlp import MODEL, parse

    documents = read_conll(eval_root / "ner-conll2003-dev" / "eng.testa")
    gold = {(n, *g) for n, d in enumerate(documents) for g in d.gold}
    texts = [d.text for d in documents]
    # Raw spaCy: the stock model on the text as it is, no newsflow preparation or repair.
    stock = spacy.load(MODEL)
    raw_docs = list(stock.pipe(texts, batch_size=16))
    raw = predicted_set(documents, [[(e.label_, e.start_char, e.end_char) for e in doc.ents] for doc in raw_docs])
    del raw_docs, stock
    started = time.process_time()
    docs = parse(texts)
    parse_seconds = time.process_time() - started
    # spaCy's own entities on newsflow's parse (all-caps lines recased, line breaks end
    # sentences), before the repairs: splits the gain between preparation and repairs.
    prepared = predicted_set(documents, [[(e.label_, e.start_char, e.end_char) for e in doc.ents] for doc in docs])
    extract_entities(docs[0])  # lexicons load once per process, outside the per-document figure
    started = time.process_time()
    mentions = [extract_entities(doc) for doc in docs]
    entity_seconds = time.process_time() - started
    ours = predicted_set(documents, [[(m.type, m.start, m.end) for m in ms] for ms in mentions])
    raw_scores, our_scores = score(raw, gold), score(ours, gold)
    fixed = len((ours & gold) - raw)
    broken = len((raw & gold) - ours)
    repairs_fixed = len((ours & gold) - prepared)
    repairs_broken = len((prepared & gold) - ours)

    def row(name: str, ours_prf: tuple[float, float, float], raw_prf: tuple[float, float, float]) -> str:
        return (f"  {name:<14} " + " ".join(f"{v:6.3f}" for v in ours_prf) + "   "
                + " ".join(f"{v:6.3f}" for v in raw_prf))

    counts = Counter(e[3] for e in gold)
    lines = [
        f"Entities: CoNLL-2003 dev (eng.testa), {len(documents)} documents, {len(gold)} gold entities "
        "(sentences joined by newlines; exact span+type, micro-averaged)",
        f"  {'':<14} {'newsflow P / R / F1':>20}   {'raw spaCy P / R / F1':>20}",
        row("all types", our_scores.overall, raw_scores.overall),
        row("type-ignored", our_scores.untyped, raw_scores.untyped),
        *(row(f"{t} ({counts[t]})", our_scores.per_type[t], raw_scores.per_type[t]) for t in CONLL_TYPES),
        row("'the' dropped", score(_strip_the(ours, documents), gold).overall,
            score(_strip_the(raw, documents), gold).overall),
        f"  newsflow parse, spaCy's entities unrepaired: F1 {score(prepared, gold).overall[2]:.3f}",
        f"  newsflow over raw spaCy: fixes {fixed} gold entities raw spaCy misses, breaks {broken} it finds "
        f"(broken/fixed {broken / max(1, fixed):.2f})",
        f"  repairs alone (tasks.entities over newsflow's parse): fix {repairs_fixed}, break {repairs_broken} "
        f"(broken/fixed {repairs_broken / max(1, repairs_fixed):.2f})",
        f"  CPU: newsflow parse {1000 * parse_seconds / len(docs):.1f} ms, entity extraction "
        f"{1000 * entity_seconds / len(docs):.2f} ms per document (process time)",
    ]
    return "\n".join(lines)


def cpu_report(eval_root: Path, pages: int = 120) -> str:
    """Process time per article of what newsflow adds around spaCy for entities, on real news
    bodies (the article-extraction set's expected texts): recasing before parsing, line-break
    sentence starts, and entity extraction; best of three rounds, lexicons loaded beforehand."""
    import json

    from newsflow.tasks.entities import extract_entities, multiword_places, proper_common_words
    from newsflow.tasks.nlp import _line_break_sentences, load_nlp, normalise_case, parse

    truth = json.loads((eval_root / "article-extraction" / "ground-truth.json").read_text(encoding="utf-8"))
    texts = [item["articleBody"] for _, item in sorted(truth.items()) if item.get("articleBody")][:pages]
    docs = parse(texts)
    proper, phrases = proper_common_words(), multiword_places()
    extract_entities(docs[0])
    made = [load_nlp().make_doc(t) for t in texts]

    def best(work: Callable[[], object]) -> float:
        rounds = []
        for _ in range(3):
            started = time.process_time()
            work()
            rounds.append(time.process_time() - started)
        return 1000 * min(rounds) / len(texts)

    recasing = best(lambda: [normalise_case(t, proper, phrases) for t in texts])
    line_breaks = best(lambda: [_line_break_sentences(d) for d in made])
    entities = best(lambda: [extract_entities(d) for d in docs])
    median = sorted(map(len, texts))[len(texts) // 2]
    return (f"Entities CPU on {len(texts)} news bodies (median {median} characters), ms per article: "
            f"recasing {recasing:.2f}, line-break sentences {line_breaks:.2f}, entity extraction {entities:.2f}")


def toponym_report(eval_root: Path) -> str:
    """An out-of-domain check of place mentions on the LGL local-news set (`geo-lgl/lgl.xml`):
    exact character spans of GPE/LOC/FAC mentions against the gold toponyms, newsflow beside raw
    spaCy. (LGL also tags demonyms such as "Russian" as toponyms; both sides miss those alike.)"""
    import xml.etree.ElementTree as ET

    import spacy

    from newsflow.tasks.entities import extract_entities
    from newsflow.tasks.nlp import MODEL, parse

    articles = ET.parse(eval_root / "geo-lgl" / "lgl.xml").getroot().findall("article")
    texts = [a.findtext("text") or "" for a in articles]
    gold = [{(int(t.findtext("start") or 0), int(t.findtext("end") or 0)) for t in a.iter("toponym")}
            for a in articles]
    places = {"GPE", "LOC", "FAC"}
    stock = spacy.load(MODEL)
    raw = [{(e.start_char, e.end_char) for e in doc.ents if e.label_ in places}
           for doc in stock.pipe(texts, batch_size=16)]
    ours = [{(m.start, m.end) for m in extract_entities(doc) if m.type in places} for doc in parse(texts)]

    def pr(found: list[set[tuple[int, int]]]) -> str:
        hits = sum(len(f & g) for f, g in zip(found, gold, strict=True))
        return f"P {hits / max(1, sum(map(len, found))):.3f} R {hits / max(1, sum(map(len, gold))):.3f}"

    return (f"Place mentions on LGL ({len(texts)} articles, {sum(map(len, gold))} gold toponyms, exact spans): "
            f"newsflow {pr(ours)}; raw spaCy {pr(raw)}")


if __name__ == "__main__":
    import sys

    root = Path(__file__).resolve().parents[2] / "shared" / "eval"
    print(report(root))
    if "--cpu" in sys.argv:
        print(cpu_report(root))
    if "--toponyms" in sys.argv:
        print(toponym_report(root))
