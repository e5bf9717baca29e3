from typing import Any

from django.apps import AppConfig


def place_section(place: Any) -> dict[str, Any] | None:
    """On the directory's page of a telecentre place: a link to its booking page."""
    from cybercantal.places.models import PlaceKind

    from .models import Telecentre, TelecentreStatus

    if place.kind != PlaceKind.TELECENTRE:  # no query for the other places
        return None
    telecentre = Telecentre.objects.filter(place=place).first()
    if telecentre is None:
        return None
    return {"telecentre": telecentre, "bookable": telecentre.status == TelecentreStatus.OPEN}


class TeleworkConfig(AppConfig):
    name = "cybercantal.telework"
    label = "telework"
    verbose_name = "Télécentres"

    def ready(self) -> None:
        from cybercantal.places.extensions import register_detail_section

        from . import personal

        personal.register()
        register_detail_section(
            "telework.telecentre", template="telework/network/_place_section.html", context=place_section
        )
