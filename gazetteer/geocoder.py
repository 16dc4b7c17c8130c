"""A geopy geocoder backed by the offline gazetteer.

Drop-in for code written against geopy: ``geocode`` and ``reverse`` return
``geopy.location.Location`` objects (``.raw`` holds the place record and the
match), and no call touches the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from geopy.geocoders.base import Geocoder as _GeopyGeocoder
from geopy.location import Location
from geopy.point import Point

from gazetteer.lookup import Gazetteer
from gazetteer.records import Candidate, Place

__all__ = ["Geocoder", "address_of"]

_LATLON = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?)\s*[,; ]\s*([-+]?\d+(?:\.\d*)?)\s*$")


def address_of(place: Place) -> str:
    """A one-line address: "Chernihiv, Chernihiv Oblast, UA"; a country by its name.

    >>> address_of(Place(1, "Paris", 48.85, 2.35, "FR", "Île-de-France", "city"))
    'Paris, Île-de-France, FR'
    >>> address_of(Place(2, "Ukraine", 49.0, 32.0, "UA", None, "country"))
    'Ukraine'
    >>> address_of(Place(-3, "Black Sea", 43.4, 34.0, "", None, "natural"))
    'Black Sea'
    """
    if place.feature in ("country", "continent"):
        return place.name
    parts = [place.name]
    if place.admin1 and place.admin1 != place.name:
        parts.append(place.admin1)
    if place.country_code:
        parts.append(place.country_code)
    return ", ".join(parts)


def _location(place: Place, cand: Candidate | None = None) -> Location:
    raw: dict[str, Any] = asdict(place)
    if cand is not None:
        raw |= {"matched": cand.matched, "match": cand.match, "score": cand.score}
    return Location(address_of(place), Point(place.lat, place.lon), raw)


class Geocoder(_GeopyGeocoder):
    """geopy's geocoder contract over a local :class:`Gazetteer`.

    Parameters
    ----------
    gazetteer
        An open gazetteer, or None to open (building if needed) the store.
    path
        Store path, used when ``gazetteer`` is None.
    """

    def __init__(
        self, gazetteer: Gazetteer | None = None, *, path: str | Path | None = None
    ):
        super().__init__()
        if gazetteer is None:
            from gazetteer.build import open_gazetteer

            gazetteer = open_gazetteer(path)
        self.gazetteer = gazetteer

    def geocode(
        self,
        query: str,
        *,
        exactly_one: bool = True,
        country_codes: str | Iterable[str] | None = None,
        features: Iterable[str] | None = None,
        limit: int | None = None,
        fuzzy: bool = True,
        timeout: Any = None,
    ) -> Location | list[Location] | None:
        """Geocode a place name.

        Returns the best ``Location`` (or None) when ``exactly_one``, else a
        list of up to ``limit`` (default 10) locations, possibly empty;
        ``timeout`` is accepted for compatibility and ignored.
        """
        if isinstance(country_codes, str):
            country_codes = [country_codes]
        n = 1 if exactly_one else (limit or 10)
        cands = self.gazetteer.candidates(
            str(query), country_codes=country_codes, features=features,
            fuzzy=fuzzy, limit=n,
        )  # fmt: skip
        locations = [_location(c.place, c) for c in cands]
        if exactly_one:
            return locations[0] if locations else None
        return locations

    def reverse(
        self,
        query: Point | tuple[float, float] | str,
        *,
        exactly_one: bool = True,
        max_km: float | None = None,
        timeout: Any = None,
    ) -> Location | list[Location] | None:
        """The populated place nearest to a point: (lat, lon), Point or "lat, lon"."""
        lat, lon = _coords(query)
        place = self.gazetteer.reverse(lat, lon, max_km=max_km)
        if place is None:
            return None if exactly_one else []
        loc = _location(place)
        return loc if exactly_one else [loc]


def _coords(query: Point | tuple[float, float] | str) -> tuple[float, float]:
    if isinstance(query, Point):
        return query.latitude, query.longitude
    if isinstance(query, str):
        m = _LATLON.match(query)
        if not m:
            raise ValueError(f"not a 'lat, lon' pair: {query!r}")
        return float(m.group(1)), float(m.group(2))
    lat, lon = query
    return float(lat), float(lon)
