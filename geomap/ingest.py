"""Ingest: files and directories -> a stream of ``Article`` records.

Supported inputs: ``.txt`` (one article; optional ``date YYYY-MM-DD`` first line
or ``Date:``/``Title:``/``Source:``/``Id:`` header lines), ``.jsonl``/``.ndjson``
(one JSON object per line), ``.csv`` (one article per row, read strictly),
``.html``/``.htm`` (main text extracted with trafilatura). Every bad record
raises ``InputError`` naming the file and line; with ``skip_bad=True`` it is
logged and skipped instead.

Ids: a record's own id (``Id:`` header, ``id`` field or column) wins; otherwise
a file's id is its path relative to the input root (``sub/a.txt``) and a
record's is that path and its number (``corpus.jsonl#3``), so an edited file
keeps its id and replaces its old version in a results store.

Dates: ISO ``YYYY-MM-DD`` (or an ISO timestamp), else whatever ``dateparser``
reads with day, month and year ("July 6, 2023", "6 липня 2023"); all-numeric
dates are day first (``06/07/2023`` is 6 July) unless ``month_first=True``.
A date that does not parse leaves the article undated, with a warning.

Sources: only ``http(s)`` URLs are kept (``javascript:``, ``data:``... are
dropped with a warning); a ``.txt`` or ``.html`` file without one gets its
relative path as source.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import itertools
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geomap.encodings import (
    check_encoding,
    clean_text,
    decode_bytes,
    detect_encoding,
    guess_encoding,
    warn_guess,
)
from geomap.errors import InputError, MissingDependencyError, missing_module_message
from geomap.models import Article

__all__ = [
    "SUFFIXES",
    "article_id",
    "as_article",
    "check_encoding",
    "clean_source",
    "count_articles",
    "decode_bytes",
    "detect_encoding",
    "iter_files",
    "iter_sources",
    "parse_date",
    "read_articles",
    "read_text_article",
]

log = logging.getLogger(__name__)

SUFFIXES: dict[str, str] = {
    ".txt": "txt", ".text": "txt", ".md": "txt",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".csv": "csv",
    ".html": "html", ".htm": "html",
}

_DATE_LINE = re.compile(r"\A\s*date\s+(\S+)[ \t]*(?:\r?\n)?", re.IGNORECASE)
_HEADER = re.compile(r"\A(date|title|source|url|id)\s*:\s*(.*?)\s*\Z", re.IGNORECASE)
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def article_id(text: str) -> str:
    """An id for a text that has none and comes from no file: a hash of the text.

    >>> article_id("Kyiv")
    'a-daccd738d5f7327d'
    """
    return "a-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def as_article(item: Article | str) -> Article:
    """An ``Article`` as is; a plain text as an article with a hashed id.

    >>> as_article("Kyiv").id
    'a-daccd738d5f7327d'
    """
    if isinstance(item, Article):
        return item
    if isinstance(item, str):
        return Article(id=article_id(item), text=item)
    raise TypeError(f"expected Article or str, got {type(item).__name__}")


# -- dates --------------------------------------------------------------------

_DATEPARSER_SETTINGS: dict[str, Any] = {
    # a header date must name a day: "July 2023" is not a publication date
    "REQUIRE_PARTS": ["day", "month", "year"],
    # absolute dates only: "yesterday" in a header has no anchor
    "PARSERS": ["custom-formats", "absolute-time"],
    "RETURN_AS_TIMEZONE_AWARE": False,
}


_YEAR_FIRST = re.compile(r"\A(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d])")


def parse_date(value: Any, where: str, *, month_first: bool = False) -> dt.date | None:
    """Parse an article date: ISO first, then the common written forms.

    ISO ``YYYY-MM-DD`` and ISO timestamps are read exactly; anything else goes
    to ``dateparser`` and must give a day, a month and a year. All-numeric
    dates are read day first (``06/07/2023`` is 6 July 2023) unless
    ``month_first`` (then it is 7 June); a form that is unambiguous either way
    (``13/07/2023``) is read the same with both rules, and a date that starts
    with the year is always year-month-day (``2023/07/06``).

    Raises
    ------
    InputError
        The value is not a date (``where: bad date ...``).

    Examples
    --------
    >>> parse_date("2022-03-30", "x"), parse_date("2022-03-30T08:15:00Z", "x")
    (datetime.date(2022, 3, 30), datetime.date(2022, 3, 30))
    >>> parse_date("July 6, 2023", "x"), parse_date("06/07/2023", "x")
    (datetime.date(2023, 7, 6), datetime.date(2023, 7, 6))
    >>> parse_date("06/07/2023", "x", month_first=True)
    datetime.date(2023, 6, 7)
    >>> parse_date("", "x") is None
    True
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise InputError(f"{where}: bad date {value!r}: expected a date such as "
                         "2023-07-06")
    text = value.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else (
            dt.date.fromisoformat(text))
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    ymd = _YEAR_FIRST.match(text)
    if ymd:  # year first is always year-month-day (never year-day-month)
        try:
            return dt.date(*map(int, ymd.groups()))
        except ValueError:
            parsed = None
    else:
        parsed = _dateparser(text[:80], month_first)
    if parsed is None:
        raise InputError(f"{where}: bad date {value[:40]!r}: expected a date "
                         "with day, month and year such as 2023-07-06")
    return parsed


def _dateparser(text: str, month_first: bool) -> dt.date | None:
    import dateparser

    settings = dict(_DATEPARSER_SETTINGS, DATE_ORDER="MDY" if month_first else "DMY")
    try:
        parsed = dateparser.parse(text, settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input
        log.debug("dateparser failed on %r", text, exc_info=True)
        return None
    if parsed is None or not 1 <= parsed.year <= 9999:
        return None
    return parsed.date()


def _article_date(value: Any, where: str, month_first: bool) -> dt.date | None:
    """An input record's date; one that does not parse warns and gives None."""
    try:
        return parse_date(value, where, month_first=month_first)
    except InputError as err:
        log.warning("%s; the article is kept undated", err)
        return None


# -- sources ------------------------------------------------------------------

_SCHEME = re.compile(r"\A([a-z][a-z0-9+.\-]*):")
# Schemes that are never a news source and can run code or embed content.
_UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob",
                             "about", "filesystem", "jar", "view-source"})


def clean_source(value: Any, where: str) -> str | None:
    """An article's source if it may be shown and linked, else None (warned).

    ``http(s)`` URLs and plain text ("Reuters") are kept; a URL of any other
    scheme (``javascript:``, ``data:``, ``ftp://``...) is dropped at ingest so
    that no output ever carries it. Control characters and blanks that
    browsers ignore inside a scheme (``java\\tscript:``) do not hide one.

    Examples
    --------
    >>> clean_source(" https://example.org/a ", "f"), clean_source("Reuters", "f")
    ('https://example.org/a', 'Reuters')
    >>> clean_source("javascript:alert(1)", "f") is None
    True
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    probe = re.sub(r"[\x00-\x20\x7f]", "", text).lower()
    m = _SCHEME.match(probe)
    if m:
        scheme = m.group(1)
        looks_like_url = scheme in _UNSAFE_SCHEMES or not re.search(r"\s", text)
        if scheme not in ("http", "https") and looks_like_url:
            log.warning("%s: source %r dropped (only http and https URLs are kept)",
                        where, text[:40])
            return None
    return text


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"cannot read '{path}': no such file") from None
    except IsADirectoryError:
        raise InputError(f"cannot read '{path}': is a directory") from None
    except OSError as err:
        raise InputError(f"cannot read '{path}': {err.strerror or err}") from None


# -- records ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Source:
    """One input file and how to read it."""

    path: Path
    rel: str  # path relative to the input root, POSIX form: the id of the file
    encoding: str | None = None
    month_first: bool = False

    @property
    def where(self) -> str:
        return str(self.path)


def read_text_article(text: str, where: str, *, default_id: str | None = None,
                      source: str | None = None, month_first: bool = False
                      ) -> Article:
    """One article from ``.txt`` content with its optional header.

    Parameters
    ----------
    text, where
        The file content and its name for messages.
    default_id, source
        Id and source when the header gives none (``read_articles`` passes
        the relative path); without ``default_id`` the id is a text hash.
    month_first
        Read all-numeric header dates month first.

    Examples
    --------
    >>> a = read_text_article("date 2022-03-30 Missiles hit Mykolaiv.", "f.txt")
    >>> a.date, a.text
    (datetime.date(2022, 3, 30), 'Missiles hit Mykolaiv.')
    >>> a = read_text_article("Title: Strike\\nDate: July 6, 2023\\n\\nBody.", "f",
    ...                       default_id="news/f.txt", source="news/f.txt")
    >>> a.title, a.date, a.id, a.source
    ('Strike', datetime.date(2023, 7, 6), 'news/f.txt', 'news/f.txt')
    """
    meta: dict[str, str] = {}
    m = _DATE_LINE.match(text)
    if m:
        meta["date"] = m.group(1)
        text = text[m.end():]
    else:
        lines = text.split("\n")
        n = 0
        while n < len(lines) and n < 8:
            h = _HEADER.match(lines[n])
            if not h:
                break
            meta[h.group(1).lower()] = h.group(2)
            n += 1
        if n:
            text = "\n".join(lines[n:])
    body = text.strip()
    if not body:
        raise InputError(f"{where}: empty article (no text)")
    return Article(
        id=meta.get("id") or default_id or article_id(body),
        text=body,
        date=_article_date(meta.get("date"), where, month_first),
        title=meta.get("title") or None,
        source=clean_source(meta.get("source") or meta.get("url"), where) or source,
        origin=where,
    )


def _scrub(rec: dict[str, Any]) -> dict[str, Any]:
    """Replace lone surrogates (JSON ``"\\ud800"`` escapes) in string fields by
    U+FFFD: no encoder accepts them, and the length (offsets) stays the same."""
    out = dict(rec)
    for key in ("text", "id", "title", "url", "source", "date"):
        value = out.get(key)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                out[key] = _SURROGATE.sub("\ufffd", value)
    return out


def _from_mapping(rec: Any, where: str, default_id: str, month_first: bool = False
                  ) -> Article:
    if not isinstance(rec, dict):
        raise InputError(f"{where}: expected a JSON object with a 'text' field")
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: record has no 'text'")
    if "\x00" in text:
        raise InputError(f"{where}: text contains NUL bytes")
    rid = rec.get("id")
    if rid is not None and not isinstance(rid, str | int):
        raise InputError(f"{where}: 'id' must be a string or integer")
    title = rec.get("title")
    return Article(
        id=str(rid) if rid not in (None, "") else default_id,
        text=text,
        date=_article_date(rec.get("date"), where, month_first),
        title=title if isinstance(title, str) and title else None,
        source=clean_source(rec.get("url") or rec.get("source"), where),
        origin=where,
    )


def _guard(fn: Callable[..., Article], *args: Any) -> Article | InputError:
    """Run a record parser, returning its ``InputError`` instead of raising it.

    Generators cannot go on after raising, so readers yield record errors and
    ``read_articles`` decides whether to raise or skip them.
    """
    try:
        return fn(*args)
    except InputError as err:
        return err


def _iter_lines(src: _Source) -> Iterator[tuple[int, str | InputError]]:
    """Stream decoded lines of a large file without reading it whole.

    The encoding is detected once from the first megabyte (per line only for
    lines that do not decode with it), or forced by ``src.encoding``. A line
    that is not text (NUL bytes, undecodable) comes as its ``InputError``, so
    that the next lines can still be read.
    """
    path = src.path
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"cannot read '{path}': no such file") from None
    except OSError as err:
        raise InputError(f"cannot read '{path}': {err.strerror or err}") from None
    with fh:
        head = fh.read(1 << 20)
        fh.seek(0)
        forced = check_encoding(src.encoding) if src.encoding else None
        if (forced or "").startswith(("utf-16", "utf-32")) or (
                not forced and head.startswith((b"\xff\xfe", b"\xfe\xff"))):
            text = decode_bytes(fh.read(), str(path), encoding=forced)
            yield from enumerate(text.split("\n"), 1)
            return
        encoding: str | None = forced or "utf-8"
        if not forced:
            try:  # an incomplete character at the end of the head is fine
                codecs.getincrementaldecoder("utf-8")().decode(head.removeprefix(
                    b"\xef\xbb\xbf"), final=False)
            except UnicodeDecodeError:
                try:
                    encoding, others = guess_encoding(head, str(path))
                    if others:
                        warn_guess(str(path), encoding, others)
                except InputError:
                    encoding = None  # garbage at the start: decide line by line
        for n, raw in enumerate(fh, 1):
            if n == 1 and raw.startswith(b"\xef\xbb\xbf") and encoding in (
                    "utf-8", None):
                raw = raw[3:]
            where = f"{path}:{n}"
            line: str | InputError
            try:
                if forced:
                    line = decode_bytes(raw, where, encoding=forced)
                else:
                    try:
                        text = raw.decode(encoding) if encoding else None
                    except UnicodeDecodeError:
                        text = None
                    line = (decode_bytes(raw, where, warn=False) if text is None
                            else clean_text(text, where))
            except InputError as err:
                line = err
            yield n, line


def _read_jsonl(src: _Source) -> Iterator[Article | InputError]:
    path = src.path
    for n, line in _iter_lines(src):
        if isinstance(line, InputError):
            yield line
            continue
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            rec = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as err:
            msg = getattr(err, "msg", "too deeply nested")
            yield InputError(f"{where}: not valid JSON ({msg})")
            continue
        if isinstance(rec, dict) and _SURROGATE_ESCAPE.search(line):
            rec = _scrub(rec)
        yield _guard(_from_mapping, rec, where, f"{src.rel}#{n}", src.month_first)


def _text_lines(src: _Source, skip: int = 0) -> Iterator[str]:
    for _, line in itertools.islice(_iter_lines(src), skip, None):
        if isinstance(line, InputError):
            raise line
        yield line + "\n"


def _read_csv(src: _Source) -> Iterator[Article | InputError]:
    """Rows of a CSV file, read strictly (RFC 4180 quoting).

    A quoted field that is never closed would otherwise swallow every later
    row into one text: it is an error naming the line where the row starts,
    and reading goes on from the next line (so ``--skip-bad`` loses one row).
    """
    path = src.path
    csv.field_size_limit(2**31 - 1)  # one article per cell can be huge
    lines = _text_lines(src)
    header = csv.reader(lines, strict=True)
    try:
        fields = next(header, None)
    except csv.Error as err:
        raise InputError(f"{path}:1: bad CSV header ({err})") from None
    if not fields or "text" not in [f.strip().lower() for f in fields]:
        raise InputError(f"{path}:1: CSV has no 'text' column")
    keys = [f.strip().lower() for f in fields]
    offset = 1  # physical lines consumed before the current reader started
    reader = csv.reader(lines, strict=True)
    row_no = 0
    while True:
        start = offset + reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            end = offset + reader.line_num
            if "end of data" in str(err):
                reason = "a quoted field opened on this line is never closed"
            elif end > start:
                reason = (f"a quoted field opened on this line runs on to line "
                          f"{end}: {err}")
            else:
                reason = str(err)
            yield InputError(f"{path}:{start}: bad CSV: {reason}")
            offset = start  # go on from the line after the bad row's start
            reader = csv.reader(_text_lines(src, skip=offset), strict=True)
            continue
        if not row:
            continue
        row_no += 1
        rec = dict(zip(keys, row, strict=False))
        where = f"{path}:{start}"
        yield _guard(_from_mapping, rec, where, f"{src.rel}#{row_no}",
                     src.month_first)


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Silence libraries that log parse errors of the input we report ourselves."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _trafilatura() -> Any:
    try:
        import trafilatura
    except ImportError as err:  # e.g. lxml.html.clean split out of lxml
        raise MissingDependencyError(
            f"cannot read HTML: {missing_module_message(err)}") from err
    return trafilatura


def _read_html(src: _Source) -> Iterator[Article | InputError]:
    trafilatura = _trafilatura()
    where = src.where
    html = decode_bytes(_read_bytes(src.path), where, encoding=src.encoding)
    if not html.strip():
        raise InputError(f"{where}: empty file")
    try:
        with _quiet("trafilatura", "htmldate", "courlan"):
            doc = trafilatura.bare_extraction(html, with_metadata=True,
                                              include_comments=False)
    except ImportError as err:
        raise MissingDependencyError(
            f"cannot read HTML: {missing_module_message(err)}") from err
    except Exception as err:  # trafilatura raises assorted lxml errors
        raise InputError(f"{where}: cannot parse HTML ({err})") from None
    if doc is None:
        raise InputError(f"{where}: no article text found in HTML")
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = (data.get("text") or "").strip()
    if not text:
        raise InputError(f"{where}: no article text found in HTML")
    return iter([Article(
        id=src.rel,
        text=text,
        date=_lenient_date(data.get("date")),
        title=data.get("title") or None,
        source=clean_source(data.get("url"), where) or src.rel,
        origin=where,
    )])


def _lenient_date(value: Any) -> dt.date | None:
    try:
        return parse_date(value, "")
    except InputError:
        return None


def _read_txt(src: _Source) -> Iterator[Article | InputError]:
    where = src.where
    text = decode_bytes(_read_bytes(src.path), where, encoding=src.encoding)
    yield read_text_article(text, where, default_id=src.rel, source=src.rel,
                            month_first=src.month_first)


_READERS: dict[str, Callable[[_Source], Iterator[Article | InputError]]] = {
    "txt": _read_txt, "jsonl": _read_jsonl, "csv": _read_csv, "html": _read_html,
}


def iter_sources(
    paths: Iterable[str | os.PathLike[str]],
) -> Iterator[tuple[Path, Path]]:
    """Expand files and directories into ``(root, file)`` pairs.

    The root is the directory named on the command line (or a named file's
    own directory): ids and sources are paths relative to it. Directories are
    recursed in sorted order, skipping hidden names and unknown file types; a
    missing path or an explicitly named file of an unknown type raises
    ``InputError``.
    """
    for raw in paths:
        if not os.fspath(raw).strip():
            raise InputError("cannot read '': empty path")
        path = Path(raw)
        try:
            is_dir, is_file, exists = path.is_dir(), path.is_file(), path.exists()
        except (OSError, ValueError) as err:  # name too long, NUL byte...
            reason = getattr(err, "strerror", None) or err
            raise InputError(f"cannot read '{path}': {reason}") from None
        if is_dir:
            found = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.suffix.lower() in SUFFIXES
                           and not any(part.startswith(".") for part in
                                       p.relative_to(path).parts))
            if not found:
                log.warning("%s: no .txt/.jsonl/.csv/.html files found", path)
            for p in found:
                yield path, p
        elif is_file:
            if path.suffix.lower() not in SUFFIXES:
                raise InputError(
                    f"cannot read '{path}': unknown file type "
                    f"(expected one of {', '.join(sorted(SUFFIXES))})")
            yield path.parent, path
        elif exists:
            raise InputError(f"cannot read '{path}': not a regular file")
        else:
            raise InputError(f"cannot read '{path}': no such file or directory")


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Expand files and directories (recursively, sorted) into readable files.

    A missing path or an explicitly named file of an unknown type raises
    ``InputError``; files of unknown type inside directories are skipped.
    """
    for _, path in iter_sources(paths):
        yield path


def count_articles(paths: Iterable[str | os.PathLike[str]]) -> int:
    """About how many articles ``read_articles(paths)`` yields, read cheaply.

    For a progress bar's total: one per text or HTML file (nothing is
    extracted), the non-blank lines of JSONL, the rows of CSV. Bad records
    are counted too.
    """
    total = 0
    for _, path in iter_sources(paths):
        kind = SUFFIXES[path.suffix.lower()]
        if kind in ("txt", "html"):
            total += 1
            continue
        try:
            with open(path, "rb") as fh:
                if kind == "jsonl":
                    total += sum(1 for line in fh if line.strip())
                else:
                    lines = (b.decode("utf-8", "replace") for b in fh)
                    total += max(sum(1 for _ in csv.reader(lines)) - 1, 0)
        except (OSError, csv.Error):
            continue  # read_articles reports it
    return total


def read_articles(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    skip_bad: bool = False,
    encoding: str | None = None,
    month_first: bool = False,
) -> Iterator[Article]:
    """Stream articles from files and directories.

    Parameters
    ----------
    paths
        Files or directories (recursed).
    skip_bad
        Log and skip bad records instead of raising ``InputError``.
    encoding
        Decode every file with this codec instead of detecting it.
    month_first
        Read all-numeric dates (``06/07/2023``) month first; default day first.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.jsonl").write_text('{"id": "x", "text": "Kyiv"}\\n'
    ...                                '{"text": "Lviv"}\\n')
    >>> [a.id for a in read_articles([d])]
    ['x', 'a.jsonl#2']
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if encoding:
        encoding = check_encoding(encoding)
    derived: dict[str, str] = {}  # ids made from paths -> where they came from
    for root, path in iter_sources(paths):
        src = _Source(path, path.relative_to(root).as_posix(), encoding, month_first)
        reader = _READERS[SUFFIXES[path.suffix.lower()]]
        try:
            for item in reader(src):
                if isinstance(item, Article) and item.id.startswith(src.rel):
                    item = _unique(item, derived)
                if isinstance(item, InputError):
                    if not skip_bad:
                        raise item
                    log.warning("skipped: %s", item)
                    continue
                yield item
        except InputError as err:
            if not skip_bad:
                raise
            log.warning("skipped: %s", err)


def _unique(article: Article, derived: dict[str, str]) -> Article | InputError:
    """The article, or an error if another file already gave its path-made id."""
    first = derived.setdefault(article.id, article.origin or "")
    if first != (article.origin or ""):
        return InputError(f"{article.origin}: id {article.id!r} is also the id of "
                          f"{first} (same path under two inputs); give one an id "
                          "('Id:' header or id field)")
    return article
