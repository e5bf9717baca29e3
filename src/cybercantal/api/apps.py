from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "cybercantal.api"
    label = "api"
    verbose_name = "API"
