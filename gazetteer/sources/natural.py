"""Rivers, seas, straits, lakes, mountain ranges and deserts that news names.

No maintained registry package ships named physical features with points
(world-atlas has countries and land only), so a small curated data file,
``gazetteer/data/natural.jsonl``, lists the major ones: name, alternates, kind,
a representative point, the countries it touches and the source of the row.
``tests/test_gazetteer_features.py`` checks every point against the Natural
Earth outlines bundled for country points.  The full GeoNames dump
(``geomap gazetteer import``) covers the rest.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from gazetteer.normalize import normalize
from gazetteer.records import Feature, Place
from gazetteer.schema import KIND_ALTERNATE, KIND_NAME, importance
from gazetteer.sources import Inputs, Row, read_jsonl

__all__ = ["curated_rows", "natural_rows", "synthetic_id"]


def synthetic_id(feature: str, name: str) -> int:
    """A stable negative id for a curated entry without a GeoNames id.

    >>> synthetic_id("natural", "Black Sea") == synthetic_id("natural", "Black Sea")
    True
    >>> synthetic_id("natural", "Black Sea") < 0
    True
    """
    return -(4_000_000_000 + zlib.crc32(f"{feature}|{name}".encode()))


def curated_rows(
    records: Iterable[dict[str, Any]], feature: Feature, inputs: Inputs
) -> Iterator[Row]:
    """Rows for curated records (see ``gazetteer/data/README.md`` for the fields).

    ``country_code`` is the one country the place belongs to, empty for a
    place shared by several (as a continent is); ``countries`` lists every
    country it lies in or touches (checked against the outlines by the tests).
    The population is the sum of the ``members`` (ISO 3166-1 or 3166-2 codes)
    when the record lists them, else 0.
    """
    for rec in records:
        names = {normalize(rec["name"]): KIND_NAME}
        for alt in rec.get("alternates") or ():
            names.setdefault(normalize(alt), KIND_ALTERNATE)
        names.pop("", None)
        cc = rec.get("country_code") or ""
        pop = 0
        for code in rec.get("members") or ():
            pool = (inputs.admin1_population if "-" in code
                    else inputs.country_population)
            pop += pool.get(code, 0)
        gid = synthetic_id(feature, rec["name"])
        place = Place(gid, rec["name"], float(rec["lat"]), float(rec["lon"]), cc,
                      None, feature, pop)  # fmt: skip
        inputs.taken.update(names)
        yield place, names, importance(feature, pop), None


def natural_rows(inputs: Inputs) -> Iterator[Row]:
    """Physical features from ``natural.jsonl``."""
    yield from curated_rows(read_jsonl("natural.jsonl"), "natural", inputs)
