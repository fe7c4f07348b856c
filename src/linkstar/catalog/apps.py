from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "linkstar.catalog"
    label = "catalog"
