"""The 2020-02-01 boundary (C1/C3) is the registry's: the compliance regime data must agree with it."""

from __future__ import annotations

from smz.registry.obligations import MANAGER_ATTENDANCE_PERMITS_FROM


def test_compliance_regime_data_agrees_with_the_registry_boundary():
    import json
    from pathlib import Path

    import smz.compliance

    data = json.loads(
        (Path(smz.compliance.__file__).parent / "data" / "deductions_v1.json").read_text("utf-8")
    )
    owing = [r for r in data["regimes"] if "manager_attendance" in r["obligations"]]
    assert [r["permit_from"] for r in owing] == [MANAGER_ATTENDANCE_PERMITS_FROM.isoformat()]
