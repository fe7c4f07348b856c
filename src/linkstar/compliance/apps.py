from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "linkstar.compliance"
    label = "compliance"
