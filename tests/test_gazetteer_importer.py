"""The GeoNames dump importer, on small files in the GeoNames format written here.

Rows are modelled on real GeoNames records (CC BY 4.0, geonames.org).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zipfile

import pytest

from gazetteer import Gazetteer, GazetteerError, import_geonames


def row(*cols) -> str:
    assert len(cols) == 19
    return "\t".join(str(c) for c in cols)


ROWS = [
    row(
        690791,
        "Ukraine",
        "Ukraine",
        "Ucraina,Ukraina,Украина",
        49.0,
        32.0,
        "A",
        "PCLI",
        "UA",
        "",
        "00",
        "",
        "",
        "",
        44622516,
        "",
        175,
        "Europe/Kyiv",
        "2023-01-01",
    ),
    row(
        710734,
        "Chernihiv Oblast",
        "Chernihiv Oblast",
        "Chernigovskaya Oblast,Chernihivska",
        51.33,
        32.0,
        "A",
        "ADM1",
        "UA",
        "",
        "02",
        "",
        "",
        "",
        1005745,
        "",
        150,
        "Europe/Kyiv",
        "2023-01-01",
    ),
    row(
        710735,
        "Chernihiv",
        "Chernihiv",
        "Chernigiv,Chernigov,Чернігів,CEJ",
        51.50551,
        31.28487,
        "P",
        "PPLA",
        "UA",
        "",
        "02",
        "",
        "",
        "",
        282747,
        "",
        123,
        "Europe/Kyiv",
        "2023-01-01",
    ),
    row(
        706483,
        "Kharkiv",
        "Kharkiv",
        "Kharkov,Харків",
        49.98081,
        36.25272,
        "P",
        "PPLA",
        "UA",
        "",
        "07",
        "",
        "",
        "",
        1430885,
        "",
        152,
        "Europe/Kyiv",
        "2023-01-01",
    ),
    row(
        703448,
        "Kyiv",
        "Kyiv",
        "Kiev,Київ",
        50.45466,
        30.5238,
        "P",
        "PPLC",
        "UA",
        "",
        "12",
        "",
        "",
        "",
        2797553,
        "",
        187,
        "Europe/Kyiv",
        "2023-01-01",
    ),
    # Historical place: skipped as a city.
    row(
        9999991,
        "Old Town",
        "Old Town",
        "",
        50.0,
        30.0,
        "P",
        "PPLH",
        "UA",
        "",
        "12",
        "",
        "",
        "",
        0,
        "",
        100,
        "Europe/Kyiv",
        "2023-01-01",
    ),
    # Impossible latitude: skipped and counted.
    row(
        9999992,
        "Nowhere",
        "Nowhere",
        "",
        123.0,
        30.0,
        "P",
        "PPL",
        "UA",
        "",
        "12",
        "",
        "",
        "",
        10,
        "",
        100,
        "Europe/Kyiv",
        "2023-01-01",
    ),
    # Malformed lines.
    "this is not a geonames row",
    "\t".join(["1"] * 18),
]
ADMIN1 = (
    "UA.02\tChernihiv\tChernihiv\t710734\n"
    "UA.07\tKharkiv\tKharkiv\t706482\n"
    "broken line\n"
)


@pytest.fixture
def dump(tmp_path):
    src = tmp_path / "UA.txt"
    src.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    codes = tmp_path / "admin1CodesASCII.txt"
    codes.write_text(ADMIN1, encoding="utf-8")
    return src, codes


def test_import_small_dump(dump, tmp_path, caplog):
    src, codes = dump
    with caplog.at_level(logging.WARNING, logger="gazetteer.importer"):
        out = import_geonames(src, codes, tmp_path / "store.sqlite")
    assert "skipped 2 malformed rows and 1 rows with bad values" in caplog.text
    with Gazetteer.open(out) as gaz:
        info = gaz.info()
        assert info["origin"] == "import"
        assert info["counts"] == {"admin1": 2, "city": 3, "country": 1}
        c = gaz.candidates("Chernigiv")[0]
        assert (c.place.geonameid, c.place.admin1, c.match) == (
            710735,
            "Chernihiv Oblast",
            "alternate",
        )
        assert gaz.candidates("Kharkov")[0].place.admin1 == "Kharkiv"
        assert gaz.candidates("Kyiv")[0].place.admin1 is None
        assert gaz.candidates("Nowhere", fuzzy=False) == []
        assert gaz.candidates("Old Town", fuzzy=False) == []
        assert not gaz.contains("CEJ")  # airport code, not a name
        region = gaz.admin1("UA", "Chernihiv region")
        assert (region.geonameid, region.name) == (710734, "Chernihiv Oblast")
        kharkiv_region = gaz.admin1("UA", "UA.07")
        assert kharkiv_region.geonameid == 706482  # synthesised at the cities' centroid
        assert kharkiv_region.lat == pytest.approx(49.98081)
        assert gaz.country("UA").geonameid == 690791
        assert gaz.country_of_demonym("Ukrainian") == "UA"
        assert gaz.reverse(50.4, 30.6).name == "Kyiv"
        db = sqlite3.connect(out)
        skipped = json.loads(
            db.execute("SELECT value FROM meta WHERE key='skipped'").fetchone()[0]
        )
        db.close()
        assert skipped == {"malformed": 2, "bad_values": 1}


def test_import_zip(dump, tmp_path):
    src, codes = dump
    archive = tmp_path / "UA.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "GeoNames readme")
        zf.write(src, "UA.txt")
    out = import_geonames(archive, codes, tmp_path / "zipped.sqlite")
    with Gazetteer.open(out) as gaz:
        assert gaz.candidates("Kiev")[0].place.geonameid == 703448


def test_import_unreadable_files(tmp_path, dump):
    src, codes = dump
    garbage = tmp_path / "garbage.txt"
    garbage.write_bytes(b"\x00\xff\x10 nothing useful here\n" * 20)
    with pytest.raises(GazetteerError, match="not a GeoNames dump"):
        import_geonames(garbage, codes, tmp_path / "a.sqlite")
    with pytest.raises(GazetteerError, match="not a GeoNames admin1 codes file"):
        import_geonames(src, garbage, tmp_path / "b.sqlite")
    with pytest.raises(GazetteerError, match="cannot read"):
        import_geonames(tmp_path / "missing.zip", codes, tmp_path / "c.sqlite")
    assert not (tmp_path / "a.sqlite").exists()
    assert not list(tmp_path.glob("*.tmp-*"))


def _geo(gid, name, alts, lat, lon, fclass, fcode, cc="", admin1="", pop=0):
    return row(gid, name, name, ",".join(alts), lat, lon, fclass, fcode, cc, "",
               admin1, "", "", "", pop, "", "", "Europe/Kyiv", "2023-01-01")


RIVER_NAMES = ["Dnieper", "Dnepr", "Dnipro", "Borysthenes", "Dniapro", "Dniepr",
               "Dnjepr", "Dnyapro", "Dněpr", "Днепр", "Дніпро"]
MORE_ROWS = [
    _geo(704417, "Pokrovsk Raion", ["Pokrovskyi raion", "Покровський район"],
         48.23, 37.34, "A", "ADM2", "UA", "05"),
    _geo(709717, "Pokrovsk", ["Pokrovs'k", "Krasnoarmiisk"], 48.28, 37.18,
         "P", "PPL", "UA", "05", 60127),
    _geo(630673, "Black Sea", ["Chornoye More", "Karadeniz", "Mer Noire"],
         43.0, 35.0, "H", "SEA"),
    _geo(703455, "Dnieper River", RIVER_NAMES, 46.6, 32.6, "H", "STM", "UA"),
    _geo(703456, "Creek Nobody Knows", [], 48.0, 30.0, "H", "STM", "UA"),
    _geo(8378479, "Donbas", ["Donbass", "Donets Basin", "Donbasu"], 48.2, 38.5,
         "L", "RGN", "UA"),
    _geo(6255148, "Europe", ["Europa", "Evropa"], 48.69, 9.14, "L", "CONT",
         "", "", 741000000),
]
MORE_ADMIN1 = "UA.05\tDonetsk\tDonetsk\t709716\n"


def test_import_keeps_districts_natural_features_regions_continents(tmp_path):
    src = tmp_path / "more.txt"
    src.write_text("\n".join(MORE_ROWS) + "\n", encoding="utf-8")
    codes = tmp_path / "admin1CodesASCII.txt"
    codes.write_text(MORE_ADMIN1, encoding="utf-8")
    out = import_geonames(src, codes, tmp_path / "more.sqlite")
    with Gazetteer.open(out) as gaz:
        assert gaz.info()["counts"] == {"admin1": 1, "admin2": 1, "city": 1,
                                        "continent": 1, "natural": 2, "region": 1}
        raion = gaz.candidates("Pokrovsk district")[0].place
        assert (raion.geonameid, raion.feature, raion.admin1) == (
            704417, "admin2", "Donetsk")  # the imported region name
        town = gaz.candidates("Pokrovsk")[0].place  # the district never takes it
        assert (town.geonameid, town.feature) == (709717, "city")
        assert gaz.candidates("Black Sea")[0].place.feature == "natural"
        river = gaz.candidates("Dnieper")[0].place
        assert (river.geonameid, river.feature, river.country_code) == (
            703455, "natural", "UA")
        assert gaz.candidates("Creek Nobody Knows", fuzzy=False) == []  # not known
        assert gaz.candidates("Donbass")[0].place.feature == "region"
        europe = gaz.candidates("Europe")[0].place
        assert (europe.feature, europe.country_code) == ("continent", "")
