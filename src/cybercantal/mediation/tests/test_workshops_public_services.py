"""Registration rules: confirm, waitlist, promotion, cancellation, duplicates, closed sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cybercantal.core.models import JournalEntry
from cybercantal.mediation.models import Channel, Registration, RegistrationStatus, Session, SessionStatus
from cybercantal.mediation.services import registrations as services

from .factories import SessionFactory


def register(session, n, **extra):
    fields = {"first_name": f"Prénom{n}", "last_name": f"Nom{n}", "phone": f"04 71 00 00 {n:02d}"}
    fields.update(extra)
    return services.registration_create(actor=None, session=session, **fields)


@pytest.fixture
def session(epn):
    return SessionFactory(place=epn, capacity=2)


def reload(obj):
    obj.refresh_from_db()
    return obj


def test_registrations_are_confirmed_until_full_then_waitlisted_in_arrival_order(session):
    first, second = register(session, 1), register(session, 2)
    third, fourth = register(session, 3), register(session, 4)
    assert [first.status, second.status] == [RegistrationStatus.CONFIRMED] * 2
    assert [third.status, fourth.status] == [RegistrationStatus.WAITLISTED] * 2
    assert third.waitlisted_at <= fourth.waitlisted_at
    assert services.waitlist_position(third) == 1
    assert services.waitlist_position(fourth) == 2
    assert reload(session).confirmed_count == 2
    assert first.registered_by is None
    assert first.channel == Channel.ONLINE
    assert JournalEntry.objects.filter(action="registration.created").count() == 4


def test_confirmation_email_has_the_cancellation_link_place_and_date(session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(session, 1, email="Marcel.Vidal@Exemple.fr")
    assert registration.email == "marcel.vidal@exemple.fr"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["marcel.vidal@exemple.fr"]
    assert "Inscription confirmée" in message.subject
    assert f"/ateliers/annulation/{registration.token}/" in message.body
    assert "EPN du Pays Vert" in message.body
    assert "Place de la Mairie" in message.body
    assert "15210 Ydes" in message.body
    day = timezone.localtime(session.starts_at)
    assert str(day.day) in message.body
    assert "14h00" in message.body


def test_waitlist_email_gives_the_position(session, django_capture_on_commit_callbacks):
    register(session, 1)
    register(session, 2)
    with django_capture_on_commit_callbacks(execute=True):
        register(session, 3, email="josette@exemple.fr")
    assert "Liste d'attente" in mail.outbox[0].subject
    assert "position 1" in mail.outbox[0].body


def test_no_email_is_sent_without_an_address(session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        register(session, 1)
    assert callbacks == []
    assert mail.outbox == []


def test_cancel_promotes_the_first_waitlisted_and_emails_them(session, django_capture_on_commit_callbacks):
    first = register(session, 1)
    register(session, 2)
    third = register(session, 3, email="third@exemple.fr")
    fourth = register(session, 4, email="fourth@exemple.fr")
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(actor=None, registration=first)
    assert reload(first).status == RegistrationStatus.CANCELLED
    assert reload(first).cancelled_at is not None
    third = reload(third)
    assert third.status == RegistrationStatus.CONFIRMED
    assert third.promoted_at is not None
    assert third.promotion_notified_at is not None  # the email tells them
    assert reload(fourth).status == RegistrationStatus.WAITLISTED
    assert services.waitlist_position(reload(fourth)) == 1
    assert reload(session).confirmed_count == 2
    assert [m.to for m in mail.outbox] == [["third@exemple.fr"]]
    assert "Une place s'est libérée" in mail.outbox[0].subject
    assert f"/ateliers/annulation/{third.token}/" in mail.outbox[0].body
    assert JournalEntry.objects.filter(action="registration.promoted", target_id=str(third.pk)).exists()


def test_promotion_without_email_waits_for_a_phone_call(session, mediator, django_capture_on_commit_callbacks):
    first = register(session, 1)
    register(session, 2)
    third = register(session, 3)  # phone only
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(actor=None, registration=first)
    third = reload(third)
    assert third.status == RegistrationStatus.CONFIRMED
    assert third.promoted_at is not None
    assert third.promotion_notified_at is None
    to_call = Registration.objects.filter(promoted_at__isnull=False, promotion_notified_at__isnull=True)
    assert list(to_call) == [third]
    assert mail.outbox == []

    services.registration_mark_notified(actor=mediator.user, registration=third)
    assert reload(third).promotion_notified_at is not None
    services.registration_mark_notified(actor=mediator.user, registration=third)  # idempotent
    assert JournalEntry.objects.filter(action="registration.promotion_notified").count() == 1


def test_mark_notified_is_refused_to_others(session, other_epn, staff):
    from cybercantal.accounts.models import Role

    first = register(session, 1)
    register(session, 2)
    third = register(session, 3)
    services.registration_cancel(actor=None, registration=first)
    with pytest.raises(PermissionDenied):
        services.registration_mark_notified(actor=staff(Role.MEDIATOR, other_epn), registration=third)
    with pytest.raises(PermissionDenied):
        services.registration_mark_notified(actor=None, registration=third)


def test_mark_notified_refuses_someone_never_promoted(session, mediator):
    registration = register(session, 1)
    with pytest.raises(services.RegistrationError):
        services.registration_mark_notified(actor=mediator.user, registration=registration)


def test_cancel_twice_is_harmless(session):
    first = register(session, 1)
    register(session, 2)
    waiting = register(session, 3)
    services.registration_cancel(actor=None, registration=first)
    services.registration_cancel(actor=None, registration=first)
    stale = Registration.objects.get(pk=first.pk)
    stale.status = RegistrationStatus.CONFIRMED  # a stale copy must not free a second seat
    services.registration_cancel(actor=None, registration=stale)
    assert reload(session).confirmed_count == 2
    assert reload(waiting).status == RegistrationStatus.CONFIRMED
    assert JournalEntry.objects.filter(action="registration.cancelled").count() == 1


def test_cancelling_a_waitlisted_person_promotes_nobody(session):
    register(session, 1)
    register(session, 2)
    third, fourth = register(session, 3), register(session, 4)
    services.registration_cancel(actor=None, registration=third)
    assert reload(session).confirmed_count == 2
    assert reload(fourth).status == RegistrationStatus.WAITLISTED
    assert reload(fourth).promoted_at is None


def test_cancel_frees_a_seat_when_nobody_waits(session):
    first = register(session, 1)
    services.registration_cancel(actor=None, registration=first)
    assert reload(session).confirmed_count == 0
    assert register(session, 5).status == RegistrationStatus.CONFIRMED


def test_cancel_after_the_start_is_refused(session):
    registration = register(session, 1)
    Session.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=1), ends_at=timezone.now() + dt.timedelta(hours=1)
    )
    with pytest.raises(services.SessionClosedError):
        services.registration_cancel(actor=None, registration=registration)
    assert reload(registration).status == RegistrationStatus.CONFIRMED


def test_duplicate_email_is_refused_in_french(session):
    register(session, 1, email="jean@exemple.fr")
    with pytest.raises(services.DuplicateRegistrationError) as info:
        register(session, 9, email="JEAN@exemple.fr")
    assert "existe déjà" in info.value.message_dict["email"][0]
    assert Registration.objects.count() == 1


def test_duplicate_phone_and_name_is_refused_whatever_the_spacing(session):
    register(session, 1, phone="04 71 12 34 56")
    with pytest.raises(services.DuplicateRegistrationError) as info:
        services.registration_create(
            actor=None, session=session, first_name="prénom1", last_name=" NOM1 ", phone="04.71.12.34.56"
        )
    assert "phone" in info.value.message_dict
    # Someone else of the family with the same phone is welcome.
    other = services.registration_create(
        actor=None, session=session, first_name="Odette", last_name="Nom1", phone="0471123456"
    )
    assert other.status == RegistrationStatus.CONFIRMED


def test_registering_again_after_cancelling_is_allowed(session):
    first = register(session, 1, email="jean@exemple.fr")
    services.registration_cancel(actor=None, registration=first)
    again = register(session, 1, email="jean@exemple.fr")
    assert again.status == RegistrationStatus.CONFIRMED


def test_double_submit_creates_one_registration(session):
    register(session, 1, email="jean@exemple.fr")
    with pytest.raises(services.DuplicateRegistrationError) as info:
        register(session, 1, email="jean@exemple.fr")
    assert info.value.existing.email == "jean@exemple.fr"
    assert reload(session).confirmed_count == 1


@pytest.mark.parametrize(
    ("starts_in", "status", "message"),
    [
        (dt.timedelta(hours=-2), SessionStatus.SCHEDULED, "déjà commencé"),
        (dt.timedelta(days=2), SessionStatus.CANCELLED, "annulée"),
    ],
)
def test_past_or_cancelled_sessions_refuse_registrations(epn, starts_in, status, message):
    start = timezone.now() + starts_in
    session = SessionFactory(place=epn, starts_at=start, ends_at=start + dt.timedelta(hours=3), status=status)
    with pytest.raises(services.SessionClosedError) as info:
        register(session, 1)
    assert message in info.value.messages[0]
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"first_name": "", "last_name": "Vidal", "phone": "0471000000"}, "first_name"),
        ({"first_name": "  ", "last_name": "Vidal", "phone": "0471000000"}, "first_name"),
        ({"first_name": "Jean", "last_name": "", "phone": "0471000000"}, "last_name"),
        ({"first_name": "J" * 81, "last_name": "Vidal", "phone": "0471000000"}, "first_name"),
        ({"first_name": "Jean", "last_name": "Vidal"}, "phone"),
        ({"first_name": "Jean", "last_name": "Vidal", "phone": "pas un numéro"}, "phone"),
        ({"first_name": "Jean", "last_name": "Vidal", "phone": "1" * 200}, "phone"),
        ({"first_name": "Jean", "last_name": "Vidal", "email": "jean@"}, "email"),
        ({"first_name": "Jean", "last_name": "Vidal", "email": "a" * 300 + "@exemple.fr"}, "email"),
        ({"first_name": 12, "last_name": "Vidal", "phone": "0471000000"}, None),
        ({"first_name": "Je\x00an", "last_name": "Vidal", "phone": "0471000000"}, None),
        ({"first_name": "Jean", "last_name": "Vidal", "phone": "0471000000", "channel": "fax"}, "channel"),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(session, fields, field):
    with pytest.raises(services.RegistrationError) as info:
        services.registration_create(actor=None, session=session, **fields)
    if field:
        assert field in info.value.message_dict
    assert not Registration.objects.exists()
    assert reload(session).confirmed_count == 0


def test_phone_numbers_are_normalised():
    assert services.normalise_phone("04.71.12.34.56") == "04 71 12 34 56"
    assert services.normalise_phone("+33 4 71 12 34 56") == "04 71 12 34 56"
    assert services.normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert services.normalise_phone("") == ""


def test_mediator_registration_by_phone_records_who_took_it(session, mediator):
    registration = services.registration_create(
        actor=mediator.user,
        session=session,
        first_name="Marcel",
        last_name="Vidal",
        phone="04 71 40 00 00",
        channel=Channel.PHONE,
    )
    assert registration.registered_by == mediator.user
    assert registration.user is None
    assert registration.channel == Channel.PHONE
    entry = JournalEntry.objects.get(action="registration.created")
    assert entry.actor_id == mediator.user.pk
    assert "Marcel" not in entry.target_repr  # the journal keeps no name


def test_database_check_is_the_last_guard(session, monkeypatch):
    """If the count is wrong in memory, the check constraint refuses and a French error comes out."""
    register(session, 1)
    register(session, 2)
    real = services._locked_session

    def stale(s):
        locked = real(s)
        locked.confirmed_count = 0  # pretend seats are free
        return locked

    monkeypatch.setattr(services, "_locked_session", stale)
    with pytest.raises(services.RegistrationConflictError) as info:
        register(session, 3)
    assert "réessayez" in info.value.messages[0]
    assert Registration.objects.count() == 2
    assert reload(session).confirmed_count == 2


def test_cancelled_session_promotes_nobody(session):
    first = register(session, 1)
    register(session, 2)
    waiting = register(session, 3)
    Session.objects.filter(pk=session.pk).update(status=SessionStatus.CANCELLED)
    services.registration_cancel(actor=None, registration=first)
    assert reload(waiting).status == RegistrationStatus.WAITLISTED
