from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class AuditConfig(AppConfig):
    name = "linkstar.audit"
    label = "audit"

    def ready(self) -> None:
        # the words of every app's audit events (``<app>/audit_labels.py``), read once
        autodiscover_modules("audit_labels")
