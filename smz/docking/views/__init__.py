"""Docking's HTTP surfaces: the gateway (gateway.py) and the pages (apps.py)."""
