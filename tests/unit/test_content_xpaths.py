"""The stand-ins of newsflow.tasks.content_xpaths select what trafilatura's XPath expressions select."""

import random

import pytest

from newsflow.tasks import content_xpaths


def test_translated_expressions_are_the_installed_ones() -> None:
    # Otherwise trafilatura keeps its own expressions and the stand-ins are never used.
    assert content_xpaths.translation_is_current()


def test_no_regular_expression_matches_an_empty_value() -> None:
    # Which lets an element without attributes be skipped without testing it.
    assert all(pattern.search("") is None for pattern in content_xpaths.PATTERNS)


_TAGS = ["article", "div", "main", "section", "item", "list", "p", "span", "h1", "li", "a", "table"]
_WORDS = ["post", "entry", "post-body", "post_text", "postentry", "articleBody", "articlebody", "ArticleContent",
          "article-content", "art-content", "article__body", "body-text", "article__container", "article",
          "article x", "x article ", "story", "story-body", "storycontent", "fulltext", "FullText", "FULLTEXT",
          "postarea", "text", "cell", "primary", "x-primary", "single-post", "content", "Content", "main-content",
          "Main-Content", "MAIN-content", "page-content", "Page-Content", "content_main", "content__body",
          "contentBody", "cookie", "Cookie", "cookies-x", "share", "shareBar", "x-share-", "social", "nav", "Nav",
          "subnav", "navigation", "menu", "bar", " ad ", "x ad-y", "ad-top", "head-ad-x", "dfpAd", "widget",
          "footer", "Footer", "byline", "Byline", "author", "tags", "tag-list", "consent", "related", "elated",
          "next-", "meta", "slide", "overlay", "yin", "premium", "jp-x", "dpsp-content", "bmdh", "teaser",
          "Teaser", "TEASER", "caption", "Caption", "hidden", "Hidden", "reply-box", "x reply-", "comments-title",
          "nocomments", "-reply-", "message", "akismet", "reader-comments", "hide-print", "x hidden", "x hide",
          "hide-x", "noprint", "notloaded", "suggest-links", "main", "x", ""]
_VALUES = {
    "class": _WORDS, "id": _WORDS,
    "style": ["display:none", "display: none", "color: red", "hidden", "visibility:hidden", ""],
    "role": ["navigation", "Navigation", "NAV", "article", "main", "banner"],
    "itemprop": ["articleBody", "articlebody", "author"],
    "data-component": ["MostPopularStories", "Byline"],
    "aria-hidden": ["true", "false", "TRUE"],
    "data-lp-replacement-content": ["", "1"],
}


def _value(rng: random.Random, name: str) -> str:
    words = _VALUES[name]
    if rng.random() < 0.3:
        return rng.choice(words) + rng.choice([" ", "-", ""]) + rng.choice(words)
    return rng.choice(words)


def _random_element(rng: random.Random, depth: int) -> str:
    names = [name for name in _VALUES if rng.random() < (0.45 if name in ("class", "id") else 0.08)]
    rng.shuffle(names)
    attributes = " ".join(f'{name}="{_value(rng, name)}"' for name in names)
    tag = rng.choice(_TAGS)
    children = "".join(_random_element(rng, depth + 1) for _ in range(rng.randint(0, 4) if depth < 4 else 0))
    return f"<{tag} {attributes}>text{children}</{tag}>"


def test_stand_ins_select_what_the_expressions_select() -> None:
    from trafilatura.utils import load_html

    rng = random.Random(2024)
    selected = dict.fromkeys(range(len(content_xpaths._swaps())), 0)
    for _ in range(300):
        tree = load_html(f"<html><body>{''.join(_random_element(rng, 0) for _ in range(rng.randint(1, 5)))}</body></html>")
        for context in tree.iter():  # called on every element, as on the subtrees trafilatura picks
            for number, (_, _, stand_in) in enumerate(content_xpaths._swaps()):
                expected = stand_in.original(context)
                assert stand_in(context) == expected, (stand_in.path, context)
                selected[number] += bool(expected)
    assert all(count > 50 for count in selected.values()), selected  # every expression does select


def test_stand_ins_are_in_place_only_inside_the_block() -> None:
    from lxml.etree import XPath
    from trafilatura import xpaths

    def current() -> list:
        return [xpaths.BODY_XPATH[0], xpaths.OVERALL_DISCARD_XPATH[1], xpaths.DISCARD_IMAGE_ELEMENTS[0]]

    assert all(isinstance(x, XPath) for x in current())
    with content_xpaths.in_python():
        assert all(isinstance(x, content_xpaths.Selection) for x in current())
    assert all(isinstance(x, XPath) for x in current())
    with pytest.raises(RuntimeError), content_xpaths.in_python():
        raise RuntimeError
    assert all(isinstance(x, XPath) for x in current())
    assert str(content_xpaths._swaps()[0][2]) == str(xpaths.BODY_XPATH[0])  # what trafilatura logs
