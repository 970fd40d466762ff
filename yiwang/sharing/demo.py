"""Reference data of the sharing context (the data catalogue), for `manage.py load_demo`."""

from .services import data_catalog_sync


def load_data_catalog(*, reset: bool = False) -> tuple[int, int]:
    """Idempotent: creates missing catalogue elements from registry DATA_SOURCES; `reset` also puts
    back the default names and sharing classes. Returns (created, updated)."""
    return data_catalog_sync(reset=reset)
