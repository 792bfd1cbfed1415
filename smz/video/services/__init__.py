"""Video writes: cameras.py (register, retire, the site's SIP password), status.py (online/offline intervals,
written only by the SIP server and the platform adapters)."""
