"""Planner statistics for the anomaly filter (issue 17 goal 4): the anomaly lists filter daily rows with
`anomalies__icontains` (UPPER(anomalies::text) LIKE '%NO\\_EXIT%' on PostgreSQL). Without statistics on that
expression PostgreSQL guessed one row where a city day has thousands and joined the projects row by row
(0.7 s for one day); with them it estimates from the few distinct anomaly lists. PostgreSQL 14+ only
(expression statistics); SQLite and older servers are left as they are."""

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    schema_editor.execute(
        "CREATE STATISTICS IF NOT EXISTS daily_anomalies_text ON (UPPER(anomalies::text))"
        " FROM attendance_dailyattendance"
    )
    schema_editor.execute("ANALYZE attendance_dailyattendance")


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS daily_anomalies_text")


class Migration(migrations.Migration):
    dependencies = [("attendance", "0015_daily_anomalous_index")]

    operations = [migrations.RunPython(forwards, backwards)]
