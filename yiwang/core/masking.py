"""Masking of personal identifiers for lists, pages and logs (e.g. 3301**********1234)."""

from __future__ import annotations

import logging
import re

ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[\dXx])(?![0-9A-Za-z])")
# A mainland mobile number, also written +86… / 86… or with spaces or hyphens (138-1234-5678).
PHONE_RE = re.compile(r"(?<![\d])((?:\+?86[ -]?)?1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)")


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    value = str(value)
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    value = str(value)
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张伟 → 张*; 欧阳娜娜 → 欧***: enough for the holder to recognise, not for others to identify."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


def mask_text(text: str) -> str:
    """Mask every ID-number-shaped and mobile-number-shaped run inside free text."""
    if len(text) < 11:  # shorter than a mobile number (11 digits), the shorter of the two
        return text
    text = ID_NUMBER_RE.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), text)
    return PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


class MaskPersonalDataFilter(logging.Filter):
    """Installed on every handler: no log line ever carries a full ID or mobile number."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            return True
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True
