"""Casualty counts from text: "at least 12", "twelve", "a dozen", "1,200", "dozens".

Number words go through ``text2num`` (a maintained library); this module only
adds the newsroom idioms around it (qualifiers, dozens, vague amounts, ranges)
and refuses anything that is not a plausible count of people.

Range convention: "10 to 15" / "10-15" / "10 or 15" give the *lower* bound with
qualifier ``at_least`` (the figure an analyst can vouch for).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from text_to_num import text2num

from geomap.models import Qualifier

__all__ = ["MAX_COUNT", "VAGUE_WORDS", "Count", "parse_count"]

log = logging.getLogger(__name__)


MAX_COUNT = 10_000_000
"""Figures above this are rejected as implausible casualty counts."""

VAGUE_WORDS: frozenset[str] = frozenset({
    "dozens", "scores", "hundreds", "thousands", "tens of thousands",
    "hundreds of thousands", "millions", "several", "many", "numerous",
    "multiple", "a number", "countless", "a handful", "a few", "few",
})
"""Amounts with no number: value ``None``, qualifier ``approx``."""


@dataclass(frozen=True, slots=True)
class Count:
    """A parsed casualty count.

    ``value`` is a non-negative number of people, or ``None`` for a vague amount
    ("dozens"); ``qualifier`` is ``exact``, ``at_least`` or ``approx``.
    """

    value: int | None
    qualifier: Qualifier


_AT_LEAST = (
    "at least", "more than", "over", "upwards of", "in excess of", "no fewer than",
    "no less than", "not less than", "a minimum of", "at a minimum",
    "well over", "more then", "above",
)
_APPROX = (
    "about", "around", "nearly", "almost", "some", "roughly", "approximately",
    "close to", "up to", "an estimated", "estimated", "as many as", "perhaps",
    "possibly", "approx.", "approx", "circa", "almost", "just under", "just over",
    "fewer than", "less than", "under", "as few as", "maybe",
)
_PREFIXES = sorted(
    [(p, "at_least") for p in _AT_LEAST] + [(p, "approx") for p in _APPROX],
    key=lambda pq: -len(pq[0]),
)
_SUFFIX_AT_LEAST = ("or more", "and more", "plus", "+", "or so")
_DIGITS = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000,
           "billion": 1_000_000_000}
_IDIOMS = {
    "a dozen": 12, "dozen": 12, "half a dozen": 6, "a half dozen": 6,
    "a score": 20, "a couple": 2, "a couple of": 2, "a pair": 2,
    "a hundred": 100, "a thousand": 1_000, "a million": 1_000_000,
    "a single": 1, "single": 1, "a": 1, "an": 1, "lone": 1,
    "none": 0, "no": 0, "nobody": 0, "no one": 0,
}
_RANGE = re.compile(r"^(.+?)\s*(?:\bto\b|\bor\b|-|/|\band\b)\s*(.+)$")


def _normalise(text: str) -> str:
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2212", "-")
    text = text.replace("\u00a0", " ").replace("\u2019", "'")
    text = re.sub(r"\s+", " ", text).strip().lower()
    return text.strip(" .;:,()\"'")


def _exact(text: str) -> int | None:
    """Value of a plain number phrase, or None."""
    text = text.strip()
    if not text:
        return None
    if text in _IDIOMS:
        return _IDIOMS[text]
    if _DIGITS.match(text):
        if "." in text:
            return None  # "1.5" people is not a count
        return int(text.replace(",", ""))
    # "1.5 million", "3 thousand", "12 dozen"
    m = re.match(r"^(\d+(?:\.\d+)?|(?:\d{1,3}(?:,\d{3})+))\s+(hundred|thousand|million|"
                 r"billion|dozen)$", text)
    if m:
        base = float(m.group(1).replace(",", ""))
        scale = 12 if m.group(2) == "dozen" else _SCALES[m.group(2)]
        value = base * scale
        return int(value) if value.is_integer() else None
    # "two dozen", "a dozen", "three dozen"
    m = re.match(r"^(.+?)\s+dozen$", text)
    if m:
        inner = _exact(m.group(1))
        return None if inner is None else inner * 12
    if not re.fullmatch(r"[a-z][a-z \-]*", text):
        return None
    words = text.replace("-", " ")
    if words.startswith(("a ", "an ")):
        words = "one " + words.split(" ", 1)[1]
    try:
        return int(text2num(words, "en"))
    except (ValueError, TypeError, AssertionError, IndexError, KeyError):
        return None


def _core(text: str) -> Count | None:
    """Count of a phrase without leading qualifiers."""
    if text in VAGUE_WORDS or re.fullmatch(
            r"(?:tens of |hundreds of )?(?:dozens|scores|hundreds|thousands|millions)",
            text):
        return Count(None, "approx")
    for suffix in _SUFFIX_AT_LEAST:
        if text.endswith(suffix) and text != suffix:
            inner = _exact(text[: -len(suffix)].strip())
            if inner is not None:
                return Count(inner, "at_least" if suffix != "or so" else "approx")
    value = _exact(text)
    if value is not None:
        return Count(value, "exact")
    m = _RANGE.match(text)
    if m:
        low, high = _exact(m.group(1)), _exact(m.group(2))
        if low is not None and high is not None and low <= high:
            return Count(low, "at_least")
    return None


def parse_count(text: str) -> Count | None:
    """Parse a casualty count phrase; ``None`` when it is not one.

    Qualifiers: "at least/more than/over N" -> ``at_least``; "about/nearly/
    some/around/almost/roughly/up to N" -> ``approx``. Vague amounts ("dozens",
    "hundreds") give ``value=None`` with ``approx``. Ranges give the lower bound,
    ``at_least``. Figures above ten million, exponent notation and negative
    numbers are rejected. Never raises.

    Examples
    --------
    >>> parse_count("at least 12")
    Count(value=12, qualifier='at_least')
    >>> parse_count("twenty-three")
    Count(value=23, qualifier='exact')
    >>> parse_count("two dozen")
    Count(value=24, qualifier='exact')
    >>> parse_count("about 1,200")
    Count(value=1200, qualifier='approx')
    >>> parse_count("dozens")
    Count(value=None, qualifier='approx')
    >>> parse_count("10 to 15")
    Count(value=10, qualifier='at_least')
    >>> parse_count("1e9") is None, parse_count("") is None
    (True, True)
    """
    return _parse(text)


def _parse(text: str) -> Count | None:
    if not isinstance(text, str) or len(text) > 200:
        return None
    norm = _normalise(text)
    if not norm or norm.startswith("-"):
        return None
    qualifier: Qualifier | None = None
    changed = True
    while changed:  # "at least some", "well over"
        changed = False
        for prefix, q in _PREFIXES:
            if norm.startswith(prefix + " ") and len(norm) > len(prefix) + 1:
                norm = norm[len(prefix) + 1:].strip()
                qualifier = qualifier or q  # type: ignore[assignment]
                changed = True
                break
    norm = re.sub(r"\s+(?:of|others?|more|people|persons)$", "", norm)
    count = _core(norm)
    if count is None:
        return None
    if count.value is not None and not 0 <= count.value <= MAX_COUNT:
        return None
    if qualifier is not None and count.value is not None:
        return Count(count.value, qualifier)
    return count
