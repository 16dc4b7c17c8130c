"""Export layers: every file written is read back by geopandas and compared."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from common import KYIV

from geomap.errors import OutputError
from geomap.models import Incident, Mention, Place
from geomap.outputs.records import (
    INCIDENT_FIELDS,
    PLACE_FIELDS,
    incident_record,
    mention_record,
)
from geomap.outputs.tables import (
    ACLED_FIELDS,
    GEOMAP_CSV_FIELDS,
    acled_country,
    acled_frame,
    incidents_geodataframe,
    places_geodataframe,
    write_layers,
)

KHARKIV_OBL = Place(706482, "Kharkivs'ka Oblast'", 49.5, 36.5, "UA", "Kharkiv",
                    "admin1")
SYRIA = Place(163843, "Syria", 35.0, 38.0, "SY", None, "country")
SYNTH = Place(-7, "Some Region", 10.123456789, -20.987654321, "NG", "Some Region",
              "admin1")

INCIDENTS = [
    Incident("a1", KYIV, "Kyiv", "point", "missile", dt.date(2022, 3, 1), 12, 30,
             "at_least", "approx",
             'At least 12 were killed, "officials" said,\nand 30 hurt.',
             ("https://example.org/a1",)),
    Incident("a2", KHARKIV_OBL, "Kharkiv region", "admin1", "shelling",
             dt.date(2022, 3, 2), None, 4, None, "exact",
             "Shelling wounded 4 — Харків.",
             ("Agency one", "https://example.org/a2")),
    Incident("a3", SYRIA, "Syria", "country", "clash", None, 0, None, "exact", None,
             "No one died; <b>markup</b> & ampersands.", ()),
    Incident("a4", SYNTH, "the region", "admin1", "other", dt.date(2021, 12, 31), 7,
             None, "exact", None, "Seven dead.", ()),
    Incident("a5", None, "Atlantis", None, "shooting", None, None, None, None, None,
             "Unresolvable.", ()),
]
MENTIONS = [
    Mention("a1", 10, 14, "Kyiv", KYIV, 0.91234567),
    Mention("a2", 0, 7, "Kharkiv", KHARKIV_OBL, 0.5),
    Mention("a3", 3, 8, "Syria", SYRIA, 1.0, "metonymic"),
    Mention("a4", 0, 10, "the region", SYNTH, 0.25),
    Mention("a5", 0, 8, "Atlantis", None, 0.1),
]


def _norm(value):
    """Compare across formats: missing -> None, whole floats -> int, dates -> ISO."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _text(value):
    """CSV cells are text: compare the text of both sides ('' is missing)."""
    value = _norm(value)
    return None if value is None or value == "" else str(value)


def _rows(df: pd.DataFrame, fields) -> list[dict]:
    return [{f: _norm(row[f]) for f in fields} for _, row in df.iterrows()]


def _expected_incidents():
    return [{f: _norm(v) for f, v in incident_record(i).items()} for i in INCIDENTS]


def _expected_places():
    return [{f: _norm(v) for f, v in mention_record(m).items()} for m in MENTIONS
            if m.place]


def _check_geometry(gdf: gpd.GeoDataFrame, records: list[dict]):
    assert gdf.crs is not None and gdf.crs.to_epsg() == 4326
    for geom, rec in zip(gdf.geometry, records, strict=True):
        if rec["lat"] is None:
            assert geom is None or geom.is_empty
        else:
            assert (round(geom.x, 6), round(geom.y, 6)) == (rec["lon"], rec["lat"])


# -- frames ----------------------------------------------------------------------

def test_geodataframe_columns_types_and_geometry():
    gdf = incidents_geodataframe(INCIDENTS)
    assert list(gdf.columns) == [*INCIDENT_FIELDS, "geometry"]
    assert str(gdf["killed"].dtype) == "Int64"
    assert str(gdf["geonameid"].dtype) == "Int64"
    assert gdf["geonameid"].tolist()[3] is pd.NA  # synthetic id published as null
    assert gdf.crs.to_epsg() == 4326
    assert gdf.geometry.iloc[0].wkt == "POINT (30.5238 50.45466)"
    assert gdf.geometry.iloc[4] is None
    assert _rows(gdf, INCIDENT_FIELDS) == _expected_incidents()


def test_places_geodataframe_drops_unresolved_mentions():
    gdf = places_geodataframe(MENTIONS)
    assert list(gdf.columns) == [*PLACE_FIELDS, "geometry"]
    assert len(gdf) == 4
    assert gdf["score"].tolist() == [0.9123, 0.5, 1.0, 0.25]
    assert _rows(gdf, PLACE_FIELDS) == _expected_places()


def test_empty_frames_have_the_schema():
    assert list(incidents_geodataframe([]).columns) == [*INCIDENT_FIELDS, "geometry"]
    assert list(places_geodataframe([]).columns) == [*PLACE_FIELDS, "geometry"]


# -- round trips -----------------------------------------------------------------

def test_geojson_round_trip(tmp_path):
    paths = write_layers(tmp_path / "out", INCIDENTS, MENTIONS, "geojson")
    assert [p.name for p in paths] == ["incidents.geojson", "places.geojson"]
    raw = json.loads(paths[0].read_text(encoding="utf-8"))
    assert "crs" not in raw
    assert raw["features"][0]["geometry"]["coordinates"] == [30.5238, 50.45466]
    inc = gpd.read_file(paths[0])
    assert _rows(inc, INCIDENT_FIELDS) == _expected_incidents()
    _check_geometry(inc, _expected_incidents())
    places = gpd.read_file(paths[1])
    assert _rows(places, PLACE_FIELDS) == _expected_places()
    _check_geometry(places, _expected_places())


def test_gpkg_round_trip_two_layers(tmp_path):
    target = tmp_path / "layers.gpkg"
    assert write_layers(target, INCIDENTS, MENTIONS, "gpkg") == [target]
    assert [name for name, _ in pyogrio.list_layers(target)] == ["incidents", "places"]
    inc = gpd.read_file(target, layer="incidents")
    assert _rows(inc, INCIDENT_FIELDS) == _expected_incidents()
    _check_geometry(inc, _expected_incidents())
    places = gpd.read_file(target, layer="places")
    assert _rows(places, PLACE_FIELDS) == _expected_places()
    _check_geometry(places, _expected_places())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layers.gpkg"]


def test_gpkg_into_directory_and_overwrite(tmp_path):
    first = write_layers(tmp_path, INCIDENTS[:1], [], "gpkg")
    assert first == [tmp_path / "geomap.gpkg"]
    write_layers(tmp_path, INCIDENTS, MENTIONS, "gpkg")
    assert len(gpd.read_file(first[0], layer="incidents")) == len(INCIDENTS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["geomap.gpkg"]


def test_geoparquet_round_trip(tmp_path):
    paths = write_layers(tmp_path, INCIDENTS, MENTIONS, "parquet")
    assert [p.name for p in paths] == ["incidents.parquet", "places.parquet"]
    inc = gpd.read_parquet(paths[0])
    assert list(inc.columns) == [*INCIDENT_FIELDS, "geometry"]
    assert str(inc["killed"].dtype) == "Int64"
    assert _rows(inc, INCIDENT_FIELDS) == _expected_incidents()
    _check_geometry(inc, _expected_incidents())
    places = gpd.read_parquet(paths[1])
    assert _rows(places, PLACE_FIELDS) == _expected_places()
    _check_geometry(places, _expected_places())
    import pyarrow.parquet as pq
    meta = json.loads(pq.read_schema(paths[0]).metadata[b"geo"])
    assert meta["primary_column"] == "geometry"


def test_acled_csv_round_trip(tmp_path):
    paths = write_layers(tmp_path, INCIDENTS, MENTIONS, "csv")
    assert [p.name for p in paths] == ["incidents.csv", "places.csv"]
    header = paths[0].read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == [*ACLED_FIELDS, *GEOMAP_CSV_FIELDS]
    gdf = gpd.read_file(paths[0], X_POSSIBLE_NAMES="longitude",
                        Y_POSSIBLE_NAMES="latitude", KEEP_GEOM_COLUMNS="YES")
    got = [{k: _text(v) for k, v in row.items()} for row in
           gdf.drop(columns="geometry").to_dict("records")]
    want = [{k: _text(v) for k, v in row.items()} for row in
            acled_frame(INCIDENTS).to_dict("records")]
    assert got == want
    assert want[0] == {
        "event_id_cnty": "UKR1", "event_date": "2022-03-01", "year": "2022",
        "time_precision": "1", "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Shelling/artillery/missile attack",
        "country": "Ukraine", "admin1": "Kyiv City", "location": "Kyiv",
        "latitude": "50.45466", "longitude": "30.5238", "geo_precision": "1",
        "fatalities": "12",
        "notes": 'At least 12 were killed, "officials" said,\nand 30 hurt.',
        "source": "https://example.org/a1", "geomap_event_type": "missile",
        "killed": "12", "wounded": "30", "killed_qualifier": "at_least",
        "wounded_qualifier": "approx", "review_status": "machine",
        "article_id": "a1", "geonameid": "703448",
    }
    assert [g.x for g in gdf.geometry[:4]] == [30.5238, 36.5, 38.0, -20.987654]
    places = gpd.read_file(paths[1])
    assert [_norm(v) for v in places["text"]] == ["Kyiv", "Kharkiv", "Syria",
                                                   "the region"]
    assert places["score"].tolist() == ["0.9123", "0.5", "1.0", "0.25"]


def test_acled_mapping_of_codes():
    df = acled_frame(INCIDENTS)
    assert df["geo_precision"].tolist()[:4] == [1, 3, 3, 3]
    assert df["geo_precision"].tolist()[4] is pd.NA
    assert df["fatalities"].tolist() == [12, 0, 0, 7, 0]
    assert [_norm(v) for v in df["country"]] == [
        "Ukraine", "Ukraine", "Syria", "Nigeria", None]
    assert [_norm(v) for v in df["event_type"]] == [
        "Explosions/Remote violence", "Explosions/Remote violence", "Battles", None,
        "Violence against civilians"]
    assert df["source"].tolist()[1] == "Agency one; https://example.org/a2"


@pytest.mark.parametrize(("code", "name"), [
    ("RU", "Russia"), ("IR", "Iran"), ("CD", "Democratic Republic of Congo"),
    ("PS", "Palestine"), ("us", "United States"), ("ZZ", None), ("", None),
])
def test_acled_country_names(code, name):
    assert acled_country(code) == name


# -- errors ----------------------------------------------------------------------

def test_unknown_format_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="unknown output format 'shp'"):
        write_layers(tmp_path, INCIDENTS, MENTIONS, "shp")


def test_directory_formats_refuse_a_file_target(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="go into a directory"):
        write_layers(target, INCIDENTS, MENTIONS, "parquet")
    assert target.read_text(encoding="utf-8") == "x"


def test_unwritable_target_is_an_output_error(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="cannot write"):
        write_layers(blocker / "sub" / "x.gpkg", INCIDENTS, MENTIONS, "gpkg")
