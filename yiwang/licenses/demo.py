"""Demo licences of the demo people and company (yiwang/registry/demo.py). Idempotent: a person who
already holds a licence of a type gets no second one. The 照面 values come from the demo constants,
so no registry rows are needed."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from yiwang.catalog.models import LicenseType
from yiwang.identity.selectors import subject_index
from yiwang.registry.demo import DEMO_ADDRESS, DEMO_COMPANY, DEMO_PEOPLE

from .models import License
from .services import license_issue

ID_CARD_ISSUED_ON = {  # chosen so that every demo ID card is valid today
    "citizen": dt.date(2016, 7, 1), "citizen_spouse": dt.date(2017, 3, 15), "citizen_child": dt.date(2024, 3, 10),
    "citizen2": dt.date(2010, 9, 1), "enterprise": dt.date(2018, 5, 20), "legal_rep": dt.date(2016, 11, 2),
}
HOUSEHOLDS = {  # key: (户号, 户主 key, relation to the head)
    "citizen": ("330102000101", "citizen", "户主"),
    "citizen_spouse": ("330102000101", "citizen", "配偶"),
    "citizen_child": ("330102000101", "citizen", "子"),
    "citizen2": ("330102000102", "citizen2", "户主"),
    "enterprise": ("330102000103", "enterprise", "户主"),
    "legal_rep": ("330102000104", "legal_rep", "户主"),
}
MARRIED_ON = dt.date(2016, 10, 1)
SEX = {"M": "男", "F": "女"}
ID_CARD_OFFICE = "杭州市公安局上城分局"


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def id_card_validity(birth: dt.date, issued_on: dt.date) -> dt.date | None:
    """居民身份证法 art. 5: under 16: 5 years; 16-25: 10; 26-45: 20; over 46: long-term."""
    age = issued_on.year - birth.year - ((issued_on.month, issued_on.day) < (birth.month, birth.day))
    if age < 16:
        return _years_later(issued_on, 5)
    if age <= 25:
        return _years_later(issued_on, 10)
    if age <= 45:
        return _years_later(issued_on, 20)
    return None


def _ymd(day: dt.date) -> str:
    return f"{day:%Y年%m月%d日}"


def _plan() -> list[dict]:
    plan = []
    for key, (name, sex, birth, id_number) in DEMO_PEOPLE.items():
        issued = ID_CARD_ISSUED_ON[key]
        until = id_card_validity(birth, issued)
        plan.append({"type": "resident_id_card", "code": id_number, "name": name, "issued_on": issued,
                     "valid_from": issued, "valid_until": until, "fields": {
                         "姓名": name, "性别": SEX[sex], "民族": "汉", "出生日期": _ymd(birth),
                         "住址": DEMO_ADDRESS, "公民身份号码": id_number, "签发机关": ID_CARD_OFFICE,
                         "有效期限": f"{issued:%Y.%m.%d}-{until:%Y.%m.%d}" if until else f"{issued:%Y.%m.%d}-长期"}})
        number, head, relation = HOUSEHOLDS[key]
        registered = max(birth, dt.date(2010, 1, 1))
        plan.append({"type": "household_register", "code": id_number, "name": name, "issued_on": registered,
                     "valid_from": registered, "valid_until": None, "fields": {
                         "户号": number, "户别": "家庭户", "户主姓名": DEMO_PEOPLE[head][0], "住址": DEMO_ADDRESS,
                         "姓名": name, "与户主关系": relation, "性别": SEX[sex], "出生日期": _ymd(birth),
                         "出生地": "浙江省杭州市", "民族": "汉", "籍贯": "浙江杭州", "公民身份号码": id_number,
                         "登记日期": _ymd(registered)}})
    husband, wife = DEMO_PEOPLE["citizen"], DEMO_PEOPLE["citizen_spouse"]
    for key, serial in (("citizen", "000381"), ("citizen_spouse", "000382")):
        name, _sex, _birth, id_number = DEMO_PEOPLE[key]
        plan.append({"type": "marriage_certificate", "code": id_number, "name": name, "issued_on": MARRIED_ON,
                     "valid_from": MARRIED_ON, "valid_until": None, "fields": {
                         "持证人": name, "登记日期": _ymd(MARRIED_ON), "结婚证字号": f"J330102-2016-{serial}",
                         "男方姓名": husband[0], "男方公民身份号码": husband[3], "女方姓名": wife[0],
                         "女方公民身份号码": wife[3], "登记机关": "杭州市上城区民政局"}})
    company, registered = DEMO_COMPANY, DEMO_COMPANY["registered_on"]
    plan.append({"type": "business_license", "code": company["uscc"], "name": company["name"],
                 "issued_on": registered, "valid_from": registered, "valid_until": None, "fields": {
                     "统一社会信用代码": company["uscc"], "名称": company["name"],
                     "类型": "有限责任公司（自然人投资或控股）", "法定代表人": DEMO_PEOPLE[company["legal_rep"]][0],
                     "经营范围": "餐饮服务；餐饮管理；食品销售", "注册资本": "壹佰万元整", "成立日期": _ymd(registered),
                     "住所": company["address"], "登记机关": "杭州市上城区市场监督管理局", "登记日期": _ymd(registered)}})
    return plan


@transaction.atomic
def issue_demo_licenses() -> list[License]:
    """Issue the missing demo licences; returns the ones issued now (empty on a second run)."""
    types = {t.code: t for t in LicenseType.objects.select_related("issuer")}
    issued = []
    for entry in _plan():
        license_type = types[entry["type"]]
        if License.objects.filter(license_type=license_type, holder_hash=subject_index(entry["code"])).exists():
            continue
        issued.append(license_issue(
            license_type=license_type, holder_code=entry["code"], holder_name=entry["name"],
            fields=entry["fields"], valid_from=entry["valid_from"], valid_until=entry["valid_until"],
            issued_on=entry["issued_on"]))
    return issued
