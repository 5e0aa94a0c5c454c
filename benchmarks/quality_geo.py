"""Place tagging and geocoding quality on the LGL corpus (../shared/eval/geo-lgl, its README's metrics).

newsflow (spaCy parse -> tasks.extract -> tasks.enrich.geocode) is printed beside a raw reference:
spaCy's own GPE/LOC spans, each given the most populous gazetteer match, and the same most-populous
rule on the gold names. Figures (distances are haversine on a 6,371.0 km sphere):

- tagging P/R/F1 by character overlap over all gold toponyms (and the exact-span variant);
- end-to-end acc@161: gold toponyms with coordinates that are found and whose first overlapping
  prediction has a point, share within 161 km (n and median km beside it);
- share of the gold toponyms with coordinates that get a correct point (found, resolved, < 161 km);
- resolver alone on the gold names (each article's gold phrases resolved together), acc@161 over
  all of them, no candidate counting as wrong; and how often the GeoNames id is the gold one;
- the three geocoding figures again on half A (the first 294 articles by numeric docid, the half
  error analysis may look at) and half B (the other 294, for checking only).

    python benchmarks/quality_geo.py [path/to/shared/eval]

Parsing the 588 articles dominates the run time; NEWSFLOW_EVAL_CACHE=<dir> keeps the parsed docs.
"""

from __future__ import annotations

import hashlib
import math
import os
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EARTH_RADIUS_KM = 6371.0
ACC_KM = 161.0


@dataclass(frozen=True)
class GoldToponym:
    start: int
    end: int
    phrase: str
    latitude: float | None
    longitude: float | None
    geonames_id: int | None


@dataclass(frozen=True)
class GoldArticle:
    text: str
    toponyms: tuple[GoldToponym, ...]
    docid: str = ""


@dataclass(frozen=True)
class Prediction:
    start: int
    end: int
    latitude: float | None
    longitude: float | None
    geonames_id: int | None = None


def load_lgl(path: Path) -> list[GoldArticle]:
    articles = []
    for article in ET.parse(path).getroot():
        toponyms = []
        for toponym in article.find("toponyms") or []:
            gaztag = toponym.find("gaztag")
            lat = lon = None
            gid = None
            if gaztag is not None and gaztag.findtext("lat"):
                lat, lon = float(gaztag.findtext("lat") or 0), float(gaztag.findtext("lon") or 0)
                gid = int(gaztag.get("geonameid") or 0) or None
            toponyms.append(GoldToponym(int(toponym.findtext("start") or 0), int(toponym.findtext("end") or 0),
                                        toponym.findtext("phrase") or "", lat, lon, gid))
        articles.append(GoldArticle(article.findtext("text") or "", tuple(toponyms), article.get("docid") or ""))
    return articles


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


# ---------------------------------------------------------------- predictions


def _parsed_docs(texts: list[str]) -> list[Any]:
    from newsflow.tasks.nlp import MODEL, load_nlp, parse

    cache_dir = os.environ.get("NEWSFLOW_EVAL_CACHE")
    if not cache_dir:
        return parse(texts)
    from spacy.tokens import DocBin

    digest = hashlib.md5(("\x00".join(texts) + MODEL).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"lgl-{digest}.spacy"
    if path.exists():
        return list(DocBin().from_disk(path).get_docs(load_nlp().vocab))
    docs = parse(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    DocBin(store_user_data=False, docs=docs).to_disk(path)
    return docs


def newsflow_predictions(articles: Sequence[GoldArticle], docs: Sequence[Any]) -> tuple[list[list[Prediction]], float]:
    """Location rows of each article as predictions, and the mean geocode() CPU time per article (ms)."""
    from newsflow.tasks.enrich import geocode
    from newsflow.tasks.extract import extract_entities

    entities = [extract_entities(doc) for doc in docs]
    out = []
    elapsed = 0.0
    for article, mentions in zip(articles, entities, strict=True):
        started = time.process_time()
        rows = geocode(mentions, article.text)
        elapsed += time.process_time() - started
        out.append([Prediction(r["start_char"], r["end_char"], r["latitude"], r["longitude"], r["geonames_id"])
                    for r in rows])
    return out, 1000 * elapsed / max(1, len(articles))


def most_populous(name: str) -> Any:
    """The raw reference's resolver: the most populous gazetteer entry of that name."""
    from newsflow.tasks.geo import gazetteer

    candidates = [p for p in gazetteer().candidates(name) if p.has_point]
    return max(candidates, key=lambda p: p.population) if candidates else None


def reference_predictions(docs: Sequence[Any]) -> list[list[Prediction]]:
    out = []
    for doc in docs:
        preds = []
        for ent in doc.ents:
            if ent.label_ in ("GPE", "LOC"):
                place = most_populous(ent.text)
                preds.append(Prediction(ent.start_char, ent.end_char, place.latitude if place else None,
                                        place.longitude if place else None, place.geonames_id if place else None))
        out.append(preds)
    return out


# ---------------------------------------------------------------- metrics


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def end_to_end(articles: Sequence[GoldArticle], predictions: Sequence[Sequence[Prediction]]) -> dict[str, float]:
    n_pred = correct_pred = exact_pred = 0
    found = exact_found = n_gold = n_coords = 0
    distances: list[float] = []
    for article, preds in zip(articles, predictions, strict=True):
        preds = sorted(preds, key=lambda p: (p.start, p.end))
        n_pred += len(preds)
        correct_pred += sum(any(_overlaps(p.start, p.end, g.start, g.end) for g in article.toponyms) for p in preds)
        exact_pred += sum(any(p.start == g.start and p.end == g.end for g in article.toponyms) for p in preds)
        for gold in article.toponyms:
            n_gold += 1
            overlapping = [p for p in preds if _overlaps(p.start, p.end, gold.start, gold.end)]
            found += bool(overlapping)
            exact_found += any(p.start == gold.start and p.end == gold.end for p in preds)
            if gold.latitude is None or gold.longitude is None:
                continue
            n_coords += 1
            if overlapping and overlapping[0].latitude is not None and overlapping[0].longitude is not None:
                distances.append(haversine_km(gold.latitude, gold.longitude,
                                              overlapping[0].latitude, overlapping[0].longitude))

    def f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    precision, recall = correct_pred / max(1, n_pred), found / max(1, n_gold)
    exact_p, exact_r = exact_pred / max(1, n_pred), exact_found / max(1, n_gold)
    good = sum(d < ACC_KM for d in distances)
    return {
        "precision": precision, "recall": recall, "f1": f1(precision, recall),
        "exact_f1": f1(exact_p, exact_r),
        "n": len(distances), "acc161": good / max(1, len(distances)),
        "median_km": statistics.median(distances) if distances else float("nan"),
        "share_correct": good / max(1, n_coords),
    }


def halves(articles: Sequence[GoldArticle]) -> tuple[list[int], list[int]]:
    """Article indices of half A (the first half by numeric docid, for error analysis) and half B
    (the rest, for checking only)."""
    order = sorted(range(len(articles)), key=lambda i: int(articles[i].docid or 0))
    return sorted(order[:len(order) // 2]), sorted(order[len(order) // 2:])


def resolver_alone(articles: Sequence[GoldArticle],
                   resolve: Callable[[Sequence[GoldToponym], str], list[Any]]) -> dict[str, float]:
    """resolve(gold toponyms, text) -> one place (or None) per toponym, in order."""
    total = good = same_id = 0
    for article in articles:
        places = resolve(article.toponyms, article.text)
        for gold, place in zip(article.toponyms, places, strict=True):
            if gold.latitude is None or gold.longitude is None:
                continue
            total += 1
            if place is None:
                continue
            good += haversine_km(gold.latitude, gold.longitude, place.latitude, place.longitude) < ACC_KM
            same_id += place.geonames_id == gold.geonames_id
    return {"n": total, "acc161": good / max(1, total), "same_id": same_id / max(1, total)}


def _newsflow_resolve(toponyms: Sequence[GoldToponym], text: str) -> list[Any]:
    """The gold names with their positions in the article (the resolver reads qualifiers after them)."""
    from newsflow.tasks.geo import PlaceQuery, resolve_places

    return [r.place for r in resolve_places([PlaceQuery(g.phrase, g.start, g.end) for g in toponyms], text)]


def _reference_resolve(toponyms: Sequence[GoldToponym], text: str) -> list[Any]:
    return [most_populous(g.phrase) for g in toponyms]


def report(eval_root: Path) -> str:
    path = eval_root / "geo-lgl" / "lgl.xml"
    if not path.exists():
        return f"places: no LGL corpus at {path}"
    articles = load_lgl(path)
    from newsflow.tasks.geo import gazetteer

    started = time.process_time()
    gazetteer()
    load_s = time.process_time() - started
    docs = _parsed_docs([a.text for a in articles])
    ours, ms_per_article = newsflow_predictions(articles, docs)
    reference = reference_predictions(docs)
    ours_e2e, ref_e2e = end_to_end(articles, ours), end_to_end(articles, reference)
    ours_res, ref_res = resolver_alone(articles, _newsflow_resolve), resolver_alone(articles, _reference_resolve)
    n_coords = sum(g.latitude is not None for a in articles for g in a.toponyms)
    lines = [
        f"places: LGL ({len(articles)} articles, {sum(len(a.toponyms) for a in articles)} toponyms, "
        f"{n_coords} with coordinates)",
        f"{'':<44} {'newsflow':>9} {'reference':>10}",
    ]

    def row(label: str, a: float, b: float, fmt: str = ".3f") -> None:
        lines.append(f"{label:<44} {a:>9{fmt}} {b:>10{fmt}}")

    row("tagging P (overlap)", ours_e2e["precision"], ref_e2e["precision"])
    row("tagging R (overlap)", ours_e2e["recall"], ref_e2e["recall"])
    row("tagging F1 (overlap)", ours_e2e["f1"], ref_e2e["f1"])
    row("tagging F1 (exact span)", ours_e2e["exact_f1"], ref_e2e["exact_f1"])
    row("end-to-end n (found and resolved)", ours_e2e["n"], ref_e2e["n"], ".0f")
    row("end-to-end acc@161", ours_e2e["acc161"], ref_e2e["acc161"])
    row("end-to-end median km", ours_e2e["median_km"], ref_e2e["median_km"], ".1f")
    row("share of gold toponyms with a correct point", ours_e2e["share_correct"], ref_e2e["share_correct"])
    row("resolver alone on gold names, acc@161", ours_res["acc161"], ref_res["acc161"])
    row("resolver alone, same GeoNames id", ours_res["same_id"], ref_res["same_id"])
    for label, half in zip("AB", halves(articles), strict=True):
        e2e = end_to_end([articles[i] for i in half], [ours[i] for i in half])
        res = resolver_alone([articles[i] for i in half], _newsflow_resolve)
        lines.append(f"newsflow, half {label} ({len(half)} articles by docid): end-to-end acc@161 {e2e['acc161']:.3f}, "
                     f"share correct {e2e['share_correct']:.3f}, resolver alone {res['acc161']:.3f}")
    lines.append("reference = spaCy GPE/LOC spans (gold names for the resolver line), most populous gazetteer match")
    lines.append(f"CPU: gazetteer load {load_s:.2f} s; geocode() {ms_per_article:.2f} ms per article (entities given)")
    return "\n".join(lines)


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "eval"
    print(report(root))
