"""Layers for GIS tools: GeoDataFrames, GeoJSON, GeoPackage, GeoParquet, ACLED CSV.

Columns are the flat records of :mod:`geomap.outputs.records` (the same names
as ``geomap extract``'s jsonl and the GeoJSON properties) plus a point geometry
in WGS84 (EPSG:4326); rows without a resolved place have a null geometry.
Every file is written to a temp file beside its target and renamed into place.

The CSV follows ACLED's column names so that ACLED workflows can read it:

``event_date``
    ISO date (``YYYY-MM-DD``) of the event, empty when unknown.
``event_type``
    ACLED's event type for our type: airstrike, missile, shelling, drone,
    explosion and bombing are ``Explosions/Remote violence``; clash is
    ``Battles``; shooting is ``Violence against civilians``; ``other`` is empty.
    Our own type is kept in the extra last column ``geomap_event_type``.
``country``
    Country name from the ISO code (pycountry, with ACLED's spellings such as
    ``Russia`` or ``Democratic Republic of Congo``).
``admin1``, ``location``
    The place's first-level region and the resolved place name.
``latitude``, ``longitude``
    WGS84 decimal degrees, 6 decimals.
``geo_precision``
    ACLED's codes: ``1`` when the place is a town or city (our ``point``);
    ``3`` when only a larger region is known, which covers our ``admin1``
    and ``country`` precisions (ACLED has no coarser code); empty when unknown.
``fatalities``
    ``killed`` as an integer; ``0`` when the text gives no number, as ACLED
    codes unknown fatalities. A qualified figure ("at least 12") gives its
    number (12), like ACLED's use of the lowest reported figure.
``notes``
    The quote the incident was extracted from.
``source``
    The article sources, joined with ``"; "`` as ACLED does.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
import pycountry
from shapely.geometry import Point

from geomap.errors import OutputError
from geomap.models import Incident, Mention
from geomap.outputs.atomic import atomic_path, atomic_write
from geomap.outputs.geojson import incidents_geojson, places_geojson, write_geojson
from geomap.outputs.records import (
    INCIDENT_FIELDS,
    PLACE_FIELDS,
    incident_record,
    mention_record,
)

__all__ = [
    "ACLED_FIELDS",
    "FORMATS",
    "Format",
    "acled_country",
    "acled_frame",
    "acled_geo_precision",
    "places_geodataframe",
    "to_geodataframe",
    "write_layers",
]

log = logging.getLogger(__name__)

Format = Literal["geojson", "gpkg", "parquet", "csv"]
FORMATS: tuple[str, ...] = ("geojson", "gpkg", "parquet", "csv")
CRS = "EPSG:4326"

#: The ACLED columns of the CSV, in order; ``geomap_event_type`` follows them.
ACLED_FIELDS: tuple[str, ...] = (
    "event_date", "event_type", "country", "admin1", "location", "latitude",
    "longitude", "geo_precision", "fatalities", "notes", "source",
)
_ACLED_EVENT_TYPE = {
    "airstrike": "Explosions/Remote violence",
    "missile": "Explosions/Remote violence",
    "shelling": "Explosions/Remote violence",
    "drone": "Explosions/Remote violence",
    "explosion": "Explosions/Remote violence",
    "bombing": "Explosions/Remote violence",
    "clash": "Battles",
    "shooting": "Violence against civilians",
}
_ACLED_PRECISION = {"point": 1, "admin1": 3, "country": 3}
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
    code = code.upper()
    if code in _ACLED_COUNTRY:
        return _ACLED_COUNTRY[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    return getattr(country, "common_name", None) or country.name


def acled_geo_precision(precision: str | None) -> int | None:
    """ACLED ``geo_precision`` for our precision (1 town, 3 larger region).

    >>> [acled_geo_precision(p) for p in ("point", "admin1", "country", None)]
    [1, 3, 3, None]
    """
    return _ACLED_PRECISION.get(precision or "")


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


def to_geodataframe(incidents: Iterable[Incident]) -> gpd.GeoDataFrame:
    """Incidents as a GeoDataFrame: ``INCIDENT_FIELDS`` + point geometry (EPSG:4326).

    ``killed``, ``wounded`` and ``geonameid`` are nullable integers (``Int64``);
    ``date`` is the ISO date string, as in the jsonl.

    >>> from geomap.models import Incident, Place
    >>> kyiv = Place(703448, "Kyiv", 50.45466, 30.5238, "UA", "Kyiv City", "city")
    >>> gdf = to_geodataframe([Incident("a1", kyiv, "Kyiv", "point", "missile",
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


def acled_frame(incidents: Iterable[Incident]) -> pd.DataFrame:
    """Incidents as an ACLED-style table (``ACLED_FIELDS`` + ``geomap_event_type``).

    >>> from geomap.models import Incident, Place
    >>> kyiv = Place(703448, "Kyiv", 50.45466, 30.5238, "UA", "Kyiv City", "city")
    >>> row = acled_frame([Incident("a1", kyiv, "Kyiv", "point", "missile", None,
    ...     None, 4, None, "exact", "q", ("https://x.org", "Agency"))]).iloc[0]
    >>> row["event_type"], row["country"], int(row["fatalities"]), row["source"]
    ('Explosions/Remote violence', 'Ukraine', 0, 'https://x.org; Agency')
    """
    rows = []
    for inc in incidents:
        rec = incident_record(inc)
        rows.append({
            "event_date": rec["date"],
            "event_type": _ACLED_EVENT_TYPE.get(inc.event_type),
            "country": acled_country(rec["country_code"]),
            "admin1": rec["admin1"],
            "location": rec["place_name"],
            "latitude": rec["lat"],
            "longitude": rec["lon"],
            "geo_precision": acled_geo_precision(inc.precision),
            "fatalities": max(0, inc.killed or 0),
            "notes": inc.quote,
            "source": "; ".join(s for s in inc.sources if s) or None,
            "geomap_event_type": inc.event_type,
        })
    df = pd.DataFrame.from_records(rows, columns=[*ACLED_FIELDS, "geomap_event_type"])
    df["geo_precision"] = df["geo_precision"].astype("Int64")
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
) -> list[Path]:
    """Write the incidents and places layers in ``fmt``; return the paths written.

    ``gpkg`` writes one GeoPackage with layers ``incidents`` and ``places``: to
    ``directory_or_file`` if it ends in ``.gpkg``, else to ``geomap.gpkg`` in that
    directory. The other formats write two files into the directory
    ``directory_or_file`` (created if needed): ``incidents.<ext>`` and
    ``places.<ext>`` (``.geojson``, ``.parquet`` as GeoParquet, ``.csv``; the
    incidents CSV has ACLED's columns, the places CSV ``PLACE_FIELDS``).

    Raises
    ------
    OutputError
        For an unknown format or a target that cannot be written.
    """
    if fmt not in FORMATS:
        raise OutputError(
            f"unknown output format '{fmt}': use one of {', '.join(FORMATS)}")
    incidents = list(incidents)
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
            write_geojson(paths[1], places_geojson(mentions))
        elif fmt == "gpkg":
            _write_gpkg(paths[0], {"incidents": to_geodataframe(incidents),
                                   "places": places_geodataframe(mentions)})
        elif fmt == "parquet":
            _write_parquet(paths[0], to_geodataframe(incidents))
            _write_parquet(paths[1], places_geodataframe(mentions))
        else:
            _write_csv(paths[0], acled_frame(incidents))
            _write_csv(paths[1], pd.DataFrame(places_geodataframe(mentions)
                                              .drop(columns="geometry")))
    except OutputError:
        raise
    except (OSError, RuntimeError, ValueError) as err:
        log.debug("writing %s failed", fmt, exc_info=True)
        raise OutputError(f"cannot write {fmt} layers to '{target}': {err}") from err
    log.info("wrote %s", ", ".join(str(p) for p in paths))
    return paths
