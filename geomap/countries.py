"""Country arguments: ISO 3166-1 alpha-2 codes from codes or names.

``--country`` accepts ``UA``, ``ukr`` or ``Ukraine``; every value becomes an
alpha-2 code or a one-line error. Codes are checked against pycountry (the
ISO 3166 list); names also against the gazetteer's country names and
aliases, so common short forms ("Russia", "Turkey", "UK") work too.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from geomap.errors import UsageError

__all__ = ["country_alpha3", "country_code", "country_codes", "country_name"]


@cache
def country_name(code: str | None) -> str | None:
    """Common English name of an ISO 3166-1 alpha-2 code (``None`` if unknown).

    The one source of country display names: the map labels with it and the
    ACLED CSV starts from it (with ACLED's own spellings on top).

    >>> country_name("UA"), country_name("tw"), country_name("XX"), country_name(None)
    ('Ukraine', 'Taiwan', None, None)
    """
    if not code:
        return None
    import pycountry

    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return None
    return getattr(country, "common_name", None) or country.name


@cache
def country_alpha3(code: str | None) -> str | None:
    """ISO 3166-1 alpha-3 code of an alpha-2 code (``None`` if unknown).

    >>> country_alpha3("UA"), country_alpha3("XX")
    ('UKR', None)
    """
    if not code:
        return None
    import pycountry

    country = pycountry.countries.get(alpha_2=code.upper())
    return country.alpha_3 if country is not None else None


def country_code(value: str, gazetteer: Any = None, *, option: str = "--country"
                 ) -> str:
    """The ISO alpha-2 code of a country given by code or name.

    Parameters
    ----------
    value
        An alpha-2 or alpha-3 code (any case) or an English country name.
    gazetteer
        A :class:`gazetteer.Gazetteer` for names pycountry does not know
        (aliases such as "Russia" or "UK"); optional.
    option
        The option name used in the error message.

    Raises
    ------
    UsageError
        The value is neither a code nor a known country name.

    Examples
    --------
    >>> country_code("ua"), country_code("UKR"), country_code("Ukraine")
    ('UA', 'UA', 'UA')
    >>> country_code("XX")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geomap.errors.UsageError: --country 'XX': not an ISO 3166 country code ...
    """
    import pycountry

    text = " ".join(str(value).split())
    if text:
        found = None
        if len(text) == 2 and text.isalpha():
            found = pycountry.countries.get(alpha_2=text.upper())
        if found is None:
            try:
                found = pycountry.countries.lookup(text)
            except LookupError:
                found = None
        if found is not None:
            return str(found.alpha_2)
        if gazetteer is not None:
            cands = gazetteer.candidates(text, features=["country"], fuzzy=False,
                                         limit=1)
            if cands:
                return str(cands[0].place.country_code)
    raise UsageError(f"{option} {value!r}: not an ISO 3166 country code or country "
                     "name (for example UA or Ukraine)")


def country_codes(values: Iterable[str], gazetteer: Any = None, *,
                  option: str = "--country") -> tuple[str, ...]:
    """Alpha-2 codes for every value, in order, without repeats.

    >>> country_codes(["Ukraine", "UA", "pl"])
    ('UA', 'PL')
    """
    out: list[str] = []
    for value in values:
        code = country_code(value, gazetteer, option=option)
        if code not in out:
            out.append(code)
    return tuple(out)
