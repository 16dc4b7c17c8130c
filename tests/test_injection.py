"""Hostile payloads through the whole CLI, and SQL built only with bound parameters.

``tests/test_browser.py`` proves the map's renderer on hand-made records; here
the payloads travel the real path: article text, title and URL in a JSONL
file, place and region names in a GeoNames dump imported with ``geomap
gazetteer import``, and ``--title``; ``geomap map`` writes the page, and
Debian's chromium shows that no payload runs and every one reads as text.
"""

from __future__ import annotations

import ast
import io
import json
import re
from pathlib import Path

import pytest
from common import IMG, JS_URL, SCRIPT

from geomap.cli import main

ROOT = Path(__file__).resolve().parents[1]
SVG = "<svg/onload=window.__pwned=1>"
PAYLOAD = SCRIPT + IMG + SVG
ODD_URL = 'https://example.org/a?<b>=1&x="y"'


def cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


def _row(gid, name, alts, lat, lon, fclass, fcode, adm, pop):
    return "\t".join([str(gid), name, name, alts, str(lat), str(lon), fclass, fcode,
                      "UA", "", adm, "", "", "", str(pop), "", "100", "Europe/Kyiv",
                      "2023-01-01"])


@pytest.fixture(scope="module")
def hostile_map(tmp_path_factory):
    d = tmp_path_factory.mktemp("injection")
    (d / "UA.txt").write_text("\n".join([
        _row(706483, PAYLOAD + "Kharkiv", "Kharkiv,Kharkov", 49.98081, 36.25272, "P",
             "PPLA", "07", 1430885),
        _row(698740, "Odesa", "Odessa", 46.47747, 30.73262, "P", "PPLA", "17",
             1015826),
        _row(690791, "Ukraine", "", 49.0, 32.0, "A", "PCLI", "00", 44622516),
    ]) + "\n")
    (d / "admin1.txt").write_text(f"UA.07\t{IMG}Kharkiv Oblast\tKharkiv\t706482\n"
                                  "UA.17\tOdessa\tOdessa\t698738\n")
    gz = d / "hostile.sqlite"
    cli("gazetteer", "import", d / "UA.txt", d / "admin1.txt", "--gazetteer", gz, "-q")
    articles = [
        {"id": "inj-1", "date": "2022-03-30", "title": PAYLOAD, "url": JS_URL,
         "text": f"Shelling hit Kharkiv on Tuesday, killing 3 people {PAYLOAD} and "
                 "wounding 5, officials said."},
        {"id": "inj-2", "date": "2022-03-30", "title": "plain", "url": ODD_URL,
         "text": f"A missile strike on Odesa killed 4 people on Monday, officials "
                 f"said. {JS_URL}"},
    ]
    corpus = d / "hostile.jsonl"
    corpus.write_text("\n".join(json.dumps(a) for a in articles) + "\n")
    out = d / "out"
    cli("map", corpus, "-o", out, "--offline", "--gazetteer", gz, "--title", PAYLOAD,
        "-q")
    return out


def test_payloads_reach_the_layers_verbatim(hostile_map):
    inc = json.loads((hostile_map / "incidents.geojson").read_text())
    by_id = {f["properties"]["article_id"]: f["properties"] for f in inc["features"]}
    assert set(by_id) == {"inj-1", "inj-2"}
    k = by_id["inj-1"]
    # a javascript: URL is dropped at ingest (issue 14), so no layer carries
    # it: the source falls back to the article id, as for any article without one
    assert (k["place_name"], k["admin1"], k["source"]) == (
        PAYLOAD + "Kharkiv", IMG + "Kharkiv Oblast", "inj-1")
    assert PAYLOAD in k["quote"] and (k["killed"], k["wounded"]) == (3, 5)
    assert by_id["inj-2"]["source"] == ODD_URL


def test_no_payload_is_markup_in_the_page(hostile_map):
    page = (hostile_map / "map.html").read_text()
    assert "<script>window.__pwned" not in page
    assert "<img src=x" not in page.lower() and "<svg/onload" not in page.lower()
    assert 'href="javascript:' not in page.lower()
    # only the page's own scripts: none of them mentions the payload
    for body in re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S):
        assert "window.__pwned=1</script>" not in body


@pytest.mark.browser
def test_browser_runs_no_payload_and_shows_text(hostile_map):

    from services import require

    require("browser")
    from playwright.sync_api import sync_playwright
    from services import CHROMIUM, LAUNCH_ARGS
    from test_browser import Session

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS,
                                     headless=True)
        try:
            s = Session(browser, hostile_map / "map.html")
            page = s.page
            assert page.title() == PAYLOAD
            assert page.locator(".gm-title-text").inner_text() == PAYLOAD
            popup = s.click_incident("inj-1")
            # the gazetteer's (hostile) name heads; the text's spelling beneath
            assert s.field(popup, "place_name") == PAYLOAD + "Kharkiv"
            assert s.field(popup, "location") == "\u00abKharkiv\u00bb"
            assert s.field(popup, "place").startswith(IMG + "Kharkiv Oblast, ")
            assert PAYLOAD in s.field(popup, "quote")
            assert s.field(popup, "title") == PAYLOAD  # the article's title
            # the javascript: URL was dropped at ingest: the article id instead
            assert s.field(popup, "source") == "inj-1"
            assert popup.locator("a").count() == 0
            popup = s.click_incident("inj-2")
            assert s.field(popup, "title") == "plain"
            links = popup.locator('a[data-field="source"]')
            assert links.count() == 1
            from urllib.parse import unquote

            href = links.get_attribute("href")
            assert href.startswith("https://") and unquote(href) == ODD_URL
            assert links.inner_text() == ODD_URL
            # the hostile gazetteer name labels its place on the basemap, as text
            labels = s.js("""() => {
                geomap.map.setView([49.98, 36.25], 6, {animate: false});
                return Array.from(document.querySelectorAll('.gm-label-place'))
                    .map(e => [e.textContent, e.querySelectorAll('*').length]); }""")
            assert [PAYLOAD + "Kharkiv", 1] in labels
            page.wait_for_timeout(200)  # an onerror/onload handler would have run
            assert s.js("typeof window.__pwned") == "undefined"
            assert s.js("document.querySelectorAll('img[src=\"x\"], svg[onload]')"
                        ".length") == 0
            assert s.dialogs == [] and s.errors == [] and s.requests == []
            s.close()
        finally:
            browser.close()


# -- SQL: bound parameters only ------------------------------------------------------

SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES|CREATE|DROP)\b")
# f-string pieces that are code constants (column lists, fixed conditions)
CONSTANT_NAMES = {"_PLACE_COLS", "where", "cond", "_SCHEMA", "_INDEXES"}


def _sql_fstrings(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values
                           if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if SQL_WORDS.search(text):
                yield node, [v.value for v in node.values
                             if isinstance(v, ast.FormattedValue)]


def test_sql_is_never_built_from_values():
    """SQL strings interpolate only code constants; values go as parameters."""
    offenders = []
    for path in [*ROOT.glob("geomap/**/*.py"), *ROOT.glob("gazetteer/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node, exprs in _sql_fstrings(tree):
            for e in exprs:
                if not (isinstance(e, ast.Name) and e.id in CONSTANT_NAMES):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: "
                                     f"{ast.unparse(e)}")
        for node in ast.walk(tree):  # "..." % x and "...".format(value=...)
            if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod)
                    and isinstance(node.left, ast.Constant)
                    and isinstance(node.left.value, str)
                    and SQL_WORDS.search(node.left.value)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: %")
    assert offenders == []


HOSTILE_SQL = ["'; DROP TABLE places; --", "Kyiv' OR '1'='1", '" OR 1=1 --',
               "%", "_", "Kyiv%", "\\", "'", "[Kyiv]", "Kyiv); DELETE FROM names;--"]


def test_gazetteer_lookups_with_sql_payloads(gazetteer_store):
    before = gazetteer_store.info()["counts"]
    for name in HOSTILE_SQL:
        for c in gazetteer_store.candidates(name, fuzzy=False):
            assert c.matched in name.lower(), (name, c)
        gazetteer_store.lookup_many([name, "Kyiv"])
        assert gazetteer_store.admin1("UA", name) is None or "'" not in name
        assert gazetteer_store.country(name) is None
    assert gazetteer_store.candidates("%", fuzzy=False) == []
    assert gazetteer_store.info()["counts"] == before
    assert gazetteer_store.candidates("Kyiv")[0].place.geonameid == 703448


def test_store_round_trips_sql_payloads(tmp_path):
    import datetime as dt

    from geomap.models import Article, ArticleResult, Incident, Mention, Place
    from geomap.results import open_store

    evil = Place(-7, "x'); DROP TABLE articles; --", 50.0, 30.0, "UA",
                 "'; DELETE FROM incidents; --", "city")
    results = []
    for i, aid in enumerate(HOSTILE_SQL):
        art = Article(aid, f"text {aid}", dt.date(2022, 3, 30), title=aid, source=aid)
        m = Mention(aid, 0, 4, aid, evil, 0.5)
        inc = Incident(aid, evil, aid, "point", "other", None, i, None, "exact",
                       None, aid, (aid,))
        results.append(ArticleResult(art, (m,), (inc,)))
    with open_store(tmp_path / "s.sqlite") as store:
        store.write(results)
        assert store.up_to_date([r.article for r in results]) == set(HOSTILE_SQL)
        back = {r.article.id: r for r in store.results()}
    assert set(back) == set(HOSTILE_SQL)
    for r in results:
        got = back[r.article.id]
        assert got.article == r.article
        assert got.mentions == r.mentions and got.incidents == r.incidents
