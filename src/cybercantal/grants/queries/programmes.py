"""Reads about grant programmes shared by the public pages, the programme team's pages, the
API and the other parts: published programmes (open ones first), envelopes of many
programmes in two queries, and how a programme's rules are said in plain French.

CONTRACT used by other parts:

- ``published()``: the published programmes, open now first, categories prefetched;
- ``visible_programme(slug, user)``: the programme if ``user`` may see its page, else None
  (an unpublished programme is the programme team's only);
- ``programme_state(programme, today=None)``: ``"open"``, ``"upcoming"`` or ``"closed"``;
- ``rate_sentence(programme)``, ``coverage_rule_sentence(programme)``: French sentences;
- ``envelopes(programmes)``: ``{programme.pk: Envelope}`` (same figures as ``queries.envelope``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cybercantal.core.money import format_euros

from ..models import COMMITTED_STATUSES, ZERO, Application, ExpenseCategory, GrantProgramme, Payment, SpeedClass
from .envelope import Envelope

OPEN, UPCOMING, CLOSED = "open", "upcoming", "closed"
STATE_ORDER = {OPEN: 0, UPCOMING: 1, CLOSED: 2}
MANAGE_PERMISSION = "grants.manage_programmes"
SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,60}")


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def programme_state(programme: GrantProgramme, today: date | None = None) -> str:
    """Open when today is between the opening and the closing date (both included)."""
    day = _today(today)
    if day < programme.opens_on:
        return UPCOMING
    if day > programme.closes_on:
        return CLOSED
    return OPEN


def is_open(programme: GrantProgramme, today: date | None = None) -> bool:
    return programme_state(programme, today) == OPEN


def with_state(queryset: QuerySet[GrantProgramme], today: date | None = None) -> QuerySet[GrantProgramme]:
    """Annotate ``state_rank`` (0 open, 1 upcoming, 2 closed) and order open ones first."""
    day = _today(today)
    return queryset.annotate(
        state_rank=Case(
            When(Q(opens_on__lte=day) & Q(closes_on__gte=day), then=Value(0)),
            When(opens_on__gt=day, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("state_rank", "closes_on", "name")


def _categories() -> Prefetch:
    return Prefetch("categories", queryset=ExpenseCategory.objects.order_by("position", "label", "pk"))


def published(today: date | None = None) -> QuerySet[GrantProgramme]:
    """The published programmes, open now first, then upcoming, then closed."""
    return with_state(GrantProgramme.objects.filter(is_published=True), today).prefetch_related(_categories())


def manage_list(today: date | None = None) -> QuerySet[GrantProgramme]:
    """Every programme, for the programme team."""
    return with_state(GrantProgramme.objects.all(), today)


def find(slug: str) -> GrantProgramme | None:
    """The programme with this slug (categories prefetched), or None; junk never reaches the
    database."""
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        return None
    return GrantProgramme.objects.prefetch_related(_categories()).filter(slug=slug).first()


def may_manage(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(MANAGE_PERMISSION))


def visible_programme(slug: str, user: Any = None) -> GrantProgramme | None:
    """The programme if its page may be shown to ``user``: published, or ``user`` is of the
    programme team."""
    programme = find(slug)
    if programme is None or (not programme.is_published and not may_manage(user)):
        return None
    return programme


def envelopes(programmes: Iterable[GrantProgramme]) -> dict[int, Envelope]:
    """The envelope of each programme in two queries (whatever their number)."""
    items = list(programmes)
    ids = [programme.pk for programme in items]
    committed = dict(
        Application.objects.filter(programme_id__in=ids, status__in=COMMITTED_STATUSES)
        .values_list("programme_id")
        .annotate(total=Sum("decided_amount"))
        .values_list("programme_id", "total")
    )
    paid = dict(
        Payment.objects.filter(application__programme_id__in=ids)
        .values_list("application__programme_id")
        .annotate(total=Sum("amount"))
        .values_list("application__programme_id", "total")
    )
    return {
        programme.pk: Envelope(
            budget=programme.budget, committed=committed.get(programme.pk) or ZERO, paid=paid.get(programme.pk) or ZERO
        )
        for programme in items
    }


# --- links to the other parts' pages ------------------------------------------------------------


def link(name: str, fallback: str, *, args: list[Any] | None = None, query: dict[str, str] | None = None) -> str:
    """The URL of ``name`` (a page of another part), or ``fallback`` while it does not exist."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        url = fallback
    return f"{url}?{urlencode(query)}" if query else url


def programme_url(programme: GrantProgramme) -> str:
    return reverse("grants:programme", args=[programme.slug])


def eligibility_url(programme: GrantProgramme) -> str:
    """``grants:eligibility`` for this programme (the coverage part's public check)."""
    return link("grants:eligibility", "/aides/eligibilite/", query={"dispositif": programme.slug})


def apply_url(programme: GrantProgramme) -> str:
    """``grants:apply_start`` (the applying part's first step)."""
    return link("grants:apply_start", f"/aides/dispositifs/{programme.slug}/demander/", args=[programme.slug])


# --- plain French ------------------------------------------------------------------------------


def format_rate(rate: Decimal) -> str:
    """``Decimal("50.00")`` -> ``50 %``; ``Decimal("33.33")`` -> ``33,33 %`` (no-break space)."""
    text = f"{rate.normalize():f}" if rate == rate.to_integral_value() else f"{rate:.2f}".rstrip("0")
    return text.replace(".", ",") + "\u00a0%"


def format_euros_short(amount: Decimal) -> str:
    """``2500.00`` -> ``2 500 €``; ``2500.50`` -> ``2 500,50 €``."""
    text = format_euros(amount)
    return text.replace(",00\u00a0€", "\u00a0€")


def rate_sentence(programme: GrantProgramme) -> str:
    """For example « L'aide couvre 50 % de vos dépenses éligibles, jusqu'à 2 500 € par dossier. »"""
    rate = format_rate(programme.rate_percent)
    if programme.cap_per_application is None:
        return _("L'aide couvre %(rate)s de vos dépenses éligibles, sans plafond par dossier.") % {"rate": rate}
    return _("L'aide couvre %(rate)s de vos dépenses éligibles, jusqu'à %(cap)s par dossier.") % {
        "rate": rate,
        "cap": format_euros_short(programme.cap_per_application),
    }


def threshold_speed(threshold: str) -> str:
    """The speed a class starts at: ``HD3`` -> ``3 Mbit/s``; empty for INEL and HD05."""
    speeds = {
        SpeedClass.HD3: "3\u00a0Mbit/s",
        SpeedClass.BHD8: "8\u00a0Mbit/s",
        SpeedClass.THD30: "30\u00a0Mbit/s",
        SpeedClass.THD100: "100\u00a0Mbit/s",
        SpeedClass.THD1G: "1\u00a0Gbit/s",
    }
    return speeds.get(threshold, "")  # type: ignore[call-overload]


def coverage_rule_sentence(programme: GrantProgramme) -> str:
    """The coverage rule as an applicant reads it: eligible when the best wired class at the
    premises is strictly slower than the threshold."""
    if not programme.coverage_rule_enabled:
        return _("Pas de condition de débit : l'aide ne dépend pas de la connexion filaire de vos locaux.")
    if programme.coverage_threshold == SpeedClass.HD05:
        return _(
            "L'aide est réservée aux locaux sans aucun accès filaire à internet : vos locaux n'ont accès "
            "ni à l'ADSL, ni au câble, ni à la fibre."
        )
    return _(
        "L'aide est réservée aux locaux mal desservis : vos locaux n'ont pas accès à un débit filaire "
        "d'au moins %(speed)s (ADSL, câble ou fibre)."
    ) % {"speed": threshold_speed(programme.coverage_threshold)}


def dates_sentence(programme: GrantProgramme, today: date | None = None) -> str:
    values = {
        "opens": date_format(programme.opens_on, "l j F Y"),
        "closes": date_format(programme.closes_on, "l j F Y"),
    }
    state = programme_state(programme, today)
    if state == UPCOMING:
        return _("Les demandes ouvriront le %(opens)s et fermeront le %(closes)s.") % values
    if state == CLOSED:
        return _("Les demandes étaient ouvertes du %(opens)s au %(closes)s : elles sont closes.") % values
    return _("Les demandes sont ouvertes du %(opens)s au %(closes)s inclus.") % values


def state_label(state: str) -> str:
    return {OPEN: _("Ouvert"), UPCOMING: _("Bientôt ouvert"), CLOSED: _("Clos")}[state]
