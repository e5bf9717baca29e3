from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "cybercantal.mediation"
    label = "mediation"
    verbose_name = "Médiation numérique (EPN)"

    def ready(self) -> None:
        from cybercantal.places.extensions import register_detail_section

        from .queries.mediators import place_labels_section
        from .services import registrations  # noqa: F401  (registers its "Mes données" section)

        # The labels of a place (EPN label, NetPublic charter…) on the directory's place page.
        register_detail_section(
            "mediation.labels", template="mediation/mediators/_place_labels.html", context=place_labels_section
        )
