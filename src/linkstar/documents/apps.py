from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "linkstar.documents"
    label = "documents"
