from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "linkstar.compliance"
    label = "compliance"

    def ready(self) -> None:
        from linkstar.compliance import signals

        signals.connect()  # until the entity services call on_identifiers_changed themselves
