"""gunicorn settings, read from the working directory (README "Deployment"; bench/search_bench.py).

Each worker loads the search vocabulary, the segmenter's dictionary and the documents' scoring
fields before it takes traffic, instead of making its first searches wait for them.

Workers run threads (gthread): submits that arrive together in one worker are then written as one
batch (yiwang/cases/submit.py, docs/decisions.md 15). Each thread keeps its own database connection,
so the database must allow workers × threads connections per node (WEB_THREADS=1: sync workers)."""

import os

threads = int(os.environ.get("WEB_THREADS", "8"))


def post_worker_init(worker):
    from yiwang.catalog.search.engine import warm_up

    warm_up()
