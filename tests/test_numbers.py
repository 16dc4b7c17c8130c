import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geomap.numbers import MAX_COUNT, Count, parse_count


@pytest.mark.parametrize(("text", "expected"), [
    ("12", Count(12, "exact")),
    ("1,200", Count(1200, "exact")),
    ("twelve", Count(12, "exact")),
    ("Twenty-three", Count(23, "exact")),
    ("one hundred and five", Count(105, "exact")),
    ("a dozen", Count(12, "exact")),
    ("two dozen", Count(24, "exact")),
    ("half a dozen", Count(6, "exact")),
    ("2.5 million", Count(2_500_000, "exact")),
])
def test_plain_numbers(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("at least 40", Count(40, "at_least")),
    ("more than 1,000", Count(1000, "at_least")),
    ("over 300", Count(300, "at_least")),
    ("more than a dozen", Count(12, "at_least")),
    ("about 70", Count(70, "approx")),
    ("nearly 2,000", Count(2000, "approx")),
    ("some 15", Count(15, "approx")),
    ("around thirty", Count(30, "approx")),
    ("almost 90", Count(90, "approx")),
    ("roughly 500", Count(500, "approx")),
    ("up to 60", Count(60, "approx")),
])
def test_qualifiers(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize("text", ["dozens", "scores", "hundreds", "thousands",
                                  "tens of thousands", "Hundreds"])
def test_vague_amounts_have_no_value(text):
    assert parse_count(text) == Count(None, "approx")


@pytest.mark.parametrize(("text", "expected"), [
    ("10 to 15", Count(10, "at_least")),
    ("10-15", Count(10, "at_least")),
    ("eight or nine", Count(8, "at_least")),
])
def test_ranges_give_the_lower_bound(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize("text", ["", "people", "1e6", "3.5", "20 million",
                                  "-4", "99999999999", "the", "15 to 10"])
def test_rejects_non_counts(text):
    assert parse_count(text) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_never_raises_never_negative(text):
    result = parse_count(text)
    assert result is None or result.value is None or 0 <= result.value <= MAX_COUNT


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=MAX_COUNT),
       st.sampled_from(["", "at least ", "about ", "more than "]))
def test_digits_round_trip(n, prefix):
    result = parse_count(f"{prefix}{n:,}")
    assert result is not None and result.value == n
