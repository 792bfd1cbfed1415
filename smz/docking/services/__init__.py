"""Docking's writes: authorizing vendor apps (apps.py), the gateway's checks and dispatch (gateway.py), the
asynchronous processing of Add/Update requests (requests.py)."""
