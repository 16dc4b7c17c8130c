"""Decoding input bytes: BOMs, UTF-8, UTF-16, detected legacy encodings, or forced.

Detection uses charset-normalizer with the web's common legacy code pages
first. A guess is *low confidence* when another likely encoding would read the
bytes as a different text and the decoded text does not clearly read as a
language; then a warning names the guess, and ``--encoding ENC`` (the
``encoding`` argument) forces a codec instead.
"""

from __future__ import annotations

import codecs
import logging

from geomap.errors import InputError

__all__ = [
    "check_encoding",
    "clean_text",
    "decode_bytes",
    "detect_encoding",
    "guess_encoding",
    "warn_guess",
]

# Messages name the input file, as ingest's do.
log = logging.getLogger("geomap.ingest")


def check_encoding(name: str) -> str:
    """The canonical name of a Python codec, or ``InputError``.

    >>> check_encoding("CP1251"), check_encoding("latin-1")
    ('cp1251', 'iso8859-1')
    """
    try:
        return codecs.lookup(name).name
    except (LookupError, TypeError, ValueError):
        raise InputError(f"unknown encoding {name!r} (use a Python codec name such "
                         "as cp1251, latin-1 or utf-8)") from None


def _decode_forced(data: bytes, encoding: str, where: str) -> str:
    name = check_encoding(encoding)
    if name == "utf-8":
        data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode(name)
    except UnicodeDecodeError as err:
        raise InputError(f"{where}: cannot decode as {name} (byte {err.start}: "
                         f"{err.reason})") from None


def decode_bytes(data: bytes, where: str, *, encoding: str | None = None,
                 warn: bool = True) -> str:
    """Decode file bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else detect.

    ``encoding`` forces a codec instead. A detected encoding that is a
    low-confidence guess (another likely encoding reads the bytes as a
    different text) is logged as a warning naming the guess, unless ``warn``
    is false. Binary data
    (NUL bytes that are not UTF-16, undecodable bytes) raises ``InputError``.
    CRLF and CR line ends become LF.

    >>> decode_bytes("Удар по Харькову: погибли 12 человек.".encode("cp1251"), "f")
    'Удар по Харькову: погибли 12 человек.'
    >>> decode_bytes(b"\\xef\\xbb\\xbfKyiv\\r\\n", "f")
    'Kyiv\\n'
    >>> decode_bytes("Łódź".encode("cp1250"), "f", encoding="cp1250")
    'Łódź'
    """
    if encoding:
        return clean_text(_decode_forced(data, encoding, where), where)
    return _decode(data, where, warn=warn)


def _decode(data: bytes, where: str, *, warn: bool) -> str:
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
            text = _detect(data, where, warn=warn)
    return clean_text(text, where)


def clean_text(text: str, where: str) -> str:
    """Reject NUL bytes (binary data); CRLF and CR line ends become LF.

    >>> clean_text("\\ufeffKyiv\\r\\nLviv", "f")
    'Kyiv\\nLviv'
    """
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
# charset-normalizer's coherence (0..1: how much the decoded text looks like a
# language) from which a guess is taken as sure even if look-alike code pages
# would read a few letters differently.
_COHERENT = 0.3


def detect_encoding(data: bytes, where: str) -> str:
    """The encoding of non-UTF-8 text (charset-normalizer, web encodings first).

    >>> detect_encoding("Une frappe à Kharkiv a tué douze personnes.".encode(
    ...     "latin-1"), "f")
    'cp1252'
    """
    return guess_encoding(data, where)[0]


def guess_encoding(data: bytes, where: str) -> tuple[str, list[str]]:
    """The detected encoding and the other likely ones that read ``data`` otherwise.

    An empty list means a confident guess: the text reads as a language, or
    every encoding about as likely gives the same text.

    >>> guess_encoding("Une frappe à Kharkiv a tué douze personnes.".encode(
    ...     "latin-1"), "f")[0]
    'cp1252'
    """
    from charset_normalizer import from_bytes

    head = data[: 1 << 20]
    matches = list(from_bytes(head))
    if not matches or matches[0].encoding is None:
        raise InputError(f"{where}: not a text file (unknown encoding or binary data)")
    best = matches[0]
    plausible = [m for m in matches if m.chaos <= best.chaos + _CHAOS_MARGIN]
    chosen, coherence = best.encoding, best.coherence
    for enc in _PREFERRED:
        fits = [m for m in plausible
                if enc in {codecs.lookup(c).name for c in m.could_be_from_charset}]
        if fits:
            chosen, coherence = enc, max(m.coherence for m in fits)
            break
    if coherence >= _COHERENT:  # the text reads as a language: a sure guess
        return chosen, []
    try:
        reading = head.decode(chosen, "replace")
    except LookupError:
        return chosen, []
    others: list[str] = []
    for m in plausible:
        enc = m.encoding
        if enc is None or codecs.lookup(enc).name == codecs.lookup(chosen).name:
            continue
        try:
            if head.decode(enc, "replace") != reading and enc not in others:
                others.append(enc)
        except LookupError:
            continue
    return chosen, others


def _detect(data: bytes, where: str, *, warn: bool) -> str:
    encoding, others = guess_encoding(data, where)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise InputError(f"{where}: not a text file (cannot decode as "
                         f"{encoding})") from None
    if warn and others:
        warn_guess(where, encoding, others)
    return text


def warn_guess(where: str, encoding: str, others: list[str]) -> None:
    """Log that ``where`` was decoded with a low-confidence guess."""
    log.warning("%s: encoding guessed as %s (low confidence; could also be %s); "
                "pass --encoding ENC if the text looks wrong", where, encoding,
                ", ".join(others[:3]))
