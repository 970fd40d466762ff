"""The data catalogue (数据资源目录), conditional sharing requests and the personal-data access log.

政务数据共享条例: every element has one source department (一数一源) and a sharing class; conditional
elements are read only under an approved, unexpired request; every read is logged so that the
person can see who read their data, when and why (个人信息保护法)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import TimeStampedModel

from .constants import AccessChannel, RequestStatus, SharingClass, SubjectKind


class DataElement(TimeStampedModel):
    code = models.CharField(_("数据项编码"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    source_department = models.CharField(_("来源部门"), max_length=20, db_index=True,
                                         help_text=_("一数一源：唯一负责维护该数据的部门编码"))
    subject_kind = models.CharField(_("主体类型"), max_length=10, choices=SubjectKind.choices)
    sharing_class = models.CharField(_("共享属性"), max_length=14, choices=SharingClass.choices)
    sensitive = models.BooleanField(_("敏感个人信息"), default=False)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["subject_kind", "code"]
        verbose_name = _("数据项")
        verbose_name_plural = _("数据资源目录")

    def __str__(self):
        return f"{self.name} ({self.code})"


class SharingRequest(TimeStampedModel):
    """A department's request to read another department's conditional elements (有条件共享)."""

    requesting_department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="+",
                                              verbose_name=_("申请部门"))
    source_department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="+",
                                          verbose_name=_("数据来源部门"))
    elements = models.ManyToManyField(DataElement, related_name="sharing_requests", verbose_name=_("数据项"))
    purpose = models.CharField(_("用途"), max_length=500)
    legal_basis = models.CharField(_("法律依据"), max_length=500)
    valid_until = models.DateField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=10, choices=RequestStatus.choices,
                              default=RequestStatus.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("申请人"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("审核人"))
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reasons = models.TextField(_("理由"), blank=True)
    due_at = models.DateField(_("审核期限"), help_text=_("申请之日起若干个工作日内答复"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("共享申请")
        verbose_name_plural = _("共享申请")
        indexes = [models.Index(fields=["source_department", "status"]),
                   models.Index(fields=["requesting_department", "status"])]

    def __str__(self):
        return f"#{self.pk} {self.requesting_department} → {self.source_department}"

    @property
    def is_overdue(self) -> bool:
        """Still undecided after its review deadline (逾期未答复)."""
        return self.status == RequestStatus.PENDING and self.due_at < timezone.localdate()

    @property
    def is_active(self) -> bool:
        return self.status == RequestStatus.APPROVED and self.valid_until >= timezone.localdate()


class DataAccessRecord(models.Model):
    """One read of a person's or entity's data (个人信息处理记录). Append-only; kept at least three
    years. Never holds a full identifier: the subject is its blind index plus a masked label."""

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               db_constraint=False, related_name="+", verbose_name=_("查阅人"))
    reader_label = models.CharField(_("查阅人"), max_length=80, blank=True)
    department = models.CharField(_("查阅部门"), max_length=20, blank=True, db_index=True)
    subject_kind = models.CharField(_("主体类型"), max_length=10, choices=SubjectKind.choices,
                                    default=SubjectKind.PERSON)
    subject_hash = models.CharField(max_length=64, editable=False)
    subject_label = models.CharField(_("数据主体"), max_length=120, blank=True)
    elements = models.JSONField(_("数据项"), default=list)
    purpose = models.CharField(_("用途"), max_length=500, blank=True)
    case_number = models.CharField(_("办件编号"), max_length=40, blank=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=AccessChannel.choices)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("数据查阅记录")
        verbose_name_plural = _("数据查阅记录")
        indexes = [models.Index(fields=["subject_hash", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.department} {self.subject_label}"
