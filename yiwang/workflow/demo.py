"""Authored process definitions (办理流程) of the demo items: the two demo life events (新生儿出生一件事,
开办餐饮店一件事) and a few frequent single items. Every other item gets the default built from the
catalogue on first use (services.process_for_item: 受理 → 审查 → [并联审查] → 决定).

Stage names and day limits follow each item's published 办理流程 (shared/data/service_items.json);
the parallel groups are the departments that really give an opinion (并联审批): the social security
card waits for GAJ's identity check and YBJ's insurance check, the shop-sign approval asks ZJJ
(building safety) and SCJ (the name on the licence). `load_demo_processes` is idempotent: a key that
already has an active definition is left alone (staff may have edited it in the admin)."""

from __future__ import annotations

from django.db import transaction

from .constants import (
    ACCEPT_ACTIONS,
    DECIDE_ACTIONS,
    PARALLEL_ACTIONS,
    REVIEW_ACTIONS,
    Action,
    Quorum,
    StageKind,
)
from .models import ProcessDefinition
from .services import definition_create

SOURCE = "示范流程（按事项办理流程编制）"
_ACCEPT = [a for a in ACCEPT_ACTIONS if a != Action.ACCEPT_TOLERANT]


def _single(name: str, department: str, days: int, actions) -> dict:
    return {"name": name, "departments": [department], "limit_days": days, "actions": list(actions)}


def _parallel(name: str, departments: list[str], days: int, quorum: str = Quorum.ALL) -> dict:
    return {"name": name, "kind": StageKind.PARALLEL, "departments": departments, "quorum": quorum,
            "limit_days": days, "actions": list(PARALLEL_ACTIONS)}


def _immediate(department: str, accept: str, review: str, decide: str) -> list[dict]:
    """即办件: three stages, all decided the same day."""
    return [_single(accept, department, 0, _ACCEPT), _single(review, department, 0, REVIEW_ACTIONS),
            _single(decide, department, 0, DECIDE_ACTIONS)]


# item code → (process name, stages)
DEMO_PROCESSES: dict[str, tuple[str, list[dict]]] = {
    # 新生儿出生一件事
    "WJW-GG-0001": ("出生医学证明首次签发", _immediate("WJW", "受理", "核对出生信息", "签发")),
    "WJW-GG-0002": ("预防接种证办理", _immediate("WJW", "受理", "建档", "发证")),
    "GAJ-QR-0001": ("出生登记", _immediate("GAJ", "受理", "户籍民警审核", "办结")),
    "YBJ-GG-0001": ("城乡居民基本医疗保险参保登记", _immediate("YBJ", "受理", "审查", "办结")),
    "RSJ-GG-0001": ("社会保障卡申领", [
        _single("受理", "RSJ", 1, _ACCEPT),
        _parallel("身份与参保信息并联核验", ["GAJ", "YBJ"], 2),
        _single("审查", "RSJ", 1, REVIEW_ACTIONS),
        _single("决定", "RSJ", 1, DECIDE_ACTIONS),
    ]),
    # 开办餐饮店一件事
    "SCJ-XK-0001": ("企业设立登记（有限责任公司）", [
        _single("受理", "SCJ", 0, _ACCEPT), _single("审查", "SCJ", 1, REVIEW_ACTIONS),
        _single("决定", "SCJ", 0, DECIDE_ACTIONS),
    ]),
    "SCJ-XK-0007": ("食品经营许可（新办）", [
        _single("受理", "SCJ", 1, ACCEPT_ACTIONS),  # 容缺受理 allowed: the item lists tolerant materials
        _single("现场核查", "SCJ", 2, REVIEW_ACTIONS),
        _single("审查", "SCJ", 1, REVIEW_ACTIONS),
        _single("决定", "SCJ", 1, DECIDE_ACTIONS),
    ]),
    "CGJ-XK-0002": ("设置户外广告设施和招牌审批（门头招牌）", [
        _single("受理", "CGJ", 1, _ACCEPT),
        _single("审查", "CGJ", 1, REVIEW_ACTIONS),
        _parallel("征求意见（建筑安全、登记名称）", ["ZJJ", "SCJ"], 1),
        _single("决定", "CGJ", 1, DECIDE_ACTIONS),
    ]),
    "XFJ-XK-0001": ("公众聚集场所投入使用、营业前消防安全检查", [
        _single("受理（告知承诺）", "XFJ", 0, _ACCEPT),
        _single("现场检查", "XFJ", 2, REVIEW_ACTIONS),
        _single("决定", "XFJ", 1, DECIDE_ACTIONS),
    ]),
    "ZJJ-XK-0004": ("城镇污水排入排水管网许可", [
        _single("受理", "ZJJ", 1, ACCEPT_ACTIONS),
        _single("现场核查", "ZJJ", 2, REVIEW_ACTIONS),
        _single("决定", "ZJJ", 1, DECIDE_ACTIONS),
    ]),
    # frequent single items
    "RSJ-GG-0011": ("社会保险个人权益记录（参保证明）查询打印", _immediate("RSJ", "受理", "审查", "办结")),
    "GAJ-GG-0011": ("户籍类证明开具", _immediate("GAJ", "受理", "审核", "办结")),
    "GAJ-QR-0009": ("临时居民身份证申领", _immediate("GAJ", "受理", "审查", "办结")),
    "MZJ-QR-0001": ("内地居民结婚登记", _immediate("MZJ", "受理", "审查", "登记发证（颁证）")),
}


@transaction.atomic
def load_demo_processes() -> list[str]:
    """Create and publish the authored definitions whose key has no active one yet."""
    active = set(ProcessDefinition.objects.filter(key__in=list(DEMO_PROCESSES), active=True)
                 .values_list("key", flat=True))
    created = []
    for key, (name, stages) in DEMO_PROCESSES.items():
        if key not in active:
            definition_create(key=key, name=name, stages=stages, source=SOURCE)
            created.append(key)
    return created
