"""Indexes on the topic and country link tables by (value, practice), for the practice list filtered
by a topic and a country together: each yields its practice ids in order, so the two are merged
without reading the link rows (enlets.practices.filters.PracticeFilters._apply_links). Django declares
no indexes on the tables it makes for a many-to-many field, so they are plain SQL, the same on
SQLite and PostgreSQL."""

from django.db import migrations

INDEXES = [
    ("practice_topics_topic_practice", "practices_practice_topics", "topic_id, practice_id"),
    ("practice_countries_country_practice", "practices_practice_countries", "country_id, practice_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("practices", "0004_released_marking_index"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, columns in INDEXES
    ]
