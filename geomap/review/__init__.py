"""The analyst review loop: correct the machine in a browser, keep the corrections.

* :mod:`geomap.review.core`: the pure part (keys by article id + quote span,
  corrections and how they fold into an incident and its ``review_status``);
* the audit table lives in the results store (:class:`geomap.results.Store`:
  ``review_change``, ``review_add``, ``review_merge``, ``review_log``,
  ``review_stale``; ``Store.results()`` applies the corrections);
* :mod:`geomap.review.app`: the Starlette web app and JSON API that
  ``geomap review`` serves (imported on demand: it needs starlette).
"""

from geomap.review.core import (
    EDIT_FIELDS,
    REVIEW_STATUSES,
    Correction,
    NotFoundError,
    ReviewConflict,
    Reviewed,
    ReviewItem,
    fold,
    machine_keys,
)

__all__ = [
    "EDIT_FIELDS",
    "REVIEW_STATUSES",
    "Correction",
    "NotFoundError",
    "ReviewConflict",
    "ReviewItem",
    "Reviewed",
    "fold",
    "machine_keys",
]
