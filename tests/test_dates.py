import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geomap.dates import event_date, find_date_expressions, resolve_relative_date

WED = dt.date(2022, 3, 30)  # a Wednesday


@pytest.mark.parametrize(("expr", "expected"), [
    ("on Tuesday", dt.date(2022, 3, 29)),
    ("Tuesday", dt.date(2022, 3, 29)),
    ("Sunday's", dt.date(2022, 3, 27)),
    ("late on Monday", dt.date(2022, 3, 28)),
    ("Thursday night", dt.date(2022, 3, 24)),
    ("on Wednesday", WED),            # same weekday: the article's own day
    ("last Wednesday", dt.date(2022, 3, 23)),
    ("yesterday", dt.date(2022, 3, 29)),
    ("last night", dt.date(2022, 3, 29)),
    ("overnight", WED),
    ("today", WED),
    ("this morning", WED),
    ("two days ago", dt.date(2022, 3, 28)),
    ("on March 29", dt.date(2022, 3, 29)),
    ("29 March 2022", dt.date(2022, 3, 29)),
    ("April 2", dt.date(2021, 4, 2)),    # never after the article date
    ("New Year's Day", dt.date(2022, 1, 1)),
])
def test_resolve(expr, expected):
    assert resolve_relative_date(expr, WED) == expected


@pytest.mark.parametrize("expr", ["soon", "next week", "in February", "",
                                  "31 April 2022", "tomorrow"])
def test_unresolvable(expr):
    assert resolve_relative_date(expr, WED) is None


def test_explicit_date_after_article_is_refused():
    assert resolve_relative_date("4 April 2022", WED) is None


def test_without_article_date_only_full_dates():
    assert resolve_relative_date("Tuesday", None) is None
    assert resolve_relative_date("yesterday", None) is None
    assert resolve_relative_date("March 29", None) is None
    assert resolve_relative_date("29 March 2022", None) == dt.date(2022, 3, 29)


def test_event_date_skips_reporting_dates():
    text = "Officials said on Wednesday that Monday's flood had swept away a bridge."
    assert event_date(text, WED) == dt.date(2022, 3, 28)
    assert event_date("The governor said on Tuesday the town was calm.", WED) is None
    assert event_date("A convoy was ambushed late on Sunday, police said on "
                      "Monday.", WED) == dt.date(2022, 3, 27)


def test_find_date_expressions_offsets():
    text = "Shelling on Friday night; talks on 2 May."
    found = find_date_expressions(text)
    assert [text[e.start:e.end] for e in found] == ["Friday night", "2 May"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.dates(min_value=dt.date(1990, 1, 1),
                                      max_value=dt.date(2030, 12, 31)))
def test_never_after_article_date(expr, article_date):
    result = resolve_relative_date(expr, article_date)
    assert result is None or result <= article_date


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                        "Saturday", "Sunday", "yesterday", "last night",
                        "March 3", "14 October"]),
       st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_relative_dates_within_a_year_before(expr, article_date):
    result = resolve_relative_date(expr, article_date)
    assert result is not None
    assert article_date - dt.timedelta(days=366) <= result <= article_date


@pytest.mark.parametrize(("expr", "article_date"), [
    ("yesterday", dt.date.min),
    ("Tuesday", dt.date.min),
    ("999999999 days ago", dt.date(2022, 3, 30)),
])
def test_dates_out_of_range_are_none(expr, article_date):
    assert resolve_relative_date(expr, article_date) is None


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\A(?:\d{1,12} days? ago|yesterday|last \w+day|\d{1,2} "
                     r"(?:May|March) \d{4})\Z"), st.dates())
def test_any_article_date_never_raises(expr, article_date):
    result = resolve_relative_date(expr, article_date)
    assert result is None or result <= article_date
