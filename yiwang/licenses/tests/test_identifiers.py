"""证照标识 and its ISO 7064 MOD 37,36 check character."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.iso7064 import mod_37_36

from yiwang.licenses.identifiers import (
    ALPHABET,
    identifier_build,
    identifier_is_valid,
    identifier_parse,
    mod_37_36_check_char,
    mod_37_36_is_valid,
)

GAJ_CREDIT_CODE = "11330100020010003N"


@pytest.mark.parametrize("text, check", [
    # By hand: P=36; "0": S=(36+0) mod 36=0→36, P=72 mod 37=35; c=(1-35) mod 36=2.
    ("0", "2"),
    # "A"(10): S=(36+10) mod 36=10, P=20; c=(1-20) mod 36=17 → "H".
    ("A", "H"),
    # "1": S=1, P=2; "2": S=4, P=8; c=(1-8) mod 36=29 → "T".
    ("12", "T"),
    # "Z"(35): S=(36+35) mod 36=35, P=70 mod 37=33; "Z": S=(33+35) mod 36=32, P=64 mod 37=27;
    # c=(1-27) mod 36=10 → "A".
    ("ZZ", "A"),
    ("A12425GABC1234002", "M"),  # the example of ISO 7064 as quoted by python-stdnum
])
def test_check_char_known_vectors(text, check):
    assert mod_37_36_check_char(text) == check
    assert mod_37_36_is_valid(text + check)


@given(st.text(alphabet=ALPHABET, min_size=1, max_size=60))
def test_check_char_agrees_with_stdnum(text):
    assert mod_37_36_check_char(text) == mod_37_36.calc_check_digit(text)


def test_check_char_rejects_characters_outside_the_alphabet():
    with pytest.raises(ValueError):
        mod_37_36_check_char("12a")
    assert not mod_37_36_is_valid("1.2")
    assert not mod_37_36_is_valid("")


def test_identifier_layout():
    text = identifier_build(type_code="1001", issuer_code=GAJ_CREDIT_CODE, serial=7)
    root, _, tail = text.partition(".1001.")
    assert root == "1.2.156.3005.2"
    parts = tail.split(".")
    assert parts[:3] == [GAJ_CREDIT_CODE, "00000007", "001"]
    assert parts[3] == mod_37_36_check_char("1215630052" + "1001" + GAJ_CREDIT_CODE + "00000007" + "001")
    parsed = identifier_parse(text)
    assert (parsed.type_code, parsed.issuer_code, parsed.serial, parsed.version) == ("1001", GAJ_CREDIT_CODE, 7, 1)


@pytest.mark.parametrize("bad", ["", "1.2.156.3005.2", "1.2.156.3005.2.1001.11330100020010003N.00000007.001",
                                 "1.2.156.3005.2.1001.11330100020010003n.00000007.001.X",
                                 "1.2.156.3005.2.101.11330100020010003N.00000007.001.X"])
def test_malformed_identifiers(bad):
    assert identifier_parse(bad) is None


def test_identifier_build_rejects_bad_parts():
    with pytest.raises(ValueError):
        identifier_build(type_code="1001", issuer_code="short", serial=1)


@given(
    type_code=st.integers(1000, 9999), serial=st.integers(1, 10**8 - 1), version=st.integers(1, 999),
    position=st.data(), replacement=st.sampled_from(ALPHABET + ".-xX "),
)
def test_any_single_character_change_is_detected(type_code, serial, version, position, replacement):
    text = identifier_build(type_code=str(type_code), issuer_code=GAJ_CREDIT_CODE, serial=serial, version=version)
    assert identifier_is_valid(text)
    index = position.draw(st.integers(0, len(text) - 1))
    assume(text[index] != replacement)
    changed = text[:index] + replacement + text[index + 1:]
    assert not identifier_is_valid(changed), (text, changed)
