"""What the grants programme keeps about a person, for "Mes données" (registered in ``apps``).

A dossier is a record of public money: once submitted it is kept for the legal retention of
accounting records, with the business's data. What belongs to the person themself is the
contact they gave and the messages they wrote. On anonymisation, their drafts are deleted and
their name, email and phone are removed from the dossiers they created.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cybercantal.accounts import personal_data

from .models import Application, Message, Status


def _export(user: Any) -> list[dict[str, Any]]:
    applications = Application.objects.filter(created_by=user).select_related("programme").order_by("created_at")
    own_messages = Message.objects.filter(author=user).order_by("created_at")
    by_application: dict[int, list[dict[str, Any]]] = {}
    for message in own_messages:
        by_application.setdefault(message.application_id, []).append(
            {"date": message.created_at, "texte": message.body}
        )
    return [
        {
            "dossier": application.reference,
            "dispositif": application.programme.name,
            "etat": str(Status(application.status).label),
            "cree_le": application.created_at,
            "depose_le": application.first_submitted_at,
            "contact": {
                "nom": application.contact_name,
                "adresse_electronique": application.contact_email,
                "telephone": application.contact_phone,
            },
            "messages_ecrits": by_application.get(application.pk, []),
        }
        for application in applications
    ]


def _erase(user: Any) -> None:
    Application.objects.filter(created_by=user, status=Status.DRAFT).delete()
    Application.objects.filter(created_by=user).update(
        contact_name="", contact_email="", contact_phone="", created_by=None
    )


def register() -> None:
    personal_data.register(
        "dossiers_aides",
        _export,
        erase=_erase,
        title=_("Vos demandes d'aide"),
        description=_(
            "Les dossiers d'aide que vous avez créés pour une entreprise et les messages que vous avez écrits. "
            "Un dossier déposé est conservé avec les pièces comptables de l'aide publique ; vos brouillons sont "
            "supprimés si vous demandez l'effacement de votre compte, et un brouillon laissé un an sans modification "
            "est supprimé (vous êtes prévenu(e) 30 jours avant)."
        ),
    )
