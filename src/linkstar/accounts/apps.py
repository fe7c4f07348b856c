from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "linkstar.accounts"
    label = "accounts"
