"""Geofence checks (D5): is a point inside a project's site boundary polygon?"""

from __future__ import annotations

from collections.abc import Sequence


def point_in_polygon(lng: float, lat: float, polygon: Sequence[Sequence[float]]) -> bool:
    """Ray casting on [lng, lat] vertices (closed or open ring). Points on an edge count as inside-ish;
    site boundaries are tens of metres wide, so planar geometry is adequate at this scale."""
    inside = False
    n = len(polygon)
    if n < 3:
        return False
    j = n - 1
    for i in range(n):
        xi, yi = float(polygon[i][0]), float(polygon[i][1])
        xj, yj = float(polygon[j][0]), float(polygon[j][1])
        if (yi > lat) != (yj > lat):
            x_cross = (xj - xi) * (lat - yi) / (yj - yi) + xi
            if lng < x_cross:
                inside = not inside
        j = i
    return inside
