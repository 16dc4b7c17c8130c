"""Country points: the equal-area centroid of each country's largest landmass.

A country named in news text is best placed in the middle of its main
territory: a centroid of the whole outline drifts to sea (France with its
overseas departments, the United States with Alaska and Hawaii), and a
capital or a source's arbitrary point can be hundreds of kilometres off-centre.
The outlines are Natural Earth 1:50m Admin 0 countries as packaged in the
``world-atlas`` TopoJSON (``gazetteer/data/countries-50m.json``, see
``gazetteer/data/LICENSES.md``), decoded here at build time.
"""

from __future__ import annotations

import json
import math
from importlib.resources import files
from pathlib import Path

import numpy as np
import pycountry
from shapely.geometry import Polygon

__all__ = ["country_points", "decode_topojson"]

_DATA = "countries-50m.json"


def _unwrap(lon: np.ndarray) -> np.ndarray:
    """Longitudes made continuous along a ring (no 360-degree jumps)."""
    step = np.diff(lon)
    fix = -360.0 * np.round(step / 360.0)
    return lon + np.concatenate([[0.0], np.cumsum(fix)])


def decode_topojson(topo: dict, obj: str) -> dict[str, list[list[np.ndarray]]]:
    """Rings of each geometry of TopoJSON object ``obj``, keyed by its ``id``.

    Returns id -> polygons, each a list of rings (exterior first), each ring
    an (n, 2) array of (lon, lat) in degrees.  Quantised, delta-encoded arcs
    are decoded with the file's transform; negative arc indexes run reversed.

    >>> topo = {"transform": {"scale": [1, 1], "translate": [0, 0]},
    ...         "arcs": [[[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]]],
    ...         "objects": {"o": {"geometries": [
    ...             {"type": "Polygon", "id": "1", "arcs": [[0]]}]}}}
    >>> decode_topojson(topo, "o")["1"][0][0].tolist()
    [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
    """
    tr = topo.get("transform")
    arcs = []
    for arc in topo["arcs"]:
        a = np.asarray(arc, dtype=float)[:, :2]
        if tr:
            a = np.cumsum(a, axis=0) * np.asarray(tr["scale"]) + np.asarray(
                tr["translate"])
        arcs.append(a)

    def ring(indexes: list[int]) -> np.ndarray:
        parts = []
        for k, i in enumerate(indexes):
            a = arcs[i] if i >= 0 else arcs[~i][::-1]
            parts.append(a if k == 0 else a[1:])
        return np.concatenate(parts)

    out: dict[str, list[list[np.ndarray]]] = {}
    for g in topo["objects"][obj]["geometries"]:
        if g.get("id") is None:
            continue
        if g["type"] == "Polygon":
            polys = [g["arcs"]]
        elif g["type"] == "MultiPolygon":
            polys = g["arcs"]
        else:
            continue
        out[str(g["id"])] = [[ring(r) for r in poly] for poly in polys]
    return out


def _equal_area(rings: list[np.ndarray]) -> Polygon:
    """The polygon in Lambert's cylindrical equal-area plane (lon, sin lat)."""
    out = []
    for r in rings:
        lon = _unwrap(r[:, 0])
        out.append(np.column_stack([lon, np.sin(np.radians(r[:, 1]))]))
    return Polygon(out[0], out[1:])


def largest_landmass_point(polygons: list[list[np.ndarray]]) -> tuple[float, float]:
    """(lat, lon) of the equal-area centroid of the largest polygon.

    >>> sq = [np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [0.0, 0.0]])]
    >>> big = [np.array([[178.0, 0.0], [-178.0, 0.0], [-178.0, 4.0], [178.0, 4.0],
    ...                  [178.0, 0.0]])]
    >>> lat, lon = largest_landmass_point([sq, big])
    >>> round(lat, 2), round(lon, 2)
    (2.0, 180.0)
    """
    best = max((_equal_area(p) for p in polygons), key=lambda p: p.area)
    c = best.centroid
    lon = (c.x + 180.0) % 360.0 - 180.0
    if lon == -180.0 and c.x > 0:
        lon = 180.0
    return math.degrees(math.asin(max(-1.0, min(1.0, c.y)))), lon


def country_points(path: Path | str | None = None) -> dict[str, tuple[float, float]]:
    """ISO 3166 alpha-2 code -> (lat, lon) of the country's main landmass centroid.

    Outlines without an ISO numeric id (Kosovo, Somaliland, ...) are left out.

    >>> pts = country_points()
    >>> [round(v) for v in pts["US"]], [round(v) for v in pts["FR"]]
    ([39, -99], [47, 2])
    """
    src = Path(path) if path is not None else files("gazetteer") / "data" / _DATA
    topo = json.loads(src.read_text(encoding="utf-8"))
    out: dict[str, tuple[float, float]] = {}
    for numeric, polygons in decode_topojson(topo, "countries").items():
        country = pycountry.countries.get(numeric=numeric)
        if country is None:
            continue
        lat, lon = largest_landmass_point(polygons)
        out[country.alpha_2] = (round(lat, 5), round(lon, 5))
    return out
