"""Base registries (人口库, 法人库) and the events that change them.

ID and phone numbers are encrypted at rest (yiwang.core.crypto); `*_hash` columns hold the HMAC
blind index used for look-up and uniqueness. Rows change only through registry.services, which
check that the acting department is the datum's source (constants.DATA_SOURCES)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.crypto import EncryptedTextField
from yiwang.core.masking import mask_id_number
from yiwang.core.models import TimeStampedModel

from .constants import (
    EntityKind,
    EntityStatus,
    EntryStatus,
    EventKind,
    HouseholdRelation,
    MaritalStatus,
    Sex,
)


class Household(TimeStampedModel):
    """户: one household register entry with its address."""

    number = models.CharField(_("户号"), max_length=20, unique=True)
    address = models.CharField(_("住址"), max_length=200)
    region = models.CharField(_("行政区划代码"), max_length=6)
    registered_on = models.DateField(_("登记日期"))

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")

    def __str__(self):
        return self.number


class Person(TimeStampedModel):
    id_number = EncryptedTextField(_("公民身份号码"))
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    name = models.CharField(_("姓名"), max_length=60)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    birth_place = models.CharField(_("出生地"), max_length=100, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    address = models.CharField(_("住址"), max_length=200, blank=True)
    phone = EncryptedTextField(_("手机号码"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="members", verbose_name=_("户"))
    household_relation = models.CharField(_("与户主关系"), max_length=12, choices=HouseholdRelation.choices,
                                          default=HouseholdRelation.HEAD)
    entry_status = models.CharField(_("户籍状态"), max_length=10, choices=EntryStatus.choices,
                                    default=EntryStatus.ACTIVE)
    marital_status = models.CharField(_("婚姻状况"), max_length=10, choices=MaritalStatus.choices,
                                      default=MaritalStatus.UNMARRIED)
    spouse = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("配偶"))
    father = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="children_as_father", verbose_name=_("父亲"))
    mother = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="children_as_mother", verbose_name=_("母亲"))
    died_on = models.DateField(_("死亡日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("自然人")
        verbose_name_plural = _("人口库")
        indexes = [models.Index(fields=["name"]), models.Index(fields=["birth_date"])]

    def __str__(self):
        return f"{self.name} {mask_id_number(self.id_number)}"

    @property
    def is_alive(self) -> bool:
        return self.died_on is None

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class Entity(TimeStampedModel):
    """法人库: a legal person identified by its 统一社会信用代码 (public, so not encrypted)."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=12, choices=EntityKind.choices, default=EntityKind.COMPANY)
    legal_representative = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                             related_name="represented_entities",
                                             verbose_name=_("法定代表人"))
    legal_representative_name = models.CharField(_("法定代表人姓名"), max_length=60)
    address = models.CharField(_("住所"), max_length=200)
    registered_on = models.DateField(_("成立日期"))
    status = models.CharField(_("登记状态"), max_length=14, choices=EntityStatus.choices,
                              default=EntityStatus.ACTIVE)

    class Meta:
        verbose_name = _("法人")
        verbose_name_plural = _("法人库")

    def __str__(self):
        return f"{self.name} ({self.uscc})"


class RegistryEvent(models.Model):
    """A fact recorded by its source department; published to subscribers through the outbox."""

    kind = models.CharField(_("事件"), max_length=24, choices=EventKind.choices, db_index=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    source_department = models.CharField(_("来源部门"), max_length=20)
    occurred_on = models.DateField(_("发生日期"))
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("记录人"))
    data = models.JSONField(_("内容"), default=dict, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("登记事件")
        verbose_name_plural = _("登记事件")

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
