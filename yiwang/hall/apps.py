from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HallConfig(AppConfig):
    name = "yiwang.hall"
    label = "hall"
    verbose_name = _("政务服务大厅")
