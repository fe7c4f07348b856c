from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "linkstar.core"
    label = "core"

    def ready(self) -> None:
        # Every app's permission rules (``<app>/permissions.py``) and the listeners of the
        # announcements between apps (``<app>/listeners.py``), read once.
        autodiscover_modules("permissions", "listeners")
