from django.apps import AppConfig


class DocRequestsConfig(AppConfig):
    name = "linkstar.docrequests"
    label = "docrequests"
