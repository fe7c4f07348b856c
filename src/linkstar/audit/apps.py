from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "linkstar.audit"
    label = "audit"
