"""The review page in Debian's chromium: edit, reject, add, reload, render.

Needs ``/usr/bin/chromium`` like ``test_browser.py`` (skipped without it, except
under ``GEOMAP_REQUIRE_SERVICES=1``). The page
talks to a real uvicorn server over a real SQLite store and the real gazetteer.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from review_fixtures import PAYLOAD, RESULTS, T1
from review_server import TOKEN, review_server

from geomap.cli import main
from geomap.outputs.html import read_payload
from geomap.results import open_store

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
DRONE = "a drone fell in a field"


@pytest.fixture
def served(tmp_path, gazetteer_store):
    path = tmp_path / "review.sqlite"
    with open_store(path) as store:
        store.write(RESULTS)
        with review_server(store, gazetteer_store) as url:
            yield url, path


class Page:
    """A review page plus everything it logged, requested and alerted."""

    def __init__(self, browser, url):
        self.url = url
        # bypass_csp: Playwright's polling needs eval, which the page's CSP
        # forbids; it also shows that escaping alone keeps payloads inert.
        self.context = browser.new_context(viewport={"width": 1400, "height": 900},
                                           bypass_csp=True)
        self.page = self.context.new_page()
        self.errors, self.requests, self.dialogs = [], [], []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text)
                     if m.type == "error" else None)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open(self, query=f"?token={TOKEN}"):
        self.page.goto(self.url + "/" + query)
        self.wait_ready()

    def wait_ready(self):
        self.page.wait_for_function("window.review && window.review.ready === true",
                                    timeout=20_000)

    def row(self, item_id):
        return self.page.locator(f'#incidents tbody tr[data-id="{item_id}"]')

    def select(self, item_id):
        self.row(item_id).locator("td.place").click()
        self.wait_selected(item_id)

    def wait_selected(self, item_id):
        self.page.wait_for_function(
            "(id) => (window.review.state.detail || {}).id === id",
            arg=item_id)

    def cells(self, item_id):
        r = self.row(item_id)
        return (r.locator("td.killed").inner_text(),
                r.locator("td.status").inner_text())

    def select_text(self, needle):
        """Select ``needle`` in the article pane (the Selection API, as a drag does)."""
        self.page.evaluate("""(needle) => {
            const box = document.getElementById('article-text');
            const at = box.textContent.indexOf(needle);
            if (at < 0) { throw new Error('text not found: ' + needle); }
            const end = at + needle.length;
            const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
            const r = document.createRange();
            let pos = 0;
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const next = pos + n.data.length;
                if (pos <= at && at < next) { r.setStart(n, at - pos); }
                if (pos < end && end <= next) { r.setEnd(n, end - pos); break; }
                pos = next;
            }
            const sel = window.getSelection();
            sel.removeAllRanges(); sel.addRange(r);
        }""", needle)


def test_edit_reject_add_reload_render(browser, served, tmp_path):
    url, path = served
    p = Page(browser, url)
    p.open()
    page = p.page
    assert page.url == url + "/"  # the token left the address bar
    assert page.locator("#incidents tbody tr").count() == 3

    # edit a figure
    p.select(1)
    quote = RESULTS[0].incidents[0].quote
    assert page.locator("#article-text .q").inner_text() == quote
    assert page.locator("#article-text .place.chosen").inner_text() == "Kyiv"
    assert page.locator("#article-text .fig").all_inner_texts() == ["4", "9"]
    page.fill('#edit input[name="killed"]', "5")
    page.click("#save")
    page.wait_for_selector('tr[data-id="1"].st-edited')
    assert p.cells(1) == ("5", "edited")

    # reject the next one from the keyboard
    page.keyboard.press("j")
    p.wait_selected(2)
    page.keyboard.press("r")
    page.wait_for_selector('tr[data-id="2"].st-rejected')

    # add a missed incident from selected text, then place it through the gazetteer
    p.select(1)
    p.select_text(DRONE)
    page.click("#add")
    page.wait_for_selector('tr[data-id="4"].st-added')
    p.wait_selected(4)
    assert page.locator("#article-text .q").inner_text() == DRONE
    page.fill("#place-q", "Kyiv")
    page.click("#place-find")
    page.wait_for_selector("#candidates button.pick")
    n = page.locator("#candidates button.pick").count()
    assert n >= 1  # every candidate is also a marker on the map
    assert page.evaluate("window.review.candidates.getLayers().length") == n
    page.locator("#candidates button.pick").first.click()
    page.select_option('#edit select[name="event_type"]', "drone")
    page.fill('#edit input[name="killed"]', "0")
    page.click("#save")
    page.wait_for_function("window.review.state.detail.place && "
                           "window.review.state.detail.place.geonameid === 703448")

    # reload: the token is remembered for the tab, the corrections are in the store
    page.reload()
    p.wait_ready()
    assert p.cells(1) == ("5", "edited")
    assert p.cells(2) == ("3", "rejected")
    assert p.cells(4) == ("0", "added")
    assert page.locator('tr[data-id="4"] td.place').inner_text() == "Kyiv"
    assert page.locator("#incidents tbody tr").count() == 4

    # the page ran no payload and asked nothing from outside
    p.select(3)
    page.fill("#reviewer", PAYLOAD)  # a hostile reviewer name, shown in the log
    page.locator("#article-meta").click()  # leave the input: keys are shortcuts again
    page.keyboard.press("a")
    page.wait_for_selector('tr[data-id="3"].st-accepted')
    assert PAYLOAD in page.locator("#log li").last.text_content()
    page.keyboard.press("k")
    p.wait_selected(2)
    page.keyboard.press("j")
    p.wait_selected(3)
    assert page.locator("#article-title").inner_text() == PAYLOAD
    assert PAYLOAD in page.locator("#article-text").inner_text()
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('#detail img, #detail script')"
                         ".length") == 0
    assert p.dialogs == [] and p.errors == []
    assert [r for r in p.requests if not r.startswith(url + "/")] == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review.png"))
    p.context.close()

    # render applies all three
    out, err = io.StringIO(), io.StringIO()
    assert main(["render", "--store", str(path), "-o", str(tmp_path / "o"), "-q"],
                stdout=out, stderr=err) == 0, err.getvalue()
    feats = json.loads((tmp_path / "o" / "incidents.geojson").read_text())["features"]
    got = sorted((f["properties"]["article_id"], f["properties"]["event_type"],
                  f["properties"]["killed"], f["properties"]["review_status"],
                  f["properties"]["quote"]) for f in feats)
    assert got == [
        ("kyiv-1", "drone", 0, "added", DRONE),
        ("kyiv-1", "missile", 5, "edited", RESULTS[0].incidents[0].quote),
        ("odesa-3", "explosion", 2, "accepted", RESULTS[2].incidents[0].quote),
    ]
    assert DRONE in T1
    html = (tmp_path / "o" / "map.html").read_text()
    quotes = read_payload(html)["inc"]["q"]  # compressed in the page
    assert len(quotes) == 3
    assert not [q for q in quotes if "Three civilians died" in q]  # rejected: gone


def test_without_a_token_the_page_says_so(browser, served):
    url, _ = served
    p = Page(browser, url)
    p.page.goto(url + "/")
    p.page.wait_for_function("window.review && window.review.ready === true")
    assert p.page.locator("#message").inner_text() == (
        "No token: open the address that geomap review printed (it ends in "
        "?token=...).")
    assert p.page.locator("#incidents tbody tr").count() == 0
    p.context.close()


def test_the_page_works_under_its_own_csp(browser, served):
    """No bypass here: Leaflet, the basemap and the API calls all pass the CSP."""
    import time

    url, _ = served
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/?token={TOKEN}")
    deadline = time.monotonic() + 20
    while not page.evaluate("() => !!(window.review && window.review.ready)"):
        assert time.monotonic() < deadline, "the page did not get ready"
        time.sleep(0.05)
    while page.evaluate("() => document.querySelectorAll("
                        "'.leaflet-overlay-pane path').length") < 100:
        assert time.monotonic() < deadline, "no basemap"
        time.sleep(0.05)
    assert page.locator("#incidents tbody tr").count() == 3
    page.locator('#incidents tbody tr[data-id="3"] td.place').click()
    page.wait_for_selector("#article-text mark.q")
    assert page.locator("#article-title").inner_text() == PAYLOAD
    assert errors == []
    context.close()


def test_merge_and_split_from_the_page(browser, served):
    url, path = served
    p = Page(browser, url)
    p.open()
    page = p.page
    p.select(2)
    p.row(2).locator("input.mark").check()
    p.row(3).locator("input.mark").check()
    assert page.locator("#merge").inner_text() == "Merge marked (2)"
    page.click("#merge")
    page.wait_for_selector('tr[data-id="3"].st-merged')
    assert p.cells(2)[1] == "edited"
    p.select(1)
    p.select_text("killing 4 people")
    page.click("#split")
    page.wait_for_selector('tr[data-id="4"].st-added')
    p.wait_selected(4)
    assert page.locator("#article-text .q").inner_text() == "killing 4 people"
    page.reload()
    p.wait_ready()
    assert [p.cells(i)[1] for i in (1, 2, 3, 4)] == [
        "edited", "edited", "merged", "added"]
    assert p.errors == [] and p.dialogs == []
    p.context.close()
    with open_store(path, create=False) as store:
        incs = [i for r in store.results() for i in r.incidents]
    assert sorted((i.article_id, i.quote[:16], i.review_status) for i in incs) == [
        ("kharkiv-2", "Three civilians ", "edited"),
        ("kyiv-1", "A missile struck", "edited"),
        ("kyiv-1", "killing 4 people", "added")]
    merged = next(i for i in incs if i.article_id == "kharkiv-2")
    assert merged.sources == ("Agency", "https://example.org/o3")
