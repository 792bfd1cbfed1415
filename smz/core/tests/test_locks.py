"""The one row-lock helper (issue 12 item 5): rows come back fresh, in primary-key order, only inside a
transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from smz.accounts.models import User
from smz.core.locks import lock_row, lock_rows


@pytest.mark.django_db
def test_issue12_lock_rows_in_primary_key_order_and_fresh(world):
    pks = sorted(User.objects.values_list("pk", flat=True))[:3]
    stale = User.objects.get(pk=pks[0])
    User.objects.filter(pk=pks[0]).update(first_name="改名")
    with transaction.atomic():
        rows = lock_rows(User, pks=[pks[2], pks[0], pks[1], pks[0]])
        assert [u.pk for u in rows] == pks
        assert rows[0].first_name == "改名" != stale.first_name
        assert lock_row(User.objects.filter(is_active=True), pk=pks[1]).pk == pks[1]
        assert lock_rows(User, pks=[]) == []
        with pytest.raises(User.DoesNotExist):
            lock_row(User, pk=max(pks) + 10_000)


@pytest.mark.django_db(transaction=True)  # not wrapped in the test's own transaction
def test_issue12_lock_rows_outside_a_transaction_is_a_bug(world):
    with pytest.raises(RuntimeError):
        lock_rows(User, pks=[world.user("gc_labor").pk])
