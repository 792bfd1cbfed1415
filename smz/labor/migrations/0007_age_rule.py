"""The age limits for site work, as data the city administrator can change (admin: 进场年龄规定)."""

import datetime as dt

from django.db import migrations


def load(apps, schema_editor):
    AgeRule = apps.get_model("labor", "AgeRule")
    AgeRule.objects.get_or_create(
        valid_from=dt.date(2020, 1, 1),
        defaults={
            "min_age": 18,
            "max_age_male": 60,
            "max_age_female": 55,
            "source": "平台默认值：按本市建筑施工用工年龄规定调整",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("labor", "0006_entry_checks")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
