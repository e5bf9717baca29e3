"""Demo data of the workshops (mediators' side): the network's catalogue, Mediator profiles
for the people holding the mediator role, and sessions in the demo EPN over the past three
months (attendance taken) and the next six weeks.

Idempotent: workshops are keyed by slug, sessions by (place, workshop, start); the weeks
are counted from the Monday of the current week, so running it twice (the same week)
creates nothing new. Registrations are added by the public part's demo.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from cybercantal.accounts.models import Organisation, Role, RoleMembership
from cybercantal.places.models import Place

from ..models import (
    DigitalTheme,
    Level,
    Mediator,
    Public,
    Qualification,
    Registration,
    RegistrationStatus,
    Session,
    SessionStatus,
    Workshop,
)

T, P = DigitalTheme, Public  # short names for the catalogue table below

# title, summary, themes, level, minutes, publics, prerequisites
CATALOGUE: list[tuple[str, str, list[str], str, int, list[str], str]] = [
    (
        "Premiers pas avec le courriel",
        "Créer une adresse, lire et envoyer un message, joindre une photo : à son rythme, en petit groupe.",
        [T.EMAIL],
        Level.BEGINNER,
        120,
        [P.EVERYONE, P.SENIORS],
        "Savoir utiliser une souris ou un écran tactile.",
    ),
    (
        "Sécuriser ses mots de passe",
        "Choisir des mots de passe solides, les retenir sans les écrire partout, repérer un message piégé.",
        [T.SECURITY, T.DATA],
        Level.BEGINNER,
        90,
        [P.EVERYONE],
        "Avoir une adresse électronique.",
    ),
    (
        "Faire ses démarches sur le site des impôts",
        "Se connecter à son espace particulier, déclarer ses revenus, télécharger son avis d'imposition.",
        [T.ONLINE_PROCEDURES],
        Level.INTERMEDIATE,
        120,
        [P.EVERYONE, P.SENIORS],
        "Avoir son numéro fiscal et son dernier avis d'imposition.",
    ),
    (
        "Échanger en visio avec ses petits-enfants",
        "Installer une application d'appel vidéo, appeler et répondre, partager son écran.",
        [T.SOCIAL, T.EQUIPMENT],
        Level.BEGINNER,
        90,
        [P.SENIORS],
        "Venir avec son téléphone ou sa tablette chargés.",
    ),
    (
        "Trier et partager ses photos",
        "Transférer les photos du téléphone vers l'ordinateur, les ranger en albums, les partager en famille.",
        [T.CREATING, T.EQUIPMENT],
        Level.BEGINNER,
        120,
        [P.EVERYONE],
        "",
    ),
    (
        "Découvrir la tablette",
        "Allumer, toucher, glisser : les gestes de base, les réglages utiles et les premières applications.",
        [T.EQUIPMENT],
        Level.BEGINNER,
        120,
        [P.SENIORS],
        "",
    ),
    (
        "Mon espace santé et Ameli",
        "Activer Mon espace santé, suivre ses remboursements et prendre rendez-vous en ligne.",
        [T.HEALTH, T.ONLINE_PROCEDURES],
        Level.INTERMEDIATE,
        120,
        [P.EVERYONE],
        "Avoir sa carte Vitale et une adresse électronique.",
    ),
    (
        "Acheter en ligne sans risque",
        "Reconnaître un site sérieux, payer en sécurité, suivre une commande et faire valoir ses droits.",
        [T.BANKING, T.SECURITY],
        Level.INTERMEDIATE,
        90,
        [P.EVERYONE],
        "Savoir naviguer sur internet.",
    ),
    (
        "Rédiger son CV sur ordinateur",
        "Mettre en forme un CV clair avec un traitement de texte, l'enregistrer en PDF et l'envoyer.",
        [T.OFFICE, T.EMPLOYMENT],
        Level.INTERMEDIATE,
        180,
        [P.JOB_SEEKERS, P.YOUNG],
        "Savoir taper un texte au clavier.",
    ),
    (
        "Suivre la scolarité de son enfant en ligne",
        "Se connecter à l'ENT du collège, consulter les notes, le cahier de textes et écrire aux enseignants.",
        [T.PARENTING, T.SCHOOLING],
        Level.BEGINNER,
        90,
        [P.PARENTS],
        "Avoir ses identifiants EduConnect.",
    ),
    (
        "Réseaux sociaux : garder la main sur sa vie privée",
        "Régler qui voit quoi, repérer les fausses informations et protéger les plus jeunes.",
        [T.SOCIAL, T.DATA],
        Level.INTERMEDIATE,
        90,
        [P.PARENTS, P.EVERYONE],
        "",
    ),
    (
        "Comprendre l'intelligence artificielle",
        "Ce que font (et ne font pas) les assistants conversationnels, essais guidés et précautions.",
        [T.AI, T.CULTURE],
        Level.BEGINNER,
        120,
        [P.EVERYONE],
        "",
    ),
]

# (weekday, hour) slots a demo EPN may use for its workshops.
SLOTS = [(1, 14), (2, 10), (3, 14), (4, 10), (5, 10)]
PAST_WEEKS = 13  # about three months
NEXT_WEEKS = 6
ACCEPTANCE_PLACE = "EPN du Pays Vert"
ACCEPTANCE_WORKSHOP = "Premiers pas avec le courriel"


def _slug(title: str) -> str:
    from django.utils.text import slugify

    return slugify(title)[:170]


def _catalogue() -> dict[str, Workshop]:
    workshops = {}
    for title, summary, themes, level, minutes, publics, prerequisites in CATALOGUE:
        defaults = {
            "title": title,
            "summary": summary,
            "themes": [str(theme) for theme in themes],
            "level": str(level),
            "duration_minutes": minutes,
            "publics": [str(public) for public in publics],
            "prerequisites": prerequisites,
            "is_active": True,
        }
        workshop, _created = Workshop.objects.update_or_create(slug=_slug(title), defaults=defaults)
        workshops[title] = workshop
    return workshops


def _mediator_profiles() -> dict[int, list[Mediator]]:
    """A Mediator profile for everyone holding the mediator role; place id -> its mediators."""
    place_type = ContentType.objects.get_for_model(Place)
    employer = Organisation.objects.filter(name="Association Numérique Haute-Auvergne (démo)").first()
    by_place: dict[int, list[Mediator]] = {}
    memberships = RoleMembership.objects.active().filter(role=Role.MEDIATOR).select_related("user")
    for membership in memberships.order_by("pk"):
        mediator = Mediator.objects.filter(user=membership.user).first()
        if mediator is None:
            mediator = Mediator.objects.create(
                user=membership.user,
                employer=employer,
                qualifications=[Qualification.CONSEILLER_NUMERIQUE, Qualification.PIX],
                started_on=dt.date(2021, 9, 1),
            )
        if membership.scope_type_id == place_type.pk and membership.scope_id is not None:
            by_place.setdefault(membership.scope_id, []).append(mediator)
    return by_place


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _session(
    *, workshop: Workshop, place: Place, starts_at: dt.datetime, capacity: int, mediator: Mediator | None, notes: str
) -> tuple[Session, bool]:
    existing = Session.objects.filter(place=place, workshop=workshop, starts_at=starts_at).first()
    if existing is not None:
        return existing, False
    session = Session.objects.create(
        workshop=workshop,
        place=place,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=workshop.duration_minutes),
        capacity=capacity,
        mediator=mediator,
        notes=notes,
        status=SessionStatus.SCHEDULED,
    )
    return session, True


def _take_attendance(session: Session, rng: random.Random, now: dt.datetime) -> None:
    """Past sessions have their attendance taken (about one no-show in eight)."""
    if session.ends_at > now or session.status != SessionStatus.SCHEDULED:
        return
    untaken = list(
        Registration.objects.filter(session=session, status=RegistrationStatus.CONFIRMED, attended__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    present = [pk for pk in untaken if rng.random() < 0.88]
    if present:
        Registration.objects.filter(pk__in=present).update(attended=True)
    absent = sorted(set(untaken) - set(present))
    if absent:
        Registration.objects.filter(pk__in=absent).update(attended=False)
    if session.attendance_taken_at is None or untaken:
        Session.objects.filter(pk=session.pk).update(
            attendance_taken_at=session.attendance_taken_at or session.ends_at + dt.timedelta(minutes=15)
        )


@transaction.atomic
def load(*, rng_seed: int = 15) -> dict[str, int]:
    rng = random.Random(rng_seed)  # noqa: S311 - demo data, not security
    now = timezone.now()
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    workshops = _catalogue()
    titles = sorted(workshops)
    mediators = _mediator_profiles()
    places = list(Place.objects.filter(kind="epn").order_by("slug"))
    created = 0
    for place in places:
        place_rng = random.Random(f"{rng_seed}-{place.slug}")  # noqa: S311 - stable per place
        weekday, hour = place_rng.choice(SLOTS)
        staff = mediators.get(place.pk, [])
        for week in range(-PAST_WEEKS, NEXT_WEEKS):
            if place_rng.random() < 0.45:  # not every week
                continue
            if place.name == ACCEPTANCE_PLACE and week == 1:  # the acceptance session, below
                continue
            day = monday + dt.timedelta(weeks=week, days=weekday)
            workshop = workshops[place_rng.choice(titles)]
            session, new = _session(
                workshop=workshop,
                place=place,
                starts_at=_at(day, hour),
                capacity=place_rng.choice([6, 8, 8, 10, 12]),
                mediator=staff[0] if staff else None,
                notes=place_rng.choice(["", "", "Apportez votre téléphone chargé.", "Accès de plain-pied."]),
            )
            created += new
            _take_attendance(session, rng, now)
    # The acceptance journey: a « first steps with email » session next week at Ydes, 6 seats.
    ydes = next((place for place in places if place.name == ACCEPTANCE_PLACE), None)
    if ydes is not None:
        next_tuesday = monday + dt.timedelta(weeks=1, days=1)
        staff = mediators.get(ydes.pk, [])
        _session_obj, new = _session(
            workshop=workshops[ACCEPTANCE_WORKSHOP],
            place=ydes,
            starts_at=_at(next_tuesday, 14),
            capacity=6,
            mediator=staff[0] if staff else None,
            notes="Salle informatique au rez-de-chaussée de la mairie.",
        )
        created += new
    return {
        "ateliers": Workshop.objects.count(),
        "séances": Session.objects.filter(place__in=places).count(),
        "séances créées": created,
        "médiateurs": Mediator.objects.count(),
    }
