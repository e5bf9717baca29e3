"""Services of the mediators' side of the workshops: catalogue, sessions, cancellation,
attendance."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry
from cybercantal.mediation import models as m
from cybercantal.mediation.services import workshops as services
from cybercantal.places.models import PlaceStatus

from .factories import MediatorFactory, SessionFactory, WorkshopFactory
from .factories_workshops_manage import fill, register, started_session

pytestmark = pytest.mark.django_db


def _messages(exc: pytest.ExceptionInfo, field: str) -> str:
    return " ".join(exc.value.message_dict[field])


def _next_dst_change(after: dt.date) -> dt.date:
    """The next last-Sunday-of-March or last-Sunday-of-October after ``after``."""
    candidates = []
    for year in (after.year, after.year + 1):
        for month in (3, 10):
            day = dt.date(year, month, 31)
            while day.weekday() != 6:
                day -= dt.timedelta(days=1)
            candidates.append(day)
    return min(day for day in candidates if day > after + dt.timedelta(days=7))


def _local(day: dt.date, hour: int = 14) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _next_week(hour: int = 14) -> dt.datetime:
    return _local(timezone.localdate() + dt.timedelta(days=7), hour)


# --- catalogue --------------------------------------------------------------------------------


def test_workshop_create_makes_a_unique_slug_and_journals(mediator):
    first = services.workshop_create(
        actor=mediator.user,
        title="  Premiers pas   avec le courriel ",
        summary="Créer une adresse, lire et envoyer un message.",
        themes=[m.DigitalTheme.EMAIL],
        publics=[m.Public.SENIORS],
        duration_minutes=90,
    )
    assert first.title == "Premiers pas avec le courriel"
    assert first.slug == "premiers-pas-avec-le-courriel"
    assert first.themes == ["email"]
    assert first.publics == ["seniors"]
    assert first.created_by == mediator.user
    assert JournalEntry.objects.filter(action="workshop.created", target_id=str(first.pk)).exists()
    # Same words, other punctuation: a different title but the same slug base.
    second = services.workshop_create(
        actor=mediator.user, title="Premiers pas avec le courriel !", summary="Suite.", themes=["email"]
    )
    assert second.slug == "premiers-pas-avec-le-courriel-2"


def test_workshop_create_refuses_bad_input_in_french(mediator):
    with pytest.raises(ValidationError) as exc:
        services.workshop_create(
            actor=mediator.user, title="", summary="", themes=[], duration_minutes=5, publics=["martiens"]
        )
    errors = exc.value.message_dict
    assert errors["title"] == ["Donnez un titre à l'atelier."]
    assert "Choisissez au moins une thématique." in errors["themes"]
    assert "entre 15 et 480 minutes" in errors["duration_minutes"][0]
    assert "Public inconnu" in errors["publics"][0]
    assert "summary" in errors
    assert not m.Workshop.objects.exists()


def test_workshop_create_refuses_a_duplicate_title(mediator):
    WorkshopFactory(title="Sécuriser ses mots de passe")
    with pytest.raises(ValidationError) as exc:
        services.workshop_create(
            actor=mediator.user, title="sécuriser ses mots de passe", summary="x", themes=["security"]
        )
    assert "existe déjà" in _messages(exc, "title") or "s'appelle déjà" in _messages(exc, "title")


def test_workshop_update_keeps_the_slug_and_lists_changed_fields(mediator):
    workshop = WorkshopFactory(title="Trier ses photos", slug="trier-ses-photos")
    services.workshop_update(
        actor=mediator.user, workshop=workshop, title="Trier et partager ses photos", level="intermediate"
    )
    workshop.refresh_from_db()
    assert workshop.title == "Trier et partager ses photos"
    assert workshop.slug == "trier-ses-photos"
    entry = JournalEntry.objects.get(action="workshop.updated")
    assert entry.data["fields"] == ["level", "title"]
    # Nothing changed: no new journal entry.
    services.workshop_update(actor=mediator.user, workshop=workshop, level="intermediate")
    assert JournalEntry.objects.filter(action="workshop.updated").count() == 1


def test_citizen_cannot_manage_the_catalogue(staff):
    citizen = staff(Role.CITIZEN)
    with pytest.raises(PermissionDenied):
        services.workshop_create(actor=citizen, title="Atelier", summary="x", themes=["email"])


# --- sessions ---------------------------------------------------------------------------------


def test_one_off_session_ends_after_the_workshop_duration(mediator, epn):
    workshop = WorkshopFactory(duration_minutes=90)
    [session] = services.session_create(
        actor=mediator.user, workshop=workshop, place=epn, starts_at=_next_week(14), capacity=6, mediator=mediator
    )
    assert session.series is None
    assert session.ends_at - session.starts_at == dt.timedelta(minutes=90)
    assert session.capacity == 6
    assert session.mediator == mediator
    assert JournalEntry.objects.filter(action="session.created", target_id=str(session.pk)).exists()


def test_weekly_series_keeps_local_time_across_the_dst_change(mediator, epn):
    change = _next_dst_change(timezone.localdate())
    first_day = change - dt.timedelta(days=19)  # a Tuesday, three weeks before the change
    assert first_day.weekday() == 1
    sessions = services.session_create(
        actor=mediator.user,
        workshop=WorkshopFactory(),
        place=epn,
        starts_at=_local(first_day, 14),
        capacity=8,
        repeat_weekly=6,
    )
    assert len(sessions) == 6
    assert len({session.series for session in sessions}) == 1
    assert sessions[0].series is not None
    local = [timezone.localtime(session.starts_at) for session in sessions]
    assert [value.strftime("%H:%M") for value in local] == ["14:00"] * 6
    assert [value.weekday() for value in local] == [1] * 6
    assert [value.date() for value in local] == [first_day + dt.timedelta(weeks=week) for week in range(6)]
    offsets = {value.utcoffset() for value in local}
    assert len(offsets) == 2, "the series must cross a DST change (UTC offset changes)"
    assert m.Session.objects.filter(series=sessions[0].series).count() == 6


@pytest.mark.parametrize(
    ("status", "message"),
    [(PlaceStatus.DRAFT, "n'est pas encore publié"), (PlaceStatus.CLOSED, "fermé définitivement")],
)
def test_session_refuses_a_place_not_published(manager, epn, status, message):
    epn.status = status
    epn.save(update_fields=["status"])
    with pytest.raises(ValidationError) as exc:
        services.session_create(
            actor=manager, workshop=WorkshopFactory(), place=epn, starts_at=_next_week(), capacity=8
        )
    assert message in _messages(exc, "place")
    assert not m.Session.objects.exists()


def test_session_refuses_past_dates_bad_capacity_and_a_mediator_from_elsewhere(mediator, epn, other_epn, staff):
    elsewhere = MediatorFactory(user=staff(Role.MEDIATOR, other_epn))
    with pytest.raises(ValidationError) as exc:
        services.session_create(
            actor=mediator.user,
            workshop=WorkshopFactory(),
            place=epn,
            starts_at=timezone.now() - dt.timedelta(hours=1),
            capacity=0,
            mediator=elsewhere,
        )
    errors = exc.value.message_dict
    assert errors["starts_at"] == ["La date de début est passée : choisissez une date à venir."]
    assert errors["capacity"] == ["Une séance a au moins 1 place."]
    assert "ne travaille pas à « EPN du Pays Vert »" in errors["mediator"][0]
    with pytest.raises(ValidationError) as exc:
        services.session_create(
            actor=mediator.user, workshop=WorkshopFactory(), place=epn, starts_at=_next_week(), capacity=501
        )
    assert _messages(exc, "capacity") == "Une séance a au plus 500 places."
    assert not m.Session.objects.exists()


def test_session_refuses_an_inactive_workshop_and_a_too_long_series(mediator, epn):
    with pytest.raises(ValidationError) as exc:
        services.session_create(
            actor=mediator.user,
            workshop=WorkshopFactory(is_active=False),
            place=epn,
            starts_at=_next_week(),
            capacity=8,
            repeat_weekly=60,
        )
    assert "n'est plus au catalogue" in _messages(exc, "workshop")
    assert "52" in _messages(exc, "repeat_weekly")


def test_mediator_cannot_programme_at_another_epn(mediator, other_epn):
    with pytest.raises(PermissionDenied):
        services.session_create(
            actor=mediator.user, workshop=WorkshopFactory(), place=other_epn, starts_at=_next_week(), capacity=8
        )
    assert not m.Session.objects.exists()


def test_capacity_cannot_go_below_the_confirmed_people(mediator, epn):
    session = SessionFactory(place=epn, capacity=10)
    fill(session, 8)
    with pytest.raises(ValidationError) as exc:
        services.session_update(actor=mediator.user, session=session, capacity=7)
    assert _messages(exc, "capacity") == (
        "8 personnes sont déjà inscrites : la capacité ne peut pas descendre en dessous de 8."
    )
    session.refresh_from_db()
    assert session.capacity == 10
    services.session_update(actor=mediator.user, session=session, capacity=8)
    session.refresh_from_db()
    assert session.capacity == 8


def test_more_seats_go_to_the_waitlist_in_order(mediator, epn, django_capture_on_commit_callbacks):
    session = SessionFactory(place=epn, capacity=2)
    fill(session, 2)
    first = register(session, first_name="Alain", status=m.RegistrationStatus.WAITLISTED, email="alain@example.fr")
    second = register(session, first_name="Berthe", status=m.RegistrationStatus.WAITLISTED)
    third = register(session, first_name="Colette", status=m.RegistrationStatus.WAITLISTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(actor=mediator.user, session=session, capacity=4)
    statuses = {r.first_name: r.status for r in m.Registration.objects.filter(pk__in=[first.pk, second.pk, third.pk])}
    assert statuses == {"Alain": "confirmed", "Berthe": "confirmed", "Colette": "waitlisted"}
    session.refresh_from_db()
    assert session.confirmed_count == 4
    assert m.Registration.objects.get(pk=second.pk).promotion_notified_at is None  # to phone


def test_moving_a_session_recomputes_the_end_and_emails_people(mediator, epn, django_capture_on_commit_callbacks):
    session = SessionFactory(place=epn, workshop=WorkshopFactory(duration_minutes=60))
    register(session, email="marie@example.fr")
    register(session, first_name="Pierre", email="")
    new_start = _next_week(10) + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(actor=mediator.user, session=session, starts_at=new_start)
    session.refresh_from_db()
    assert session.starts_at == new_start
    assert session.ends_at == new_start + dt.timedelta(hours=1)
    assert [message.to for message in mail.outbox] == [["marie@example.fr"]]
    assert "10:00" in mail.outbox[0].body


def test_cancel_cancels_registrations_emails_and_lists_people_to_phone(
    mediator, epn, django_capture_on_commit_callbacks
):
    session = SessionFactory(place=epn)
    with_email = register(session, first_name="Marie", email="marie@example.fr")
    without = register(session, first_name="Pierre", email="", phone="06 12 34 56 78")
    waiting = register(session, first_name="Rose", email="rose@example.fr", status=m.RegistrationStatus.WAITLISTED)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.session_cancel(actor=mediator.user, session=session, reason="Animatrice malade")
    session.refresh_from_db()
    assert session.status == m.SessionStatus.CANCELLED
    assert session.confirmed_count == 0
    assert set(m.Registration.objects.values_list("status", flat=True)) == {"cancelled"}
    assert all(r.cancelled_at for r in m.Registration.objects.all())
    assert [r.pk for r in result.to_phone] == [without.pk]
    assert {r.pk for r in result.emailed} == {with_email.pk, waiting.pk}
    assert sorted(message.to[0] for message in mail.outbox) == ["marie@example.fr", "rose@example.fr"]
    assert "Animatrice malade" in mail.outbox[0].body
    entry = JournalEntry.objects.get(action="session.cancelled")
    assert entry.data == {"reason": "Animatrice malade", "registrations": 3, "emailed": 2}


def test_cancel_needs_a_reason_and_refuses_twice_or_after_start(mediator, epn):
    session = SessionFactory(place=epn)
    with pytest.raises(ValidationError) as exc:
        services.session_cancel(actor=mediator.user, session=session, reason="   ")
    assert "raison" in _messages(exc, "reason")
    services.session_cancel(actor=mediator.user, session=session, reason="Salle indisponible")
    with pytest.raises(ValidationError, match="déjà annulée"):
        services.session_cancel(actor=mediator.user, session=session, reason="Encore")
    past = started_session(SessionFactory, place=epn)
    with pytest.raises(ValidationError, match="déjà commencé"):
        services.session_cancel(actor=mediator.user, session=past, reason="Trop tard")


def test_cancelled_session_cannot_be_edited(mediator, epn):
    session = SessionFactory(place=epn)
    services.session_cancel(actor=mediator.user, session=session, reason="Neige")
    with pytest.raises(ValidationError, match="annulée"):
        services.session_update(actor=mediator.user, session=session, capacity=12)


# --- attendance -------------------------------------------------------------------------------


def test_attendance_marks_present_and_no_shows_and_is_idempotent(mediator, epn):
    session = started_session(SessionFactory, place=epn)
    people = fill(session, 8)
    cancelled = register(
        session, first_name="Annulé", status=m.RegistrationStatus.CANCELLED, cancelled_at=timezone.now()
    )
    present = {person.pk for person in people[:7]}
    summary = services.attendance_record(actor=mediator.user, session=session, present_ids=present)
    assert (summary.present, summary.absent) == (7, 1)
    assert m.Registration.objects.filter(attended=True).count() == 7
    assert list(m.Registration.objects.filter(attended=False).values_list("pk", flat=True)) == [people[7].pk]
    assert m.Registration.objects.get(pk=cancelled.pk).attended is None
    session.refresh_from_db()
    taken_at = session.attendance_taken_at
    assert taken_at is not None
    again = services.attendance_record(actor=mediator.user, session=session, present_ids=present)
    assert again == summary
    session.refresh_from_db()
    assert session.attendance_taken_at == taken_at
    assert JournalEntry.objects.filter(action__startswith="session.attendance").count() == 1
    # A correction: the last person came after all.
    services.attendance_record(actor=mediator.user, session=session, present_ids={p.pk for p in people})
    assert m.Registration.objects.filter(attended=True).count() == 8
    assert JournalEntry.objects.filter(action="session.attendance_corrected").count() == 1


def test_attendance_only_for_confirmed_people_of_that_session(mediator, epn):
    session = started_session(SessionFactory, place=epn)
    [person] = fill(session, 1)
    waiting = register(session, status=m.RegistrationStatus.WAITLISTED)
    other = register(started_session(SessionFactory, place=epn))
    for stranger in (waiting, other):
        with pytest.raises(ValidationError) as exc:
            services.attendance_record(actor=mediator.user, session=session, present_ids={person.pk, stranger.pk})
        assert "ne sont pas inscrites" in _messages(exc, "present")
    assert not m.Registration.objects.filter(attended__isnull=False).exists()


def test_attendance_window_is_start_to_seven_days_after(mediator, epn):
    future = SessionFactory(place=epn)
    with pytest.raises(ValidationError, match="à partir du début"):
        services.attendance_record(actor=mediator.user, session=future, present_ids=set())
    old = started_session(SessionFactory, place=epn, hours_ago=24 * 8)
    with pytest.raises(ValidationError, match="7 jours"):
        services.attendance_record(actor=mediator.user, session=old, present_ids=set())
    six_days = started_session(SessionFactory, place=epn, hours_ago=24 * 6)
    assert services.attendance_record(actor=mediator.user, session=six_days, present_ids=set()).present == 0


def test_attendance_refused_to_a_mediator_of_another_epn(staff, other_epn, epn):
    session = started_session(SessionFactory, place=epn)
    outsider = staff(Role.MEDIATOR, other_epn)
    with pytest.raises(PermissionDenied):
        services.attendance_record(actor=outsider, session=session, present_ids=set())
