# Issue 10 item 6 (N2): gate snapshots were sealed here first; migration core 0003_private_files_sealed now seals
# every private file (snapshots included) through smz.core.storage, so this step has nothing left to do.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0008_daily_worker_date"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop, elidable=True),
    ]
