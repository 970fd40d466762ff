"""Personal data at rest: encrypted model fields plus an HMAC blind index for look-up and uniqueness.

Fernet (AES-128-CBC + HMAC-SHA256) through MultiFernet, so keys rotate: the first key of
FIELD_ENCRYPTION_KEYS encrypts, every key decrypts (`manage.py rotate_field_keys` re-encrypts).
The blind index is HMAC-SHA256 under a separate key, so the index reveals nothing without it and
equal values give equal digests (the way national user tables keep a hash beside the ID number).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def derive_key(secret: str, purpose: str) -> bytes:
    """32 bytes for `purpose` from a master secret (dev and test derive their keys from SECRET_KEY)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"yiwang", info=purpose.encode()).derive(
        secret.encode()
    )


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []) or [])
    if not keys:
        if not settings.SECRET_KEY:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS or SECRET_KEY must be set")
        keys = [base64.urlsafe_b64encode(derive_key(settings.SECRET_KEY, "field-encryption")).decode()]
    return MultiFernet([Fernet(k) for k in keys])


@lru_cache(maxsize=1)
def _index_key() -> bytes:
    key = getattr(settings, "BLIND_INDEX_KEY", "") or ""
    if key:
        return key.encode()
    return derive_key(settings.SECRET_KEY, "blind-index")


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()


def blind_index(value: str, *, purpose: str = "id") -> str:
    """Hex HMAC of the normalised value; `purpose` keeps ID and phone indexes unlinkable."""
    mac = hmac.new(_index_key(), purpose.encode() + b"\x00" + value.strip().upper().encode(), hashlib.sha256)
    return mac.hexdigest()


def clear_key_cache() -> None:
    _fernet.cache_clear()
    _index_key.cache_clear()


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code only ever sees the plain value.

    It cannot be filtered on: look up through the blind-index field stored beside it.
    """

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return decrypt(value)
        except InvalidToken:
            raise ImproperlyConfigured(
                f"{self.model.__name__}.{self.name}: cannot decrypt; is FIELD_ENCRYPTION_KEYS complete?"
            ) from None

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
