from django.apps import AppConfig


class TeleworkConfig(AppConfig):
    name = "cybercantal.telework"
    label = "telework"
    verbose_name = "Télécentres"
