"""The credit grades counted for the monthly report and the city's home page (review.grade_counts, issue 17
goal 4: from the enterprises' ids) are those of the credit list counted by grade (the old computation,
smz/testing/compliance_reports.reference_grade_counts), on random deductions: points across the grade
thresholds, confirmed or not, reversed on appeal, inside and outside the rolling window, for the city and for
subsets of enterprises."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from smz.compliance.models import Deduction
from smz.compliance.selectors.review import grade_counts
from smz.registry.models import Enterprise
from smz.testing.compliance_reports import appealed, judged, reference_grade_counts

AS_OF = [dt.date(2026, 10, 31), dt.date(2027, 3, 1), dt.date(2027, 10, 31)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_issue17_4_grade_counts_are_the_credit_list_counted(world, seed):
    rng = random.Random(seed)
    firms = list(world.enterprises)
    for i in range(60):
        v = judged(
            world,
            project=rng.choice(("p1", "p2", "p3")),
            day=dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 600)),
            subject=f"post:R{i:02d}",
            enterprise=rng.choice(firms),
            points=rng.choice(("1", "2.5", "5", "10", "15", "30", "30")),
            counted=rng.random() < 0.9,
            state=rng.choice([Deduction.State.CONFIRMED] * 3 + list(Deduction.State)),
        )
        if v.counted and hasattr(v, "deduction") and rng.random() < 0.2:
            appealed(world, v, won=rng.random() < 0.6)
    ids = list(Enterprise.objects.values_list("pk", flat=True))
    seen = set()
    for as_of in AS_OF:
        for wanted in (None, rng.sample(ids, len(ids) // 2), [], [max(ids) + 1]):
            expected = reference_grade_counts(as_of=as_of, enterprise_ids=wanted)
            assert grade_counts(as_of=as_of, enterprise_ids=wanted) == expected, (as_of, wanted)
            seen |= {g["grade"] for g in expected if g["count"]}
    assert len(seen) >= 3  # the points crossed the thresholds
