"""Row locks for check-then-change writes, always taken in one order (saleor's lock_objects.py).

Rules: take locks inside `transaction.atomic()`, read the state you check from the locked rows (never from
the object the caller passed), and lock a parent before its children (a payroll before its lines, an
approval request before its attachments); rows of one table are locked in primary-key order, so two writers
locking overlapping sets cannot deadlock. On SQLite `select_for_update` is a no-op: its single writer lock
serialises writes instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models, transaction


def lock_rows[M: models.Model](
    queryset: models.QuerySet[M] | type[M], *, pks: Iterable[object]
) -> list[M]:
    """Lock these rows (FOR UPDATE, primary-key order) and return them fresh, in that order."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_rows needs a transaction (transaction.atomic)")
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    wanted = sorted(set(pks))  # type: ignore[type-var]
    if not wanted:
        return []
    return list(qs.select_for_update(of=("self",)).filter(pk__in=wanted).order_by("pk"))


def lock_row[M: models.Model](queryset: models.QuerySet[M] | type[M], *, pk: object) -> M:
    """Lock one row and return it fresh; DoesNotExist when it is gone."""
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    rows = lock_rows(qs, pks=[pk])
    if not rows:
        raise qs.model.DoesNotExist(  # type: ignore[attr-defined]  # stubs add DoesNotExist per concrete model only
            f"{qs.model._meta.label} {pk} not found"
        )
    return rows[0]
