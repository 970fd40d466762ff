from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class MaritalStatus(models.TextChoices):
    UNMARRIED = "unmarried", _("未婚")
    MARRIED = "married", _("已婚")
    DIVORCED = "divorced", _("离婚")
    WIDOWED = "widowed", _("丧偶")


class HouseholdRelation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    OTHER = "other", _("其他")


class EntryStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    CLOSED = "closed", _("已注销")


class EntityKind(models.TextChoices):
    COMPANY = "company", _("有限责任公司")
    SOLE = "sole", _("个体工商户")
    PARTNERSHIP = "partnership", _("合伙企业")
    INSTITUTION = "institution", _("事业单位")
    SOCIAL = "social", _("社会组织")


class EntityStatus(models.TextChoices):
    ACTIVE = "active", _("存续")
    DEREGISTERED = "deregistered", _("注销")
    REVOKED = "revoked", _("吊销")


class EventKind(models.TextChoices):
    BORN = "born", _("出生")
    HOUSEHOLD_REGISTERED = "household_registered", _("户籍登记")
    MARRIED = "married", _("结婚")
    DIVORCED = "divorced", _("离婚")
    MOVED = "moved", _("迁移")
    DIED = "died", _("死亡")
    DEATH_DEREGISTERED = "death_deregistered", _("死亡注销户口")
    ENTITY_REGISTERED = "entity_registered", _("法人设立登记")
    ENTITY_CHANGED = "entity_changed", _("法人变更登记")
    ENTITY_DEREGISTERED = "entity_deregistered", _("法人注销登记")


# 一数一源: the one department whose services may write each datum (department codes of the catalogue).
SOURCE_PUBLIC_SECURITY = "GAJ"
SOURCE_CIVIL_AFFAIRS = "MZJ"
SOURCE_HEALTH = "WJW"
SOURCE_MARKET_REGULATION = "SCJ"

DATA_SOURCES = {
    # identity and household: public security
    "person.id_number": SOURCE_PUBLIC_SECURITY,
    "person.name": SOURCE_PUBLIC_SECURITY,
    "person.sex": SOURCE_PUBLIC_SECURITY,
    "person.ethnicity": SOURCE_PUBLIC_SECURITY,
    "person.address": SOURCE_PUBLIC_SECURITY,
    "person.household": SOURCE_PUBLIC_SECURITY,
    "person.phone": SOURCE_PUBLIC_SECURITY,
    "person.entry_status": SOURCE_PUBLIC_SECURITY,
    # marriage: civil affairs
    "person.marital_status": SOURCE_CIVIL_AFFAIRS,
    "person.spouse": SOURCE_CIVIL_AFFAIRS,
    # birth and death medical facts: health
    "person.birth_date": SOURCE_HEALTH,
    "person.birth_place": SOURCE_HEALTH,
    "person.parents": SOURCE_HEALTH,
    "person.died_on": SOURCE_HEALTH,
    # entities: market regulation
    "entity.uscc": SOURCE_MARKET_REGULATION,
    "entity.name": SOURCE_MARKET_REGULATION,
    "entity.kind": SOURCE_MARKET_REGULATION,
    "entity.legal_representative": SOURCE_MARKET_REGULATION,
    "entity.address": SOURCE_MARKET_REGULATION,
    "entity.status": SOURCE_MARKET_REGULATION,
}

EVENT_SOURCES = {
    EventKind.BORN: SOURCE_HEALTH,
    EventKind.HOUSEHOLD_REGISTERED: SOURCE_PUBLIC_SECURITY,
    EventKind.MARRIED: SOURCE_CIVIL_AFFAIRS,
    EventKind.DIVORCED: SOURCE_CIVIL_AFFAIRS,
    EventKind.MOVED: SOURCE_PUBLIC_SECURITY,
    EventKind.DIED: SOURCE_HEALTH,
    EventKind.DEATH_DEREGISTERED: SOURCE_PUBLIC_SECURITY,
    EventKind.ENTITY_REGISTERED: SOURCE_MARKET_REGULATION,
    EventKind.ENTITY_CHANGED: SOURCE_MARKET_REGULATION,
    EventKind.ENTITY_DEREGISTERED: SOURCE_MARKET_REGULATION,
}


# --- follow-up work that registry events cause in other departments --------------------------------

SOURCE_HUMAN_RESOURCES = "RSJ"
SOURCE_TAXATION = "SWJ"

# The 一件事 offered to parents when a child is born (data/catalog/life_events.json).
NEWBORN_LIFE_EVENT = "newborn_birth"


class TaskKind(models.TextChoices):
    STOP_PENSION = "stop_pension", _("停发养老金")
    DEREGISTER_HOUSEHOLD = "deregister_household", _("注销户口")
    UPDATE_HOUSEHOLD = "update_household", _("变更户口登记项目")
    TAX_DEREGISTER = "tax_deregister", _("清税注销")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已办结")


# Kinds of which a person can only ever have one task (a person dies once).
ONCE_PER_PERSON_TASKS = (TaskKind.STOP_PENSION, TaskKind.DEREGISTER_HOUSEHOLD)

# Legal minimum marriage ages (民法典 art. 1047).
MARRIAGE_AGE = {"M": 22, "F": 20}
