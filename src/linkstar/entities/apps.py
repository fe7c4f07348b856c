from django.apps import AppConfig


class EntitiesConfig(AppConfig):
    name = "linkstar.entities"
    label = "entities"
