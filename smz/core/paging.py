"""Paging wide, joined lists (issue 17 goal 4): the page's keys first, then its rows.

A people list is sorted across four tables (project code, team, name); with OFFSET, PostgreSQL sorted every row
of the user's scope with all its columns before skipping to the page: 200,000 rows of ≈ 1 KB spilled to disk
(1.7 s for a deep page, ../shared/research/scale-baseline.md cause 2). Here the sort carries only the sort keys
and the primary key (`values_list("pk")` of the same query), and the page's rows are then read by primary key:
the same rows in the same order, a narrow sort.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


def rows_by_keys(queryset: QuerySet, bottom: int, top: int) -> list[Any]:
    """queryset[bottom:top], sorting only the keys: the slice's primary keys in the queryset's order, then
    its rows (with their select_related and annotations) read by key and put back in that order."""
    keys = list(queryset.values_list("pk", flat=True)[bottom:top])
    if not keys:
        return []
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=keys)}
    return [rows[key] for key in keys if key in rows]


class KeysFirstPaginator(Paginator):
    """Django's Paginator, with each page read by `rows_by_keys` (a QuerySet object list only)."""

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = rows_by_keys(cast(QuerySet, self.object_list), bottom, top)
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]  # Paginator's own hook
