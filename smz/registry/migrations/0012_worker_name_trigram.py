"""A trigram index for the search of people by part of a name (`name__icontains`, which Django writes on
PostgreSQL as UPPER(name::text) LIKE UPPER('%…%')): PostgreSQL only (pg_trgm); SQLite is left as it is.
A search of three characters or more uses it; one or two characters give no trigram and scan as before."""

from typing import Any

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS worker_name_trgm ON registry_worker"
    " USING gin ((UPPER(name::text)) gin_trgm_ops)"
)


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(CREATE)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS worker_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("registry", "0011_worker_list_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
