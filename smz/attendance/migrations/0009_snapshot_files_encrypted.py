# Issue 10 item 6 (N2): gate snapshots are faces; the files already on disk are sealed with the data key.

from django.db import migrations


def seal(apps, schema_editor):
    """Seal the plaintext snapshot files under var/private/snap/ (names unchanged; sealed files skipped)."""
    from smz.attendance.ingest import snapshot_files_encrypt

    snapshot_files_encrypt()


def unseal(apps, schema_editor):
    from smz.attendance.ingest import snapshot_files_encrypt

    snapshot_files_encrypt(decrypt=True)


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0008_daily_worker_date"),
    ]

    operations = [
        migrations.RunPython(seal, unseal, elidable=True),
    ]
