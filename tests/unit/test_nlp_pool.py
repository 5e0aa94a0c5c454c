"""Parsing in the worker pool gives the same extraction as parsing in-process."""

import datetime as dt

from tasks.clean import clean_text
from tasks.enrich import enrich_article
from tasks.extract import extract_article
from tasks.nlp import parse


def test_pool_and_in_process_parses_extract_the_same(seed_text: str) -> None:
    body = clean_text(seed_text)
    texts = [body, body.replace("Monday", "Sunday"), body[:1500]]
    single = parse(texts, n_process=1)
    pooled = parse(texts, n_process=2)
    assert [d.text for d in pooled] == texts
    for a, b in zip(single, pooled, strict=True):
        ea, eb = extract_article(a, dt.date(2021, 12, 6)), extract_article(b, dt.date(2021, 12, 6))
        assert [(m.canonical, m.type, m.start) for m in ea.entities] == [(m.canonical, m.type, m.start) for m in eb.entities]
        assert ea.quotes == eb.quotes and ea.amounts == eb.amounts and ea.dates == eb.dates
        assert enrich_article(a, ea.entities, ea.quotes).keywords == enrich_article(b, eb.entities, eb.quotes).keywords
