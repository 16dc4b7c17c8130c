"""Flat projections of the records: the one place that defines output fields.

``geomap extract`` jsonl, the GeoJSON properties, the tables and the store all
use these, so the property names are the same everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from geomap.models import Incident, Mention, Place

if TYPE_CHECKING:  # pragma: no cover
    from gazetteer import Candidate

__all__ = [
    "INCIDENT_FIELDS",
    "PLACE_FIELDS",
    "candidate_record",
    "incident_record",
    "mention_record",
    "place_from_row",
    "place_row",
    "round_coord",
]

INCIDENT_FIELDS: tuple[str, ...] = (
    "article_id", "location", "place_name", "geonameid", "lat", "lon",
    "country_code", "admin1", "precision", "event_type", "date",
    "killed", "wounded", "killed_qualifier", "wounded_qualifier", "quote", "source",
    "review_status",
)
PLACE_FIELDS: tuple[str, ...] = (
    "article_id", "start", "end", "text", "place_name", "geonameid", "lat", "lon",
    "country_code", "admin1", "feature", "score",
)


def round_coord(value: float | None) -> float | None:
    """Round a coordinate to 6 decimals (about 0.1 m), as RFC 7946 advises.

    >>> round_coord(46.966666666)
    46.966667
    >>> round_coord(None) is None
    True
    """
    return None if value is None else round(float(value), 6)


def _place_fields(place: Place | None) -> dict[str, Any]:
    if place is None:
        return {"place_name": None, "geonameid": None, "lat": None, "lon": None,
                "country_code": None, "admin1": None}
    return {
        "place_name": place.name,
        "geonameid": place.geonameid if place.has_geonameid else None,
        "lat": round_coord(place.lat),
        "lon": round_coord(place.lon),
        "country_code": place.country_code,
        "admin1": place.admin1,
    }


def incident_record(incident: Incident) -> dict[str, Any]:
    """The incident as a flat dict with exactly ``INCIDENT_FIELDS`` as keys.

    ``source`` is the sources joined with ``" | "`` (most incidents have one).
    """
    rec = {"article_id": incident.article_id, "location": incident.location}
    rec.update(_place_fields(incident.place))
    rec.update(
        precision=incident.precision,
        event_type=incident.event_type,
        date=incident.date.isoformat() if incident.date else None,
        killed=incident.killed,
        wounded=incident.wounded,
        killed_qualifier=incident.killed_qualifier,
        wounded_qualifier=incident.wounded_qualifier,
        quote=incident.quote,
        source=" | ".join(incident.sources) if incident.sources else None,
        review_status=incident.review_status,
    )
    return {k: rec[k] for k in INCIDENT_FIELDS}


def mention_record(mention: Mention) -> dict[str, Any]:
    """The mention as a flat dict with exactly ``PLACE_FIELDS`` as keys."""
    rec: dict[str, Any] = {
        "article_id": mention.article_id, "start": mention.start,
        "end": mention.end, "text": mention.text,
    }
    rec.update(_place_fields(mention.place))
    rec["feature"] = mention.place.feature if mention.place else None
    rec["score"] = round(mention.score, 4)
    return {k: rec[k] for k in PLACE_FIELDS}


def candidate_record(cand: Candidate) -> dict[str, Any]:
    """A gazetteer candidate as ``geomap geocode --json`` prints it.

    >>> from gazetteer import Candidate
    >>> kyiv = Place(703448, "Kyiv", 50.45466, 30.5238, "UA", "Kyiv City", "city")
    >>> candidate_record(Candidate(kyiv, "kyiv", "exact", 0.98765))["score"]
    0.9877
    """
    place = cand.place
    return {
        "name": place.name,
        "geonameid": place.geonameid if place.has_geonameid else None,
        "lat": place.lat, "lon": place.lon, "country_code": place.country_code,
        "admin1": place.admin1, "feature": place.feature,
        "population": place.population, "matched": cand.matched,
        "match": cand.match, "score": round(cand.score, 4),
    }


def place_row(place: Place | None) -> dict[str, Any]:
    """The full place as the results store's columns (unrounded; all ``None``).

    >>> kyiv = Place(703448, "Kyiv", 50.45466, 30.5238, "UA", "Kyiv City", "city")
    >>> place_from_row(_Row(place_row(kyiv))) == kyiv
    True
    >>> place_from_row(_Row(place_row(None))) is None
    True
    """
    if place is None:
        return {"geonameid": None, "place_name": None, "lat": None, "lon": None,
                "country_code": None, "admin1": None, "feature": None,
                "population": None}
    return {"geonameid": place.geonameid, "place_name": place.name,
            "lat": place.lat, "lon": place.lon, "country_code": place.country_code,
            "admin1": place.admin1, "feature": place.feature,
            "population": place.population}


def place_from_row(row: Any) -> Place | None:
    """The place of a store row with :func:`place_row`'s columns (attributes)."""
    if row.geonameid is None:
        return None
    return Place(geonameid=int(row.geonameid), name=row.place_name,
                 lat=float(row.lat), lon=float(row.lon),
                 country_code=row.country_code, admin1=row.admin1,
                 feature=row.feature, population=int(row.population or 0))


class _Row:
    """A dict read by attribute, like a database row (for the examples)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
