"""gunicorn settings, read from the working directory (README "Deployment"; bench/search_bench.py).

Each worker loads the search vocabulary, the segmenter's dictionary and the documents' scoring
fields before it takes traffic, instead of making its first searches wait for them."""


def post_worker_init(worker):
    from yiwang.catalog.search.engine import warm_up

    warm_up()
