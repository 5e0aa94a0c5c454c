"""`newsflow report`: one self-contained HTML page of what the landed tables say, via DuckDB.

Sections: counts, a map of the places mentioned (country shapes shipped in newsflow/data, built by
scripts/build_world_map.py from GeoNames; no tiles from the network), the articles with their top
people and places, the most mentioned names, tone per day, themes, quotes, and what was set aside
(quarantine reasons in words, dead letters). An optional date range narrows all of it.
All event-supplied text is HTML-escaped and drawn by matplotlib without mathtext; the page's
Content-Security-Policy forbids scripts altogether."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsflow import PACKAGE_DIR
from newsflow.schemas import TABLES

WORLD_SHAPES = PACKAGE_DIR / "data" / "world_countries.json"
MAX_GAP_FILL_DAYS = 3 * 366  # tone: a longer span is drawn as points only (no NaN-filled calendar)
ARTICLES_LISTED = 100


def connect(output_dir: str | Path):
    """A DuckDB connection with one view per table, read through its Delta log (empty views for
    tables that do not exist yet)."""
    import duckdb

    from newsflow.lake import register_tables

    return register_tables(duckdb.connect(), output_dir)


def _rows(con, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return con.execute(sql, params or []).fetchall()


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _bar(rows: list[tuple[Any, ...]], title: str) -> str | None:
    if not rows:
        return None
    import matplotlib.pyplot as plt

    names = [str(r[0]) for r in rows][::-1]
    counts = [int(r[1]) for r in rows][::-1]
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(rows) + 1))
    ax.barh(names, counts, color="#3b6ea8")
    ax.set_title(title)
    ax.set_xlabel("mentions")
    return _png(fig)


def world_shapes() -> dict[str, Any]:
    """ISO code -> {name, rings in degrees}; the attribution under "attribution"."""
    data = json.loads(WORLD_SHAPES.read_text(encoding="utf-8"))
    grid = float(data["grid_degrees"])
    countries = {
        code: {"name": c["name"], "rings": [[(r[i] * grid, r[i + 1] * grid) for i in range(0, len(r), 2)]
                                            for r in c["rings"]]}
        for code, c in data["countries"].items()
    }
    return {"attribution": data["attribution"], "countries": countries}


def _map(places: list[tuple[Any, ...]], by_country: dict[str, int], labelled: int = 12) -> str | None:
    """Countries shaded by mentions, places as dots sized by mentions, the most mentioned named."""
    if not places and not by_country:
        return None
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import LogNorm

    shapes = world_shapes()
    fig, ax = plt.subplots(figsize=(11, 5.6))
    ax.set_facecolor("#eef4f8")
    norm = LogNorm(vmin=1, vmax=max([*by_country.values(), 2]))
    cmap = colormaps["Oranges"]
    polygons, colours = [], []
    for code, country in shapes["countries"].items():
        count = by_country.get(code, 0)
        colour = cmap(0.3 + 0.6 * norm(count)) if count else "#d9d9d9"
        for ring in country["rings"]:
            polygons.append(ring)
            colours.append(colour)
    ax.add_collection(PolyCollection(polygons, facecolors=colours, edgecolors="#ffffff", linewidths=0.3))
    for index, (name, lat, lon, count) in enumerate(places):
        ax.scatter([lon], [lat], s=18 + 14 * count, alpha=0.75, color="#8e1b1b", edgecolors="white",
                   linewidths=0.5, zorder=3)
        if index < labelled:
            ax.annotate(str(name), (lon, lat), fontsize=8, xytext=(4, 3), textcoords="offset points", zorder=4)
    ax.set_xlim(-180, 180)
    ax.set_ylim(-58, 84)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("Places mentioned (dots: places, size = mentions; countries shaded by mentions)")
    ax.text(-179, -57, shapes["attribution"], fontsize=7, color="#555555", va="bottom")
    return _png(fig)


def _tone(rows: list[tuple[Any, ...]]) -> str | None:
    """Average tone per day; days without articles are gaps in the line, never bridged."""
    if not rows:
        return None
    import math

    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    by_day = {r[0]: float(r[1]) for r in rows}
    first, last = min(by_day), max(by_day)
    fig, ax = plt.subplots(figsize=(9, 3))
    span = (last - first).days
    if span <= MAX_GAP_FILL_DAYS:
        days = [first + dt.timedelta(days=i) for i in range(span + 1)]
        ax.plot(days, [by_day.get(d, math.nan) for d in days], color="#2c7a4b", linewidth=1.2)
    ax.plot(list(by_day), list(by_day.values()), "o", color="#2c7a4b", markersize=4)
    ax.axhline(0, color="#999999", linewidth=0.8)
    # Whole days on the axis (a short span would otherwise get hourly ticks).
    ax.xaxis.set_major_locator(mdates.DayLocator() if span <= 14 else mdates.AutoDateLocator(minticks=3))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    ax.set_title("Average tone per day (positive − negative %; no line across days without articles)")
    ax.set_ylabel("tone")
    fig.autofmt_xdate()
    return _png(fig)


def _table(headers: list[str], rows: list[tuple[Any, ...]]) -> str:
    if not rows:
        return "<p class='empty'>none</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(src: str | None, alt: str, caption: str = "") -> str:
    if not src:
        return "<p class='empty'>no data</p>"
    note = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f"<figure><img src='{src}' alt='{html.escape(alt)}'>{note}</figure>"


def _link(url: Any, text: Any) -> str:
    """A link only for http(s) URLs (an event's url could be javascript:...); text otherwise."""
    label = html.escape(str(text or url or "(untitled)"))
    if isinstance(url, str) and urlsplit(url).scheme.lower() in ("http", "https"):
        return f"<a href=\"{html.escape(url, quote=True)}\" rel=\"noopener noreferrer\">{label}</a>"
    return label


def reason_in_words(table: str, reason: str) -> str:
    """A quarantine reason ("expect_column_values_to_be_between(body_chars); ...") in words, read
    from the expectation's type and its arguments in the table's suite. Reasons that are not
    expectation names (errors of a stage, say) are kept as they are."""
    from newsflow.tasks.validate import describe, load_suite_config

    try:
        suite = {describe(e): e for e in load_suite_config(table)["expectations"]}
    except (OSError, ValueError, KeyError):
        suite = {}
    return "; ".join(_expectation_in_words(part, suite.get(part)) for part in reason.split("; "))


def _expectation_in_words(name: str, expectation: dict[str, Any] | None) -> str:
    if expectation is None:
        return name
    kind = expectation["type"]
    kwargs = expectation.get("kwargs", {})
    column = str(kwargs.get("column", "")).replace("_", " ")
    low, high = kwargs.get("min_value"), kwargs.get("max_value")

    def bounds() -> str:
        if low is not None and high is not None:
            return f"between {low:,} and {high:,}" if isinstance(low, int | float) else f"between {low} and {high}"
        return f"at least {low}" if low is not None else f"at most {high}"

    if kind == "expect_column_values_to_not_be_null":
        return f"{column} is missing"
    if kind == "expect_column_values_to_be_null":
        return f"{column} should be empty"
    if kind == "expect_column_values_to_be_between":
        return f"{column} is not {bounds()}"
    if kind == "expect_column_value_lengths_to_be_between":
        return f"{column} length is not {bounds()}"
    if kind == "expect_column_values_to_be_in_set":
        allowed = ", ".join(str(v) for v in (kwargs.get("value_set") or [])[:8])
        return f"{column} is not one of: {allowed}"
    if kind == "expect_column_values_to_match_regex":
        return f"{column} does not have the expected form"
    if kind == "expect_column_values_to_be_unique":
        return f"{column} is repeated"
    return f"{column + ': ' if column else ''}{kind.removeprefix('expect_').replace('_', ' ')}"


def _range_views(con, since: dt.date | None, until: dt.date | None) -> None:
    """sel_<table> views: articles dated in [since, until] (published, else Kafka time) and their
    child rows; quarantine and dead letters by when they were set aside."""
    lower = since or dt.date.min
    upper = until or dt.date.max
    day = "CAST(coalesce(published_at, kafka_timestamp) AS DATE)"
    con.execute(f"CREATE TEMP VIEW sel_articles AS SELECT *, {day} AS day FROM articles "
                f"WHERE {day} BETWEEN DATE '{lower}' AND DATE '{upper}'" + ("" if since or until else f" OR {day} IS NULL"))
    for name in TABLES:
        if name in ("articles", "quarantine", "dead_letters"):
            continue
        con.execute(f"CREATE TEMP VIEW sel_{name} AS SELECT * FROM {name} "
                    "WHERE article_id IN (SELECT article_id FROM sel_articles)")
    for name, column in (("quarantine", "quarantined_at"), ("dead_letters", "dead_lettered_at")):
        con.execute(f"CREATE TEMP VIEW sel_{name} AS SELECT * FROM {name} "
                    f"WHERE CAST({column} AS DATE) BETWEEN DATE '{lower}' AND DATE '{upper}'")


def build_report(output_dir: str | Path, target: Path, top: int = 15, since: dt.date | None = None,
                 until: dt.date | None = None) -> Path:
    """Write the HTML report for everything under output_dir (articles dated since..until,
    inclusive, when given) to target; returns target."""
    import matplotlib

    from newsflow.lake import lake_root

    matplotlib.use("Agg")
    # Labels are event-supplied names: "$...$" in one ("Mega$_$Corp") must be drawn as written,
    # never parsed as mathtext (which fails the whole report on a bad expression).
    matplotlib.rcParams["text.parse_math"] = False
    con = connect(output_dir)
    _range_views(con, since, until)
    counts = {name: _rows(con, f"SELECT count(*) FROM sel_{name}")[0][0] for name in TABLES}

    def top_entities(types: str) -> list[tuple[Any, ...]]:
        return _rows(con, f"""SELECT canonical_name, count(*) AS n FROM sel_entities
            WHERE entity_type IN ({types}) GROUP BY 1 ORDER BY n DESC, 1 LIMIT {top}""")

    people, orgs, places = top_entities("'PERSON'"), top_entities("'ORG'"), top_entities("'GPE','LOC'")
    located = _rows(con, f"""SELECT canonical_name, avg(latitude), avg(longitude), count(*) AS n FROM sel_locations
        WHERE latitude IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1 LIMIT {top * 3}""")
    by_country = dict(_rows(con, """SELECT country_code, count(*) FROM sel_locations
        WHERE country_code IS NOT NULL GROUP BY 1"""))
    tone = _rows(con, "SELECT day, avg(tone) FROM sel_articles WHERE tone IS NOT NULL AND day IS NOT NULL "
                      "GROUP BY 1 ORDER BY 1")
    articles = _rows(con, f"""
        WITH mentions AS (
            SELECT article_id, canonical_name, entity_type IN ('GPE', 'LOC') AS is_place, count(*) AS n
            FROM sel_entities WHERE entity_type IN ('PERSON', 'GPE', 'LOC') GROUP BY ALL),
        tops AS (
            SELECT article_id,
                   list(canonical_name ORDER BY n DESC, canonical_name) FILTER (WHERE NOT is_place) AS people,
                   list(canonical_name ORDER BY n DESC, canonical_name) FILTER (WHERE is_place) AS places
            FROM mentions GROUP BY 1)
        SELECT a.title, a.url, coalesce(a.source, a.site_name), a.day, t.people[1:3], t.places[1:3]
        FROM sel_articles a LEFT JOIN tops t USING (article_id)
        WHERE a.duplicate_of IS NULL
        ORDER BY a.day DESC NULLS LAST, a.title LIMIT {ARTICLES_LISTED}""")
    speakers = _rows(con, f"""SELECT speaker, speaker_kind, count(*) AS n, any_value(text) FROM sel_quotes
        WHERE speaker IS NOT NULL GROUP BY 1, 2 ORDER BY n DESC, 1 LIMIT {top}""")
    quarantine = [(table, reason_in_words(table, reason), n, example) for table, reason, n, example in _rows(
        con, "SELECT table_name, reason, count(*) AS n, any_value(article_id) FROM sel_quarantine "
             "GROUP BY 1, 2 ORDER BY n DESC")]
    dead = _rows(con, "SELECT error_kind, count(*) AS n, any_value(error) FROM sel_dead_letters "
                      "GROUP BY 1 ORDER BY n DESC")
    themes = _rows(con, """SELECT t.theme, count(*) AS n FROM (SELECT unnest(themes) AS t FROM sel_articles)
        GROUP BY 1 ORDER BY n DESC""")

    article_rows = "".join(
        f"<tr><td>{_link(url, title)}</td><td>{html.escape(str(source or ''))}</td>"
        f"<td>{html.escape(str(day or ''))}</td><td>{html.escape(', '.join(people or []))}</td>"
        f"<td>{html.escape(', '.join(places or []))}</td></tr>"
        for title, url, source, day, people_, places_ in articles
        for people, places in [(people_, places_)]
    )
    article_table = (f"<table><thead><tr><th>title</th><th>source</th><th>date</th><th>top people</th>"
                     f"<th>top places</th></tr></thead><tbody>{article_rows}</tbody></table>"
                     if articles else "<p class='empty'>none</p>")
    listed = f" (the {ARTICLES_LISTED} most recent)" if counts["articles"] > ARTICLES_LISTED else ""
    span = ("all dates" if not (since or until) else
            f"articles dated {since or 'any time'} to {until or 'now'}; quarantine and dead letters set aside then")
    summary = "".join(f"<li><b>{html.escape(n)}</b>: {c}</li>" for n, c in counts.items())
    shapes_note = "Country shapes: GeoNames, geonames.org, CC BY 4.0"
    quarantine_headers = ["table", "why it was set aside", "rows", "example article"]
    built = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>newsflow report</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1150px; color: #222; }}
h1 {{ margin-bottom: 0; }} .meta {{ color: #666; }} section {{ margin: 2rem 0; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9rem; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
img {{ max-width: 100%; }} .empty {{ color: #999; }} figure {{ margin: 0; }}
figcaption {{ color: #666; font-size: 0.8rem; }} td {{ overflow-wrap: anywhere; }}
</style></head><body>
<h1>newsflow report</h1>
<p class="meta">{html.escape(lake_root(output_dir))} · {html.escape(span)} · built {built} UTC</p>
<section id="counts"><h2>Rows per table</h2><ul>{summary}</ul></section>
<section id="map"><h2>Places</h2>{_figure(_map(located, by_country), "map of places", shapes_note)}
</section>
<section id="articles"><h2>Articles{listed}</h2>{article_table}</section>
<section id="entities"><h2>Most mentioned</h2><div class="grid">
{_figure(_bar(people, "People"), "people")}{_figure(_bar(orgs, "Organisations"), "organisations")}
{_figure(_bar(places, "Places"), "places")}</div>
{_table(["place", "latitude", "longitude", "mentions"], [(n, round(a, 2), round(o, 2), c) for n, a, o, c in located[:top]])}
</section>
<section id="tone"><h2>Tone over time</h2>{_figure(_tone(tone), "tone per day")}</section>
<section id="themes"><h2>Themes</h2>{_table(["theme", "articles"], themes)}</section>
<section id="quotes"><h2>Quotes by speaker</h2>{_table(["speaker", "kind", "quotes", "example"], speakers)}</section>
<section id="quarantine"><h2>Quarantine</h2>{_table(quarantine_headers, quarantine)}</section>
<section id="dead-letters"><h2>Dead letters</h2>{_table(["error", "records", "example"], dead)}</section>
</body></html>
"""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target
