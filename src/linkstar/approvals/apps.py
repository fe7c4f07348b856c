from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "linkstar.approvals"
    label = "approvals"
