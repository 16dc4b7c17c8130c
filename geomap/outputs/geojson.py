"""GeoJSON (RFC 7946) writers: the only place that flips (lat, lon) to (lon, lat)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from geomap.models import Incident, Mention
from geomap.outputs.atomic import atomic_write
from geomap.outputs.records import incident_record, mention_record

__all__ = [
    "feature_collection",
    "incidents_geojson",
    "places_geojson",
    "write_features",
    "write_geojson",
]


def _feature(props: dict[str, Any]) -> dict[str, Any]:
    lat, lon = props.get("lat"), props.get("lon")
    geometry = None
    if lat is not None and lon is not None:
        # RFC 7946 positions are [longitude, latitude].
        geometry = {"type": "Point", "coordinates": [lon, lat]}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def feature_collection(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection of point features from flat records with lat/lon.

    >>> fc = feature_collection([{"lat": 46.97, "lon": 31.99, "x": 1}])
    >>> fc["features"][0]["geometry"]["coordinates"]
    [31.99, 46.97]
    """
    return {"type": "FeatureCollection",
            "features": [_feature(r) for r in records]}


def incidents_geojson(incidents: Iterable[Incident]) -> dict[str, Any]:
    """Incidents as a FeatureCollection; properties are ``INCIDENT_FIELDS``."""
    return feature_collection(incident_record(i) for i in incidents)


def places_geojson(mentions: Iterable[Mention]) -> dict[str, Any]:
    """Resolved place mentions as a FeatureCollection (properties: ``PLACE_FIELDS``)."""
    return feature_collection(mention_record(m) for m in mentions if m.place)


def write_geojson(path: str | os.PathLike[str], collection: dict[str, Any]) -> None:
    """Write a FeatureCollection atomically (UTF-8, no ``crs`` member)."""
    with atomic_write(path) as fh:
        json.dump(collection, fh, ensure_ascii=False)
        fh.write("\n")


def write_features(path: str | os.PathLike[str],
                   records: Iterable[dict[str, Any]]) -> None:
    """Write flat records as a FeatureCollection atomically, one feature at a time.

    The same bytes as ``write_geojson(path, feature_collection(records))``
    without holding the features: the places layer has one per mention.
    """
    with atomic_write(path) as fh:
        fh.write('{"type": "FeatureCollection", "features": [')
        sep = ""
        for record in records:
            fh.write(sep)
            fh.write(json.dumps(_feature(record), ensure_ascii=False))
            sep = ", "
        fh.write("]}\n")
