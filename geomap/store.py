"""The processing store: every processed article with its mentions and incidents.

One schema, two backends through SQLAlchemy Core:

* an embedded SQLite file (the default; ``geomap map ... --store FILE``), with
  plain ``lat``/``lon`` columns and a (lat, lon) index;
* PostgreSQL with PostGIS (``--store postgresql://user@host:port/db``), where
  mentions and incidents also get a ``geom geometry(Point, 4326)`` column with a
  GiST index, so the layers can be queried spatially (``ST_DWithin``...).

Tables: ``articles`` (id, text hash, date, title, source, text), ``mentions``,
``incidents`` and ``tolls`` (one row per record, in the article's order, with
the full gazetteer place so records rebuild exactly), and ``meta``. Writes
happen one batch per transaction (:meth:`Store.write`): an article is either
stored with all its records or not at all, so a run killed halfway loses
nothing already committed. :meth:`Store.up_to_date` tells a resumed run which
articles it may skip (same id, same text hash and same date); an article whose
text changed is processed again and replaces its old rows.

All SQL goes through SQLAlchemy expressions with bound parameters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from geomap.errors import StoreError
from geomap.models import Article, ArticleResult, Incident, Mention, Place, Toll

__all__ = [
    "DEFAULT_STORE_NAME",
    "SCHEMA_VERSION",
    "Store",
    "open_store",
    "store_url",
    "text_hash",
]

log = logging.getLogger(__name__)

#: File name of the store inside an output directory (``--store`` without value).
DEFAULT_STORE_NAME = "geomap.sqlite"
#: Bumped when the tables change; an older store must be rebuilt.
SCHEMA_VERSION = "1"

_CHUNK = 500  # ids per IN (...) query: well under every backend's parameter limit
_URL = re.compile(r"^[a-z][a-z0-9+]*://", re.I)


def text_hash(text: str) -> str:
    """SHA-256 of the article text (UTF-8), hex: the store's change detector.

    Examples
    --------
    >>> text_hash("")[:16]
    'e3b0c44298fc1c14'
    >>> text_hash("Kyiv") == text_hash("Kyiv"), text_hash("Kyiv") == text_hash("Kiev")
    (True, False)
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_url(target: str | os.PathLike[str]) -> str:
    """The SQLAlchemy URL for a store file path or database URL.

    Plain paths become ``sqlite:///`` URLs; ``postgresql://`` and ``postgres://``
    use the psycopg (3) driver.

    Examples
    --------
    >>> store_url("postgresql://geo@db.example:5432/news")
    'postgresql+psycopg://geo@db.example:5432/news'
    >>> store_url("/data/run.sqlite")
    'sqlite:////data/run.sqlite'
    >>> store_url("sqlite:///rel.sqlite")
    'sqlite:///rel.sqlite'
    """
    text = os.fspath(target)
    if _URL.match(text):
        scheme, rest = text.split("://", 1)
        if scheme.lower() in ("postgresql", "postgres", "postgis"):
            return "postgresql+psycopg://" + rest
        return text
    return "sqlite:///" + str(Path(text).expanduser().absolute())


# -- schema --------------------------------------------------------------------

def _place_columns() -> list[sa.Column[Any]]:
    # The full gazetteer record (not the published projection), so that a
    # Place rebuilt from a row equals the one the pipeline produced.
    return [
        sa.Column("geonameid", sa.BigInteger),
        sa.Column("place_name", sa.Text),
        sa.Column("lat", sa.Float(precision=53)),
        sa.Column("lon", sa.Float(precision=53)),
        sa.Column("country_code", sa.String(8)),
        sa.Column("admin1", sa.Text),
        sa.Column("feature", sa.String(16)),
        sa.Column("population", sa.BigInteger),
    ]


def _schema(postgis: bool) -> tuple[sa.MetaData, dict[str, sa.Table]]:
    md = sa.MetaData()

    def geom() -> list[sa.Column[Any]]:
        if not postgis:
            return []
        from geoalchemy2 import Geometry

        return [sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True))]

    meta = sa.Table("meta", md, sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))
    articles = sa.Table(
        "articles", md,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Text, nullable=False, unique=True),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("date", sa.Date),
        sa.Column("title", sa.Text),
        sa.Column("source", sa.Text),
        sa.Column("origin", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    mentions = sa.Table(
        "mentions", md,
        sa.Column("article_id", sa.Text, nullable=False, index=True),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("score", sa.Float(precision=53), nullable=False),
        *_place_columns(), *geom(),
        sa.PrimaryKeyConstraint("article_id", "idx"),
        sa.Index("ix_mentions_latlon", "lat", "lon"),
    )
    incidents = sa.Table(
        "incidents", md,
        sa.Column("article_id", sa.Text, nullable=False, index=True),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("precision", sa.String(16)),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("date", sa.Date, index=True),
        sa.Column("killed", sa.Integer),
        sa.Column("wounded", sa.Integer),
        sa.Column("killed_qualifier", sa.String(16)),
        sa.Column("wounded_qualifier", sa.String(16)),
        sa.Column("quote", sa.Text, nullable=False),
        sa.Column("sources", sa.Text, nullable=False),  # JSON list
        *_place_columns(), *geom(),
        sa.PrimaryKeyConstraint("article_id", "idx"),
        sa.Index("ix_incidents_latlon", "lat", "lon"),
    )
    tolls = sa.Table(
        "tolls", md,
        sa.Column("article_id", sa.Text, nullable=False, index=True),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("killed", sa.Integer),
        sa.Column("wounded", sa.Integer),
        sa.Column("quote", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("article_id", "idx"),
    )
    return md, {"meta": meta, "articles": articles, "mentions": mentions,
                "incidents": incidents, "tolls": tolls}


# -- row <-> record ------------------------------------------------------------

def _place_row(place: Place | None) -> dict[str, Any]:
    if place is None:
        return {"geonameid": None, "place_name": None, "lat": None, "lon": None,
                "country_code": None, "admin1": None, "feature": None,
                "population": None}
    return {"geonameid": place.geonameid, "place_name": place.name,
            "lat": place.lat, "lon": place.lon, "country_code": place.country_code,
            "admin1": place.admin1, "feature": place.feature,
            "population": place.population}


def _place_from(row: Any) -> Place | None:
    if row.geonameid is None:
        return None
    return Place(geonameid=int(row.geonameid), name=row.place_name,
                 lat=float(row.lat), lon=float(row.lon),
                 country_code=row.country_code, admin1=row.admin1,
                 feature=row.feature, population=int(row.population or 0))


def _point(place: Place | None) -> Any:
    if place is None:
        return None
    from geoalchemy2 import WKTElement

    # WKT is (x y) = (lon lat); everywhere else geomap uses (lat, lon).
    return WKTElement(f"POINT({place.lon!r} {place.lat!r})", srid=4326)


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


# -- the store -----------------------------------------------------------------

class Store:
    """A processing store (use :func:`open_store` to get one).

    Usable as a context manager; closing disposes of the connection pool.
    """

    def __init__(self, engine: Engine, *, create: bool = True) -> None:
        self.engine = engine
        self.postgis = engine.dialect.name == "postgresql"
        self._md, self._t = _schema(self.postgis)
        self._prepare(create)

    # -- lifecycle
    @property
    def url(self) -> str:
        """The database URL (password hidden)."""
        return self.engine.url.render_as_string(hide_password=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None,
                 exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def _prepare(self, create: bool) -> None:
        meta = self._t["meta"]
        try:
            insp = sa.inspect(self.engine)
            exists = insp.has_table("articles")
            if not exists and not create:
                raise StoreError(f"'{self.url}' is not a geomap store (no articles "
                                 "table); create one with 'geomap map PATH --store'")
            if exists:
                with self.engine.connect() as conn:
                    version = conn.execute(sa.select(meta.c.value).where(
                        meta.c.key == "schema_version")).scalar()
                if version != SCHEMA_VERSION:
                    raise StoreError(
                        f"'{self.url}' has store schema {version!r}, this geomap "
                        f"writes {SCHEMA_VERSION!r}; use a new store file")
                return
            with self.engine.begin() as conn:
                if self.postgis:
                    conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
                self._md.create_all(conn)
                conn.execute(sa.insert(meta), [
                    {"key": "schema_version", "value": SCHEMA_VERSION},
                    {"key": "created_by", "value": "geomap"},
                ])
        except sa.exc.SQLAlchemyError as err:
            raise StoreError(f"cannot open store '{self.url}': "
                             f"{_reason(err)}") from err

    # -- writing
    def up_to_date(self, articles: Iterable[Article]) -> set[str]:
        """Ids of ``articles`` already stored with the same text, date, title
        and source.

        These can be skipped by a resumed run; the others are new or changed
        (and :meth:`write` replaces the stored version).
        """
        wanted = {a.id: (text_hash(a.text), a.date, a.title, a.source)
                  for a in articles}
        t = self._t["articles"]
        done: set[str] = set()
        ids = list(wanted)
        with self.engine.connect() as conn:
            for i in range(0, len(ids), _CHUNK):
                q = sa.select(t.c.id, t.c.text_hash, t.c.date, t.c.title,
                              t.c.source).where(t.c.id.in_(ids[i:i + _CHUNK]))
                for row in conn.execute(q):
                    if (row.text_hash, _as_date(row.date), row.title,
                            row.source) == wanted[row.id]:
                        done.add(row.id)
        return done

    def write(self, results: Sequence[ArticleResult]) -> None:
        """Store a batch of results in one transaction, replacing older rows.

        A result whose article id is already stored replaces it (and all its
        mentions, incidents and tolls).
        """
        if not results:
            return
        by_id = {r.article.id: r for r in results}  # last one wins within a batch
        results = list(by_id.values())
        ids = list(by_id)
        now = dt.datetime.now(dt.UTC)
        art_rows, men_rows, inc_rows, toll_rows = [], [], [], []
        for r in results:
            a = r.article
            art_rows.append({"id": a.id, "text_hash": text_hash(a.text),
                             "date": a.date, "title": a.title, "source": a.source,
                             "origin": a.origin, "text": a.text,
                             "processed_at": now})
            for i, m in enumerate(r.mentions):
                row = {"article_id": a.id, "idx": i, "start": m.start, "end": m.end,
                       "text": m.text, "role": m.role, "score": float(m.score),
                       **_place_row(m.place)}
                if self.postgis:
                    row["geom"] = _point(m.place)
                men_rows.append(row)
            for i, inc in enumerate(r.incidents):
                row = {"article_id": a.id, "idx": i, "location": inc.location,
                       "precision": inc.precision, "event_type": inc.event_type,
                       "date": inc.date, "killed": inc.killed,
                       "wounded": inc.wounded,
                       "killed_qualifier": inc.killed_qualifier,
                       "wounded_qualifier": inc.wounded_qualifier,
                       "quote": inc.quote, "sources": json.dumps(list(inc.sources)),
                       **_place_row(inc.place)}
                if self.postgis:
                    row["geom"] = _point(inc.place)
                inc_rows.append(row)
            for i, toll in enumerate(r.tolls):
                toll_rows.append({"article_id": a.id, "idx": i, "killed": toll.killed,
                                  "wounded": toll.wounded, "quote": toll.quote})
        try:
            with self.engine.begin() as conn:
                for name in ("mentions", "incidents", "tolls"):
                    t = self._t[name]
                    for i in range(0, len(ids), _CHUNK):
                        conn.execute(sa.delete(t).where(
                            t.c.article_id.in_(ids[i:i + _CHUNK])))
                t = self._t["articles"]
                for i in range(0, len(ids), _CHUNK):
                    conn.execute(sa.delete(t).where(t.c.id.in_(ids[i:i + _CHUNK])))
                conn.execute(sa.insert(t), art_rows)
                for name, rows in (("mentions", men_rows), ("incidents", inc_rows),
                                   ("tolls", toll_rows)):
                    if rows:
                        conn.execute(sa.insert(self._t[name]), rows)
        except sa.exc.SQLAlchemyError as err:
            raise StoreError(f"cannot write to store '{self.url}': "
                             f"{_reason(err)}") from err
        log.debug("stored %d articles, %d mentions, %d incidents", len(art_rows),
                  len(men_rows), len(inc_rows))

    # -- reading
    def counts(self) -> dict[str, int]:
        """Number of rows per table: articles, mentions, incidents, tolls."""
        with self.engine.connect() as conn:
            return {name: int(conn.execute(
                        sa.select(sa.func.count()).select_from(self._t[name])).scalar())
                    for name in ("articles", "mentions", "incidents", "tolls")}

    def article_ids(self) -> list[str]:
        """Stored article ids in processing order."""
        t = self._t["articles"]
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(t.c.id).order_by(t.c.seq)).scalars())

    def results(self, *, text: bool = True,
                chunk_size: int = _CHUNK) -> Iterator[ArticleResult]:
        """Rebuild every stored ``ArticleResult``, in processing order (streamed).

        Parameters
        ----------
        text
            Load article texts; ``False`` leaves ``Article.text`` empty, which
            is all a redraw needs and keeps memory small.
        chunk_size
            Articles fetched per round trip.
        """
        ta, tm, ti, tt = (self._t[n] for n in ("articles", "mentions", "incidents",
                                                "tolls"))
        cols = [ta.c.seq, ta.c.id, ta.c.date, ta.c.title, ta.c.source, ta.c.origin]
        if text:
            cols.append(ta.c.text)
        last = -1
        with self.engine.connect() as conn:
            while True:
                arts = conn.execute(sa.select(*cols).where(ta.c.seq > last)
                                    .order_by(ta.c.seq).limit(chunk_size)).all()
                if not arts:
                    return
                last = arts[-1].seq
                ids = [a.id for a in arts]
                men: dict[str, list[Mention]] = defaultdict(list)
                for row in conn.execute(sa.select(tm).where(tm.c.article_id.in_(ids))
                                        .order_by(tm.c.article_id, tm.c.idx)):
                    men[row.article_id].append(Mention(
                        article_id=row.article_id, start=row.start, end=row.end,
                        text=row.text, place=_place_from(row), score=float(row.score),
                        role=row.role))
                inc: dict[str, list[Incident]] = defaultdict(list)
                for row in conn.execute(sa.select(ti).where(ti.c.article_id.in_(ids))
                                        .order_by(ti.c.article_id, ti.c.idx)):
                    inc[row.article_id].append(_incident_from(row))
                tolls: dict[str, list[Toll]] = defaultdict(list)
                for row in conn.execute(sa.select(tt).where(tt.c.article_id.in_(ids))
                                        .order_by(tt.c.article_id, tt.c.idx)):
                    tolls[row.article_id].append(Toll(
                        article_id=row.article_id, killed=row.killed,
                        wounded=row.wounded, quote=row.quote))
                for a in arts:
                    article = Article(id=a.id, text=a.text if text else "",
                                      date=_as_date(a.date), title=a.title,
                                      source=a.source, origin=a.origin)
                    yield ArticleResult(article=article, mentions=tuple(men[a.id]),
                                        incidents=tuple(inc[a.id]),
                                        tolls=tuple(tolls[a.id]))

    def incidents(self, *, merged: bool = True, max_km: float = 25.0) -> list[Incident]:
        """Every stored incident; merged across articles unless ``merged=False``.

        Cross-article merging uses :func:`geomap.merge.merge_incidents`, the
        same function as a single run, so the store gives the same events.
        """
        found = [i for r in self.results(text=False) for i in r.incidents]
        if not merged:
            return found
        from geomap.merge import merge_incidents

        return merge_incidents(found, max_km=max_km)

    def incidents_near(self, lat: float, lon: float, km: float) -> list[Incident]:
        """Stored (unmerged) incidents within ``km`` kilometres of (lat, lon).

        PostGIS answers with ``ST_DWithin`` on geography (GiST index); SQLite
        narrows with a bounding box on the (lat, lon) index, then measures
        great-circle distance.
        """
        from geomap.geo import haversine_km

        ti = self._t["incidents"]
        if self.postgis:
            pt = sa.func.ST_SetSRID(sa.func.ST_MakePoint(float(lon), float(lat)),
                                    4326)
            cond = sa.func.ST_DWithin(sa.cast(ti.c.geom, _geography()),
                                      sa.cast(pt, _geography()), km * 1000.0)
            q = sa.select(ti).where(cond)
        else:
            dlat = km / 111.0
            dlon = km / max(1e-6, 111.320 * math.cos(math.radians(lat)))
            q = sa.select(ti).where(ti.c.lat.between(lat - dlat, lat + dlat))
            if abs(lat) + dlat < 89 and dlon < 180:
                q = q.where(ti.c.lon.between(lon - dlon, lon + dlon))
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(ti.c.article_id, ti.c.idx)).all()
        out = [_incident_from(r) for r in rows]
        return [i for i in out if i.place is not None and
                haversine_km(lat, lon, i.place.lat, i.place.lon) <= km + 1e-6]


def _geography() -> Any:
    from geoalchemy2 import Geography

    return Geography(srid=4326)


def _incident_from(row: Any) -> Incident:
    return Incident(
        article_id=row.article_id, place=_place_from(row), location=row.location,
        precision=row.precision, event_type=row.event_type, date=_as_date(row.date),
        killed=row.killed, wounded=row.wounded,
        killed_qualifier=row.killed_qualifier,
        wounded_qualifier=row.wounded_qualifier, quote=row.quote,
        sources=tuple(json.loads(row.sources)))


def _reason(err: BaseException) -> str:
    orig = getattr(err, "orig", None) or err
    return " ".join(str(orig).split())[:300]


def open_store(target: str | os.PathLike[str], *, create: bool = True) -> Store:
    """Open (or create) a processing store from a file path or database URL.

    Parameters
    ----------
    target
        A file path (an SQLite store; parent directories are created) or a
        database URL: ``sqlite:///FILE`` or ``postgresql://user@host:port/db``
        (PostGIS; needs the ``postgis`` extension available on the server).
    create
        Create the tables when missing; ``False`` raises ``StoreError`` instead
        (``geomap render`` must not invent an empty store).

    Returns
    -------
    Store
        Also a context manager.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.sqlite"
    >>> with open_store(path) as store:
    ...     store.counts()
    {'articles': 0, 'mentions': 0, 'incidents': 0, 'tolls': 0}
    >>> open_store(path.with_name("none.sqlite"), create=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geomap.errors.StoreError: no store at '...none.sqlite'
    """
    if "\x00" in os.fspath(target):
        raise StoreError("store path or URL contains a NUL byte")
    url = store_url(target)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as err:
        raise StoreError(f"not a store path or database URL: {target!s}") from err
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            path = Path(db)
            if not path.exists():
                if not create:
                    raise StoreError(f"no store at '{path}'")
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as err:
                    raise StoreError(f"cannot create store '{path}': "
                                     f"{err.strerror}") from err
            elif path.is_dir():
                raise StoreError(f"'{path}' is a directory, not a store file")
        kwargs["connect_args"] = {"timeout": 60}
    elif parsed.get_backend_name() == "postgresql":
        try:
            import geoalchemy2  # noqa: F401
            import psycopg  # noqa: F401
        except ImportError as err:
            from geomap.errors import install_hint

            raise StoreError("a PostGIS store needs psycopg and geoalchemy2: "
                             f"{install_hint('postgis')}") from err
    else:
        raise StoreError(f"unsupported store backend '{parsed.get_backend_name()}' "
                         "(use a file path, sqlite:/// or postgresql://)")
    try:
        engine = sa.create_engine(url, **kwargs)
    except (sa.exc.ArgumentError, ImportError) as err:
        raise StoreError(f"cannot open store '{target!s}': {err}") from err
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return Store(engine, create=create)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL + synchronous=NORMAL: a committed batch survives the process being
    # killed (only an OS crash can lose the last transactions); readers do not
    # block the writer.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
