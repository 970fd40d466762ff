import sys
from argparse import BooleanOptionalAction

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yiwang.catalog.importing import CatalogImportError, check_directory, import_directory


class Command(BaseCommand):
    help = _(
        "导入事项目录：目录中的 departments、license_types、service_items、life_events 表"
        "（JSON、CSV 或 XLSX，格式见 data/catalog/README.md）。有任何错误时不导入任何数据。"
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", default=str(settings.CATALOG_DEMO_DIR),
                            help=_("目录路径，默认为演示数据 data/catalog"))
        parser.add_argument("--progress", action=BooleanOptionalAction, default=None,
                            help=_("显示进度条（默认：标准错误输出是终端时显示）"))
        parser.add_argument("--dry-run", action="store_true", help=_("只检查，不导入"))
        parser.add_argument("--user", help=_("记为新版本创建人的用户名"))

    def handle(self, *args, directory, progress, dry_run, user, **options):
        if dry_run:
            errors = check_directory(directory)
            if errors:
                self._fail(errors)
            self.stdout.write(self.style.SUCCESS(_("检查通过，未发现错误。")))
            return

        if progress is None:
            progress = sys.stderr.isatty()
        account = None
        if user:
            try:
                account = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(_("用户“%(user)s”不存在") % {"user": user}) from exc
        try:
            report = import_directory(directory, progress=progress, user=account)
        except CatalogImportError as exc:
            self._fail(exc.errors)
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def _fail(self, errors):
        for error in errors:
            self.stderr.write(str(error))
        raise CommandError(_("导入失败：发现 %(n)d 个错误，未导入任何数据。") % {"n": len(errors)})
