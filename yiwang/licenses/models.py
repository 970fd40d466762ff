"""Electronic licences (电子证照, GB/T 36901-36906): licences, their signing keys and their uses."""

import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.crypto import EncryptedTextField

from .constants import DEFAULT_ALGORITHM, EXPIRED, EXPIRED_LABEL, HolderCodeType, LicenseStatus


class LicenseTypeCode(models.Model):
    """The stable numeric 证照类型代码 of a catalogue LicenseType, plus its serial counter (locked
    while issuing so that serials never repeat)."""

    license_type = models.OneToOneField("catalog.LicenseType", on_delete=models.PROTECT,
                                        related_name="+", verbose_name=_("证照类型"))
    code = models.CharField(_("证照类型代码"), max_length=4, unique=True)
    last_serial = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("证照类型代码")
        verbose_name_plural = _("证照类型代码")

    def __str__(self):
        return f"{self.code} {self.license_type_id}"


class SigningKey(models.Model):
    """A department's signing key. One active key per department signs; retired keys stay for
    verifying what they signed."""

    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("部门"))
    algorithm = models.CharField(_("算法"), max_length=20, default=DEFAULT_ALGORITHM)
    key_id = models.CharField(_("密钥标识"), max_length=40, unique=True)
    public_key = models.TextField(_("公钥（base64url）"))
    private_key_encrypted = models.TextField(editable=False)  # yiwang.core.crypto.encrypt of base64url
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        ordering = ["department", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["department"], condition=Q(active=True),
                                               name="signingkey_one_active_per_department")]
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")

    def __str__(self):
        return self.key_id


class License(models.Model):
    identifier = models.CharField(_("证照标识"), max_length=80, unique=True)
    license_type = models.ForeignKey("catalog.LicenseType", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("证照类型"))
    type_code = models.CharField(_("证照类型代码"), max_length=4)
    number = models.CharField(_("证照编号"), max_length=60)
    name = models.CharField(_("证照名称"), max_length=100)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    issued_on = models.DateField(_("颁发日期"))
    issuer = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("颁发机构"))
    issuer_code = models.CharField(_("颁发机构代码"), max_length=18)
    valid_from = models.DateField(_("有效期起始"))
    valid_until = models.DateField(_("有效期截止"), null=True, blank=True)  # null: 长期
    holder_name = models.CharField(_("持证主体"), max_length=200)
    holder_code = EncryptedTextField(_("持证主体代码"))
    holder_hash = models.CharField(max_length=64, db_index=True, editable=False)
    holder_code_type = models.CharField(_("持证主体代码类型"), max_length=3, choices=HolderCodeType.choices)
    item_code = models.CharField(_("关联事项编码"), max_length=40, blank=True)
    # The 照面 values, JSON, encrypted: they carry ID numbers and addresses.
    fields_data = EncryptedTextField(_("照面信息"), default="{}")
    status = models.CharField(_("状态"), max_length=10, choices=LicenseStatus.choices,
                              default=LicenseStatus.VALID)
    status_reason = models.CharField(_("状态变更原因"), max_length=200, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="licenses",
                                    verbose_name=_("签名密钥"))
    signature = models.TextField(_("签名（base64url）"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "identifier"]
        indexes = [models.Index(fields=["holder_hash", "license_type"], name="license_holder_type")]
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")

    def __str__(self):
        return f"{self.name} {self.number}"

    @property
    def fields(self) -> dict:
        return json.loads(self.fields_data or "{}")

    @fields.setter
    def fields(self, value: dict) -> None:
        self.fields_data = json.dumps(value, ensure_ascii=False, sort_keys=True)

    @property
    def key_id(self) -> str:
        return self.signing_key.key_id

    def is_expired(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.valid_until is not None and self.valid_until < today

    @property
    def effective_status(self) -> str:
        """The stored status, or "expired" for a licence still marked valid past its validity."""
        if self.status == LicenseStatus.VALID and self.is_expired():
            return EXPIRED
        return self.status

    @property
    def effective_status_label(self) -> str:
        status = self.effective_status
        return str(EXPIRED_LABEL) if status == EXPIRED else LicenseStatus(status).label


def stamped_copy_path(instance, filename):
    return f"licenses/stamped/{timezone.now():%Y/%m}/{filename}"


class LicenseUse(models.Model):
    """One use (用证) of a licence in a case, with its stamped copy (加注件)."""

    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="uses",
                                verbose_name=_("证照"))
    item_code = models.CharField(_("事项编码"), max_length=40)
    item_name = models.CharField(_("事项名称"), max_length=200)
    case_number = models.CharField(_("办件编号"), max_length=60)
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("用证人"))
    used_by_label = models.CharField(_("用证人"), max_length=200)
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+", verbose_name=_("被代办人"))
    on_behalf_of_label = models.CharField(_("被代办人"), max_length=200, blank=True)
    used_at = models.DateTimeField(_("用证时间"), default=timezone.now)
    valid_until = models.DateField(_("加注件有效期至"))
    stamp_text = models.CharField(_("加注内容"), max_length=300)
    # Rendered after the use commits (a job, or on first download): a PDF costs ~0.3 s.
    stamped_copy = models.FileField(_("加注件"), upload_to=stamped_copy_path, max_length=200, blank=True)
    stamped_sha256 = models.CharField(_("加注件SHA-256"), max_length=64, blank=True)

    class Meta:
        ordering = ["-used_at", "-id"]
        verbose_name = _("用证记录")
        verbose_name_plural = _("用证记录")

    def __str__(self):
        return f"{self.license_id} · {self.case_number}"
