"""`newsflow report`: one self-contained HTML page of what the landed Parquet says, via DuckDB."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from pathlib import Path
from typing import Any

from newsflow.schemas import TABLES


def connect(output_dir: str | Path):
    """A DuckDB connection with one view per table, read through its Delta log (empty views for
    tables that do not exist yet)."""
    import duckdb

    from newsflow.lake import register_tables

    return register_tables(duckdb.connect(), output_dir)


def _rows(con, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


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


def _map(rows: list[tuple[Any, ...]]) -> str | None:
    if not rows:
        return None
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.6))
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xticks(range(-180, 181, 60))
    ax.set_yticks(range(-90, 91, 30))
    ax.grid(True, color="#dddddd")
    ax.set_facecolor("#f4f8fb")
    for name, lat, lon, count in rows:
        ax.scatter([lon], [lat], s=30 + 25 * count, alpha=0.6, color="#c0392b")
        ax.annotate(str(name), (lon, lat), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set_title("Places mentioned (size = mentions)")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    return _png(fig)


def _tone(rows: list[tuple[Any, ...]]) -> str | None:
    if not rows:
        return None
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3))
    days = [r[0] for r in rows]
    ax.plot(days, [r[1] for r in rows], marker="o", color="#2c7a4b")
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.set_title("Average tone by day (GDELT-style, positive − negative %)")
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


def _figure(src: str | None, alt: str) -> str:
    return f"<img src='{src}' alt='{html.escape(alt)}'>" if src else "<p class='empty'>no data</p>"


def build_report(output_dir: Path, target: Path, top: int = 15) -> Path:
    """Write the HTML report for everything under output_dir to target; returns target."""
    import matplotlib

    from newsflow.lake import lake_root

    matplotlib.use("Agg")
    con = connect(output_dir)
    counts = {name: _rows(con, f"SELECT count(*) FROM {name}")[0][0] for name in TABLES}

    def top_entities(types: str) -> list[tuple[Any, ...]]:
        return _rows(con, f"""SELECT canonical_name, count(*) AS n FROM entities
            WHERE entity_type IN ({types}) GROUP BY 1 ORDER BY n DESC, 1 LIMIT {top}""")

    people, orgs, places = top_entities("'PERSON'"), top_entities("'ORG'"), top_entities("'GPE','LOC'")
    located = _rows(con, f"""SELECT canonical_name, avg(latitude), avg(longitude), count(*) AS n FROM locations
        WHERE latitude IS NOT NULL GROUP BY 1 ORDER BY n DESC LIMIT {top * 2}""")
    tone = _rows(con, """SELECT CAST(coalesce(published_at, kafka_timestamp) AS DATE) AS day, avg(tone)
        FROM articles WHERE tone IS NOT NULL GROUP BY 1 ORDER BY 1""")
    speakers = _rows(con, f"""SELECT speaker, speaker_kind, count(*) AS n, any_value(text) FROM quotes
        WHERE speaker IS NOT NULL GROUP BY 1, 2 ORDER BY n DESC, 1 LIMIT {top}""")
    quarantine = _rows(con, """SELECT table_name, reason, count(*) AS n FROM quarantine
        GROUP BY 1, 2 ORDER BY n DESC""")
    dead = _rows(con, "SELECT error_kind, count(*) AS n, any_value(error) FROM dead_letters GROUP BY 1 ORDER BY n DESC")
    themes = _rows(con, """SELECT t.theme, count(*) AS n FROM (SELECT unnest(themes) AS t FROM articles)
        GROUP BY 1 ORDER BY n DESC""")

    summary = "".join(f"<li><b>{html.escape(n)}</b>: {c}</li>" for n, c in counts.items())
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>newsflow report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }}
h1 {{ margin-bottom: 0; }} .meta {{ color: #666; }} section {{ margin: 2rem 0; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9rem; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
img {{ max-width: 100%; }} .empty {{ color: #999; }}
</style></head><body>
<h1>newsflow report</h1>
<p class="meta">{html.escape(lake_root(output_dir))} · built {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC</p>
<section id="counts"><h2>Rows per table</h2><ul>{summary}</ul></section>
<section id="entities"><h2>Most mentioned</h2><div class="grid">
{_figure(_bar(people, "People"), "people")}{_figure(_bar(orgs, "Organisations"), "organisations")}
{_figure(_bar(places, "Places"), "places")}</div></section>
<section id="map"><h2>Places</h2>{_figure(_map(located), "map of places")}
{_table(["place", "latitude", "longitude", "mentions"], [(n, round(a, 2), round(o, 2), c) for n, a, o, c in located])}
</section>
<section id="tone"><h2>Tone over time</h2>{_figure(_tone(tone), "tone over time")}</section>
<section id="themes"><h2>Themes</h2>{_table(["theme", "articles"], themes)}</section>
<section id="quotes"><h2>Quotes by speaker</h2>{_table(["speaker", "kind", "quotes", "example"], speakers)}</section>
<section id="quarantine"><h2>Quarantine</h2>{_table(["table", "failed expectations", "rows"], quarantine)}</section>
<section id="dead-letters"><h2>Dead letters</h2>{_table(["error", "records", "example"], dead)}</section>
</body></html>
"""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target
