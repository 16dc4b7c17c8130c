"""The HTML map: data embedding, escaping, offline assets, layers (no browser here)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from common import IMG, JS_URL, KHARKIV, KYIV, MYKOLAIV, ODESA, SCRIPT

from geomap.models import Article, Incident, Mention, Place
from geomap.outputs import html as maphtml
from geomap.outputs.html import (
    EVENT_COLORS,
    build_map,
    embed_json,
    format_count,
    is_http_url,
    marker_radius,
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
    return maphtml.read_payload(page)


def payload_script_tags(page: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", page)


# -- helpers ---------------------------------------------------------------------

@pytest.mark.parametrize(("killed", "wounded", "radius"), [
    (None, None, 4.0), (0, 0, 4.0), (1, None, 4.0), (4, None, 5.0),
    (12, 4, 10.0), (100, 0, 25.0), (256, 0, 40.0), (400, 0, 50.0), (-3, None, 4.0),
])
def test_marker_radius_area_grows_with_casualties(killed, wounded, radius):
    assert marker_radius(killed, wounded) == radius


def test_marker_area_is_proportional_between_floor_and_cap():
    small, large = marker_radius(16, 0), marker_radius(64, 0)
    assert (large / small) ** 2 == pytest.approx(4.0)


@pytest.mark.parametrize(("top", "scale"), [
    (0, 2.5), (1, 2.5), (42, 2.5), (400, 2.5), (2500, 1.0), (10_000, 0.5),
    (1_000_000, 0.05),
])
def test_radius_scale_shrinks_only_when_the_largest_toll_would_pass_50px(top, scale):
    assert maphtml.radius_scale(top) == scale


@pytest.mark.parametrize(("large", "small"), [
    (2300, 139), (900, 120), (50_000, 2_000), (12_000, 700),
])
def test_large_tolls_stay_distinguishable(large, small):
    """No cap near 256: the largest toll gets 50 px and areas stay proportional."""
    scale = maphtml.radius_scale(large)
    r_large = marker_radius(large, None, scale)
    r_small = marker_radius(small, None, scale)
    assert r_large == 50.0
    assert (r_large / r_small) ** 2 == pytest.approx(large / small, rel=2e-3)
    assert r_small > 4.0


def test_quake_and_strike_tolls_on_one_map():
    scale = maphtml.radius_scale(2300)
    assert scale == pytest.approx(1.042572)
    assert marker_radius(2300, None, scale) == 50.0
    assert marker_radius(139, None, scale) == 12.29
    assert marker_radius(12, 33, scale) == 6.99
    assert marker_radius(1, None, scale) == 4.0   # the floor


@pytest.mark.parametrize(("top", "counts"), [
    (0, []), (1, [1]), (3, [3]), (42, [10, 42]), (139, [5, 50, 139]),
    (2300, [100, 500, 2300]), (100_000, [5000, 20_000, 100_000]),
])
def test_legend_counts_follow_the_data(top, counts):
    assert maphtml.legend_counts(top, maphtml.radius_scale(top)) == counts


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
    data = data_of(page_of(build_map(incs)))
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
    # the text's spelling is kept only where it differs from the gazetteer's name
    assert inc["loc"] == [-1, -1]
    assert [data["strings"][i] for i in inc["pl"]] == ["Kyiv", "Mykolaiv"]
    # one report per source (title, source); without a source, the article
    assert inc["r"] == [[[None, "https://example.org/a1"]], [[None, None]]]
    assert inc["a"] == ["a1", "a2"]
    # the two incidents are at two sites
    assert data["sites"] == 2
    assert data["radius"] == {"scale": 2.5, "min": 4.0, "max": 50.0}
    assert data["legend"]["sizes"] == [[None, 4.0], [10, 7.91], [42, 16.2]]
    assert data["legend"]["maxR"] == 16.2
    assert data["colors"][data["types"].index("shelling")] == EVENT_COLORS["shelling"]
    assert data["legend"]["types"] == sorted(
        [data["types"].index("missile"), data["types"].index("shelling")])
    assert data["unmapped"] == 0


def test_incidents_without_place_are_counted_not_drawn():
    incs = [incident(), incident(None, location="somewhere"),
            incident(Place(1, "Bad", float("nan"), 3.0, "UA", None, "city"))]
    data = data_of(page_of(build_map(incs)))
    assert len(data["inc"]["lat"]) == 1
    assert data["unmapped"] == 2


def test_undated_incidents_have_no_date_and_no_dates_means_no_slider_data():
    data = data_of(page_of(build_map([incident(date=None)])))
    assert data["inc"]["d"] == [-1]
    assert data["dates"] == []


def test_unknown_event_type_falls_back_to_other():
    data = data_of(page_of(build_map([incident(event="riot")])))
    assert data["types"][data["inc"]["t"][0]] == "other"


def test_places_aggregate_mentions_by_geonameid():
    ments = [mention(KYIV, "Kyiv", "a1"), mention(KYIV, "Kiev", "a1"),
             mention(KYIV, "Kyiv", "a2"), mention(MYKOLAIV, "Mykolaiv", "a3"),
             mention(None, "Atlantis", "a3")]
    data = data_of(page_of(build_map([], ments)))
    places = data["places"]
    names = [data["strings"][i] for i in places["name"]]
    assert names == ["Kyiv", "Mykolaiv"]
    assert places["n"] == [3, 1]
    assert places["na"] == [2, 1]
    assert places["r"] == [maphtml.place_radius(3), maphtml.place_radius(1)]
    assert [[data["strings"][i] for i in f] for f in places["forms"]] == [
        ["Kyiv", "Kiev"], ["Mykolaiv"]]


def test_view_fits_the_data():
    page = page_of(build_map([incident(), incident(MYKOLAIV, location="Mykolaiv")]))
    found = re.search(r"map_[0-9a-f]+\.fitBounds\(\s*(\[\[.*?\]\])", page, re.S)
    assert found is not None
    (south, west), (north, east) = json.loads(found.group(1))
    assert (south, west, north, east) == (46.9659, 30.5238, 50.4547, 31.9974)


def test_single_point_view_gets_a_neighbourhood():
    page = page_of(build_map([incident()]))
    (south, west), (north, east) = json.loads(
        re.search(r"map_[0-9a-f]+\.fitBounds\(\s*(\[\[.*?\]\])", page, re.S).group(1))
    assert north - south == pytest.approx(0.25)
    assert east - west == pytest.approx(0.25)


def test_hostile_strings_never_appear_raw_in_the_page():
    hostile = incident(location=SCRIPT + IMG, quote=f"{SCRIPT} {IMG} <b>bold</b>",
                       sources=(JS_URL, "https://example.org/?a=<script>"))
    hostile_place = Place(99, SCRIPT, 50.0, 30.0, "UA", IMG, "city")
    ments = [mention(hostile_place, IMG)]
    page = page_of(build_map([hostile], ments, offline=True, title=SCRIPT + IMG))
    for raw in ("window.__pwned=1</script>", "<img src=x", "<b>bold</b>",
                'onerror="window'):
        assert raw not in page
    # the only script tags are ours: none has an attribute an article could set
    for tag in payload_script_tags(page):
        assert tag == "<script>" or re.fullmatch(
            r'<script type="application/json" id="geomap-(data|base)-[0-9a-z_]+">', tag
        ) or re.fullmatch(r'<script type="application/octet-stream" '
                          r'id="geomap-data-[0-9a-z_]+-(bin|text)">', tag)
    # ... and the payload is still there, as data, to be shown as text
    data = data_of(page)
    assert data["title"] == SCRIPT + IMG
    assert SCRIPT + IMG in data["strings"]
    assert data["inc"]["r"] == [[[None, JS_URL],
                                 [None, "https://example.org/?a=<script>"]]]
    assert data["inc"]["q"] == [f"{SCRIPT} {IMG} <b>bold</b>"]
    assert f"<title>{html.escape(SCRIPT + IMG)}</title>" in page


def test_title_with_lone_surrogate_still_writes(tmp_path):
    path = tmp_path / "map.html"
    write_map(path, [incident(quote="bad \udc80 byte")], title="t\ud800")
    page = path.read_text(encoding="utf-8")
    assert data_of(page)["inc"]["q"] == ["bad \udc80 byte"]


def test_offline_page_is_self_contained():
    page = page_of(build_map([incident()], offline=True))
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


class _Fetches(HTMLParser):
    """Every URL the static page would fetch: src/href/srcset, CSS url() and @import."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls, self._style = [], False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster") and value:
                self.urls.append(f"{tag}[{name}]={value}")
            if name == "style" and value:
                self._css(value)
        self._style = tag == "style"

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if self._style:
            self._css(data)

    def _css(self, css):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
            if not url.startswith(("data:", "#")):
                self.urls.append(f"css url({url})")
        self.urls += [f"css @import {m}" for m in re.findall(r"@import\s+([^;]+)", css)]


TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


@pytest.mark.parametrize("offline", [False, True])
def test_no_asset_comes_from_the_network(offline):
    """Both modes inline every script and style; only tiles (online) are remote."""
    page = page_of(build_map([incident()], [mention(KYIV, "Kyiv")], offline=offline))
    parser = _Fetches()
    parser.feed(page)
    assert parser.urls == []
    for cdn in ("cdn.jsdelivr", "code.jquery", "bootstrapcdn", "cdnjs.cloudflare",
                "fontawesome", "bootstrap.min", "awesome-markers"):
        assert cdn not in page
    # the plugins and Leaflet itself are inlined in both modes
    assert "window.geomapRender" in page and "L.markerClusterGroup" in page
    assert 'id="geomap-base-' in page  # the outline basemap under any tiles
    assert "url(images/layers.png)" not in page
    tiles = re.findall(r'L\.tileLayer\(\s*"([^"]+)"', page)
    assert tiles == ([] if offline else [TILES])


def test_online_tiles_are_drawn_over_the_outline_basemap():
    page = page_of(build_map([incident()]))
    assert "L.tileLayer" in page  # in Leaflet's tilePane (z-index 200)
    js = maphtml._asset("geomap.js")
    assert "addPane(map, 'geomapBase', 150)" in js
    assert "addPane(map, 'geomapLabels', 160)" in js  # country names
    assert "addPane(map, 'geomapPlaceLabels', 420)" in js  # over the circles


def test_offline_basemap_is_natural_earth_countries():
    page = page_of(build_map([], offline=True))
    found = re.search(
        r'<script type="application/json" id="geomap-base-[^"]+">(.*?)</script>',
        page, re.S)
    topo = json.loads(found.group(1))
    geometries = topo["objects"]["countries"]["geometries"]
    names = {g["properties"]["name"] for g in geometries}
    assert {"Ukraine", "France", "Brazil"} <= names
    assert len(names) > 200


def test_empty_map_renders_a_world_view():
    page = page_of(build_map([]))
    assert not re.search(r"map_[0-9a-f]+\.fitBounds\(", page)
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

    monkeypatch.setattr(maphtml, "build_map", boom)
    with pytest.raises(RuntimeError):
        write_map(path, [incident()])
    assert path.read_text(encoding="utf-8") == "old"


def test_assets_licences_are_recorded():
    assets = maphtml._ASSETS
    text = assets.joinpath("LICENSES.md").read_text(encoding="utf-8")
    for name in ("leaflet.js", "leaflet.markercluster.js", "leaflet-heat.js",
                 "topojson-client.min.js", "countries-50m.json", "country-labels.json"):
        assert name in text
        assert assets.joinpath(name).is_file()
    for lic in ("leaflet", "leaflet.markercluster", "leaflet.heat", "topojson-client",
                "world-atlas"):
        assert assets.joinpath("licenses", f"{lic}.txt").is_file()
    total = sum(p.stat().st_size for p in Path(str(assets)).rglob("*") if p.is_file())
    assert total < 2_000_000


# -- popups: names, titles, quotes ---------------------------------------------------

def test_text_spelling_is_kept_where_it_differs_from_the_gazetteer_name():
    incs = [incident(KHARKIV, article="u", location="Харків"),
            incident(KYIV, article="k", location="Kiev", killed=5),
            incident(MYKOLAIV, article="m", location="MYKOLAIV ", killed=1)]
    data = data_of(page_of(build_map(incs)))
    inc, strings = data["inc"], data["strings"]
    assert [strings[i] for i in inc["pl"]] == ["Kharkiv", "Kyiv", "Mykolaiv"]
    # case and spacing alone are not a different spelling
    assert [strings[i] if i >= 0 else None for i in inc["loc"]] == [
        "Харків", "Kiev", None]


def test_article_titles_are_matched_by_source_and_by_id():
    incs = [incident(article="p1", sources=("reports/kyiv.txt",)),
            incident(MYKOLAIV, article="p2", sources=()),
            incident(KHARKIV, article="p3", sources=("https://example.org/3",)),
            incident(ODESA, article="p4", sources=("wire.jsonl:4",))]
    arts = [Article("p1", "", title="Strike on the capital", source="reports/kyiv.txt"),
            Article("p2", "", title="Port city shelled"),
            Article("p3", "", title=None, source="https://example.org/3"),
            Article("p9", "", title="Not on the map", source="elsewhere.txt")]
    data = data_of(page_of(build_map(incs, articles=arts)))
    by_article = dict(zip(data["inc"]["a"], data["inc"]["r"], strict=True))
    assert by_article == {
        "p1": [["Strike on the capital", "reports/kyiv.txt"]],
        "p2": [["Port city shelled", None]],
        "p3": [[None, "https://example.org/3"]],
        "p4": [[None, "wire.jsonl:4"]],
    }


@pytest.mark.parametrize(("quote", "titles", "expected"), [
    # an HTML page's headline, on its own line before the first sentence
    ("Rocket hits railway station\nA rocket struck the station, killing 39.",
     ["Rocket hits railway station"], "A rocket struck the station, killing 39."),
    ("Blast at a market  \n\nTwo people died in the blast at the market.",
     ["Blast at a market"], "Two people died in the blast at the market."),
    ("STORM OF SHELLS HITS TOWN\nShelling killed four in the town.",
     ["Storm of shells hits town"], "Shelling killed four in the town."),
    # Markdown headings (ATX and setext)
    ("# Drone strike\n\nA drone killed two men near the depot.", [],
     "A drone killed two men near the depot."),
    ("## Update\n### Casualties\nFive were wounded by the mortar fire.", [],
     "Five were wounded by the mortar fire."),
    ("Night attack\n============\nThree died overnight.", [], "Three died overnight."),
    # a lone heading keeps its words, without the hashes
    ("# Three killed in a raid", [], "Three killed in a raid"),
    # nothing to strip: a first line that is text, a title that is all there is
    ("Police said:\nthree were hurt.", [], "Police said:\nthree were hurt."),
    ("Two killed in raid", ["Two killed in raid"], "Two killed in raid"),
    ("#hashtag users said two died.", [], "#hashtag users said two died."),
])
def test_clean_quote_drops_a_glued_headline(quote, titles, expected):
    assert maphtml.clean_quote(quote, titles) == expected


def test_popup_quote_loses_its_article_headline():
    inc = incident(quote="Rocket hits station\nA rocket killed 39 at the station.",
                   sources=("https://example.org/k",))
    art = Article("a1", "", title="Rocket hits station", source="https://example.org/k")
    data = data_of(page_of(build_map([inc], articles=[art])))
    assert data["inc"]["q"] == ["A rocket killed 39 at the station."]


def test_hostile_titles_and_sources_stay_data():
    inc = incident(location=IMG, sources=(SCRIPT, JS_URL, "notes/<b>x</b>.txt"))
    arts = [Article("a1", "", title=SCRIPT + IMG, source=SCRIPT),
            Article("a2", "", title="<b>bold</b>", source=JS_URL)]
    page = page_of(build_map([inc], articles=arts, offline=True))
    for raw in ("window.__pwned=1</script>", "<img src=x", "<b>bold</b>", "<b>x</b>"):
        assert raw not in page
    data = data_of(page)
    # each source with its own article's title; the third has none
    assert data["inc"]["r"] == [[[SCRIPT + IMG, SCRIPT], ["<b>bold</b>", JS_URL],
                                 [None, "notes/<b>x</b>.txt"]]]


# -- labels ---------------------------------------------------------------------

def test_labels_name_the_places_that_carry_incidents_largest_toll_first():
    incs = [incident(KYIV, killed=3, wounded=None), incident(KYIV, killed=4, wounded=1),
            incident(MYKOLAIV, killed=20, wounded=None),
            incident(KHARKIV, killed=None, wounded=None),
            incident(None, location="nowhere")]
    ments = [mention(ODESA, "Odesa")]  # mentioned only: no label
    data = data_of(page_of(build_map(incs, ments)))
    labels = data["labels"]
    names = [data["strings"][i] for i in labels["name"]]
    assert names == ["Mykolaiv", "Kyiv", "Kharkiv"]
    assert labels["lat"] == [46.9659, 50.4547, 49.9808]
    assert labels["lon"] == [31.9974, 30.5238, 36.2527]


def test_place_labels_are_capped(monkeypatch):
    monkeypatch.setattr(maphtml, "MAX_PLACE_LABELS", 2)
    incs = [incident(Place(i, f"Town {i}", 40 + i / 10, 30.0, "UA", None, "city"),
                     killed=i, wounded=None) for i in range(1, 6)]
    data = data_of(page_of(build_map(incs)))
    assert [data["strings"][i] for i in data["labels"]["name"]] == ["Town 5", "Town 4"]


def test_country_labels_come_with_the_page():
    data = data_of(page_of(build_map([])))
    by_name = {c[0]: c for c in data["countries"]}
    assert len(by_name) > 200
    _, lat, lon, zoom = by_name["Ukraine"]
    assert 44 < lat < 53 and 22 < lon < 41 and zoom == 4
    # Russia's label sits on its mainland, not at the antimeridian
    _, lat, lon, zoom = by_name["Russia"]
    assert 50 < lat < 72 and 60 < lon < 120 and zoom == 2
    # small countries are named only when zoomed in
    assert by_name["Luxembourg"][3] > by_name["France"][3] > by_name["Russia"][3]
