"""Virus scanning of uploaded materials: a plugin interface.

A scanner is any object with a `name` and `scan(data: bytes) -> ScanResult`. Register a real one
(ClamAV, a vendor's cloud API ...) with `register_scanner` and choose it with settings CASES_SCANNER
(default "simulated"). The simulated scanner flags the EICAR test string, the industry-standard
harmless test file, and passes everything else; CASES_SCANNER_DELAY (seconds) makes it as slow as a
real scanner, for load tests."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

# The 68-byte EICAR anti-virus test file (https://www.eicar.org/download-anti-malware-testfile/).
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""  # what was found, for the audit log


class Scanner(Protocol):
    name: str

    def scan(self, data: bytes) -> ScanResult: ...


_SCANNERS: dict[str, type] = {}


class UnknownScanner(LookupError):
    pass


def register_scanner(cls: type) -> type:
    _SCANNERS[cls.name] = cls
    return cls


def get_scanner(name: str | None = None) -> Scanner:
    name = name or getattr(settings, "CASES_SCANNER", "simulated")
    try:
        return _SCANNERS[name]()
    except KeyError:
        raise UnknownScanner(f"no scanner registered as {name!r}") from None


@register_scanner
class SimulatedScanner:
    name = "simulated"

    def __init__(self, delay: float | None = None):
        self.delay = float(getattr(settings, "CASES_SCANNER_DELAY", 0) if delay is None else delay)

    def scan(self, data: bytes) -> ScanResult:
        if self.delay:
            time.sleep(self.delay)
        if EICAR in data:
            return ScanResult(False, "EICAR-Test-File")
        return ScanResult(True)
