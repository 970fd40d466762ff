"""Applications (申报) with their joint form and materials, and the cases (办件) they become.

Personal values (the form data and the facts the 情形 rules use) are encrypted at rest; the form
definition snapshot holds no personal data. Uploaded files live in private storage (see storage.py)
and are served only through an authenticated view."""

import json
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.crypto import EncryptedTextField
from yiwang.core.models import TimeStampedModel

from .constants import (
    PRIVATE_PREFIX,
    ApplicationStatus,
    CaseResult,
    CaseStatus,
    Channel,
    Delivery,
    DocumentKind,
    MaterialStatus,
    ScanStatus,
    SupplyKind,
)
from .storage import private_storage


class Application(TimeStampedModel):
    # The subject: the principal when a proxy applies (代办), else whoever applies.
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications",
                                  verbose_name=_("申请人"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("经办人"))
    proxy_grant = models.ForeignKey("identity.ProxyAuthorisation", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("代办授权"))
    item_code = models.CharField(_("事项编码"), max_length=40, blank=True)
    life_event_code = models.CharField(_("一件事编码"), max_length=60, blank=True)
    title = models.CharField(_("申报名称"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.DRAFT)
    # [{code, name, version_id, department}] of the bundle, fixed when the application starts.
    items = models.JSONField(default=list)
    # The merged field definitions (一表制) with prefill sources and read-only flags; no values.
    form = models.JSONField(default=list)
    # JSON: field key → value. Prefilled values are kept here too, so a GET reads no registry.
    data = EncryptedTextField(_("表单数据"), default="{}")
    # JSON: facts the 情形 rules used (e.g. marital status), as read from the registries.
    facts = EncryptedTextField(default="{}")
    subject_uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    # 服务对象: the person the application is for when not the applicant (a guardian applies for
    # their newborn); outputs for natural persons are issued to them.
    beneficiary_id_number = EncryptedTextField(_("服务对象公民身份号码"), blank=True, default="")
    beneficiary_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    beneficiary_name = models.CharField(_("服务对象"), max_length=60, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    # 送达方式 chosen when applying; each case copies it and may change it until it concludes.
    delivery = models.CharField(_("送达方式"), max_length=10, choices=Delivery.choices, default=Delivery.ONLINE)
    delivery_address = EncryptedTextField(_("邮寄地址"), blank=True, default="")
    # How it was started, then how it was submitted (the submit sets it from who submits).
    channel = models.CharField(_("申报渠道"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["applicant", "status"]), models.Index(fields=["submitted_by", "status"])]
        verbose_name = _("申报")
        verbose_name_plural = _("申报")

    def __str__(self):
        return f"#{self.pk} {self.title}"

    @property
    def values(self) -> dict:
        return json.loads(self.data or "{}")

    @values.setter
    def values(self, value: dict) -> None:
        self.data = json.dumps(value, ensure_ascii=False, sort_keys=True)

    @property
    def fact_values(self) -> dict:
        return json.loads(self.facts or "{}")

    @fact_values.setter
    def fact_values(self, value: dict) -> None:
        self.facts = json.dumps(value, ensure_ascii=False, sort_keys=True)

    @property
    def is_proxy(self) -> bool:
        """代办: someone else applies for the applicant (a window clerk is not a proxy)."""
        return self.applicant_id != self.submitted_by_id and self.channel != Channel.WINDOW

    @property
    def is_window(self) -> bool:
        return self.channel == Channel.WINDOW

    @property
    def item_codes(self) -> list[str]:
        return [row["code"] for row in self.items]


def material_path(instance, filename):
    # A random name: the original name is kept in the row, never in storage.
    return f"{PRIVATE_PREFIX}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class ApplicationMaterial(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("材料名称"), max_length=200)
    required = models.BooleanField(_("必须提供"), default=True)
    item_codes = models.JSONField(default=list)  # the items of the bundle that ask for it
    license_type_code = models.CharField(max_length=60, blank=True)  # a licence can replace it
    status = models.CharField(_("状态"), max_length=20, choices=MaterialStatus.choices, default=MaterialStatus.MISSING)
    license_identifier = models.CharField(_("证照标识"), max_length=80, blank=True)
    license_use_ids = models.JSONField(default=list)  # one licence use per case, recorded at submit
    # The proxy's own document (受托人…): the licence is the proxy's, not the applicant's.
    of_proxy = models.BooleanField(default=False)
    file = models.FileField(upload_to=material_path, storage=private_storage, max_length=200, blank=True)
    original_name = models.CharField(_("文件名"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=60, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    scan_status = models.CharField(_("病毒检测"), max_length=10, choices=ScanStatus.choices, blank=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "name"], name="application_material_unique")]
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")

    def __str__(self):
        return self.name


class Case(models.Model):
    """办件: one item's handling inside an application, with its own number."""

    number = models.CharField(_("办件编号"), max_length=60, unique=True)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="cases")
    item_code = models.CharField(_("事项编码"), max_length=40)
    item_name = models.CharField(_("事项名称"), max_length=200)
    item_version = models.ForeignKey("catalog.ServiceItemVersion", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    department_code = models.CharField(_("实施主体"), max_length=20, db_index=True)
    status = models.CharField(_("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases",
                                  verbose_name=_("申请人"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("经办人"))
    # Mirrors of the workflow instance, written by the case handler in the engine's transaction.
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    deadline = models.DateField(_("办结期限"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    result = models.CharField(_("办理结果"), max_length=10, choices=CaseResult.choices, null=True, blank=True)  # noqa: DJ001
    suspension_kind = models.CharField(_("特别程序"), max_length=20, blank=True)
    suspension_reason = models.TextField(_("暂停原因"), blank=True)
    delivery = models.CharField(_("送达方式"), max_length=10, choices=Delivery.choices, default=Delivery.ONLINE)
    delivery_address = EncryptedTextField(_("邮寄地址"), blank=True, default="")
    channel = models.CharField(_("申报渠道"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["applicant", "-submitted_at"]),
                   models.Index(fields=["submitted_by", "-submitted_at"])]
        verbose_name = _("办件")
        verbose_name_plural = _("办件")

    def __str__(self):
        return self.number

    @property
    def is_proxy(self) -> bool:
        return self.applicant_id != self.submitted_by_id and self.channel != Channel.WINDOW

    @property
    def is_window(self) -> bool:
        return self.channel == Channel.WINDOW


class CaseNumberCounter(models.Model):
    """The last serial per item and day; locked while numbering so serials never repeat."""

    item_code = models.CharField(max_length=40)
    day = models.DateField()
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item_code", "day"], name="case_counter_unique")]

    def __str__(self):
        return f"{self.item_code} {self.day} {self.last_serial}"


class IdempotencyRecord(models.Model):
    """The first answer to a retried write (Idempotency-Key), returned again for the same key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    endpoint = models.CharField(max_length=200)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")]

    def __str__(self):
        return f"{self.user_id}:{self.key}"


def document_path(instance, filename):
    return f"{PRIVATE_PREFIX}/documents/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.pdf"


class CaseDocument(models.Model):
    """A notice or decision (受理通知书, 一次性告知书, 决定书 ...). The row and its content are written in
    the transition's transaction; the PDF is rendered after commit (or on first download)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("文书类型"), max_length=20, choices=DocumentKind.choices)
    title = models.CharField(_("文书名称"), max_length=200)
    # JSON: what the document states (reasons, missing items, dates); it may name people.
    content = EncryptedTextField(default="{}")
    file = models.FileField(upload_to=document_path, storage=private_storage, max_length=200, blank=True)
    created_at = models.DateTimeField(_("出具时间"), default=timezone.now)

    class Meta:
        ordering = ["case", "created_at", "id"]
        verbose_name = _("办件文书")
        verbose_name_plural = _("办件文书")

    def __str__(self):
        return f"{self.case_id} {self.title}"

    @property
    def values(self) -> dict:
        return json.loads(self.content or "{}")


class CaseSupply(models.Model):
    """One item the applicant supplied after submitting: against a one-time supplement notice
    (补正) or a material missing at tolerant acceptance (容缺后补): a file, field values, or both."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supplies")
    kind = models.CharField(_("类型"), max_length=12, choices=SupplyKind.choices)
    name = models.CharField(_("补正事项"), max_length=200)
    file = models.FileField(upload_to=material_path, storage=private_storage, max_length=200, blank=True)
    original_name = models.CharField(_("文件名"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=60, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    data = EncryptedTextField(default="{}")  # JSON: form field key → corrected value
    supplied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    supplied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case", "supplied_at", "id"]
        verbose_name = _("补正材料")
        verbose_name_plural = _("补正材料")

    def __str__(self):
        return f"{self.case_id} {self.name}"

    @property
    def values(self) -> dict:
        return json.loads(self.data or "{}")


class CaseOutput(models.Model):
    """A result of an approved case: a licence issued into the holder's wallet, or a decision document."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outputs")
    name = models.CharField(_("办理结果名称"), max_length=200)
    license = models.ForeignKey("licenses.License", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(CaseDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("办理结果")
        verbose_name_plural = _("办理结果")

    def __str__(self):
        return self.name
