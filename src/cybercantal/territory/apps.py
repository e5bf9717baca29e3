from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "cybercantal.territory"
    label = "territory"
    verbose_name = "Territoire"
