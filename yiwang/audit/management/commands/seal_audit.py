"""Seal the entries that wait for it (normally done after each commit and every 10 s by the task)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yiwang.audit.services import audit_pending, audit_seal


class Command(BaseCommand):
    help = _(
        "封存待封存的审计记录：按写入顺序接入哈希链。平时由提交后的封存和定时任务完成，"
        "本命令用于补救（例如进程在提交后、封存前中断）。可重复执行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, metavar="N", help=_("最多封存 N 条（默认：全部）"))

    def handle(self, *args, limit, **options):
        if limit is not None and limit < 1:
            raise CommandError(_("--limit 应为正整数。"))
        sealed = audit_seal(limit=limit)
        pending, _oldest = audit_pending()
        self.stdout.write(self.style.SUCCESS(
            _("已封存 %(sealed)d 条，仍待封存 %(pending)d 条。") % {"sealed": sealed, "pending": pending}))
