"""证照标识 (GB/T 36904): `1.2.156.3005.2.<type code>.<issuer credit code>.<serial>.<version>.<check>`.

The check character is ISO 7064 MOD 37,36 (hybrid system, alphabet 0-9A-Z) over the alphanumeric
characters of everything before it; the dots are separators and are not part of the checked string
(MOD 37,36 has no value for "."). Every part has a fixed length, so a moved or changed dot breaks the
format and every single substitution of a character breaks the check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .constants import LICENSE_ROOT, SERIAL_DIGITS

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_M = len(ALPHABET)  # 36

IDENTIFIER_RE = re.compile(
    r"^" + re.escape(LICENSE_ROOT) + r"\.(?P<type_code>\d{4})\.(?P<issuer>[0-9A-Z]{18})"
    rf"\.(?P<serial>\d{{{SERIAL_DIGITS}}})\.(?P<version>\d{{3}})\.(?P<check>[0-9A-Z])$"
)


def mod_37_36_check_char(text: str) -> str:
    """The check character that makes `text` + char valid under ISO 7064 MOD 37,36.

    Hybrid system: P starts at M (36); per character S = (P + value) mod M (0 becomes M),
    P = 2·S mod (M + 1); the check character c satisfies (P + c) mod M == 1."""
    p = _M
    for char in text:
        s = (p + _value(char)) % _M or _M
        p = (s * 2) % (_M + 1)
    return ALPHABET[(1 - p) % _M]


def mod_37_36_is_valid(text: str) -> bool:
    if len(text) < 2:
        return False
    try:
        return mod_37_36_check_char(text[:-1]) == text[-1]
    except ValueError:
        return False


def _value(char: str) -> int:
    index = ALPHABET.find(char)
    if index < 0:
        raise ValueError(f"character {char!r} is not in the MOD 37,36 alphabet")
    return index


@dataclass(frozen=True)
class Identifier:
    type_code: str
    issuer_code: str
    serial: int
    version: int

    @property
    def body(self) -> str:
        return (f"{LICENSE_ROOT}.{self.type_code}.{self.issuer_code}."
                f"{self.serial:0{SERIAL_DIGITS}d}.{self.version:03d}")

    def __str__(self) -> str:
        body = self.body
        return f"{body}.{mod_37_36_check_char(body.replace('.', ''))}"


def identifier_build(*, type_code: str, issuer_code: str, serial: int, version: int = 1) -> str:
    text = str(Identifier(type_code=type_code, issuer_code=issuer_code, serial=serial, version=version))
    if not IDENTIFIER_RE.match(text):
        raise ValueError(f"cannot build a licence identifier from {type_code!r}, {issuer_code!r}, "
                         f"{serial!r}, {version!r}")
    return text


def identifier_parse(text: str) -> Identifier | None:
    """The parts of a well-formed identifier with a correct check character, else None."""
    match = IDENTIFIER_RE.match(text or "")
    if not match or not mod_37_36_is_valid(text.replace(".", "")):
        return None
    return Identifier(type_code=match["type_code"], issuer_code=match["issuer"],
                      serial=int(match["serial"]), version=int(match["version"]))


def identifier_is_valid(text: str) -> bool:
    return identifier_parse(text) is not None
