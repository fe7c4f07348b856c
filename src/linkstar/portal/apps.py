from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "linkstar.portal"
    label = "portal"
