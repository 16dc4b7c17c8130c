"""The offline map in a real browser: Debian's chromium driven by Playwright.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``); without it the
tests skip, or fail under ``GEOMAP_REQUIRE_SERVICES=1`` (CI; see services.py).
Screenshots go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from common import DNIPRO, IMG, JS_URL, KHARKIV, KYIV, LVIV, MYKOLAIV, ODESA, SCRIPT

from geomap.models import Article, Incident, Mention, Place
from geomap.outputs.html import EVENT_COLORS, marker_radius, write_map

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


PAYLOAD = SCRIPT + IMG

INCIDENTS = [
    Incident("a1", KYIV, "Kyiv", "point", "missile", dt.date(2022, 3, 1), 12, 30,
             "at_least", "approx", "At least 12 people were killed and about 30 hurt.",
             ("https://example.org/a1",)),
    Incident("a2", KHARKIV, "Харків", "point", "shelling", dt.date(2022, 3, 2), 3,
             None, "exact", None, "Shelling killed three.", ("Local agency",)),
    Incident("a3", MYKOLAIV, "Mykolaiv", "point", "drone", dt.date(2022, 3, 2), None,
             None, None, None, "A drone hit the port.", ()),
    Incident("a4", DNIPRO, "Dnipro", "point", "airstrike", None, 1, 2, "exact",
             "exact", "One killed, two wounded.", ("https://example.org/a4",)),
    Incident("a5", ODESA, PAYLOAD, "point", "explosion", dt.date(2022, 3, 4), 7, None,
             "approx", None, f"{PAYLOAD} {JS_URL}", (JS_URL, PAYLOAD)),
    Incident("a7", DNIPRO, "Dnipro", "point", "clash", None, 2, 1, "exact", "exact",
             "Two soldiers killed, one wounded in clashes.", ()),
    Incident("a6", None, "Nowhere", None, "other", None, 1, None, "exact", None,
             "Unresolved.", ()),
]
HOSTILE_PLACE = Place(-5, PAYLOAD, LVIV.lat, LVIV.lon, "UA", IMG, "city")
MENTIONS = [
    Mention("a1", 0, 4, "Kyiv", KYIV, 0.9),
    Mention("a2", 0, 7, "Kharkiv", KHARKIV, 0.9),
    Mention("a2", 20, 25, "Kyiv", KYIV, 0.9),
    Mention("a5", 0, len(PAYLOAD), PAYLOAD, HOSTILE_PLACE, 0.4),
]
MAPPED = [i for i in INCIDENTS if i.place is not None]
ARTICLES = [
    Article("a1", "", title="Missiles strike the capital",
            source="https://example.org/a1"),
    Article("a2", "", title=None, source="Local agency"),
    Article("a4", "", title="Airstrike on the city", source="https://example.org/a4"),
    Article("a5", "", title=PAYLOAD, source=JS_URL),
    Article("a7", "", title="Clashes near the city", source="reports/dnipro.txt"),
]


@pytest.fixture(scope="module")
def map_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("map") / "map.html"
    write_map(path, INCIDENTS, MENTIONS, offline=True, title=PAYLOAD, articles=ARTICLES)
    return path


class Session:
    """A loaded page plus everything it logged and requested."""

    def __init__(self, browser, path: Path, *, block_network: bool = False):
        self.page = browser.new_page(viewport={"width": 1280, "height": 860})
        if block_network:  # as on a machine without network: only file: loads
            self.page.route("**/*", lambda route: route.continue_()
                            if route.request.url.startswith(("file:", "data:", "blob:"))
                            else route.abort("internetdisconnected"))
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda err: self.errors.append(f"pageerror: {err}"))
        self.page.on("console", lambda msg: self.errors.append(f"console: {msg.text}")
                     if msg.type == "error" else None)
        self.page.on("request", lambda req: self.requests.append(req.url)
                     if not req.url.startswith(("file:", "data:", "blob:")) else None)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.geomap && window.geomap.ready === true",
                                    timeout=20_000)

    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)

    def click_incident(self, index_of):
        """Click, with the real mouse, the incident whose article id is ``index_of``."""
        _, x, y = self.js("""async (aid) => {
            const g = window.geomap;
            g.map.closePopup();
            const i = await g.find(aid);
            // centre the marker first, as a user would, so no control covers it
            const ll = g.latLng(i);
            g.map.setView(ll, g.map.getZoom(), {animate: false});
            const p = g.layers.incidents.pointOf(i);
            const box = g.map.getContainer().getBoundingClientRect();
            return [i, box.left + p.x, box.top + p.y];
        }""", index_of)
        self.wait_no_popup()
        self.page.mouse.click(x, y)
        selector = ".leaflet-popup-content .geomap-popup[data-incident]"
        self.page.wait_for_selector(selector)
        return self.page.locator(selector)

    def wait_no_popup(self):
        """Closed popups fade out for 200 ms before they leave the DOM."""
        self.page.wait_for_function(
            "document.querySelectorAll('.leaflet-popup').length === 0")

    def field(self, popup, name: str) -> str:
        return popup.locator(f'[data-field="{name}"]').inner_text()

    def close(self):
        self.page.close()


@pytest.fixture
def session(browser, map_file):
    s = Session(browser, map_file)
    yield s
    s.close()


def test_offline_page_loads_without_errors_or_network(session):
    assert session.errors == []
    assert session.requests == []
    assert session.js("typeof L.markerClusterGroup") == "function"
    # the bundled country outlines are drawn
    assert session.js("window.geomap.layers.base.getLayers().length") > 200


@pytest.fixture(scope="module")
def online_map_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("online") / "map.html"
    write_map(path, INCIDENTS, MENTIONS, title="Online", articles=ARTICLES)
    return path


def test_online_map_without_network_still_draws_everything(browser, online_map_file):
    s = Session(browser, online_map_file, block_network=True)
    try:
        s.page.wait_for_timeout(300)  # let the tile requests fail
        # the only requests are tiles, and only their failures are logged
        assert s.requests
        assert {r.split("/")[2] for r in s.requests} == {"tile.openstreetmap.org"}
        failed = [e for e in s.errors if "net::ERR_INTERNET_DISCONNECTED" in e]
        assert failed and s.errors == failed
        assert s.js("typeof L.markerClusterGroup") == "function"
        assert s.js("window.geomap.layers.incidents.drawn") == len(MAPPED)
        assert s.js("window.geomap.layers.base.getLayers().length") > 200
        assert s.js("window.geomap.layers.labels.shown") > 0
        # the outlines are painted under the (missing) tiles: Kyiv is land
        alpha = s.js("""() => {
            const g = window.geomap, ll = [50.45, 30.52];
            const canvas = g.map.getPane('geomapBase').querySelector('canvas');
            const box = canvas.getBoundingClientRect();
            const p = g.map.latLngToContainerPoint(ll);
            const mapBox = g.map.getContainer().getBoundingClientRect();
            const sx = canvas.width / box.width;
            return canvas.getContext('2d').getImageData(
                Math.round((mapBox.left + p.x - box.left) * sx),
                Math.round((mapBox.top + p.y - box.top) * sx), 1, 1).data[3];
        }""")
        assert alpha == 255
        popup = s.click_incident("a1")
        assert s.field(popup, "killed") == "at least 12"
        ARTIFACTS.mkdir(exist_ok=True)
        s.page.screenshot(path=str(ARTIFACTS / "browser-online-no-network.png"))
    finally:
        s.close()


def test_every_incident_is_drawn(session):
    assert session.js("window.geomap.layers.incidents.drawn") == len(MAPPED)
    # each circle is in view and its centre pixel is painted on the canvas
    painted = session.js("""() => {
        const g = window.geomap, layer = g.layers.incidents, out = [];
        const canvas = layer.getCanvas();
        const ctx = canvas.getContext('2d'), box = canvas.getBoundingClientRect();
        const mapBox = g.map.getContainer().getBoundingClientRect();
        const sx = canvas.width / box.width, sy = canvas.height / box.height;
        for (let i = 0; i < g.data.n; i++) {
            const p = layer.pointOf(i);
            const x = Math.round((mapBox.left + p.x - box.left) * sx);
            const y = Math.round((mapBox.top + p.y - box.top) * sy);
            const ll = g.latLng(i);
            const inView = g.map.getBounds().contains(ll);
            out.push(inView && ctx.getImageData(x, y, 1, 1).data[3] > 0);
        }
        return out;
    }""")
    assert painted == [True] * len(MAPPED)
    # circle sizes follow html.marker_radius (area proportional to killed + wounded)
    radii = session.js("""async () => {
        const g = window.geomap, out = {};
        for (let i = 0; i < g.data.n; i++) {
            out[(await g.text(i)).a] = g.layers.incidents.radius(i);
        }
        return out; }""")
    assert radii == pytest.approx(
        {i.article_id: marker_radius(i.killed, i.wounded) for i in MAPPED})
    assert sorted(set(radii.values())) == pytest.approx([4.0, 4.33, 6.61, 16.2],
                                                        abs=1e-5)
    assert session.page.locator(".gm-title-stats").inner_text() == (
        "6 incidents · 3 places · 1 incident without coordinates (not shown)")


def test_popup_shows_the_figures(session):
    popup = session.click_incident("a1")
    assert session.field(popup, "place_name") == "Kyiv"
    assert popup.locator('[data-field="location"]').count() == 0  # same spelling
    assert session.field(popup, "place") == "Kyiv City, Ukraine (point)"
    assert session.field(popup, "date") == "2022-03-01"
    assert session.field(popup, "event_type") == "missile"
    assert session.field(popup, "killed") == "at least 12"
    assert session.field(popup, "wounded") == "about 30"
    assert session.field(popup, "quote") == (
        "At least 12 people were killed and about 30 hurt.")
    assert session.field(popup, "title") == "Missiles strike the capital"
    link = popup.locator('a[data-field="source"]')
    assert link.count() == 1
    assert link.inner_text() == "https://example.org/a1"
    assert link.get_attribute("href") == "https://example.org/a1"
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    assert "a1" not in popup.inner_text().split()  # no opaque article id
    assert session.errors == []


def test_popup_heads_with_the_gazetteer_name_and_the_text_spelling_beneath(session):
    popup = session.click_incident("a2")
    assert session.field(popup, "place_name") == "Kharkiv"
    assert session.field(popup, "location") == "\u00ab" + "Харків" + "\u00bb"
    head = popup.locator(".gm-head").bounding_box()
    form = popup.locator(".gm-form").bounding_box()
    assert form["y"] >= head["y"] + head["height"] - 1  # beneath, not beside


def test_unknown_figures_and_plain_text_sources(session):
    popup = session.click_incident("a3")
    assert session.field(popup, "killed") == "unknown"
    assert session.field(popup, "wounded") == "unknown"
    # no source and no title: the article id is all there is
    assert session.field(popup, "source") == "Article a3"
    popup = session.click_incident("a2")
    assert session.field(popup, "killed") == "3"
    assert session.field(popup, "source") == "Local agency"
    assert popup.locator('[data-field="title"]').count() == 0  # no title known
    assert popup.locator('[data-field="reports"] a').count() == 0
    popup = session.click_incident("a7")
    assert session.field(popup, "title") == "Clashes near the city"


def test_overlapping_incidents_page_in_one_popup(session):
    popup = session.click_incident("a4")
    page = session.page
    pager = page.locator(".gm-pager")
    assert pager.locator(".gm-pos").inner_text() == "1 of 2 here"
    first = page.locator(".geomap-popup").get_attribute("data-article")
    pager.locator(".gm-next").click()
    assert pager.locator(".gm-pos").inner_text() == "2 of 2 here"
    second = page.locator(".geomap-popup").get_attribute("data-article")
    assert sorted([first, second]) == ["a4", "a7"]
    assert pager.locator(".gm-next").is_disabled()
    assert popup.count() == 1
    # a lone incident has no pager
    session.click_incident("a1")
    assert page.locator(".gm-pager").count() == 0
    assert session.errors == []


def test_payloads_execute_nothing_and_show_as_text(session):
    page = session.page
    assert page.title() == PAYLOAD
    assert page.locator(".gm-title-text").inner_text() == PAYLOAD
    popup = session.click_incident("a5")
    assert session.field(popup, "location") == f"\u00ab{PAYLOAD}\u00bb"
    assert session.field(popup, "place_name") == "Odesa"
    assert session.field(popup, "quote") == f"{PAYLOAD} {JS_URL}"
    assert session.field(popup, "title") == PAYLOAD  # the article title, as text
    assert session.field(popup, "killed") == "about 7"
    # neither the javascript: URL nor the markup became a link
    assert popup.locator("a").count() == 0
    assert popup.locator('[data-field="source"]').all_inner_texts() == [JS_URL, PAYLOAD]
    # the hostile place's popup (a place-only marker)
    point = session.js("""() => {
        const g = window.geomap;
        g.map.closePopup();
        const P = g.data.places;
        const j = P.name.findIndex(s => g.data.strings[s].startsWith('<script>'));
        g.map.setView([P.lat[j], P.lon[j]], g.map.getZoom(), {animate: false});
        const p = g.layers.places.pointOf(j);
        const box = g.map.getContainer().getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""")
    session.wait_no_popup()
    page.mouse.click(*point)
    page.wait_for_selector(".geomap-place-popup")
    place_popup = page.locator(".geomap-place-popup")
    assert place_popup.locator(".gm-head").inner_text() == PAYLOAD
    assert place_popup.locator(".gm-sub").inner_text() == f"{IMG}, Ukraine"
    assert session.field(place_popup, "forms") == PAYLOAD
    page.wait_for_timeout(200)  # an onerror handler would have fired by now
    assert session.js("typeof window.__pwned") == "undefined"
    assert session.js("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert session.js("document.querySelectorAll('.leaflet-popup-content script')"
                      ".length") == 0
    assert session.dialogs == []
    assert session.errors == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-map-payload-popup.png"))


def set_slider(session, value: int, single: bool = False, undated: bool = True):
    session.js("""([v, single, undated]) => {
        const box = document.querySelector('.gm-time-single');
        if (box.checked !== single) { box.click(); }
        const keep = document.querySelector('.gm-time-undated');
        if (keep.checked !== undated) { keep.click(); }
        const s = document.querySelector('.gm-time-range');
        s.value = String(v);
        s.dispatchEvent(new Event('input', {bubbles: true}));
    }""", [value, single, undated])
    assert session.js("window.geomap.layers.incidents.drawn") == session.js(
        "window.geomap.visibleCount")
    return session.js("window.geomap.visibleCount")


UNDATED = sum(1 for i in MAPPED if i.date is None)


def test_time_slider_filters_by_date(session):
    page = session.page
    slider = page.locator(".gm-time-range")
    assert slider.get_attribute("max") == "3"  # three distinct dates, then "all"
    assert UNDATED == 2
    # undated incidents stay on the map whatever the slider says...
    assert set_slider(session, 0) == 1 + UNDATED       # up to 2022-03-01
    assert page.locator(".gm-time-label").inner_text() == "up to 2022-03-01"
    assert set_slider(session, 1) == 3 + UNDATED       # up to 2022-03-02
    assert set_slider(session, 1, single=True) == 2 + UNDATED  # only 2022-03-02
    assert page.locator(".gm-time-label").inner_text() == "2022-03-02"
    assert set_slider(session, 3) == len(MAPPED)       # all
    # ... unless their box is unticked
    option = page.locator(".gm-time-undated").locator("xpath=..")
    assert option.inner_text().strip() == "undated incidents (2)"
    assert set_slider(session, 0, undated=False) == 1
    assert set_slider(session, 1, single=True, undated=False) == 2
    assert set_slider(session, 3, undated=False) == len(MAPPED) - UNDATED
    assert session.errors == []


def test_time_box_keeps_its_width(session):
    box = session.page.locator(".geomap-time")
    widths = []
    for value, single in ((3, False), (0, False), (1, True), (3, False)):
        set_slider(session, value, single)
        widths.append(box.bounding_box()["width"])
    assert widths == [widths[0]] * 4
    assert widths[0] == pytest.approx(250, abs=0.5)


def test_layer_control_switches_clusters_heat_and_places(session):
    page = session.page
    control = page.locator(".leaflet-control-layers-overlays")
    labels = [t.strip() for t in control.locator("label").all_inner_texts()]
    assert labels == ["Incidents (6)", "Incident clusters",
                      "Heat map (killed + wounded)", "Places mentioned (3)",
                      "Country outlines", "Labels"]
    control.locator("label", has_text="Incident clusters").click()
    control.locator("label", has_text="Heat map").click()
    page.wait_for_timeout(300)
    assert session.js("window.geomap.layers.clusters.getLayers().length") == len(MAPPED)
    assert session.js("window.geomap.layers.heat._latlngs.length") == len(MAPPED)
    assert session.js("window.geomap.map.hasLayer(window.geomap.layers.heat)") is True
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    control.locator("label", has_text="Places mentioned").click()
    assert session.js("geomap.map.hasLayer(geomap.layers.places)") is False
    control.locator("label", has_text="Labels").click()
    assert page.locator(".gm-label").count() == 0
    assert session.errors == []


def _rgb(css: str) -> tuple[int, ...]:
    return tuple(int(float(v)) for v in css[css.index("(") + 1:-1].split(",")[:3])


def test_cluster_icons_use_no_event_colour(session):
    page = session.page
    control = page.locator(".leaflet-control-layers-overlays")
    control.locator("label", has_text="Incidents (6)").click()   # circles off
    control.locator("label", has_text="Incident clusters").click()
    session.js("() => { geomap.map.setView([48.5, 33.5], 5, {animate: false}); }")
    page.wait_for_selector(".gm-cluster")
    colours = session.js("""() => Array.from(document.querySelectorAll('.gm-cluster'))
        .flatMap(e => [getComputedStyle(e).backgroundColor,
                       getComputedStyle(e.firstChild).backgroundColor])""")
    assert colours
    events = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))
              for c in EVENT_COLORS.values()]
    for colour in colours:
        rgb = _rgb(colour)
        # far from every event colour (Euclidean RGB distance)
        assert min(sum((a - b) ** 2 for a, b in zip(rgb, ev, strict=True)) ** 0.5
                   for ev in events) > 60, colour
    counts = session.js("""() => Array.from(
        document.querySelectorAll('.gm-cluster span')).map(e => e.textContent)""")
    assert all(c.isdigit() for c in counts)
    assert session.errors == []


def test_legend_explains_colour_and_size(session):
    legend = session.page.locator(".geomap-legend")
    text = legend.inner_text()
    for word in ("Event type (colour)", "missile", "shelling", "drone", "airstrike",
                 "explosion", "clash", "Killed + wounded (circle area)",
                 "no figure given", "10", "42 (largest)"):
        assert word in text
    sizes = session.js("""() => Array.from(document.querySelectorAll('.gm-size'))
        .map(e => e.getBoundingClientRect().width)""")
    # unknown (4 px), 10 and the largest toll on the map, 42 (12 + 30)
    assert sizes == pytest.approx([8, 15.82, 32.4], abs=0.01)


# -- the basemap: antimeridian and labels ------------------------------------------

def _rings(session):
    return session.js("""() => {
        const out = [];
        const walk = (a, name) => {
            if (a.length && a[0] && a[0].lat !== undefined) {
                let lo = Infinity, hi = -Infinity, jump = 0, pole = false;
                for (let i = 0; i < a.length; i++) {
                    lo = Math.min(lo, a[i].lng); hi = Math.max(hi, a[i].lng);
                    if (Math.abs(a[i].lat) >= 89.99) { pole = true; }
                    const onPole = i && Math.abs(a[i].lat) >= 89.99 &&
                        Math.abs(a[i - 1].lat) >= 89.99;
                    if (i && !onPole && Math.abs(a[i].lng - a[i - 1].lng) > jump) {
                        jump = Math.abs(a[i].lng - a[i - 1].lng);
                    }
                }
                out.push([name, hi - lo, jump, pole, lo, hi]);
            } else { a.forEach(b => walk(b, name)); }
        };
        window.geomap.layers.base.eachLayer(l => walk(l.getLatLngs(),
            l.feature.properties.name));
        return out;
    }""")


def test_basemap_rings_do_not_wrap_round_the_world(session):
    rings = _rings(session)
    assert len(rings) > 1000
    # no edge jumps across the map (the band of Russia, the line through Fiji),
    # except along the pole, which Web Mercator never shows
    assert [r for r in rings if r[2] > 180] == []
    # every ring spans less than half the world, except Antarctica's, which is
    # closed along the south pole
    wide = [r for r in rings if r[1] > 180]
    assert [(r[0], r[3]) for r in wide] == [("Antarctica", True)]
    assert all(-180 <= r[4] and r[5] <= 180 for r in rings)
    # the stitched countries are still there, on both sides of the antimeridian
    for name in ("Russia", "Fiji"):
        mine = [r for r in rings if r[0] == name]
        assert min(r[4] for r in mine) == pytest.approx(-180, abs=0.01)
        assert max(r[5] for r in mine) == pytest.approx(180, abs=0.01)


@pytest.mark.parametrize(("lat", "lon"), [
    # Russia's stitched ring jumped from +180 to -180 at 65.1 and 69.0 N, which
    # filled the band between them round the world; Fiji's at 16.5 S drew a line
    (67.0, 0.0),      # the Norwegian Sea, inside Russia's old band
    (67.0, -25.0),    # the Denmark Strait, same band
    (65.0, -170.0),   # the Bering Strait, east of Chukotka
    (-16.45, -100.0), # the South Pacific, on Fiji's old line
    (-16.45, 60.0),   # the Indian Ocean, same line
])
def test_open_sea_on_the_old_wrap_lines_is_not_land(session, lat, lon):
    # sample the basemap canvas: transparent (sea) where no country is
    alpha = session.js("""([lat, lon]) => {
        const g = window.geomap;
        g.map.setView([lat, lon], 4, {animate: false});
        const canvas = g.map.getPane('geomapBase').querySelector('canvas');
        const box = canvas.getBoundingClientRect();
        const p = g.map.latLngToContainerPoint([lat, lon]);
        const mapBox = g.map.getContainer().getBoundingClientRect();
        const sx = canvas.width / box.width;
        const x = Math.round((mapBox.left + p.x - box.left) * sx);
        const y = Math.round((mapBox.top + p.y - box.top) * sx);
        return canvas.getContext('2d').getImageData(x - 2, y - 2, 5, 5).data
            .filter((v, i) => i % 4 === 3).reduce((a, b) => Math.max(a, b), 0);
    }""", [lat, lon])
    assert alpha == 0


def test_land_is_still_land(session):
    # Chukotka on both sides of the antimeridian, Fiji's main island, Kyiv
    for lat, lon in ((66.0, 175.0), (66.0, -174.0), (-17.8, 178.0), (50.45, 30.52)):
        alpha = session.js("""([lat, lon]) => {
            const g = window.geomap;
            g.map.setView([lat, lon], 7, {animate: false});
            const canvas = g.map.getPane('geomapBase').querySelector('canvas');
            const box = canvas.getBoundingClientRect();
            const p = g.map.latLngToContainerPoint([lat, lon]);
            const mapBox = g.map.getContainer().getBoundingClientRect();
            const sx = canvas.width / box.width;
            const x = Math.round((mapBox.left + p.x - box.left) * sx);
            const y = Math.round((mapBox.top + p.y - box.top) * sx);
            return canvas.getContext('2d').getImageData(x, y, 1, 1).data[3];
        }""", [lat, lon])
        assert alpha == 255, (lat, lon)


def test_land_continues_across_the_antimeridian(session):
    # a view centred on the antimeridian shows land on both sides of it: Chukotka
    # east of 180 (its copy at 186 = -174) and Fiji's Taveuni (180.075 = -179.925)
    for centre, lat, lon in (((66.0, 180.0), 66.0, 186.0),
                             ((-16.8, 180.0), -16.8178, 180.075)):
        alpha = session.js("""([centre, lat, lon]) => {
            const g = window.geomap;
            g.map.setView(centre, 7, {animate: false});
            const canvas = g.map.getPane('geomapBase').querySelector('canvas');
            const box = canvas.getBoundingClientRect();
            const p = g.map.latLngToContainerPoint([lat, lon]);
            const mapBox = g.map.getContainer().getBoundingClientRect();
            const sx = canvas.width / box.width;
            return canvas.getContext('2d').getImageData(
                Math.round((mapBox.left + p.x - box.left) * sx),
                Math.round((mapBox.top + p.y - box.top) * sx), 1, 1).data[3];
        }""", [list(centre), lat, lon])
        assert alpha == 255, (lat, lon)


def _labels(session, lat, lon, zoom):
    session.js("""([lat, lon, zoom]) => {
        window.geomap.map.setView([lat, lon], zoom, {animate: false}); }""",
               [lat, lon, zoom])
    return session.js("""() => Array.from(document.querySelectorAll('.gm-label'))
        .map(e => [e.getAttribute('data-label'), e.textContent])""")


def test_labels_depend_on_the_zoom(session):
    world = _labels(session, 20, 0, 2)
    assert ["country", "Russia"] in world and ["country", "Brazil"] in world
    assert ["country", "Ukraine"] not in world and ["country", "Moldova"] not in world
    assert [k for k, _ in world if k == "place"] == []
    region = _labels(session, 48.5, 32.0, 5)
    assert ["country", "Ukraine"] in region and ["country", "Moldova"] not in region
    places = sorted(t for k, t in region if k == "place")
    assert places == ["Dnipro", "Kharkiv", "Kyiv", "Mykolaiv", "Odesa"]
    assert ["country", "Moldova"] in _labels(session, 47.5, 29.0, 7)
    # a country's label is not drawn over an incident place's label
    boxes = session.js("""() => Array.from(document.querySelectorAll('.gm-label span'))
        .map(e => { const r = e.getBoundingClientRect();
                    return [r.left, r.top, r.right, r.bottom]; })""")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_place_labels_are_text(session):
    texts = session.js("""() => {
        window.geomap.map.setView([48.5, 32.0], 6, {animate: false});
        return Array.from(document.querySelectorAll('.gm-label'))
            .map(e => e.children.length + ':' + e.firstChild.children.length); }""")
    assert set(texts) == {"1:0"}  # one span of plain text each


def test_screenshot_artifact(session):
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "browser-map.png"
    session.page.screenshot(path=str(out))
    assert out.stat().st_size > 20_000
