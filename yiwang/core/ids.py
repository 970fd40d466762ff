"""Validators and generators for the national identifiers: 公民身份号码 (GB 11643) and
统一社会信用代码 (GB 32100). python-stdnum does the check characters; we add the birth-date
plausibility rule and the messages users see."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError

OLDEST_PLAUSIBLE_AGE_YEARS = 130


def _ascii(value: str) -> str:
    # Full-width digits and letters (common from Chinese input methods) become ASCII, so one number
    # always has one blind index.
    return unicodedata.normalize("NFKC", value or "").strip().upper().replace(" ", "")


def normalize_id_number(value: str) -> str:
    return _ascii(value)


def validate_id_number(value: str, *, today: dt.date | None = None) -> str:
    """Return the normalised number or raise ValidationError with a message for the citizen."""
    number = normalize_id_number(value)
    if len(number) != 18 or not number.isascii() or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("公民身份号码应为18位，前17位为数字，最后一位为数字或X。"), code="format")
    try:
        birth = ric.get_birth_date(number)
    except StdnumError:
        raise ValidationError(_("公民身份号码中的出生日期无效。"), code="birth_date") from None
    today = today or dt.date.today()
    if birth > today or birth.year < today.year - OLDEST_PLAUSIBLE_AGE_YEARS:
        raise ValidationError(_("公民身份号码中的出生日期不合理。"), code="birth_date")
    if ric.calc_check_digit(number[:17]) != number[17]:
        raise ValidationError(_("公民身份号码校验位错误，请核对后重新输入。"), code="check_digit")
    return number


def id_number_birth_date(number: str) -> dt.date:
    return ric.get_birth_date(number)


def id_number_sex(number: str) -> str:
    """'M' or 'F': the 17th digit is odd for men (GB 11643)."""
    return "M" if int(number[16]) % 2 else "F"


def make_id_number(region: str, birth: dt.date, sequence: int, sex: str) -> str:
    """Build a valid number; `sequence` (0-499) becomes the three-digit order code with the sex parity."""
    order = sequence * 2 + (1 if sex == "M" else 0)
    if not 0 <= order <= 999:
        raise ValueError("sequence out of range")
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body)


def normalize_uscc(value: str) -> str:
    return _ascii(value)


def validate_uscc(value: str) -> str:
    code = normalize_uscc(value)
    try:
        if not code.isascii():
            raise StdnumError()
        code = uscc.validate(code)
    except InvalidChecksum:
        raise ValidationError(_("统一社会信用代码校验码错误，请核对后重新输入。"), code="check_digit") from None
    except StdnumError:
        raise ValidationError(_("统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）。"),
                              code="format") from None
    return code


def make_uscc(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def make_org_code(body8: str) -> str:
    """GB 11714 organisation code: eight digits and their check character."""
    remainder = 11 - sum(int(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True)) % 11
    return body8 + {10: "X", 11: "0"}.get(remainder, str(remainder))


def make_entity_uscc(*, registry: str, region: str, serial: int) -> str:
    """A consistent 统一社会信用代码: registration authority + kind (2), region (6), organisation
    code (9, GB 11714) and the GB 32100 check character."""
    return make_uscc(f"{registry}{region}{make_org_code(f'{serial:08d}')}")
