"""The site inbox (站内信). Messages are addressed to the blind index of a subject code (公民身份号码 or
统一社会信用代码), so a message reaches a person even before they open an account."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboxMessage(models.Model):
    recipient_hash = models.CharField(max_length=64, db_index=True, editable=False)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    # Lets a sender post the same message twice without duplicates (e.g. "born:<event id>").
    dedupe_key = models.CharField(max_length=100, blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        constraints = [
            models.UniqueConstraint(fields=["recipient_hash", "dedupe_key"], name="inbox_dedupe",
                                    condition=~models.Q(dedupe_key="")),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
