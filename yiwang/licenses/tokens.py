"""Byte layouts that are signed, and the QR token.

A licence's signature covers `canonical_bytes(license)`: its identity and content (identifier,
type, number, name, version, dates, issuer, holder hash and name, related item, digest of the 照面
fields) in a fixed length-prefixed binary layout, never its status, so suspending or revoking it
does not invalidate the signature.

The QR token is `base64url(payload) + "." + base64url(signature)`; the payload binds the identifier,
the key id and the first 16 bytes of SHA-256(canonical bytes), and is signed by the same key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .signing import b64url_decode, b64url_encode

LICENSE_MAGIC = b"YWLIC\x01"
TOKEN_MAGIC = b"YWQR\x01"
TOKEN_VERSION = 1
DIGEST_BYTES = 16


def _field(value: str) -> bytes:
    data = value.encode()
    return len(data).to_bytes(4, "big") + data


def fields_digest(fields: dict) -> str:
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def canonical_bytes(license) -> bytes:
    parts = [
        license.identifier, license.type_code, license.license_type.code, license.number, license.name,
        str(license.version), license.issued_on.isoformat(), license.issuer_code, license.issuer.code,
        license.valid_from.isoformat(), license.valid_until.isoformat() if license.valid_until else "",
        license.holder_hash, license.holder_code_type, license.holder_name, license.item_code,
        fields_digest(license.fields),
    ]
    return LICENSE_MAGIC + b"".join(_field(p) for p in parts)


def content_digest(license) -> bytes:
    return hashlib.sha256(canonical_bytes(license)).digest()[:DIGEST_BYTES]


@dataclass(frozen=True)
class TokenPayload:
    identifier: str
    key_id: str
    digest: bytes

    def to_bytes(self) -> bytes:
        ident, key = self.identifier.encode(), self.key_id.encode()
        return bytes([TOKEN_VERSION, len(ident)]) + ident + bytes([len(key)]) + key + self.digest

    @classmethod
    def from_bytes(cls, data: bytes) -> TokenPayload:
        if len(data) < 3 or data[0] != TOKEN_VERSION:
            raise ValueError("unknown token version")
        n = data[1]
        ident, rest = data[2:2 + n], data[2 + n:]
        if len(ident) != n or not rest:
            raise ValueError("truncated token")
        m = rest[0]
        key, digest = rest[1:1 + m], rest[1 + m:]
        if len(key) != m or len(digest) != DIGEST_BYTES:
            raise ValueError("truncated token")
        return cls(identifier=ident.decode("ascii"), key_id=key.decode("ascii"), digest=digest)


def token_signed_bytes(payload: TokenPayload) -> bytes:
    return TOKEN_MAGIC + payload.to_bytes()


def token_join(payload: TokenPayload, signature: bytes) -> str:
    return f"{b64url_encode(payload.to_bytes())}.{b64url_encode(signature)}"


def token_split(token: str) -> tuple[TokenPayload, bytes]:
    """Raises ValueError for anything that is not a well-formed token."""
    parts = (token or "").strip().split(".")
    if len(parts) != 2:
        raise ValueError("a token has two parts")
    payload = TokenPayload.from_bytes(b64url_decode(parts[0]))
    return payload, b64url_decode(parts[1])
