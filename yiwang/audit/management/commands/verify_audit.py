"""Check the audit chain: exit 0 with "OK: N entries", or name the first broken entry and exit 1.

Entries not sealed yet are reported on a line of their own (they are outside the chain); when one has
waited longer than PENDING_WARN_AFTER a warning goes to stderr (still exit 0: the chain is intact)."""

import sys
from argparse import BooleanOptionalAction

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yiwang.audit.constants import PENDING_WARN_AFTER
from yiwang.audit.selectors import audit_verify, parse_anchor


class Command(BaseCommand):
    help = _(
        "校验审计日志的哈希链：逐条重新计算哈希并检查前序哈希与序号的连续性。"
        "删除末尾记录只能通过外部保存的锚点（--anchor）发现。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--anchor", metavar="SEQ:HASH",
                            help=_("此前保存的锚点（序号:哈希），用于发现末尾记录被删除"))
        parser.add_argument("--print-anchor", action="store_true",
                            help=_("校验通过后输出当前锚点，供外部保存"))
        parser.add_argument("--progress", action=BooleanOptionalAction, default=None,
                            help=_("显示进度条（默认：标准错误输出是终端时显示）"))

    def handle(self, *args, anchor, print_anchor, progress, **options):
        expected = None
        if anchor:
            try:
                expected = parse_anchor(anchor)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        if progress is None:
            progress = sys.stderr.isatty()
        result = audit_verify(anchor=expected, progress=progress)
        if not result.ok:
            raise CommandError(result.message)
        self.stdout.write(self.style.SUCCESS(result.message))
        if result.pending:
            self.stdout.write(_("待封存：%(count)d 条（最早一条已等待 %(seconds)d 秒），尚未计入哈希链。") % {
                "count": result.pending, "seconds": result.pending_age.total_seconds()})
        if result.pending_stale:
            self.stderr.write(self.style.WARNING(_(
                "警告：有记录等待封存已超过 %(minutes)d 分钟。请检查定时任务 yiwang.audit.tasks.seal 是否在运行，"
                "或执行 manage.py seal_audit。") % {"minutes": PENDING_WARN_AFTER.total_seconds() // 60}))
        if print_anchor:
            seq, digest = result.head
            self.stdout.write(f"{seq}:{digest}")
