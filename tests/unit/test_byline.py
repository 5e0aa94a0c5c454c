"""newsflow's extract_author returns what trafilatura's does, without falling back to it."""

import random

import pytest

from newsflow.tasks import byline


def _page(body: str) -> str:
    return f"<html><head><title>A page</title></head><body>{body}<p>{'Article text. ' * 20}</p></body></html>"


# (body, author trafilatura finds): each expression's branches, the pruning, texts too short or too
# long, nesting and case. The expected values are trafilatura's, written out so that a fixture that
# stops exercising its branch shows up.
FIXTURES = [
    # First expression: tag among a/address/div/link/p/span/strong and one of its attribute tests.
    ('<a rel="author" href="/x">Jane Doe</a>', "Jane Doe"),
    ('<div id="author">Jane Doe</div>', "Jane Doe"),
    ('<span class="author">Jane Doe</span>', "Jane Doe"),
    ('<p itemprop="author name">Jane Doe</p>', "Jane Doe"),
    ('<div data-testid="AuthorCard">Jane Doe</div>', "Jane Doe"),
    ('<a data-testid="AuthorURL">Jane Doe</a>', "Jane Doe"),
    ('<strong class="post-author-name">Jane Doe</strong>', "Jane Doe"),
    ('<address class="authorname">Jane Doe</address>', "Jane Doe"),
    ('<span class="x-AuthorName">Jane Doe</span>', "Jane Doe"),
    ('<span class="authorName big">Jane Doe</span>', "Jane Doe"),
    ("<author>Jane Doe</author>", "Jane Doe"),
    # The first expression wins over the second even when the second's element comes first.
    ('<div class="byline">Tom Lee</div><span class="author">Jane Doe</span>', "Jane Doe"),
    # ...but a tag outside its list is not selected by it: h2.author is the third expression's.
    ('<h2 class="author">Jane Doe</h2><h4 class="byline">Tom Lee</h4>', "Tom Lee"),
    # Second expression.
    ('<div class="byline">By Tom Lee</div>', "Tom Lee"),
    ('<span class="username">tomlee99</span>', "Tomlee"),  # digits go in normalize_authors
    ('<p class="byl">Tom Lee</p>', "Tom Lee"),
    ('<h3 class="BBL">Tom Lee</h3>', "Tom Lee"),
    ('<span itemprop="creator author">Tom Lee</span>', "Tom Lee"),
    ('<div id="article-zuozhe">Tom Lee</div>', "Tom Lee"),
    ('<p class="submitted-by">Tom Lee</p>', "Tom Lee"),
    ('<p class="posted-by">Tom Lee</p>', "Tom Lee"),
    ('<span class="journalist-name">Tom Lee</span>', "Tom Lee"),
    ('<span class="channel-name">Tom Lee</span>', "Tom Lee"),
    ('<div class="byline-wrapper">Tom Lee</div>', "Tom Lee"),  # third: 'byline-wrapper' != 'byline'
    # Third expression: any element.
    ('<section data-component="ArticleByline">Ann Smith</section>', "Ann Smith"),
    ('<section itemprop="author">Ann Smith</section>', "Ann Smith"),
    ('<section id="Author-box">Ann Smith</section>', "Ann Smith"),
    ('<td class="screenname">Ann Smith</td>', "Ann Smith"),
    ('<li class="writer">Ann Smith</li>', "Ann Smith"),
    ('<li class="ByLine">Ann Smith</li><li class="Byline">Bob Ray</li>', "Bob Ray"),  # case matters
    ('<li class="AUTHOR">Ann Smith</li>', None),
    # Pruning: a candidate inside, or itself, a removed element is not seen.
    ('<div class="comments"><span class="author">Troll Guy</span></div><p class="byl">Tom Lee</p>', "Tom Lee"),
    ('<div id="comments-3"><span class="author">Troll Guy</span></div>', None),
    ('<section id="comment-list"><span class="author">Troll Guy</span></section>', None),
    ('<div class="sidebar-left"><span class="author">Other Guy</span></div><div class="byline">Tom Lee</div>',
     "Tom Lee"),
    ('<span class="author meta-date">Jane Doe</span>', None),
    ('<div class="is-hidden"><div class="author">Jane Doe</div></div>', None),
    ('<div data-component="ImageFigure"><span class="author">Photo Guy</span></div>', None),
    ('<figure><figcaption class="author">Photo Guy</figcaption></figure><div class="byline">Tom Lee</div>',
     "Tom Lee"),
    ('<time class="author">Jane Doe</time>', None),
    # ...but '^comments' is anchored: these are not removed.
    ('<div class="x-comments"><span class="author">Jane Doe</span></div>', "Jane Doe"),
    ('<div id="x-comments"><span class="author">Jane Doe</span></div>', "Jane Doe"),
    # Pruning inside a candidate: removed elements' text goes, their tails stay (joined without a space).
    ('<div class="byline">By <time>3 May 2022</time>Tom Lee</div>', "Tom Lee"),
    ('<div class="byline">Tom<time>3 May</time>Lee</div>', "TomLee"),
    ('<div class="byline"><span class="date">3 May 2022</span>Tom Lee, <figure>x</figure>Ann Smith</div>',
     "Tom Lee; Ann Smith"),
    ('<div class="byline"><span class="title">Chief</span><a class="print">Print this</a></div>'
     '<span class="writer">Ann Smith</span>', "Ann Smith"),  # nothing left of the byline
    ('<div class="author-box"><span class="title">Senior Reporter and Columnist of the Year</span>Jo Park</div>',
     "Jo Park"),
    # Too short (3 characters at least) or too long (below 120): the next candidate is tried.
    ('<span class="author">Al</span><span class="author">Tom Lee</span>', "Tom Lee"),
    (f'<div class="author">{"Very long text " * 10}</div><div class="byline">Tom Lee</div>', "Tom Lee"),
    (f'<div class="author">{"x" * 119}</div>', None),  # 119 characters: accepted, then normalised away
    # Nested candidates: the outer one comes first in document order.
    ('<div class="author"><span class="author-name">Jane Doe</span> <span>Staff</span></div>', "Jane Doe Staff"),
    ('<div class="author">' + "Bio text. " * 15 + '<span class="author-name">Jane Doe</span></div>', "Jane Doe"),
    # A page with nothing.
    ('<p class="intro">Nothing to see</p>', None),
]

# A child element named rel: the first expression's rel='me'. These pages go to trafilatura itself.
REL_FIXTURES = [
    ('<a href="/me"><rel>me</rel>Jane Doe</a>', "Me Jane Doe"),
    ('<a href="/me"><rel>m<time>x</time>e</rel>Jane Doe</a>', "Me Jane Doe"),
]


def _trafilatura(html: str) -> str | None:
    from trafilatura.metadata import extract_author
    from trafilatura.utils import load_html

    return extract_author(load_html(html))


def _ours_without_fallback(html: str, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """Our extract_author, failing if it hands the page to trafilatura's."""
    from trafilatura import metadata
    from trafilatura.utils import load_html

    tree = load_html(html)
    with monkeypatch.context() as patch:
        patch.setattr(metadata, "extract_author", lambda tree: pytest.fail("fell back to trafilatura"))
        return byline.extract_author(tree)


def test_translated_expressions_are_the_installed_ones() -> None:
    # Otherwise every page goes to trafilatura's function and the tests below compare it with itself.
    assert byline.translation_is_current()


@pytest.mark.parametrize(("body", "expected"), FIXTURES)
def test_agrees_with_trafilatura(body: str, expected: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    html = _page(body)
    assert _trafilatura(html) == expected
    assert _ours_without_fallback(html, monkeypatch) == expected


@pytest.mark.parametrize(("body", "expected"), REL_FIXTURES)
def test_pages_with_rel_elements_go_to_trafilatura(body: str, expected: str) -> None:
    from trafilatura.utils import load_html

    assert _trafilatura(_page(body)) == expected
    assert byline.extract_author(load_html(_page(body))) == expected


# Random pages built from the expressions' tags, attribute values and near misses.
_TAGS = ["a", "address", "div", "link", "p", "span", "strong", "h3", "h4", "section", "li", "time",
         "figure", "author", "em", "h2"]
_CLASSES = ["author", "Author", "AUTHOR", "author-name", "authorname", "author name", "AuthorName",
            "authorName", "byline", "Byline", "byl", "bylines", "BBL", "username", "screenname",
            "writer", "channel-name", "journalist-name", "submitted-by", "posted-by", "zuozhe",
            "bianji", "xiaobian", "comments", "Comments-box", "commentlist", "comments-list",
            "x-comments", "sidebar", "is-hidden", "quote", "embedly-instagram", "article-share",
            "article-support", "print", "category", "meta-date", "meta-reviewer", "title", "date",
            "subtitle", "big", "post-author meta", ""]
_IDS = ["author", "Author", "post-author", "comments", "comments-1", "x-comments", "comment-list",
        "commentlist", "ProductReviews", "zuozhe", "bianji", "main", ""]
_OTHER = [("rel", "author"), ("rel", "nofollow"), ("itemprop", "author"), ("itemprop", "author name"),
          ("itemprop", "name"), ("data-testid", "AuthorCard"), ("data-testid", "AuthorURL"),
          ("data-testid", "Author"), ("data-component", "Byline"), ("data-component", "ImageFigure"),
          ("data-component", "Body")]
_WORDS = ["Jane", "Doe", "Tom", "Lee", "By", "and", "Staff", "x", "Very long words here", "@handle",
          "12", "Reporter", "", " "]


def _random_element(rng: random.Random, depth: int) -> str:
    tag = rng.choice(_TAGS)
    attributes = []
    if rng.random() < 0.6:
        attributes.append(f'class="{rng.choice(_CLASSES)}"')
    if rng.random() < 0.25:
        attributes.append(f'id="{rng.choice(_IDS)}"')
    if rng.random() < 0.25:
        attributes.append('{}="{}"'.format(*rng.choice(_OTHER)))
    parts = []
    for _ in range(rng.randint(0, 3)):
        if depth < 4 and rng.random() < 0.5:
            parts.append(_random_element(rng, depth + 1))
        parts.append(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(0, 4))))
    return f"<{tag} {' '.join(attributes)}>{''.join(parts)}</{tag}>"


def test_the_tree_searched_is_never_pruned_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    from trafilatura.metadata import extract_author
    from trafilatura.utils import load_html

    # A subtree passed on its own is the root of trafilatura's copy, which pruning cannot remove.
    comments = load_html(_page('<div class="comments"><span class="author">Jane Doe</span></div>')).find(
        ".//div[@class='comments']")
    assert extract_author(comments) == "Jane Doe"
    with monkeypatch.context() as patch:
        patch.setattr("trafilatura.metadata.extract_author", lambda tree: pytest.fail("fell back"))
        assert byline.extract_author(comments) == "Jane Doe"


def test_agrees_with_trafilatura_on_random_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(20240613)
    found = 0
    for _ in range(400):
        html = _page("".join(_random_element(rng, 0) for _ in range(rng.randint(1, 6))))
        expected = _trafilatura(html)
        assert _ours_without_fallback(html, monkeypatch) == expected, html
        found += expected is not None
    assert found > 100  # the pages do exercise the search, not only its empty case
