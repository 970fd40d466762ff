"""Pluggable signature algorithms. Callers only use `get_signer(name)`; an SM2/SM3 signer can be
added later with `@register_signer` without touching them. Keys are raw bytes here; the SigningKey
model stores the public key in base64 and the private key encrypted (yiwang.core.crypto)."""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_SIGNERS: dict[str, type[Signer]] = {}


class UnknownAlgorithm(LookupError):
    pass


class Signer:
    name = ""

    def generate(self) -> tuple[bytes, bytes]:
        """(private key, public key) as bytes."""
        raise NotImplementedError

    def sign(self, private_key: bytes, data: bytes) -> bytes:
        raise NotImplementedError

    def verify(self, public_key: bytes, signature: bytes, data: bytes) -> bool:
        raise NotImplementedError


def register_signer(cls: type[Signer]) -> type[Signer]:
    _SIGNERS[cls.name] = cls
    return cls


def get_signer(name: str) -> Signer:
    try:
        return _SIGNERS[name]()
    except KeyError:
        raise UnknownAlgorithm(f"no signer registered for algorithm {name!r}") from None


def signer_names() -> list[str]:
    return sorted(_SIGNERS)


@register_signer
class Ed25519Signer(Signer):
    name = "ed25519"

    def generate(self) -> tuple[bytes, bytes]:
        private = Ed25519PrivateKey.generate()
        raw = serialization.Encoding.Raw
        return (private.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()),
                private.public_key().public_bytes(raw, serialization.PublicFormat.Raw))

    def sign(self, private_key: bytes, data: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(private_key).sign(data)

    def verify(self, public_key: bytes, signature: bytes, data: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict: only the canonical unpadded encoding is accepted, so a changed character (even in the
    unused low bits of the last one) never decodes to the same bytes."""
    if not text or not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(data) != text:
        raise ValueError("not canonical base64url")
    return data
