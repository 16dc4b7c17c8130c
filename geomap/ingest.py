"""Ingest: files and directories -> a stream of ``Article`` records.

Supported inputs: ``.txt`` (one article; optional ``date YYYY-MM-DD`` first line
or ``Date:``/``Title:``/``Source:`` header lines), ``.jsonl``/``.ndjson`` (one
JSON object per line), ``.csv`` (one article per row), ``.html``/``.htm`` (main
text extracted with trafilatura). Every bad record raises ``InputError`` naming
the file and line; with ``skip_bad=True`` it is logged and skipped instead.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from geomap.errors import InputError
from geomap.models import Article

__all__ = [
    "SUFFIXES",
    "article_id",
    "decode_bytes",
    "detect_encoding",
    "iter_files",
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
    """A stable id for an article without one: a hash of its text.

    >>> article_id("Kyiv")
    'a-daccd738d5f7327d'
    """
    return "a-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def parse_date(value: Any, where: str) -> dt.date | None:
    """Parse an article date (ISO ``YYYY-MM-DD``, or an ISO timestamp).

    >>> parse_date("2022-03-30", "x")
    datetime.date(2022, 3, 30)
    >>> parse_date("2022-03-30T08:15:00Z", "x")
    datetime.date(2022, 3, 30)
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
        raise InputError(f"{where}: bad date {value!r}: expected YYYY-MM-DD")
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
        raise InputError(
            f"{where}: bad date {value[:40]!r}: expected YYYY-MM-DD"
        ) from None


def decode_bytes(data: bytes, where: str) -> str:
    """Decode file bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else detect.

    Binary data (NUL bytes that are not UTF-16, undecodable bytes) raises
    ``InputError``. CRLF and CR line ends become LF.

    >>> decode_bytes("Удар по Харькову: погибли 12 человек.".encode("cp1251"), "f")
    'Удар по Харькову: погибли 12 человек.'
    >>> decode_bytes(b"\\xef\\xbb\\xbfKyiv\\r\\n", "f")
    'Kyiv\\n'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text: str | None = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"{where}: not valid UTF-16 text") from None
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _detect(data, where)
    return _clean_text(text, where)


def _clean_text(text: str, where: str) -> str:
    if "\x00" in text:
        raise InputError(f"{where}: looks like a binary file (NUL bytes), not text")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.lstrip("\ufeff")


# Legacy encodings most used on the web, in order. On short texts
# charset-normalizer often ranks a look-alike first (mac_cyrillic for cp1251,
# cp1257 or cp1250 for Latin-1) although these decode just as cleanly.
_PREFERRED = ("cp1252", "cp1251", "cp1250", "gb18030", "shift_jis", "cp1253",
              "euc_kr", "big5")
_CHAOS_MARGIN = 0.1


def detect_encoding(data: bytes, where: str) -> str:
    """The encoding of non-UTF-8 text (charset-normalizer, web encodings first).

    >>> detect_encoding("Une frappe à Kharkiv a tué douze personnes.".encode("latin-1"), "f")
    'cp1252'
    """
    import codecs

    from charset_normalizer import from_bytes

    matches = list(from_bytes(data[: 1 << 20]))
    if not matches or matches[0].encoding is None:
        raise InputError(f"{where}: not a text file (unknown encoding or binary data)")
    best = matches[0]
    plausible = [m for m in matches if m.chaos <= best.chaos + _CHAOS_MARGIN]
    for enc in _PREFERRED:
        for m in plausible:
            if enc in {codecs.lookup(c).name for c in m.could_be_from_charset}:
                return enc
    return best.encoding


def _detect(data: bytes, where: str) -> str:
    encoding = detect_encoding(data, where)
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise InputError(f"{where}: not a text file (cannot decode as "
                         f"{encoding})") from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"cannot read '{path}': no such file") from None
    except IsADirectoryError:
        raise InputError(f"cannot read '{path}': is a directory") from None
    except OSError as err:
        raise InputError(f"cannot read '{path}': {err.strerror or err}") from None


def read_text_article(text: str, where: str) -> Article:
    """One article from ``.txt`` content with its optional header.

    >>> a = read_text_article("date 2022-03-30 Missiles hit Mykolaiv.", "f.txt")
    >>> a.date, a.text
    (datetime.date(2022, 3, 30), 'Missiles hit Mykolaiv.')
    >>> read_text_article("Title: Strike\\nDate: 2022-03-29\\n\\nBody.", "f").title
    'Strike'
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
        id=meta.get("id") or article_id(body),
        text=body,
        date=parse_date(meta.get("date"), where),
        title=meta.get("title") or None,
        source=meta.get("source") or meta.get("url") or None,
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


def _from_mapping(rec: Any, where: str) -> Article:
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
    source = rec.get("url") or rec.get("source")
    return Article(
        id=str(rid) if rid not in (None, "") else article_id(text),
        text=text,
        date=parse_date(rec.get("date"), where),
        title=title if isinstance(title, str) and title else None,
        source=source if isinstance(source, str) and source else None,
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


def _iter_lines(path: Path) -> Iterator[tuple[int, str | InputError]]:
    """Stream decoded lines of a large file without reading it whole.

    The encoding is detected once from the first megabyte (per line only for
    lines that do not decode with it). A line that is not text (NUL bytes,
    undecodable) comes as its ``InputError``, so that the next lines can
    still be read.
    """
    import codecs

    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"cannot read '{path}': no such file") from None
    except OSError as err:
        raise InputError(f"cannot read '{path}': {err.strerror or err}") from None
    with fh:
        head = fh.read(1 << 20)
        fh.seek(0)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = decode_bytes(fh.read(), str(path))
            yield from enumerate(text.split("\n"), 1)
            return
        encoding: str | None = "utf-8"
        try:  # an incomplete character at the end of the head is fine
            codecs.getincrementaldecoder("utf-8")().decode(head.removeprefix(
                b"\xef\xbb\xbf"), final=False)
        except UnicodeDecodeError:
            try:
                encoding = detect_encoding(head, str(path))
            except InputError:
                encoding = None  # garbage at the start: decide line by line
        for n, raw in enumerate(fh, 1):
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            where = f"{path}:{n}"
            try:
                text = raw.decode(encoding) if encoding else None
            except UnicodeDecodeError:
                text = None
            line: str | InputError
            try:
                line = (decode_bytes(raw, where) if text is None
                        else _clean_text(text, where))
            except InputError as err:
                line = err
            yield n, line


def _read_jsonl(path: Path) -> Iterator[Article]:
    for n, line in _iter_lines(path):
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
        yield _guard(_from_mapping, rec, where)


def _text_lines(path: Path) -> Iterator[str]:
    for _, line in _iter_lines(path):
        if isinstance(line, InputError):
            raise line
        yield line + "\n"


def _read_csv(path: Path) -> Iterator[Article]:
    csv.field_size_limit(2**31 - 1)  # one article per cell can be huge
    reader = csv.DictReader(_text_lines(path))
    try:
        fields = reader.fieldnames
    except csv.Error as err:
        raise InputError(f"{path}:1: bad CSV header ({err})") from None
    if not fields or "text" not in [f.strip().lower() for f in fields]:
        raise InputError(f"{path}:1: CSV has no 'text' column")
    try:
        for row in reader:
            rec = {(k or "").strip().lower(): v for k, v in row.items()}
            yield _guard(_from_mapping, rec, f"{path}:{reader.line_num}")
    except csv.Error as err:
        raise InputError(f"{path}:{reader.line_num}: bad CSV ({err})") from None


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


def _read_html(path: Path) -> Iterator[Article]:
    import trafilatura

    where = str(path)
    html = decode_bytes(_read_bytes(path), where)
    if not html.strip():
        raise InputError(f"{where}: empty file")
    try:
        with _quiet("trafilatura", "htmldate", "courlan"):
            doc = trafilatura.bare_extraction(html, with_metadata=True,
                                              include_comments=False)
    except Exception as err:  # trafilatura raises assorted lxml errors
        raise InputError(f"{where}: cannot parse HTML ({err})") from None
    if doc is None:
        raise InputError(f"{where}: no article text found in HTML")
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = (data.get("text") or "").strip()
    if not text:
        raise InputError(f"{where}: no article text found in HTML")
    return iter([Article(
        id=article_id(text),
        text=text,
        date=_lenient_date(data.get("date")),
        title=data.get("title") or None,
        source=data.get("url") or None,
        origin=where,
    )])


def _lenient_date(value: Any) -> dt.date | None:
    try:
        return parse_date(value, "")
    except InputError:
        return None


def _read_txt(path: Path) -> Iterator[Article]:
    where = str(path)
    yield read_text_article(decode_bytes(_read_bytes(path), where), where)


_READERS: dict[str, Callable[[Path], Iterator[Article | InputError]]] = {
    "txt": _read_txt, "jsonl": _read_jsonl, "csv": _read_csv, "html": _read_html,
}


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Expand files and directories (recursively, sorted) into readable files.

    A missing path or an explicitly named file of an unknown type raises
    ``InputError``; files of unknown type inside directories are skipped.
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
            yield from found
        elif is_file:
            if path.suffix.lower() not in SUFFIXES:
                raise InputError(
                    f"cannot read '{path}': unknown file type "
                    f"(expected one of {', '.join(sorted(SUFFIXES))})")
            yield path
        elif exists:
            raise InputError(f"cannot read '{path}': not a regular file")
        else:
            raise InputError(f"cannot read '{path}': no such file or directory")


def read_articles(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    skip_bad: bool = False,
) -> Iterator[Article]:
    """Stream articles from files and directories.

    Parameters
    ----------
    paths
        Files or directories (recursed).
    skip_bad
        Log and skip bad records instead of raising ``InputError``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.jsonl").write_text('{"id": "x", "text": "Kyiv"}\\n')
    >>> [a.id for a in read_articles([d])]
    ['x']
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    for path in iter_files(paths):
        reader = _READERS[SUFFIXES[path.suffix.lower()]]
        try:
            for item in reader(path):
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
