"""The HTML map: data embedding, escaping, offline assets, layers (no browser here)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import pytest
from common import IMG, JS_URL, KYIV, MYKOLAIV, SCRIPT

from geomap.models import Incident, Mention, Place
from geomap.outputs import html as maphtml
from geomap.outputs.html import (
    EVENT_COLORS,
    embed_json,
    format_count,
    is_http_url,
    marker_radius,
    to_map,
    write_map,
)

KHARKIV_OBL = Place(706482, "Kharkiv Oblast", 49.5, 36.5, "UA", "Kharkiv", "admin1")



def incident(place=KYIV, *, article="a1", location="Kyiv", event="missile",
             date=dt.date(2022, 3, 1), killed=12, wounded=30, kq="at_least",
             wq="approx", quote="At least 12 people were killed.",
             sources=("https://example.org/a1",)):
    precision = None if place is None else {"city": "point"}.get(place.feature,
                                                                  place.feature)
    return Incident(article, place, location, precision, event, date, killed, wounded,
                    kq, wq, quote, sources)


def mention(place, text, article="a1"):
    return Mention(article, 0, len(text), text, place, 0.9)


def page_of(m) -> str:
    return m.get_root().render()


def data_of(page: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="geomap-data-[^"]+">(.*?)</script>',
        page, re.S)
    assert found is not None
    return json.loads(found.group(1))


def payload_script_tags(page: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", page)


# -- helpers ---------------------------------------------------------------------

@pytest.mark.parametrize(("killed", "wounded", "radius"), [
    (None, None, 4.0), (0, 0, 4.0), (1, None, 4.0), (4, None, 5.0),
    (12, 4, 10.0), (100, 0, 25.0), (256, 0, 40.0), (5000, 5000, 40.0), (-3, None, 4.0),
])
def test_marker_radius_area_grows_with_casualties(killed, wounded, radius):
    assert marker_radius(killed, wounded) == radius


def test_marker_area_is_proportional_between_floor_and_cap():
    small, large = marker_radius(16, 0), marker_radius(64, 0)
    assert (large / small) ** 2 == pytest.approx(4.0)


@pytest.mark.parametrize(("n", "q", "text"), [
    (12, "at_least", "at least 12"), (40, "approx", "about 40"), (3, "exact", "3"),
    (3, None, "3"), (1500, "exact", "1,500"), (None, "at_least", "unknown"),
])
def test_format_count(n, q, text):
    assert format_count(n, q) == text


@pytest.mark.parametrize(("url", "ok"), [
    ("https://example.org/x", True), ("http://example.org", True),
    ("HTTPS://EXAMPLE.ORG", True), (JS_URL, False), ("JavaScript:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False), ("//example.org", False),
    ("ftp://example.org", False), ("example.org", False), ("https://", False),
    (" https://example.org", False), ("", False), (None, False),
])
def test_is_http_url(url, ok):
    assert is_http_url(url) is ok


@pytest.mark.parametrize("value", [
    {"q": SCRIPT}, {"q": IMG}, ["</SCRIPT>", "<!--", "<![CDATA[", "]]>"],
    {"q": "line\u2028sep\u2029para"}, {"k": "a & b"},
])
def test_embed_json_round_trips_and_cannot_close_script(value):
    text = embed_json(value)
    assert json.loads(text) == value
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text


def test_embed_json_escapes_lone_surrogates():
    text = embed_json({"q": "bad\ud800half"})
    text.encode("utf-8")  # must not raise
    assert json.loads(text) == {"q": "bad\ud800half"}


# -- the page --------------------------------------------------------------------

def test_data_blob_carries_every_incident_with_figures():
    incs = [
        incident(),
        incident(MYKOLAIV, article="a2", location="Mykolaiv", event="shelling",
                 date=dt.date(2022, 3, 5), killed=3, wounded=None, kq="exact", wq=None,
                 quote="Shelling killed three.", sources=()),
    ]
    data = data_of(page_of(to_map(incs)))
    inc = data["inc"]
    assert len(inc["lat"]) == 2
    # larger circles first, so smaller ones stay clickable on top; 4 decimals
    assert inc["lat"] == [50.4547, 46.9659]
    assert inc["lon"] == [30.5238, 31.9974]
    assert inc["k"] == [12, 3] and inc["w"] == [30, None]
    assert [data["quals"][i] for i in inc["kq"]] == ["at_least", "exact"]
    assert [data["quals"][i] for i in inc["wq"]] == ["approx", None]
    assert [data["types"][i] for i in inc["t"]] == ["missile", "shelling"]
    assert [data["dates"][i] for i in inc["d"]] == ["2022-03-01", "2022-03-05"]
    assert inc["q"] == ["At least 12 people were killed.", "Shelling killed three."]
    assert [data["strings"][i] for i in inc["cn"]] == ["Ukraine", "Ukraine"]
    assert [data["strings"][i] for i in inc["loc"]] == ["Kyiv", "Mykolaiv"]
    assert inc["s"] == ["https://example.org/a1", None]
    assert inc["a"] == ["a1", "a2"]
    assert data["radius"] == {"scale": 2.5, "min": 4.0, "max": 40.0}
    assert data["colors"][data["types"].index("shelling")] == EVENT_COLORS["shelling"]
    assert data["legend"]["types"] == sorted(
        [data["types"].index("missile"), data["types"].index("shelling")])
    assert data["unmapped"] == 0


def test_incidents_without_place_are_counted_not_drawn():
    incs = [incident(), incident(None, location="somewhere"),
            incident(Place(1, "Bad", float("nan"), 3.0, "UA", None, "city"))]
    data = data_of(page_of(to_map(incs)))
    assert len(data["inc"]["lat"]) == 1
    assert data["unmapped"] == 2


def test_undated_incidents_have_no_date_and_no_dates_means_no_slider_data():
    data = data_of(page_of(to_map([incident(date=None)])))
    assert data["inc"]["d"] == [-1]
    assert data["dates"] == []


def test_unknown_event_type_falls_back_to_other():
    data = data_of(page_of(to_map([incident(event="riot")])))
    assert data["types"][data["inc"]["t"][0]] == "other"


def test_places_aggregate_mentions_by_geonameid():
    ments = [mention(KYIV, "Kyiv", "a1"), mention(KYIV, "Kiev", "a1"),
             mention(KYIV, "Kyiv", "a2"), mention(MYKOLAIV, "Mykolaiv", "a3"),
             mention(None, "Atlantis", "a3")]
    data = data_of(page_of(to_map([], ments)))
    places = data["places"]
    names = [data["strings"][i] for i in places["name"]]
    assert names == ["Kyiv", "Mykolaiv"]
    assert places["n"] == [3, 1]
    assert places["na"] == [2, 1]
    assert places["r"] == [maphtml.place_radius(3), maphtml.place_radius(1)]
    assert [[data["strings"][i] for i in f] for f in places["forms"]] == [
        ["Kyiv", "Kiev"], ["Mykolaiv"]]


def test_view_fits_the_data():
    page = page_of(to_map([incident(), incident(MYKOLAIV, location="Mykolaiv")]))
    found = re.search(r"fitBounds\(\s*(\[\[.*?\]\])", page, re.S)
    assert found is not None
    (south, west), (north, east) = json.loads(found.group(1))
    assert (south, west, north, east) == (46.9659, 30.5238, 50.4547, 31.9974)


def test_single_point_view_gets_a_neighbourhood():
    page = page_of(to_map([incident()]))
    (south, west), (north, east) = json.loads(
        re.search(r"fitBounds\(\s*(\[\[.*?\]\])", page, re.S).group(1))
    assert north - south == pytest.approx(0.25)
    assert east - west == pytest.approx(0.25)


def test_hostile_strings_never_appear_raw_in_the_page():
    hostile = incident(location=SCRIPT + IMG, quote=f"{SCRIPT} {IMG} <b>bold</b>",
                       sources=(JS_URL, "https://example.org/?a=<script>"))
    hostile_place = Place(99, SCRIPT, 50.0, 30.0, "UA", IMG, "city")
    ments = [mention(hostile_place, IMG)]
    page = page_of(to_map([hostile], ments, offline=True, title=SCRIPT + IMG))
    for raw in ("window.__pwned=1</script>", "<img src=x", "<b>bold</b>",
                'onerror="window'):
        assert raw not in page
    # the only script tags are ours: none has an attribute an article could set
    for tag in payload_script_tags(page):
        assert tag == "<script>" or re.fullmatch(
            r'<script type="application/json" id="geomap-(data|base)-[0-9a-z_]+">', tag)
    # ... and the payload is still there, as data, to be shown as text
    data = data_of(page)
    assert data["title"] == SCRIPT + IMG
    assert SCRIPT + IMG in data["strings"]
    assert data["inc"]["s"] == [[JS_URL, "https://example.org/?a=<script>"]]
    assert data["inc"]["q"] == [f"{SCRIPT} {IMG} <b>bold</b>"]
    assert f"<title>{html.escape(SCRIPT + IMG)}</title>" in page


def test_title_with_lone_surrogate_still_writes(tmp_path):
    path = tmp_path / "map.html"
    write_map(path, [incident(quote="bad \udc80 byte")], title="t\ud800")
    page = path.read_text(encoding="utf-8")
    assert data_of(page)["inc"]["q"] == ["bad \udc80 byte"]


def test_offline_page_is_self_contained():
    page = page_of(to_map([incident()], offline=True))
    assert not re.search(r"<(script|link|img)\b[^>]*\b(src|href)=", page)
    assert "cdn.jsdelivr" not in page and "code.jquery" not in page
    assert "tile.openstreetmap" not in page and "basemaps.cartocdn" not in page
    assert "L.tileLayer" not in page
    assert 'id="geomap-base-' in page  # the Natural Earth outlines
    assert "url(images/layers.png)" not in page
    assert "data:image/png;base64," in page
    assert "window.geomapRender" in page and "L.markerClusterGroup" in page
    assert "L.heatLayer = " in page or "L.heatLayer=" in page
    assert "topojson" in page


def test_online_page_uses_cdn_leaflet_and_tiles_but_inlines_plugins():
    page = page_of(to_map([incident()]))
    assert re.search(r'<script src="https://[^"]*leaflet[^"]*\.js"', page)
    assert "L.tileLayer" in page
    assert 'id="geomap-base-' not in page
    assert "window.geomapRender" in page


def test_offline_basemap_is_natural_earth_countries():
    page = page_of(to_map([], offline=True))
    found = re.search(
        r'<script type="application/json" id="geomap-base-[^"]+">(.*?)</script>',
        page, re.S)
    topo = json.loads(found.group(1))
    geometries = topo["objects"]["countries"]["geometries"]
    names = {g["properties"]["name"] for g in geometries}
    assert {"Ukraine", "France", "Brazil"} <= names
    assert len(names) > 200


def test_empty_map_renders_a_world_view():
    page = page_of(to_map([]))
    assert not re.search(r"fitBounds\(\s*\[\[", page)
    data = data_of(page)
    assert data["inc"]["lat"] == [] and data["places"]["lat"] == []


def test_write_map_is_atomic_and_leaves_no_temp(tmp_path):
    path = tmp_path / "sub" / "map.html"
    write_map(path, [incident()], [mention(KYIV, "Kyiv")], offline=True, title="War")
    assert sorted(p.name for p in path.parent.iterdir()) == ["map.html"]
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>War</title>" in page
    assert data_of(page)["title"] == "War"


def test_write_map_failure_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "map.html"
    path.write_text("old", encoding="utf-8")

    def boom(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(maphtml, "to_map", boom)
    with pytest.raises(RuntimeError):
        write_map(path, [incident()])
    assert path.read_text(encoding="utf-8") == "old"


def test_assets_licences_are_recorded():
    assets = maphtml._ASSETS
    text = assets.joinpath("LICENSES.md").read_text(encoding="utf-8")
    for name in ("leaflet.js", "leaflet.markercluster.js", "leaflet-heat.js",
                 "topojson-client.min.js", "countries-50m.json"):
        assert name in text
        assert assets.joinpath(name).is_file()
    for lic in ("leaflet", "leaflet.markercluster", "leaflet.heat", "topojson-client",
                "world-atlas"):
        assert assets.joinpath("licenses", f"{lic}.txt").is_file()
    total = sum(p.stat().st_size for p in Path(str(assets)).rglob("*") if p.is_file())
    assert total < 2_000_000
