"""First-level regions: English display names, core names and their name variants.

Shared by the bundled build and the GeoNames importer.  A region has a
*display* name ("Kharkiv Oblast", "Texas") and one or more *core* names (the
place it is named after: "Kharkiv"); the variants are what news text calls it
("Kharkiv region", "Kharkivska oblast", "Kharkov region", "the Kharkiv
province").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gazetteer.normalize import is_latin, normalize, romanisation_variants
from gazetteer.schema import KIND_ALTERNATE, KIND_NAME, KIND_VARIANT

__all__ = [
    "OBLAST_COUNTRIES",
    "ROMANISED_COUNTRIES",
    "display_name",
    "oblast_stem",
    "region_names",
]

#: Countries whose first-level regions are called oblasts in English news.
OBLAST_COUNTRIES = frozenset({"UA", "RU", "BY", "KZ", "KG"})
#: Countries whose Latin place names are romanised from Cyrillic; they get variants.
ROMANISED_COUNTRIES = frozenset({"UA", "RU", "BY", "KZ", "KG"})

# Region type (countrystatecity vocabulary) -> English suffix in oblast countries.
_TYPE_SUFFIX = {
    "region": "Oblast",
    "administrative region": "Oblast",
    "oblast": "Oblast",
    "administrative territory": "Krai",
    "republic": "Republic",
    "autonomous district": "Autonomous Okrug",
    "autonomous region": "Autonomous Oblast",
}
_GENERIC = ("region", "province", "state", "oblast")
_TYPE_WORDS = re.compile(
    r"\b(oblast|oblast'|region|province|krai|kray|republic|okrug|state|governorate)\b",
    re.IGNORECASE,
)
# Adjectival endings of oblast names: Kharkivska, Zaporizka, Belgorodskaya.
_ADJ_SUFFIXES = ("skaya", "skaja", "ska", "kaya", "ka")


def oblast_stem(name: str) -> str | None:
    """The stem of an adjectival oblast name, or None if it is not adjectival.

    >>> oblast_stem("Kharkivska"), oblast_stem("Zaporizka"), oblast_stem("Kyiv")
    ('kharkiv', 'zaporiz', None)
    >>> oblast_stem("Belgorodskaya oblast'")
    'belgorod'
    """
    norm = normalize(_TYPE_WORDS.sub(" ", name))
    for suffix in _ADJ_SUFFIXES:
        if norm.endswith(suffix) and len(norm) - len(suffix) >= 3:
            return norm[: -len(suffix)]
    return None


def display_name(
    name: str, region_type: str | None, country_code: str, core: str
) -> str:
    """English display name of a region.

    In oblast countries the adjectival or bare name becomes "<core> Oblast"
    (or Krai, Republic, ... by type); elsewhere the source name is kept.

    >>> display_name("Kharkivska", "region", "UA", "Kharkiv")
    'Kharkiv Oblast'
    >>> display_name("Texas", "state", "US", "Texas")
    'Texas'
    >>> display_name("Autonomous Republic of Crimea", "republic", "UA", "Crimea")
    'Autonomous Republic of Crimea'
    """
    if country_code not in OBLAST_COUNTRIES or _TYPE_WORDS.search(name):
        return name
    suffix = _TYPE_SUFFIX.get((region_type or "").lower())
    return f"{core} {suffix}" if suffix else name


def region_names(
    display: str,
    cores: Iterable[str],
    alternates: Iterable[str],
    country_code: str,
) -> dict[str, int]:
    """Normalised names of a region: display (name), alternates, generated variants.

    Variants are each core name alone and followed by "region", "province",
    "state" (and "oblast" in oblast countries), plus romanisation variants of
    the cores in romanised countries.

    >>> names = region_names("Kharkiv Oblast", ["Kharkiv"], ["Kharkivska"], "UA")
    >>> names["kharkiv oblast"], names["kharkivska"], names["kharkov region"]
    (0, 1, 2)
    >>> names["kharkivska oblast"], names["kharkiv"]
    (2, 2)
    """
    out: dict[str, int] = {}

    def put(norm: str, kind: int) -> None:
        if norm and kind < out.get(norm, 99):
            out[norm] = kind

    put(normalize(display), KIND_NAME)
    alts = [normalize(a) for a in alternates]
    for alt in alts:
        put(alt, KIND_ALTERNATE)
    core_norms = {normalize(c) for c in cores if c}
    core_norms.discard("")
    if country_code in ROMANISED_COUNTRIES:
        core_norms |= romanisation_variants(core_norms)
    suffixes = _GENERIC if country_code in OBLAST_COUNTRIES else _GENERIC[:3]
    for core in core_norms:
        put(core, KIND_VARIANT)
        for suffix in suffixes:
            put(f"{core} {suffix}", KIND_VARIANT)
    if country_code in OBLAST_COUNTRIES:
        for alt in alts:
            if is_latin(alt) and not alt.endswith("oblast") and " " not in alt:
                put(f"{alt} oblast", KIND_VARIANT)
    return out
