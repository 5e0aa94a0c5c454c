"""newsflow's JSON-LD steps give what trafilatura's give."""

import random

from newsflow.tasks import jsonld


def test_minify_is_trafilaturas_json_minify() -> None:
    from trafilatura.metadata import JSON_MINIFY

    # Strings, escapes (a backslash before a newline ends no string: '.' stops at newlines),
    # unclosed quotes and Unicode whitespace, in random mixtures.
    alphabet = ['"', '"', "\\", " ", "\n", "\t", "\u00a0", "\u2003", "a", "b", "{", ":", ","]
    rng = random.Random(7)
    texts = ['{"a b": "c\\" d",\n "e": [1, 2]}', 'x "unclosed  y', '"a\\\nb" c', ""]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    for text in texts:
        assert jsonld.minify(text) == JSON_MINIFY.sub(r"\1", text), repr(text)
    assert jsonld.minify('{"name": "Jane  Doe", "x" : 1 }') == '{"name":"Jane  Doe","x":1}'


def test_normalize_json_is_trafilaturas() -> None:
    from trafilatura.json_metadata import normalize_json

    for text in ['{"a":"b"}', '{"a":"J\\u00e9r\\u00f4me \\ud83d\\ude00 <b>x</b> &amp; y\\n"}',
                 '"\\ud800 lone"', "\ud800 raw surrogate \\", '{"a":"tab\\there"}']:
        assert jsonld.normalize_json(text) == normalize_json(text)
    assert jsonld.normalize_json('"J\\u00e9r\\u00f4me \\ud83d"') == '"Jérôme "'


def test_extract_meta_json_is_trafilaturas() -> None:
    from trafilatura.metadata import examine_meta, extract_meta_json
    from trafilatura.utils import load_html

    def fields(document) -> dict:  # the parsed trees in body and commentsbody compare by identity
        return {k: v for k, v in document.as_dict().items() if k not in ("body", "commentsbody")}

    page = """<html><head><script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
      "headline": "Rain  falls", "author": [{"@type": "Person", "name": "Ana\\u00efs Roy"}],
      "publisher": {"@type": "Organization", "name": "The Ledger"}, "datePublished": "2022-01-02"}</script>
      <script type="application/settings+json">{"not": "metadata"}</script>
      <script type="text/javascript">var x = {"author": "Nobody"};</script>
      <script type="application/ld+json">{"@context": "https://schema.org", "@type": "Person", "name": broken json</script>
      <script type="application/ld+json"></script></head><body><p>Text.</p></body></html>"""
    theirs = extract_meta_json(load_html(page), examine_meta(load_html(page)))
    ours = jsonld.extract_meta_json(load_html(page), examine_meta(load_html(page)))
    assert fields(ours) == fields(theirs)
    assert (ours.author, ours.sitename, ours.title) == ("Anaïs Roy", "The Ledger", "Rain falls")
