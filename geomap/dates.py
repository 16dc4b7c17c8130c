"""Event dates from news text, resolved against the article's date.

Conventions (those of the incident gold data):

- a weekday is the latest such day *not after* the article date, so "on
  Thursday" in a Thursday story is the article date itself;
- "yesterday" and "last night" are the day before the article date;
- "today", "tonight", "this morning", "overnight" are the article date;
- explicit dates ("on March 29", "29 March 2022") go through ``dateparser``
  with the article date as base, preferring the past;
- a result after the article date is never returned; without an article date
  only explicit dates with a year resolve.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass

__all__ = [
    "DateExpression",
    "event_date",
    "find_date_expressions",
    "resolve_relative_date",
]

log = logging.getLogger(__name__)

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
             "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_MONTH_RE = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|"
             r"july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|"
             r"dec(?:ember)?)\.?")
_PART_OF_DAY = r"(?:morning|afternoon|evening|night|midday|noon)"
_HOLIDAYS = {
    "new year's day": (1, 1), "new year's eve": (12, 31), "christmas day": (12, 25),
    "christmas eve": (12, 24), "christmas": (12, 25), "new year": (1, 1),
}
_BACK_ONE = {"yesterday", "last night", "the previous day", "the day before",
             "the previous night"}
_SAME_DAY = {"today", "tonight", "this morning", "this afternoon", "this evening",
             "overnight", "earlier today", "later today", "early today"}

_EXPRESSION = re.compile(
    r"(?ix)\b(?:"
    # explicit: "29 March 2022", "March 29", "March 29, 2022"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_RE}(?:,?\s+\d{{4}})?"
    rf"|{_MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"
    r"|\d{4}-\d{2}-\d{2}"
    # holidays
    r"|new\s+year(?:'|\u2019)s\s+(?:day|eve)|christmas\s+(?:day|eve)"
    # weekdays, optionally possessive or with a part of day
    rf"|(?:last\s+)?(?:{'|'.join(_WEEKDAYS)})(?:(?:'|\u2019)s)?"
    rf"(?:\s+{_PART_OF_DAY})?"
    # relative words
    r"|yesterday|last\s+night|overnight|tonight|today"
    rf"|this\s+(?:morning|afternoon|evening)"
    r"|the\s+(?:previous|day\s+before)(?:\s+(?:day|night))?"
    r"|\d+\s+days?\s+ago|(?:one|two|three|four|five|six)\s+days?\s+ago"
    r")\b"
)


@dataclass(frozen=True, slots=True)
class DateExpression:
    """A date phrase found in text: character span and surface form."""

    start: int
    end: int
    text: str


def find_date_expressions(text: str) -> list[DateExpression]:
    """Date phrases in ``text`` (weekdays, "yesterday", explicit dates), in order.

    Examples
    --------
    >>> [e.text for e in find_date_expressions("Shells fell late on Tuesday.")]
    ['Tuesday']
    >>> [e.text for e in find_date_expressions("Monday's blast; 4 March 2022")]
    ["Monday's", '4 March 2022']
    """
    if not text:
        return []
    return [DateExpression(m.start(), m.end(), m.group(0))
            for m in _EXPRESSION.finditer(text)]


def _latest_weekday(weekday: int, article_date: dt.date, *, strict: bool) -> dt.date:
    delta = (article_date.weekday() - weekday) % 7
    if delta == 0 and strict:
        delta = 7
    return article_date - dt.timedelta(days=delta)


def _latest_month_day(month: int, day: int, article_date: dt.date) -> dt.date | None:
    for year in (article_date.year, article_date.year - 1):
        try:
            cand = dt.date(year, month, day)
        except ValueError:
            continue
        if cand <= article_date:
            return cand
    return None


def _explicit(expr: str, article_date: dt.date | None) -> dt.date | None:
    has_year = re.search(r"\b\d{4}\b", expr) is not None
    if article_date is None and not has_year:
        return None
    try:
        import dateparser
    except ImportError:  # pragma: no cover - declared dependency
        log.warning("dateparser is not installed; explicit dates are ignored")
        return None
    settings = {
        "PREFER_DATES_FROM": "past",
        "REQUIRE_PARTS": ["day", "month"],
        "RETURN_AS_TIMEZONE_AWARE": False,
        "STRICT_PARSING": False,
    }
    if article_date is not None:
        settings["RELATIVE_BASE"] = dt.datetime.combine(article_date, dt.time(12))
    try:
        parsed = dateparser.parse(expr, languages=["en"], settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input
        log.debug("dateparser failed on %r", expr, exc_info=True)
        return None
    return None if parsed is None else parsed.date()


@functools.lru_cache(maxsize=4096)  # pure; dateparser takes ~2 ms a phrase
def resolve_relative_date(expression: str, article_date: dt.date | None
                          ) -> dt.date | None:
    """Resolve one date phrase against the article date; never a later date.

    Parameters
    ----------
    expression
        A phrase such as "on Tuesday", "Friday's", "yesterday", "last night",
        "March 29" or "29 March 2022".
    article_date
        Publication date of the article, the anchor for relative phrases.
        ``None`` resolves explicit dates with a year only.

    Returns
    -------
    datetime.date or None
        ``None`` when the phrase is not a date or cannot be resolved.

    Examples
    --------
    >>> wed = dt.date(2022, 3, 30)
    >>> resolve_relative_date("on Tuesday", wed)
    datetime.date(2022, 3, 29)
    >>> resolve_relative_date("Wednesday night", wed)
    datetime.date(2022, 3, 30)
    >>> resolve_relative_date("yesterday", wed), resolve_relative_date("May 2", wed)
    (datetime.date(2022, 3, 29), datetime.date(2021, 5, 2))
    >>> resolve_relative_date("Tuesday", None) is None
    True
    """
    try:
        result = _resolve(expression, article_date)
    except OverflowError:  # "yesterday" of 1 January of year 1, "9999 days ago"
        log.debug("date out of range: %r from %s", expression, article_date)
        return None
    if result is None or (article_date is not None and result > article_date):
        return None
    return result


def _resolve(expression: str, article_date: dt.date | None) -> dt.date | None:
    if not isinstance(expression, str):
        return None
    expr = re.sub(r"\s+", " ", expression.replace("\u2019", "'")).strip().lower()
    previous = None
    while previous != expr:  # "late on", "early on", "before dawn on"
        previous = expr
        expr = re.sub(r"^(?:on|late|early|in the early hours of|before dawn|by|"
                      r"since|from|until|at)\s+", "", expr).strip(" .,;")
    if not expr or len(expr) > 60:
        return None
    if article_date is not None:
        if expr in _BACK_ONE:
            return article_date - dt.timedelta(days=1)
        if expr in _SAME_DAY:
            return article_date
        m = re.fullmatch(r"(\d+|one|two|three|four|five|six) days? ago", expr)
        if m:
            words = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
            n = words.get(m.group(1)) or int(m.group(1))
            return article_date - dt.timedelta(days=n)
        m = re.fullmatch(rf"(last )?({'|'.join(_WEEKDAYS)})(?:'s)?(?: {_PART_OF_DAY})?",
                         expr)
        if m:
            return _latest_weekday(_WEEKDAYS.index(m.group(2)), article_date,
                                   strict=m.group(1) is not None)
        for name, (month, day) in _HOLIDAYS.items():
            if expr == name or expr == name + "'s":
                return _latest_month_day(month, day, article_date)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", expr):
        try:
            return dt.date.fromisoformat(expr)
        except ValueError:
            return None
    if not re.search(r"\d", expr) or not re.search(_MONTH_RE, expr):
        return None  # only day+month phrases go to dateparser
    return _explicit(expr, article_date)


def event_date(sentence_text: str, article_date: dt.date | None) -> dt.date | None:
    """Date of the event a sentence reports, or ``None``.

    Date phrases attached to a reporting verb ("officials said on Monday") are
    skipped: the day something was *said* is not the day it happened.

    Examples
    --------
    >>> sat = dt.date(2022, 7, 10)
    >>> event_date("Rockets hit the town late on Saturday, officials said on Sunday.",
    ...            sat)
    datetime.date(2022, 7, 9)
    >>> event_date("The mayor said on Sunday that the toll was 12.", sat) is None
    True
    """
    if not sentence_text:
        return None
    for expr in find_date_expressions(sentence_text):
        if is_reporting_context(sentence_text, expr):
            continue
        resolved = resolve_relative_date(expr.text, article_date)
        if resolved is not None:
            return resolved
    return None


_REPORTING = re.compile(
    r"(?i)\b(?:said|says|say|told|announced|reported|confirmed|added|stated|"
    r"raised|revised|updated|rose|risen|climbed|stood|stands|reached|passed|"
    r"declared|tweeted|wrote)\s+(?:(?:[\w,]+\s+){0,3}?(?:on|late on|early on)\s*)?$"
)


def is_reporting_context(text: str, expr: DateExpression) -> bool:
    """Whether a date phrase dates a statement ("said on Monday"), not an event."""
    before = text[max(0, expr.start - 40):expr.start]
    after = text[expr.end:expr.end + 30]
    if _REPORTING.search(before):
        return True
    return re.match(r"(?i)\s*(?:,\s*)?(?:that|said|announced|told|raised|revised)\b",
                    after) is not None
