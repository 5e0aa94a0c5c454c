"""Stand-ins in Python for the XPath expressions trafilatura 2.3.1's content extraction spends most
of its XPath time in: the first three body expressions (BODY_XPATH) and the section pruning
(OVERALL_DISCARD_XPATH, TEASER_DISCARD_XPATH, DISCARD_IMAGE_ELEMENTS).

Each has the form `.//*[tag test][attribute tests]`, some with a position (`[1]`). libxml2
evaluates the predicates node by node, building a node set for every `self::div` and `@class`,
and calls back into Python (EXSLT `re:test`) for every regular-expression test; over the
benchmark pages that is about 1.7 ms an event. A stand-in walks the candidate tags and applies
the same tests in Python, with the same regular expressions (`re:test(@a, pattern)` is
`re.search(pattern, value)`, the value '' when the attribute is absent), and returns the same
elements in the same order, in about 40% of the time.

XPath semantics kept: `.//*` selects descendants, never the element called on; a test on
`@id|@class` reads the first of those attributes in the element's attribute order (the node set's
document order); `.//*[...][1]` is the first matching child of every parent, `(.//*[...])[1]` the
first match in the document. An element without attributes matches none of the tests (each reads
an attribute, and no regular expression here matches an empty string).

`in_python()` puts the stand-ins into trafilatura's expression lists for the duration of a call
(main_text) and puts the XPath objects back after it, so trafilatura outside that call runs its
own expressions. If the installed expressions are not the ones translated here
(`translation_is_current`), nothing is replaced."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# sha256 of the .path texts of BODY_XPATH[0], [2], [3], OVERALL_DISCARD_XPATH[0], [1],
# TEASER_DISCARD_XPATH[0] and DISCARD_IMAGE_ELEMENTS[0], joined by newlines.
TRANSLATED_FROM = "ca88bdd46948e7a93eefda88c5f944cf9fdaa403c7460155e8b65a3a401f2375"

Attributes = list[tuple[str, str]]
_BODY_TAGS = ("article", "div", "main", "section")
_SECTION_TAGS = ("div", "item", "list", "p", "section", "span")


def _first_of(attributes: Attributes, names: tuple[str, ...]) -> str:
    """string(@a|@b): the value of whichever comes first on the element, '' if neither."""
    for name, value in attributes:
        if name in names:
            return value
    return ""


def _search(pattern: re.Pattern[str], value: str | None) -> bool:
    return value is not None and pattern.search(value) is not None


# The regular expressions of the re:test calls, verbatim.
_ARTICLE_ID = re.compile("(?:entry|article|art)-content|article__content|article(?:-|__)?body|articleBody|body-text")
_ARTICLE_CLASS = re.compile(
    "post[-_]text|post-body|post-?entry|post[-_]?content|postContent|post_inner_wrapper|article-?text|articleText"
    "|(?:entry|page|text|article|art)-content|article__content|article(?:-|__)?body|articleBody|ArticleContent"
    "|body-text|article__container"
)
_STORY_ID = re.compile("^primary|story-body")
_FULLTEXT = re.compile("fulltext", re.IGNORECASE)
_STORY_CLASS = re.compile(
    "^article |post-bodycopy|story-?content|(?:theme|blog|section|single)-content|single-post|main-column"
    "|wpb_text_column|story-body|field-body"
)
_MAIN_ID = re.compile("content-main|content-body|contentBody")
_MAIN_CLASS = re.compile("content[-_]main|content(?:-|__)body")
_COOKIE = re.compile("cookie")
_DISCARD_ID = re.compile(
    "^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author|^(?:jp-|dpsp-content)"
    "|bmdh|footer|Footer|share|Share|nav|Nav|menu|related|message-container|premium|^ad-"
)
_DISCARD_CLASS = re.compile(
    "^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author"
    "|^(?:nav|post-nav|ZendeskForm)|subnav|avigation|navbar|navbox|menu|bar| ad |-ad-|(?:^| )ad-|dfp[Aa]d"
    "|outbrain|taboola|criteo|paid-?content|widget|footer|Footer|byline|Byline|share-|sociable|embedded|embed"
    "|tag-list|consent|modal-content|permission|elated|next-|-stories|most-popular|more-on|meta|rating"
    "|attachment|timestamp|user-info|user-profile|-icon|article-infos|message-container|slide|viewport|overlay"
    "|options|expand|obfuscated|blurred|mol-factbox|yin|zlylin|nfoline"
)
_HIDDEN = re.compile("hidden")
_HIDDEN_ID = re.compile("reader-comments|akismet")
_HIDDEN_CLASS = re.compile(
    "^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print| hidden| hide"
    "|noprint|notloaded"
)
PATTERNS = (_ARTICLE_ID, _ARTICLE_CLASS, _STORY_ID, _FULLTEXT, _STORY_CLASS, _MAIN_ID, _MAIN_CLASS, _COOKIE,
            _DISCARD_ID, _DISCARD_CLASS, _HIDDEN, _HIDDEN_ID, _HIDDEN_CLASS)


def _article_body(attributes: Attributes) -> bool:
    """BODY_XPATH[0]: @class='post' or @class='entry' or @itemprop='articleBody' or
    @id='articleContent' or re:test(@id, ...) or re:test(@class, ...)"""
    found = dict(attributes)
    css, ident = found.get("class"), found.get("id")
    return (
        css in ("post", "entry")
        or found.get("itemprop") == "articleBody"
        or ident == "articleContent"
        or _search(_ARTICLE_ID, ident)
        or _search(_ARTICLE_CLASS, css)
    )


def _story(attributes: Attributes) -> bool:
    """BODY_XPATH[2]: @role='article' or @id='article' or @id='story' or @class='postarea' or ...
    or re:test(@id, ...) or re:test(@class, 'fulltext', 'i') or re:test(@class, ...)"""
    found = dict(attributes)
    css, ident = found.get("class"), found.get("id")
    return (
        found.get("role") == "article"
        or ident in ("article", "story")
        or css in ("postarea", "art-postcontent", "text", "cell", "story")
        or _search(_STORY_ID, ident)
        or _search(_FULLTEXT, css)
        or _search(_STORY_CLASS, css)
    )


def _main_content(attributes: Attributes) -> bool:
    """BODY_XPATH[3]: @id='content' or @class='content' or re:test(@id, ...) or re:test(@class, ...)
    or contains(translate(@id, 'CM','cm'), 'main-content') or contains(translate(@class, 'CM','cm'),
    'main-content') or contains(translate(@class, 'CP','cp'), 'page-content')"""
    found = dict(attributes)
    css, ident = found.get("class", ""), found.get("id", "")
    return (
        ident == "content"
        or css == "content"
        or _MAIN_ID.search(ident) is not None
        or _MAIN_CLASS.search(css) is not None
        or "main-content" in ident.replace("C", "c").replace("M", "m")
        or "main-content" in css.replace("C", "c").replace("M", "m")
        or "page-content" in css.replace("C", "c").replace("P", "p")
    )


def _boilerplate(attributes: Attributes) -> bool:
    """OVERALL_DISCARD_XPATH[0]: @data-lp-replacement-content or contains(translate(@role, 'N', 'n'),
    'nav') or contains(@data-component, 'MostPopularStories') or re:test(@id|@class, 'cookie') or
    re:test(@id, ...) or re:test(@class, ...)"""
    found = dict(attributes)
    return (
        "data-lp-replacement-content" in found
        or "nav" in found.get("role", "").replace("N", "n")
        or "MostPopularStories" in found.get("data-component", "")
        or _COOKIE.search(_first_of(attributes, ("id", "class"))) is not None
        or _search(_DISCARD_ID, found.get("id"))
        or _search(_DISCARD_CLASS, found.get("class"))
    )


def _hidden(attributes: Attributes) -> bool:
    """OVERALL_DISCARD_XPATH[1]: @class='comments-title' or starts-with(@id|@class, 'reply-') or
    re:test(@id|@style, 'hidden') or contains(@style, 'display:none') or contains(@style,
    'display: none') or re:test(@id, ...) or re:test(@class, ...) or @aria-hidden='true'"""
    found = dict(attributes)
    style = found.get("style", "")
    return (
        found.get("class") == "comments-title"
        or _first_of(attributes, ("id", "class")).startswith("reply-")
        or _HIDDEN.search(_first_of(attributes, ("id", "style"))) is not None
        or "display:none" in style
        or "display: none" in style
        or _search(_HIDDEN_ID, found.get("id"))
        or _search(_HIDDEN_CLASS, found.get("class"))
        or found.get("aria-hidden") == "true"
    )


def _teaser(attributes: Attributes) -> bool:
    """TEASER_DISCARD_XPATH[0]: contains(translate(@id, 'T', 't'), 'teaser') or
    contains(translate(@class, 'T', 't'), 'teaser')"""
    found = dict(attributes)
    return "teaser" in found.get("id", "").replace("T", "t") or "teaser" in found.get("class", "").replace("T", "t")


def _caption(attributes: Attributes) -> bool:
    """DISCARD_IMAGE_ELEMENTS[0]: contains(@id, 'caption') or contains(@class, 'caption')"""
    found = dict(attributes)
    return "caption" in found.get("id", "") or "caption" in found.get("class", "")


class Selection:
    """A stand-in for the XPath object `original`: `.//*[tag in tags][test]`, with `position`
    'all' (no position), 'first per parent' (`.//*[...][1]`) or 'first' (`(.//*[...])[1]`)."""

    def __init__(self, original: Any, tags: tuple[str, ...], test: Callable[[Attributes], bool], position: str):
        self.original, self.path = original, original.path
        self.tags, self.test, self.position = tags, test, position

    def __repr__(self) -> str:  # what str() of the XPath object gives (trafilatura logs it)
        return str(self.path)

    def __call__(self, tree: HtmlElement) -> list[HtmlElement]:
        found: list[HtmlElement] = []
        parents_done: set[HtmlElement | None] = set()
        for element in tree.iter(*self.tags):
            attributes = element.items()
            if not attributes or element is tree or not self.test(attributes):
                continue
            if self.position == "first":
                return [element]
            if self.position == "first per parent":
                parent = element.getparent()
                if parent in parents_done:
                    continue
                parents_done.add(parent)
            found.append(element)
        return found


def _translated(xpaths: Any) -> list[tuple[list[Any], int, Callable[[Any], Selection]]]:
    """(expression list, index, stand-in for the expression) of every expression replaced."""
    return [
        (xpaths.BODY_XPATH, 0, lambda x: Selection(x, _BODY_TAGS, _article_body, "first per parent")),
        (xpaths.BODY_XPATH, 2, lambda x: Selection(x, _BODY_TAGS, _story, "first")),
        (xpaths.BODY_XPATH, 3, lambda x: Selection(x, _BODY_TAGS, _main_content, "first")),
        (xpaths.OVERALL_DISCARD_XPATH, 0, lambda x: Selection(x, _SECTION_TAGS, _boilerplate, "all")),
        (xpaths.OVERALL_DISCARD_XPATH, 1, lambda x: Selection(x, ("*",), _hidden, "all")),
        (xpaths.TEASER_DISCARD_XPATH, 0, lambda x: Selection(x, _SECTION_TAGS, _teaser, "all")),
        (xpaths.DISCARD_IMAGE_ELEMENTS, 0, lambda x: Selection(x, _SECTION_TAGS, _caption, "all")),
    ]


@lru_cache(maxsize=1)
def _swaps() -> list[tuple[list[Any], int, Selection]]:
    from trafilatura import xpaths

    swaps = []
    for expressions, index, stand_in in _translated(xpaths):
        original = expressions[index]
        # (another thread may be inside in_python(): its list holds a stand-in)
        swaps.append((expressions, index, stand_in(getattr(original, "original", original))))
    return swaps


@lru_cache(maxsize=1)
def translation_is_current() -> bool:
    """Whether the installed expressions are the ones translated here."""
    return hashlib.sha256("\n".join(s.path for _, _, s in _swaps()).encode()).hexdigest() == TRANSLATED_FROM


@contextmanager
def in_python() -> Iterator[None]:
    """trafilatura's content extraction with these stand-ins for its XPath objects (see above)."""
    if not translation_is_current():
        yield
        return
    for expressions, index, stand_in in _swaps():
        expressions[index] = stand_in
    try:
        yield
    finally:
        for expressions, index, stand_in in _swaps():
            expressions[index] = stand_in.original
