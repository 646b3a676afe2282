from django.db import migrations, models

VECTOR_SQL = """
ALTER TABLE search_searchentry ADD COLUMN vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(text_a, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(text_b, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(text_c, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(text_d, '')), 'D')
) STORED;
CREATE INDEX search_entry_vector ON search_searchentry USING GIN (vector);
CREATE INDEX search_entry_labels ON search_searchentry USING GIN (labels);
"""


def add_vector(apps, schema_editor):
    # PostgreSQL only: on SQLite the table exists (same migrations everywhere) but is unused.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(VECTOR_SQL)


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("model", models.CharField(max_length=100)),
                ("object_id", models.BigIntegerField()),
                ("title", models.CharField(max_length=300)),
                ("text_a", models.TextField(blank=True)),
                ("text_b", models.TextField(blank=True)),
                ("text_c", models.TextField(blank=True)),
                ("text_d", models.TextField(blank=True)),
                ("facets", models.JSONField(default=dict)),
                ("labels", models.JSONField(default=list)),
                ("indexed_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("model", "object_id"), name="search_entry_unique")],
            },
        ),
        migrations.RunPython(add_vector, migrations.RunPython.noop, elidable=False),
    ]
