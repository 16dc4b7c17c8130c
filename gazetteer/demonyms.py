"""Demonyms and national adjectives ("Ukrainian", "Israeli") -> ISO country code.

None of the bundled sources carries nationalities, so they are derived from
the countries' English short names by the regular English suffix rules
(Russia -> Russian, Ukraine -> Ukrainian, Israel -> Israeli, Pakistan ->
Pakistani, Hungary -> Hungarian), with a small table of irregular forms that no
rule produces (French, Dutch, Swiss, ...).  A form claimed by two countries
goes to the more populous one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gazetteer.normalize import normalize

__all__ = ["IRREGULAR", "demonym_forms", "derive_demonyms"]

#: Forms that the suffix rules cannot produce.
IRREGULAR: Mapping[str, tuple[str, ...]] = {
    "AF": ("Afghan",), "BD": ("Bangladeshi",), "BF": ("Burkinabe",),
    "CD": ("Congolese",), "CG": ("Congolese",), "CH": ("Swiss",), "CN": ("Chinese",),
    "CY": ("Cypriot",), "CZ": ("Czech",), "DE": ("German",), "DK": ("Danish", "Dane"),
    "ES": ("Spanish", "Spaniard"), "FI": ("Finnish", "Finn"), "FR": ("French",),
    "GB": ("British", "Briton", "English", "Scottish", "Welsh"), "GH": ("Ghanaian",),
    "GR": ("Greek",), "IE": ("Irish",), "IS": ("Icelandic",), "JP": ("Japanese",),
    "KG": ("Kyrgyz",), "KZ": ("Kazakh",), "LB": ("Lebanese",), "LU": ("Luxembourgish",),
    "MG": ("Malagasy",), "MM": ("Burmese",), "MT": ("Maltese",), "NL": ("Dutch",),
    "NP": ("Nepali", "Nepalese"), "NZ": ("New Zealander", "Kiwi"), "PE": ("Peruvian",),
    "PH": ("Filipino", "Philippine"), "PL": ("Polish", "Pole"), "PT": ("Portuguese",),
    "SA": ("Saudi",), "SD": ("Sudanese",), "SE": ("Swedish", "Swede"),
    "SK": ("Slovak",), "SN": ("Senegalese",), "SO": ("Somali",),
    "SS": ("South Sudanese",),
    "TH": ("Thai",), "TJ": ("Tajik",), "TM": ("Turkmen",), "TR": ("Turkish", "Turk"),
    "UZ": ("Uzbek",), "VN": ("Vietnamese",), "AE": ("Emirati",), "AR": ("Argentine",),
    "TW": ("Taiwanese",), "TG": ("Togolese",), "XK": ("Kosovar",), "YE": ("Yemeni",),
    "AZ": ("Azerbaijani", "Azeri"), "BY": ("Belarusian",), "BH": ("Bahraini",),
    "MC": ("Monegasque",), "IL": ("Israeli",), "US": ("American",),
}  # fmt: skip


def demonym_forms(country_name: str) -> set[str]:
    """Regular demonym candidates of an English country name (singular and plural).

    >>> sorted(demonym_forms("Ukraine"))
    ['ukrainean', 'ukraineans', 'ukrainian', 'ukrainians']
    >>> {"russian", "israeli", "pakistani", "hungarian"} <= (
    ...     demonym_forms("Russia") | demonym_forms("Israel")
    ...     | demonym_forms("Pakistan") | demonym_forms("Hungary"))
    True
    """
    name = normalize(country_name)
    if not name or not name.replace(" ", "").isalpha():
        return set()
    if name.endswith("a"):
        stems = {name + "n", name[:-1] + "ian"}
    elif name.endswith("e"):
        stems = {name + "an", name[:-1] + "ian"}
    elif name.endswith("y"):
        stems = {name[:-1] + "ian"}
    elif name.endswith(("stan", "q", "l", "t", "n", "r", "h")):
        stems = {name + "i", name + "ian"}
    else:
        stems = {name + "ian", name + "an"}
    return stems | {s + "s" for s in stems}


def derive_demonyms(
    countries: Iterable[tuple[str, Iterable[str], int]],
) -> dict[str, str]:
    """Map normalised demonyms to country codes.

    ``countries`` yields (alpha-2 code, English names, population).  Irregular
    forms win over derived ones; among derived ones the more populous country
    wins.

    >>> d = derive_demonyms([("UA", ["Ukraine"], 40), ("NE", ["Niger"], 20),
    ...                      ("NG", ["Nigeria"], 200)])
    >>> d["ukrainian"], d["nigerian"]
    ('UA', 'NG')
    """
    best: dict[str, tuple[int, str]] = {}
    for code, names, population in countries:
        for name in names:
            for form in demonym_forms(name):
                if form not in best or best[form][0] < population:
                    best[form] = (population, code)
    out = {form: code for form, (_, code) in best.items()}
    for code, forms in IRREGULAR.items():
        for form in forms:
            norm = normalize(form)
            out[norm] = code
            out[norm + "s"] = code
    return out
