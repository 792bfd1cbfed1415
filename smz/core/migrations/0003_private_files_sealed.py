# Issue 10 item 6 (N2): every private file (faces, ID cards, enrollment photos, scans, snapshots) is sealed at
# rest with the data key; the plaintext files already on disk are sealed here (names unchanged, sealed skipped).

from django.db import migrations


def seal(apps, schema_editor):
    from smz.core.storage import private_files_seal

    private_files_seal()


def unseal(apps, schema_editor):
    from smz.core.storage import private_files_seal

    private_files_seal(decrypt=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_seed_step"),
    ]

    operations = [
        migrations.RunPython(seal, unseal, elidable=True),
    ]
