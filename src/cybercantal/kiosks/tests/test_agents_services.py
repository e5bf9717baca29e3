"""Services and queries of the agents part: training rules, refresher due/overdue, kiosks
without a trained agent, taking and recording help requests, the stale-request job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry
from cybercantal.kiosks.models import HelpRequestStatus, KioskStatus, TrainingAttendance, TrainingSession
from cybercantal.kiosks.queries import agents as queries
from cybercantal.kiosks.services import agents as services
from cybercantal.mediation.models import Accompaniment
from cybercantal.mediation.services.accompaniments import add_months

from .factories_agents import help_request, make_agent, trained

pytestmark = pytest.mark.django_db


# --- Training sessions ---------------------------------------------------------------------------


def _training(actor, **overrides):
    values = {
        "date": timezone.localdate() - dt.timedelta(days=3),
        "trainer": "  Marie   Delort ",
        "topics": "ANTS, CAF, impots.gouv",
        "duration_minutes": 210,
    }
    values.update(overrides)
    return services.training_session_create(actor=actor, **values)


def test_manager_creates_a_session_with_agents(manager, agent, murat_place):
    session = _training(manager, attendees=[agent, agent], place=murat_place, is_refresher=True)
    assert session.trainer == "Marie Delort"
    assert session.is_refresher
    assert session.place == murat_place
    assert list(session.attendances.values_list("user_id", "attended")) == [(agent.pk, True)]
    assert JournalEntry.objects.filter(action="kiosks.training.created").count() == 1


def test_attendees_must_be_kiosk_agents(manager, staff, agent):
    mediator = staff(Role.MEDIATOR)
    mediator.first_name, mediator.last_name = "Léa", "Fabre"
    mediator.save()
    with pytest.raises(ValidationError) as excinfo:
        _training(manager, attendees=[agent, mediator])
    assert "ne sont pas agents de borne : Léa Fabre" in excinfo.value.message_dict["attendees"][0]
    assert TrainingSession.objects.count() == 0


def test_every_wrong_field_is_said_at_once_and_nothing_saved(manager):
    with pytest.raises(ValidationError) as excinfo:
        _training(manager, trainer=" ", topics="", duration_minutes=10, date="hier")
    errors = excinfo.value.message_dict
    assert errors["trainer"] == ["Indiquez le formateur."]
    assert errors["topics"] == ["Indiquez les contenus de la formation."]
    assert errors["duration_minutes"] == ["La durée doit être comprise entre 15 et 2400 minutes."]
    assert errors["date"] == ["Saisissez une date."]
    assert TrainingSession.objects.count() == 0


def test_only_the_programme_team_manages_trainings(agent):
    with pytest.raises(PermissionDenied):
        _training(agent, attendees=[agent])
    assert TrainingSession.objects.count() == 0


def test_update_replaces_attendees_and_keeps_flags(manager, agent, murat_place):
    second = make_agent(murat_place, first_name="Sylvie")
    third = make_agent(murat_place, first_name="Rémi")
    session = _training(manager, attendees=[agent, second])
    services.training_attendance_set(actor=manager, session=session, user=second, attended=False)
    services.training_session_update(
        actor=manager,
        session=session,
        date=session.date,
        trainer="Autre formateur",
        topics=session.topics,
        duration_minutes=120,
        attendees=[second, third],
    )
    session.refresh_from_db()
    assert session.trainer == "Autre formateur"
    assert session.duration_minutes == 120
    assert dict(session.attendances.values_list("user_id", "attended")) == {second.pk: False, third.pk: True}


def test_attendance_of_someone_not_registered_is_refused(manager, agent, murat_place):
    session = _training(manager, attendees=[agent])
    stranger = make_agent(murat_place)
    with pytest.raises(ValidationError) as excinfo:
        services.training_attendance_set(actor=manager, session=session, user=stranger, attended=True)
    assert "n'est pas inscrite" in excinfo.value.messages[0]


# --- Refresher due / overdue, kiosks without a trained agent -------------------------------------


def test_refresher_due_24_months_after_the_last_training(agent, murat_place):
    today = timezone.localdate()
    last = add_months(today, -23)
    trained(agent, on=add_months(today, -30))
    trained(agent, on=last)
    trained(agent, on=today - dt.timedelta(days=10), attended=False)  # absent: does not count
    [row] = queries.agent_rows()
    assert row.user == agent
    assert row.place == murat_place
    assert row.last_training == last
    assert row.refresher_due == add_months(last, 24)
    assert row.trained
    assert not row.overdue
    assert row.valid


def test_refresher_overdue_after_24_months(agent):
    today = timezone.localdate()
    trained(agent, on=add_months(today, -25))
    [row] = queries.agent_rows()
    assert row.trained
    assert row.overdue
    assert not row.valid
    assert row.refresher_due < today


def test_refresher_months_setting(agent, settings):
    settings.KIOSKS_TRAINING_REFRESHER_MONTHS = 12
    trained(agent, on=add_months(timezone.localdate(), -13))
    assert queries.agent_rows()[0].overdue


def test_never_trained_agent(agent):
    [row] = queries.agent_rows()
    assert not row.trained
    assert row.last_training is None
    assert row.refresher_due is None
    assert not row.overdue


def test_kiosk_flagged_when_no_agent_has_a_valid_training(kiosk, other_kiosk, agent, murat_place):
    today = timezone.localdate()
    # Maurs has no agent at all; Murat has one whose training is overdue.
    trained(agent, on=add_months(today, -30))
    assert queries.untrained_kiosk_ids() == {kiosk.pk, other_kiosk.pk}
    # A second Murat agent trained last month: Murat is no longer flagged.
    colleague = make_agent(murat_place)
    trained(colleague, on=today - dt.timedelta(days=30))
    assert queries.untrained_kiosk_ids() == {other_kiosk.pk}
    assert queries.kiosk_has_trained_agent(kiosk)
    assert not queries.kiosk_has_trained_agent(other_kiosk)
    # A retired kiosk is not flagged.
    other_kiosk.status = KioskStatus.RETIRED
    other_kiosk.save()
    assert queries.untrained_kiosk_ids() == set()


@pytest.mark.parametrize(
    "today",
    [dt.date(2026, 2, 28), dt.date(2028, 2, 29), dt.date(2026, 3, 1), dt.date(2026, 8, 31), dt.date(2026, 1, 1)],
)
def test_one_query_flag_agrees_with_the_agent_rows_at_the_refresher_boundary(today, kiosk, agent, murat_place):
    """``untrained_kiosk_ids`` (one SQL query) and ``AgentRow.valid`` (Python) say the same
    thing for trainings on each day around the refresher due date, leap years included."""
    cutoff = queries.valid_training_cutoff(today=today)
    assert add_months(cutoff, services.refresher_months()) >= today
    assert add_months(cutoff - dt.timedelta(days=1), services.refresher_months()) < today
    agent.memberships.update(starts_on=dt.date(2020, 1, 1))
    session = trained(agent, on=cutoff - dt.timedelta(days=3))
    for offset in range(-3, 4):
        TrainingSession.objects.filter(pk=session.pk).update(date=cutoff + dt.timedelta(days=offset))
        valid = {row.place.pk for row in queries.agent_rows(today=today) if row.valid}
        assert queries.places_with_valid_agent(today=today) == valid, offset
        assert (kiosk.pk in queries.untrained_kiosk_ids(today=today)) == (murat_place.pk not in valid), offset
        assert (murat_place.pk in valid) == (offset >= 0), offset


def test_untrained_kiosk_ids_is_one_query(kiosk, other_kiosk, agent, django_assert_num_queries):
    trained(agent, on=timezone.localdate() - dt.timedelta(days=5))
    queries.untrained_kiosk_ids()  # warms the content-type cache
    with django_assert_num_queries(1):
        assert queries.untrained_kiosk_ids() == {other_kiosk.pk}


def test_an_ended_agent_role_does_not_count(kiosk, agent):
    trained(agent, on=timezone.localdate() - dt.timedelta(days=5))
    assert queries.untrained_kiosk_ids() == set()
    agent.memberships.update(
        starts_on=timezone.localdate() - dt.timedelta(days=30), ends_on=timezone.localdate() - dt.timedelta(days=1)
    )
    assert queries.untrained_kiosk_ids() == {kiosk.pk}
    assert queries.agent_rows() == []


# --- Help requests -------------------------------------------------------------------------------


def _record_values(**overrides):
    values = {"duration_minutes": 10, "admin_themes": ["papers"], "help_reason": "trust", "outcome": "completed"}
    values.update(overrides)
    return values


def test_take_then_a_colleague_is_told_who_took_it(kiosk, agent, murat_place):
    agent.first_name = "Paul"
    agent.save()
    colleague = make_agent(murat_place, first_name="Sylvie")
    request = help_request(kiosk)
    services.help_request_take(actor=agent, help_request=request)
    request.refresh_from_db()
    assert request.status == HelpRequestStatus.TAKEN
    assert request.taken_by == agent
    assert request.taken_at
    with pytest.raises(services.HelpRequestUnavailableError) as excinfo:
        services.help_request_take(actor=colleague, help_request=request)
    assert excinfo.value.message == "Cette demande est déjà prise par Paul."
    # Taking it again oneself changes nothing.
    services.help_request_take(actor=agent, help_request=request)


def test_record_creates_the_accompaniment_and_closes_the_request(kiosk, agent):
    request = help_request(kiosk, category="identity")
    services.help_request_take(actor=agent, help_request=request)
    accompaniment = services.help_request_record(
        actor=agent, help_request=request, **_record_values(oriented_to="Mairie de Murat")
    )
    request.refresh_from_db()
    assert request.status == HelpRequestStatus.DONE
    assert request.closed_at
    assert request.accompaniment_id == accompaniment.pk
    accompaniment.refresh_from_db()
    assert accompaniment.kind == "procedure"
    assert accompaniment.place == kiosk.place
    assert accompaniment.kiosk_id == kiosk.pk
    assert accompaniment.author == agent
    assert accompaniment.date == timezone.localdate()
    assert accompaniment.duration_minutes == 10
    assert accompaniment.admin_themes == ["papers"]
    assert accompaniment.equipment_used == ["kiosk"]
    assert accompaniment.help_reason == "trust"
    assert accompaniment.outcome == "completed"
    assert accompaniment.oriented_to == "Mairie de Murat"
    # Recorded once: a second record is refused.
    with pytest.raises(services.HelpRequestUnavailableError):
        services.help_request_record(actor=agent, help_request=request, **_record_values())
    assert Accompaniment.objects.count() == 1


def test_record_of_an_open_request_takes_it(kiosk, agent):
    request = help_request(kiosk)
    services.help_request_record(actor=agent, help_request=request, **_record_values())
    request.refresh_from_db()
    assert request.status == HelpRequestStatus.DONE
    assert request.taken_by == agent


def test_invalid_record_saves_nothing(kiosk, agent):
    request = help_request(kiosk)
    services.help_request_take(actor=agent, help_request=request)
    with pytest.raises(ValidationError) as excinfo:
        services.help_request_record(
            actor=agent, help_request=request, **_record_values(help_reason="", outcome="bof", admin_themes=[])
        )
    errors = excinfo.value.message_dict
    assert errors["help_reason"] == ["Indiquez pourquoi la personne avait besoin d'aide."]
    assert errors["outcome"] == ["Résultat inconnu."]
    request.refresh_from_db()
    assert request.status == HelpRequestStatus.TAKEN
    assert request.accompaniment_id is None
    assert Accompaniment.objects.count() == 0


def test_agent_of_another_place_cannot_take_or_record(kiosk, other_kiosk, agent):
    maurs_agent = make_agent(other_kiosk.place)
    request = help_request(kiosk)
    with pytest.raises(PermissionDenied):
        services.help_request_take(actor=maurs_agent, help_request=request)
    with pytest.raises(PermissionDenied):
        services.help_request_record(actor=maurs_agent, help_request=request, **_record_values())
    with pytest.raises(PermissionDenied):
        services.assisted_session_record(actor=maurs_agent, kiosk=kiosk, **_record_values())
    request.refresh_from_db()
    assert request.status == HelpRequestStatus.OPEN
    assert Accompaniment.objects.count() == 0


def test_assisted_session_without_request_and_double_submit(kiosk, agent):
    first = services.assisted_session_record(actor=agent, kiosk=kiosk, submit_token="abc", **_record_values())
    again = services.assisted_session_record(actor=agent, kiosk=kiosk, submit_token="abc", **_record_values())
    assert first.pk == again.pk
    assert again.replayed
    assert Accompaniment.objects.filter(kiosk_id=kiosk.pk).count() == 1


def test_stale_requests_are_cancelled_after_four_hours(kiosk, agent):
    old_open = help_request(kiosk, minutes_ago=5 * 60)
    old_taken = help_request(kiosk, minutes_ago=4 * 60 + 5)
    old_taken.status, old_taken.taken_by = HelpRequestStatus.TAKEN, agent
    old_taken.save()
    old_done = help_request(kiosk, minutes_ago=6 * 60, status=HelpRequestStatus.DONE)
    recent = help_request(kiosk, minutes_ago=3 * 60)
    assert services.help_requests_cancel_stale() == 2
    statuses = {r.pk: r.status for r in type(recent).objects.all()}
    assert statuses[old_open.pk] == statuses[old_taken.pk] == HelpRequestStatus.CANCELLED
    assert statuses[old_done.pk] == HelpRequestStatus.DONE
    assert statuses[recent.pk] == HelpRequestStatus.OPEN
    assert services.help_requests_cancel_stale() == 0


def test_the_periodic_task_is_registered():
    from cybercantal.kiosks import tasks

    assert tasks.kiosks_cancel_stale_help_requests.call() == 0


def test_training_attendance_unique(manager, agent):
    session = _training(manager, attendees=[agent])
    assert TrainingAttendance.objects.filter(session=session).count() == 1
