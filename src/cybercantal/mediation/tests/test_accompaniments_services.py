"""Services of the accompaniments (CRA) and of the followed beneficiaries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry
from cybercantal.core.testing import run_in_parallel
from cybercantal.mediation import models as m
from cybercantal.mediation.services import accompaniments as services
from cybercantal.mediation.tasks import purge_expired_beneficiaries

from .factories import SessionFactory
from .factories_accompaniments import collective_kwargs, days_ago, make_beneficiary, record_kwargs

pytestmark = pytest.mark.django_db


def messages_of(exc: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- creating -----------------------------------------------------------------------------------


def test_mediator_records_an_anonymous_individual_accompaniment(mediator, epn):
    record = services.accompaniment_create(actor=mediator.user, **record_kwargs(epn))
    record.refresh_from_db()
    assert record.author == mediator.user
    assert record.participants == 1
    assert record.beneficiary is None
    assert record.themes == [m.DigitalTheme.EMAIL]
    entry = JournalEntry.objects.get(action="accompaniment.created")
    assert entry.target_id == str(record.pk)
    assert entry.actor_id == mediator.user.pk


def test_kiosk_agent_records_a_procedure_with_reason_and_outcome(staff, epn):
    agent = staff(Role.KIOSK_AGENT, epn)
    record = services.accompaniment_create(
        actor=agent,
        **record_kwargs(
            epn,
            kind=m.AccompanimentKind.PROCEDURE,
            themes=[],
            admin_themes=[m.AdminTheme.MONEY],
            help_reason=m.HelpReason.NO_EQUIPMENT,
            outcome=m.Outcome.COMPLETED,
            equipment_used=[m.EquipmentUsed.KIOSK],
            kiosk_id=7,
        ),
    )
    record.refresh_from_db()
    assert record.kind == "procedure"
    assert record.kiosk_id == 7
    assert record.admin_themes == ["money"]


def test_procedure_needs_help_reason_and_outcome(staff, epn):
    agent = staff(Role.KIOSK_AGENT, epn)
    with pytest.raises(ValidationError) as exc:
        services.accompaniment_create(
            actor=agent, **record_kwargs(epn, kind="procedure", themes=[], admin_themes=["papers"])
        )
    errors = messages_of(exc)
    assert "pourquoi la personne avait besoin d'aide" in errors["help_reason"][0]
    assert "résultat" in errors["outcome"][0]
    assert not m.Accompaniment.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("date", "future", "futur"),
        ("date", "old", "plus d'un an"),
        ("date", None, "Saisissez une date"),
        ("duration_minutes", 0, "entre 1 et 600"),
        ("duration_minutes", 601, "entre 1 et 600"),
        ("duration_minutes", "abc", "durée en minutes"),
        ("themes", [], "au moins une thématique"),
        ("themes", ["cuisine"], "inconnue"),
        ("admin_themes", ["cuisine"], "inconnue"),
        ("equipment_used", ["fax"], "inconnue"),
        ("place_type", "lune", "où a eu lieu"),
        ("autonomy", "total", "autonomie inconnu"),
        ("help_reason", "bof", "Raison inconnue"),
        ("outcome", "bof", "Résultat inconnu"),
        ("oriented_to", "x" * 201, "200 caractères"),
        ("notes", "x" * 501, "500 caractères"),
        ("kiosk_id", "abc", "Borne inconnue"),
        ("kind", "party", "type d'accompagnement"),
    ],
)
def test_bad_values_are_refused_with_a_french_message(mediator, epn, field, value, expected):
    if value == "future":
        value = timezone.localdate() + dt.timedelta(days=1)
    elif value == "old":
        value = days_ago(366)
    with pytest.raises(ValidationError) as exc:
        services.accompaniment_create(actor=mediator.user, **record_kwargs(epn, **{field: value}))
    assert expected in " ".join(messages_of(exc)[field])
    assert not m.Accompaniment.objects.exists()


def test_edge_dates_and_custom_duration_are_accepted(mediator, epn):
    services.accompaniment_create(actor=mediator.user, **record_kwargs(epn, date=days_ago(365), duration_minutes=600))
    services.accompaniment_create(actor=mediator.user, **record_kwargs(epn, duration_minutes=1))
    assert m.Accompaniment.objects.count() == 2


def test_place_needs_mediator_or_kiosk_agent_role_there(staff, mediator, epn, other_epn, manager):
    with pytest.raises(ValidationError) as exc:
        services.accompaniment_create(actor=mediator.user, **record_kwargs(other_epn))
    assert "EPN du Lioran" in messages_of(exc)["place"][0]
    # The programme team reads and corrects, but does not write reports.
    with pytest.raises(ValidationError):
        services.accompaniment_create(actor=manager, **record_kwargs(epn))
    citizen = staff(Role.CITIZEN)
    with pytest.raises(ValidationError):
        services.accompaniment_create(actor=citizen, **record_kwargs(epn))
    telecentre_manager = staff(Role.TELECENTRE_MANAGER, epn)
    with pytest.raises(ValidationError):
        services.accompaniment_create(actor=telecentre_manager, **record_kwargs(epn))
    assert not m.Accompaniment.objects.exists()


def test_individual_is_always_one_participant_without_counts(mediator, epn):
    record = services.accompaniment_create(
        actor=mediator.user, **record_kwargs(epn, participants=5, counts={"gender_female": 5})
    )
    record.refresh_from_db()
    assert record.participants == 1
    assert record.gender_female == 0


# --- collective counts ------------------------------------------------------------------------------


def test_collective_counts_sum_to_the_total(mediator, epn):
    record = services.accompaniment_create(actor=mediator.user, **collective_kwargs(epn, total=7))
    record.refresh_from_db()
    assert (record.participants, record.gender_female, record.gender_male) == (7, 3, 4)


@pytest.mark.parametrize(
    ("dimension", "counts", "label"),
    [
        ("gender", {"gender_female": 2, "gender_male": 2, "age_unknown": 6, "status_unknown": 6}, "genre"),
        ("age", {"gender_unknown": 6, "age_60_69": 5, "status_unknown": 6}, "tranche d'âge"),
        ("status", {"gender_unknown": 6, "age_unknown": 6, "status_retired": 7}, "statut social"),
    ],
)
def test_a_dimension_that_does_not_sum_is_named(mediator, epn, dimension, counts, label):
    with pytest.raises(ValidationError) as exc:
        services.accompaniment_create(actor=mediator.user, **collective_kwargs(epn, total=6, counts=counts))
    errors = messages_of(exc)
    assert list(errors) == [f"{dimension}_counts"]
    assert f"Répartition par {label}" in errors[f"{dimension}_counts"][0]
    assert not m.Accompaniment.objects.exists()


def test_collective_needs_participants_and_no_negative_counts(mediator, epn):
    with pytest.raises(ValidationError) as exc:
        services.accompaniment_create(actor=mediator.user, **collective_kwargs(epn, total=0))
    assert "au moins un participant" in messages_of(exc)["participants"][0]
    with pytest.raises(ValidationError) as exc:
        services.accompaniment_create(
            actor=mediator.user,
            **collective_kwargs(epn, total=2, counts={"gender_female": -1, "age_unknown": 2, "status_unknown": 2}),
        )
    assert "négatif" in messages_of(exc)["gender_female"][0]


def test_database_refuses_a_bad_sum_too(mediator, epn):
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Accompaniment.objects.create(
            author=mediator.user,
            place=epn,
            kind="collective",
            date=timezone.localdate(),
            duration_minutes=60,
            participants=3,
            gender_female=1,
            age_unknown=3,
            status_unknown=3,
        )


def test_collective_cannot_follow_a_person(mediator, epn):
    person = make_beneficiary(actor=mediator.user, place=epn)
    with pytest.raises(ValidationError) as exc:
        services.accompaniment_create(actor=mediator.user, **collective_kwargs(epn, beneficiary=person))
    assert "anonyme" in messages_of(exc)["beneficiary"][0]


def test_session_prefill_counts_present_confirmed_people(mediator, epn):
    session = SessionFactory(place=epn, starts_at=timezone.now() - dt.timedelta(days=2, hours=2))
    session.ends_at = session.starts_at + dt.timedelta(minutes=90)
    session.save()
    for index, (status, attended) in enumerate(
        [("confirmed", True), ("confirmed", True), ("confirmed", False), ("waitlisted", None), ("confirmed", None)]
    ):
        m.Registration.objects.create(
            session=session,
            first_name=f"P{index}",
            last_name="Test",
            status=status,
            attended=attended,
            waitlisted_at=timezone.now() if status == "waitlisted" else None,
        )
    prefill = services.session_prefill(session)
    assert prefill["participants"] == 2
    assert prefill["duration_minutes"] == 90
    assert prefill["date"] == timezone.localtime(session.starts_at).date()
    assert prefill["themes"] == list(session.workshop.themes)
    record = services.accompaniment_create(
        actor=mediator.user,
        **collective_kwargs(epn, total=2, session=session, date=prefill["date"]),
    )
    assert record.session == session
    with pytest.raises(ValidationError) as exc:
        services.accompaniment_create(
            actor=mediator.user, **collective_kwargs(epn, total=2, session=session, date=prefill["date"])
        )
    assert "déjà enregistré" in messages_of(exc)["session"][0]


# --- double submit ----------------------------------------------------------------------------------


def test_same_submit_token_twice_creates_one_record(mediator, epn):
    first = services.accompaniment_create(actor=mediator.user, submit_token="tok-1", **record_kwargs(epn))
    again = services.accompaniment_create(actor=mediator.user, submit_token="tok-1", **record_kwargs(epn))
    assert again.pk == first.pk
    assert again.replayed is True
    assert first.replayed is False
    other = services.accompaniment_create(actor=mediator.user, submit_token="tok-2", **record_kwargs(epn))
    assert other.pk != first.pk
    assert m.Accompaniment.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_double_submit_creates_one_record(mediator, epn):
    kwargs = record_kwargs(epn)

    def submit(_n: int) -> int:
        return services.accompaniment_create(actor=mediator.user, submit_token="same", **kwargs).pk

    results = run_in_parallel(submit, range(4))
    assert len(results) == 4
    assert len(set(results)) == 1
    assert m.Accompaniment.objects.count() == 1
    assert connection.vendor == "postgresql"


# --- change and delete ------------------------------------------------------------------------------


def test_author_changes_within_30_days_then_not(mediator, epn):
    record = services.accompaniment_create(actor=mediator.user, **record_kwargs(epn))
    services.accompaniment_update(actor=mediator.user, accompaniment=record, duration_minutes=45)
    record.refresh_from_db()
    assert record.duration_minutes == 45
    m.Accompaniment.objects.filter(pk=record.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    record.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.accompaniment_update(actor=mediator.user, accompaniment=record, duration_minutes=60)
    with pytest.raises(PermissionDenied):
        services.accompaniment_delete(actor=mediator.user, accompaniment=record)
    assert m.Accompaniment.objects.filter(pk=record.pk).exists()


def test_manager_changes_and_deletes_any_record(mediator, epn, manager):
    record = services.accompaniment_create(actor=mediator.user, **record_kwargs(epn))
    m.Accompaniment.objects.filter(pk=record.pk).update(created_at=timezone.now() - dt.timedelta(days=200))
    record.refresh_from_db()
    services.accompaniment_update(actor=manager, accompaniment=record, themes=["email", "security"])
    record.refresh_from_db()
    assert record.themes == ["email", "security"]
    services.accompaniment_delete(actor=manager, accompaniment=record)
    assert not m.Accompaniment.objects.exists()
    assert JournalEntry.objects.filter(action="accompaniment.deleted", actor_id=manager.pk).exists()


def test_other_people_cannot_change_or_delete(mediator, staff, epn, other_epn):
    record = services.accompaniment_create(actor=mediator.user, **record_kwargs(epn))
    colleague = staff(Role.MEDIATOR, epn)
    for actor in (colleague, staff(Role.MEDIATOR, other_epn), staff(Role.CITIZEN)):
        with pytest.raises(PermissionDenied):
            services.accompaniment_update(actor=actor, accompaniment=record, duration_minutes=60)
        with pytest.raises(PermissionDenied):
            services.accompaniment_delete(actor=actor, accompaniment=record)


def test_update_checks_the_sums_again(mediator, epn):
    record = services.accompaniment_create(actor=mediator.user, **collective_kwargs(epn, total=4))
    with pytest.raises(ValidationError) as exc:
        services.accompaniment_update(actor=mediator.user, accompaniment=record, participants=5)
    assert set(messages_of(exc)) == {"gender_counts", "age_counts", "status_counts"}
    record.refresh_from_db()
    assert record.participants == 4


# --- beneficiaries ------------------------------------------------------------------------------------


@override_settings(MEDIATION_BENEFICIARY_RETENTION_MONTHS=24)
def test_beneficiary_needs_consent_and_gets_a_retention_date(mediator, epn):
    with pytest.raises(ValidationError) as exc:
        make_beneficiary(actor=mediator.user, place=epn, consent=False)
    assert "accord" in messages_of(exc)["consent"][0]
    assert not m.Beneficiary.objects.exists()
    person = make_beneficiary(actor=mediator.user, place=epn)
    today = timezone.localdate()
    assert person.retention_until == services.add_months(today, 24)
    assert person.consent_by == mediator.user
    assert person.consent_at is not None


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("first_name", "  ", "prénom"),
        ("last_name", "", "nom"),
        ("phone", "abc", "téléphone invalide"),
        ("email", "pas-une-adresse", "électronique invalide"),
        ("birth_year", 1850, "entre 1900"),
        ("birth_year", "vers 1950", "Saisissez une année"),
    ],
)
def test_beneficiary_bad_values(mediator, epn, field, value, expected):
    with pytest.raises(ValidationError) as exc:
        make_beneficiary(actor=mediator.user, place=epn, **{field: value})
    assert expected in messages_of(exc)[field][0].lower() or expected in messages_of(exc)[field][0]
    assert not m.Beneficiary.objects.exists()


def test_only_a_mediator_of_the_place_follows_people(staff, epn, other_epn, manager, mediator):
    for actor in (staff(Role.KIOSK_AGENT, epn), staff(Role.MEDIATOR, other_epn), manager, staff(Role.CITIZEN)):
        with pytest.raises(PermissionDenied):
            make_beneficiary(actor=actor, place=epn)
    assert make_beneficiary(actor=mediator.user, place=epn).place == epn


@override_settings(MEDIATION_BENEFICIARY_RETENTION_MONTHS=12)
def test_each_accompaniment_pushes_the_retention(mediator, epn):
    person = make_beneficiary(actor=mediator.user, place=epn)
    m.Beneficiary.objects.filter(pk=person.pk).update(retention_until=days_ago(-10))
    person.refresh_from_db()
    services.accompaniment_create(actor=mediator.user, **record_kwargs(epn, beneficiary=person))
    person.refresh_from_db()
    assert person.retention_until == services.add_months(timezone.localdate(), 12)
    # An older record typed in late never shortens it.
    services.accompaniment_create(actor=mediator.user, **record_kwargs(epn, beneficiary=person, date=days_ago(200)))
    person.refresh_from_db()
    assert person.retention_until == services.add_months(timezone.localdate(), 12)


def test_new_beneficiary_with_the_record_in_one_transaction(mediator, epn):
    with pytest.raises(ValidationError) as exc:
        services.accompaniment_create(
            actor=mediator.user,
            new_beneficiary={"first_name": "", "last_name": "Roux", "consent": False},
            **record_kwargs(epn, duration_minutes=0),
        )
    errors = messages_of(exc)
    assert {"first_name", "consent", "duration_minutes"} <= set(errors)
    assert not m.Beneficiary.objects.exists()
    assert not m.Accompaniment.objects.exists()
    record = services.accompaniment_create(
        actor=mediator.user,
        new_beneficiary={"first_name": "Jean", "last_name": "Roux", "consent": True},
        **record_kwargs(epn),
    )
    assert record.beneficiary.last_name == "Roux"


def test_beneficiary_of_another_place_is_refused(mediator, staff, epn, other_epn):
    other_mediator = staff(Role.MEDIATOR, other_epn)
    stranger = make_beneficiary(actor=other_mediator, place=other_epn)
    with pytest.raises(ValidationError) as exc:
        services.accompaniment_create(actor=mediator.user, **record_kwargs(epn, beneficiary=stranger))
    assert "pas suivie dans cette structure" in messages_of(exc)["beneficiary"][0]


def test_export_gives_all_their_data(mediator, epn, staff, other_epn, manager):
    person = make_beneficiary(actor=mediator.user, place=epn, email="eloise@example.fr", birth_year=1950)
    services.accompaniment_create(actor=mediator.user, **record_kwargs(epn, beneficiary=person, oriented_to="CAF"))
    data = services.beneficiary_export(actor=mediator.user, beneficiary=person)
    assert data["personne"]["prenom"] == "Éloïse"
    assert data["personne"]["courriel"] == "eloise@example.fr"
    assert data["personne"]["annee_naissance"] == 1950
    assert data["accompagnements"][0]["thematiques"] == ["Courriel"]
    assert data["accompagnements"][0]["orientation"] == "CAF"
    assert JournalEntry.objects.filter(action="beneficiary.exported").count() == 1
    assert services.beneficiary_export(actor=manager, beneficiary=person)["personne"]["nom"] == "Vermenouze"
    for actor in (staff(Role.MEDIATOR, other_epn), staff(Role.KIOSK_AGENT, epn), staff(Role.CITIZEN)):
        with pytest.raises(PermissionDenied):
            services.beneficiary_export(actor=actor, beneficiary=person)


def test_erase_keeps_the_records_anonymous(mediator, epn, staff, other_epn):
    person = make_beneficiary(actor=mediator.user, place=epn)
    for day in (10, 5, 0):
        services.accompaniment_create(actor=mediator.user, **record_kwargs(epn, beneficiary=person, date=days_ago(day)))
    with pytest.raises(PermissionDenied):
        services.beneficiary_erase(actor=staff(Role.MEDIATOR, other_epn), beneficiary=person)
    kept = services.beneficiary_erase(actor=mediator.user, beneficiary=person)
    assert kept == 3
    assert not m.Beneficiary.objects.exists()
    assert m.Accompaniment.objects.filter(beneficiary__isnull=True).count() == 3
    entry = JournalEntry.objects.get(action="beneficiary.erased")
    assert "Vermenouze" not in str(entry.data)
    assert "Vermenouze" not in entry.target_repr


def test_purge_task_erases_expired_people_as_the_system(mediator, epn):
    expired = make_beneficiary(actor=mediator.user, place=epn, last_name="Ancien")
    kept = make_beneficiary(actor=mediator.user, place=epn, last_name="Récent")
    services.accompaniment_create(actor=mediator.user, **record_kwargs(epn, beneficiary=expired, date=days_ago(300)))
    m.Beneficiary.objects.filter(pk=expired.pk).update(retention_until=days_ago(1))
    assert purge_expired_beneficiaries.call() == 1
    assert list(m.Beneficiary.objects.values_list("pk", flat=True)) == [kept.pk]
    assert m.Accompaniment.objects.get().beneficiary is None
    entry = JournalEntry.objects.get(action="beneficiary.erased")
    assert entry.actor_id is None
    assert entry.actor_repr == "système"
    assert entry.data["reason"] == "retention"
    assert purge_expired_beneficiaries.call() == 0


def test_add_months_handles_short_months():
    assert services.add_months(dt.date(2024, 2, 29), 24) == dt.date(2026, 2, 28)
    assert services.add_months(dt.date(2025, 8, 31), 1) == dt.date(2025, 9, 30)
    assert services.add_months(dt.date(2025, 12, 15), 24) == dt.date(2027, 12, 15)
