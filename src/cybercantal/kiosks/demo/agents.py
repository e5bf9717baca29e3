"""Demo data of the agents part: kiosk agents at the demo host places, three years of
training sessions, today's help requests at the demo agent's kiosk and six months of help
recorded at the kiosks.

- The demo kiosk agent account (``accounts/demo.py``) keeps its place; 6 to 10 more agents
  (invented names, ``@example.fr`` addresses, no password) are created at the other host
  places, two at most per place.
- One host place has an agent whose training is overdue (trained 30 months ago, never
  refreshed); one host place has no agent at all (its kiosk is flagged « aucun agent formé »).
- Loading twice creates nothing new (people by email, sessions by date and trainer, help
  requests only when the kiosk has none today, records only for kiosks without any).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from cybercantal.accounts import services as account_services
from cybercantal.accounts.demo import DEMO_STARTS_ON, demo_email
from cybercantal.accounts.models import Role, RoleMembership, User
from cybercantal.mediation.models import Accompaniment, AccompanimentKind, AdminTheme, EquipmentUsed
from cybercantal.mediation.services.accompaniments import add_months
from cybercantal.places.models import Place

from ..models import Category, HelpRequest, Kiosk, KioskStatus, TrainingAttendance, TrainingSession

PEOPLE = [
    ("Sylvie", "Delmas"),
    ("Rémi", "Vigier"),
    ("Martine", "Lavigne"),
    ("Julien", "Cipière"),
    ("Agnès", "Fournier"),
    ("Patrick", "Bergeron"),
    ("Nadège", "Rouchy"),
    ("Hervé", "Mourgues"),
    ("Céline", "Besson"),
    ("Damien", "Boudou"),
]
TRAINER = "Marie Delort, CD15 (démo)"
REASONS = {"no_equipment": 30, "know_how": 35, "trust": 25, "other": 10}
OUTCOMES = {"completed": 60, "started": 25, "redirected": 15}
THEMES = {
    AdminTheme.SOCIAL_HEALTH: 9,
    AdminTheme.MONEY: 9,
    AdminTheme.PAPERS: 8,
    AdminTheme.WORK: 5,
    AdminTheme.TRANSPORT: 4,
    AdminTheme.FAMILY: 3,
    AdminTheme.HOUSING: 3,
    AdminTheme.FOREIGNERS: 1,
}
DURATIONS = {5: 6, 10: 20, 15: 30, 20: 18, 30: 15, 45: 7, 60: 4}
ORIENTATIONS = ["CAF du Cantal", "France Services", "CPAM", "EPN le plus proche", "Mairie"]
DAYS = 183


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _slug(text: str) -> str:
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "-" for c in ascii_text.lower()).strip("-")


def _agent(first_name: str, last_name: str, place: Place) -> User:
    email = f"{_slug(first_name)}.{_slug(last_name)}@example.fr"
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, first_name=first_name, last_name=last_name)
    current = RoleMembership.objects.active().filter(user=user, role=Role.KIOSK_AGENT).for_scope(place)
    if not current.exists():
        account_services.role_grant(actor=None, user=user, role=Role.KIOSK_AGENT, scope=place, starts_on=DEMO_STARTS_ON)
    return user


def _holders(place: Place, place_type: ContentType) -> list[User]:
    ids = (
        RoleMembership.objects.active()
        .filter(role=Role.KIOSK_AGENT, scope_type=place_type, scope_id=place.pk)
        .values("user_id")
    )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def _session(day: dt.date, *, place: Place | None, refresher: bool, people: list[User]) -> int:
    session, created = TrainingSession.objects.get_or_create(
        date=day,
        trainer=TRAINER,
        defaults={
            "topics": (
                "Recyclage : nouveautés ANTS, France Identité, impots.gouv ; accueil des personnes "
                "sans confiance dans le numérique."
                if refresher
                else "Accueil à la borne, démarches les plus courantes (CAF, ANTS, Ameli, impots.gouv, "
                "France Travail), protection des données de la personne, orientation."
            ),
            "duration_minutes": 210 if refresher else 420,
            "place": place,
            "is_refresher": refresher,
        },
    )
    existing = set(session.attendances.values_list("user_id", flat=True))
    TrainingAttendance.objects.bulk_create(
        [TrainingAttendance(session=session, user=p, attended=True) for p in people if p.pk not in existing]
    )
    return int(created)


@transaction.atomic
def load(*, rng_seed: int = 15) -> dict[str, int]:
    """Create the demo agents, trainings, help requests and kiosk help records (idempotent)."""
    rng = random.Random(f"{rng_seed}:kiosks-agents")  # noqa: S311 - demo data, not secrets
    today = timezone.localdate()
    place_type = ContentType.objects.get_for_model(Place)
    counts = {"agents de borne": 0, "formations": 0, "demandes d'aide": 0, "aides à la borne": 0}

    kiosks = list(Kiosk.objects.exclude(status=KioskStatus.RETIRED).select_related("place").order_by("code"))
    host_places = list({k.place_id: k.place for k in kiosks}.values())
    if not host_places:
        host_places = list(Place.objects.filter(offers__has="kiosk").order_by("slug"))
    if not host_places:
        return counts
    demo_agent = User.objects.filter(email__iexact=demo_email(Role.KIOSK_AGENT)).first()
    demo_places = set()
    if demo_agent is not None:
        demo_places = set(
            RoleMembership.objects.active()
            .filter(user=demo_agent, role=Role.KIOSK_AGENT, scope_type=place_type)
            .values_list("scope_id", flat=True)
        )
    # The last host place (not the demo agent's) stays without any agent.
    others = [p for p in host_places if p.pk not in demo_places]
    empty_place = others[-1] if len(others) > 1 else None
    staffed = [p for p in others if p != empty_place]
    before = User.objects.filter(email__endswith="@example.fr").count()
    people = iter(PEOPLE)
    by_place: dict[int, list[User]] = {}
    for index, place in enumerate(staffed):
        wanted = 2 if index < 3 else 1
        for _n in range(wanted):
            person = next(people, None)
            if person is None:
                break
            by_place.setdefault(place.pk, []).append(_agent(*person, place))
    counts["agents de borne"] = User.objects.filter(email__endswith="@example.fr").count() - before

    # Trainings over three years: an initial session for everyone, refreshers since; the agent
    # of the first staffed place is never refreshed (overdue).
    overdue_place = staffed[0] if staffed else None
    everyone = [u for users in by_place.values() for u in users]
    if demo_agent is not None:
        everyone.append(demo_agent)
    counts["formations"] += _session(add_months(today, -34), place=None, refresher=False, people=everyone)
    if overdue_place is not None:
        counts["formations"] += _session(
            add_months(today, -30), place=overdue_place, refresher=False, people=by_place.get(overdue_place.pk, [])
        )
    refreshed = [u for pk, users in by_place.items() if pk != getattr(overdue_place, "pk", None) for u in users]
    half = len(refreshed) // 2
    counts["formations"] += _session(
        add_months(today, -14), place=staffed[-1] if staffed else None, refresher=True, people=refreshed[:half]
    )
    counts["formations"] += _session(
        add_months(today, -5),
        place=host_places[0],
        refresher=True,
        people=refreshed[half:] + ([demo_agent] if demo_agent else []),
    )
    # Overdue agents must have nothing after the first 30 months: drop them from later sessions.
    if overdue_place is not None:
        TrainingAttendance.objects.filter(
            user__in=by_place.get(overdue_place.pk, []),
            session__trainer=TRAINER,
            session__date__gt=add_months(today, -30),
        ).delete()

    # Today's help requests at the demo agent's kiosk(s): open, waiting.
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    for kiosk in [k for k in kiosks if k.place_id in demo_places]:
        if HelpRequest.objects.filter(kiosk=kiosk, created_at__gte=start).exists():
            continue
        for minutes_ago, category in ((3, Category.IDENTITY), (25, Category.SOCIAL)):
            request = HelpRequest.objects.create(kiosk=kiosk, category=category)
            moment = max(start, timezone.now() - dt.timedelta(minutes=minutes_ago))
            HelpRequest.objects.filter(pk=request.pk).update(created_at=moment)
            counts["demandes d'aide"] += 1

    # Six months of help recorded at each kiosk with agents.
    for kiosk in kiosks:
        if Accompaniment.objects.filter(kiosk_id=kiosk.pk).exists():
            continue
        authors = _holders(kiosk.place, place_type)
        if not authors:
            continue
        records = []
        for offset in range(DAYS, 0, -1):
            day = today - dt.timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for _n in range(rng.choices([0, 1, 2, 3], weights=[40, 35, 18, 7])[0]):
                outcome = _pick(rng, OUTCOMES)
                themes = {_pick(rng, THEMES)}
                if rng.random() < 0.15:
                    themes.add(_pick(rng, THEMES))
                records.append(
                    Accompaniment(
                        kind=AccompanimentKind.PROCEDURE,
                        author=rng.choice(authors),
                        place=kiosk.place,
                        date=day,
                        duration_minutes=_pick(rng, DURATIONS),
                        admin_themes=sorted(themes),
                        equipment_used=[EquipmentUsed.KIOSK],
                        help_reason=_pick(rng, REASONS),
                        outcome=outcome,
                        oriented_to=rng.choice(ORIENTATIONS) if outcome == "redirected" else "",
                        kiosk_id=kiosk.pk,
                        participants=1,
                    )
                )
        Accompaniment.objects.bulk_create(records, batch_size=500)
        counts["aides à la borne"] += len(records)
    return counts
