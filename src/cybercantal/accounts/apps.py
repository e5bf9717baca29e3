from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cybercantal.accounts"
    label = "accounts"
    verbose_name = "Comptes"

    def ready(self) -> None:
        # The platform's rules (permissions) and the staff sign-in journal receiver.
        from . import permissions, receivers  # noqa: F401
