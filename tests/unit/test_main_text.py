"""newsflow.tasks.main_text gives what trafilatura's own functions give, without falling back to them."""

import importlib
import random

import pytest
from lxml import etree

from newsflow.tasks import main_text


def _trafilatura_text(html: str) -> str | None:
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return None
    document = trafilatura.bare_extraction(tree, with_metadata=False, include_comments=False, fast=True)
    return document.text if document is not None else None


def _ours_without_fallback(html: str, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """parse_html then main_text, failing if either hands the page to trafilatura's function."""
    import trafilatura

    with monkeypatch.context() as patch:
        patch.setattr(trafilatura, "bare_extraction", lambda *a, **k: pytest.fail("fell back to trafilatura"))
        patch.setattr("trafilatura.utils.load_html", lambda *a, **k: pytest.fail("fell back to load_html"))
        tree = main_text.parse_html(html)
        return None if tree is None else main_text.main_text(tree)


def _paragraphs(words: str, count: int) -> str:
    return "".join(f"<p>{words} number {i} of the story, which the reporters checked twice.</p>" for i in range(count))


SIDEBAR = "<div class='links'>" + "".join(f"<div>Unrelated teaser {i} {'word ' * 30}</div>" for i in range(20)) + "</div>"

PAGES = {
    "long article": f"<html><head><title>T</title></head><body><article>{_paragraphs('Long', 40)}</article></body></html>",
    # Short text beside much other text: the recall escalation measures the page.
    "short article, long page": f"<html><body><article>{_paragraphs('Short', 6)}</article>{SIDEBAR}</body></html>",
    "short article in divs": f"<html><body><div class='main'>{_paragraphs('Div', 5)}</div>"
    f"<div><div>{'Loose text in a div. ' * 80}</div></div>{SIDEBAR}</body></html>",
    # ...where the page text needs more than the transform: a cookie banner, a soft hyphen in a block.
    "cookie banner": f"<html><body><div class='CookieConsent-banner'>We use cookies.</div><article>"
    f"{_paragraphs('Cookie', 6)}</article>{SIDEBAR}</body></html>",
    "soft hyphen": "<html><body><article>" + _paragraphs("Hy\u00adphen", 6) + f"</article>{SIDEBAR}</body></html>",
    "removed elements with tails": "<html><head><style>p {}</style></head><body><main>"
    + _paragraphs("Tails", 6)
    + "<aside>Aside text</aside>tail one<script>var x;</script>tail two<footer>Foot</footer>"
    "<div id='site-footer' class='x'>links</div><template>t</template><svg><text>s</text></svg></main>"
    + SIDEBAR
    + "</body></html>",
    # The raw-tree pruning: appended articles, share buttons, comment sections and lists.
    "infinite scroll and comments": "<html><body><article>"
    + _paragraphs("Main", 5)
    + "</article><div class='infinite-scroll'><p>Next story " + "text " * 60 + "</p></div>"
    "<section id='mvp-post-add-box'><h1>Appended</h1><p>" + "appended " * 60 + "</p></section>"
    "<aside class='infinitescroll'><h1>Kept: has an h1</h1><p>" + "kept " * 60 + "</p></aside>"
    "<div class='elementor-share-buttons'>Share on X</div>"
    "<div id='comments'><p>" + "A reader comment. " * 20 + "</p></div>"
    "<ol class='commentlist'><li>Commentary</li></ol><ul id='commentary'><li>" + "Kept list. " * 20 + "</li></ul>"
    "<ul class='comment-list'><li>" + "Comment item. " * 20 + "</li></ul></body></html>",
    # A forum thread keeps its comment sections.
    "forum thread": '<html><head><script type="application/ld+json">{"@type": "DiscussionForumPosting"}</script>'
    "</head><body><div class='comments'>" + "".join(f"<p>Post {i} " + "forum words " * 15 + "</p>" for i in range(8))
    + "</div></body></html>",
    # Too little text: trafilatura's baseline rescue; nothing: no text at all.
    "baseline rescue": "<html><body><div><span>Only a short line of text here.</span></div></body></html>",
    "empty body": "<html><body></body></html>",
    "forms": "<html><body><form id='aspnetForm'><article>" + _paragraphs("Form", 6)
    + "</article><input name='q' value='search'><select><option>a</option></select>"
    "<label for='q'>Search</label><textarea>typed</textarea></form><form><input value='x'></form></body></html>",
    "not html": "Just a sentence, no markup at all.",
    "doctype and invalid characters": "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\" \"x/y\">\n<html><body>"
    "<article>" + _paragraphs("Control\x0bcharacters\x1f", 6) + "</article></body></html>",
    "encoding declaration": '<?xml version="1.0" encoding="utf-8"?><html><body><article>'
    + _paragraphs("Declared", 6) + "</article></body></html>",
}


def test_read_from_the_installed_trafilatura() -> None:
    # Otherwise every page goes to trafilatura's own functions and the tests below compare them
    # with themselves. A new trafilatura: read its core, baseline, utils, xpaths and settings
    # against this module, then update READ_FROM.
    assert main_text.replica_is_current()


@pytest.mark.parametrize("name", PAGES)
def test_main_text_is_trafilaturas(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    html = PAGES[name]
    assert _ours_without_fallback(html, monkeypatch) == _trafilatura_text(html)


def test_the_fixtures_reach_the_escalation_and_both_ways_of_measuring_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = importlib.import_module("trafilatura.baseline")  # the package has a function of that name

    measured, by_html2txt = [], []
    page_text_length, html2txt = main_text.page_text_length, baseline.html2txt
    monkeypatch.setattr(main_text, "page_text_length", lambda tree: measured.append(1) or page_text_length(tree))
    monkeypatch.setattr(baseline, "html2txt", lambda tree: by_html2txt.append(1) or html2txt(tree))
    for html in PAGES.values():
        tree = main_text.parse_html(html)
        if tree is not None:
            main_text.main_text(tree)
    assert len(measured) >= 5 and len(by_html2txt) == 1  # the page whose tree has no body


def test_parse_html_gives_load_htmls_tree_and_element_classes() -> None:
    from trafilatura.utils import load_html

    for html in PAGES.values():
        theirs, ours = load_html(html), main_text.parse_html(html)
        if theirs is None:
            assert ours is None
            continue
        assert etree.tostring(ours) == etree.tostring(theirs)
        assert [type(e) for e in ours.iter()] == [type(e) for e in theirs.iter()]
        # also for elements made later in the document, and in copies
        assert type(etree.SubElement(ours, "form")) is type(etree.SubElement(theirs, "form"))


# Random bodies for the page length: block, inline and removed elements, attributes in both orders,
# whitespace of several kinds, and now and then cookie banners, characters that
# remove_control_characters deletes, and the characters the marked transform writes.
_BLOCK = ["p", "div", "li", "h2", "td", "br", "section", "figure", "pre", "table", "header", "nav"]
_INLINE = ["span", "a", "b", "em", "font", "o:p"]
_REMOVED = ["script", "style", "aside", "footer", "svg", "template", "fencedframe"]
_ATTRIBUTES = ['class="footer-links"', 'id="footer"', 'class="x"', 'id="main"', 'class="cookies"',
               'class="site-footer" id="content"', 'id="content" class="site-footer"', "", "", ""]
_TEXTS = ["word", "two words", " ", "\n", "\t", "\u00a0", "\u2003", "&#13;", "x&nbsp;y", "", "", "end.",
          "caf\u00e9", "\U0001f600"]
_RARE_ATTRIBUTES = ['class="cookie-banner"', 'id="CookieBar"', 'class="notice--cookie"', 'class="moove-gdpr"',
                    'id="Cookıe-bar"', 'class="x" id="onetrust-consent"']
_RARE_TEXTS = ["soft\u00adhyphen", "zero\u200bwidth", "\x7f", "\u0085next line", "\u200e", "\ue000", "\ue001"]


def _rare(rng: random.Random, common: list[str], rare: list[str]) -> str:
    return rng.choice(rare if rng.random() < 0.03 else common)


def _random_node(rng: random.Random, depth: int) -> str:
    tag = rng.choice(_BLOCK + _INLINE + _REMOVED + ["div"] * 4)
    parts = [_rare(rng, _TEXTS, _RARE_TEXTS)]
    for _ in range(rng.randint(0, 3)):
        if depth < 4:
            parts.append(_random_node(rng, depth + 1))
        parts.append(_rare(rng, _TEXTS, _RARE_TEXTS))
    return f"<{tag} {_rare(rng, _ATTRIBUTES, _RARE_ATTRIBUTES)}>{''.join(parts)}</{tag}>"


def test_page_text_length_is_the_length_of_html2txt(monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = importlib.import_module("trafilatura.baseline")  # the package has a function of that name

    calls: dict[str, int] = {"html2txt": 0, "_delete_cookie_banners": 0, "_text_with_control_characters_removed": 0}

    def counted(module: object, name: str) -> None:
        function = getattr(module, name)

        def count(*args: object) -> object:
            calls[name] += 1
            return function(*args)

        monkeypatch.setattr(module, name, count)

    html2txt = baseline.html2txt
    counted(baseline, "html2txt")
    counted(main_text, "_delete_cookie_banners")
    counted(main_text, "_text_with_control_characters_removed")
    rng = random.Random(11)
    pages = [f"<html><body>{rng.choice(_TEXTS)}{''.join(_random_node(rng, 0) for _ in range(rng.randint(1, 5)))}"
             f"{rng.choice(_TEXTS)}</body></html>" for _ in range(600)]
    pages += list(PAGES.values())
    for html in pages:
        tree = main_text.parse_html(html)
        if tree is not None:
            assert main_text.page_text_length(tree) == len(html2txt(tree)), html
    # Every way through: cookie banners, control characters, and the marks in the text already.
    assert calls["_delete_cookie_banners"] > 50 and calls["_text_with_control_characters_removed"] > 50
    with_marks = sum("\ue000" in html or "\ue001" in html for html in pages)
    assert 0 < calls["html2txt"] <= with_marks + 1, calls  # and the page whose tree has no body


# Random trees for the raw-tree pruning.
_PRUNE_TAGS = ["div", "section", "aside", "ol", "ul", "list", "details", "p", "span", "article"]
_PRUNE_VALUES = ["mvp-post-add-box", "mvp-post-add-wrap", "x mvp-post-add-boxes", "infinite-scroll",
                 "infinitescroll", "infinite_scroll", "comment", "Comments", "comments-3", "commentary",
                 "x-comment", "comol", "disqus_thread", "dsq-comments", "article-comments", "post-comments",
                 "my-post-comments", "elementor-share-buttons", "elementor-share", "main", ""]


def _random_prune_node(rng: random.Random, depth: int) -> str:
    tag = rng.choice(_PRUNE_TAGS + (["h1"] if depth else []))
    attributes = []
    for name in ("id", "class"):
        if rng.random() < 0.5:
            attributes.append(f'{name}="{rng.choice(_PRUNE_VALUES)}"')
    rng.shuffle(attributes)
    inner = "".join(_random_prune_node(rng, depth + 1) + "tail" for _ in range(rng.randint(0, 3)) if depth < 4)
    return f"<{tag} {' '.join(attributes)}>text{inner}</{tag}>"


@pytest.mark.parametrize("with_comments", [True, False])
def test_prune_raw_tree_is_trafilaturas_pruning(with_comments: bool) -> None:
    from trafilatura.htmlprocessing import prune_unwanted_nodes
    from trafilatura.utils import load_html
    from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

    rng = random.Random(5)
    changed = 0
    for _ in range(400):
        html = f"<html><body>{''.join(_random_prune_node(rng, 0) for _ in range(rng.randint(1, 4)))}</body></html>"
        theirs, ours = load_html(html), load_html(html)
        before = etree.tostring(theirs)
        prune_unwanted_nodes(theirs, RAW_TREE_PRUNE_XPATH)
        if with_comments:
            prune_unwanted_nodes(theirs, REMOVE_COMMENTS_AND_LISTS_XPATH)
        main_text.prune_raw_tree(ours, with_comments)
        assert etree.tostring(ours) == etree.tostring(theirs), html
        changed += etree.tostring(theirs) != before
    assert changed > 100  # the trees do get pruned, not only left alone
