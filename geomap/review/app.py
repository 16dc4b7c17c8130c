"""The review web app: a Starlette application over a results store.

``create_app(store, token=...)`` returns an ASGI app that serves the review page
(``/``), its own assets (``/assets/...``: Leaflet and the country outlines
bundled with geomap's map, plus ``review.js``/``review.css``; nothing from a
CDN) and the JSON API under ``/api/``:

====== =============================== =============================================
GET    /api/incidents                  list; filters ``date_from``, ``date_to``,
                                       ``event_type``, ``country``, ``status``, ``q``
GET    /api/incidents/{id}             one incident with its article and highlights
PATCH  /api/incidents/{id}             any of killed, wounded, killed_qualifier,
                                       wounded_qualifier, date, event_type,
                                       geonameid, status
POST   /api/incidents                  add: ``article_id``, ``start``, ``end`` + fields
POST   /api/incidents/merge            ``{"ids": [keep, other]}``
POST   /api/incidents/{id}/split       a part with its own fields (and span)
GET    /api/places?q=NAME              gazetteer candidates for the place picker
GET    /api/log                        the audit table (``?id=`` for one incident)
GET    /api/stale                      corrections whose incident is gone
====== =============================== =============================================

Security, in this order for every request: the ``Host`` header must name this
server (a DNS-rebinding page cannot reach it: 400), a request carrying an
``Origin`` (or ``Sec-Fetch-Site: cross-site``) from another origin is refused
(403), and every ``/api/`` call needs ``Authorization: Bearer TOKEN`` (401).
The page reads the token once from ``?token=`` and keeps it in
``sessionStorage``.

Concurrency: ``GET`` answers carry ``ETag: "<version>"``; a ``PATCH`` (or
merge/split) with ``If-Match`` (or ``"version"`` in the body) that is not the
current version gets ``409`` with the current version and writes nothing.
Without a version the last write wins; either way, every accepted change is a
row of the audit table.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from importlib.resources import files
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from geomap.errors import GeomapError, InputError
from geomap.models import EVENT_TYPES, Incident
from geomap.review.core import (
    NotFoundError,
    ReviewConflict,
    Reviewed,
    parse_changes,
    place_to_json,
)

__all__ = ["create_app", "incident_json"]

log = logging.getLogger(__name__)

_MAX_BODY = 1_000_000
_MAP_ASSETS = files("geomap.outputs").joinpath("assets")
_OWN_ASSETS = files("geomap.review").joinpath("static")
#: Files served under /assets/: name -> (package dir, media type).
_ASSETS: dict[str, tuple[Any, str]] = {
    "leaflet.js": (_MAP_ASSETS, "text/javascript"),
    "leaflet.css": (_MAP_ASSETS, "text/css"),
    "layers.png": (_MAP_ASSETS, "image/png"),
    "layers-2x.png": (_MAP_ASSETS, "image/png"),
    "topojson-client.min.js": (_MAP_ASSETS, "text/javascript"),
    "countries-50m.json": (_MAP_ASSETS, "application/json"),
    "review.js": (_OWN_ASSETS, "text/javascript"),
    "review.css": (_OWN_ASSETS, "text/css"),
}
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'")
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY", "Cache-Control": "no-store"}
_NUMBER = re.compile(r"\b(?:\d{1,3}(?:,\d{3})+|\d+)\b|\b[A-Za-z]+(?:-[A-Za-z]+)?\b")


# -- JSON projections -------------------------------------------------------------

def incident_json(state: Reviewed) -> dict[str, Any]:
    """One list row of the API: the reviewed incident, flat, with its status."""
    inc = state.incident
    item = state.item
    row: dict[str, Any] = {
        "id": item.id, "article_id": item.article_id, "origin": item.origin,
        "review_status": state.status, "version": state.version,
        "stale": state.stale, "quote_start": item.start, "quote_end": item.end,
    }
    if inc is None:
        row.update(quote=item.quote, place=None)
        return row
    row.update(
        location=inc.location, place=place_to_json(inc.place),
        precision=inc.precision, event_type=inc.event_type,
        date=inc.date.isoformat() if inc.date else None,
        killed=inc.killed, wounded=inc.wounded,
        killed_qualifier=inc.killed_qualifier,
        wounded_qualifier=inc.wounded_qualifier, quote=inc.quote,
        sources=list(inc.sources),
    )
    return row


def _figure_spans(text: str, start: int, end: int, *incs: Incident | None
                  ) -> list[dict[str, Any]]:
    """Where the quote states the killed and wounded figures (code-point offsets).

    The figures of every incident given count (the reviewed one and the
    machine's), so that an edited figure still shows the one in the text.
    """
    from geomap.numbers import parse_count

    wanted: dict[int, str] = {}
    for inc in incs:
        if inc is None:
            continue
        for kind, value in (("wounded", inc.wounded), ("killed", inc.killed)):
            if value is not None:
                wanted[value] = kind
    spans = []
    quote = text[start:end] if start >= 0 else ""
    for m in _NUMBER.finditer(quote):
        count = parse_count(m.group(0))
        if count is not None and count.value in wanted:
            spans.append({"start": start + m.start(), "end": start + m.end(),
                          "kind": wanted[count.value]})
    return spans


def _filters(params: Any) -> Callable[[dict[str, Any]], bool]:
    def date(name: str) -> str | None:
        value = params.get(name) or None
        if value is not None:
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                raise InputError(f"{name} must be YYYY-MM-DD") from None
        return None

    lo, hi = date("date_from"), date("date_to")
    etype = params.get("event_type") or None
    if etype is not None and etype not in EVENT_TYPES:
        raise InputError(f"event_type must be one of {', '.join(EVENT_TYPES)}")
    country = (params.get("country") or "").upper() or None
    status = params.get("status") or None
    needle = (params.get("q") or "").casefold() or None

    def keep(row: dict[str, Any]) -> bool:
        d = row.get("date")
        if lo and (d is None or d < lo):
            return False
        if hi and (d is None or d > hi):
            return False
        if etype and row.get("event_type") != etype:
            return False
        if country and (row.get("place") or {}).get("country_code") != country:
            return False
        if status and row["review_status"] != status:
            return False
        if needle:
            hay = " ".join(str(row.get(k) or "") for k in
                           ("quote", "location", "article_id", "title"))
            if needle not in hay.casefold():
                return False
        return True

    return keep


# -- the security gate --------------------------------------------------------------

class _Gate:
    """ASGI middleware: Host, Origin and token checks before any route."""

    def __init__(self, app: ASGIApp, *, token: str, hosts: Iterable[str],
                 origins: Iterable[str], any_ip_port: int | None = None) -> None:
        self.app = app
        self.token = token.encode("utf-8")
        self.hosts = frozenset(h.lower() for h in hosts)
        self.origins = frozenset(o.lower() for o in origins)
        # bound to every interface: also IP literals with our port (a DNS
        # rebinding attack needs a host *name*, so these stay safe)
        self.any_ip_port = any_ip_port

    def _known(self, host: str) -> bool:
        if host in self.hosts:
            return True
        return self.any_ip_port is not None and _ip_literal(host, self.any_ip_port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope["headers"]}
        problem = self._problem(scope, headers)
        if problem is not None:
            code, message = problem
            extra = {"WWW-Authenticate": "Bearer"} if code == 401 else {}
            response = JSONResponse({"error": message}, status_code=code,
                                    headers={**_HEADERS, **extra})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _problem(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        host = headers.get("host", "").lower()
        if not self._known(host):
            return 400, "unknown Host header (this server answers only for itself)"
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in self.origins and not (
                origin.lower().startswith("http://")
                and self.any_ip_port is not None
                and _ip_literal(origin.lower()[7:], self.any_ip_port)):
            return 403, "cross-origin request refused"
        if headers.get("sec-fetch-site") == "cross-site":
            return 403, "cross-site request refused"
        if scope["path"].startswith("/api/"):
            auth = headers.get("authorization", "")
            scheme, _, value = auth.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                    value.strip().encode("utf-8"), self.token):
                return 401, "missing or wrong token: send Authorization: Bearer TOKEN"
        return None


def _ip_literal(host: str, port: int) -> bool:
    """Whether ``host`` is ``IP:port`` (or ``[IPv6]:port``) with our port.

    >>> _ip_literal("192.168.1.5:8765", 8765), _ip_literal("[::1]:8765", 8765)
    (True, True)
    >>> _ip_literal("evil.example:8765", 8765), _ip_literal("10.0.0.1:80", 8765)
    (False, False)
    """
    import ipaddress

    name, sep, p = host.rpartition(":")
    if not sep or p != str(port):
        return False
    try:
        ipaddress.ip_address(name.removeprefix("[").removesuffix("]"))
    except ValueError:
        return False
    return True


# -- the app ------------------------------------------------------------------------

def _error(code: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=code,
                        headers=_HEADERS)


def _ok(body: Any, code: int = 200, version: int | None = None) -> JSONResponse:
    headers = dict(_HEADERS)
    if version is not None:
        headers["ETag"] = f'"{version}"'
    return JSONResponse(body, status_code=code, headers=headers)


async def _body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > _MAX_BODY:
        raise InputError("request body too large")
    if request.headers.get("content-type", "").split(";")[0].strip() != (
            "application/json"):
        raise InputError("send the body as application/json")
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise InputError("the body is not valid JSON") from None


def _if_match(request: Request, body: Any) -> int | None:
    header = request.headers.get("if-match")
    if header:
        text = header.strip().removeprefix("W/").strip('"')
        if not text.isdigit():
            raise InputError('If-Match must be an ETag such as "3"')
        return int(text)
    if isinstance(body, dict) and body.get("version") is not None:
        v = body["version"]
        if not isinstance(v, int) or isinstance(v, bool):
            raise InputError("version must be an integer")
        return v
    return None


def _reviewer(body: Any) -> str | None:
    name = body.get("reviewer") if isinstance(body, dict) else None
    if name is None:
        return None
    if not isinstance(name, str) or len(name) > 200:
        raise InputError("reviewer must be a name of at most 200 characters")
    return name.strip() or None


def create_app(store: Any, *, token: str, host: str = "127.0.0.1", port: int = 8765,
               gazetteer: Callable[[], Any] | None = None) -> ASGIApp:
    """The review app over ``store`` (a :class:`geomap.results.Store`).

    Parameters
    ----------
    token
        The bearer token every API call must send.
    host, port
        Where the server listens; only these (and ``localhost``/``127.0.0.1``
        for a loopback bind) are accepted in ``Host`` and ``Origin``.
    gazetteer
        A callable returning the gazetteer (opened on first use) for the place
        picker; None disables place edits.
    """
    if not token:
        raise InputError("the review server needs a token")
    store.reviewed()  # every machine incident gets its id before the first call
    names = {host.lower()}
    if host in ("127.0.0.1", "localhost", "::1"):
        names |= {"127.0.0.1", "localhost"}
    hosts = {f"{n}:{port}" for n in names} | (names if port == 80 else set())
    origins = {f"http://{h}" for h in hosts}
    gz_lock = threading.Lock()
    gz_holder: list[Any] = []

    def gz() -> Any:
        if gazetteer is None:
            raise InputError("no gazetteer: place edits are not available")
        with gz_lock:
            if not gz_holder:
                gz_holder.append(gazetteer())
            return gz_holder[0]

    def place_of(geonameid: int | None) -> dict[str, Any] | None:
        if geonameid is None:
            return None
        g = gz()
        with gz_lock:
            place = g.get(geonameid)
        if place is None:
            raise InputError(f"no place with geonameid {geonameid} in the gazetteer")
        return place_to_json(place)

    def resolve(changes: dict[str, Any]) -> dict[str, Any]:
        out = dict(changes)
        if "geonameid" in out:
            out["place"] = place_of(out.pop("geonameid"))
        return out

    def listing(params: Any) -> list[dict[str, Any]]:
        keep = _filters(params)
        t = store.article_titles()
        rows = []
        for state in store.reviewed():
            row = incident_json(state)
            row["title"] = t.get(state.item.article_id)
            if keep(row):
                rows.append(row)
        return rows

    def detail(item_id: int) -> tuple[dict[str, Any], int]:
        state = store.review_item(item_id)
        row = incident_json(state)
        art, mentions = store.article_view(state.item.article_id)
        text = art.text if art else ""
        inc = state.incident
        gid = inc.place.geonameid if inc is not None and inc.place else None
        row["article"] = {
            "id": state.item.article_id, "text": text,
            "title": art.title if art else None, "source": art.source if art else None,
            "date": art.date.isoformat() if art and art.date else None,
        }
        row["highlights"] = {
            "quote": {"start": state.item.start, "end": state.item.end},
            "places": [{"start": m.start, "end": m.end, "text": m.text,
                        "chosen": gid is not None and m.place.geonameid == gid}
                       for m in mentions if m.place is not None],
            "figures": _figure_spans(text, state.item.start, state.item.end,
                                     state.machine, inc),
        }
        row["log"] = [_log_row(c) for c in state.corrections]
        return row, state.version

    async def index(request: Request) -> Response:
        page = _OWN_ASSETS.joinpath("review.html").read_text(encoding="utf-8")
        return Response(page, media_type="text/html; charset=utf-8",
                        headers={**_HEADERS, "Content-Security-Policy": _CSP})

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _ASSETS:
            return _error(404, "no such asset")
        folder, media = _ASSETS[name]
        data = folder.joinpath(name).read_bytes()
        return Response(data, media_type=media, headers={
            "X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=3600"})

    async def list_incidents(request: Request) -> Response:
        rows = await run_in_threadpool(listing, request.query_params)
        return _ok({"count": len(rows), "incidents": rows,
                    "event_types": list(EVENT_TYPES)})

    def _id(request: Request) -> int:
        text = request.path_params["item_id"]
        if not text.isdigit() or len(text) > 18:
            raise NotFoundError(f"no incident {text!r}")
        return int(text)

    async def get_incident(request: Request) -> Response:
        row, version = await run_in_threadpool(detail, _id(request))
        return _ok(row, version=version)

    async def patch_incident(request: Request) -> Response:
        item_id = _id(request)
        body = await _body(request)
        changes = parse_changes(body)
        if not changes:
            raise InputError("nothing to change: send at least one field")
        version = _if_match(request, body)
        reviewer = _reviewer(body)

        def run() -> tuple[dict[str, Any], int]:
            store.review_change(item_id, resolve(changes), version=version,
                                reviewer=reviewer)
            return detail(item_id)

        row, v = await run_in_threadpool(run)
        return _ok(row, version=v)

    def _fields(body: dict[str, Any]) -> dict[str, Any]:
        fields = {k: v for k, v in body.items()
                  if k not in ("article_id", "start", "end", "version", "reviewer")}
        changes = parse_changes(fields)
        if "status" in changes:
            raise InputError("status is not a field of a new incident")
        return resolve(changes)

    async def add_incident(request: Request) -> Response:
        body = await _body(request)
        if not isinstance(body, dict):
            raise InputError("the body must be a JSON object")
        aid, start, end = body.get("article_id"), body.get("start"), body.get("end")
        if not isinstance(aid, str):
            raise InputError("article_id must be a string")
        fields = _fields(body)
        reviewer = _reviewer(body)

        def run() -> tuple[dict[str, Any], int]:
            s = store.review_add(aid, start, end, fields, reviewer=reviewer)
            return detail(s.item.id)

        row, v = await run_in_threadpool(run)
        return _ok(row, 201, version=v)

    async def split_incident(request: Request) -> Response:
        item_id = _id(request)
        body = await _body(request)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise InputError("the body must be a JSON object")
        fields = _fields(body)
        version = _if_match(request, body)
        reviewer = _reviewer(body)

        def run() -> tuple[dict[str, Any], int]:
            orig = store.review_item(item_id)
            if orig.incident is None:
                raise NotFoundError(f"incident {item_id} is no longer in the store")
            from geomap.review.core import incident_to_json

            base = incident_to_json(orig.incident)
            base = {k: base[k] for k in ("place", "event_type", "date", "killed",
                                         "wounded", "killed_qualifier",
                                         "wounded_qualifier")}
            base.update(fields)
            start = body.get("start", orig.item.start)
            end = body.get("end", orig.item.end)
            s = store.review_add(orig.item.article_id, start, end, base,
                                 reviewer=reviewer, split_from=item_id,
                                 version=version)
            return detail(s.item.id)

        row, v = await run_in_threadpool(run)
        return _ok(row, 201, version=v)

    async def merge_incidents(request: Request) -> Response:
        body = await _body(request)
        if not isinstance(body, dict):
            raise InputError("the body must be a JSON object")
        ids = body.get("ids")
        if not (isinstance(ids, list) and len(ids) == 2 and all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids)):
            raise InputError('ids must be two incident ids: {"ids": [keep, other]}')
        versions = body.get("versions") or {}
        if not isinstance(versions, dict):
            raise InputError("versions must map incident ids to versions")
        try:
            vs = {int(k): int(v) for k, v in versions.items()}
        except (TypeError, ValueError):
            raise InputError("versions must map incident ids to versions") from None
        reviewer = _reviewer(body)

        def run() -> tuple[dict[str, Any], int]:
            store.review_merge(ids[0], ids[1], versions=vs, reviewer=reviewer)
            return detail(ids[0])

        row, v = await run_in_threadpool(run)
        return _ok(row, version=v)

    async def places(request: Request) -> Response:
        name = (request.query_params.get("q") or "").strip()
        if not name:
            raise InputError("q: a place name to look up")
        if len(name) > 200:
            raise InputError("q is too long")

        def run() -> list[dict[str, Any]]:
            g = gz()
            with gz_lock:
                cands = g.candidates(name, limit=10)
            return [{**place_to_json(c.place), "matched": c.matched,
                     "match": c.match, "score": round(c.score, 3)} for c in cands]

        return _ok({"candidates": await run_in_threadpool(run)})

    async def audit(request: Request) -> Response:
        raw = request.query_params.get("id")
        item_id = int(raw) if raw and raw.isdigit() else None
        rows = await run_in_threadpool(store.review_log, item_id)
        return _ok({"corrections": [_log_row(c) for c in rows]})

    async def stale(request: Request) -> Response:
        rows = await run_in_threadpool(store.review_stale)
        return _ok({"stale": [incident_json(s) for s in rows]})

    async def on_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, ReviewConflict):
            return _error(409, str(exc), version=exc.version)
        if isinstance(exc, NotFoundError):
            return _error(404, str(exc))
        if isinstance(exc, InputError):
            return _error(400, str(exc))
        if not isinstance(exc, GeomapError):  # the gazetteer failed to open
            return _error(503, " ".join(str(exc).split())[:300])
        log.error("review request failed: %s", exc)
        return _error(500, " ".join(str(exc).split())[:300])

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/assets/{name}", asset, methods=["GET"]),
        Route("/api/incidents", list_incidents, methods=["GET"]),
        Route("/api/incidents", add_incident, methods=["POST"]),
        Route("/api/incidents/merge", merge_incidents, methods=["POST"]),
        Route("/api/incidents/{item_id}", get_incident, methods=["GET"]),
        Route("/api/incidents/{item_id}", patch_incident, methods=["PATCH"]),
        Route("/api/incidents/{item_id}/split", split_incident, methods=["POST"]),
        Route("/api/places", places, methods=["GET"]),
        Route("/api/log", audit, methods=["GET"]),
        Route("/api/stale", stale, methods=["GET"]),
    ]
    from geomap.errors import GazetteerError

    app = Starlette(routes=routes, exception_handlers={GeomapError: on_error,
                                                       GazetteerError: on_error})
    wildcard = host in ("0.0.0.0", "::")
    return _Gate(app, token=token, hosts=hosts, origins=origins,
                 any_ip_port=port if wildcard else None)


def _log_row(c: Any) -> dict[str, Any]:
    return {"seq": c.seq, "id": c.item_id, "field": c.field, "before": c.before,
            "after": c.after, "at": c.at.isoformat() if c.at else None,
            "reviewer": c.reviewer}
