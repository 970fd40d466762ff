import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from yiwang.core.ids import (
    OLDEST_PLAUSIBLE_AGE_YEARS,
    id_number_birth_date,
    id_number_sex,
    make_entity_uscc,
    make_id_number,
    make_org_code,
    make_uscc,
    validate_id_number,
    validate_uscc,
)

TODAY = dt.date(2025, 6, 1)
VALID = "330106198506151245"  # 1985-06-15, female, check digit 5
VALID_X = "11010119900307071X"
GOOD_USCC = "913301061234567887"


def _code(value, **kwargs):
    with pytest.raises(ValidationError) as info:
        validate_id_number(value, today=TODAY, **kwargs)
    return info.value.code


def test_valid_numbers_are_normalised():
    assert validate_id_number(VALID, today=TODAY) == VALID
    assert validate_id_number(" 1101 0119900307071x ", today=TODAY) == VALID_X  # lowercase x accepted
    assert id_number_birth_date(VALID) == dt.date(1985, 6, 15) and id_number_sex(VALID) == "F"
    assert id_number_sex(VALID_X) == "M"


@pytest.mark.parametrize("last", [c for c in "0123456789X" if c != "5"])
def test_wrong_check_digit(last):
    assert _code(VALID[:17] + last) == "check_digit"


@pytest.mark.parametrize("value", [
    "", None, VALID[:17], VALID + "0", "33010619850615124", "3301061985061512455",
    "33010619850615124Y", "3301A6198506151245", "33010619850615124-",
    "X30106198506151245",
])
def test_wrong_length_or_characters(value):
    assert _code(value) == "format"


@pytest.mark.parametrize("birth", ["19990230", "19991301", "19990000", "20230229"])
def test_impossible_birth_date(birth):
    assert _code(f"330106{birth}123X") == "birth_date"


def test_future_birth_date_is_refused_even_with_a_correct_check_digit():
    tomorrow = make_id_number("330106", TODAY + dt.timedelta(days=1), 1, "M")
    assert _code(tomorrow) == "birth_date"
    assert validate_id_number(make_id_number("330106", TODAY, 1, "M"), today=TODAY)


def test_implausibly_old_birth_dates_are_refused():
    assert _code(make_id_number("330106", dt.date(1850, 5, 5), 3, "F")) == "birth_date"
    oldest_year = TODAY.year - OLDEST_PLAUSIBLE_AGE_YEARS
    assert _code(make_id_number("330106", dt.date(oldest_year - 1, 12, 31), 3, "F")) == "birth_date"
    assert validate_id_number(make_id_number("330106", dt.date(oldest_year, 1, 1), 3, "F"), today=TODAY)


def test_make_id_number_rejects_sequences_out_of_range():
    with pytest.raises(ValueError, match="sequence"):
        make_id_number("330106", dt.date(1990, 1, 1), 500, "M")
    with pytest.raises(ValueError, match="sequence"):
        make_id_number("330106", dt.date(1990, 1, 1), -1, "F")


@given(
    region=st.from_regex(r"\A[1-8][0-9]{5}\Z"),
    birth=st.dates(min_value=dt.date(TODAY.year - OLDEST_PLAUSIBLE_AGE_YEARS, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=499),
    sex=st.sampled_from(["M", "F"]),
)
def test_generated_id_numbers_validate_and_parse_back(region, birth, sequence, sex):
    number = make_id_number(region, birth, sequence, sex)
    assert len(number) == 18 and number.startswith(region)
    assert validate_id_number(number, today=TODAY) == number
    assert validate_id_number(number.lower(), today=TODAY) == number
    assert id_number_birth_date(number) == birth and id_number_sex(number) == sex


def _ascii_or_refused(validate, value) -> bool:
    try:
        result = validate(value)
    except ValidationError as exc:
        return exc.code == "format"
    return result.isascii()


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_full_width_digits_are_normalised_or_refused():
    assert _ascii_or_refused(lambda v: validate_id_number(v, today=TODAY), VALID[:17].translate(FULL_WIDTH) + "5")
    assert _ascii_or_refused(validate_uscc, GOOD_USCC.translate(FULL_WIDTH))
    # Full-width input is the same number: one person, one blind index.
    assert validate_id_number(VALID.translate(FULL_WIDTH), today=TODAY) == VALID


# USCC: 91 (工商, 企业) + region + organisation code + check character.


def test_validate_uscc_accepts_and_normalises():
    assert validate_uscc(GOOD_USCC) == GOOD_USCC
    assert validate_uscc(" 9133 0106 1234 5678 87 ") == GOOD_USCC
    lower = make_uscc("91330106MA2B3C4D5")
    assert validate_uscc(lower.lower()) == lower


def test_validate_uscc_wrong_check_character():
    for wrong in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if wrong == GOOD_USCC[-1]:
            continue
        with pytest.raises(ValidationError) as info:
            validate_uscc(GOOD_USCC[:17] + wrong)
        assert info.value.code == "check_digit"


@pytest.mark.parametrize("value", [
    GOOD_USCC[:10] + "I" + GOOD_USCC[11:],  # I, O, Z, S, V are never used
    GOOD_USCC[:10] + "O" + GOOD_USCC[11:],
    GOOD_USCC[:12] + "Z" + GOOD_USCC[13:],
    GOOD_USCC[:15] + "S" + GOOD_USCC[16:],
    GOOD_USCC[:17] + "V",
    "9A3301061234567887",  # the first eight characters are digits
    GOOD_USCC[:17], GOOD_USCC + "1", "", "91330106-12345678-7",
])
def test_validate_uscc_format_errors(value):
    with pytest.raises(ValidationError) as info:
        validate_uscc(value)
    assert info.value.code == "format"


@pytest.mark.parametrize(("body", "expected"), [
    # GB 11714 weights 3 7 9 10 5 8 4 2; C9 = 11 - (sum mod 11), 10 → X, 11 → 0. Worked by hand:
    ("12345678", "123456788"),  # 3+14+27+40+25+48+28+16 = 201; 201 mod 11 = 3; 11-3 = 8
    ("00000000", "000000000"),  # sum 0 → 11 → 0
    ("00000006", "00000006X"),  # 6*2 = 12; 12 mod 11 = 1 → 10 → X
    ("00010000", "000100001"),  # 1*10 = 10 → 11-10 = 1
    ("87654321", "876543210"),  # 24+49+54+50+20+24+8+2 = 231; 231 mod 11 = 0 → 11 → 0
])
def test_make_org_code_known_vectors(body, expected):
    assert make_org_code(body) == expected


@given(
    registry=st.sampled_from(["11", "12", "13", "19", "31", "32", "51", "52", "53", "91", "92", "93"]),
    region=st.from_regex(r"\A[0-9]{6}\Z"),
    serial=st.integers(min_value=0, max_value=99_999_999),
)
def test_make_entity_uscc_is_always_valid(registry, region, serial):
    code = make_entity_uscc(registry=registry, region=region, serial=serial)
    assert len(code) == 18 and code.startswith(registry + region)
    assert code[8:17] == make_org_code(f"{serial:08d}")
    assert validate_uscc(code) == code and uscc.is_valid(code)
