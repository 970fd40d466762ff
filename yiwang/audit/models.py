from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One security-relevant action. Append-only: each entry's hash covers the previous entry's hash,
    so editing or deleting any entry breaks the chain from there on (`manage.py verify_audit`).

    Written unsealed (seq, prev_hash and hash NULL) inside the caller's transaction and sealed into the
    chain after commit (services.audit_seal); NULLs do not collide on the unique columns."""

    seq = models.BigIntegerField(_("序号"), unique=True, null=True, blank=True)
    at = models.DateTimeField(_("时间"))
    # DO_NOTHING, no constraint: deleting a user must not rewrite (SET_NULL) entries, which would break
    # the chain and is refused by the PostgreSQL trigger; actor_label keeps the name.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+", verbose_name=_("操作人"))
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True)
    on_behalf_of = models.CharField(_("代办委托人"), max_length=150, blank=True)
    department = models.CharField(_("部门"), max_length=20, blank=True)
    action = models.CharField(_("操作"), max_length=60, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    target_id = models.CharField(_("对象"), max_length=100, blank=True, db_index=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    # NULL, not "", while unsealed: "" would collide on the unique hash.
    prev_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)  # noqa: DJ001

    class Meta:
        # id, not seq: unsealed entries list too, in the same place on every database.
        # The sealer finds unsealed entries through the unique index on seq (NULLs are indexed).
        ordering = ["id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self):
        return f"#{self.seq} {self.action}" if self.seq is not None else f"(id {self.pk}) {self.action}"
