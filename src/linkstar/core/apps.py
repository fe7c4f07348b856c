from django.apps import AppConfig
from django.db.models.signals import pre_save
from django.utils.module_loading import autodiscover_modules

from linkstar.core.text import clean_saved_texts


class CoreConfig(AppConfig):
    name = "linkstar.core"
    label = "core"

    def ready(self) -> None:
        # Every app's permission rules (``<app>/permissions.py``) and the listeners of the
        # announcements between apps (``<app>/listeners.py``), read once.
        autodiscover_modules("permissions", "listeners")
        pre_save.connect(clean_saved_texts, dispatch_uid="linkstar.core.text")
