"""Docking's reads: the national-format rows the query methods answer (national.py), the pages' lists (apps.py)."""
