"""yiwang.wsgi plus the patches named in BENCH_PATCHES (bench/what_if.py)."""

from bench.what_if import install_from_env
from yiwang.wsgi import application  # noqa: F401

install_from_env()
