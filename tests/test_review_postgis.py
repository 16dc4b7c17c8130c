"""The review loop over a real PostGIS store (the fixture of test_postgis.py).

Without PostgreSQL + PostGIS these tests skip, and fail under
``GEOMAP_REQUIRE_SERVICES=1`` (CI).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import io
import json

import httpx
import pytest
import sqlalchemy as sa
from postgis_server import postgis_server, require_postgis
from review_fixtures import RESULTS, T1
from review_server import TOKEN, review_server

from geomap.cli import main
from geomap.results import open_store

pytestmark = pytest.mark.postgis
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def pg_url():
    require_postgis()
    with postgis_server("geomap_review") as url:
        yield url


@pytest.fixture
def store(pg_url):
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        for t in ("corrections", "review_items", "mentions", "incidents", "tolls",
                  "articles", "meta"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {t} CASCADE")
    engine.dispose()
    with open_store(pg_url) as s:
        s.write(RESULTS)
        yield s


def test_review_over_http_on_postgis(store, pg_url, gazetteer_store, tmp_path):
    assert store.postgis is True
    with review_server(store, gazetteer_store) as url, httpx.Client(
            base_url=url, timeout=30) as c:
        assert c.get("/api/incidents").status_code == 401
        assert c.patch("/api/incidents/1", json={"killed": 1}, headers={
            **AUTH, "Origin": "http://evil.example"}).status_code == 403
        r = c.patch("/api/incidents/1", json={"killed": 5, "reviewer": "ana"},
                    headers={**AUTH, "If-Match": '"0"'})
        assert (r.status_code, r.headers["etag"]) == (200, '"1"')
        assert c.patch("/api/incidents/1", json={"killed": 6},
                       headers={**AUTH, "If-Match": '"0"'}).status_code == 409
        assert c.patch("/api/incidents/2", json={"status": "rejected"},
                       headers=AUTH).status_code == 200
        start = T1.index("a drone fell")
        r = c.post("/api/incidents", headers=AUTH, json={
            "article_id": "kyiv-1", "start": start, "end": start + 12,
            "event_type": "drone", "geonameid": 703448})
        assert r.status_code == 201

        def race(n):
            with httpx.Client(base_url=url, timeout=30) as cc:
                return cc.patch("/api/incidents/3", json={"killed": 20 + n},
                                headers={**AUTH, "If-Match": '"0"'}).status_code

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            assert sorted(pool.map(race, range(6))) == [200] + [409] * 5
    log = [(c.item_id, c.field, c.before, c.after) for c in store.review_log()]
    assert log[:3] == [(1, "killed", 4, 5), (2, "status", "machine", "rejected"),
                       (4, "created", None, log[2][3])]
    assert log[3][:2] == (3, "killed") and len(log) == 4
    with store.engine.connect() as conn, pytest.raises(sa.exc.DatabaseError,
                                                      match="append-only"):
        conn.exec_driver_sql("DELETE FROM corrections")
    out, err = io.StringIO(), io.StringIO()
    assert main(["render", "--store", pg_url, "-o", str(tmp_path / "o"), "-q"],
                stdout=out, stderr=err) == 0, err.getvalue()
    feats = json.loads((tmp_path / "o" / "incidents.geojson").read_text())["features"]
    got = sorted((f["properties"]["article_id"], f["properties"]["event_type"],
                  f["properties"]["review_status"]) for f in feats)
    assert got == [("kyiv-1", "drone", "added"), ("kyiv-1", "missile", "edited"),
                   ("odesa-3", "explosion", "edited")]


def test_reextraction_keeps_corrections_on_postgis(store):
    store.reviewed()
    store.review_change(1, {"killed": 6})
    k = RESULTS[0]
    store.write([dataclasses.replace(k, incidents=(dataclasses.replace(
        k.incidents[0], wounded=11),))])
    inc = next(i for r in store.results() for i in r.incidents
               if i.article_id == "kyiv-1")
    assert (inc.killed, inc.wounded, inc.review_status) == (6, 11, "edited")
    assert store.review_stale() == []
