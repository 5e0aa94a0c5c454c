"""An article page's main text: what trafilatura 2.3.1 gives newsflow, with less work.

newsflow parses a page once, reads its metadata (newsflow.tasks.clean.page_metadata), then asks
trafilatura for the main text: `bare_extraction(tree, fast=True, include_comments=False,
with_metadata=False)`. For those options trafilatura's steps reduce to the ones in `main_text`
below, which calls trafilatura's own functions for all the extraction proper and differs only in
work whose result is thrown away or that has a cheaper exact equivalent:

- `parse_html` is trafilatura's load_html for a string with a parser whose element classes are
  looked up in C: lxml.html's parser asks a Python method for the class of every element the code
  touches (hundreds of thousands of calls over a batch); this one maps the same tag names to the
  same classes (lxml.html's form element classes, HtmlElement for every other element) without
  calling back into Python. (lxml.html lower-cases a name before its lookup; the names here are
  lower case, as the HTML parser and trafilatura make them.) The invalid-XML-character removal runs only when there is one.
- bare_extraction copies the tree before working on it, and trafilatura_sequence copies the
  cleaned tree as a backup that only the comparison with other extractors (not in fast mode) and
  comment extraction use. newsflow is done with the tree, and has neither, so both copies go.
- The pruning of infinite-scroll containers, share buttons and comment sections is one walk over
  the elements with trafilatura's regular expressions instead of three XPath evaluations in which
  EXSLT `re:test` calls back into Python for every candidate element.
- The content extraction runs with Python stand-ins for the XPath expressions it spends most of
  its XPath time in (newsflow.tasks.content_xpaths).
- The recall-escalation check measures the page text as `len(html2txt(tree))`, which copies the
  tree, removes scripts, styles, footers and the like through an XPath that calls back into Python
  twice for every element, and respaces the block elements in Python. `page_text_length` gets the
  same length from an XSLT transform of the tree as it is.

Everything here was read off the installed trafilatura's source; if that source is not the one it
was read off (`replica_is_current`), trafilatura's own functions run instead."""

from __future__ import annotations

import logging
import re
import sys
from copy import copy
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from newsflow.tasks.pinned import source_sha256

if TYPE_CHECKING:
    from lxml.etree import _Element
    from lxml.html import HtmlElement
    from trafilatura.settings import Extractor

# The messages trafilatura logs in the steps replicated here, on its loggers.
_UTILS_LOG = logging.getLogger("trafilatura.utils")
_CORE_LOG = logging.getLogger("trafilatura.core")

# sha256 of the source of the trafilatura modules read for this file (core, baseline, utils,
# xpaths, settings), as `_source_fingerprint` computes it.
READ_FROM = "793f1ea182af9b8b2ffbfc897e69d87db379c251db47fedbf08297fa0763c18f"

# trafilatura's RAW_TREE_PRUNE_XPATH and REMOVE_COMMENTS_AND_LISTS_XPATH, their regular expressions
# verbatim: EXSLT re:test(@attr, pattern) is re.search(pattern, value), value '' when absent.
_INFINITE_SCROLL = re.compile("mvp-post-add-(?:box|wrap)|infinite-?scroll")
_APPENDED_ARTICLE = re.compile("mvp-post-add-(?:box|wrap)")
_COMMENTS_ID = re.compile("^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)")
_COMMENTS_LIST_ID = re.compile("^(?:[Cc]omment(?!ary)|comol)")
_COMMENTS_CLASS = re.compile("^[Cc]omment(?!ary)|(?:article|post)-comments")
_CONTAINERS = frozenset({"div", "section", "aside"})
_COMMENT_CONTAINERS = frozenset({"div", "list", "section", "details", "ol", "ul"})

# BASIC_CLEAN_XPATH's last alternative, `.//*[re:test(@class, COOKIE, 'i') or re:test(@id, COOKIE,
# 'i')]`, and substrings one of which any value it matches contains (in ASCII lower case).
_COOKIE_BANNER = re.compile(
    "cookie[-_]?(?:banner|bar|consent|law|notice|policy|description)|notice[-_]{0,2}cookie"
    "|consent[-_]?(?:banner|manager|sdk)|borlabs|cookiebot|cmplz|onetrust|moove[-_]?gdpr",
    re.IGNORECASE,
)
_COOKIE_BANNER_WORDS = ("cookie", "consent", "borlabs", "cmplz", "onetrust", "moove")
# Its other alternatives as an XSLT pattern: the elements basic_cleaning removes whatever their text.
_REMOVED_BY_BASIC_CLEANING = (
    "aside|div[contains(@class|@id, 'footer')]|fencedframe|footer|script|style|svg|template"
)

# utils.INVALID_XML_CHARS, character by character.
_INVALID_XML_CHARS = [chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)]


def _source_fingerprint() -> str:
    """sha256 of the trafilatura modules this file replicates steps of or calls into."""
    import trafilatura.baseline
    import trafilatura.core
    import trafilatura.settings
    import trafilatura.utils
    import trafilatura.xpaths  # noqa: F401

    names = ("core", "baseline", "utils", "xpaths", "settings")
    # sys.modules: trafilatura's package namespace has functions named like some of its modules.
    return source_sha256(*(sys.modules[f"trafilatura.{name}"] for name in names))


@lru_cache(maxsize=1)
def replica_is_current() -> bool:
    """Whether the installed trafilatura is the one the steps here were read off."""
    return _source_fingerprint() == READ_FROM


@lru_cache(maxsize=1)
def _parser() -> Any:
    """trafilatura's HTML_PARSER with element classes looked up in C (see the module docstring)."""
    from lxml import etree
    from lxml.html import (
        HtmlComment,
        HtmlElement,
        HtmlElementClassLookup,
        HtmlEntity,
        HTMLParser,
        HtmlProcessingInstruction,
    )

    parser = HTMLParser(
        collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
    )
    by_type = etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
    by_name = etree.ElementNamespaceClassLookup(by_type)
    html_names = by_name.get_namespace(None)
    for name, element_class in HtmlElementClassLookup._default_element_classes.items():  # noqa: SLF001
        html_names[name] = element_class
    parser.set_element_class_lookup(by_name)
    return parser


def _repair_faulty_html(html: str, beginning: str) -> str:
    """trafilatura.utils.repair_faulty_html; the character class is searched for first, because
    its substitution scans the whole page however few there are (none, nearly always)."""
    from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, INVALID_XML_CHARS

    if any(char in html for char in _INVALID_XML_CHARS):
        html = INVALID_XML_CHARS.sub("", html)
    if "doctype" in beginning:
        firstline, _, rest = html.partition("\n")
        html = DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + rest
    for line in html[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            html = FAULTY_HTML.sub(r"\1>", html, count=1)
            break
    return html


def _parse_bytes(html: str) -> HtmlElement | None:
    """trafilatura.utils.fromstring_bytes."""
    from lxml.html import fromstring

    try:
        return fromstring(html.encode("utf8", "surrogatepass"), parser=_parser())
    except Exception as err:  # noqa: BLE001 - trafilatura's: any parser error means no tree
        _UTILS_LOG.error("lxml parser bytestring %s", err)
    return None


def parse_html(html: str) -> HtmlElement | None:
    """trafilatura.utils.load_html(html) for a string."""
    from trafilatura.utils import is_dubious_html, load_html

    if not replica_is_current():
        return load_html(html)
    from lxml.html import fromstring

    tree = None
    beginning = html[:50].lower()
    check_flag = is_dubious_html(beginning)
    html = _repair_faulty_html(html, beginning)
    fallback_parse = False
    try:
        tree = fromstring(html, parser=_parser())
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree = _parse_bytes(html)
        fallback_parse = True
    except Exception as err:  # noqa: BLE001
        _UTILS_LOG.error("lxml parsing failed: %s", err)
    if (tree is None or len(tree) < 1) and not fallback_parse:
        tree = _parse_bytes(html)
    if tree is not None and check_flag is True and len(tree) < 2:
        _UTILS_LOG.error("parsed tree length: %s, wrong data type or not valid HTML", len(tree))
        tree = None
    return tree


def prune_raw_tree(tree: HtmlElement, with_comments: bool) -> None:
    """prune_unwanted_nodes(tree, RAW_TREE_PRUNE_XPATH), then, with_comments, the same with
    REMOVE_COMMENTS_AND_LISTS_XPATH.

    One walk finds what each of the three expressions selects in the tree as it is; the elements
    are then deleted expression by expression, in document order, as trafilatura deletes them.
    An element the second or third expression selects inside one an earlier expression deleted is
    not in the tree trafilatura evaluates it on, so is not selected there; deleting it here changes
    only the subtree already out of the tree. Nothing else differs: the expressions test the
    element's own tag and attributes, which deletions elsewhere leave alone, and the one test of
    descendants (no h1 inside) belongs to the first expression, evaluated on the whole tree."""
    from trafilatura.xml import delete_element

    appended_articles, share_buttons, comments = [], [], []
    for element in tree.iter(*_CONTAINERS, *_COMMENT_CONTAINERS):
        if element is tree:  # './/*' selects descendants only
            continue
        tag, ident, css = element.tag, element.get("id", ""), element.get("class", "")
        if tag in _CONTAINERS:
            if (_INFINITE_SCROLL.search(ident) or _INFINITE_SCROLL.search(css)) and (
                next(element.iter("h1"), None) is None
                or _APPENDED_ARTICLE.search(ident)
                or _APPENDED_ARTICLE.search(css)
            ):
                appended_articles.append(element)
            if "elementor-share-buttons" in css:
                share_buttons.append(element)
        if (
            with_comments
            and tag in _COMMENT_CONTAINERS
            and (_COMMENTS_ID.search(ident) or _COMMENTS_CLASS.search(css))
            and (tag not in ("ol", "ul") or _COMMENTS_LIST_ID.search(ident) or _COMMENTS_CLASS.search(css))
        ):
            comments.append(element)
    for element in appended_articles + share_buttons + comments:
        delete_element(element)


# Where the marked transform starts the text of an element's content or tail: a block element's
# (which _spaced_text prefixes with a space and cleans of control characters) or another one's.
_BLOCK_TEXT, _OTHER_TEXT = "\ue001", "\ue000"


@lru_cache(maxsize=1)
def _page_text_transform() -> Any:
    """An XSLT transform of a page's body into html2txt's text before its whitespace is collapsed,
    with the text of the cookie banners, and without removing control characters (see below)."""
    from lxml import etree

    baseline = sys.modules["trafilatura.baseline"]
    blocks = "|".join(sorted(baseline._BLOCK_ELEMS))  # noqa: SLF001
    stylesheet = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
      <xsl:output method="text" encoding="UTF-8"/>
      <!-- written where a block element's text starts and where its tail starts -->
      <xsl:param name="block" select="' '"/>
      <!-- written where any other element's text and tail start -->
      <xsl:param name="other" select="''"/>
      <!-- the body's own text and its children; not the body itself, nor its tail -->
      <xsl:template match="/"><xsl:apply-templates select="*/node()"/></xsl:template>
      <!-- basic_cleaning deletes these with their text; their tails stay where they were -->
      <xsl:template match="{_REMOVED_BY_BASIC_CLEANING}" priority="2"/>
      <xsl:template match="{blocks}" priority="1">
        <xsl:value-of select="$block"/><xsl:apply-templates/><xsl:value-of select="$block"/>
      </xsl:template>
      <xsl:template match="*">
        <xsl:value-of select="$other"/><xsl:apply-templates/><xsl:value-of select="$other"/>
      </xsl:template>
    </xsl:stylesheet>"""
    return etree.XSLT(etree.XML(stylesheet))


@lru_cache(maxsize=1)
def _class_and_id_values() -> Any:
    from lxml.etree import XPath

    return XPath("descendant::*/@class | descendant::*/@id", smart_strings=False)


def _has_cookie_banner(body: HtmlElement) -> bool:
    """Whether BASIC_CLEAN_XPATH's cookie-banner alternative selects an element below the body."""
    values = _class_and_id_values()(body)
    joined = "\n".join(values)
    if joined.isascii() and not any(word in joined.lower() for word in _COOKIE_BANNER_WORDS):
        return False  # ASCII: re's IGNORECASE is ASCII case folding, so a match holds a word
    return any(_COOKIE_BANNER.search(value) for value in values)


def _delete_cookie_banners(body: HtmlElement) -> None:
    """Delete, as basic_cleaning does, what BASIC_CLEAN_XPATH's cookie-banner alternative selects.

    basic_cleaning deletes all its selection in document order; deleting these first and leaving
    the rest to the transform gives the same text: a deleted element's tail joins the text or
    tail it follows in the document, so it stays in place, and it joins the same element's
    (the nearest earlier sibling that is kept, else the parent) either way."""
    from trafilatura.xml import delete_element

    banners = [
        element
        for element in body.iter("*")
        if element is not body
        and (_COOKIE_BANNER.search(element.get("class", "")) or _COOKIE_BANNER.search(element.get("id", "")))
    ]
    for element in banners:
        delete_element(element)


def _text_with_control_characters_removed(marked: str) -> str:
    """The marked transform's text as _spaced_text leaves it: a space at the start of every block
    element's text and tail, and remove_control_characters applied to those (not to others')."""
    from trafilatura.utils import remove_control_characters

    pieces, in_block_text = [], False  # the body's own text is not a block element's
    for piece in re.split(f"([{_BLOCK_TEXT}{_OTHER_TEXT}])", marked):
        if piece in (_BLOCK_TEXT, _OTHER_TEXT):
            in_block_text = piece == _BLOCK_TEXT
            if in_block_text:
                pieces.append(" ")
        else:
            pieces.append(remove_control_characters(piece) if in_block_text else piece)
    return "".join(pieces)


def page_text_length(tree: HtmlElement) -> int:
    """len(trafilatura.baseline.html2txt(tree)), without copying or changing the tree (nearly always).

    html2txt takes the body of a copy, deletes what BASIC_CLEAN_XPATH selects (keeping the tails),
    gives every block element's text and tail a leading space and removes control characters
    from them, and collapses the whitespace of the text. The XSLT transform writes the same text
    from the tree as it is: text in document order, nothing of the deleted elements but their
    tails, a space before each block element's content and after its end.

    Two of html2txt's steps are left to Python when a page needs them. Cookie banners (selected by
    a regular expression the transform cannot run) are deleted from a copy, as html2txt does.
    When the text has characters remove_control_characters deletes, the transform runs again
    with marks where each element's text and tail start, which tell the texts it applies to
    (html2txt itself measures the rare page whose text has these marks already)."""
    from trafilatura.baseline import html2txt

    body = tree.find(".//body")
    if body is None:
        return len(html2txt(tree))
    if _has_cookie_banner(body):
        body = copy(tree).find(".//body")
        _delete_cookie_banners(body)
    transform = _page_text_transform()
    text = str(transform(body))
    if not "".join(text.split()).isprintable():
        if _BLOCK_TEXT in text or _OTHER_TEXT in text:
            return len(html2txt(tree))
        marks = {"block": transform.strparam(_BLOCK_TEXT), "other": transform.strparam(_OTHER_TEXT)}
        text = _text_with_control_characters_removed(str(transform(body, **marks)))
    return len(" ".join(text.split()))


@lru_cache(maxsize=1)
def _options() -> Extractor:
    """bare_extraction's options for fast=True, include_comments=False, with_metadata=False
    (read-only here, as in trafilatura: the recall retry works on a copy)."""
    from trafilatura.settings import DEFAULT_CONFIG, Extractor

    return Extractor(config=DEFAULT_CONFIG, output_format="python", fast=True, comments=False)


def _sequence(tree: HtmlElement, options: Extractor) -> tuple[_Element, str]:
    """trafilatura_sequence(tree, options) for these options: body and its text."""
    from trafilatura.baseline import baseline
    from trafilatura.core import (
        ESCALATION_ACCEPT_RATIO,
        ESCALATION_MAX_LENGTH,
        ESCALATION_PAGE_SHARE,
        _forum_thread_page,
    )
    from trafilatura.htmlprocessing import convert_tags, tree_cleaning
    from trafilatura.main_extractor import extract_content

    is_forum = _forum_thread_page(tree)
    prune_raw_tree(tree, with_comments=not is_forum)
    cleaned_tree = convert_tags(tree_cleaning(copy(tree), options), options, None)
    postbody, temp_text = extract_content(cleaned_tree, options)

    # 3. baseline rescue
    if len(temp_text) < options.min_extracted_size:
        b_body, b_text, b_len = baseline(tree)
        if b_len > len(temp_text):
            postbody, temp_text = b_body, b_text

    # 4. recall escalation (no justext candidate in fast mode)
    length = len(temp_text)
    if 0 < length < ESCALATION_MAX_LENGTH and length < ESCALATION_PAGE_SHARE * page_text_length(tree):
        r_options = copy(options)
        r_options.focus = "recall"
        r_text = ""
        try:
            r_cleaned = convert_tags(tree_cleaning(copy(tree), r_options), r_options, None)
            r_body, r_text = extract_content(r_cleaned, r_options)
        except Exception as err:  # noqa: BLE001 - trafilatura's: a failed retry changes nothing
            _CORE_LOG.warning("recall retry failed: %s %s", err, None)
        len_text, r_len = len(temp_text), len(r_text)
        if r_len >= options.min_extracted_size and r_len > ESCALATION_ACCEPT_RATIO * len_text:
            postbody, temp_text = r_body, r_text
    return postbody, temp_text


def main_text(tree: HtmlElement) -> str | None:
    """The text of trafilatura's bare_extraction(tree, with_metadata=False, include_comments=False,
    fast=True); None where it returns None. The tree is changed: call it last."""
    import trafilatura
    from trafilatura.xml import xmltotxt

    if not replica_is_current():
        document = trafilatura.bare_extraction(tree, with_metadata=False, include_comments=False, fast=True)
        if document is None:
            return None
        return (document.as_dict() if hasattr(document, "as_dict") else dict(document)).get("text")
    from newsflow.tasks.content_xpaths import in_python

    options = _options()
    temp_comments = ""
    try:
        with in_python():
            postbody, temp_text = _sequence(tree, options)
        if len(temp_text) < options.min_output_size and len(temp_comments) < options.min_output_comm_size:
            raise ValueError
    except (TypeError, ValueError):
        _CORE_LOG.warning("discarding data: %s", options.source)
        return None
    return xmltotxt(postbody, options.formatting)
