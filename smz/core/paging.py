"""Paging wide, joined lists (issue 17 goal 4): the page's keys first, then its rows.

A people list is sorted across four tables (project code, team, name); with OFFSET, PostgreSQL sorted every row
of the user's scope with all its columns before skipping to the page: 200,000 rows of ≈ 1 KB spilled to disk
(1.7 s for a deep page, ../shared/research/scale-baseline.md cause 2). Here the sort carries only the sort keys
and the primary key (`values_list("pk")` of the same query), and the page's rows are then read by primary key:
the same rows in the same order, a narrow sort.

Even narrow, a deep page of the city's 200,000 people sorted all of them (≈ 0.4 s). When the list's first sort
key groups it into many small runs (the project code of a people list: a thousand projects), the paginator can
be given that key as its `bucket`: it counts the rows of each bucket in one grouped query (its sum is the
paginator's count, so this replaces the COUNT), finds from the running totals which buckets hold the page, and
sorts only their rows, with the OFFSET taken inside the first of them. Rows of one bucket are contiguous in the
list's order (it is the first sort key), so the page holds exactly the rows, in exactly the order, that the plain
OFFSET gives; the buckets are ordered by the database, with the list's own collation and NULL placement. The
grouped count costs more than a plain COUNT (≈ 70 against 20 ms for the city's people), and the first pages are
read cheaply by OFFSET anyway (PostgreSQL walks the project code index: ≈ 16 ms down to row 2,000, 130 ms at row
20,000), so buckets are used from `SHALLOW_ROWS` on.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

SHALLOW_ROWS = 2_000


def rows_by_keys(queryset: QuerySet, bottom: int, top: int) -> list[Any]:
    """queryset[bottom:top], sorting only the keys: the slice's primary keys in the queryset's order, then
    its rows (with their select_related and annotations) read by key and put back in that order."""
    keys = list(queryset.values_list("pk", flat=True)[bottom:top])
    if not keys:
        return []
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=keys)}
    return [rows[key] for key in keys if key in rows]


class Buckets:
    """The rows of a list counted by the value of its first sort key (`bucket`), in the list's order."""

    def __init__(self, queryset: QuerySet, bucket: str) -> None:
        ordering = list(queryset.query.order_by)
        if not ordering or str(ordering[0]).lstrip("-") != bucket:
            raise ValueError(f"the list is not sorted by {bucket} first: {ordering}")
        self.queryset, self.bucket = queryset, bucket
        self.counts: list[tuple[Any, int]] = [
            (value, n)
            for value, n in queryset.order_by(ordering[0])
            .values_list(bucket)
            .annotate(n=Count("pk"))
            .values_list(bucket, "n")
        ]
        self.count = sum(n for _, n in self.counts)

    def rows(self, bottom: int, top: int) -> list[Any]:
        """queryset[bottom:top], sorting only the rows of the buckets that hold them."""
        values: list[Any] = []
        start = first = 0
        for value, n in self.counts:
            if start + n > bottom and start < top:
                if not values:
                    first = start
                values.append(value)
            start += n
            if start >= top:
                break
        if not values:
            return []
        which = Q(**{f"{self.bucket}__in": [v for v in values if v is not None]})
        if None in values:
            which |= Q(**{f"{self.bucket}__isnull": True})
        return rows_by_keys(self.queryset.filter(which), bottom - first, top - first)


def page_rows(
    queryset: QuerySet, bottom: int, top: int, *, bucket: str = "", shallow: int | None = None
) -> tuple[list, int]:
    """(queryset[bottom:top] read by `rows_by_keys`, queryset.count()); by buckets when one is given and
    the slice starts at row `shallow` (default `SHALLOW_ROWS`) or later."""
    if bucket and bottom >= (SHALLOW_ROWS if shallow is None else shallow):
        buckets = Buckets(queryset, bucket)
        return buckets.rows(bottom, top), buckets.count
    return rows_by_keys(queryset, bottom, top), queryset.count()


class KeysFirstPaginator(Paginator):
    """Django's Paginator, with each page read by `rows_by_keys` (a QuerySet object list only); with a
    `bucket` (the list's first sort key), pages from row `shallow` on counted and read by `Buckets`."""

    def __init__(
        self,
        object_list: Any,
        per_page: int,
        orphans: int = 0,
        *,
        bucket: str = "",
        shallow: int | None = None,
    ) -> None:
        super().__init__(object_list, per_page, orphans)
        self.bucket, self.shallow = bucket, SHALLOW_ROWS if shallow is None else shallow

    @cached_property
    def buckets(self) -> Buckets:
        return Buckets(cast(QuerySet, self.object_list), self.bucket)

    @cached_property
    def count(self) -> int:
        if "buckets" in self.__dict__:  # already counted, by bucket
            return self.buckets.count
        return super().count

    def _deep(self, number: Any) -> bool:
        try:
            return bool(self.bucket) and (int(number) - 1) * int(self.per_page) >= self.shallow
        except (TypeError, ValueError):
            return False

    def validate_number(self, number: Any) -> int:
        if self._deep(number) and "count" not in self.__dict__:
            self.buckets  # noqa: B018  # counted by bucket: the count is their sum, no COUNT(*)
        return super().validate_number(number)

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if self.bucket and bottom >= self.shallow:
            rows = self.buckets.rows(bottom, top)
        else:
            rows = rows_by_keys(cast(QuerySet, self.object_list), bottom, top)
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]  # Paginator's own hook
