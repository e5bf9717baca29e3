from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "cybercantal.grants"
    label = "grants"
    verbose_name = "Aides aux entreprises (Auverdata)"

    def ready(self) -> None:
        from . import personal

        personal.register()
