from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "cybercantal.learning"
    label = "learning"
    verbose_name = "Cartable électronique"

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registers the periodic jobs
