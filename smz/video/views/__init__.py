"""Video pages: cameras.py (site video page, entrances, camera list and detail), live.py (live view through the
video platform), platforms.py (the city's video platforms)."""
