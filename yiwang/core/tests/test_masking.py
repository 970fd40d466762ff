import io
import logging

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from yiwang.core.masking import MaskPersonalDataFilter, mask_id_number, mask_name, mask_phone, mask_text

ID_NUMBER = "330106198506151245"
ID_NUMBER_X = "11010119900307071X"
PHONE = "13812345678"


def test_mask_id_number():
    assert mask_id_number(ID_NUMBER) == "3301**********1245"
    assert mask_id_number(ID_NUMBER_X) == "1101**********071X"
    assert mask_id_number("1234567") == "*******"
    assert mask_id_number("") == "" and mask_id_number(None) == ""


def test_mask_phone_and_name():
    assert mask_phone(PHONE) == "138****5678"
    assert mask_phone("12345") == "*****" and mask_phone(None) == ""
    assert mask_name("张伟") == "张*" and mask_name("欧阳娜娜") == "欧***" and mask_name("") == ""


@pytest.mark.parametrize(("text", "expected"), [
    (f"身份证号{ID_NUMBER}，请核对", "身份证号3301**********1245，请核对"),
    (f"id={ID_NUMBER_X.lower()};", "id=1101**********071x;"),
    (f"{ID_NUMBER} {ID_NUMBER_X}", "3301**********1245 1101**********071X"),
    (f"手机{PHONE}。", "手机138****5678。"),
    (f"{ID_NUMBER}/{PHONE}", "3301**********1245/138****5678"),
    (f"电话：{PHONE}，身份证：{ID_NUMBER}", "电话：138****5678，身份证：3301**********1245"),
    (f"+86{PHONE}", "+86138****5678"),
    ("138-1234-5678 或 138 1234 5678", "138****5678 或 138****5678"),
])
def test_mask_text_masks_identifiers_inside_free_text(text, expected):
    assert mask_text(text) == expected
    assert ID_NUMBER not in mask_text(text) and PHONE not in mask_text(text)


@pytest.mark.parametrize("text", [
    "银行卡号 6222021234567890123 已绑定",  # 19 digits: a card number, not an ID number
    "订单 12345678901234567",  # 17 digits
    "流水号 1234567890123456789012",
    "编号 A330106198506151245B",  # part of a longer code
    "座机 0571-87654321，号码 12812345678",  # not a mobile number (12x)
    "总数 813812345678",  # 12 digits
    "",
])
def test_mask_text_leaves_other_numbers_alone(text):
    assert mask_text(text) == text


@pytest.fixture
def masked_logger():
    """A logger with a handler set up the way settings.LOGGING sets up every handler."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))
    handler.addFilter(import_string(settings.LOGGING["filters"]["mask_personal_data"]["()"])())
    logger = logging.getLogger("yiwang.tests.masking")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_log_arguments_are_masked(masked_logger):
    logger, stream = masked_logger
    logger.info("查询人员 %s", ID_NUMBER)
    logger.info("号码 %s / %s", PHONE, ID_NUMBER_X.lower())
    logger.warning("整数参数 %d", int(PHONE))
    logger.info("字典参数 %(id)s", {"id": ID_NUMBER})
    logger.info(f"直接拼接 {ID_NUMBER}")
    out = stream.getvalue()
    assert ID_NUMBER not in out and PHONE not in out and ID_NUMBER_X.lower() not in out
    assert out.count("3301**********1245") == 3 and out.count("138****5678") == 2
    assert "1101**********071x" in out


def test_exception_text_is_masked(masked_logger):
    logger, stream = masked_logger
    try:
        try:
            raise KeyError(PHONE)
        except KeyError as exc:
            raise ValueError(f"无效的公民身份号码 {ID_NUMBER}") from exc
    except ValueError:
        logger.exception("处理 %s 失败", ID_NUMBER)
    out = stream.getvalue()
    assert "Traceback" in out and "ValueError: 无效的公民身份号码 3301**********1245" in out
    assert ID_NUMBER not in out and PHONE not in out


def test_a_message_without_identifiers_is_left_unchanged(masked_logger):
    logger, stream = masked_logger
    logger.info("共 %d 条，耗时 %.1f 秒", 12345678901234567, 1.5)
    assert "共 12345678901234567 条，耗时 1.5 秒" in stream.getvalue()


def test_settings_wire_the_filter_into_every_handler():
    config = settings.LOGGING
    filter_names = [name for name, spec in config["filters"].items()
                    if import_string(spec["()"]) is MaskPersonalDataFilter]
    assert filter_names
    assert config["handlers"]
    for name, handler in config["handlers"].items():
        assert set(handler.get("filters", [])) & set(filter_names), f"handler {name} logs unmasked"
    # …and the running configuration has it on the configured handlers.
    configured = [h for h in logging.getLogger().handlers if h.name in config["handlers"]]
    assert configured
    for handler in configured:
        assert any(isinstance(f, MaskPersonalDataFilter) for f in handler.filters)
