"""The compact map payload in a real browser: binary columns and text chunks.

The page carries incidents as deflated typed arrays over shared sites and their
text as deflated JSON chunks (``html._TEXT_CHUNK`` incidents each, 4 here, so
that a small map spans many chunks). These tests drive the same path as a map of
a million incidents: every circle drawn from the arrays, popups from inflated
chunks, the date, undated and event-type filters, and hostile text that stays
text. Places and sentences are made up.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pytest
from test_browser import Session, set_slider

from geomap.models import Article, Incident, Place
from geomap.outputs import html as maphtml

pytestmark = pytest.mark.browser

HOSTILE = ('</script><img src=x onerror="window.__pwned=1"> and '
           '<script>window.__pwned=1</script><!-- ]]>')
SITES = [Place(-100 - k, f"Vellmora {k}", 10.0 + k * 0.4, 20.0 + k * 0.5, "ZZ",
               f"North Vell {k}", "city") for k in range(5)]
LONE = Place(-200, "Ostrava Minor", 8.0, 18.0, "ZZ", "South Vell", "city")
TYPES = ("shelling", "airstrike", "clash")
DAY = dt.date(2021, 6, 1)


def _incidents() -> list[Incident]:
    out = []
    for i in range(44):
        date = None if i % 7 == 3 else DAY + dt.timedelta(days=i % 5)
        quote = f"Report {i}: shells fell near the grain depot, officials said."
        killed = None if i % 6 == 0 else i % 9
        out.append(Incident(f"c-{i:02d}", SITES[i % 5], SITES[i % 5].name, "point",
                            TYPES[i % 3], date, killed, i % 4 or None, "exact",
                            "exact", quote, (f"https://example.net/c/{i}",)))
    # one hostile report, alone at its own site, of a type no other incident has
    out.append(Incident("evil", LONE, HOSTILE, "point", "drone", DAY, 2, None,
                        "exact", None, HOSTILE, (HOSTILE,)))
    return out


INCIDENTS = _incidents()
ARTICLES = [Article("evil", "", title=HOSTILE, source=HOSTILE)]


@pytest.fixture(scope="module")
def map_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("compact") / "map.html"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(maphtml, "_TEXT_CHUNK", 4)
        maphtml.write_map(path, INCIDENTS, offline=True, title=HOSTILE,
                          articles=ARTICLES)
    return path


@pytest.fixture
def session(browser, map_file):
    s = Session(browser, map_file)
    yield s
    s.close()


def test_page_keeps_every_element_closed_and_the_payload_as_data(map_file):
    page = map_file.read_text(encoding="utf-8")
    assert "<img src=x" not in page and "window.__pwned=1</script>" not in page
    # every <script> ends at its own </script>: no article text closed one early
    assert page.count("</script>") == len(re.findall(r"<script\b", page))
    for body in re.findall(r'id="geomap-data-[^"]+-(?:bin|text)">(.*?)</script>', page,
                           re.S):
        assert re.fullmatch(r"[A-Za-z0-9+/=]*", body)
    data = maphtml.read_payload(page)
    assert data["n"] == 45 and data["sites"] == 6
    assert len(data["textOffsets"]) - 1 == math.ceil(45 / 4)
    evil = data["inc"]["a"].index("evil")
    assert data["inc"]["q"][evil] == HOSTILE
    assert data["inc"]["r"][evil] == [[HOSTILE, HOSTILE]]


def test_every_circle_is_drawn_and_every_text_chunk_decodes(session, map_file):
    assert session.errors == []
    assert session.js("window.geomap.layers.incidents.drawn") == 45
    texts = session.js("""async () => {
        const g = window.geomap, out = [];
        for (let i = g.data.n - 1; i >= 0; i--) { out.unshift(await g.text(i)); }
        return out; }""")
    data = maphtml.read_payload(map_file.read_text(encoding="utf-8"))
    assert [t["a"] for t in texts] == data["inc"]["a"]
    assert [t["q"] for t in texts] == data["inc"]["q"]
    assert [t["r"] for t in texts] == data["inc"]["r"]
    # circles at their sites, with the radius html.marker_radius gives
    got = session.js("""() => {
        const g = window.geomap, out = [];
        for (let i = 0; i < g.data.n; i++) {
            const ll = g.latLng(i);
            out.push([ll.lat, ll.lng, g.layers.incidents.radius(i)]);
        }
        return out; }""")
    scale = data["radius"]["scale"]
    expected = []
    for a in data["inc"]["a"]:
        inc = next(x for x in INCIDENTS if x.article_id == a)
        expected.append([round(inc.place.lat, 4), round(inc.place.lon, 4),
                         maphtml.marker_radius(inc.killed, inc.wounded, scale)])
    assert [v for row in got for v in row] == pytest.approx(
        [v for row in expected for v in row], abs=1e-4)


def _page_to(session, article):
    """Page the open popup to ``article``'s incident (texts from other chunks)."""
    page = session.page
    seen = []
    while True:
        popup = page.locator(".leaflet-popup-content .geomap-popup[data-incident]")
        seen.append(popup.get_attribute("data-article"))
        if seen[-1] == article:
            return popup, seen
        page.locator(".gm-next").click()
        page.wait_for_function("""(n) => document.querySelector('.gm-pos')
            .textContent.startsWith(n + ' of')""", arg=len(seen) + 1)


def test_popup_of_a_later_chunk_shows_its_own_text(session):
    session.click_incident("c-41")
    # the site has nine incidents, in several chunks: the pager walks them
    assert session.page.locator(".gm-pos").inner_text() == "1 of 9 here"
    popup, seen = _page_to(session, "c-41")
    assert len(set(seen)) == len(seen)
    assert all(int(a[2:]) % 5 == 1 for a in seen)  # all at Vellmora 1
    # the grid finds all nine under the pointer; hovering needs only one
    counts = session.js("""async () => {
        const g = window.geomap, layer = g.layers.incidents;
        const p = layer.pointOf(await g.find('c-41'));
        return [layer.hit(p, 3).length, layer.hit(p, 3, true).length]; }""")
    assert counts == [9, 1]
    assert session.field(popup, "quote") == (
        "Report 41: shells fell near the grain depot, officials said.")
    assert session.field(popup, "place_name") == "Vellmora 1"
    assert session.field(popup, "place") == "North Vell 1, ZZ (point)"
    assert session.field(popup, "event_type") == "clash"
    assert session.field(popup, "date") == "2021-06-02"
    assert session.field(popup, "killed") == "5"
    link = popup.locator('a[data-field="source"]')
    assert link.get_attribute("href") == "https://example.net/c/41"
    assert session.errors == []


def test_hostile_text_from_a_chunk_is_shown_as_text(session):
    popup = session.click_incident("evil")
    assert session.field(popup, "quote") == HOSTILE
    assert session.field(popup, "title") == HOSTILE
    assert session.field(popup, "location") == f"\u00ab{HOSTILE}\u00bb"
    assert session.field(popup, "source") == HOSTILE
    assert popup.locator("a, img, script").count() == 0
    assert session.page.locator(".gm-title-text").inner_text() == HOSTILE
    session.page.wait_for_timeout(200)  # an onerror handler would have run by now
    assert session.js("typeof window.__pwned") == "undefined"
    assert session.js("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert session.dialogs == [] and session.errors == []


def _counts(upto=None, single=False, undated=True, hidden=()):
    n = 0
    for inc in INCIDENTS:
        if inc.event_type in hidden:
            continue
        if inc.date is None:
            n += undated
        elif upto is None or (inc.date == upto if single else inc.date <= upto):
            n += 1
    return n


def test_date_slider_and_undated_box_filter_the_circles(session):
    dates = sorted({i.date for i in INCIDENTS if i.date})
    assert len(dates) == 5
    assert set_slider(session, 0) == _counts(dates[0])
    assert set_slider(session, 2) == _counts(dates[2])
    assert set_slider(session, 2, single=True) == _counts(dates[2], single=True)
    assert set_slider(session, 2, undated=False) == _counts(dates[2], undated=False)
    assert set_slider(session, 5, undated=False) == _counts(undated=False)
    assert set_slider(session, 5) == 45
    assert session.errors == []


def _alpha_at(session, article):
    return session.js("""async (aid) => {
        const g = window.geomap, i = await g.find(aid);
        g.map.setView(g.latLng(i), 12, {animate: false});
        const canvas = g.layers.incidents.getCanvas();
        const box = canvas.getBoundingClientRect();
        const p = g.layers.incidents.pointOf(i);
        const mapBox = g.map.getContainer().getBoundingClientRect();
        const sx = canvas.width / box.width;
        return canvas.getContext('2d').getImageData(
            Math.round((mapBox.left + p.x - box.left) * sx),
            Math.round((mapBox.top + p.y - box.top) * sx), 1, 1).data[3]; }""", article)


def test_event_types_in_the_legend_filter_the_circles(session):
    page = session.page
    boxes = page.locator(".geomap-legend .gm-type")
    assert sorted(boxes.evaluate_all("bs => bs.map(b => b.dataset.type)")) == sorted(
        [*TYPES, "drone"])
    assert _alpha_at(session, "evil") > 0
    page.locator('.gm-type[data-type="drone"]').click()
    assert session.js("window.geomap.visibleCount") == 44
    assert session.js("window.geomap.layers.incidents.drawn") == 0  # alone in view
    assert _alpha_at(session, "evil") == 0
    # a click there opens nothing
    hits = session.js("""async () => {
        const g = window.geomap, i = await g.find('evil');
        return g.layers.incidents.hit(g.layers.incidents.pointOf(i), 3).length; }""")
    assert hits == 0
    page.locator('.gm-type[data-type="clash"]').click()
    hidden = ("drone", "clash")
    assert session.js("window.geomap.visibleCount") == _counts(hidden=hidden)
    # the date filter keeps the hidden types hidden (every circle in view again)
    session.js("() => { window.geomap.map.setView([10, 20], 6, {animate: false}); }")
    assert set_slider(session, 1) == _counts(DAY + dt.timedelta(days=1), hidden=hidden)
    page.locator('.gm-type[data-type="drone"]').click()
    page.locator('.gm-type[data-type="clash"]').click()
    session.js("() => { window.geomap.map.setView([10, 20], 6, {animate: false}); }")
    assert set_slider(session, 5) == 45
    assert _alpha_at(session, "evil") > 0
    assert session.errors == []
