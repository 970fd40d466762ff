import time

import pytest

from yiwang.cases import scanning
from yiwang.cases.scanning import EICAR, ScanResult, SimulatedScanner, get_scanner, register_scanner


def test_simulated_scanner_flags_eicar_only():
    scanner = SimulatedScanner(delay=0)
    assert scanner.scan(b"%PDF-1.4 harmless") == ScanResult(True)
    assert scanner.scan(b"prefix " + EICAR + b" suffix") == ScanResult(False, "EICAR-Test-File")


def test_simulated_scanner_delay():
    started = time.monotonic()
    SimulatedScanner(delay=0.05).scan(b"x")
    assert time.monotonic() - started >= 0.05


def test_registry_chooses_by_setting(settings):
    @register_scanner
    class AlwaysInfected:
        name = "always-infected-test"

        def scan(self, data: bytes) -> ScanResult:
            return ScanResult(False, "Test.Sig")

    try:
        settings.CASES_SCANNER = "always-infected-test"
        assert get_scanner().scan(b"x") == ScanResult(False, "Test.Sig")
        settings.CASES_SCANNER = "simulated"
        assert isinstance(get_scanner(), SimulatedScanner)
        with pytest.raises(scanning.UnknownScanner):
            get_scanner("nope")
    finally:
        scanning._SCANNERS.pop("always-infected-test", None)
