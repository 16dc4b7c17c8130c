"""Records returned by the gazetteer.

Coordinates are (lat, lon) in WGS84 decimal degrees everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Candidate", "Feature", "MatchKind", "Place"]

#: Kinds of place, finest first.  The vocabulary derived from it (order,
#: precision, ACLED geo_precision) lives in ``geomap.models``; it is defined
#: here because the gazetteer sits below ``geomap`` and must not import it.
Feature = Literal[
    "city", "admin2", "admin1", "region", "natural", "country", "continent"
]
MatchKind = Literal["name", "alternate", "variant", "fuzzy"]


@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer entry: a town, a district, a region, a country, a sea...

    ``feature`` is ``city`` (populated place), ``admin2`` (district, raion,
    county), ``admin1`` (first-level region), ``region`` (macro-region or
    disputed territory: Donbas, Kashmir, the Middle East), ``natural`` (river,
    sea, strait, mountain range), ``country`` or ``continent``.

    ``geonameid`` is the GeoNames id; entries that come from a source without
    GeoNames ids (some first-level regions) carry a negative synthetic id, which
    writers publish as ``null``.
    """

    geonameid: int
    name: str
    lat: float
    lon: float
    country_code: str
    admin1: str | None
    feature: Feature
    population: int = 0

    @property
    def has_geonameid(self) -> bool:
        """Whether ``geonameid`` is a real GeoNames id (not synthetic)."""
        return self.geonameid > 0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place proposed for a queried name, with the evidence for the match.

    ``match`` tells how the name matched: the main name, an alternate name, a
    generated romanisation variant, or a fuzzy match; ``score`` is 1.0 for exact
    matches and the rapidfuzz ratio / 100 for fuzzy ones.
    """

    place: Place
    matched: str
    match: MatchKind
    score: float = 1.0
