"""write_outputs: the same files from results in memory and streamed from a store."""

from __future__ import annotations

import json
import re

import pytest
from common import KHARKIV, KYIV, ODESA

from geomap.models import Article, ArticleResult, Incident, Mention
from geomap.outputs import write_outputs
from geomap.outputs.geojson import feature_collection, write_features, write_geojson
from geomap.outputs.html import _places_payload, _Strings
from geomap.results import temporary_store
from geomap.runner import StoreSink

# Written for these tests; the sources repeat so that titles match by source.
TEXTS = [
    "Shelling hit Kharkiv on Tuesday, killing four people, officials in Kyiv said. "
    "Kharkiv's mayor said a school was damaged.",
    "A drone struck a fuel depot near Odesa on Monday, wounding two workers.",
    "Ukrainian officials met in Kyiv to discuss grain exports. No one was hurt.",
    "Two missiles hit Kharkiv overnight, killing four people and wounding nine, "
    "the regional governor said.",
    "Nothing happened anywhere today.",
]


@pytest.fixture(scope="module")
def results(geomap_pipeline):
    articles = [Article(id=f"t{i}", text=text, date=None, title=f"Report {i % 2}",
                        source=f"agency-{i % 3}")
                for i, text in enumerate(TEXTS)]
    found = list(geomap_pipeline.process_many(articles))
    # the fixture must exercise what the writers merge and aggregate
    assert sum(len(r.incidents) for r in found) >= 3
    assert len({m.article_id for r in found for m in r.mentions
                if m.place and m.place.geonameid == KHARKIV.geonameid}) == 2
    return found


def _files(directory):
    """File contents by name; folium's random element ids in the map blanked."""
    return {p.name: re.sub(rb"_[0-9a-f]{32}\b", b"_ID", p.read_bytes())
            for p in sorted(directory.iterdir())}


def test_outputs_streamed_from_a_store_are_byte_identical(results, tmp_path):
    in_memory = write_outputs(tmp_path / "memory", results, offline=True,
                              formats=["csv"], title="Test")
    with temporary_store() as store:
        StoreSink(store, keep_text=False).write(results)
        streamed = write_outputs(tmp_path / "store",
                                 lambda: store.results(text=False), offline=True,
                                 formats=["csv"], title="Test")
    assert [p.name for p in in_memory] == [p.name for p in streamed] == [
        "incidents.geojson", "places.geojson", "incidents.csv", "places.csv",
        "map.html"]
    assert _files(tmp_path / "memory") == _files(tmp_path / "store")
    places = json.loads((tmp_path / "store" / "places.geojson").read_text())
    assert len(places["features"]) == sum(
        1 for r in results for m in r.mentions if m.place and m.role != "demonym")


def test_a_one_shot_iterator_is_read_as_often_as_needed(results, tmp_path):
    write_outputs(tmp_path / "list", results, offline=True)
    write_outputs(tmp_path / "iter", iter(results), offline=True)
    assert _files(tmp_path / "list") == _files(tmp_path / "iter")


@pytest.mark.parametrize("records", [
    [],
    [{"lat": 46.5, "lon": 30.7, "name": "Одеса \"port\"", "n": None}],
    [{"lat": None, "lon": None, "x": 1.5}, {"lat": 1.0, "lon": 2.0, "x": -3}],
])
def test_streamed_features_are_the_bytes_of_a_collection(tmp_path, records):
    write_geojson(tmp_path / "a.geojson", feature_collection(records))
    write_features(tmp_path / "b.geojson", iter(records))
    assert (tmp_path / "a.geojson").read_bytes() == (
        tmp_path / "b.geojson").read_bytes()


def _mention(article, place, text, start=0):
    return Mention(article, start, start + len(text), text, place, 0.9)


def test_places_layer_counts_articles_without_keeping_their_ids():
    mentions = [
        _mention("a", KYIV, "Kyiv"), _mention("a", ODESA, "Odesa"),
        _mention("a", KYIV, "Kiev", 20),
        _mention("b", KYIV, "KYIV"), _mention("b", KHARKIV, "Kharkiv"),
        _mention("c", ODESA, "Odessa"),
    ]
    strings = _Strings()
    cols, points = _places_payload(iter(mentions), strings)
    names = [strings.items[i] for i in cols["name"]]
    assert names == ["Kyiv", "Odesa", "Kharkiv"]  # most mentioned first
    assert cols["n"] == [3, 2, 1]
    assert cols["na"] == [2, 2, 1]
    assert [[strings.items[i] for i in f] for f in cols["forms"]] == [
        ["Kyiv", "Kiev", "KYIV"], ["Odesa", "Odessa"], ["Kharkiv"]]
    assert points[0] == (round(KYIV.lat, 4), round(KYIV.lon, 4))


def test_write_outputs_holds_incidents_not_mentions(tmp_path):
    """A results function is called once per pass; the map gets every incident."""
    inc = Incident("x", KYIV, "Kyiv", "point", "missile", None, 2, None, "exact",
                   None, "A missile killed two.")
    calls = []

    def results():
        calls.append(1)
        return iter([ArticleResult(Article("x", ""), (_mention("x", KYIV, "Kyiv"),),
                                   (inc,))])

    write_outputs(tmp_path, results, offline=True)
    assert len(calls) == 4  # incidents, places GeoJSON, map places, map titles
    assert json.loads((tmp_path / "incidents.geojson").read_text())[
        "features"][0]["properties"]["killed"] == 2
