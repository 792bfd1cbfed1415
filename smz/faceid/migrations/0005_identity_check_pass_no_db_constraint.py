"""IdentityCheck.pass_record without a database foreign key (issue 17 goal 5: passes are partitioned by month
on PostgreSQL, and a partitioned table cannot be referenced by id alone). On PostgreSQL attendance's
0012_pass_partitions has already dropped the constraint (and its reverse puts it back once the pass table is
plain again), so only SQLite's table changes here."""

import django.db.models.deletion
from django.db import migrations, models


class AlterFieldOffPostgreSQL(migrations.AlterField):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ('attendance', '0012_pass_partitions'),
        ('faceid', '0004_identity_reviews'),
    ]

    operations = [
        AlterFieldOffPostgreSQL(
            model_name='identitycheck',
            name='pass_record',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='identity_check', serialize=False, to='attendance.passrecord'),
        ),
    ]
