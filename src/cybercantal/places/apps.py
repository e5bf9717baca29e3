from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "cybercantal.places"
    label = "places"
    verbose_name = "Lieux"
