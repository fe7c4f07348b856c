from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformMailConfig(AppConfig):
    name = "linkstar.platformmail"
    verbose_name = _("Platform mail")
