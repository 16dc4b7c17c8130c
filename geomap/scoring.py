"""The gold-data matching rule for incident places, shared by eval and fitting.

``../shared/data/incidents/README.md`` defines when a predicted place matches
a gold incident; :mod:`geomap.evaluate` scores with it and the fitting of the
incident decisions (:mod:`geomap.incidents.training`) labels with it, so it
lives below both.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from geomap.geo import haversine_km
from geomap.models import Place

__all__ = ["INCIDENT_KM", "place_distance"]

#: A predicted point within this many km of the gold point matches.
INCIDENT_KM = 25.0

_REGION_WORDS = re.compile(
    r"(?i)\b(?:province|region|oblast|governorate|prefecture|state|the|of)\b")


def _region_key(name: str) -> str:
    folded = unicodedata.normalize("NFKD", _REGION_WORDS.sub(" ", name))
    return "".join(ch for ch in folded.casefold() if ch.isalnum())


def place_distance(place: Place, gold: dict[str, Any]) -> float | None:
    """Match distance of a predicted place to a gold incident, None if no match.

    The rule of ``../shared/data/incidents/README.md``: the same GeoNames id
    (distance 0), or a point within 25 km, or, for region-level gold (no id,
    its location naming a province, region, oblast...), a region-precision
    prediction in the same first-level region of the same country.
    """
    if gold.get("geonameid") is not None and place.has_geonameid \
            and gold["geonameid"] == place.geonameid:
        return 0.0
    km = haversine_km(place.lat, place.lon, gold["lat"], gold["lon"])
    if km <= INCIDENT_KM:
        return km
    if gold.get("geonameid") is None and place.feature == "admin1" and \
            _REGION_WORDS.search(gold.get("location", "")) and \
            place.country_code == gold.get("country_code"):
        a = _region_key(place.admin1 or place.name)
        b = _region_key(gold.get("admin1") or gold.get("location", ""))
        if a and b and (a.startswith(b) or b.startswith(a)):
            return km
    return None
