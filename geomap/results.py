"""The processing store: every processed article with its mentions and incidents.

One schema, two backends through SQLAlchemy Core:

* an embedded SQLite file (the default; ``geomap map ... --store FILE``), with
  plain ``lat``/``lon`` columns and a (lat, lon) index;
* PostgreSQL with PostGIS (``--store postgresql://user@host:port/db``), where
  mentions and incidents also get a ``geom geometry(Point, 4326)`` column with a
  GiST index, so the layers can be queried spatially (``ST_DWithin``...).

Tables: ``articles`` (id, text hash, date, title, source, text), ``mentions``,
``incidents`` and ``tolls`` (one row per record, in the article's order, with
the full gazetteer place so records rebuild exactly), and ``meta``; the
review adds ``review_items`` (one per reviewable incident, keyed by article id
and quote span) and ``corrections``, the append-only audit table that
:meth:`Store.results` folds over the machine rows (see :class:`ReviewLedger`
and :mod:`geomap.review`). Writes
happen one batch per transaction (:meth:`Store.write`): an article is either
stored with all its records or not at all, so a run killed halfway loses
nothing already committed. :meth:`Store.up_to_date` tells a resumed run which
articles it may skip (same id, same text hash and same date); an article whose
text changed is processed again and replaces its old rows.

All SQL goes through SQLAlchemy expressions with bound parameters.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import math
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from geomap.errors import StoreError
from geomap.models import Article, ArticleResult, Incident, Mention, Place, Toll
from geomap.outputs.records import place_from_row, place_row

__all__ = [
    "DEFAULT_STORE_NAME",
    "SCHEMA_VERSION",
    "Store",
    "open_store",
    "store_url",
    "temporary_store",
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



# -- review corrections ----------------------------------------------------------
# An append-only audit table over the machine output: see geomap.review.core for
# how corrections fold. The machine rows above are never changed by a review.

_APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS corrections_no_update BEFORE UPDATE ON "
    "corrections BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS corrections_no_delete BEFORE DELETE ON "
    "corrections BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END",
)
_APPEND_ONLY_PG = (
    "CREATE OR REPLACE FUNCTION geomap_corrections_append_only() RETURNS trigger "
    "AS $$ BEGIN RAISE EXCEPTION 'corrections are append-only'; END $$ "
    "LANGUAGE plpgsql",
    "CREATE TRIGGER corrections_append_only BEFORE UPDATE OR DELETE ON corrections "
    "FOR EACH ROW EXECUTE FUNCTION geomap_corrections_append_only()",
)


def _review_schema() -> tuple[sa.MetaData, dict[str, sa.Table]]:
    md = sa.MetaData()
    items = sa.Table(
        "review_items", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.Text, nullable=False, unique=True),
        sa.Column("article_id", sa.Text, nullable=False, index=True),
        sa.Column("qstart", sa.Integer, nullable=False),
        sa.Column("qend", sa.Integer, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("quote", sa.Text, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    corrections = sa.Table(
        "corrections", md,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("review_items.id"),
                  nullable=False, index=True),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("before", sa.Text),  # JSON
        sa.Column("after", sa.Text),  # JSON
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewer", sa.Text),
    )
    return md, {"items": items, "corrections": corrections}


def _machine_key(article_id: str, span: tuple[int, int, int], quote: str) -> str:
    # the quote's hash keeps apart incidents whose quote is not found in the text
    return json.dumps(["m", article_id, *span, text_hash(quote)[:16]])


class ReviewLedger:
    """The review half of :class:`Store`: items, corrections, reviewed incidents.

    Every change is an INSERT into ``corrections`` (triggers refuse UPDATE and
    DELETE); ``review_items`` names each reviewable incident once. Writes are
    serialised by a lock in this process and, on PostgreSQL, by a row lock on
    the item, so a stale ``version`` always gives :class:`ReviewConflict`.
    """

    engine: Engine
    postgis: bool
    _t: dict[str, sa.Table]

    def _prepare_review(self, create: bool = True) -> None:
        """Create the review tables when missing.

        A store opened only for reading (``create=False``) that cannot get
        them (a read-only file or role) has no corrections: it reads as
        machine output and refuses review writes.
        """
        import threading

        self._review_lock = threading.RLock()
        self._rmd, self._rt = _review_schema()
        self._review_ready = True
        try:
            insp = sa.inspect(self.engine)
            if insp.has_table("corrections"):
                return
            with self.engine.begin() as conn:
                self._rmd.create_all(conn)
                for ddl in (_APPEND_ONLY_PG if self.postgis else _APPEND_ONLY_SQLITE):
                    conn.exec_driver_sql(ddl)
        except sa.exc.SQLAlchemyError as err:
            if not create:
                log.debug("no review tables in %s: %s", self.url, _reason(err))
                self._review_ready = False
                return
            raise StoreError(f"cannot prepare the review tables of "
                             f"'{self.engine.url.render_as_string()}': "
                             f"{_reason(err)}") from err

    # -- reading
    def _machine(self, conn: Any, ids: Sequence[str]) -> dict[str, list[Incident]]:
        ti = self._t["incidents"]
        out: dict[str, list[Incident]] = defaultdict(list)
        for i in range(0, len(ids), _CHUNK):
            for row in conn.execute(sa.select(ti).where(
                    ti.c.article_id.in_(ids[i:i + _CHUNK]))
                    .order_by(ti.c.article_id, ti.c.idx)):
                out[row.article_id].append(_incident_from(row))
        return out

    def _items(self, conn: Any, ids: Sequence[str] | None = None,
               item_ids: Sequence[int] | None = None) -> list[Any]:
        it = self._rt["items"]
        q = sa.select(it).order_by(it.c.id)
        if ids is not None:
            rows = []
            for i in range(0, len(ids), _CHUNK):
                rows += conn.execute(q.where(it.c.article_id.in_(
                    list(ids[i:i + _CHUNK])))).all()
            return sorted(rows, key=lambda r: r.id)
        if item_ids is not None:
            q = q.where(it.c.id.in_(list(item_ids)))
        return list(conn.execute(q).all())

    def _corrections(self, conn: Any, item_ids: Sequence[int] | None
                     ) -> dict[int, list[Any]]:
        from geomap.review.core import Correction

        tc = self._rt["corrections"]
        q = sa.select(tc).order_by(tc.c.seq)
        rows: list[Any] = []
        if item_ids is None:
            rows = list(conn.execute(q))
        else:
            ids = list(item_ids)
            for i in range(0, len(ids), _CHUNK):
                rows += conn.execute(q.where(tc.c.item_id.in_(ids[i:i + _CHUNK]))).all()
            rows.sort(key=lambda r: r.seq)
        out: dict[int, list[Any]] = defaultdict(list)
        for r in rows:
            out[r.item_id].append(Correction(
                seq=r.seq, item_id=r.item_id, field=r.field,
                before=json.loads(r.before) if r.before is not None else None,
                after=json.loads(r.after) if r.after is not None else None,
                at=r.at, reviewer=r.reviewer))
        return out

    def _texts(self, conn: Any, ids: Sequence[str]) -> dict[str, str]:
        ta = self._t["articles"]
        out: dict[str, str] = {}
        for i in range(0, len(ids), _CHUNK):
            for row in conn.execute(sa.select(ta.c.id, ta.c.text).where(
                    ta.c.id.in_(list(ids[i:i + _CHUNK])))):
                out[row.id] = row.text
        return out

    def _fold_articles(self, conn: Any, ids: Sequence[str], *,
                       register: bool = False,
                       texts: dict[str, str] | None = None,
                       machine: dict[str, list[Incident]] | None = None,
                       ) -> dict[str, list[Any]]:
        """Reviewed states per article: machine incidents in order, then added.

        With ``register``, machine incidents without an item get one (in one
        transaction of their own, before folding).
        """
        from geomap.review.core import Reviewed, ReviewItem, fold, machine_keys

        ids = list(ids)
        texts = texts if texts is not None else self._texts(conn, ids)
        machine = machine if machine is not None else self._machine(conn, ids)
        rows = self._items(conn, ids=ids)
        if register:
            known = {r.key for r in rows}
            now = dt.datetime.now(dt.UTC)
            new = []
            for aid in ids:
                incs = machine.get(aid, [])
                for inc, span in zip(incs, machine_keys(texts.get(aid, ""), incs),
                                     strict=True):
                    key = _machine_key(aid, span, inc.quote)
                    if key not in known:
                        known.add(key)
                        new.append({"key": key, "article_id": aid, "qstart": span[0],
                                    "qend": span[1], "n": span[2], "quote": inc.quote,
                                    "origin": "machine", "created_at": now})
            if new:
                with self.engine.begin() as wconn:
                    wconn.execute(sa.insert(self._rt["items"]), new)
                rows = self._items(conn, ids=ids)
        corr = self._corrections(conn, [r.id for r in rows])
        by_article: dict[str, list[Any]] = defaultdict(list)
        for r in rows:
            by_article[r.article_id].append(r)
        out: dict[str, list[Any]] = {}
        for aid in ids:
            text = texts.get(aid)
            if text is None:
                continue
            mine = by_article.get(aid, [])
            by_key = {r.key: r for r in mine if r.origin == "machine"}
            states = []
            incs = machine.get(aid, [])
            for inc, span in zip(incs, machine_keys(text, incs), strict=True):
                row = by_key.pop(_machine_key(aid, span, inc.quote), None)
                item = _item(ReviewItem, row) if row is not None else None
                cs = tuple(corr.get(row.id, ())) if row is not None else ()
                folded, status = fold(inc, cs)
                states.append(Reviewed(item, folded, status, len(cs), inc, cs))
            for row in mine:
                if row.origin == "machine":
                    continue
                cs = tuple(corr.get(row.id, ()))
                alive = text[row.qstart:row.qend] == row.quote
                folded, status = fold(None, cs) if alive else (None, "machine")
                states.append(Reviewed(_item(ReviewItem, row), folded, status,
                                       len(cs), None, cs))
            for row in by_key.values():  # machine keys that match nothing now
                cs = tuple(corr.get(row.id, ()))
                states.append(Reviewed(_item(ReviewItem, row), None, "machine",
                                       len(cs), None, cs))
            out[aid] = states
        return out

    def _reviewed_incidents(self, conn: Any, arts: Sequence[Any],
                            machine: dict[str, list[Incident]]
                            ) -> dict[str, list[Incident]]:
        """The incidents of a chunk of articles with their corrections applied."""
        if not self._review_ready:
            return machine
        it, tc = self._rt["items"], self._rt["corrections"]
        ids = [a.id for a in arts]
        touched: set[str] = set()
        for i in range(0, len(ids), _CHUNK):
            q = (sa.select(it.c.article_id).distinct()
                 .where(it.c.article_id.in_(ids[i:i + _CHUNK]))
                 .where(sa.exists().where(tc.c.item_id == it.c.id)))
            touched.update(conn.execute(q).scalars())
        if not touched:
            return machine
        have = {a.id: a.text for a in arts if getattr(a, "text", None) is not None}
        need = [aid for aid in touched if aid not in have]
        texts = {**{k: v for k, v in have.items() if k in touched},
                 **self._texts(conn, need)}
        states = self._fold_articles(conn, sorted(touched), texts=texts,
                                     machine=machine)
        out = dict(machine)
        for aid, sts in states.items():
            out[aid] = [s.incident for s in sts if s.incident is not None
                        and s.status not in ("rejected", "merged")]
        return out

    def reviewed(self, *, register: bool = True) -> list[Any]:
        """Every reviewable incident's current state (``Reviewed``), by item id.

        Machine incidents get their item on first sight (``register``); stale
        items (corrected, but their incident is gone) come with
        ``incident=None``.
        """
        if not self._review_ready:
            raise StoreError(f"'{self.url}' has no review tables and cannot get "
                             "them (read-only?); open it with write access")
        ta = self._t["articles"]
        out = []
        with self.engine.connect() as conn:
            ids = list(conn.execute(sa.select(ta.c.id).order_by(ta.c.seq)).scalars())
            for i in range(0, len(ids), _CHUNK):
                states = self._fold_articles(conn, ids[i:i + _CHUNK],
                                             register=register)
                out.extend(s for sts in states.values() for s in sts)
            orphans = self._items(conn)  # items whose article is gone
            seen = {s.item.id for s in out if s.item is not None}
            lost = [r for r in orphans if r.id not in seen]
            if lost:
                from geomap.review.core import Reviewed, ReviewItem

                corr = self._corrections(conn, [r.id for r in lost])
                out.extend(Reviewed(_item(ReviewItem, r), None, "machine",
                                    len(corr.get(r.id, ())), None,
                                    tuple(corr.get(r.id, ()))) for r in lost)
        return sorted(out, key=lambda s: s.item.id if s.item else 0)

    def review_item(self, item_id: int) -> Any:
        """The current state of one item; ``NotFoundError`` if there is none."""
        from geomap.review.core import NotFoundError

        with self.engine.connect() as conn:
            rows = self._items(conn, item_ids=[int(item_id)])
            if not rows:
                raise NotFoundError(f"no incident {item_id} in the review")
            states = self._fold_articles(conn, [rows[0].article_id])
        for s in states.get(rows[0].article_id, []):
            if s.item is not None and s.item.id == int(item_id):
                return s
        from geomap.review.core import Reviewed, ReviewItem

        with self.engine.connect() as conn:
            cs = tuple(self._corrections(conn, [int(item_id)]).get(int(item_id), ()))
        return Reviewed(_item(ReviewItem, rows[0]), None, "machine", len(cs), None, cs)

    def article_titles(self) -> dict[str, str | None]:
        """Article id -> title, for every stored article."""
        ta = self._t["articles"]
        with self.engine.connect() as conn:
            return dict(conn.execute(sa.select(ta.c.id, ta.c.title)).all())

    def article_view(self, article_id: str) -> tuple[Article | None, list[Mention]]:
        """One stored article (with its text) and its place mentions, in order."""
        ta, tm = self._t["articles"], self._t["mentions"]
        with self.engine.connect() as conn:
            a = conn.execute(sa.select(ta).where(ta.c.id == article_id)).first()
            rows = conn.execute(sa.select(tm).where(tm.c.article_id == article_id)
                                .order_by(tm.c.idx)).all()
        if a is None:
            return None, []
        article = Article(id=a.id, text=a.text, date=_as_date(a.date), title=a.title,
                          source=a.source, origin=a.origin)
        return article, [Mention(article_id=r.article_id, start=r.start, end=r.end,
                                 text=r.text, place=place_from_row(r),
                                 score=float(r.score), role=r.role) for r in rows]

    def review_log(self, item_id: int | None = None) -> list[Any]:
        """The audit table (``Correction`` rows) in order, for one item or all."""
        with self.engine.connect() as conn:
            corr = self._corrections(conn, None if item_id is None else [item_id])
        return sorted((c for cs in corr.values() for c in cs), key=lambda c: c.seq)

    def review_stale(self, article_ids: Sequence[str] | None = None) -> list[Any]:
        """Corrected items whose incident is no longer in the store."""
        if article_ids is None:
            return [s for s in self.reviewed(register=False) if s.stale]
        with self.engine.connect() as conn:
            states = self._fold_articles(conn, list(article_ids))
        return [s for sts in states.values() for s in sts if s.stale]

    def _log_stale(self, article_ids: Sequence[str]) -> None:
        """Warn about corrections that a re-extraction left without an incident."""
        if not self._review_ready:
            return
        it, tc = self._rt["items"], self._rt["corrections"]
        ids = list(article_ids)
        with self.engine.connect() as conn:
            touched = []
            for i in range(0, len(ids), _CHUNK):
                touched += conn.execute(
                    sa.select(it.c.article_id).distinct()
                    .where(it.c.article_id.in_(ids[i:i + _CHUNK]))
                    .where(sa.exists().where(tc.c.item_id == it.c.id))).scalars().all()
        if not touched:
            return
        for s in self.review_stale(touched):
            log.warning("review correction no longer applies: incident %d of "
                        "article %r (quote %r at %d-%d) is gone after re-extraction; "
                        "its %d correction(s) are kept in the store",
                        s.item.id, s.item.article_id, s.item.quote[:80],
                        s.item.start, s.item.end, s.version)

    # -- writing
    def _locked_state(self, conn: Any, item_id: int) -> Any:
        from geomap.review.core import NotFoundError

        it = self._rt["items"]
        q = sa.select(it.c.id).where(it.c.id == int(item_id))
        if self.postgis:
            q = q.with_for_update()
        if conn.execute(q).first() is None:
            raise NotFoundError(f"no incident {item_id} in the review")
        return self.review_item(int(item_id))

    def _check(self, state: Any, version: int | None) -> None:
        from geomap.review.core import NotFoundError, ReviewConflict

        if version is not None and int(version) != state.version:
            raise ReviewConflict(
                f"incident {state.item.id} changed (version {state.version}, "
                f"you sent {version}); reload it and apply your change again",
                state.version)
        if state.incident is None:
            raise NotFoundError(f"incident {state.item.id} is no longer in the store")

    def _insert(self, conn: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            conn.execute(sa.insert(self._rt["corrections"]), rows)

    @staticmethod
    def _row(item_id: int, field: str, before: Any, after: Any,
             reviewer: str | None, at: dt.datetime) -> dict[str, Any]:
        return {"item_id": int(item_id), "field": field,
                "before": json.dumps(before, ensure_ascii=False),
                "after": json.dumps(after, ensure_ascii=False), "at": at,
                "reviewer": reviewer}

    def review_change(self, item_id: int, changes: dict[str, Any], *,
                      version: int | None = None,
                      reviewer: str | None = None) -> Any:
        """Append corrections to one item; return its new state.

        ``changes`` maps fields of :data:`geomap.review.core.EDIT_FIELDS` (with
        ``place`` as a JSON place) or ``status`` to their new JSON values.
        A ``version`` other than the item's current one raises
        ``ReviewConflict`` and writes nothing; ``None`` means last write wins.
        """
        from geomap.review.core import field_value

        now = dt.datetime.now(dt.UTC)
        with self._review_lock, self.engine.begin() as conn:
            state = self._locked_state(conn, item_id)
            self._check(state, version)
            last_status = next((c.after for c in reversed(state.corrections)
                                if c.field == "status"), "machine")
            rows = []
            for field, after in changes.items():
                before = (last_status if field == "status"
                          else field_value(state.incident, field))
                if field != "status" and before == after:
                    continue  # no-op edits leave no row
                rows.append(self._row(item_id, field, before, after, reviewer, now))
            self._insert(conn, rows)
        return self.review_item(item_id)

    def review_add(self, article_id: str, start: int, end: int, fields: dict[str, Any],
                   *, reviewer: str | None = None, split_from: int | None = None,
                   version: int | None = None) -> Any:
        """Add a missed incident quoting ``text[start:end]`` of an article.

        ``fields`` holds the JSON values of :data:`EDIT_FIELDS`; the article's
        date and source are the defaults. With ``split_from``, the new incident
        is a part split off that item (recorded on both, under ``version``).
        """
        import uuid

        from geomap.errors import InputError
        from geomap.review.core import (
            NotFoundError,
            incident_from_json,
            incident_to_json,
        )

        ta = self._t["articles"]
        now = dt.datetime.now(dt.UTC)
        with self._review_lock, self.engine.begin() as conn:
            art = conn.execute(sa.select(ta.c.text, ta.c.date, ta.c.source)
                               .where(ta.c.id == article_id)).first()
            if art is None:
                raise NotFoundError(f"no article {article_id!r} in the store")
            if not (isinstance(start, int) and isinstance(end, int)
                    and 0 <= start < end <= len(art.text)):
                raise InputError(f"start/end must be offsets in the article text "
                                 f"(0..{len(art.text)}) with start < end")
            quote = art.text[start:end]
            if not quote.strip():
                raise InputError("the selected text is empty")
            if split_from is not None:
                self._check(self._locked_state(conn, split_from), version)
            date = _as_date(art.date)
            base = {"article_id": article_id, "place": None, "location": "",
                    "event_type": "other", "date": date.isoformat() if date else None,
                    "killed": None, "wounded": None, "killed_qualifier": None,
                    "wounded_qualifier": None, "quote": quote,
                    "sources": [art.source] if art.source else []}
            base.update(fields)
            if base.get("place") and not base.get("location"):
                base["location"] = base["place"]["name"]
            created = incident_to_json(incident_from_json(base))
            res = conn.execute(sa.insert(self._rt["items"]).values(
                key=json.dumps(["a", uuid.uuid4().hex]), article_id=article_id,
                qstart=start, qend=end, n=0, quote=quote, origin="added",
                created_at=now))
            new_id = int(res.inserted_primary_key[0])
            extra = {"split_from": split_from} if split_from is not None else {}
            rows = [self._row(new_id, "created", None, {**created, **extra},
                              reviewer, now)]
            if split_from is not None:
                rows.append(self._row(split_from, "split_to", None, new_id,
                                      reviewer, now))
            self._insert(conn, rows)
        return self.review_item(new_id)

    def review_merge(self, keep: int, other: int, *,
                     versions: dict[int, int] | None = None,
                     reviewer: str | None = None) -> Any:
        """Merge item ``other`` into ``keep``: ``other`` leaves the outputs and
        ``keep`` gains its sources. Returns the state of ``keep``."""
        from geomap.errors import InputError

        if int(keep) == int(other):
            raise InputError("merge needs two different incidents")
        versions = versions or {}
        now = dt.datetime.now(dt.UTC)
        with self._review_lock, self.engine.begin() as conn:
            a = self._locked_state(conn, keep)
            b = self._locked_state(conn, other)
            self._check(a, versions.get(int(keep)))
            self._check(b, versions.get(int(other)))
            if "merged" in (a.status, b.status):
                raise InputError("an incident already merged into another cannot "
                                 "be merged again")
            sources = list(b.incident.sources or (b.incident.article_id,))
            self._insert(conn, [
                self._row(other, "merged_into", None, int(keep), reviewer, now),
                self._row(keep, "merged_from", None,
                          {"id": int(other), "sources": sources}, reviewer, now),
            ])
        return self.review_item(keep)


def _item(cls: Any, row: Any) -> Any:
    return cls(id=int(row.id), article_id=row.article_id, start=int(row.qstart),
               end=int(row.qend), n=int(row.n), quote=row.quote, origin=row.origin)


# -- the store -----------------------------------------------------------------

class Store(ReviewLedger):
    """A processing store (use :func:`open_store` to get one).

    Usable as a context manager; closing disposes of the connection pool.
    """

    def __init__(self, engine: Engine, *, create: bool = True) -> None:
        self.engine = engine
        self.postgis = engine.dialect.name == "postgresql"
        self._md, self._t = _schema(self.postgis)
        self._prepare(create)
        self._prepare_review(create)

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
                       **place_row(m.place)}
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
                       **place_row(inc.place)}
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
        self._log_stale(ids)

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

    def results(self, *, text: bool = True, chunk_size: int = _CHUNK,
                reviewed: bool = True) -> Iterator[ArticleResult]:
        """Rebuild every stored ``ArticleResult``, in processing order (streamed).

        Parameters
        ----------
        text
            Load article texts; ``False`` leaves ``Article.text`` empty, which
            is all a redraw needs and keeps memory small.
        chunk_size
            Articles fetched per round trip.
        reviewed
            Apply the analysts' corrections (:mod:`geomap.review`): rejected
            and merged-away incidents are left out, added ones come after the
            machine ones, each incident carries its ``review_status``.
            ``False`` gives the machine output as extracted.
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
                        text=row.text, place=place_from_row(row),
                        score=float(row.score), role=row.role))
                inc: dict[str, list[Incident]] = defaultdict(list)
                for row in conn.execute(sa.select(ti).where(ti.c.article_id.in_(ids))
                                        .order_by(ti.c.article_id, ti.c.idx)):
                    inc[row.article_id].append(_incident_from(row))
                if reviewed:
                    inc = defaultdict(list, self._reviewed_incidents(conn, arts, inc))
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
        article_id=row.article_id, place=place_from_row(row), location=row.location,
        precision=row.precision, event_type=row.event_type, date=_as_date(row.date),
        killed=row.killed, wounded=row.wounded,
        killed_qualifier=row.killed_qualifier,
        wounded_qualifier=row.wounded_qualifier, quote=row.quote,
        sources=tuple(json.loads(row.sources)))


def _reason(err: BaseException) -> str:
    orig = getattr(err, "orig", None) or err
    return " ".join(str(orig).split())[:300]


@contextlib.contextmanager
def temporary_store() -> Iterator[Store]:
    """A new SQLite store in a temporary directory, removed on exit, even on error.

    Where ``geomap map``/``extract`` spill a run's results without ``--store``,
    so that memory stays flat in the corpus; the directory is made under
    ``TMPDIR`` (mind a RAM-backed ``/tmp`` for very large runs).

    >>> with temporary_store() as store:
    ...     where = Path(store.engine.url.database)
    ...     store.counts()["articles"], where.exists()
    (0, True)
    >>> where.exists(), where.parent.exists()
    (False, False)
    """
    with tempfile.TemporaryDirectory(prefix="geomap-") as tmp, \
            open_store(Path(tmp) / DEFAULT_STORE_NAME) as store:
        yield store


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
