"""Countries, at the middle of their main landmass where the outline is known."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator

import pycountry

from gazetteer.landmass import country_points
from gazetteer.normalize import normalize
from gazetteer.records import Place
from gazetteer.schema import KIND_ALTERNATE, KIND_NAME, KIND_VARIANT, importance
from gazetteer.sources import Inputs, Row, data_file

__all__ = ["country_aliases", "country_rows", "csc_countries"]


@functools.cache
def country_aliases() -> dict[str, tuple[str, ...]]:
    """Common English short forms of country names (``country_aliases.json``).

    >>> country_aliases()["GB"][:2]
    ('United Kingdom', 'UK')
    """
    raw = json.loads(data_file("country_aliases.json").read_text(encoding="utf-8"))
    return {cc: tuple(names) for cc, names in raw["aliases"].items()}


def csc_countries() -> dict[str, dict]:
    """The countrystatecity country records by alpha-2 code."""
    from gazetteer.sources.admin1 import csc_data

    path = csc_data() / "countries.json"
    return {c["iso2"]: c for c in json.loads(path.read_text(encoding="utf-8"))}


def country_rows(inputs: Inputs) -> Iterator[Row]:
    """Country rows; records capitals and populations in ``inputs``."""
    csc = csc_countries()
    landmass = country_points()
    aliases = country_aliases()
    for cc, info in sorted(inputs.countries.items()):
        own = inputs.by_country.get(cc, [])
        caps = [c for c in own if c["name"] == info.get("capital")]
        cap = max(caps, key=lambda c: c["population"], default=None)
        if cap:
            inputs.capitals.add(cap["geonameid"])
        rec = csc.get(cc, {})
        if cc in landmass:
            lat, lon = landmass[cc]
        elif rec.get("latitude") and rec.get("longitude"):
            lat, lon = float(rec["latitude"]), float(rec["longitude"])
        elif cap:
            lat, lon = cap["latitude"], cap["longitude"]
        else:
            continue
        names = {normalize(info["name"]): KIND_NAME}
        translations = (rec.get("translations") or {}).values()
        alts = [rec.get("name"), rec.get("native"), *translations]
        iso = pycountry.countries.get(alpha_2=cc)
        for attr in ("name", "official_name", "common_name"):
            alts.append(getattr(iso, attr, None) if iso else None)
        for alt in alts:
            if alt:
                names.setdefault(normalize(alt), KIND_ALTERNATE)
        for alias in aliases.get(cc, ()):
            names.setdefault(normalize(alias), KIND_VARIANT)
        names.pop("", None)
        pop = int(info.get("population") or 0)
        inputs.country_population[cc] = pop
        inputs.country_points[cc] = (lat, lon)
        inputs.taken.update(names)
        inputs.claim(cc, names)
        gid = info["geonameid"]
        place = Place(gid, info["name"], lat, lon, cc, None, "country", pop)
        yield place, names, importance("country", pop), cc
