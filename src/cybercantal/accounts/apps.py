from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cybercantal.accounts"
    label = "accounts"
    verbose_name = "Comptes"
