"""Build the store from full GeoNames dumps that a user downloaded.

``allCountries.zip`` (or any per-country ``XX.zip`` / ``.txt``) is streamed
line by line, never loaded whole; ``admin1CodesASCII.txt`` names the
first-level regions.  Populated places (feature class P) become cities,
``A.ADM1`` rows regions, ``A.PCL*`` rows countries, and the feature codes
listed in ``gazetteer/data/import_features.json`` districts (``A.ADM2``),
natural features (seas, straits, major rivers and lakes, mountain ranges),
regions (``L.RGN``) and continents, when they have enough alternate names to
be well known.  Malformed rows and rows with impossible coordinates are
skipped and counted.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

from gazetteer.demonyms import derive_demonyms
from gazetteer.errors import GazetteerError
from gazetteer.normalize import normalize
from gazetteer.records import Place
from gazetteer.regions import OBLAST_COUNTRIES, display_name, region_names
from gazetteer.schema import (
    KIND_ALTERNATE,
    KIND_NAME,
    KIND_VARIANT,
    SCHEMA_VERSION,
    StoreWriter,
    importance,
)
from gazetteer.sources import data_file
from gazetteer.sources.admin2 import admin2_names
from gazetteer.sources.cities import city_names as _city_names
from gazetteer.sources.countries import country_aliases

__all__ = ["import_geonames", "read_admin1_codes"]

log = logging.getLogger(__name__)

_N_FIELDS = 19
# Populated places that no longer exist or never were settlements.
_SKIP_P = frozenset({"PPLH", "PPLQ", "PPLW", "PPLCH"})
_TYPE_WORD = re.compile(r"\b(oblast|krai|kray|okrug|republic)\b", re.IGNORECASE)


@contextmanager
def _open_text(path: Path) -> Iterator[io.TextIOBase]:
    """Open a GeoNames dump, plain or zipped, as text."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                members = [
                    n for n in zf.namelist()
                    if n.endswith(".txt") and "readme" not in n.lower()
                ]  # fmt: skip
                if not members:
                    raise GazetteerError(f"{path}: no .txt member in the zip archive")
                with zf.open(members[0]) as raw:
                    yield io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
        else:
            with open(path, encoding="utf-8", errors="replace") as fh:
                yield fh
    except OSError as err:
        raise GazetteerError(f"cannot read {path}: {err.strerror or err}") from err
    except zipfile.BadZipFile as err:
        raise GazetteerError(f"cannot read {path}: {err}") from err


@functools.cache
def _kept_codes() -> dict[str, tuple[str, int]]:
    """"CLASS.CODE" -> (feature, minimum number of alternate names)."""
    raw = json.loads(data_file("import_features.json").read_text(encoding="utf-8"))
    codes = raw["codes"]
    return {k: (v["feature"], int(v["min_alternates"])) for k, v in codes.items()}


class _Everything:
    """A set that contains every name: no bare district core is free to take."""

    def __contains__(self, item: object) -> bool:
        return True


def _other_place(
    gid: int, parts: list[str], lat: float, lon: float, pop: int, alts: list[str]
) -> tuple[Place, dict[str, int], float, str | None] | None:
    """A district, natural feature, region or continent row, or None to skip."""
    kept = _kept_codes().get(f"{parts[6]}.{parts[7]}")
    if kept is None or len(alts) < kept[1]:
        return None
    feature, _ = kept
    cc = parts[8].upper() if len(parts[8]) == 2 else ""
    if feature == "admin2":
        names = admin2_names(parts[1], [parts[2], *alts], cc, "", _Everything())
        place = Place(gid, parts[1], lat, lon, cc, f"{cc}.{parts[10]}", "admin2", pop)
        return place, names, importance("admin2", pop), None
    names = {normalize(parts[1]): KIND_NAME}
    for alt in [parts[2], *alts]:
        if len(alt) <= 4 and alt.isupper():
            continue  # codes, not names
        names.setdefault(normalize(alt), KIND_ALTERNATE)
    names.pop("", None)
    if feature == "continent":
        cc = ""
    place = Place(gid, parts[1], lat, lon, cc, None, feature, pop)  # type: ignore[arg-type]
    return place, names, importance(feature, pop), None


def read_admin1_codes(path: Path) -> dict[str, tuple[str, str, int]]:
    """Parse ``admin1CodesASCII.txt``: "CC.code" -> (name, ascii name, geonameid).

    Malformed lines are skipped; a file without a single valid line raises.
    """
    out: dict[str, tuple[str, str, int]] = {}
    bad = 0
    with _open_text(Path(path)) as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 4 or "." not in parts[0] or not parts[3].strip().isdigit():
                bad += line.strip() != ""
                continue
            out[parts[0]] = (parts[1], parts[2] or parts[1], int(parts[3]))
    if not out:
        raise GazetteerError(
            f"{path}: not a GeoNames admin1 codes file (no valid line)"
        )
    if bad:
        log.warning("%s: skipped %d malformed lines", path, bad)
    return out


def _parse(parts: list[str]) -> tuple[int, float, float, int] | None:
    try:
        gid, lat, lon = int(parts[0]), float(parts[4]), float(parts[5])
        pop = int(parts[14]) if parts[14].strip() else 0
    except ValueError:
        return None
    if gid <= 0 or not (-90 <= lat <= 90 and -180 <= lon <= 180) or pop < 0:
        return None
    return gid, lat, lon, pop


def import_geonames(
    all_countries: Path | str,
    admin1_codes: Path | str,
    path: Path | str | None = None,
    *,
    progress: bool = False,
) -> Path:
    """Build a store from GeoNames dumps; returns the store's path.

    Parameters
    ----------
    all_countries
        ``allCountries.zip``, a per-country zip, or the extracted ``.txt``
        (19 tab-separated columns).
    admin1_codes
        ``admin1CodesASCII.txt``.
    path
        Where to write the store (default: :func:`gazetteer.default_path`).

    Raises
    ------
    GazetteerError
        A file is missing or holds no valid GeoNames row at all.
    """
    from gazetteer.paths import default_path

    src = Path(all_countries)
    codes = read_admin1_codes(Path(admin1_codes))
    target = Path(path) if path is not None else default_path()
    started = time.perf_counter()
    good = bad_coords = malformed = 0
    admin1_rows: dict[str, tuple[int, str, float, float, int, list[str]]] = {}
    sums: dict[str, list[float]] = {}  # "CC.code" -> [w*lat, w*lon, w, population]
    countries: list[tuple[str, list[str], int]] = []
    with StoreWriter(target) as writer, _open_text(src) as fh:
        lines = tqdm(fh, desc="import", unit=" rows", disable=not progress, leave=False)
        for line in lines:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != _N_FIELDS:
                malformed += line.strip() != ""
                continue
            parsed = _parse(parts)
            if parsed is None:
                bad_coords += 1
                continue
            good += 1
            gid, lat, lon, pop = parsed
            fclass, fcode, cc = parts[6], parts[7], parts[8].upper()
            alts = [a for a in parts[3].split(",") if a]
            key = f"{cc}.{parts[10]}"
            if fclass == "P" and fcode not in _SKIP_P and len(cc) == 2:
                city = {"name": parts[1], "alternatenames": [parts[2], *alts]}
                place = Place(gid, parts[1], lat, lon, cc, key, "city", pop)
                weight = importance("city", pop, capital=fcode == "PPLC")
                writer.add(place, _city_names(city, cc), weight=weight)
                acc = sums.setdefault(key, [0.0, 0.0, 0.0, 0])
                w = pop + 1
                acc[0] += w * lat
                acc[1] += w * lon
                acc[2] += w
                acc[3] += pop
            elif fclass == "A" and fcode == "ADM1":
                admin1_rows[key] = (gid, parts[1], lat, lon, pop, alts)
            elif fclass == "A" and fcode.startswith("PCL") and fcode != "PCLH":
                names = {normalize(parts[1]): KIND_NAME}
                for alt in [parts[2], *alts]:
                    names.setdefault(normalize(alt), KIND_ALTERNATE)
                for alias in country_aliases().get(cc, ()):
                    names.setdefault(normalize(alias), KIND_VARIANT)
                names.pop("", None)
                place = Place(gid, parts[1], lat, lon, cc, None, "country", pop)
                writer.add(place, names, weight=importance("country", pop), code=cc)
                countries.append((cc, [parts[1], *country_aliases().get(cc, ())], pop))
            else:
                other = _other_place(gid, parts, lat, lon, pop, alts)
                if other is not None:
                    writer.add(other[0], other[1], weight=other[2], code=other[3])
        if good == 0:
            raise GazetteerError(
                f"{src}: not a GeoNames dump (no valid row among "
                f"{malformed + bad_coords} lines)"
            )
        mapping = _write_regions(writer, codes, admin1_rows, sums)
        writer.update_admin1(mapping)
        writer.add_demonyms(derive_demonyms(countries))
        meta = {
            "origin": "import",
            "sources": {
                "geonames": src.name,
                "geonames_bytes": src.stat().st_size,
                "admin1_codes": Path(admin1_codes).name,
                "schema": str(SCHEMA_VERSION),
            },
            "skipped": {"malformed": malformed, "bad_values": bad_coords},
        }
        out = writer.finish(meta)
    if malformed or bad_coords:
        log.warning(
            "%s: skipped %d malformed rows and %d rows with bad values",
            src, malformed, bad_coords,
        )  # fmt: skip
    log.info("imported %d rows in %.1f s", good, time.perf_counter() - started)
    return out


def _write_regions(
    writer: StoreWriter,
    codes: dict[str, tuple[str, str, int]],
    rows: dict[str, tuple[int, str, float, float, int, list[str]]],
    sums: dict[str, list[float]],
) -> dict[str, str]:
    """Write one admin1 place per known code; return "CC.code" -> display name."""
    mapping: dict[str, str] = {}
    for key, (name, ascii_name, code_gid) in sorted(codes.items()):
        cc = key.split(".", 1)[0]
        row = rows.get(key)
        acc = sums.get(key)
        if row is not None:
            gid, row_name, lat, lon, pop, alts = row
            pop = pop or int(acc[3]) if acc else pop
        elif acc is not None and acc[2] > 0:
            gid, row_name, alts = code_gid, name, []
            lat, lon, pop = acc[0] / acc[2], acc[1] / acc[2], int(acc[3])
        else:
            continue
        if cc in OBLAST_COUNTRIES and _TYPE_WORD.search(row_name):
            display = row_name
        else:
            display = display_name(name, None, cc, ascii_name)
        place = Place(gid, display, lat, lon, cc, display, "admin1", pop)
        names = region_names(display, [ascii_name, name], [row_name, *alts], cc)
        writer.add(place, names, weight=importance("admin1", pop), code=key)
        mapping[key] = display
    return mapping
