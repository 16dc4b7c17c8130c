"""Open the gazetteer store and look names up: exact, fuzzy, batched, reverse.

The set of known names lives in memory as a marisa-trie (``contains`` never
touches the disk); candidate rows come from SQLite, one query per name or per
batch, behind an LRU cache. Read-only: this module never imports the build
(``gazetteer.build``), which imports it.
"""

from __future__ import annotations

import bisect
import json
import logging
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import marisa_trie

from gazetteer.errors import GazetteerError
from gazetteer.normalize import normalize
from gazetteer.paths import check_path, default_path, rebuild_command
from gazetteer.records import Candidate, Place
from gazetteer.schema import KIND_LABELS, MATCH_BONUS, SCHEMA_VERSION, source_versions

__all__ = ["FUZZY_THRESHOLD", "Gazetteer"]

log = logging.getLogger(__name__)

#: Minimum rapidfuzz ratio (0..1) of a fuzzy match.
FUZZY_THRESHOLD = 0.88
_CACHE_SIZE = 1 << 17
_FUZZY_MIN_LEN = 4
_PLACE_COLS = (
    "p.geonameid, p.name, p.lat, p.lon, p.country_code, p.admin1, p.feature,"
    " p.population"
)
_EXACT_SQL = (
    f"SELECT n.norm, n.kind, p.importance, {_PLACE_COLS} FROM names n"
    " JOIN places p ON p.geonameid = n.geonameid WHERE n.norm {cond}"
)

# One exact hit, before filtering: (rank, Candidate).
_Hits = tuple[tuple[float, Candidate], ...]


def _place(row: tuple[Any, ...]) -> Place:
    gid, name, lat, lon, cc, admin1, feature, pop = row
    return Place(gid, name, lat, lon, cc, admin1, feature, pop)


def _bounded_put(cache: dict[Any, Any], key: Any, value: Any) -> None:
    """``cache[key] = value``, first evicting the oldest entry of a full cache."""
    if len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)), None)
    cache[key] = value


class Gazetteer:
    """A read-only handle on a built store.

    Use :meth:`open`; instances are safe to share between threads and pickle
    as their path (so Dask workers reopen the same file).
    """

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self._db = db
        self._lock = threading.Lock()
        try:
            self.meta = dict(db.execute("SELECT key, value FROM meta"))
            blob = db.execute(
                "SELECT value FROM blobs WHERE key = 'names.marisa'"
            ).fetchone()
            self._demonyms = dict(db.execute("SELECT norm, country_code FROM demonyms"))
        except sqlite3.DatabaseError as err:
            db.close()
            raise GazetteerError(
                f"gazetteer store {path} is malformed ({err}); rebuild it with "
                f"{rebuild_command(path)}"
            ) from err
        if blob is None or "schema_version" not in self.meta:
            db.close()
            raise GazetteerError(
                f"gazetteer store {path} is incomplete; rebuild it with "
                f"{rebuild_command(path)}"
            )
        self._trie = marisa_trie.Trie()
        self._trie.frombytes(blob[0])
        self._trie_bytes = len(blob[0])
        self._cache: dict[str, _Hits] = {}
        # fuzzy answers by (key, countries, features, limit, score): a name
        # unknown to the gazetteer tends to recur, and each search costs ms
        self._fuzzy_cache: dict[tuple[Any, ...], list[Candidate]] = {}
        # first character -> (lengths, names of that length order), per letter
        # on first use
        self._fuzzy_index: dict[str, tuple[list[int], list[str]]] = {}
        self._reverse: tuple[Any, Any] | None = None

    # -- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path | None = None) -> Gazetteer:
        """Open the existing store at ``path`` (default :func:`default_path`).

        Read-only: nothing is built here (see :func:`gazetteer.open_gazetteer`
        and :func:`gazetteer.build.ensure_store`, which build a missing or
        stale store first). A stale bundled store is used with a warning.

        Raises
        ------
        GazetteerError
            The store is missing, a directory, malformed, or an imported store
            of an older schema.
        """
        target = check_path(path if path is not None else default_path())
        gaz = cls._connect(target)
        stale = gaz.stale_reason()
        if stale is None:
            return gaz
        if gaz.meta.get("origin") != "bundled":
            gaz.close()
            raise GazetteerError(
                f"gazetteer store {target} was imported with an older schema; "
                "re-run 'geomap gazetteer import'"
            )
        log.warning("gazetteer store %s is stale (%s); using it anyway", target, stale)
        return gaz

    @classmethod
    def _connect(cls, path: Path) -> Gazetteer:
        try:
            db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        except sqlite3.Error as err:
            raise GazetteerError(f"cannot open gazetteer store {path}: {err}") from err
        return cls(path, db)

    def after_fork(self) -> None:
        """Give a forked child process a database connection of its own.

        SQLite connections must not cross ``fork()``: the child keeps the
        parent's connection object unused (never closed) and opens a new one;
        the names in memory are shared copy-on-write.
        """
        self._inherited = self._db
        try:
            self._db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                check_same_thread=False)
        except sqlite3.Error as err:
            raise GazetteerError(
                f"cannot open gazetteer store {self.path}: {err}") from err
        self._lock = threading.Lock()

    def stale_reason(self) -> str | None:
        """Why the store should be rebuilt, or None if it is current."""
        if self.meta.get("schema_version") != str(SCHEMA_VERSION):
            return f"schema {self.meta.get('schema_version')} != {SCHEMA_VERSION}"
        if self.meta.get("origin") == "bundled":
            recorded = json.loads(self.meta.get("sources", "{}"))
            current = source_versions()
            if recorded != current:
                diff = sorted(k for k in current if recorded.get(k) != current[k])
                return "sources changed: " + ", ".join(diff)
        return None

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> Gazetteer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_reopen, (str(self.path),))

    def __repr__(self) -> str:
        return f"Gazetteer({str(self.path)!r})"

    # -- names -----------------------------------------------------------------

    def contains(self, name: str) -> bool:
        """Whether ``name`` normalises to a known name (main, alternate or variant).

        Memory only; about a microsecond per call.
        """
        return normalize(name) in self._trie

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.contains(name)

    def country_of_demonym(self, word: str) -> str | None:
        """ISO alpha-2 code of the country a demonym refers to ("Ukrainian" -> "UA")."""
        return self._demonyms.get(normalize(word))

    # -- candidates ------------------------------------------------------------

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as err:
                raise GazetteerError(
                    f"gazetteer store {self.path} is unreadable ({err}); rebuild it"
                ) from err

    @staticmethod
    def _hits(rows: Iterable[tuple[Any, ...]]) -> dict[str, _Hits]:
        grouped: dict[str, list[tuple[float, Candidate]]] = {}
        for norm, kind, weight, *place in rows:
            cand = Candidate(_place(tuple(place)), norm, KIND_LABELS[kind], 1.0)
            grouped.setdefault(norm, []).append((weight + MATCH_BONUS[kind], cand))
        return {
            norm: tuple(sorted(hits, key=lambda h: (-h[0], h[1].place.geonameid)))
            for norm, hits in grouped.items()
        }

    def _remember(self, norm: str, hits: _Hits) -> None:
        _bounded_put(self._cache, norm, hits)

    def _exact(self, norm: str) -> _Hits:
        hits = self._cache.get(norm)
        if hits is None:
            if norm not in self._trie:
                return ()
            rows = self._query(_EXACT_SQL.format(cond="= ?"), (norm,))
            hits = self._hits(rows).get(norm, ())
            self._remember(norm, hits)
        return hits

    @staticmethod
    def _filter(
        hits: _Hits, countries: frozenset[str] | None, features: frozenset[str] | None
    ) -> list[tuple[float, Candidate]]:
        return [
            h for h in hits
            if (countries is None or h[1].place.country_code in countries)
            and (features is None or h[1].place.feature in features)
        ]  # fmt: skip

    def candidates(
        self,
        name: str,
        *,
        country_codes: Iterable[str] | None = None,
        features: Iterable[str] | None = None,
        fuzzy: bool = True,
        limit: int = 25,
        min_score: float = FUZZY_THRESHOLD,
    ) -> list[Candidate]:
        """Places called ``name``, best first.

        Exact matches (on main names, alternates or generated variants) come
        ranked by importance (population, feature, capital) plus a bonus for the
        kind of match; only when there is none, fuzzy matches follow with their
        rapidfuzz ratio (0..1, at least ``min_score``) as score.
        ``country_codes`` and ``features`` filter before the fuzzy decision.
        Never raises on any string.
        """
        if not isinstance(name, str):
            return []
        countries = _codes(country_codes)
        feats = frozenset(features) if features is not None else None
        norm = normalize(name)
        if not norm or limit <= 0:
            return []
        exact = self._filter(self._exact(norm), countries, feats)
        if exact or not fuzzy:
            return [c for _, c in exact[:limit]]
        key = (norm, countries, feats, limit, min_score)
        found = self._fuzzy_cache.get(key)
        if found is None:
            found = self._fuzzy(norm, countries, feats, limit, min_score)
            _bounded_put(self._fuzzy_cache, key, found)
        return list(found)

    def lookup_many(
        self,
        names: Iterable[str],
        *,
        country_codes: Iterable[str] | None = None,
        features: Iterable[str] | None = None,
        fuzzy: bool = True,
        limit: int = 25,
        min_score: float = FUZZY_THRESHOLD,
    ) -> dict[str, list[Candidate]]:
        """``candidates`` for many names; uncached names are fetched in one query."""
        names = [n for n in dict.fromkeys(names) if isinstance(n, str)]
        missing = sorted(
            {
                norm for norm in map(normalize, names)
                if norm in self._trie and norm not in self._cache
            }
        )  # fmt: skip
        if missing:
            rows = self._query(
                _EXACT_SQL.format(cond="IN (SELECT value FROM json_each(?))"),
                (json.dumps(missing),),
            )
            hits = self._hits(rows)
            for norm in missing:
                self._remember(norm, hits.get(norm, ()))
        codes = list(_codes(country_codes) or ()) if country_codes is not None else None
        feats = list(features) if features is not None else None
        return {
            n: self.candidates(
                n,
                country_codes=codes,
                features=feats,
                fuzzy=fuzzy,
                limit=limit,
                min_score=min_score,
            )
            for n in names
        }

    # -- fuzzy -----------------------------------------------------------------

    def _fuzzy_bucket(self, first: str) -> tuple[list[int], list[str]]:
        """Names starting with ``first`` (long enough to match fuzzily), by
        length, with their lengths; read from the trie on first use."""
        bucket = self._fuzzy_index.get(first)
        if bucket is None:
            keys = [k for k in self._trie.keys(first) if len(k) >= _FUZZY_MIN_LEN]
            keys.sort(key=len)
            bucket = self._fuzzy_index[first] = ([len(k) for k in keys], keys)
        return bucket

    def _fuzzy(
        self,
        norm: str,
        countries: frozenset[str] | None,
        features: frozenset[str] | None,
        limit: int,
        min_score: float = FUZZY_THRESHOLD,
    ) -> list[Candidate]:
        from rapidfuzz import fuzz, process

        if len(norm) < _FUZZY_MIN_LEN:
            return []
        lengths, keys = self._fuzzy_bucket(norm[0])
        t = min(max(min_score, 0.5), 1.0)
        lo = bisect.bisect_left(lengths, int(len(norm) * t / (2 - t)))
        hi = bisect.bisect_right(lengths, int(len(norm) * (2 - t) / t) + 1)
        matches = process.extract(
            norm, keys[lo:hi], scorer=fuzz.ratio, score_cutoff=t * 100, limit=limit
        )
        out: list[tuple[float, float, Candidate]] = []
        seen: set[int] = set()
        for key, score, _ in sorted(matches, key=lambda m: -m[1]):
            for rank, cand in self._filter(self._exact(key), countries, features):
                if cand.place.geonameid in seen:
                    continue
                seen.add(cand.place.geonameid)
                fuzzy = Candidate(cand.place, key, "fuzzy", round(score / 100, 4))
                out.append((fuzzy.score, rank, fuzzy))
        out.sort(key=lambda x: (-x[0], -x[1], x[2].place.geonameid))
        return [c for *_, c in out[:limit]]

    # -- places ----------------------------------------------------------------

    def _places(self, where: str, params: tuple[Any, ...]) -> list[Place]:
        rows = self._query(f"SELECT {_PLACE_COLS} FROM places p WHERE {where}", params)
        return [_place(r) for r in rows]

    def get(self, geonameid: int) -> Place | None:
        """The place with this GeoNames (or synthetic) id, or None."""
        if not isinstance(geonameid, int) or isinstance(geonameid, bool):
            return None
        if not -(2**63) <= geonameid < 2**63:
            return None
        found = self._places("p.geonameid = ?", (geonameid,))
        return found[0] if found else None

    def country(self, code: str) -> Place | None:
        """The country with ISO alpha-2 ``code`` (or a country name), or None."""
        code = code.strip()
        if len(code) == 2 and code.isalpha():
            found = self._places(
                "p.code = ? AND p.feature = 'country'", (code.upper(),)
            )
            if found:
                return found[0]
        hits = self.candidates(code, features=["country"], fuzzy=False, limit=1)
        return hits[0].place if hits else None

    def admin1(self, country_code: str, name_or_code: str) -> Place | None:
        """A first-level region of a country by name, variant or ISO 3166-2 code.

        ``name_or_code`` may be "Kharkiv Oblast", "Kharkiv region", "UA-63" or
        "63".
        """
        cc = country_code.strip().upper()
        key = name_or_code.strip()
        codes = [key.upper(), f"{cc}-{key.upper()}", f"{cc}.{key}"]
        for code in codes:
            found = self._places("p.code = ? AND p.feature = 'admin1'", (code,))
            if found:
                return found[0]
        hits = self.candidates(
            key, country_codes=[cc], features=["admin1"], fuzzy=False, limit=1
        )
        return hits[0].place if hits else None

    def admin1_of(self, place: Place) -> Place | None:
        """The first-level region that contains ``place`` (itself for a region)."""
        if place.feature == "admin1":
            return place
        if not place.admin1:
            return None
        found = self._places(
            "p.country_code = ? AND p.name = ? AND p.feature = 'admin1'",
            (place.country_code, place.admin1),
        )
        return found[0] if found else None

    def reverse(
        self, lat: float, lon: float, *, max_km: float | None = None
    ) -> Place | None:
        """The populated place nearest to (lat, lon), or None beyond ``max_km``."""
        import numpy as np

        from gazetteer.spatial import chord_to_km, xyz

        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        if self._reverse is None:
            with self._lock:
                if self._reverse is None:
                    self._reverse = self._reverse_index()
        ids, tree = self._reverse
        if tree is None:
            return None
        chord, idx = tree.query(xyz(np.array([lat]), np.array([lon]))[0])
        if max_km is not None and chord_to_km(chord) > max_km:
            return None
        return self.get(int(ids[int(idx)]))

    def _reverse_index(self) -> tuple[Any, Any]:
        import numpy as np
        from scipy.spatial import cKDTree

        from gazetteer.spatial import xyz

        blobs = dict(
            self._db.execute(
                "SELECT key, value FROM blobs WHERE key IN"
                " ('cities.ids.int64', 'cities.latlon.float64')"
            )
        )
        ids = np.frombuffer(blobs.get("cities.ids.int64", b""), dtype=np.int64)
        latlon = np.frombuffer(
            blobs.get("cities.latlon.float64", b""), dtype=np.float64
        )
        latlon = latlon.reshape(-1, 2)
        tree = cKDTree(xyz(latlon[:, 0], latlon[:, 1])) if len(ids) else None
        return ids, tree

    # -- about -----------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Path, size on disk, counts per feature, source versions, build time."""
        counts = dict(
            self._query("SELECT feature, COUNT(*) FROM places GROUP BY feature", ())
        )
        meta_counts = json.loads(self.meta.get("counts", "{}"))
        return {
            "path": str(self.path),
            "size_bytes": self.path.stat().st_size,
            "schema_version": int(self.meta["schema_version"]),
            "origin": self.meta.get("origin"),
            "built_at": self.meta.get("built_at"),
            "sources": json.loads(self.meta.get("sources", "{}")),
            "counts": counts,
            "names": meta_counts.get("names"),
            "distinct_names": len(self._trie),
            "demonyms": len(self._demonyms),
            "name_set_bytes": self._trie_bytes,
        }


def _codes(codes: Iterable[str] | None) -> frozenset[str] | None:
    if codes is None:
        return None
    if isinstance(codes, str):
        codes = [codes]
    return frozenset(c.strip().upper() for c in codes if isinstance(c, str))


def _reopen(path: str) -> Gazetteer:
    return Gazetteer.open(path)
