"""The model's attribute rules, applied by table look-up instead of the Matcher.

A trained English pipeline maps its fine-grained tags to coarse POS and
morphology, and fixes a few lemmas, with an ``attribute_ruler`` of about 180
one- and two-token patterns. spaCy runs them through its general ``Matcher``,
which tries every pattern at every token: an eighth of the whole pipeline's
time on news text, as much as the parser. Nearly every pattern tests a tag or
a lower-case form for equality, so the rules can be indexed by those values:
each token then tries only the few rules that can apply to it.

:class:`AttributeTable` takes the ruler's own patterns and gives the same
annotation, rule for rule: the rules are applied in their order, a later rule
overriding an earlier one on the same token, as the ruler does.
:func:`compile_rules` returns ``None`` for any pattern it cannot read (an
operator, a quantifier, an attribute outside :data:`STRING_ATTRS` and
:data:`FLAG_ATTRS`), and :func:`geomap.nlp.load_nlp` then keeps spaCy's ruler.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from spacy.attrs import IDS
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

try:  # the ruler's own writer: exact for every attribute it sets
    from spacy.tokens._retokenize import normalize_token_attrs, set_token_attrs
except ImportError:  # pragma: no cover - a spaCy without it keeps its ruler
    normalize_token_attrs = set_token_attrs = None

__all__ = ["FLAG_ATTRS", "STRING_ATTRS", "AttributeTable", "compile_rules"]

#: Token attributes a rule may test whose values are strings (hashes in a Doc).
STRING_ATTRS = ("ORTH", "LOWER", "NORM", "TAG", "DEP", "SHAPE", "ENT_TYPE")
#: Boolean token attributes a rule may test.
FLAG_ATTRS = ("IS_SPACE", "IS_PUNCT", "IS_DIGIT", "IS_ALPHA", "LIKE_NUM")
_INDEXED = ("TAG", "LOWER", "DEP", "IS_SPACE")  # tests that key the look-up
_OPERATORS = {"IN", "NOT_IN", "REGEX"}


@dataclass(frozen=True)
class _Test:
    """One attribute test of one token: equality, IN, NOT_IN and/or REGEX."""

    column: int
    equal: int | None = None
    among: frozenset[int] | None = None
    not_among: frozenset[int] | None = None
    regex: re.Pattern[str] | None = None


@dataclass(frozen=True)
class _Rule:
    """One token sequence of one ruler entry, its tests per token."""

    order: int  # the entry's position: later entries win
    tokens: tuple[tuple[_Test, ...], ...]
    index: int  # which token of the match gets the attributes


def _test(vocab: Vocab, column: int, attr: str, spec: Any) -> _Test | None:
    """One attribute test, or ``None`` if the spec is beyond the table."""
    def value(v: Any) -> int | None:
        if attr in FLAG_ATTRS:
            return int(v) if isinstance(v, bool) else None
        return vocab.strings.add(v) if isinstance(v, str) else None

    if not isinstance(spec, dict):
        v = value(spec)
        return None if v is None else _Test(column, equal=v)
    if not spec or set(spec) - _OPERATORS:
        return None
    among = not_among = regex = None
    if "IN" in spec:
        vals = [value(v) for v in spec["IN"]]
        if None in vals:
            return None
        among = frozenset(vals)
    if "NOT_IN" in spec:
        vals = [value(v) for v in spec["NOT_IN"]]
        if None in vals:
            return None
        not_among = frozenset(vals)
    if "REGEX" in spec:
        if attr in FLAG_ATTRS or not isinstance(spec["REGEX"], str):
            return None
        regex = re.compile(spec["REGEX"])
    return _Test(column, among=among, not_among=not_among, regex=regex)


def compile_rules(vocab: Vocab, entries: Sequence[dict[str, Any]]
                  ) -> tuple[list[_Rule], tuple[str, ...]] | None:
    """The ruler's entries (``AttributeRuler.patterns``) as indexed rules.

    RETURNS: the rules and the attribute columns they read, or ``None`` if
    one pattern uses something the table does not read.
    """
    columns: list[str] = []
    rules: list[_Rule] = []
    for order, entry in enumerate(entries):
        for pattern in entry["patterns"]:
            if not pattern or not isinstance(pattern, list):
                return None
            tokens = []
            for spec in pattern:
                if not isinstance(spec, dict) or not spec:
                    return None
                tests = []
                for attr, value in spec.items():
                    attr = attr.upper() if isinstance(attr, str) else attr
                    if attr not in STRING_ATTRS and attr not in FLAG_ATTRS:
                        return None
                    if attr not in columns:
                        columns.append(attr)
                    test = _test(vocab, columns.index(attr), attr, value)
                    if test is None:
                        return None
                    tests.append(test)
                tokens.append(tuple(tests))
            index = entry.get("index", 0)
            if not -len(tokens) <= index < len(tokens):
                return None
            rules.append(_Rule(order, tuple(tokens), index % len(tokens)))
    return rules, tuple(columns)


class AttributeTable:
    """Apply an ``attribute_ruler``'s patterns by look-up (same annotation).

    Examples
    --------
    >>> import spacy
    >>> nlp = spacy.blank("en")
    >>> table = AttributeTable(nlp.vocab)
    >>> table.add_patterns([{"patterns": [[{"LOWER": "gon"}, {"LOWER": "na"}]],
    ...                      "attrs": {"LEMMA": "go"}, "index": 0}])
    >>> [t.lemma_ for t in table(nlp("we gon na win"))]
    ['', 'go', '', '']
    """

    def __init__(self, vocab: Vocab, name: str = "attribute_table") -> None:
        self.vocab = vocab
        self.name = name
        self.patterns: list[dict[str, Any]] = []
        self._attrs: list[dict[int, Any]] = []
        self._columns: tuple[str, ...] = ()
        self._ids = np.zeros(0, dtype="uint64")
        # per key column: value -> [(rule, whether its other tests need checking)]
        self._keyed: list[dict[int, list[tuple[_Rule, bool]]]] = []
        self._key_columns: list[int] = []
        self._rest: list[_Rule] = []
        self._regex_cache: dict[tuple[str, int], bool] = {}

    def add_patterns(self, entries: Iterable[dict[str, Any]]) -> None:
        """Add ruler entries (``{"patterns", "attrs", "index"}``), in order.

        Raises ``ValueError`` if one is beyond the table (see
        :func:`compile_rules`); nothing is added then.
        """
        if set_token_attrs is None:  # pragma: no cover
            raise ValueError("this spaCy has no token attribute writer")
        entries = self.patterns + list(entries)
        compiled = compile_rules(self.vocab, entries)
        if compiled is None:
            raise ValueError("an attribute rule is beyond the look-up table")
        rules, columns = compiled
        self.patterns = entries
        self._attrs = [normalize_token_attrs(self.vocab, e.get("attrs", {}))
                       for e in entries]
        self._columns = columns
        self._ids = np.array([IDS[c] for c in columns], dtype="uint64")
        self._key_columns = [columns.index(c) for c in _INDEXED if c in columns]
        self._keyed = [{} for _ in self._key_columns]
        self._rest = []
        for rule in rules:
            first = {t.column: t for t in rule.tokens[0]}
            # a rule of one test on one token holds wherever its key does
            check = len(rule.tokens) > 1 or len(rule.tokens[0]) > 1
            for slot, col in enumerate(self._key_columns):
                test = first.get(col)
                if test is None or test.not_among is not None or test.regex is not None:
                    continue
                # an equality or IN test here: its values are the keys
                values = [test.equal] if test.equal is not None else test.among
                for v in values or ():
                    self._keyed[slot].setdefault(v, []).append((rule, check))
                break
            else:
                self._rest.append(rule)

    def _passes(self, test: _Test, value: int) -> bool:
        if test.equal is not None and value != test.equal:
            return False
        if test.among is not None and value not in test.among:
            return False
        if test.not_among is not None and value in test.not_among:
            return False
        if test.regex is not None:
            key = (test.regex.pattern, value)
            hit = self._regex_cache.get(key)
            if hit is None:
                text = self.vocab.strings[value] if value else ""
                hit = self._regex_cache[key] = test.regex.search(text) is not None
            if not hit:
                return False
        return True

    def _matches(self, rule: _Rule, rows: list[list[int]], start: int) -> bool:
        if start + len(rule.tokens) > len(rows):
            return False
        for k, tests in enumerate(rule.tokens):
            row = rows[start + k]
            for test in tests:
                if not self._passes(test, row[test.column]):
                    return False
        return True

    def __call__(self, doc: Doc) -> Doc:
        """Set the rules' attributes on ``doc``. RETURNS (Doc): the same doc."""
        if not self._attrs or not len(doc):
            return doc
        rows = doc.to_array(self._ids).reshape(len(doc), len(self._columns)).tolist()
        writes: list[tuple[int, int, int]] = []
        keyed = list(zip(self._key_columns, self._keyed, strict=True))
        for i, row in enumerate(rows):
            for col, table in keyed:
                for rule, check in table.get(row[col], ()):
                    if not check or self._matches(rule, rows, i):
                        writes.append((rule.order, i, i + rule.index))
            for rule in self._rest:
                if self._matches(rule, rows, i):
                    writes.append((rule.order, i, i + rule.index))
        writes.sort()
        for order, _, target in writes:
            set_token_attrs(doc[target], self._attrs[order])
        return doc

    # The patterns come from the model's own ruler at load; nothing to save.
    def to_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> None:
        """Nothing to save: the rules are the model's ruler's."""

    def from_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> AttributeTable:
        """Nothing to load. RETURNS: self."""
        return self


@Language.factory("geomap_attribute_table",
                  assigns=["token.pos", "token.morph", "token.lemma"])
def make_attribute_table(nlp: Language, name: str) -> AttributeTable:
    """An empty table; :func:`geomap.nlp.load_nlp` fills it from the model's ruler."""
    return AttributeTable(nlp.vocab, name)


def replace_ruler(nlp: Language, name: str = "attribute_ruler") -> bool:
    """Swap the model's ``attribute_ruler`` for a table of its rules.

    RETURNS (bool): whether it was swapped (``False``: no ruler, or a rule
    beyond the table, and the ruler stays).
    """
    if name not in nlp.pipe_names:
        return False
    patterns = nlp.get_pipe(name).patterns
    table = AttributeTable(nlp.vocab, name)
    try:
        table.add_patterns(patterns)
    except ValueError:
        return False
    nlp.replace_pipe(name, "geomap_attribute_table")
    nlp.get_pipe(name).add_patterns(patterns)
    return True
