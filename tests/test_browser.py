"""The offline map in a real browser: Debian's chromium driven by Playwright.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``). Without it the
tests fail, unless ``GEOMAP_ALLOW_NO_BROWSER=1`` is set (local runs only).
Screenshots go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from common import DNIPRO, IMG, JS_URL, KHARKIV, KYIV, LVIV, MYKOLAIV, ODESA, SCRIPT

from geomap.models import Incident, Mention, Place
from geomap.outputs.html import marker_radius, write_map

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


PAYLOAD = SCRIPT + IMG

INCIDENTS = [
    Incident("a1", KYIV, "Kyiv", "point", "missile", dt.date(2022, 3, 1), 12, 30,
             "at_least", "approx", "At least 12 people were killed and about 30 hurt.",
             ("https://example.org/a1",)),
    Incident("a2", KHARKIV, "Kharkiv", "point", "shelling", dt.date(2022, 3, 2), 3,
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


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("GEOMAP_ALLOW_NO_BROWSER") == "1":
            pytest.skip("/usr/bin/chromium is absent and GEOMAP_ALLOW_NO_BROWSER=1")
        pytest.fail("/usr/bin/chromium is missing: apt-get install chromium "
                    "(or set GEOMAP_ALLOW_NO_BROWSER=1 for a local run without it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS,
                                     headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def map_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("map") / "map.html"
    write_map(path, INCIDENTS, MENTIONS, offline=True, title=PAYLOAD)
    return path


class Session:
    """A loaded page plus everything it logged and requested."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1280, "height": 860})
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
        _, x, y = self.js("""(aid) => {
            const g = window.geomap, D = g.data;
            g.map.closePopup();
            const i = D.inc.a.indexOf(aid);
            // centre the marker first, as a user would, so no control covers it
            const ll = [D.inc.lat[i], D.inc.lon[i]];
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


def test_every_incident_is_drawn(session):
    assert session.js("window.geomap.layers.incidents.drawn") == len(MAPPED)
    # each circle is in view and its centre pixel is painted on the canvas
    painted = session.js("""() => {
        const g = window.geomap, layer = g.layers.incidents, out = [];
        const canvas = layer.getCanvas();
        const ctx = canvas.getContext('2d'), box = canvas.getBoundingClientRect();
        const mapBox = g.map.getContainer().getBoundingClientRect();
        const sx = canvas.width / box.width, sy = canvas.height / box.height;
        for (let i = 0; i < g.data.inc.lat.length; i++) {
            const p = layer.pointOf(i);
            const x = Math.round((mapBox.left + p.x - box.left) * sx);
            const y = Math.round((mapBox.top + p.y - box.top) * sy);
            const ll = [g.data.inc.lat[i], g.data.inc.lon[i]];
            const inView = g.map.getBounds().contains(ll);
            out.push(inView && ctx.getImageData(x, y, 1, 1).data[3] > 0);
        }
        return out;
    }""")
    assert painted == [True] * len(MAPPED)
    # circle sizes follow html.marker_radius (area proportional to killed + wounded)
    radii = session.js("""() => Object.fromEntries(window.geomap.data.inc.a.map(
        (a, i) => [a, window.geomap.layers.incidents.radius(i)]))""")
    assert radii == pytest.approx(
        {i.article_id: marker_radius(i.killed, i.wounded) for i in MAPPED})
    assert sorted(set(radii.values())) == pytest.approx([4.0, 4.33, 6.61, 16.2],
                                                        abs=1e-5)
    assert session.page.locator(".gm-title-stats").inner_text() == (
        "6 incidents · 3 places · 1 incident without coordinates (not shown)")


def test_popup_shows_the_figures(session):
    popup = session.click_incident("a1")
    assert session.field(popup, "location") == "Kyiv"
    assert session.field(popup, "place") == "Kyiv, Kyiv City, Ukraine (point)"
    assert session.field(popup, "date") == "2022-03-01"
    assert session.field(popup, "event_type") == "missile"
    assert session.field(popup, "killed") == "at least 12"
    assert session.field(popup, "wounded") == "about 30"
    assert session.field(popup, "quote") == (
        "At least 12 people were killed and about 30 hurt.")
    link = popup.locator('[data-field="source"] a')
    assert link.count() == 1
    assert link.get_attribute("href") == "https://example.org/a1"
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    assert session.errors == []


def test_unknown_figures_and_plain_text_sources(session):
    popup = session.click_incident("a3")
    assert session.field(popup, "killed") == "unknown"
    assert session.field(popup, "wounded") == "unknown"
    popup = session.click_incident("a2")
    assert session.field(popup, "killed") == "3"
    assert session.field(popup, "source") == "Source: Local agency"
    assert popup.locator('[data-field="source"] a').count() == 0


def test_overlapping_incidents_page_in_one_popup(session):
    popup = session.click_incident("a4")
    page = session.page
    pager = page.locator(".gm-pager")
    assert pager.locator(".gm-pos").inner_text() == "1 of 2 here"
    first = page.locator('.geomap-popup [data-field="article_id"]').inner_text()
    pager.locator(".gm-next").click()
    assert pager.locator(".gm-pos").inner_text() == "2 of 2 here"
    second = page.locator('.geomap-popup [data-field="article_id"]').inner_text()
    assert sorted([first, second]) == ["Article: a4", "Article: a7"]
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
    assert session.field(popup, "location") == PAYLOAD
    assert session.field(popup, "quote") == f"{PAYLOAD} {JS_URL}"
    assert session.field(popup, "killed") == "about 7"
    # neither the javascript: URL nor the markup became a link
    assert popup.locator("a").count() == 0
    assert session.field(popup, "source") == f"Sources: {JS_URL} | {PAYLOAD}"
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


def test_time_slider_filters_by_date(session):
    page = session.page
    slider = page.locator(".gm-time-range")
    assert slider.get_attribute("max") == "3"  # three distinct dates, then "all"

    def set_slider(value: int, single: bool = False):
        session.js("""([v, single]) => {
            const box = document.querySelector('.gm-time-single');
            if (box.checked !== single) { box.click(); }
            const s = document.querySelector('.gm-time-range');
            s.value = String(v);
            s.dispatchEvent(new Event('input', {bubbles: true}));
        }""", [value, single])
        assert session.js("window.geomap.layers.incidents.drawn") == session.js(
            "window.geomap.visibleCount")
        return session.js("window.geomap.visibleCount")

    assert set_slider(0) == 1                 # up to 2022-03-01
    assert page.locator(".gm-time-label").inner_text() == "up to 2022-03-01"
    assert set_slider(1) == 3                 # up to 2022-03-02
    assert set_slider(1, single=True) == 2    # only 2022-03-02
    assert page.locator(".gm-time-label").inner_text() == "2022-03-02"
    assert set_slider(3) == len(MAPPED)       # all, undated included
    assert session.errors == []


def test_layer_control_switches_clusters_heat_and_places(session):
    page = session.page
    control = page.locator(".leaflet-control-layers-overlays")
    labels = [t.strip() for t in control.locator("label").all_inner_texts()]
    assert labels == ["Incidents (6)", "Incident clusters",
                      "Heat map (killed + wounded)", "Places mentioned (3)",
                      "Country outlines"]
    control.locator("label", has_text="Incident clusters").click()
    control.locator("label", has_text="Heat map").click()
    page.wait_for_timeout(300)
    assert session.js("window.geomap.layers.clusters.getLayers().length") == len(MAPPED)
    assert session.js("window.geomap.layers.heat._latlngs.length") == len(MAPPED)
    assert session.js("window.geomap.map.hasLayer(window.geomap.layers.heat)") is True
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    control.locator("label", has_text="Places mentioned").click()
    assert session.js("geomap.map.hasLayer(geomap.layers.places)") is False
    assert session.errors == []


def test_legend_explains_colour_and_size(session):
    legend = session.page.locator(".geomap-legend")
    text = legend.inner_text()
    for word in ("Event type (colour)", "missile", "shelling", "drone", "airstrike",
                 "explosion", "clash", "Killed + wounded (circle area)",
                 "no figure given"):
        assert word in text
    sizes = session.js("""() => Array.from(document.querySelectorAll('.gm-size'))
        .map(e => e.getBoundingClientRect().width)""")
    assert sizes == pytest.approx([8, 8, 15.81, 50], abs=0.01)


def test_screenshot_artifact(session):
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "browser-map.png"
    session.page.screenshot(path=str(out))
    assert out.stat().st_size > 20_000
