"""Name normalisation, the same at build and at query time, and romanisation variants.

``normalize`` folds the spelling differences that carry no meaning for a place
name (case, diacritics, apostrophes, hyphens, spacing, a leading "the");
``romanisation_variants`` generates the *extra* names that the build stores for
places romanised from Ukrainian, Russian and neighbouring languages (Kharkiv /
Kharkov, Chernihiv / Chernigov, Kryvyi / Kryvyy), so that queries need no
guessing.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["is_latin", "normalize", "romanisation_variants"]

# Apostrophe-like marks are dropped: "Bil'horod", "Bil\u02bchorod" and "Bilhorod"
# meet.  Escapes keep the look-alike characters visible.
_APOSTROPHES = "'`\u2019\u2018\u02bc\u02bb\u00b4\u02b9\u02bd\u2032\uff07"
# Hyphens, dashes and other separators become spaces: "Ivano-Frankivsk".
_DASHES = "-_/\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_TRANSLATE = {ord(c): None for c in _APOSTROPHES} | {ord(c): " " for c in _DASHES}
_SPACES = re.compile(r"[\s.,;:]+")
# Letters that NFKD does not decompose but that have an obvious base letter.
_FOLD = str.maketrans(
    {
        "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "\u0131": "i",
        "ŧ": "t", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th",
    }
)  # fmt: skip


@functools.lru_cache(maxsize=1 << 18)
def normalize(name: str) -> str:
    """Return the lookup key of a place name.

    NFKC, casefold, strip diacritics (Latin, Cyrillic keeps й/ї letters intact
    apart from their marks), drop apostrophes, turn hyphens and dashes into
    spaces, collapse whitespace and drop a leading "the ".

    Examples
    --------
    >>> normalize("Kryvyi  Rih")
    'kryvyi rih'
    >>> normalize("  The Hague ")
    'hague'
    >>> normalize("Bil\u02bchorod-Dnistrovskyi")
    'bilhorod dnistrovskyi'
    >>> normalize("Zürich"), normalize("МИКОЛАЇВ") == normalize("Миколаїв")
    ('zurich', True)
    >>> normalize("")
    ''
    """
    text = unicodedata.normalize("NFKC", name).casefold().translate(_TRANSLATE)
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = unicodedata.normalize("NFC", text).translate(_FOLD)
    text = _SPACES.sub(" ", text).strip()
    if text.startswith("the ") and len(text) > 4:
        text = text[4:]
    return text


_LATIN = re.compile(r"^[a-z ]+$")


def is_latin(norm: str) -> bool:
    """Whether a normalised name is plain Latin letters and spaces.

    >>> is_latin("kharkiv"), is_latin("харків"), is_latin("qie er 2")
    (True, False, False)
    """
    return bool(_LATIN.match(norm))


# Word-final adjective endings of Ukrainian/Russian names: -yi, -yy, -iy, -ij, -y.
_ADJ_END = re.compile(r"(?<=[a-z])(yi|yy|iy|ij|yj|ii|y)\b")
_ADJ_FORMS = ("yi", "yy", "iy", "y")
# Word-final -ia / -iya / -ya (Zaporizhzhia / Zaporizhzhya).
_IA_END = re.compile(r"(?<=[a-z])(iya|ia|ya)\b")
_IA_FORMS = ("ia", "iya", "ya")
# Ukrainian h for Russian g, except inside the digraphs kh, zh, ch, sh.
_H = re.compile(r"(?<![kzcs])h")
_G = re.compile(r"g")
# -iv / -ov endings (Kharkiv / Kharkov, Lviv / Lvov).
_IV = re.compile(r"(?<=[a-z])iv\b")
_OV = re.compile(r"(?<=[a-z])ov\b")


def _adjective_forms(norm: str) -> set[str]:
    if not _ADJ_END.search(norm):
        return {norm}
    return {_ADJ_END.sub(form, norm) for form in _ADJ_FORMS}


def romanisation_variants(names: Iterable[str], limit: int = 24) -> set[str]:
    """Generate common romanisation variants of normalised Latin names.

    Only for names romanised from Ukrainian, Russian, Belarusian and the like:
    h/g, -iv/-ov endings, -yi/-yy/-iy/-y and -ia/-iya/-ya endings.  The input
    names themselves are not part of the result.

    Examples
    --------
    >>> sorted(romanisation_variants(["kharkiv"]))
    ['kharkov']
    >>> "chernigov" in romanisation_variants(["chernihiv"])
    True
    >>> "kryvyy rih" in romanisation_variants(["kryvyi rih"])
    True
    >>> romanisation_variants(["москва"])
    set()
    """
    given = {n for n in names if is_latin(n)}
    out: set[str] = set()
    for name in given:
        stems = {name}
        if _IV.search(name):
            stems.add(_IV.sub("ov", name))
        if _OV.search(name):
            stems.add(_OV.sub("iv", name))
        for stem in list(stems):
            if _H.search(stem):
                stems.add(_H.sub("g", stem))
            if "g" in stem:
                stems.add(_G.sub("h", stem))
        forms: set[str] = set()
        for stem in stems:
            for adj in _adjective_forms(stem):
                forms.add(adj)
                if _IA_END.search(adj):
                    forms.update(_IA_END.sub(f, adj) for f in _IA_FORMS)
        forms -= given
        out.update(sorted(forms, key=len)[:limit])
    return out
