from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "linkstar.playbooks"
    label = "playbooks"
