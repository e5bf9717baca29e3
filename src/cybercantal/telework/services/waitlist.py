"""The waiting list of full seat pools.

When a seat frees up (a cancellation, a no-show released), the first person waiting for an
overlapping period is booked automatically, with the same rules as any booking (credits,
quotas); the person is told by email. If their booking is refused for a rule (no credits left,
quota reached), their entry expires and the next person is tried.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.core import journal
from cybercantal.core.links import absolute_url
from cybercantal.core.tasks import email_on_commit

from ..models import Resource, ResourceKind, WaitlistEntry
from ..queries import availability
from . import booking as booking_service


@transaction.atomic
def waitlist_join(*, actor: Any, resource: Resource, day: dt.date, part: str) -> WaitlistEntry:
    """Put ``actor`` on the waiting list of a full pool for a day part. Idempotent."""
    if resource.kind != ResourceKind.SEAT_POOL:
        raise booking_service.BookingError(_("La liste d'attente n'existe que pour les espaces partagés."))
    starts_at, ends_at, part = booking_service.resolve_period(
        resource=resource, starts_at=None, ends_at=None, day=day, part=part
    )
    booking_service.check_rules(
        resource=resource, starts_at=starts_at, ends_at=ends_at, staff=False, now=timezone.now()
    )
    booking_service.decide_terms(
        member=actor,
        resource=resource,
        on=day,
        units=booking_service.slots.credit_units(resource, starts_at, ends_at, part),
    )
    existing = WaitlistEntry.objects.filter(
        resource=resource, member=actor, starts_at=starts_at, status=WaitlistEntry.Status.WAITING
    ).first()
    if existing is not None:
        return existing
    entry = WaitlistEntry.objects.create(
        resource=resource, member=actor, starts_at=starts_at, ends_at=ends_at, part=part
    )
    journal.record(actor=actor, action="telework.waitlist.joined", target=resource, data={"entry": entry.pk})
    return entry


@transaction.atomic
def waitlist_leave(*, actor: Any, entry: WaitlistEntry) -> WaitlistEntry:
    if entry.member_id != actor.pk:
        raise booking_service.BookingError(
            _("Cette inscription en liste d'attente n'est pas la vôtre."), code="forbidden"
        )
    updated = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.CANCELLED, resolved_at=timezone.now()
    )
    if updated:
        journal.record(actor=actor, action="telework.waitlist.left", target=entry.resource)
    entry.refresh_from_db()
    return entry


def promote_waiting(*, resource: Resource, starts_at: dt.datetime, ends_at: dt.datetime) -> list[Any]:
    """Give freed seats to the people waiting for an overlapping period, first come first
    served. Runs inside the caller's transaction (the pool row is already locked)."""
    promoted = []
    now = timezone.now()
    entries = (
        WaitlistEntry.objects.filter(
            resource=resource, status=WaitlistEntry.Status.WAITING, starts_at__lt=ends_at, ends_at__gt=starts_at
        )
        .select_related("member")
        .order_by("created_at", "pk")
    )
    for entry in entries:
        if entry.ends_at <= now:
            WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.EXPIRED, resolved_at=now)
            continue
        if not availability.is_free(resource, entry.starts_at, entry.ends_at):
            continue
        try:
            with transaction.atomic():
                new = booking_service.booking_create(
                    actor=entry.member,
                    resource=resource,
                    day=timezone.localtime(entry.starts_at).date(),
                    part=entry.part,
                    notify=False,
                    allow_started=True,
                )
        except booking_service.BookingConflictError:
            continue
        except booking_service.BookingError:
            WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.EXPIRED, resolved_at=now)
            continue
        WaitlistEntry.objects.filter(pk=entry.pk).update(
            status=WaitlistEntry.Status.PROMOTED, resolved_at=now, booking=new
        )
        journal.record(actor=None, action="telework.waitlist.promoted", target=new, data={"entry": entry.pk})
        if entry.member.email:
            period = booking_service.describe_period(new.starts_at, new.ends_at, new.part)
            email_on_commit(
                subject=_("Une place s'est libérée : %(period)s") % {"period": period},
                body=_(
                    "Bonjour,\n\nUne place s'est libérée à %(place)s : vous étiez sur la liste d'attente, elle est "
                    "à vous (%(resource)s, %(period)s).\n\nSi vous n'en avez plus besoin, annulez-la pour la laisser "
                    "à quelqu'un d'autre :\n%(link)s\n"
                )
                % {
                    "place": resource.telecentre.place.name,
                    "resource": resource.name,
                    "period": period,
                    "link": absolute_url(reverse("telework:booking_detail", kwargs={"pk": new.pk})),
                },
                to=[entry.member.email],
            )
        promoted.append(new)
    return promoted
