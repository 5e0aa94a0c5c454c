"""Quote detection and speaker attribution on the PolNeAR dev split (`quotes-polnear-dev`).

Scores newsflow's quotes (tasks.quotes over its own entity mentions) beside a raw reference
baseline: every quoted segment is a quote and its speaker is the nearest raw spaCy PERSON outside
quotes (same paragraph first, else the nearest one before it). The metric is the one the dev
set's README defines:

- detection: a prediction is correct if it overlaps a gold quote; P, R (over the 779 gold
  quotes), F1;
- named speakers: over the 577 gold quotes with a non-pronoun Source, the speaker of the first
  overlapping prediction against the Source, compared leniently (normalised words, the last word
  of either among the words of the other); accuracy over the detected ones and over all 577;
- pronoun speakers: over the 193 gold quotes with a pronoun Source, against the nearest earlier
  non-pronoun Source of the article (the silver antecedent).

Texts are parsed as they are, with no-break spaces made spaces as cleaning does (same length), so
the gold offsets hold. It also prints the CPU time of quote extraction per article (parsing and
entity extraction excluded).

    python benchmarks/quality_quotes.py [../shared/eval]
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from newsflow.tasks.extract import Mention

System = Callable[["Doc", "list[Mention]"], "list[Prediction]"]

DATASET = "quotes-polnear-dev"
SEGMENT_RE = re.compile(r"“([^”]+?)”|\"([^\"\n]+?)\"")
_DROPPED_WORDS = {
    "the", "a", "an", "of", "mr", "mrs", "ms", "dr", "president", "sen", "senator", "rep", "gov",
    "governor", "former", "secretary", "candidate", "nominee", "republican", "democratic",
}
_PRONOUN_WORDS = {"he", "she", "they", "i", "we", "it", "you", "him", "her", "them", "who", "which"}
_POSSESSIVE = re.compile(r"[\w'’.-]*(?:'s|’s|s'|s’)(?!\w)")


@dataclass(frozen=True)
class GoldQuote:
    start: int
    end: int
    kind: str  # "named" | "pronoun" | "no-source"
    source: str | None
    target: str | None  # what the predicted speaker is compared with (silver antecedent for pronouns)


@dataclass(frozen=True)
class Prediction:
    start: int
    end: int
    speaker: str | None


@dataclass
class Article:
    name: str
    text: str
    gold: list[GoldQuote]


def speaker_words(text: str) -> list[str]:
    """The README's normalisation: lowercase, possessive words out, [a-z0-9]+ words, titles out."""
    lowered = _POSSESSIVE.sub(" ", text.lower())
    return [w for w in re.findall(r"[a-z0-9]+", lowered) if w not in _DROPPED_WORDS]


def same_speaker(predicted: str | None, gold: str | None) -> bool:
    if not predicted or not gold:
        return False
    a, b = speaker_words(predicted), speaker_words(gold)
    if not a or not b:
        return False
    return a[-1] in b or b[-1] in a


def is_pronoun(source: str) -> bool:
    words = speaker_words(source)
    return bool(words) and all(w in _PRONOUN_WORDS for w in words)


def _spans(field: str) -> list[tuple[int, int]]:
    pieces = []
    for piece in field.split(";"):
        start, end = piece.split()[-2:]
        pieces.append((int(start), int(end)))
    return pieces


def parse_gold(text: str, annotation: str) -> list[GoldQuote]:
    spans: dict[str, tuple[str, list[tuple[int, int]], str]] = {}
    events: list[dict[str, str]] = []
    for line in annotation.splitlines():
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 3:
            label = parts[1].split()[0]
            spans[parts[0]] = (label, _spans(parts[1]), parts[2])
        elif line.startswith("E") and len(parts) >= 2:
            events.append(dict(role.split(":", 1) for role in parts[1].split()))
    attributions = []  # (content pieces, source text, source start)
    for roles in events:
        if "Content" not in roles:
            continue  # an annotation slip: a trigger without content
        source = spans.get(roles.get("Source", ""))
        source_text = " ".join(text[a:b] for a, b in source[1]) if source else None
        attributions.append((spans[roles["Content"]][1], source_text, source[1][0][0] if source else None))
    named_sources = sorted(
        (start, source) for _, source, start in attributions
        if source is not None and start is not None and not is_pronoun(source)
    )
    gold = []
    for match in SEGMENT_RE.finditer(text):
        group = 1 if match.group(1) is not None else 2
        s, e = match.start(group), match.end(group)
        for pieces, source, source_start in attributions:
            inside = sum(max(0, min(e, b) - max(s, a)) for a, b in pieces)
            if inside * 2 < e - s:
                continue
            if source is None or source_start is None:
                gold.append(GoldQuote(s, e, "no-source", None, None))
            elif is_pronoun(source):
                earlier = [name for start, name in named_sources if start < source_start]
                gold.append(GoldQuote(s, e, "pronoun", source, earlier[-1] if earlier else None))
            else:
                gold.append(GoldQuote(s, e, "named", source, source))
            break
    return gold


def load_articles(folder: Path) -> list[Article]:
    articles = []
    for path in sorted((folder / "text").glob("*.txt")):
        annotations = sorted((folder / "attributions").glob(f"{path.stem}_*.ann"))
        if not annotations:
            continue
        # The README's choice for the two articles annotated six times: the first file by name.
        text = path.read_text(encoding="utf-8")
        articles.append(Article(path.stem, text, parse_gold(text, annotations[0].read_text(encoding="utf-8"))))
    return articles


@dataclass
class Scores:
    predictions: int = 0
    correct_predictions: int = 0
    gold: int = 0
    detected: int = 0
    named: int = 0
    named_detected: int = 0
    named_right: int = 0
    pronoun: int = 0
    pronoun_detected: int = 0
    pronoun_right: int = 0

    @property
    def precision(self) -> float:
        return self.correct_predictions / self.predictions if self.predictions else 0.0

    @property
    def recall(self) -> float:
        return self.detected / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def score_article(scores: Scores, gold: list[GoldQuote], predictions: list[Prediction]) -> None:
    predictions = sorted(predictions, key=lambda p: (p.start, p.end))
    scores.predictions += len(predictions)
    scores.correct_predictions += sum(
        any(_overlaps(p.start, p.end, g.start, g.end) for g in gold) for p in predictions
    )
    scores.gold += len(gold)
    for g in gold:
        first = next((p for p in predictions if _overlaps(p.start, p.end, g.start, g.end)), None)
        scores.detected += first is not None
        right = first is not None and same_speaker(first.speaker, g.target)
        if g.kind == "named":
            scores.named += 1
            scores.named_detected += first is not None
            scores.named_right += right
        elif g.kind == "pronoun":
            scores.pronoun += 1
            scores.pronoun_detected += first is not None
            scores.pronoun_right += right


def evaluation_text(text: str) -> str:
    """The text as the pipeline's cleaning would leave it where offsets allow: no-break spaces
    become spaces (same length, so the gold offsets still hold)."""
    return text.replace("\u00a0", " ")


def newsflow_predictions(doc: Doc, entities: list[Mention]) -> list[Prediction]:
    from newsflow.tasks.quotes import extract_quotes

    quotes = extract_quotes(doc, entities)
    return [Prediction(q["start_char"], q["end_char"], q["speaker"]) for q in quotes]


def nearest_person_predictions(doc: Doc, entities: list[Mention]) -> list[Prediction]:
    """The raw reference: every quoted segment, speaker the nearest raw PERSON outside quotes."""
    text = doc.text
    segments = [(m.start(1 if m.group(1) is not None else 2), m.end(1 if m.group(1) is not None else 2))
                for m in SEGMENT_RE.finditer(text)]
    persons = [
        e for e in doc.ents
        if e.label_ == "PERSON" and not any(s - 1 <= e.start_char < end + 1 for s, end in segments)
    ]
    predictions = []
    for start, end in segments:
        para_start = text.rfind("\n\n", 0, start) + 1
        para_end = text.find("\n\n", end)
        para_end = len(text) if para_end < 0 else para_end
        same_paragraph = [p for p in persons if para_start <= p.start_char < para_end]
        if same_paragraph:
            nearest = min(same_paragraph, key=lambda p: min(abs(p.start_char - end), abs(p.end_char - start)))
        else:
            before = [p for p in persons if p.end_char <= start]
            nearest = before[-1] if before else None
        predictions.append(Prediction(start, end, nearest.text if nearest is not None else None))
    return predictions


def evaluate(
    articles: list[Article], docs: Iterable[Doc], systems: dict[str, System]
) -> tuple[dict[str, Scores], dict[str, float]]:
    """Scores of each system, and its CPU seconds in all (the entity mentions newsflow's quotes
    take as input are extracted once, outside the timing: they belong to the entity stage)."""
    from newsflow.tasks.extract import extract_entities

    scores = {name: Scores() for name in systems}
    seconds = dict.fromkeys(systems, 0.0)
    for article, doc in zip(articles, docs, strict=True):
        entities = extract_entities(doc)
        for name, system in systems.items():
            started = time.process_time()
            predictions = system(doc, entities)
            seconds[name] += time.process_time() - started
            score_article(scores[name], article.gold, predictions)
    return scores, seconds


def parse_articles(articles: list[Article]) -> list[Doc]:
    from newsflow.tasks.nlp import parse

    return parse([evaluation_text(a.text) for a in articles])


def _table(scores: dict[str, Scores], seconds: dict[str, float], n_articles: int) -> list[str]:
    lines = [
        f"{'system':<28} {'P':>6} {'R':>6} {'F1':>6}  {'named (detected)':>18} {'named (all)':>12}"
        f"  {'pronoun (detected)':>19} {'pronoun (all)':>13} {'ms/article':>10}"
    ]
    for name, s in scores.items():
        named_det = s.named_right / s.named_detected if s.named_detected else 0.0
        pron_det = s.pronoun_right / s.pronoun_detected if s.pronoun_detected else 0.0
        lines.append(
            f"{name:<28} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f}"
            f"  {named_det:>7.3f} (n={s.named_detected:>3})  {s.named_right / max(1, s.named):>12.3f}"
            f"  {pron_det:>8.3f} (n={s.pronoun_detected:>3})  {s.pronoun_right / max(1, s.pronoun):>13.3f}"
            f" {1000 * seconds[name] / max(1, n_articles):>10.2f}"
        )
    return lines


def report(eval_root: Path) -> str:
    """Quote detection and speaker accuracy of newsflow and of the raw baseline, as text."""
    folder = eval_root / DATASET
    articles = load_articles(folder)
    docs = parse_articles(articles)
    systems: dict[str, System] = {
        "newsflow quotes": newsflow_predictions,
        "raw: nearest spaCy PERSON": nearest_person_predictions,
    }
    scores, seconds = evaluate(articles, docs, systems)
    first = next(iter(scores.values()))
    lines = [
        f"Quotes: {folder} ({len(articles)} articles, {first.gold} gold quotes: "
        f"{first.named} named speakers, {first.pronoun} pronoun speakers)",
        *_table(scores, seconds, len(articles)),
        "named/pronoun: speaker accuracy over the detected gold quotes (n) and over all of them;"
        " ms/article: CPU of the system's own step (newsflow: tasks.quotes), parsing and entities excluded",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "eval"
    print(report(root))
