"""Each row of the PostgreSQL index is stemmed in its item's language.

`language` is a regconfig (english, german, ...). The generated `vector` column is re-created to
read it, which rewrites the table once: on a large index this migration takes a while (about the
time of `search_rebuild`), and search answers from the old vectors until it ends.
"""

from django.db import migrations

import enlets.search.models

VECTOR_SQL = """
DROP INDEX IF EXISTS search_entry_vector;
ALTER TABLE search_searchentry DROP COLUMN vector;
ALTER TABLE search_searchentry ADD COLUMN vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector(language, coalesce(text_a, '')), 'A') ||
    setweight(to_tsvector(language, coalesce(text_b, '')), 'B') ||
    setweight(to_tsvector(language, coalesce(text_c, '')), 'C') ||
    setweight(to_tsvector(language, coalesce(text_d, '')), 'D')
) STORED;
CREATE INDEX search_entry_vector ON search_searchentry USING GIN (vector);
CREATE INDEX search_entry_language ON search_searchentry (language);
"""

BACKWARD_SQL = """
DROP INDEX IF EXISTS search_entry_language;
DROP INDEX IF EXISTS search_entry_vector;
ALTER TABLE search_searchentry DROP COLUMN vector;
ALTER TABLE search_searchentry ADD COLUMN vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(text_a, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(text_b, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(text_c, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(text_d, '')), 'D')
) STORED;
CREATE INDEX search_entry_vector ON search_searchentry USING GIN (vector);
"""


def language_vector(apps, schema_editor):
    # PostgreSQL only, like the vector column of 0001: on SQLite the table is unused.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(VECTOR_SQL)


def english_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD_SQL)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_facets_index")]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="language",
            field=enlets.search.models.TextSearchConfigField(db_default="english", default="english", max_length=20),
        ),
        migrations.RunPython(language_vector, english_vector, elidable=False),
    ]
