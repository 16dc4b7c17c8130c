"""Distance on the Earth: the one place for great-circle distances.

Coordinates are (lat, lon) in degrees; distances are kilometres on a sphere
of the mean Earth radius (``gazetteer.spatial.EARTH_RADIUS_KM``, the package
below this one, which holds the constant for its own KD-tree).
"""

from __future__ import annotations

import math

import numpy as np

from gazetteer.spatial import EARTH_RADIUS_KM

__all__ = ["EARTH_RADIUS_KM", "haversine_km", "haversine_matrix_km"]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two (lat, lon) points in degrees.

    >>> round(haversine_km(50.45, 30.52, 46.97, 31.99))
    402
    >>> haversine_km(10, 20, 10, 20)
    0.0
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def haversine_matrix_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                        lon2: np.ndarray) -> np.ndarray:
    """Great-circle km between every point of set 1 (rows) and set 2 (columns).

    >>> haversine_matrix_km(np.array([50.45]), np.array([30.52]),
    ...                     np.array([50.45, 46.97]), np.array([30.52, 31.99])
    ...                     ).round().tolist()
    [[0.0, 402.0]]
    """
    p1, p2 = np.radians(lat1)[:, None], np.radians(lat2)[None, :]
    dl = np.radians(lon2)[None, :] - np.radians(lon1)[:, None]
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
