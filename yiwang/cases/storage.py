"""Private storage of uploaded materials.

Files go to the storage alias "cases_private" when settings.STORAGES defines one (e.g. a
FileSystemStorage outside MEDIA_ROOT, or a private bucket), else to the default storage under
constants.PRIVATE_PREFIX with random names. Either way they are served only by the authenticated
views of this app, never by a public URL."""

from django.conf import settings
from django.core.files.storage import default_storage, storages
from django.utils.functional import LazyObject

ALIAS = "cases_private"


class _PrivateStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages[ALIAS] if ALIAS in settings.STORAGES else default_storage


_storage = _PrivateStorage()


def private_storage():
    """Callable for FileField(storage=...): migrations keep the reference, not a storage instance."""
    return _storage
