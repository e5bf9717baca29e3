"""Writes of the kiosk mode: anonymous usage counts and "Demander de l'aide".

Nothing here stores anything about the person at the kiosk: a usage count is a number per
kiosk, day, metric and key (a category or a procedure slug); a help request only says which
kiosk asked and what was on screen. There is no journal entry either: the actor is nobody,
and the help request row is its own record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.models import Role, RoleMembership
from cybercantal.core.db import lock_for_update
from cybercantal.core.links import absolute_url
from cybercantal.core.tasks import email_on_commit
from cybercantal.kiosks.models import (
    Category,
    HelpRequest,
    HelpRequestStatus,
    Kiosk,
    Procedure,
    UsageCount,
    UsageMetric,
)

# One open help request per kiosk in this window: a second tap (or a child playing with the
# button) does not send the agents a second alert.
HELP_FLOOD_WINDOW = dt.timedelta(minutes=2)
# The agent screen (built by the agents part of the app).
AGENT_SCREEN_PATH = "/bornes/agent/"


class HelpAlreadyRequestedError(Exception):
    """A help request of this kiosk is still open and recent: nothing new was created."""

    def __init__(self, existing: HelpRequest) -> None:
        self.existing = existing
        self.message = _("Votre demande est déjà transmise.")
        super().__init__(self.message)


def usage_count(*, kiosk: Kiosk, metric: str, key: str = "", on: dt.date | None = None) -> None:
    """Add one to the (kiosk, day, metric, key) counter.

    One UPDATE with ``F()`` in the common case; the first count of the day creates the row
    with ``get_or_create``, which reads the row back when a parallel request created it first
    (the unique constraint decides), and then adds one the same way: no count is lost.
    """
    if metric not in UsageMetric.values:
        raise ValueError(f"unknown usage metric {metric!r}")
    day = on or timezone.localdate()
    key = (key or "")[:80]
    rows = UsageCount.objects.filter(kiosk=kiosk, date=day, metric=metric, key=key)
    if rows.update(count=F("count") + 1):
        return
    _row, created = UsageCount.objects.get_or_create(
        kiosk=kiosk, date=day, metric=metric, key=key, defaults={"count": 1}
    )
    if not created:
        rows.update(count=F("count") + 1)


def agent_emails(kiosk: Kiosk) -> list[str]:
    """Addresses of the people holding an active kiosk-agent role on the kiosk's host place."""
    user_ids = RoleMembership.objects.active().for_scope(kiosk.place).filter(role=Role.KIOSK_AGENT).values("user_id")
    return sorted(
        set(
            get_user_model()
            .objects.filter(pk__in=user_ids, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def _on_screen_label(category: str, procedure: Procedure | None) -> str:
    if procedure is not None:
        return procedure.title
    if category in Category.values:
        return str(Category(category).label)
    return _("l'écran d'accueil")


@transaction.atomic
def help_request_create(
    *, actor: Any = None, kiosk: Kiosk, category: str = "", procedure: Procedure | None = None
) -> HelpRequest:
    """ "Demander de l'aide" at ``kiosk``: record the request, count it, alert the host
    place's agents by email once committed.

    ``actor`` is always the anonymous person at the kiosk (kept for the services' shape).
    Raises ``HelpAlreadyRequestedError`` when the kiosk already has an open request less than
    two minutes old; the kiosk row is locked first, so two taps at once make one request.
    """
    if category and category not in Category.values:
        category = ""
    if procedure is not None:
        category = procedure.category
    lock_for_update(Kiosk.objects.filter(pk=kiosk.pk)).values_list("pk", flat=True).first()
    since = timezone.now() - HELP_FLOOD_WINDOW
    existing = (
        HelpRequest.objects.filter(kiosk=kiosk, status=HelpRequestStatus.OPEN, created_at__gte=since)
        .order_by("-created_at")
        .first()
    )
    if existing is not None:
        raise HelpAlreadyRequestedError(existing)
    help_request = HelpRequest.objects.create(
        kiosk=kiosk, category=category, procedure_slug=procedure.slug if procedure is not None else ""
    )
    usage_count(kiosk=kiosk, metric=UsageMetric.HELP_REQUEST)
    subject = _("Demande d'aide à la borne « %(code)s »") % {"code": kiosk.code}
    body = _(
        "Une personne demande de l'aide à la borne « %(code)s » (%(place)s).\n"
        "À l'écran : %(screen)s.\n"
        "Heure de la demande : %(time)s.\n\n"
        "Elle vous attend : %(where)s.\n\n"
        "Voir les demandes du jour : %(link)s\n"
    ) % {
        "code": kiosk.code,
        "place": kiosk.place.name,
        "screen": _on_screen_label(category, procedure),
        "time": timezone.localtime(help_request.created_at).strftime("%H:%M"),
        "where": kiosk.help_location or _("près de la borne"),
        "link": absolute_url(AGENT_SCREEN_PATH),
    }
    # One message per agent: colleagues' addresses are not shown to each other.
    for address in agent_emails(kiosk):
        email_on_commit(subject=subject, body=body, to=[address])
    return help_request
