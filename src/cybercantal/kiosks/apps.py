from django.apps import AppConfig


class KiosksConfig(AppConfig):
    name = "cybercantal.kiosks"
    label = "kiosks"
    verbose_name = "Bornes de services publics"
