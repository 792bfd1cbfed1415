"""Pass records in monthly partitions on PostgreSQL (issue 17 goal 5); SQLite only gets the state changes.

On PostgreSQL, in the migration's one transaction: every foreign key pointing at a pass is dropped (faceid's
too: PostgreSQL cannot reference a partitioned table by id alone; the models say db_constraint=False), a new
table partitioned by range of work_date is created with a partition for every month that has passes, the months
ahead and a default one, the rows are copied, the old table dropped and the new one renamed; then its id
sequence, primary key (id, work_date), unique (device_id, device_record_id, work_date) under the old unique's
name, and the old table's indexes, checks and foreign keys are made again, and attendance_passkey receives
every stored (device_id, device_record_id). The reverse does the same back to one plain table, with the
foreign keys to passes that the state then has.
"""

import django.db.models.deletion
from django.db import migrations, models

from smz.attendance.partitions import default_name, is_partitioned, month_first, partitions_ensure

TABLE = "attendance_passrecord"
UNIQUE = "pass_unique_device_record"


def _definitions(cursor, table):
    """The table's plain indexes (not those of its primary or unique key) and its foreign keys."""
    cursor.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN"
        " (SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype IN ('p', 'u'))",
        [table, table],
    )
    indexes = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = to_regclass(%s) AND contype = 'f'",
        [table],
    )
    return indexes, cursor.fetchall()


def _rebuild(cursor, indexes, foreign_keys, *, partitioned):
    """Keys, sequence, indexes and foreign keys of the (new) table named TABLE."""
    seq = f"{TABLE}_id_seq"
    cursor.execute(f"CREATE SEQUENCE {seq} OWNED BY {TABLE}.id")
    cursor.execute(f"SELECT setval('{seq}', COALESCE((SELECT max(id) FROM {TABLE}), 0) + 1, false)")
    cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{seq}')")
    day = ", work_date" if partitioned else ""
    cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id{day})")
    cursor.execute(
        f"ALTER TABLE {TABLE} ADD CONSTRAINT {UNIQUE} UNIQUE (device_id, device_record_id{day})"
    )
    for definition in indexes:
        cursor.execute(definition)
    for name, definition in foreign_keys:
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")


def partition_passes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or is_partitioned(connection, TABLE):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint"
            " WHERE contype = 'f' AND confrelid = to_regclass(%s)",
            [TABLE],
        )
        for table, name in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        indexes, foreign_keys = _definitions(cursor, TABLE)
        cursor.execute(f"SELECT DISTINCT date_trunc('month', work_date)::date FROM {TABLE}")
        months = [row[0] for row in cursor.fetchall()]
        new = f"{TABLE}_partitioned"
        cursor.execute(
            f"CREATE TABLE {new} (LIKE {TABLE} INCLUDING CONSTRAINTS INCLUDING STORAGE)"
            " PARTITION BY RANGE (work_date)"
        )
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_old")
        cursor.execute(f"ALTER TABLE {new} RENAME TO {TABLE}")
        cursor.execute(f"CREATE TABLE {default_name(TABLE)} PARTITION OF {TABLE} DEFAULT")
    # Partitions before the rows, so each row is written once, into its month.
    partitions_ensure(months=[month_first(m) for m in months], connection=connection, table=TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {TABLE}_old")
        cursor.execute(f"DROP TABLE {TABLE}_old")
        _rebuild(cursor, indexes, foreign_keys, partitioned=True)
        cursor.execute(
            "INSERT INTO attendance_passkey (device_id, device_record_id)"
            f" SELECT device_id, device_record_id FROM {TABLE}"
        )


def unpartition_passes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or not is_partitioned(connection, TABLE):
        return
    with connection.cursor() as cursor:
        indexes, foreign_keys = _definitions(cursor, TABLE)
        flat = f"{TABLE}_flat"
        cursor.execute(f"CREATE TABLE {flat} (LIKE {TABLE} INCLUDING CONSTRAINTS INCLUDING STORAGE)")
        cursor.execute(f"INSERT INTO {flat} SELECT * FROM {TABLE}")
        cursor.execute(f"DROP TABLE {TABLE}")  # with its partitions and its sequence
        cursor.execute(f"ALTER TABLE {flat} RENAME TO {TABLE}")
        _rebuild(cursor, indexes, foreign_keys, partitioned=False)
    # Foreign keys to passes that the state at this point still has (faceid's identity check, whose own
    # migration leaves PostgreSQL to this one); attendance's own come back with the AlterFields reversed next.
    for relation in apps.get_model("attendance", "PassRecord")._meta.related_objects:
        if relation.field.db_constraint:
            schema_editor.execute(
                schema_editor._create_fk_sql(
                    relation.related_model, relation.field, "_fk_%(to_table)s_%(to_column)s"
                )
            )


class Migration(migrations.Migration):

    dependencies = [
        ('attendance', '0011_keypostday_absence_reason'),
        ('devices', '0005_entrances'),
        # After the last migration that makes a foreign key to passes (faceid's identity check), which a
        # partitioned table could not take; faceid's 0005 then drops it from the state too.
        ('faceid', '0004_identity_reviews'),
    ]

    operations = [
        migrations.AlterField(
            model_name='latesnapshot',
            name='pass_record',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='late_snapshot', serialize=False, to='attendance.passrecord'),
        ),
        migrations.AlterField(
            model_name='passcontest',
            name='pass_record',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='contests', to='attendance.passrecord'),
        ),
        migrations.AlterField(
            model_name='snapshotcheck',
            name='pass_record',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='snapshot_check', serialize=False, to='attendance.passrecord'),
        ),
        migrations.CreateModel(
            name='PassKey',
            fields=[
                ('pk', models.CompositePrimaryKey('device', 'device_record_id', blank=True, editable=False, primary_key=True, serialize=False)),
                ('device_record_id', models.CharField(max_length=64)),
                ('device', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='devices.device')),
            ],
        ),
        migrations.RunPython(partition_passes, unpartition_passes, elidable=False),
    ]
