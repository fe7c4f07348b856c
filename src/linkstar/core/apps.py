from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "linkstar.core"
    label = "core"
