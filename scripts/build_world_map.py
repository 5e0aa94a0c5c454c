"""Build newsflow/data/world_countries.json, the report's country shapes, from GeoNames files.

Usage: python scripts/build_world_map.py [GEO_FOLDER]   (default ../shared/geo, development only)

Rings are stored as flat integer lists in grid units (multiply by grid_degrees for degrees).

Reads `shapes_simplified_low.json` (country polygons keyed by GeoNames id) and `countryInfo.txt`
(GeoNames id -> ISO code and name), snaps coordinates to a 0.5-degree grid and drops points closer than
that to the previous one and rings too small to see on a world map, so the shipped file stays small.
Data: GeoNames, geonames.org, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "newsflow" / "data" / "world_countries.json"
GRID = 0.5  # degrees: about a pixel of the report's 1000-pixel-wide world map
MIN_RING_POINTS = 4
MIN_RING_SPAN = 1.0  # degrees: islands smaller than this in both directions are left out
ATTRIBUTION = "Country shapes: GeoNames, geonames.org, CC BY 4.0"


def country_codes(country_info: Path) -> dict[str, tuple[str, str]]:
    """GeoNames id -> (ISO alpha-2 code, country name)."""
    codes = {}
    for line in country_info.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        codes[cols[16]] = (cols[0], cols[4])
    return codes


def simplify(ring: list[list[float]]) -> list[int] | None:
    """The ring snapped to the grid, as flat [x0, y0, x1, y1, ...] in grid units, without repeated
    or collinear points; None if too small to draw."""
    out: list[tuple[int, int]] = []
    for lon, lat in ring:
        point = (round(lon / GRID), round(lat / GRID))
        if out and point == out[-1]:
            continue
        if len(out) >= 2:
            (x0, y0), (x1, y1) = out[-2], out[-1]
            if (x1 - x0) * (point[1] - y0) == (y1 - y0) * (point[0] - x0):  # on the line: extend it
                out[-1] = point
                continue
        out.append(point)
    if len(out) < MIN_RING_POINTS:
        return None
    xs, ys = [p[0] for p in out], [p[1] for p in out]
    if (max(xs) - min(xs)) * GRID < MIN_RING_SPAN and (max(ys) - min(ys)) * GRID < MIN_RING_SPAN:
        return None
    return [c for point in out for c in point]


def build(geo: Path) -> dict:
    codes = country_codes(geo / "countryInfo.txt")
    shapes = json.loads((geo / "shapes_simplified_low.json").read_text(encoding="utf-8"))
    countries: dict[str, dict] = {}
    for feature in shapes["features"]:
        geo_id = str(feature["properties"]["geoNameId"])
        if geo_id not in codes:
            continue
        code, name = codes[geo_id]
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        rings = [r for polygon in polygons if (r := simplify(polygon[0])) is not None]  # outer rings only
        if rings:
            countries[code] = {"name": name, "rings": rings}
    return {"attribution": ATTRIBUTION, "grid_degrees": GRID, "license": "https://creativecommons.org/licenses/by/4.0/",
            "source": "GeoNames shapes_simplified_low.json and countryInfo.txt", "countries": countries}


def main() -> None:
    geo = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "geo"
    data = build(geo)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    points = sum(len(r) // 2 for c in data["countries"].values() for r in c["rings"])
    print(f"{TARGET}: {len(data['countries'])} countries, {points} points, {TARGET.stat().st_size} bytes")


if __name__ == "__main__":
    main()
