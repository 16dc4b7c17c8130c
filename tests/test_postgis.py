"""The PostGIS store against a real PostgreSQL server started for the session.

Without PostgreSQL + PostGIS installed these tests skip; under
``GEOMAP_REQUIRE_SERVICES=1`` (CI, which installs them) they fail instead.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from common import FnExecutor
from postgis_server import postgis_server, require_postgis

from geomap.cli import main
from geomap.ingest import read_articles
from geomap.merge import merge_incidents
from geomap.results import open_store
from geomap.runner import StoreSink, run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.postgis


@pytest.fixture(scope="module")
def pg_url():
    require_postgis()
    with postgis_server() as url:
        yield url


@pytest.fixture(scope="module")
def direct():
    from geomap.pipeline import Pipeline

    return list(Pipeline().process_many(read_articles([EXAMPLES])))


def _reset(url):
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        for t in ("mentions", "incidents", "tolls", "articles", "meta"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {t}")
    engine.dispose()


def test_round_trip_with_geometry_and_spatial_query(pg_url, direct):
    _reset(pg_url)
    with open_store(pg_url) as store:
        assert store.postgis is True
        run(iter(r.article for r in direct),
            FnExecutor(lambda arts: (next(r for r in direct if r.article.id == a.id)
                                     for a in arts)),
            StoreSink(store), batch_size=4)
        assert list(store.results()) == direct
        assert store.incidents() == merge_incidents(
            i for r in direct for i in r.incidents)

        with store.engine.connect() as conn:
            # real geometry columns, SRID 4326, with GiST indexes
            cols = dict(conn.execute(sa.text(
                "SELECT f_table_name, type || ':' || srid FROM geometry_columns "
                "WHERE f_geometry_column = 'geom' ORDER BY 1")).all())
            assert cols == {"incidents": "POINT:4326", "mentions": "POINT:4326"}
            gist = conn.execute(sa.text(
                "SELECT count(*) FROM pg_indexes WHERE tablename IN "
                "('incidents','mentions') AND indexdef ILIKE '%USING gist%'")).scalar()
            assert gist == 2
            # the geometry is (lon, lat) of the stored place
            row = conn.execute(sa.text(
                "SELECT lat, lon, ST_Y(geom) AS y, ST_X(geom) AS x FROM incidents "
                "WHERE location = :loc"), {"loc": "Mykolaiv"}).one()
            assert (row.y, row.x) == (row.lat, row.lon)
            assert abs(row.lat - 46.97) < 0.05 and abs(row.lon - 31.99) < 0.05
            # ST_DWithin on geography: incidents within 100 km of Kharkiv city
            near = conn.execute(sa.text(
                "SELECT article_id FROM incidents WHERE ST_DWithin(geom::geography, "
                "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :m) "
                "ORDER BY article_id"), {"lon": 36.2527, "lat": 49.9808,
                                        "m": 100_000}).scalars().all()
            assert near == ["ex-kharkiv-0412"]
        kramatorsk = store.incidents_near(48.7232, 37.5563, 30.0)
        assert [i.article_id for i in kramatorsk] == [
            r.article.id for r in direct
            if any(i.location == "Kramatorsk" for i in r.incidents)]
        assert store.incidents_near(0.0, 0.0, 500.0) == []


def test_resume_against_postgis(pg_url, direct):
    _reset(pg_url)
    articles = [r.article for r in direct]
    by_id = {r.article.id: r for r in direct}
    calls = []

    def process(arts):
        for a in arts:
            calls.append(a.id)
            yield by_id[a.id]

    with open_store(pg_url) as store:
        run(articles[:3], FnExecutor(process), StoreSink(store), batch_size=2)
        stats = run(articles, FnExecutor(process), StoreSink(store),
                    batch_size=2).stats
        assert (stats.skipped, stats.processed) == (3, 3)
        assert calls == [a.id for a in articles[:3]] + [a.id for a in articles[3:]]
        assert list(store.results()) == direct


def test_cli_map_into_postgis_then_render(pg_url, tmp_path):
    _reset(pg_url)
    out, err = io.StringIO(), io.StringIO()
    code = main(["map", str(EXAMPLES), "-o", str(tmp_path / "a"), "--store", pg_url],
                stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert "6 articles processed, 0 already stored" in err.getvalue()
    code = main(["render", "--store", pg_url, "-o", str(tmp_path / "b"), "-q"],
                stdout=out, stderr=err)
    assert code == 0
    for name in ("incidents.geojson", "places.geojson"):
        a = json.loads((tmp_path / "a" / name).read_text())
        b = json.loads((tmp_path / "b" / name).read_text())
        assert a == b and len(a["features"]) >= 5
