"""The author named in a page's body: what trafilatura 2.3.1's extract_author returns, faster.

extract_author deep-copies the whole tree, prunes it with AUTHOR_DISCARD_XPATHS and evaluates
the three AUTHOR_XPATHS on what is left; their predicates call EXSLT `re:test`, a Python callback
for every element and attribute tested, which is most of its cost (about 10 ms a page). Here:

- one XPath without callbacks finds every element that could match any of the three expressions
  (a superset: each attribute value is tested for a few substrings that every value matching them
  contains), and the exact predicates, with trafilatura's own regular expressions (EXSLT re:test
  is Python's re.search), sort them into the three expressions' lists, in document order;
- a candidate that is, or is inside, an element the pruning removes is skipped, as trafilatura
  never sees it; a candidate with such elements inside has its text read from a copy of itself
  pruned by trafilatura's own function; any other candidate's text is unchanged by the pruning
  (a removed element's tail moves to its previous sibling or parent, both inside the candidate
  when the removed element is);
- then trafilatura's extract_metainfo loop: the first expression with a text of 3 to 119
  characters, through normalize_authors.

If the installed trafilatura's expressions are not the ones translated here, or the page has an
element named rel (the first expression tests `rel='me'`, the text of a child element named rel,
which pruning could change), trafilatura's own extract_author runs instead."""

from __future__ import annotations

import hashlib
import re
from copy import deepcopy
from functools import lru_cache
from typing import TYPE_CHECKING

from lxml.etree import XPath

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# sha256 of trafilatura 2.3.1's AUTHOR_XPATHS then AUTHOR_DISCARD_XPATHS texts (XPath.path),
# joined by newlines: the expressions translated below.
TRANSLATED_FROM = "bd5f280624916a837f627a558a6f87d6ebde80d97a00908c8a856c7b7b9eae82"


def _contains_any(literals: str) -> str:
    return " or ".join(f"contains(., '{literal}')" for literal in literals.split("|"))


# Every element any of the three expressions can select: substrings that each value they accept
# contains ('uthor' for author/Author..., 'yl' for byl/byline/Byline, 'name' for username,
# screenname, channel-name, journalist-name, '-by' for submitted-by and posted-by).
CANDIDATES = XPath(
    "(descendant-or-self::*/@class["
    + _contains_any("uthor|yl|name|BBL|writer|-by|zuozhe|bianji|xiaobian")
    + "] | descendant-or-self::*/@id["
    + _contains_any("uthor|zuozhe|bianji|xiaobian")
    + "] | descendant-or-self::*/@itemprop[contains(., 'author')]"
    " | descendant-or-self::*/@rel[. = 'author']"
    " | descendant-or-self::*/@data-testid[contains(., 'uthor')]"
    " | descendant-or-self::*/@data-component[contains(., 'Byline')]"
    ")/parent::* | descendant-or-self::author"
)

# The regular expressions of trafilatura's re:test calls, verbatim.
_CLASS_1 = re.compile("author-?name|AuthorName|authorName")
_ID_2 = re.compile("author|zuozhe|bianji|xiaobian")
_CLASS_2 = re.compile(
    "author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
_ID_3 = re.compile("[Aa]uthor")
_CLASS_3 = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
_DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
    "|article-(?:share|support)|print|category|meta-date|meta-reviewer"
)

_TAGS_1 = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_TAGS_2 = frozenset({"a", "div", "h3", "h4", "p", "span"})
_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
_DISCARD_ALWAYS = ("time", "figure")


def _selected_by(element: HtmlElement) -> tuple[bool, bool, bool]:
    """Which of the three AUTHOR_XPATHS select this element (pages without <rel> elements)."""
    tag, get = element.tag, element.get
    css, ident, itemprop = get("class"), get("id"), get("itemprop")
    author_prop = itemprop is not None and "author" in itemprop
    first = tag == "author" or (
        tag in _TAGS_1
        and (
            get("rel") == "author"
            or ident == "author"
            or css == "author"
            or itemprop == "author name"
            or get("data-testid") in ("AuthorCard", "AuthorURL")
            or (css is not None and _CLASS_1.search(css) is not None)
        )
    )
    second = tag in _TAGS_2 and (
        css in ("byline", "username", "byl", "BBL")
        or author_prop
        or (ident is not None and _ID_2.search(ident) is not None)
        or (css is not None and _CLASS_2.search(css) is not None)
    )
    component = get("data-component")
    third = (
        (component is not None and "Byline" in component)
        or author_prop
        or (ident is not None and _ID_3.search(ident) is not None)
        or (css is not None and _CLASS_3.search(css) is not None)
    )
    return first, second, third


def _discarded(element: HtmlElement) -> bool:
    """Whether AUTHOR_DISCARD_XPATHS select this element (it is pruned with its subtree)."""
    tag = element.tag
    if tag in _DISCARD_ALWAYS:
        return True
    if tag not in _DISCARD_TAGS:
        return False
    get = element.get
    css, ident, component = get("class"), get("id"), get("data-component")
    return (
        ident == "comments"
        or css in ("comments", "title", "date")
        or (ident is not None and _DISCARD_ID.search(ident) is not None)
        or (css is not None and _DISCARD_CLASS.search(css) is not None)
        or (component is not None and "Figure" in component)
    )


def _pruned_away(element: HtmlElement, root: HtmlElement) -> bool:
    """Whether the element or an ancestor below the root is pruned (the root never is: it has
    no parent to be removed from)."""
    node: HtmlElement | None = element
    while node is not None and node is not root:
        if _discarded(node):
            return True
        node = node.getparent()
    return False


def _text(element: HtmlElement) -> str:
    """trim(" ".join(itertext())) of the element as it is in the pruned tree."""
    from trafilatura.htmlprocessing import prune_unwanted_nodes
    from trafilatura.utils import trim
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS

    inside = element.iter(*_DISCARD_TAGS, *_DISCARD_ALWAYS)
    if any(node is not element and _discarded(node) for node in inside):
        element = prune_unwanted_nodes(deepcopy(element), AUTHOR_DISCARD_XPATHS)
    return trim(" ".join(element.itertext()))


@lru_cache(maxsize=1)
def translation_is_current() -> bool:
    """Whether the installed trafilatura's author expressions are the ones translated here."""
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

    texts = "\n".join(expression.path for expression in AUTHOR_XPATHS + AUTHOR_DISCARD_XPATHS)
    return hashlib.sha256(texts.encode()).hexdigest() == TRANSLATED_FROM


def extract_author(tree: HtmlElement) -> str | None:
    """What trafilatura.metadata.extract_author(tree) returns."""
    from trafilatura import metadata
    from trafilatura.json_metadata import normalize_authors

    if not translation_is_current() or next(tree.iter("rel"), None) is not None:
        return metadata.extract_author(tree)
    selected: tuple[list[HtmlElement], ...] = ([], [], [])
    for element in CANDIDATES(tree):
        for found, matches in zip(selected, _selected_by(element), strict=True):
            if matches:
                found.append(element)
    # trafilatura's extract_metainfo(pruned tree, AUTHOR_XPATHS, len_limit=120).
    for found in selected:
        for element in found:
            if _pruned_away(element, tree):
                continue
            content = _text(element)
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None
