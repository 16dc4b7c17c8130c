"""The HTML map: a folium/Leaflet page of incidents and the places mentioned.

The data travel to the page in three ``<script>`` data elements: JSON metadata
(string tables, dates, places mentioned, labels, legend), escaped for embedding
(:func:`embed_json`); the incident columns, deflated little-endian Int32/Int8
arrays over shared sites (a site is one coordinate pair with its gazetteer
names); and the incident text (quote, article id, report titles and sources) as
deflated JSON chunks of ``_TEXT_CHUNK`` incidents. Both binary parts are base64,
whose alphabet has no ``<``, so no article can end the element; a million
incidents make about 40 MB. :func:`read_payload` decodes a page as the script
does. The bundled ``assets/geomap.js`` inflates them (``DecompressionStream``;
a text chunk only when a popup needs it) and draws every layer on canvas:
incident circles (area proportional to killed + wounded, coloured by event
type), marker clusters, a casualty-weighted heat map, places mentioned (sized
by mention count), a legend whose event types filter the circles, and a time
slider. Article strings reach the DOM only through ``textContent``, and a
source becomes a link only if it is an http(s) URL, so markup in an article is
shown, never run.

Every page is one file: Leaflet, the plugins, a Natural Earth country-outline
basemap (split at the antimeridian, with country labels) and labels for the
places that carry incidents are inlined from ``assets/`` (see
``assets/LICENSES.md``); nothing comes from a CDN. The default page draws
OpenStreetMap tiles over the outlines, the only thing it fetches, so without
network it still shows the outlines and every layer; ``offline=True`` leaves
the tiles out.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
import os
import re
import sys
import zlib
from array import array
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.resources import files
from itertools import pairwise
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.map import FitBounds
from folium.template import Template

from geomap.countries import country_name
from geomap.models import EVENT_TYPES, Article, EventType, Incident, Mention, Place
from geomap.outputs.atomic import atomic_write

__all__ = [
    "EVENT_COLORS",
    "MAX_PLACE_LABELS",
    "build_map",
    "clean_quote",
    "embed_json",
    "format_count",
    "is_http_url",
    "legend_counts",
    "marker_radius",
    "place_radius",
    "radius_scale",
    "read_payload",
    "write_map",
]

log = logging.getLogger(__name__)

#: Marker colour per event type (``models.EVENT_TYPES``); unknown types use "other".
EVENT_COLORS: dict[EventType, str] = {
    "airstrike": "#d62728",
    "missile": "#ff7f0e",
    "shelling": "#8c564b",
    "drone": "#9467bd",
    "explosion": "#e377c2",
    "shooting": "#1f77b4",
    "clash": "#2ca02c",
    "bombing": "#bcbd22",
    "other": "#7f7f7f",
}

# Circle radius in CSS pixels: area proportional to killed + wounded (radius
# with its square root, ``scale`` px per sqrt(casualty)). The scale is 2.5 unless
# the largest toll on the map would then exceed 50 px; then it shrinks so that the
# largest toll is exactly 50 px, which keeps every area proportional: 2,300 dead
# draw with 16.5 times the area of 139, never both at one capped size. The 4 px
# floor keeps small and unknown counts visible and clickable.
_R_SCALE = 2.5
_R_MIN = 4.0
_R_MAX = 50.0
_PLACE_SCALE = 3.0
_PLACE_MIN = 4.0
_PLACE_MAX = 30.0
# Legend circles besides the largest toll: 1-2-5 numbers near these area fractions.
_LEGEND_FRACTIONS = (0.25, 0.04)
_QUALIFIERS = (None, "exact", "at_least", "approx")
_PRECISIONS = ("point", "admin1", "country")
_FEATURES = ("city", "admin1", "country")
_ASSETS = files("geomap.outputs").joinpath("assets")
#: At most this many incident places get a label (the largest tolls first).
MAX_PLACE_LABELS = 2000
# Incidents per compressed text chunk: a popup inflates one chunk (about 0.5 MB
# of JSON at most), and chunks this large compress nearly as well as one stream.
_TEXT_CHUNK = 2048
# An unknown figure in an Int32 column (figures are never this negative).
_NULL = -(2**31)


def radius_scale(max_casualties: int) -> float:
    """Pixels per square root of a casualty, for a map whose largest toll is given.

    2.5 px for small tolls; above 400 casualties (where 2.5 px would pass the
    50 px maximum) the scale shrinks so that the largest toll gets 50 px.

    >>> radius_scale(0), radius_scale(42), radius_scale(400)
    (2.5, 2.5, 2.5)
    >>> radius_scale(2500)
    1.0
    """
    if max_casualties <= 0:
        return _R_SCALE
    return round(min(_R_SCALE, _R_MAX / math.sqrt(max_casualties)), 6)


def marker_radius(
    killed: int | None, wounded: int | None, scale: float = _R_SCALE
) -> float:
    """Circle radius (px) for an incident: area proportional to killed + wounded.

    Unknown counts count as zero; the radius is floored at 4 px (so every
    incident stays visible and clickable). ``scale`` comes from
    :func:`radius_scale` for the map's largest toll, which keeps every circle
    within 50 px without a cap that would make large tolls look alike.

    >>> marker_radius(None, None)
    4.0
    >>> marker_radius(12, 4)
    10.0
    >>> marker_radius(0, 1)
    4.0
    >>> s = radius_scale(2300)
    >>> marker_radius(2300, None, s), marker_radius(139, None, s)
    (50.0, 12.29)
    """
    total = _casualties(killed, wounded)
    return round(min(_R_MAX, max(_R_MIN, scale * math.sqrt(total))), 2)


def legend_counts(max_casualties: int, scale: float) -> list[int]:
    """Casualty counts the legend draws circles for: the real range of the data.

    The largest toll on the map, plus round (1-2-5) numbers at about a quarter
    and a twenty-fifth of its area, when their circle is above the 4 px floor.

    >>> legend_counts(2300, radius_scale(2300))
    [100, 500, 2300]
    >>> legend_counts(42, radius_scale(42))
    [10, 42]
    >>> legend_counts(1, 2.5), legend_counts(0, 2.5)
    ([1], [])
    """
    if max_casualties <= 0:
        return []
    counts = {max_casualties}
    for fraction in _LEGEND_FRACTIONS:
        n = _round_125(max_casualties * fraction)
        if n < max_casualties and marker_radius(n, 0, scale) > _R_MIN:
            counts.add(n)
    return sorted(counts)


def _round_125(x: float) -> int:
    """The 1-2-5 number (1, 2, 5, 10, 20, ...) nearest to ``x`` on a log scale."""
    if x <= 1:
        return 1
    exp = math.floor(math.log10(x))
    options = [m * 10**e for e in (exp, exp + 1) for m in (1, 2, 5)]
    return min(options, key=lambda n: abs(math.log(n / x)))


def _casualties(killed: int | None, wounded: int | None) -> int:
    """Killed + wounded, unknown and negative counts as zero."""
    return max(0, killed or 0) + max(0, wounded or 0)


def place_radius(mentions: int) -> float:
    """Circle radius (px) for a place mentioned ``mentions`` times (area ∝ count).

    >>> place_radius(1)
    4.0
    >>> place_radius(4)
    6.0
    >>> place_radius(10_000)
    30.0
    """
    radius = _PLACE_SCALE * math.sqrt(mentions)
    return round(min(_PLACE_MAX, max(_PLACE_MIN, radius)), 2)


def format_count(n: int | None, qualifier: str | None) -> str:
    """A casualty figure as the popup shows it, with its qualifier.

    >>> format_count(12, "at_least")
    'at least 12'
    >>> format_count(1200, "approx")
    'about 1,200'
    >>> format_count(3, "exact")
    '3'
    >>> format_count(None, None)
    'unknown'
    >>> format_count(None, "approx")   # "dozens", "thousands": no number
    'many (no figure given)'
    """
    if n is None:
        return "many (no figure given)" if qualifier == "approx" else "unknown"
    prefix = {"at_least": "at least ", "approx": "about "}.get(qualifier or "", "")
    return f"{prefix}{n:,}"


def is_http_url(value: str | None) -> bool:
    """Whether ``value`` is an absolute http(s) URL, the only kind made a link.

    >>> is_http_url("https://example.org/a?b=1")
    True
    >>> is_http_url("javascript:alert(1)")
    False
    >>> is_http_url(" HTTP://example.org")
    False
    >>> is_http_url(None)
    False
    """
    if not value or value != value.strip():
        return False
    scheme, sep, rest = value.partition("://")
    return bool(sep) and scheme.lower() in ("http", "https") and bool(rest)


def embed_json(value: Any) -> str:
    """JSON text that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where ``\\u003c`` etc.
    mean the same, so no ``</script>`` or ``<!--`` can end the element early;
    U+2028/U+2029 and lone surrogates (invalid in UTF-8) are escaped too.

    >>> embed_json({"q": "</script><b>&"})
    '{"q":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    >>> json.loads(embed_json(["a\\u2028b"])) == ["a\\u2028b"]
    True
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    # Lone surrogates cannot be written as UTF-8; as \\uXXXX escapes they stay JSON.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _scrub(text: str) -> str:
    """``text`` with characters that cannot be UTF-8 encoded replaced."""
    return text.encode("utf-8", "replace").decode("utf-8")


class _Strings:
    """A string table: repeated strings (places, sources) are stored once."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.items: list[str] = []

    def __call__(self, value: str | None) -> int:
        if value is None or value == "":
            return -1
        idx = self.index.get(value)
        if idx is None:
            idx = self.index[value] = len(self.items)
            self.items.append(value)
        return idx


def _country_name(code: str | None) -> str | None:
    """The country's display name; an unknown code shows as itself."""
    return country_name(code) or code or None


def _finite(lat: float, lon: float) -> bool:
    return (isinstance(lat, int | float) and isinstance(lon, int | float)
            and math.isfinite(lat) and math.isfinite(lon))


_MD_HEADING = re.compile(r"\A {0,3}#{1,6}(\s|\Z)")
_UNDERLINE = re.compile(r"\A {0,3}(=+|-+)\s*\Z")


def _norm_line(text: str) -> str:
    return " ".join(text.split()).casefold()


def clean_quote(quote: str, titles: Iterable[str] = ()) -> str:
    r"""The quote without a headline glued in front of its first sentence.

    Text extracted from HTML starts with the page's headline on a line of its
    own, and Markdown starts with ``# heading`` lines; the sentence splitter keeps
    them with the first sentence. Leading lines that are a Markdown heading (or
    its ``===`` underline) or equal an article title are dropped, as long as
    text remains; a lone ``# heading`` quote keeps its words without the hashes.

    >>> clean_quote("Rocket hits\nA rocket hit the station.", ["Rocket hits"])
    'A rocket hit the station.'
    >>> clean_quote("# Strike in Sumy\n\nTwo people died.")
    'Two people died.'
    >>> clean_quote("Strike in Sumy\n===\nTwo died.")
    'Two died.'
    >>> clean_quote("## Two people died in Sumy")
    'Two people died in Sumy'
    >>> clean_quote("Two died.\nMore later.", ["Two died."])
    'More later.'
    >>> clean_quote("Two died.", ["Two died."])
    'Two died.'
    """
    if "\n" not in quote and "#" not in quote[:7]:
        return quote  # one line, no heading: the usual case, kept fast
    wanted = {_norm_line(t) for t in titles if t}
    lines = quote.split("\n")
    while len(lines) > 1:
        first = lines[0]
        heading = _MD_HEADING.match(first)
        if not first.strip() or heading or _norm_line(first) in wanted:
            lines.pop(0)
        elif len(lines) > 2 and _UNDERLINE.match(lines[1]) and lines[2].strip():
            del lines[:2]
        else:
            break
        while lines and not lines[0].strip():
            lines.pop(0)
    if not lines:
        return quote
    text = "\n".join(lines)
    if len(lines) == 1 and _MD_HEADING.match(text):
        text = text.lstrip(" ").lstrip("#").strip() or text
    return text.strip() or quote


def _same_name(a: str | None, b: str | None) -> bool:
    """Whether two spellings differ only in case and spacing."""
    return a == b or _norm_line(a or "") == _norm_line(b or "")


def _titles(
    incidents: Sequence[Incident], articles: Iterable[Article]
) -> dict[str, str]:
    """Article title by article id and by source, for the incidents' articles."""
    keys = {inc.article_id for inc in incidents}
    keys.update(s for inc in incidents for s in inc.sources)
    out: dict[str, str] = {}
    for art in articles:
        if not art.title:
            continue
        title = _scrub(art.title)
        for key in (art.id, art.source or art.id):
            if key in keys:
                out.setdefault(key, title)
    return out


def _reports(
    inc: Incident, titles: dict[str, str]
) -> list[tuple[str | None, str | None]]:
    """``(title, source)`` per report of ``inc``, as its popup lists them.

    One line per source; an incident without a source has one line, for its
    article. A source's own title comes first, else (for a lone source) the
    article's; ``None`` where nothing is known.
    """
    keys: list[str | None] = [s for s in inc.sources if s] or [None]
    own = titles.get(inc.article_id)
    out: list[tuple[str | None, str | None]] = []
    for key in keys:
        if key is None:
            out.append((own, None))
        else:
            out.append((titles.get(key) or (own if len(keys) == 1 else None), key))
    return out


class _TextChunks:
    """Incident text (quote, article id, reports) as deflated JSON chunks.

    Every ``_TEXT_CHUNK`` incidents make one chunk, compressed on its own so that
    the page inflates only the chunk of the popup it opens; the chunks are
    base64 (no ``<`` can occur) and concatenated, with their offsets.
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offsets = [0]
        self._cols: dict[str, list[Any]] = {"q": [], "a": [], "r": []}

    def add(self, quote: str | None, article: str, reports: list[Any]) -> None:
        cols = self._cols
        cols["q"].append(quote)
        cols["a"].append(article)
        cols["r"].append(reports)
        if len(cols["q"]) >= _TEXT_CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self._cols["q"]:
            return
        text = json.dumps(self._cols, ensure_ascii=False, separators=(",", ":"))
        # Lone surrogates cannot be UTF-8; as \\uXXXX escapes they stay JSON.
        raw = text.encode("utf-8", "backslashreplace")
        part = base64.b64encode(zlib.compress(raw, 6)).decode("ascii")
        self.parts.append(part)
        self.offsets.append(self.offsets[-1] + len(part))
        self._cols = {"q": [], "a": [], "r": []}


def _int32(value: int | None) -> int:
    """A figure for an Int32 column: ``_NULL`` when unknown, clamped otherwise."""
    if value is None:
        return _NULL
    return max(_NULL + 1, min(2**31 - 1, value))


def _pack(columns: list[tuple[str, str, array]]) -> tuple[bytes, list[list[Any]]]:
    """Little-endian columns one after another, with ``[name, type, offset, count]``.

    4-byte columns come first, so that each starts at a multiple of 4 (a typed
    array view needs that).
    """
    order = sorted(columns, key=lambda c: -c[2].itemsize)
    out = bytearray()
    layout = []
    for name, kind, values in order:
        if sys.byteorder != "little":  # pragma: no cover - x86 and ARM are little
            values = array(values.typecode, values)
            values.byteswap()
        layout.append([name, kind, len(out), len(values)])
        out += values.tobytes()
    return bytes(out), layout


def _payload(
    incidents: Sequence[Incident], mentions: Iterable[Mention], title: str | None,
    articles: Iterable[Article] = (),
) -> tuple[dict[str, Any], bytes, _TextChunks, list[tuple[float, float]]]:
    """The page's data: JSON metadata, the binary incident columns, their text.

    Incidents share sites (one coordinate pair and gazetteer names, in the
    ``site`` columns); each incident is a row of small integers (``inc``
    columns) pointing into the sites, the dates and the string table.
    """
    strings = _Strings()
    types = list(EVENT_TYPES)
    type_index = {t: i for i, t in enumerate(types)}
    mapped = [
        inc for inc in incidents
        if inc.place is not None and _finite(inc.place.lat, inc.place.lon)
    ]
    titles = _titles(mapped, articles)
    # Draw large circles first so that small ones on the same spot stay clickable.
    mapped.sort(key=lambda inc: -_casualties(inc.killed, inc.wounded))
    top = _casualties(mapped[0].killed, mapped[0].wounded) if mapped else 0
    scale = radius_scale(top)
    dates = sorted({inc.date for inc in mapped if inc.date is not None})
    date_index = {d: i for i, d in enumerate(dates)}
    site_cols = {key: array("i") for key in ("lat", "lon", "pl", "a1", "cn")}
    sites: dict[tuple[int, int, int, int, int], int] = {}
    inc_cols = {key: array("i") for key in ("site", "d", "k", "w", "loc")}
    inc_cols.update({key: array("b") for key in ("t", "kq", "wq", "pr")})
    text = _TextChunks()
    weights: list[int] = []
    labels: dict[tuple[int, int, int], list[int]] = {}
    for inc in mapped:
        place = inc.place
        assert place is not None
        # 4 decimals (about 10 m) are plenty to draw; the layers keep 6.
        lat, lon = round(place.lat * 1e4), round(place.lon * 1e4)
        name = strings(place.name)
        key = (lat, lon, name, strings(place.admin1),
               strings(_country_name(place.country_code)))
        site = sites.get(key)
        if site is None:
            site = sites[key] = len(sites)
            for col, value in zip(("lat", "lon", "pl", "a1", "cn"), key, strict=True):
                site_cols[col].append(value)
        inc_cols["site"].append(site)
        total = _casualties(inc.killed, inc.wounded)
        weights.append(max(1, total))
        inc_cols["t"].append(type_index.get(inc.event_type, type_index["other"]))
        inc_cols["d"].append(date_index[inc.date] if inc.date is not None else -1)
        inc_cols["k"].append(_int32(inc.killed))
        inc_cols["w"].append(_int32(inc.wounded))
        inc_cols["kq"].append(_qualifier_index(inc.killed_qualifier))
        inc_cols["wq"].append(_qualifier_index(inc.wounded_qualifier))
        # The text's spelling, only where it differs from the gazetteer's name.
        inc_cols["loc"].append(-1 if _same_name(inc.location, place.name)
                               else strings(inc.location))
        inc_cols["pr"].append(_PRECISIONS.index(inc.precision)
                              if inc.precision in _PRECISIONS else -1)
        own = [titles[k] for k in (inc.article_id, *inc.sources) if k in titles]
        text.add(clean_quote(inc.quote, own) if inc.quote else None, inc.article_id,
                 _reports(inc, titles))
        if name >= 0:
            label = labels.setdefault((lat, lon, name), [0, 0])
            label[0] += total
            label[1] += 1
    text.flush()

    points = [(la / 1e4, lo / 1e4)
              for la, lo in zip(site_cols["lat"], site_cols["lon"], strict=True)]
    places, place_points = _places_payload(mentions, strings)
    points.extend(place_points)
    weights.sort()
    heat_max = float(weights[int(0.95 * (len(weights) - 1))]) if weights else 1.0
    present = sorted(set(inc_cols["t"]))
    ranked = sorted(labels.items(), key=lambda kv: (-kv[1][0], -kv[1][1]))
    ranked = ranked[:MAX_PLACE_LABELS]
    binary, layout = _pack(
        [(f"site.{k}", "i4", v) for k, v in site_cols.items()]
        + [(k, "i4" if v.itemsize == 4 else "i1", v) for k, v in inc_cols.items()])
    payload = {
        "v": 2,
        "title": title,
        "types": types,
        "colors": [EVENT_COLORS.get(t, EVENT_COLORS["other"]) for t in types],
        "quals": list(_QUALIFIERS),
        "precisions": list(_PRECISIONS),
        "features": list(_FEATURES),
        "dates": [d.isoformat() for d in dates],
        "n": len(mapped),
        "sites": len(sites),
        "null": _NULL,
        "columns": layout,
        "textChunk": _TEXT_CHUNK,
        "textOffsets": text.offsets,
        "radius": {"scale": scale, "min": _R_MIN, "max": _R_MAX},
        "places": places,
        "strings": strings.items,
        "labels": {
            "lat": [k[0] / 1e4 for k, _ in ranked],
            "lon": [k[1] / 1e4 for k, _ in ranked],
            "name": [k[2] for k, _ in ranked],
        },
        "countries": _country_labels(),
        "unmapped": len(incidents) - len(mapped),
        "heatMax": max(1.0, heat_max),
        "legend": {
            "types": present,
            "sizes": [[None, marker_radius(None, None, scale)]]
            + [[n, marker_radius(n, 0, scale)] for n in legend_counts(top, scale)],
            "maxR": marker_radius(top, 0, scale),
        },
    }
    return payload, binary, text, points


def _qualifier_index(qualifier: str | None) -> int:
    return _QUALIFIERS.index(qualifier) if qualifier in _QUALIFIERS else 0


class _PlaceTally:
    """What the places layer keeps of one place's mentions: a count, the
    articles (counted as their mentions stream past, grouped per article) and
    the first few spellings; not the mentions."""

    __slots__ = ("articles", "forms", "last_article", "n", "place")

    def __init__(self, place: Place) -> None:
        self.place = place
        self.n = 0
        self.articles = 0
        self.last_article: str | None = None
        self.forms: dict[str, None] = {}

    def add(self, mention: Mention) -> None:
        self.n += 1
        if mention.article_id != self.last_article:
            self.articles += 1
            self.last_article = mention.article_id
        if len(self.forms) < 5:
            self.forms.setdefault(mention.text, None)


def _places_payload(
    mentions: Iterable[Mention], strings: _Strings
) -> tuple[dict[str, list[Any]], list[tuple[float, float]]]:
    """Mentions aggregated per place (by geonameid), largest first.

    ``mentions`` stream past once, each article's together (as results give
    them), so the articles per place are counted without keeping their ids.
    """
    groups: dict[int, _PlaceTally] = {}
    for m in mentions:
        if m.place is not None and _finite(m.place.lat, m.place.lon):
            tally = groups.get(m.place.geonameid)
            if tally is None:
                tally = groups[m.place.geonameid] = _PlaceTally(m.place)
            tally.add(m)
    ordered = sorted(groups.values(), key=lambda t: -t.n)
    cols: dict[str, list[Any]] = {key: [] for key in (
        "lat", "lon", "r", "name", "a1", "cn", "f", "n", "na", "forms")}
    points = []
    for tally in ordered:
        place = tally.place
        lat, lon = round(place.lat, 4), round(place.lon, 4)
        points.append((lat, lon))
        cols["lat"].append(lat)
        cols["lon"].append(lon)
        cols["r"].append(place_radius(tally.n))
        cols["name"].append(strings(place.name))
        cols["a1"].append(strings(place.admin1))
        cols["cn"].append(strings(_country_name(place.country_code)))
        cols["f"].append(_FEATURES.index(place.feature)
                         if place.feature in _FEATURES else 0)
        cols["n"].append(tally.n)
        cols["na"].append(tally.articles)
        cols["forms"].append([strings(f) for f in tally.forms])
    return cols, points


def _bounds(points: list[tuple[float, float]]) -> list[list[float]] | None:
    if not points:
        return None
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    # A single point (or a tight cluster) still gets a readable neighbourhood.
    pad_lat = max(0.0, 0.25 - (north - south)) / 2
    pad_lon = max(0.0, 0.25 - (east - west)) / 2
    return [[south - pad_lat, west - pad_lon], [north + pad_lat, east + pad_lon]]


@cache
def _asset(name: str) -> str:
    return _ASSETS.joinpath(name).read_text(encoding="utf-8")


@cache
def _leaflet_css() -> str:
    css = _asset("leaflet.css")
    for png in ("layers-2x.png", "layers.png"):
        data = base64.b64encode(_ASSETS.joinpath(png).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{png})", f"url(data:image/png;base64,{data})")
    # Leaflet's default marker icon is not bundled (the map draws no markers).
    return css.replace("url(images/marker-icon.png)", "none")


@cache
def _country_labels() -> list[list[Any]]:
    """``[name, lat, lon, min_zoom]`` per country (``assets/country-labels.json``)."""
    return json.loads(_asset("country-labels.json"))["labels"]


@cache
def _basemap_json() -> str:
    # The vendor TopoJSON, re-serialised through embed_json to be safe in <script>.
    return embed_json(json.loads(_asset("countries-50m.json")))


def _inline_script(source: str) -> str:
    if "</script" in source.lower():  # pragma: no cover - vendor files are checked
        raise ValueError("asset would end its <script> element early")
    return f"<script>\n{source}\n</script>\n"


def _inline_style(source: str) -> str:
    if "</style" in source.lower():  # pragma: no cover - vendor files are checked
        raise ValueError("asset would end its <style> element early")
    return f"<style>\n{source}\n</style>\n"


class _Raw(Element):
    """Trusted, pre-built markup (our assets or escaped JSON), not a template."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self._markup = markup

    def render(self, **kwargs: Any) -> str:
        return self._markup


class _GeomapLayers(MacroElement):
    """Puts the assets, the data and the call to ``geomapRender`` on the page.

    The data are three elements: the JSON metadata (escaped by
    :func:`embed_json`), the binary incident columns and the text chunks (both
    base64, whose alphabet has no ``<``, so no article can end the element).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            geomapRender({{ this._parent.get_name() }}, {{ this.data_id|tojson }},
                         {{ this.base_id|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, data_json: str, binary: bytes, text: _TextChunks) -> None:
        super().__init__()
        self._name = "GeomapLayers"
        self.data_json = data_json
        self.binary = binary
        self.text = text
        self.data_id = f"geomap-data-{self.get_name()}"
        self.base_id = f"geomap-base-{self.get_name()}"

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        head = [_inline_style(_leaflet_css()), _inline_script(_asset("leaflet.js"))]
        head += [
            _inline_style(_asset("MarkerCluster.css")),
            _inline_style(_asset("geomap.css")),
            _inline_script(_asset("leaflet.markercluster.js")),
            _inline_script(_asset("leaflet-heat.js")),
            _inline_script(_asset("topojson-client.min.js")),
            _inline_script(_asset("geomap.js")),
        ]
        figure.header.add_child(_Raw("".join(head)), name="geomap_assets")
        body = [
            f'<script type="application/json" id="{self.data_id}">'
            f"{self.data_json}</script>\n",
            f'<script type="application/octet-stream" id="{self.data_id}-bin">',
            base64.b64encode(zlib.compress(self.binary, 6)).decode("ascii"),
            "</script>\n",
            f'<script type="application/octet-stream" id="{self.data_id}-text">',
            *self.text.parts,
            "</script>\n",
            f'<script type="application/json" id="{self.base_id}">'
            f"{_basemap_json()}</script>\n",
        ]
        figure.html.add_child(_Raw("".join(body)), name="geomap_data")
        super().render(**kwargs)


def _element_text(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}">') + len(element_id) + 6
    return page[start:page.index("</script>", start)]


def read_payload(page: str) -> dict[str, Any]:
    """The data of a rendered map page, decoded as the page's script decodes them.

    For tests and tools: the JSON metadata, with ``inc`` holding one list per
    incident column (sites expanded to ``lat``/``lon``/``pl``/``a1``/``cn``;
    unknown figures ``None``; ``q`` quotes, ``a`` article ids, ``r`` reports as
    ``[title, source]`` pairs).

    >>> page = build_map([]).get_root().render()
    >>> read_payload(page)["inc"]["lat"], read_payload(page)["n"]
    ([], 0)
    """
    found = re.search(r'<script type="application/json" id="(geomap-data-[^"]+)">',
                      page)
    if found is None:
        raise ValueError("not a geomap page: no data element")
    data_id = found.group(1)
    data = json.loads(_element_text(page, data_id))
    binary = zlib.decompress(base64.b64decode(_element_text(page, f"{data_id}-bin")))
    cols: dict[str, list[Any]] = {}
    for name, kind, offset, count in data["columns"]:
        values = array("i" if kind == "i4" else "b")
        values.frombytes(binary[offset:offset + count * values.itemsize])
        if sys.byteorder != "little":  # pragma: no cover
            values.byteswap()
        cols[name] = values.tolist()
    site = cols.pop("site")
    inc: dict[str, list[Any]] = {}
    for key in ("lat", "lon", "pl", "a1", "cn"):
        values = cols.pop(f"site.{key}")
        inc[key] = [values[s] / 1e4 if key in ("lat", "lon") else values[s]
                    for s in site]
    for key in ("k", "w"):
        cols[key] = [None if v == data["null"] else v for v in cols[key]]
    inc.update(cols)
    text = _element_text(page, f"{data_id}-text")
    inc.update({"q": [], "a": [], "r": []})
    offsets = data["textOffsets"]
    for start, end in pairwise(offsets):
        chunk = json.loads(zlib.decompress(base64.b64decode(text[start:end])))
        for key in ("q", "a", "r"):
            inc[key].extend(chunk[key])
    data["inc"] = inc
    return data


def build_map(
    incidents: Sequence[Incident],
    mentions: Iterable[Mention] = (),
    *,
    offline: bool = False,
    title: str | None = None,
    articles: Iterable[Article] = (),
) -> folium.Map:
    """Build the map of ``incidents`` and the places in ``mentions``.

    Incidents without a resolved place cannot be drawn; they are counted in the
    page's header. ``title`` (which may come from an article) is escaped like
    every other string.

    Parameters
    ----------
    incidents : Sequence[Incident]
        Incidents to draw, one circle each at the resolved place (lat, lon).
    mentions : Iterable[Mention]
        Place mentions; aggregated per geonameid into the "places mentioned" layer
        as they stream past (read once, each article's mentions together).
    offline : bool
        Leave out the OpenStreetMap tiles, so the page requests nothing. Every
        page inlines Leaflet, the plugins and the country-outline basemap that
        the tiles (when present) are drawn over.
    title : str, optional
        Shown on the map and as the page title.
    articles : Iterable[Article]
        The incidents' articles (texts are not needed): their titles head the
        popups' source lines, matched by source or article id.

    Returns
    -------
    folium.Map
        Render with ``m.get_root().render()`` or write with :func:`write_map`.

    Examples
    --------
    >>> from geomap.models import Incident, Place
    >>> kyiv = Place(703448, "Kyiv", 50.45466, 30.5238, "UA", "Kyiv City", "city")
    >>> inc = Incident("a1", kyiv, "Kyiv", "point", "missile", None, 3, None,
    ...                "exact", None, "A missile killed 3 <people>.", ("https://x.org",))
    >>> page = build_map([inc], offline=True, title="<b>Test").get_root().render()
    >>> "<people>" in page, "<b>Test" in page, "cdn." in page
    (False, False, False)
    >>> read_payload(page)["inc"]["q"], read_payload(page)["title"]
    (['A missile killed 3 <people>.'], '<b>Test')
    """
    payload, binary, text, points = _payload(
        incidents, mentions, _scrub(title) if title else None, articles)
    m = folium.Map(
        location=[20.0, 0.0],
        zoom_start=2,
        tiles=None if offline else "OpenStreetMap",
        prefer_canvas=True,
        control_scale=True,
        world_copy_jump=True,
    )
    # Drop folium's CDN links (Leaflet, jQuery, Bootstrap, Font Awesome, ...):
    # geomap.js needs only Leaflet and the plugins, which are inlined instead, so
    # that only the tiles (online maps) ever come from the network.
    m.default_js = []
    m.default_css = []
    if title:
        m.get_root().title = html.escape(_scrub(title))
    bounds = _bounds(points)
    if bounds is not None:
        # Set the view before the layers are added, so that they draw only once.
        fit = FitBounds(bounds, padding=(20, 20), max_zoom=11)
        # Straight to that view, without a zoom animation from the world view:
        # the circles are drawn once (at a million, each draw counts).
        fit.options["animate"] = False
        m.add_child(fit)
    m.add_child(_GeomapLayers(embed_json(payload), binary, text))
    log.debug("map: %d incidents drawn, %d without coordinates, %d places",
              payload["n"], payload["unmapped"],
              len(payload["places"]["lat"]))
    return m


def write_map(
    path: str | os.PathLike[str],
    incidents: Sequence[Incident],
    mentions: Iterable[Mention] = (),
    *,
    offline: bool = False,
    title: str | None = None,
    articles: Iterable[Article] = (),
) -> None:
    """Write the map as one HTML file, atomically (temp file + rename).

    See :func:`build_map` for the arguments.
    """
    page = build_map(incidents, mentions, offline=offline, title=title,
                  articles=articles).get_root().render()
    with atomic_write(path) as fh:
        fh.write(page)
