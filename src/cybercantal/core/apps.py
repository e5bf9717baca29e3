from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cybercantal.core"
    label = "core"
    verbose_name = "Socle"
