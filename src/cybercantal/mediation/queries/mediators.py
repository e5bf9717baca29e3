"""Reads about mediators, their EPN, the hiring aid programme and the labels of places.

The EPN of a mediator are their active role memberships (role mediator scoped to a place):
``places_by_user`` reads them for a whole page of mediators in two queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import DecimalField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cybercantal.accounts.models import Role, RoleMembership
from cybercantal.core.money import round_cents
from cybercantal.mediation.models import HiringAid, HiringAidPayment, Mediator, PlaceLabel
from cybercantal.mediation.services.mediators import whole_months
from cybercantal.places.models import Place, PlaceKind, PlaceOffer

ZERO = Decimal("0.00")


# --- Mediators -------------------------------------------------------------------------------


def current_aids_prefetch(on: dt.date | None = None) -> Prefetch:
    on = on or timezone.localdate()
    return Prefetch(
        "hiring_aids",
        queryset=HiringAid.objects.filter(starts_on__lte=on, ends_on__gte=on)
        .exclude(status=HiringAid.Status.CANCELLED)
        .select_related("employer"),
        to_attr="current_aids",
    )


def mediators(*, text: str = "") -> QuerySet[Mediator]:
    """Every mediator profile with their person, employer and the aid running today."""
    qs = Mediator.objects.select_related("user", "employer").prefetch_related(current_aids_prefetch())
    for word in text.split():
        qs = qs.filter(
            Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word) | Q(employer__name__icontains=word)
        )
    return qs.order_by("user__last_name", "user__first_name", "pk")


def places_by_user(user_ids: Iterable[int], on: dt.date | None = None) -> dict[int, list[Place]]:
    """``{user id: [EPN where they are a mediator on ``on`` (today)]}``: two queries."""
    user_ids = list(user_ids)
    if not user_ids:
        return {}
    place_type = ContentType.objects.get_for_model(Place)
    pairs = list(
        RoleMembership.objects.filter(user_id__in=user_ids, role=Role.MEDIATOR, scope_type=place_type)
        .active(on or timezone.localdate())
        .values_list("user_id", "scope_id")
    )
    places = Place.objects.select_related("commune").in_bulk({scope_id for _user, scope_id in pairs})
    result: dict[int, list[Place]] = defaultdict(list)
    for user_id, scope_id in pairs:
        if scope_id in places and places[scope_id] not in result[user_id]:
            result[user_id].append(places[scope_id])
    for found in result.values():
        found.sort(key=lambda place: place.name)
    return dict(result)


def place_memberships(mediator: Mediator) -> QuerySet[RoleMembership]:
    """Every membership (past, present, future) of the mediator on a place, newest first."""
    place_type = ContentType.objects.get_for_model(Place)
    return RoleMembership.objects.filter(user_id=mediator.user_id, role=Role.MEDIATOR, scope_type=place_type).order_by(
        "-starts_on", "pk"
    )


def epn_places() -> QuerySet[Place]:
    """Places where a mediator may work and that may carry the EPN / NetPublic labels."""
    return (
        Place.objects.filter(Q(kind=PlaceKind.EPN) | Q(offers__has=PlaceOffer.EPN))
        .exclude(status="closed")
        .select_related("commune")
        .order_by("name")
    )


def mediator_for_user(user: Any) -> Mediator | None:
    pk = getattr(user, "pk", None)
    if pk is None:
        return None
    return Mediator.objects.select_related("user", "employer").filter(user_id=pk).first()


# --- Hiring aid ------------------------------------------------------------------------------


def aids(*, mediator: Mediator | None = None) -> QuerySet[HiringAid]:
    """Aids annotated with ``paid`` (sum of payments) and ``remaining`` (committed − paid)."""
    money = DecimalField(max_digits=12, decimal_places=2)
    qs = HiringAid.objects.select_related("mediator__user", "employer").annotate(
        paid=Coalesce(Sum("payments__amount"), Value(ZERO), output_field=money)
    )
    if mediator is not None:
        qs = qs.filter(mediator=mediator)
    return qs.order_by("-starts_on", "pk")


def payments_prefetch() -> Prefetch:
    return Prefetch("payments", queryset=HiringAidPayment.objects.order_by("paid_on", "pk"))


def committed_by_year(aid: HiringAid) -> dict[int, Decimal]:
    """The committed amount spread over calendar years, month by month (a month belongs to the
    year it starts in); shares are rounded to the cent and the last year takes the rounding
    difference, so the years always add up to ``committed_amount``."""
    months: dict[int, int] = defaultdict(int)
    total_months = 0
    year, month = aid.starts_on.year, aid.starts_on.month
    for _index in range(whole_months(aid.starts_on, aid.ends_on)):
        months[year] += 1
        total_months += 1
        month += 1
        if month > 12:
            year, month = year + 1, 1
    if not total_months:
        return {}
    years = sorted(months)
    shares = {y: round_cents(aid.committed_amount * months[y] / total_months) for y in years}
    shares[years[-1]] += aid.committed_amount - sum(shares.values())
    return shares


@dataclass
class Line:
    """Committed, paid and remaining for one row of the programme view."""

    label: str
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    count: int = 0
    key: Any = None

    @property
    def remaining(self) -> Decimal:
        return self.committed - self.paid


@dataclass
class Programme:
    aids: list[HiringAid] = field(default_factory=list)
    by_employer: list[Line] = field(default_factory=list)
    by_year: list[Line] = field(default_factory=list)
    total: Line = field(default_factory=lambda: Line(label=""))


def programme(*, year: int | None = None) -> Programme:
    """What the programme has committed and paid: per aid, per employer, per year and in total.

    Cancelled aids count for nothing. Per year, the committed amount follows the months of each
    aid (``committed_by_year``) and the paid amount the payment dates. Three queries.
    """
    rows = list(aids().exclude(status=HiringAid.Status.CANCELLED))
    employers: dict[int, Line] = {}
    years: dict[int, Line] = {}
    total = Line(label="")
    for aid in rows:
        line = employers.setdefault(aid.employer_id, Line(label=aid.employer.name, key=aid.employer))
        line.committed += aid.committed_amount
        line.paid += aid.paid  # type: ignore[attr-defined]  # annotated by aids()
        line.count += 1
        total.committed += aid.committed_amount
        total.paid += aid.paid  # type: ignore[attr-defined]
        total.count += 1
        for y, share in committed_by_year(aid).items():
            years.setdefault(y, Line(label=str(y), key=y)).committed += share
    paid_by_year = (
        HiringAidPayment.objects.exclude(aid__status=HiringAid.Status.CANCELLED)
        .values_list("paid_on__year")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for y, amount in paid_by_year:
        years.setdefault(y, Line(label=str(y), key=y)).paid += amount
    return Programme(
        aids=rows,
        by_employer=sorted(employers.values(), key=lambda line: line.label.lower()),
        by_year=[years[y] for y in sorted(years)],
        total=total,
    )


# --- Labels ----------------------------------------------------------------------------------


def labels_prefetch() -> Prefetch:
    return Prefetch("labels", queryset=PlaceLabel.objects.order_by("since", "pk"))


def label_places(*, text: str = "") -> QuerySet[Place]:
    """EPN-like places with their label history (two queries per page)."""
    qs = epn_places().prefetch_related(labels_prefetch())
    for word in text.split():
        qs = qs.filter(Q(name__icontains=word) | Q(commune__name__icontains=word))
    return qs


def current_labels(place: Place, on: dt.date | None = None) -> list[PlaceLabel]:
    """Labels the place holds on ``on`` (today), oldest first."""
    on = on or timezone.localdate()
    return list(
        PlaceLabel.objects.filter(place=place, since__lte=on)
        .filter(Q(until__isnull=True) | Q(until__gte=on))
        .order_by("since", "pk")
    )


def place_labels_section(place: Place) -> dict[str, Any] | None:
    """The "Labels" section of the directory's place page (``places.extensions``): the labels
    held today, e.g. "Label EPN depuis 2003" (with the end date when one is set), then the
    ones held before, e.g. "Centre de certification PIX de 2015 à 2018". One query; None
    when the place never held a label."""
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    today = timezone.localdate()
    labels = list(PlaceLabel.objects.filter(place=place, since__lte=today).order_by("since", "pk"))
    if not labels:
        return None
    held, past = [], []
    for label in labels:
        if label.until is None:
            held.append(_("%(label)s depuis %(year)s") % {"label": str(label), "year": label.since.year})
        elif label.until >= today:
            held.append(
                _("%(label)s depuis %(year)s, jusqu'au %(until)s")
                % {"label": str(label), "year": label.since.year, "until": date_format(label.until, "l j F Y")}
            )
        else:
            past.append(
                _("%(label)s de %(start)s à %(end)s")
                % {"label": str(label), "start": label.since.year, "end": label.until.year}
            )
    return {"labels": held, "past": past}
