"""Reference data (code tables, jurisdictions, authorities) loaded from smz/registry/data/*.json.

Used by the data migration and by `manage.py load_reference` (idempotent: existing rows are updated).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

MARKET_AUTHORITY = "中山市住房和城乡建设局建筑市场监管科"
SAFETY_AUTHORITY = "中山市建设工程安全事务中心"
QUALITY_AUTHORITY = "中山市建设工程质量事务中心"


def read_json(name: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def load_reference_data(apps: Any = None) -> None:
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    CodeItem = apps.get_model("registry", "CodeItem")
    Jurisdiction = apps.get_model("registry", "Jurisdiction")
    Authority = apps.get_model("registry", "Authority")

    for table, rows in read_json("codes.json").items():
        if table.startswith("_"):
            continue
        for sort, (code, name) in enumerate(rows):
            CodeItem.objects.update_or_create(
                table=table, code=code, defaults={"name": name, "sort": sort}
            )

    urban = []
    for row in read_json("jurisdictions.json")["jurisdictions"]:
        j, _ = Jurisdiction.objects.update_or_create(
            code=row["code"], defaults=row | {"code": row["code"]}
        )
        if j.is_urban:
            urban.append(j)
        else:
            town, _ = Authority.objects.get_or_create(
                name=f"{j.name}住房城乡建设部门", defaults={"kind": "town"}
            )
            town.jurisdictions.add(j)

    # Merges (东升 → 小榄): the old town stops on valid_to; its projects go to the successor from the next day.
    if any(f.name == "successor" for f in Jurisdiction._meta.get_fields()):
        for merge in read_json("jurisdictions.json").get("merges", []):
            successor = Jurisdiction.objects.get(code=merge["successor"])
            Jurisdiction.objects.filter(code=merge["code"]).update(
                valid_to=merge["valid_to"], successor=successor
            )

    Authority.objects.get_or_create(name=MARKET_AUTHORITY, defaults={"kind": "market"})
    Authority.objects.get_or_create(name=QUALITY_AUTHORITY, defaults={"kind": "quality"})
    safety, _ = Authority.objects.get_or_create(name=SAFETY_AUTHORITY, defaults={"kind": "safety"})
    # The notice, 三(一)3: the safety affairs center handles the urban districts.
    safety.jurisdictions.add(*urban)
