"""Layers for GIS tools: GeoDataFrames, GeoJSON, GeoPackage, GeoParquet, ACLED CSV.

Columns are the flat records of :mod:`geomap.outputs.records` (the same names
as ``geomap extract``'s jsonl and the GeoJSON properties) plus a point geometry
in WGS84 (EPSG:4326); rows without a resolved place have a null geometry.
Every file is written to a temp file beside its target and renamed into place.

The CSV follows ACLED's codebook (column names and order, codes) so that ACLED
workflows can read it; :func:`acled_frame` documents every column and the README
has the mapping table. Our own columns come after ACLED's
(:data:`GEOMAP_CSV_FIELDS`).
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geomap.countries import country_alpha3, country_name
from geomap.errors import OutputError
from geomap.models import GEO_PRECISION, EventType, Incident, Mention
from geomap.nlp import lexicon
from geomap.outputs.atomic import atomic_path, atomic_write
from geomap.outputs.geojson import incidents_geojson, write_features, write_geojson
from geomap.outputs.records import (
    INCIDENT_FIELDS,
    PLACE_FIELDS,
    incident_record,
    mention_record,
)

__all__ = [
    "ACLED_FIELDS",
    "FORMATS",
    "GEOMAP_CSV_FIELDS",
    "Format",
    "acled_country",
    "acled_fatalities",
    "acled_frame",
    "acled_geo_precision",
    "acled_time_precision",
    "incidents_geodataframe",
    "places_geodataframe",
    "write_layers",
]

log = logging.getLogger(__name__)

Format = Literal["geojson", "gpkg", "parquet", "csv"]
FORMATS: tuple[str, ...] = ("geojson", "gpkg", "parquet", "csv")
CRS = "EPSG:4326"

#: The ACLED columns of the CSV, in ACLED's order (actors and interaction codes,
#: which geomap does not extract, are left out).
ACLED_FIELDS: tuple[str, ...] = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type",
    "event_type", "sub_event_type", "country", "admin1", "location", "latitude",
    "longitude", "geo_precision", "source", "notes", "fatalities",
)
#: geomap's own columns, after ACLED's.
GEOMAP_CSV_FIELDS: tuple[str, ...] = (
    "geomap_event_type", "killed", "wounded", "killed_qualifier",
    "wounded_qualifier", "review_status", "article_id", "geonameid",
)
_ACLED_EVENT_TYPE: dict[EventType, str] = {
    "airstrike": "Explosions/Remote violence",
    "missile": "Explosions/Remote violence",
    "shelling": "Explosions/Remote violence",
    "drone": "Explosions/Remote violence",
    "explosion": "Explosions/Remote violence",
    "bombing": "Explosions/Remote violence",
    "clash": "Battles",
    "shooting": "Violence against civilians",
}
_ACLED_SUB_EVENT = {
    "airstrike": "Air/drone strike",
    "drone": "Air/drone strike",
    "missile": "Shelling/artillery/missile attack",
    "shelling": "Shelling/artillery/missile attack",
    "explosion": "Remote explosive/landmine/IED",
    "bombing": "Remote explosive/landmine/IED",
    "clash": "Armed clash",
    "shooting": "Attack",
}
# ACLED's spellings where they differ from pycountry's common names.
_ACLED_COUNTRY = {
    "RU": "Russia", "CD": "Democratic Republic of Congo", "CG": "Republic of Congo",
    "PS": "Palestine", "TR": "Turkey", "CZ": "Czech Republic", "BN": "Brunei",
    "CV": "Cape Verde", "SZ": "eSwatini", "CI": "Ivory Coast", "VA": "Vatican City",
    "FM": "Micronesia", "MK": "North Macedonia", "TW": "Taiwan",
}
_INT_FIELDS = ("geonameid", "killed", "wounded", "start", "end")


@cache
def acled_country(code: str | None) -> str | None:
    """Country name for an ISO 3166-1 alpha-2 code, spelled as ACLED spells it.

    >>> acled_country("UA"), acled_country("RU"), acled_country("sy")
    ('Ukraine', 'Russia', 'Syria')
    >>> acled_country("XX") is None, acled_country(None) is None
    (True, True)
    """
    if not code:
        return None
    return _ACLED_COUNTRY.get(code.upper()) or country_name(code)


@cache
def _near_pattern() -> re.Pattern[str]:
    words = sorted(lexicon.load("nearness"), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\s+$",
                      re.I)


def acled_geo_precision(incident: Incident) -> int | None:
    """ACLED ``geo_precision``: 1 the named town, 2 near a town or part of a
    region, 3 a region or larger; None without a place.

    The place's feature decides through ``geomap.models.GEO_PRECISION``
    (``city`` 1, ``admin2`` 2, larger areas and natural features 3); a town the
    quote puts an event *near* ("near X", "outside X", "10 km from X"; lexicon
    ``nearness``) is 2.

    >>> from geomap.models import Incident, Place
    >>> kyiv = Place(703448, "Kyiv", 50.45466, 30.5238, "UA", "Kyiv City", "city")
    >>> inc = lambda q, p=kyiv: Incident("a", p, "Kyiv", "point", "missile", None,
    ...                                  1, None, "exact", None, q)
    >>> [acled_geo_precision(inc(q)) for q in ("A strike on Kyiv.",
    ...     "A strike near Kyiv.", "Shells fell 20 km from Kyiv.")]
    [1, 2, 2]
    >>> acled_geo_precision(inc("x", None)) is None
    True
    """
    if incident.place is None:
        return None
    code = GEO_PRECISION.get(incident.place.feature)
    if code == 1 and incident.location:
        pattern = _near_pattern()
        at = incident.quote.find(incident.location)
        while at >= 0:
            if pattern.search(incident.quote[:at]):
                return 2
            at = incident.quote.find(incident.location, at + 1)
    return code


@cache
def _time_spans() -> tuple[tuple[re.Pattern[str], int], ...]:
    code = {"week": 2, "month": 3}
    rows = sorted(lexicon.entries("time_spans"), key=lambda r: -len(r["text"]))
    return tuple((re.compile(r"\b" + re.escape(r["text"]) + r"\b", re.I),
                  code[r["kind"]]) for r in rows)


def acled_time_precision(incident: Incident) -> int | None:
    """ACLED ``time_precision``: 1 the day is known, 2 only the week, 3 only
    the month (phrases of the lexicon ``time_spans``); None without a date
    and without such a phrase.

    >>> import datetime as dt
    >>> from geomap.models import Incident
    >>> inc = lambda q, d=dt.date(2022, 3, 1): Incident("a", None, "", None,
    ...     "other", d, 1, None, "exact", None, q)
    >>> [acled_time_precision(inc(q)) for q in ("Shelling on Monday killed one.",
    ...     "Shelling last week killed one.", "Earlier this month, one died.")]
    [1, 2, 3]
    >>> acled_time_precision(inc("No date.", None)) is None
    True
    """
    found = [code for pattern, code in _time_spans() if pattern.search(incident.quote)]
    if found:
        return max(found)
    return 1 if incident.date is not None else None


@cache
def _vague_amounts() -> tuple[tuple[re.Pattern[str], int], ...]:
    rows = sorted(lexicon.entries("vague_fatalities"), key=lambda r: -len(r["text"]))
    return tuple((re.compile(r"\b" + re.escape(r["text"]) + r"\b", re.I),
                  int(r["value"])) for r in rows)


def acled_fatalities(incident: Incident) -> int:
    """ACLED ``fatalities`` for one report: the killed figure; for a vague
    amount ("dozens", "hundreds": lexicon ``vague_fatalities``) the codebook's
    figure, the lowest if the quote has several; 0 when unknown.

    A qualified figure ("at least 12") gives its number (12).

    >>> from geomap.models import Incident
    >>> inc = lambda k, q, quote: Incident("a", None, "", None, "other", None, k,
    ...                                    None, q, None, quote)
    >>> acled_fatalities(inc(12, "at_least", "At least 12 died."))
    12
    >>> [acled_fatalities(inc(None, "approx", t)) for t in ("Dozens were killed.",
    ...     "Hundreds died.", "Tens of thousands died.", "Dozens or hundreds died.")]
    [12, 100, 10000, 12]
    >>> acled_fatalities(inc(None, None, "No word of casualties."))
    0
    """
    if incident.killed is not None:
        return max(0, int(incident.killed))
    if incident.killed_qualifier is None:
        return 0
    text = incident.quote
    values = []
    for pattern, value in _vague_amounts():  # longest phrases first
        if pattern.search(text):
            values.append(value)
            text = pattern.sub(" ", text)
    return min(values) if values else 0


def _same_event(merged: Incident, report: Incident) -> bool:
    from geomap.merge import same_place, types_compatible

    return (merged.date == report.date
            and types_compatible(merged.event_type, report.event_type)
            and same_place(merged.place, report.place, 25.0)
            and bool(set(report.sources or (report.article_id,))
                     & set(merged.sources or (merged.article_id,))))


def _frame(records: list[dict[str, Any]], fields: Sequence[str]) -> gpd.GeoDataFrame:
    df = pd.DataFrame.from_records(records, columns=list(fields))
    for name in _INT_FIELDS:
        if name in df.columns:
            df[name] = df[name].astype("Int64")
    for name in ("lat", "lon", "score"):
        if name in df.columns:
            df[name] = df[name].astype("float64")
    geometry = [
        Point(r["lon"], r["lat"]) if r["lat"] is not None and r["lon"] is not None
        else None
        for r in records
    ]
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geometry, crs=CRS), crs=CRS)


def incidents_geodataframe(incidents: Iterable[Incident]) -> gpd.GeoDataFrame:
    """Incidents as a GeoDataFrame: ``INCIDENT_FIELDS`` + point geometry (EPSG:4326).

    ``killed``, ``wounded`` and ``geonameid`` are nullable integers (``Int64``);
    ``date`` is the ISO date string, as in the jsonl.

    >>> from geomap.models import Incident, Place
    >>> kyiv = Place(703448, "Kyiv", 50.45466, 30.5238, "UA", "Kyiv City", "city")
    >>> gdf = incidents_geodataframe([Incident("a1", kyiv, "Kyiv", "point", "missile",
    ...     None, 3, None, "exact", None, "q")])
    >>> gdf.geometry.iloc[0].wkt, str(gdf.crs), gdf["wounded"].iloc[0] is pd.NA
    ('POINT (30.5238 50.45466)', 'EPSG:4326', True)
    """
    return _frame([incident_record(i) for i in incidents], INCIDENT_FIELDS)


def places_geodataframe(mentions: Iterable[Mention]) -> gpd.GeoDataFrame:
    """Resolved place mentions, one row each: ``PLACE_FIELDS`` + point geometry.

    Mentions without a resolved place are left out, as in the GeoJSON.

    >>> places_geodataframe([]).columns.tolist()[-1]
    'geometry'
    """
    return _frame([mention_record(m) for m in mentions if m.place], PLACE_FIELDS)


def acled_frame(incidents: Iterable[Incident],
                reports: Iterable[Incident] | None = None) -> pd.DataFrame:
    """Incidents as an ACLED-style table: ``ACLED_FIELDS`` + ``GEOMAP_CSV_FIELDS``.

    ``reports`` are the incidents before the cross-article merge; with them,
    ``fatalities`` is the lowest figure among the reports of each event (the
    codebook's rule for conflicting reports) instead of the merged (highest)
    one. Columns: ``event_id_cnty`` (ISO alpha-3 + running number),
    ``event_date`` (ISO), ``year``, ``time_precision``
    (:func:`acled_time_precision`), ``disorder_type`` ("Political violence"),
    ``event_type`` and ``sub_event_type`` (from our type; ``other`` is empty),
    ``country`` (ACLED's spelling), ``admin1``, ``location``, ``latitude``,
    ``longitude`` (6 decimals), ``geo_precision`` (:func:`acled_geo_precision`),
    ``source`` (sources joined with "; "), ``notes`` (the quote) and
    ``fatalities`` (:func:`acled_fatalities`).

    >>> from geomap.models import Incident, Place
    >>> kyiv = Place(703448, "Kyiv", 50.45466, 30.5238, "UA", "Kyiv City", "city")
    >>> row = acled_frame([Incident("a1", kyiv, "Kyiv", "point", "missile", None,
    ...     None, 4, None, "exact", "q", ("https://x.org", "Agency"))]).iloc[0]
    >>> row["event_type"], row["country"], int(row["fatalities"]), row["source"]
    ('Explosions/Remote violence', 'Ukraine', 0, 'https://x.org; Agency')
    >>> row["event_id_cnty"], row["sub_event_type"], row["review_status"]
    ('UKR1', 'Shelling/artillery/missile attack', 'machine')
    """
    incidents = list(incidents)
    pool = list(reports) if reports is not None else None
    rows = []
    counters: dict[str, int] = {}
    for inc in incidents:
        rec = incident_record(inc)
        fatalities = acled_fatalities(inc)
        if pool:
            members = [r for r in pool if _same_event(inc, r)]
            if members:
                fatalities = min(acled_fatalities(r) for r in members)
        iso3 = country_alpha3(rec["country_code"])
        event_id = None
        if iso3:
            counters[iso3] = counters.get(iso3, 0) + 1
            event_id = f"{iso3}{counters[iso3]}"
        acled_type = _ACLED_EVENT_TYPE.get(inc.event_type)
        rows.append({
            "event_id_cnty": event_id,
            "event_date": rec["date"],
            "year": inc.date.year if inc.date else None,
            "time_precision": acled_time_precision(inc),
            "disorder_type": "Political violence" if acled_type else None,
            "event_type": acled_type,
            "sub_event_type": _ACLED_SUB_EVENT.get(inc.event_type),
            "country": acled_country(rec["country_code"]),
            "admin1": rec["admin1"],
            "location": rec["place_name"],
            "latitude": rec["lat"],
            "longitude": rec["lon"],
            "geo_precision": acled_geo_precision(inc),
            "source": "; ".join(s for s in inc.sources if s) or None,
            "notes": inc.quote,
            "fatalities": fatalities,
            "geomap_event_type": inc.event_type,
            "killed": inc.killed, "wounded": inc.wounded,
            "killed_qualifier": inc.killed_qualifier,
            "wounded_qualifier": inc.wounded_qualifier,
            "review_status": inc.review_status,
            "article_id": inc.article_id,
            "geonameid": rec["geonameid"],
        })
    df = pd.DataFrame.from_records(rows, columns=[*ACLED_FIELDS, *GEOMAP_CSV_FIELDS])
    for name in ("geo_precision", "time_precision", "year", "killed", "wounded",
                 "geonameid"):
        df[name] = df[name].astype("Int64")
    df["fatalities"] = df["fatalities"].astype("int64")
    for name in ("latitude", "longitude"):
        df[name] = df[name].astype("float64")
    return df


def _write_csv(path: Path, df: pd.DataFrame) -> None:
    with atomic_write(path) as fh:
        df.to_csv(fh, index=False, lineterminator="\n")


def _write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    with atomic_path(path) as tmp:
        tmp.unlink()  # GDAL creates the GeoPackage itself; an empty file is not one
        with warnings.catch_warnings():
            # The temp name does not end in .gpkg until it is renamed.
            warnings.filterwarnings("ignore", message=".*extension.*")
            for name, gdf in layers.items():
                gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")


def _write_parquet(path: Path, gdf: gpd.GeoDataFrame) -> None:
    with atomic_path(path) as tmp:
        gdf.to_parquet(tmp, index=False)


def write_layers(
    directory_or_file: str | os.PathLike[str],
    incidents: Iterable[Incident],
    mentions: Iterable[Mention] = (),
    fmt: Format = "geojson",
    *,
    reports: Iterable[Incident] | None = None,
) -> list[Path]:
    """Write the incidents and places layers in ``fmt``; return the paths written.

    ``gpkg`` writes one GeoPackage with layers ``incidents`` and ``places``: to
    ``directory_or_file`` if it ends in ``.gpkg``, else to ``geomap.gpkg`` in that
    directory. The other formats write two files into the directory
    ``directory_or_file`` (created if needed): ``incidents.<ext>`` and
    ``places.<ext>`` (``.geojson``, ``.parquet`` as GeoParquet, ``.csv``; the
    incidents CSV has ACLED's columns, the places CSV ``PLACE_FIELDS``).
    ``reports`` (the incidents before the cross-article merge) let the CSV code
    the lowest fatalities among conflicting reports (:func:`acled_frame`).

    Raises
    ------
    OutputError
        For an unknown format or a target that cannot be written.
    """
    if fmt not in FORMATS:
        raise OutputError(
            f"unknown output format '{fmt}': use one of {', '.join(FORMATS)}")
    incidents = list(incidents)
    if fmt != "geojson":  # tables are built in memory; GeoJSON streams the places
        mentions = list(mentions)
    target = Path(directory_or_file)
    if fmt == "gpkg" and target.suffix.lower() == ".gpkg":
        paths = [target]
    else:
        if target.exists() and not target.is_dir():
            raise OutputError(
                f"cannot write '{target}': {fmt} layers go into a directory")
        name = {"geojson": "geojson", "parquet": "parquet", "csv": "csv"}.get(fmt)
        paths = ([target / "geomap.gpkg"] if fmt == "gpkg" else
                 [target / f"incidents.{name}", target / f"places.{name}"])
    try:
        if fmt == "geojson":
            write_geojson(paths[0], incidents_geojson(incidents))
            write_features(paths[1], (mention_record(m) for m in mentions if m.place))
        elif fmt == "gpkg":
            _write_gpkg(paths[0], {"incidents": incidents_geodataframe(incidents),
                                   "places": places_geodataframe(mentions)})
        elif fmt == "parquet":
            _write_parquet(paths[0], incidents_geodataframe(incidents))
            _write_parquet(paths[1], places_geodataframe(mentions))
        else:
            _write_csv(paths[0], acled_frame(incidents, reports))
            _write_csv(paths[1], pd.DataFrame(places_geodataframe(mentions)
                                              .drop(columns="geometry")))
    except OutputError:
        raise
    except (OSError, RuntimeError, ValueError) as err:
        log.debug("writing %s failed", fmt, exc_info=True)
        raise OutputError(f"cannot write {fmt} layers to '{target}': {err}") from err
    log.info("wrote %s", ", ".join(str(p) for p in paths))
    return paths
