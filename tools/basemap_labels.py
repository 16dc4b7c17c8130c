"""Write ``geomap/outputs/assets/country-labels.json`` from the bundled basemap.

One label per country of ``countries-50m.json`` (world-atlas, Natural Earth):
the pole of inaccessibility (shapely's ``polylabel``) of its largest landmass,
so that the label sits inside the country even where the centroid would not
(crescents, archipelagos), and the first zoom at which the label fits inside
that landmass's largest inscribed circle. Rings that cross the antimeridian are
unwrapped first (world-atlas stitches them), so Russia's and Fiji's landmasses
are whole. Run again only when the basemap asset changes::

    python tools/basemap_labels.py
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from pathlib import Path

from shapely.geometry import Polygon, box
from shapely.ops import polylabel

ASSETS = Path(__file__).absolute().parent.parent / "geomap" / "outputs" / "assets"
# Label width in CSS px per character (12 px bold sans-serif, uppercase-ish).
CHAR_PX = 7.0
MIN_ZOOM, MAX_ZOOM = 2, 9


def _arcs(topo: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def _ring(arcs: list, indexes: list[int]) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(arc if not pts else arc[1:])
    return pts


def _unwrap(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Longitudes made continuous (a step of more than 180 degrees wraps)."""
    out = [ring[0]]
    offset = 0.0
    for (lon0, _), (lon, lat) in itertools.pairwise(ring):
        if lon - lon0 > 180:
            offset -= 360
        elif lon - lon0 < -180:
            offset += 360
        out.append((lon + offset, lat))
    return out


def label_of(name: str, polygons: list[list[list[int]]], arcs: list) -> list | None:
    """``[name, lat, lon, min_zoom]`` for one country, or None if it has no area."""
    best = None
    frame = box(-400, -80, 400, 84)  # the latitudes a web map shows
    for rings in polygons:
        outer = _unwrap(_ring(arcs, rings[0]))
        if abs(outer[-1][0] - outer[0][0]) > 180 or len(outer) < 4:
            continue  # a ring around a pole (Antarctica): no label
        poly = Polygon(outer, [_ring(arcs, r) for r in rings[1:]]).buffer(0)
        poly = poly.intersection(frame)
        if not poly.is_empty and (best is None or poly.area > best.area):
            best = poly
    if best is None:
        return None
    if best.geom_type != "Polygon":
        best = max(best.geoms, key=lambda g: g.area)
    point = polylabel(best, tolerance=0.05)
    radius = best.exterior.distance(point)
    for hole in best.interiors:
        radius = min(radius, hole.distance(point))
    lon = (point.x + 180) % 360 - 180
    # px per degree at zoom z is 256 * 2**z / 360 (more in latitude, off the
    # equator); the label shows once its width fits the inscribed circle.
    width = CHAR_PX * len(name)
    wanted = width * 360 / (256 * 2 * max(radius, 1e-6))
    zoom = math.ceil(math.log2(wanted)) if wanted > 1 else 0
    return [name, round(point.y, 3), round(lon, 3), min(MAX_ZOOM, max(MIN_ZOOM, zoom))]


def main() -> int:
    """Compute the labels and write the asset; print how many."""
    topo = json.loads((ASSETS / "countries-50m.json").read_text(encoding="utf-8"))
    arcs = _arcs(topo)
    labels = []
    for geom in topo["objects"]["countries"]["geometries"]:
        if geom["type"] == "Polygon":
            polygons = [geom["arcs"]]
        elif geom["type"] == "MultiPolygon":
            polygons = geom["arcs"]
        else:
            continue
        label = label_of(geom["properties"]["name"], polygons, arcs)
        if label is not None:
            labels.append(label)
    labels.sort(key=lambda lab: (lab[3], lab[0]))  # larger countries first
    doc = {
        "source": "countries-50m.json (world-atlas 2.0.2, Natural Earth 1:50m)",
        "fields": ["name", "lat", "lon", "min_zoom"],
        "labels": labels,
    }
    out = ASSETS / "country-labels.json"
    out.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n",
                   encoding="utf-8")
    print(f"{out}: {len(labels)} labels", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
