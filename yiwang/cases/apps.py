from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "yiwang.cases"
    label = "cases"
    verbose_name = _("申报与办件")

    def ready(self):
        from yiwang.workflow import hooks

        from .handling import SUBJECT_TYPE, CaseHandler

        hooks.register(SUBJECT_TYPE, CaseHandler())
