"""Incidents and casualty figures from a parsed article, as an analyst codes them.

One module per job:

- :mod:`~geomap.incidents.figures`: numbers off the casualty spans that the
  ``geomap_casualties`` component (patterns as data) writes;
- :mod:`~geomap.incidents.context`: sentences, paragraphs, dateline, places, dates;
- :mod:`~geomap.incidents.features`: the named features of the two decisions;
- :mod:`~geomap.incidents.decide`: is a figure an incident (fitted logistic);
- :mod:`~geomap.incidents.locate`: which mention is its place (fitted choice);
- :mod:`~geomap.incidents.assemble`: drafts of one event -> one Incident;
- :mod:`~geomap.incidents.events`: event types from the lexicon;
- :mod:`~geomap.incidents.extract`: the whole path for one article;
- :mod:`~geomap.incidents.training`: gold labels and fitting, for the tools.
"""

from geomap.incidents.events import event_type_of
from geomap.incidents.extract import Weights, default_weights, extract_incidents

__all__ = ["Weights", "default_weights", "event_type_of", "extract_incidents"]
