"""A GIN index on the PostgreSQL engine's facets, for filters on list facets (?topic=anpr):
`facets @> {"topic": ["anpr"]}` (jsonb_path_ops answers containment only, and is small)."""

from django.db import migrations

FORWARD = "CREATE INDEX IF NOT EXISTS search_entry_facets ON search_searchentry USING GIN (facets jsonb_path_ops)"
BACKWARD = "DROP INDEX IF EXISTS search_entry_facets"


def add_index(apps, schema_editor):
    # PostgreSQL only, like the vector column of 0001: on SQLite the table is unused.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(add_index, drop_index, elidable=False)]
