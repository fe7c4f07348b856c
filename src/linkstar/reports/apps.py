from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "linkstar.reports"
    label = "reports"
