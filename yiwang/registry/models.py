"""Base registries (人口库, 法人库) and the events that change them.

ID and phone numbers are encrypted at rest (yiwang.core.crypto); `*_hash` columns hold the HMAC
blind index used for look-up and uniqueness. Rows change only through registry.services, which
check that the acting department is the datum's source (constants.DATA_SOURCES)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.crypto import EncryptedTextField
from yiwang.core.masking import mask_id_number, mask_name
from yiwang.core.models import TimeStampedModel

from .constants import (
    EntityKind,
    EntityStatus,
    EntryStatus,
    EventKind,
    HouseholdRelation,
    MaritalStatus,
    Sex,
    TaskKind,
    TaskStatus,
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

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)


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


class OutboxMessage(models.Model):
    """Transactional outbox: written in the same transaction as its event, published by
    tasks.outbox_dispatch once every subscriber has its Delivery."""

    event = models.OneToOneField(RegistryEvent, on_delete=models.PROTECT, related_name="outbox")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("待发布事件")
        verbose_name_plural = _("事件发件箱")

    def __str__(self):
        return f"outbox #{self.pk} ({self.event.kind})"


class Subscription(models.Model):
    """A department's interest in an event kind; `handler` names a function of subscribers.HANDLERS."""

    department = models.CharField(_("订阅部门"), max_length=20)
    event_kind = models.CharField(_("事件"), max_length=24, choices=EventKind.choices)
    handler = models.CharField(_("处理程序"), max_length=60)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["event_kind", "department", "handler"]
        verbose_name = _("事件订阅")
        verbose_name_plural = _("事件订阅")
        constraints = [models.UniqueConstraint(fields=["event_kind", "handler"], name="subscription_unique")]

    def __str__(self):
        return f"{self.department}: {self.event_kind} → {self.handler}"


class Delivery(models.Model):
    """Proof that one subscriber handled one event; inserted in the handler's own transaction."""

    event = models.ForeignKey(RegistryEvent, on_delete=models.PROTECT, related_name="deliveries")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="deliveries")
    delivered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("事件投递")
        verbose_name_plural = _("事件投递")
        constraints = [models.UniqueConstraint(fields=["event", "subscription"], name="delivery_once")]

    def __str__(self):
        return f"event #{self.event_id} → subscription #{self.subscription_id}"


class FollowUpTask(models.Model):
    """Work a registry event causes in another department (停发养老金, 注销户口 …)."""

    department = models.CharField(_("办理部门"), max_length=20, db_index=True)
    event = models.ForeignKey(RegistryEvent, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="followup_tasks", verbose_name=_("登记事件"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="followup_tasks", verbose_name=_("自然人"))
    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="followup_tasks", verbose_name=_("法人"))
    kind = models.CharField(_("类型"), max_length=24, choices=TaskKind.choices)
    title = models.CharField(_("事项"), max_length=100)
    status = models.CharField(_("状态"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("办结人"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("后续办理任务")
        verbose_name_plural = _("后续办理任务")
        indexes = [models.Index(fields=["department", "status"])]
        constraints = [
            # A person dies once: one 停发养老金 and one 注销户口 task at most, whoever creates it
            # (the subscriber or the ensure_death_followups sweep).
            models.UniqueConstraint(fields=["person", "kind"], name="followup_once_per_person",
                                    condition=models.Q(kind__in=["stop_pension", "deregister_household"])),
            models.UniqueConstraint(fields=["event", "kind"], name="followup_once_per_event"),
        ]

    def __str__(self):
        return f"{self.department} {self.title} #{self.pk}"
