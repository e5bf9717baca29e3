from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "cybercantal.learning"
    label = "learning"
    verbose_name = "Cartable électronique"

    def ready(self) -> None:
        from . import personal, tasks  # noqa: F401 - tasks registers the periodic jobs

        personal.register()
