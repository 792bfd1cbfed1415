"""Issue 12 item 1: the Notification model moves to its own app (smz.notifications). State only: the table
approvals_notification stays where it is, with its rows (the new model keeps the table's name), and
notifications.0001 takes the model over in the state right after this."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0002_contact_phone_encrypted"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
