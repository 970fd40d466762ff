"""Keeps SQLite's FTS5 table in step with SearchDocument (PostgreSQL does it with a trigger)."""

from django.db import connection


def replace(documents: list[tuple[int, str]]) -> None:
    """(document id, tokens) pairs that were created or changed."""
    if connection.vendor != "sqlite" or not documents:
        return
    with connection.cursor() as cursor:
        cursor.executemany("DELETE FROM catalog_search_fts WHERE rowid = %s", [(pk,) for pk, _ in documents])
        cursor.executemany("INSERT INTO catalog_search_fts(rowid, tokens) VALUES (%s, %s)", documents)


def delete(ids: list[int]) -> None:
    if connection.vendor != "sqlite" or not ids:
        return
    with connection.cursor() as cursor:
        cursor.executemany("DELETE FROM catalog_search_fts WHERE rowid = %s", [(pk,) for pk in ids])
