"""Drafts to incidents: merge an article's drafts per event, pick the current figures.

A :class:`Draft` is one accepted figure (or figure-less strike report) with
its chosen place, date and event type. Drafts of the same event (same or
containing place, compatible date and type: the predicates of
:mod:`geomap.merge`, shared with cross-article merging) become one
:class:`~geomap.models.Incident`. Within an article the current figure of a
kind is the latest toll update, else the highest figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from geomap.incidents.context import Candidate
from geomap.incidents.figures import Figure
from geomap.merge import contains, same_place, types_compatible
from geomap.models import FEATURE_RANK, Article, Incident, precision_of

__all__ = ["Draft", "assemble", "current_figure"]


@dataclass(slots=True)
class Draft:
    """One accepted figure or report, placed and dated, before merging."""

    sent_index: int
    quote: str
    place: Candidate
    date: dt.date | None
    event_type: str | None
    figures: list[Figure] = field(default_factory=list)
    dated_in_sentence: bool = True


def _rank(d: Draft) -> int:
    return FEATURE_RANK.get(d.place.mention.place.feature, len(FEATURE_RANK))


def current_figure(figures: Sequence[Figure]) -> Figure | None:
    """The figure an article stands by: its latest toll update, else its highest."""
    if not figures:
        return None
    updates = [f for f in figures if f.update and f.value is not None]
    if updates:
        return max(updates, key=lambda f: (f.number or f.victim).i)  # the last stated
    numeric = [f for f in figures if f.value is not None]
    if numeric:
        return max(numeric, key=lambda f: (f.value, -f.trigger.i))
    return figures[0]


def _repeats(group: list[Draft], d: Draft) -> bool:
    """Whether every figure of ``d`` restates a figure the group already has."""
    have = {(f.kind, f.value) for x in group for f in x.figures if f.value is not None}
    own = {(f.kind, f.value) for f in d.figures}
    return bool(own) and own <= have


def _joins(group: list[Draft], d: Draft) -> bool:
    if _repeats(group, d):
        return True  # the same figures again (a quote, a recap): the same event
    head = group[0].place.mention.place
    place = d.place.mention.place
    if not (same_place(head, place, 25.0) or contains(place, head)):
        return False
    dates = {x.date for x in group if x.date is not None}
    if d.date is not None and dates and d.date not in dates:
        return False
    types = [x.event_type for x in group if x.event_type]
    return not (d.event_type and d.figures and any(x.figures for x in group)
                and any(not types_compatible(t, d.event_type) for t in types))


def _best(group: list[Draft]) -> Draft:
    """The draft whose place stands for the group: finest, dated, earliest."""
    return min(group, key=lambda x: (_rank(x), not x.dated_in_sentence, x.sent_index))


def _dates_agree(a: list[Draft], b: list[Draft]) -> bool:
    da = {x.date for x in a if x.date is not None and x.dated_in_sentence}
    db = {x.date for x in b if x.date is not None and x.dated_in_sentence}
    return not da or not db or bool(da & db)


def _merge_same_sentence(groups: list[list[Draft]]) -> list[list[Draft]]:
    """Join groups that share a sentence and ended up at the same place.

    A figure may join an earlier group by restating its figures ("two people
    dead" in the headline) while the other figure of its sentence ("and three
    wounded") starts a group of its own; one sentence at one place on one date
    reports one event.
    """
    out: list[list[Draft]] = []
    for g in groups:
        place = _best(g).place.mention.place
        sents = {x.sent_index for x in g}
        for h in out:
            if sents & {x.sent_index for x in h} and same_place(
                    _best(h).place.mention.place, place, 25.0) and _dates_agree(g, h):
                h.extend(g)
                break
        else:
            out.append(g)
    return out


def _group_date(group: list[Draft]) -> dt.date | None:
    """The group's date: the first one stated with its own figure, else any."""
    ordered = sorted(group, key=lambda x: x.sent_index)
    own = [x.date for x in ordered if x.date is not None and x.dated_in_sentence]
    if own:
        return own[0]
    return next((x.date for x in ordered if x.date is not None), None)


def assemble(drafts: Sequence[Draft], article: Article, article_type: str | None
             ) -> list[Incident]:
    """Merge drafts of one event and turn each group into an Incident."""
    groups: list[list[Draft]] = []
    # finer places first, so that a region-level report can join a city's group
    for d in sorted(drafts, key=lambda d: (_rank(d), d.sent_index)):
        for g in groups:
            if _joins(g, d):
                g.append(d)
                break
        else:
            groups.append([d])
    groups = _merge_same_sentence(groups)
    with_figures = [g for g in groups if any(x.figures for x in g)]
    bare = [g for g in groups if not any(x.figures for x in g)]
    source = article.source or article.id
    out = []
    for g in sorted(with_figures + bare, key=lambda g: min(x.sent_index for x in g)):
        figs = [f for x in g for f in x.figures]
        place_feature = g[0].place.mention.place.feature
        if figs and all(f.value is None for f in figs) and place_feature == "country":
            continue  # "dozens killed across the country": too vague to map
        killed = current_figure([f for f in figs if f.kind == "killed"])
        wounded = current_figure([f for f in figs if f.kind == "wounded"])
        first = min((x for x in g if x.figures), default=g[0],
                    key=lambda x: x.sent_index)
        place = _best(g).place.mention
        out.append(Incident(
            article_id=article.id,
            place=place.place,
            location=place.text,
            precision=precision_of(place.place),
            event_type=next((x.event_type for x in g if x.event_type), None)
            or article_type or "other",
            date=_group_date(g),
            killed=killed.value if killed else None,
            wounded=wounded.value if wounded else None,
            killed_qualifier=killed.count.qualifier if killed else None,
            wounded_qualifier=wounded.count.qualifier if wounded else None,
            quote=first.quote,
            sources=(source,),
        ))
    return out
