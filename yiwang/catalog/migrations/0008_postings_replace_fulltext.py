"""Candidates now come from the posting table (0007): fill it from the documents' weights and drop
the FTS5 table and the tsvector column, trigger and index of 0005 (reversing recreates them)."""

from importlib import import_module

from django.db import migrations

fulltext = import_module("yiwang.catalog.migrations.0005_search_fulltext")


def fill_postings(apps, schema_editor):
    SearchDocument = apps.get_model("catalog", "SearchDocument")
    SearchPosting = apps.get_model("catalog", "SearchPosting")
    batch = []
    for doc_id, weights in SearchDocument.objects.values_list("id", "weights").iterator(chunk_size=500):
        batch.extend(SearchPosting(document_id=doc_id, term=term[:100], weight=float(weight))
                     for term, weight in (weights or {}).items())
        if len(batch) >= 5000:
            SearchPosting.objects.bulk_create(batch)
            batch = []
    SearchPosting.objects.bulk_create(batch)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE catalog_searchposting")


def empty_postings(apps, schema_editor):
    apps.get_model("catalog", "SearchPosting").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_search_postings")]
    operations = [
        migrations.RunPython(fill_postings, empty_postings),
        migrations.RunPython(
            fulltext._run({"sqlite": fulltext.SQLITE_BACKWARD, "postgresql": fulltext.POSTGRES_BACKWARD}),
            fulltext._run({"sqlite": fulltext.SQLITE_FORWARD, "postgresql": fulltext.POSTGRES_FORWARD}),
        ),
    ]
