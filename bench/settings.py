"""Production settings for the benchmarks, with uploads and stamped copies in a throw-away folder."""

import os

from yiwang.settings.prod import *  # noqa: F403

MEDIA_ROOT = os.environ.get("BENCH_MEDIA_ROOT") or MEDIA_ROOT  # noqa: F405
