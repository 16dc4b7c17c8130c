"""The review JSON API on a real uvicorn server: auth, Host/Origin, conflicts."""

from __future__ import annotations

import concurrent.futures
import io
import json
from urllib.parse import urlsplit

import httpx
import pytest
from review_fixtures import PAYLOAD, RESULTS, T1
from review_server import TOKEN, review_server

from geomap.cli import main
from geomap.results import open_store

AUTH = {"Authorization": f"Bearer {TOKEN}"}
HOSTILE_SQL = ["'; DROP TABLE incidents; --", "x' OR '1'='1", "%", "_", "\\"]


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "r.sqlite") as s:
        s.write(RESULTS)
        yield s


@pytest.fixture
def server(store, gazetteer_store):
    with review_server(store, gazetteer_store) as url:
        yield url


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        yield c


def _get(client, path, **kw):
    return client.get(path, headers={**AUTH, **kw.pop("headers", {})}, **kw)


def test_every_api_call_needs_the_token(client, store):
    calls = [("GET", "/api/incidents", None), ("GET", "/api/incidents/1", None),
             ("PATCH", "/api/incidents/1", {"killed": 9}),
             ("POST", "/api/incidents", {"article_id": "kyiv-1", "start": 0, "end": 5}),
             ("POST", "/api/incidents/merge", {"ids": [1, 2]}),
             ("POST", "/api/incidents/1/split", {}),
             ("GET", "/api/places?q=Kyiv", None),
             ("GET", "/api/log", None), ("GET", "/api/stale", None)]
    for headers in ({}, {"Authorization": "Bearer wrong-token"},
                    {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}):
        for method, path, body in calls:
            r = client.request(method, path, json=body, headers=headers)
            assert (r.status_code, r.headers.get("www-authenticate")) == (401, "Bearer")
    assert store.review_log() == []
    # the page and its assets carry no data and need no token
    assert client.get("/").status_code == 200
    assert client.get("/assets/review.js").status_code == 200
    assert client.get("/assets/../store.py").status_code == 404


def test_a_foreign_origin_is_refused(client, server, store):
    for origin in ("http://evil.example", "null", "http://127.0.0.1:1",
                   server.replace("http:", "https:")):
        r = client.patch("/api/incidents/1", json={"killed": 9},
                         headers={**AUTH, "Origin": origin})
        assert r.status_code == 403, origin
        r = client.post("/api/incidents", json={"article_id": "kyiv-1", "start": 0,
                                                "end": 4},
                        headers={**AUTH, "Origin": origin})
        assert r.status_code == 403
    r = client.patch("/api/incidents/1", json={"killed": 9},
                     headers={**AUTH, "Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    assert store.review_log() == []
    # the page's own origin is fine (localhost too, for a loopback server)
    port = urlsplit(server).port
    for origin in (server, f"http://localhost:{port}"):
        r = client.patch("/api/incidents/1", json={"killed": 9},
                         headers={**AUTH, "Origin": origin})
        assert r.status_code == 200
    assert [c.after for c in store.review_log()] == [9]


def test_a_foreign_host_is_refused(client, server):
    port = urlsplit(server).port
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}",
                 "127.0.0.1", f"192.168.1.5:{port}", ""):
        r = client.get("/api/incidents", headers={**AUTH, "Host": host})
        assert r.status_code == 400, host
        assert client.get("/", headers={"Host": host}).status_code == 400


def test_two_clients_editing_the_same_incident(server, store):
    with httpx.Client(base_url=server) as a, httpx.Client(base_url=server) as b:
        ra, rb = _get(a, "/api/incidents/1"), _get(b, "/api/incidents/1")
        assert ra.headers["etag"] == rb.headers["etag"] == '"0"'
        r1 = a.patch("/api/incidents/1", json={"killed": 5},
                     headers={**AUTH, "If-Match": ra.headers["etag"]})
        assert (r1.status_code, r1.headers["etag"], r1.json()["killed"]) == (
            200, '"1"', 5)
        r2 = b.patch("/api/incidents/1", json={"killed": 7, "wounded": 1},
                     headers={**AUTH, "If-Match": rb.headers["etag"]})
        assert r2.status_code == 409
        assert r2.json()["version"] == 1
        # b reloads and applies its change again
        rb = _get(b, "/api/incidents/1")
        assert rb.json()["killed"] == 5
        r3 = b.patch("/api/incidents/1", json={"killed": 7, "version": 1},
                     headers=AUTH)
        assert (r3.status_code, r3.json()["killed"], r3.json()["version"]) == (
            200, 7, 2)
    log = [(c.field, c.before, c.after) for c in store.review_log()]
    assert log == [("killed", 4, 5), ("killed", 5, 7)]


def test_racing_writers_one_wins_the_rest_conflict(server, store):
    def patch(n):
        with httpx.Client(base_url=server, timeout=30) as c:
            return c.patch("/api/incidents/2", json={"killed": 10 + n},
                           headers={**AUTH, "If-Match": '"0"'}).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(patch, range(8)))
    assert codes == [200] + [409] * 7
    assert len(store.review_log(2)) == 1


def test_without_a_version_the_last_write_wins_and_both_are_audited(client, store):
    for n in (5, 6):
        assert client.patch("/api/incidents/1", json={"killed": n},
                            headers=AUTH).status_code == 200
    assert _get(client, "/api/incidents/1").json()["killed"] == 6
    assert [c.after for c in store.review_log()] == [5, 6]


def test_bad_patches_are_one_line_errors(client, store):
    cases = [({"killed": -3}, 400), ({"killed": "4"}, 400), ({"nonsense": 1}, 400),
             ({"event_type": "<b>"}, 400), ({"date": "yesterday"}, 400),
             ({"status": "deleted"}, 400), ({"geonameid": 999999999999}, 400),
             ({}, 400), ([1, 2], 400)]
    for body, code in cases:
        r = client.patch("/api/incidents/1", json=body, headers=AUTH)
        assert r.status_code == code, body
        assert "\n" not in r.json()["error"]
    r = client.patch("/api/incidents/1", content=b"{not json",
                     headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400
    r = client.patch("/api/incidents/1", content=b'{"killed": 1}',
                     headers={**AUTH, "Content-Type": "text/plain"})
    assert r.status_code == 400
    for path in ("/api/incidents/99", "/api/incidents/abc", "/api/incidents/-1"):
        assert _get(client, path).status_code == 404
    assert store.review_log() == []


def test_place_edit_through_the_gazetteer(client):
    r = _get(client, "/api/places", params={"q": "Kharkiv"})
    cands = r.json()["candidates"]
    assert cands[0]["geonameid"] == 706483
    assert (cands[0]["country_code"], cands[0]["feature"]) == ("UA", "city")
    r = client.patch("/api/incidents/1", json={"geonameid": 706483}, headers=AUTH)
    body = r.json()
    assert (body["place"]["geonameid"], body["location"], body["review_status"]) == (
        706483, "Kharkiv", "edited")


def test_filters(client, store):
    client.patch("/api/incidents/2", json={"status": "rejected"}, headers=AUTH)

    def ids(**params):
        r = _get(client, "/api/incidents", params=params)
        assert r.status_code == 200, r.text
        return [row["id"] for row in r.json()["incidents"]]

    assert ids() == [1, 2, 3]
    assert ids(event_type="shelling") == [2]
    assert ids(country="ua") == [1, 2, 3]
    assert ids(country="RU") == []
    assert ids(status="rejected") == [2]
    assert ids(status="machine") == [1, 3]
    assert ids(date_from="2022-03-01") == [2, 3]
    assert ids(date_from="2022-03-01", date_to="2022-03-01") == [2]
    assert ids(q="DEPOT") == [1]
    assert ids(q="depot hit") == [1]  # the article title
    for evil in HOSTILE_SQL:
        # plain substrings, no LIKE wildcards: only the payload quote has a "_"
        assert ids(q=evil) == ([3] if evil == "_" else []), evil
    assert _get(client, "/api/incidents",
                params={"date_from": "soon"}).status_code == 400
    assert store.counts()["incidents"] == 3


def test_sql_payloads_in_values_are_data(client, store):
    for n, evil in enumerate(HOSTILE_SQL):
        assert _get(client, "/api/incidents", params={"q": evil}).status_code == 200
        r = client.post("/api/incidents", json={"article_id": evil, "start": 0,
                                                "end": 1}, headers=AUTH)
        assert r.status_code == 404
        r = client.patch("/api/incidents/1", json={"reviewer": evil, "killed": 10 + n},
                         headers=AUTH)
        assert r.status_code == 200
    assert store.counts()["incidents"] == 3
    assert [c.reviewer for c in store.review_log()] == HOSTILE_SQL


def test_add_split_and_merge(client, store):
    start = T1.index("a drone fell")
    r = client.post("/api/incidents", headers=AUTH, json={
        "article_id": "kyiv-1", "start": start, "end": start + len("a drone fell"),
        "event_type": "drone", "killed": 0, "geonameid": 703448})
    assert r.status_code == 201
    added = r.json()
    assert (added["quote"], added["review_status"], added["place"]["name"],
            added["event_type"]) == ("a drone fell", "added", "Kyiv", "drone")
    r = client.post("/api/incidents/1/split", headers=AUTH,
                    json={"killed": 1, "wounded": 0, "version": 0})
    assert r.status_code == 201
    part = r.json()
    assert (part["killed"], part["wounded"], part["event_type"], part["quote"]) == (
        1, 0, "missile", RESULTS[0].incidents[0].quote)
    r = client.post("/api/incidents/1/split", headers=AUTH, json={"version": 0})
    assert r.status_code == 409  # the first split changed #1
    r = client.post("/api/incidents/merge", headers=AUTH, json={"ids": [2, 3]})
    assert (r.status_code, r.json()["sources"]) == (
        200, ["Agency", "https://example.org/o3"])
    rows = _get(client, "/api/incidents").json()["incidents"]
    assert [(x["id"], x["review_status"]) for x in rows] == [
        (1, "edited"), (2, "edited"), (3, "merged"), (4, "added"), (5, "added")]
    for bad in ({"ids": [2, 2]}, {"ids": [2]}, {"ids": ["2", "3"]}, {"ids": [1, 3]}):
        assert client.post("/api/incidents/merge", headers=AUTH,
                           json=bad).status_code == 400
    log = [(c.item_id, c.field) for c in store.review_log()]
    assert log == [(4, "created"), (5, "created"), (1, "split_to"),
                   (3, "merged_into"), (2, "merged_from")]


def test_detail_has_the_article_and_its_highlights(client):
    d = _get(client, "/api/incidents/3").json()
    assert d["article"]["title"] == PAYLOAD  # data, escaped by the page
    text = d["article"]["text"]
    h = d["highlights"]
    assert text[h["quote"]["start"]:h["quote"]["end"]] == RESULTS[2].incidents[0].quote
    assert [(text[p["start"]:p["end"]], p["chosen"]) for p in h["places"]] == [
        ("Odesa", True)]
    assert [(text[f["start"]:f["end"]], f["kind"]) for f in h["figures"]] == [
        ("2", "killed")]
    d = _get(client, "/api/incidents/2").json()
    assert [(d["article"]["text"][f["start"]:f["end"]], f["kind"])
            for f in d["highlights"]["figures"]] == [("Three", "killed")]


def test_render_and_csv_carry_the_corrections(client, store, tmp_path):
    client.patch("/api/incidents/1", json={"killed": 5}, headers=AUTH)
    client.patch("/api/incidents/2", json={"status": "rejected"}, headers=AUTH)
    client.patch("/api/incidents/3", json={"status": "accepted"}, headers=AUTH)
    out, err = io.StringIO(), io.StringIO()
    url = str(store.engine.url.database)
    code = main(["render", "--store", url, "-o", str(tmp_path / "o"), "--format",
                 "csv", "-q"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    feats = json.loads((tmp_path / "o" / "incidents.geojson").read_text())["features"]
    got = sorted((f["properties"]["article_id"], f["properties"]["killed"],
                  f["properties"]["review_status"]) for f in feats)
    assert got == [("kyiv-1", 5, "edited"), ("odesa-3", 2, "accepted")]
    import csv

    rows = list(csv.DictReader((tmp_path / "o" / "incidents.csv").open()))
    assert sorted((r["location"], r["fatalities"], r["review_status"])
                  for r in rows) == [("Kyiv", "5", "edited"),
                                     ("Odesa", "2", "accepted")]
