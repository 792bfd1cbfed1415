"""Zhongshan's minimum wage (a 二类 city in Guangdong's table). Later adjustments are added as rows by the
city administrator (admin: 最低工资标准); the newest row in force is used."""

import datetime as dt

from django.db import migrations

ROWS = [
    # 粤府函〔2021〕297号, in force 2021-12-01: 珠海、佛山、东莞、中山 1,900 元/月, 非全日制 18.1 元/小时.
    (dt.date(2021, 12, 1), 190000, 1810, "粤府函〔2021〕297号（二类：珠海、佛山、东莞、中山）"),
]


def load(apps, schema_editor):
    MinimumWage = apps.get_model("labor", "MinimumWage")
    for valid_from, monthly, hourly, source in ROWS:
        MinimumWage.objects.get_or_create(
            valid_from=valid_from,
            defaults={"monthly_fen": monthly, "hourly_fen": hourly, "source": source},
        )


class Migration(migrations.Migration):
    dependencies = [("labor", "0001_labor")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
