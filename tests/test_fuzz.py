"""Hypothesis fuzzing of every parser and entry point.

Only the project's own errors (``GeomapError`` subclasses, ``GazetteerError``)
may escape, and the CLI turns them into one line on stderr with exit 1.

The number of examples comes from the hypothesis profile (``tests/conftest.py``):
``HYPOTHESIS_PROFILE=fuzz`` runs 10,000 per target; the default profile runs 60
(20 for the spaCy-bound ones).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geomap.cli import main
from geomap.dates import event_date, find_date_expressions, resolve_relative_date
from geomap.errors import USER_ERRORS, InputError
from geomap.ingest import decode_bytes, parse_date, read_articles, read_text_article
from geomap.models import Article
from geomap.numbers import MAX_COUNT, Count, parse_count

_PROFILE = settings()
# spaCy-bound targets: a third of the default profile, all of the fuzz profile
SLOW = settings(
    _PROFILE, max_examples=_PROFILE.max_examples if _PROFILE.max_examples >= 10_000
    else max(20, _PROFILE.max_examples // 3),
    suppress_health_check=[*_PROFILE.suppress_health_check,
                           HealthCheck.function_scoped_fixture],
)

# Text with the characters that break parsers: controls, NUL, CR, BOM, RTL
# marks, combining marks, astral planes, quotes and separators.
SPICE = st.sampled_from([
    "\x00", "\r", "\r\n", "\n\n", "\t", "\ufeff", "\u202e", "\u0301", "\U0001F4A5",
    "\u2028", '"', "'", ",", "{", "}", "[", "\\", "<", ">", "&", ":", "-", " ",
    "date ", "Date: ", "Title: ", "Source: ", "2022-03-30", "2022-02-30",
    "9999-99-99", "killed", "wounded", "Kyiv", "Kharkiv", "at least", "dozens",
    "10^12", "99999999999", "1e9", "Tuesday", "yesterday", "March 29",
])
TEXT = st.lists(st.one_of(st.text(max_size=12), SPICE), max_size=24).map("".join)
DATES = st.one_of(st.none(), st.dates(min_value=dt.date(1, 1, 8)))


def _one_line_error(code: int, err: str) -> None:
    assert code == 1, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("geomap: error: "), err


# -- ingest ---------------------------------------------------------------------

@given(TEXT)
def test_txt_header_reader_returns_article_or_input_error(text):
    try:
        art = read_text_article(text, "f.txt")
    except InputError as err:
        assert str(err).startswith("f.txt: ")
        return
    assert art.text and art.text == art.text.strip()
    assert art.text in text


@given(st.one_of(TEXT, st.integers(), st.floats(), st.booleans(), st.none(),
                 st.dates(), st.datetimes(), st.lists(st.integers(), max_size=2)))
def test_parse_date_never_raises_anything_else(value):
    try:
        d = parse_date(value, "where")
    except InputError:
        return
    assert d is None or isinstance(d, dt.date)


@given(st.binary(max_size=300))
def test_decode_bytes_returns_text_without_nul_or_cr(data):
    try:
        text = decode_bytes(data, "f")
    except InputError:
        return
    assert "\x00" not in text and "\r" not in text


def _read_file(suffix: str, data: bytes, skip_bad: bool) -> list[Article]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"in{suffix}"
        path.write_bytes(data)
        try:
            arts = list(read_articles([path], skip_bad=skip_bad))
        except InputError as err:
            assert not skip_bad, f"skip_bad raised {err}"
            assert str(path) in str(err) and "\n" not in str(err).strip()
            return []
    for a in arts:
        assert isinstance(a.text, str) and a.text.strip() and "\x00" not in a.text
        assert isinstance(a.id, str) and a.id
        assert a.date is None or isinstance(a.date, dt.date)
        assert a.title is None or isinstance(a.title, str)
        assert a.source is None or isinstance(a.source, str)
    return arts


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".csv", ".html"])
@given(data=st.one_of(st.binary(max_size=400), TEXT.map(
    lambda t: t.encode("utf-8", "surrogatepass"))), skip_bad=st.booleans())
def test_any_bytes_in_any_format(suffix, data, skip_bad):
    _read_file(suffix, data, skip_bad)


JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT)
JSON = st.recursive(JSON_SCALAR, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.dictionaries(TEXT, kids, max_size=3)), max_leaves=8)
FIELD = st.sampled_from(["text", "id", "date", "title", "url", "source", "x"])
RECORD = st.one_of(JSON, st.dictionaries(FIELD, JSON, max_size=6),
                   st.fixed_dictionaries({"text": TEXT}, optional={
                       "id": JSON, "date": st.one_of(JSON, st.dates().map(str)),
                       "title": JSON, "url": JSON}))


@given(st.lists(RECORD, max_size=5), st.booleans(), st.booleans())
def test_jsonl_records(records, skip_bad, surrogates):
    lines = [json.dumps(r, ensure_ascii=surrogates) for r in records]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    arts = _read_file(".jsonl", data, skip_bad)
    good = [r for r in records if isinstance(r, dict) and isinstance(
        r.get("text"), str) and r["text"].strip()]
    assert len(arts) <= len(good)


CELL = st.one_of(TEXT, st.sampled_from(["", "2022-03-30", "not a date"]))


@given(st.lists(st.sampled_from(["text", "id", "date", "title", "url", "Text ",
                                 "", "x"]), min_size=1, max_size=5),
       st.lists(st.lists(CELL, max_size=6), max_size=4), st.booleans())
def test_csv_rows(header, rows, skip_bad):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    _read_file(".csv", buf.getvalue().encode("utf-8", "surrogatepass"), skip_bad)


@given(TEXT, TEXT, st.sampled_from(["p", "article", "script", "div", "title"]))
def test_html_pages(title, body, tag):
    page = (f"<html><head><title>{title}</title></head><body>"
            f"<{tag}>{body}</{tag}><p>{body} {body}</p></body></html>")
    _read_file(".html", page.encode("utf-8", "surrogatepass"), False)


# -- numbers and dates ------------------------------------------------------------

@given(TEXT)
def test_parse_count_is_none_or_a_plausible_count(text):
    c = parse_count(text)
    if c is not None:
        assert isinstance(c, Count)
        assert c.qualifier in ("exact", "at_least", "approx")
        assert c.value is None or 0 <= c.value <= MAX_COUNT


@given(TEXT, DATES)
def test_event_date_is_never_after_the_article(text, article_date):
    d = event_date(text, article_date)
    assert d is None or isinstance(d, dt.date)
    if d is not None and article_date is not None:
        assert d <= article_date
    for e in find_date_expressions(text):
        assert text[e.start:e.end] == e.text


@given(st.one_of(TEXT, st.sampled_from([
    "on Tuesday", "Friday's", "last night", "3 days ago", "99999999999 days ago",
    "February 30", "31 April 2022", "0 March 0000", "March 29, 99999"])), DATES)
def test_resolve_relative_date_never_raises(expr, article_date):
    d = resolve_relative_date(expr, article_date)
    if d is not None and article_date is not None:
        assert d <= article_date


# -- gazetteer ------------------------------------------------------------------

@given(st.lists(TEXT, max_size=4), st.one_of(st.none(), st.lists(
    st.text(max_size=3), max_size=2)), st.integers(-2, 30))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 *settings().suppress_health_check])
def test_gazetteer_lookup(gazetteer_store, names, countries, limit):
    from gazetteer import normalize

    gz = gazetteer_store
    for name in names:
        n = normalize(name)
        assert isinstance(n, str) and normalize(n) == n
        assert gz.contains(name) == (name in gz)
        cands = gz.candidates(name, country_codes=countries, limit=limit)
        assert len(cands) <= max(limit, 0)
        for c in cands:
            assert -90 <= c.place.lat <= 90 and -180 <= c.place.lon <= 180
            assert 0 < c.score <= 1.0 + 1e-9 or c.match != "fuzzy"
    many = gz.lookup_many(names, country_codes=countries, limit=max(limit, 1))
    assert set(many) == set(names)


# -- the pipeline and the CLI ---------------------------------------------------

@SLOW
@given(TEXT, DATES)
def test_pipeline_on_arbitrary_text(geomap_pipeline, text, article_date):
    try:
        r = geomap_pipeline.process(text, date=article_date)
    except USER_ERRORS:
        return
    for m in r.mentions:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start:m.end] == m.text
    for i in r.incidents:
        for v in (i.killed, i.wounded):
            assert v is None or 0 <= v <= MAX_COUNT
        if i.date is not None and article_date is not None:
            assert i.date <= article_date


@pytest.fixture(scope="module")
def shared_model(geomap_pipeline):
    """Let every ``cli.main`` call reuse the loaded model (the real one)."""
    import geomap.pipeline

    nlp = geomap_pipeline.nlp
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(geomap.pipeline, "load_nlp", lambda *a, **k: nlp)
        yield


def _check_outputs(out: Path) -> None:
    for f in out.iterdir():
        assert not f.name.startswith("."), f"temp file left: {f.name}"
        text = f.read_text(encoding="utf-8")  # strict: valid UTF-8
        if f.suffix in (".geojson",):
            json.loads(text)
        elif f.suffix == ".jsonl":
            for line in text.splitlines():
                json.loads(line)


@SLOW
@given(st.sampled_from([".txt", ".jsonl", ".csv", ".html"]),
       st.one_of(st.binary(max_size=200), TEXT.map(
           lambda t: t.encode("utf-8", "surrogatepass")),
           st.lists(RECORD, max_size=3).map(lambda rs: "\n".join(
               json.dumps(r) for r in rs).encode())),
       st.sampled_from(["extract", "places", "map"]),
       st.sampled_from([[], ["--skip-bad"], ["--format", "csv"],
                        ["--format", "geojson"]]))
def test_cli_exits_0_or_with_one_line(shared_model, suffix, data, command, extra):
    if command == "map" and extra == ["--format", "geojson"]:
        extra = []  # map always writes GeoJSON; --format adds table layers
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"in{suffix}"
        path.write_bytes(data)
        out_dir = Path(d) / "out"
        target = (["-o", str(out_dir)] if command == "map" else
                  ["-o", str(out_dir / "result")])
        out, err = io.StringIO(), io.StringIO()
        code = main([command, str(path), "-q", *extra, *target], stdout=out,
                    stderr=err)
        if code != 0:
            _one_line_error(code, err.getvalue())
        else:
            assert err.getvalue() == ""
        if out_dir.exists():
            _check_outputs(out_dir)


_SAFE = {"map": "extract", "render": "places", "gazetteer": "geocode",
         "eval": "geocode"}


@given(st.lists(st.one_of(TEXT, st.sampled_from(
    ["extract", "places", "geocode", "--batch-size", "0", "-n", "-1",
     "--processes", "--format", "xml", "--store", "--country", "--skip-bad"])),
    max_size=5))
@settings(max_examples=SLOW.max_examples)
def test_cli_argv_never_tracebacks(argv):
    # never a command that writes or rebuilds; run where no input files exist
    argv = [_SAFE.get(a, a) for a in argv]
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as d:
        os.chdir(d)
        try:
            code = main(argv, stdout=out, stderr=err)
        finally:
            os.chdir(here)
    assert code in (0, 1, 2), (argv, code)
    assert "Traceback" not in err.getvalue()
    if code == 1:  # warnings may precede it (no -q here); one error line, last
        lines = err.getvalue().splitlines()
        assert lines[-1].startswith("geomap: error: "), err.getvalue()
        assert all(ln.startswith("geomap: WARNING: ") for ln in lines[:-1]), lines
