"""Unit-sphere coordinates for nearest-point queries with a KD-tree."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["EARTH_RADIUS_KM", "area_centre", "chord_to_km", "mean_position", "xyz"]

EARTH_RADIUS_KM = 6371.0088


def xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Unit-sphere coordinates of (lat, lon) in degrees, shape (n, 3).

    Euclidean nearest neighbours on the sphere are great-circle nearest
    neighbours, with no trouble at the antimeridian or the poles.

    >>> xyz(np.array([0.0]), np.array([90.0])).round(6).tolist()
    [[0.0, 1.0, 0.0]]
    """
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack(
        [np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]
    )


def chord_to_km(chord: float) -> float:
    """Great-circle distance in km for a chord length on the unit sphere.

    >>> round(chord_to_km(2.0))  # antipodes
    20015
    """
    return 2 * EARTH_RADIUS_KM * float(np.arcsin(min(chord / 2, 1.0)))


def mean_position(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Spherical mean of (lat, lon) points in degrees, rounded to 5 decimals.

    Safe across the antimeridian, unlike averaging longitudes.

    >>> mean_position([(10.0, 179.0), (10.0, -179.0)])
    (10.00149, 180.0)
    >>> mean_position([(0.0, 0.0), (0.0, 10.0)])
    (0.0, 5.0)
    """
    v = xyz(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
    x, y, z = v.mean(axis=0)
    lat = math.degrees(math.atan2(z, math.hypot(x, y)))
    lon = math.degrees(math.atan2(y, x))
    return round(lat, 5), round(lon, 5) + 0.0


def area_centre(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Centroid of the convex hull of (lat, lon) points, rounded to 5 decimals.

    For a region known only by its towns this is nearer the middle of its area
    than the towns' mean, which dense suburbs pull toward the big city. Point
    sets that straddle the antimeridian, or whose hull has no area, fall back to
    :func:`mean_position`.

    >>> area_centre([(0.0, 0.0), (0.0, 10.0), (10.0, 0.0), (10.0, 10.0), (1.0, 1.0)])
    (5.0, 5.0)
    >>> area_centre([(10.0, 179.0), (10.0, -179.0), (11.0, 179.5)])
    (10.33444, 179.83368)
    """
    from shapely.geometry import MultiPoint

    lons = [p[1] for p in points]
    hull = MultiPoint([(p[1], p[0]) for p in points]).convex_hull
    if max(lons) - min(lons) > 180 or hull.area == 0:
        return mean_position(points)
    centre = hull.centroid
    return round(centre.y, 5), round(centre.x, 5) + 0.0
