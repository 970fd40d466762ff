"""Full-text indexes over SearchDocument.tokens: FTS5 on SQLite, a GIN-indexed tsvector on PostgreSQL.

Tokens are already segmented (jieba) and space-separated, so both databases take them as they are:
FTS5's unicode61 tokenizer splits on spaces, and PostgreSQL builds the tsvector with
array_to_tsvector, which bypasses the text parser (no stemming, no dropped CJK characters).
"""

from django.db import migrations

SQLITE_FORWARD = [
    # A table of its own rather than external content with triggers: SQLite rebuilds a table on
    # many ALTERs, which would silently drop triggers. search/fulltext.py keeps it in step.
    "CREATE VIRTUAL TABLE catalog_search_fts USING fts5(tokens, tokenize='unicode61 remove_diacritics 0')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS catalog_search_fts"]

POSTGRES_FORWARD = [
    "ALTER TABLE catalog_searchdocument ADD COLUMN search_vector tsvector",
    """CREATE FUNCTION catalog_searchdocument_tsv() RETURNS trigger AS $$
    BEGIN
      NEW.search_vector := array_to_tsvector(array_remove(string_to_array(NEW.tokens, ' '), ''));
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER catalog_searchdocument_tsv BEFORE INSERT OR UPDATE OF tokens ON catalog_searchdocument "
    "FOR EACH ROW EXECUTE FUNCTION catalog_searchdocument_tsv()",
    "CREATE INDEX catalog_searchdocument_tsv_gin ON catalog_searchdocument USING gin (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS catalog_searchdocument_tsv_gin",
    "DROP TRIGGER IF EXISTS catalog_searchdocument_tsv ON catalog_searchdocument",
    "DROP FUNCTION IF EXISTS catalog_searchdocument_tsv()",
    "ALTER TABLE catalog_searchdocument DROP COLUMN IF EXISTS search_vector",
]


def _run(statements):
    def apply(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_vocabulary")]
    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
