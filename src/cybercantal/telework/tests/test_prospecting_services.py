"""The prospecting services: SIREN checks (python-stdnum), the unique SIREN (also in a race),
stage moves and their history, the lost reason (service and database), agreement links,
contacts and activities, permissions and the journal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry

from ..models import LostReason, Prospect, ProspectActivity, ProspectStage, ProspectStageChange
from ..services import prospecting as services
from .factories import AgreementFactory
from .factories_prospecting import moved, new_siren, partner, prospect

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def days_ago(n: int) -> dt.date:
    return TODAY() - dt.timedelta(days=n)


# --- SIREN ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("732829320", "732829320"),
        ("732 829 320", "732829320"),
        (" 732\u00a0829\u202f320 ", "732829320"),
        ("732.829.320", "732829320"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_a_valid_siren_is_normalised(typed, expected):
    assert services.normalise_siren(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code", "words"),
    [
        ("732829321", "siren_checksum", "clé de contrôle"),
        ("73282932", "siren_length", "9 chiffres (vous en avez saisi 8)"),
        ("7328293200", "siren_length", "vous en avez saisi 10"),
        ("73282932A", "siren_format", "que des chiffres"),
        ("٧٣٢٨٢٩٣٢٠", "siren_format", "que des chiffres"),  # Arabic-Indic digits are not digits here
        ("73282932000074", "siren_is_siret", "732 829 320"),  # a SIRET: the SIREN is suggested
        ("x" * 10_000, "siren_format", "que des chiffres"),
    ],
)
def test_a_wrong_siren_gets_a_french_error(typed, code, words):
    with pytest.raises(services.ValidationError) as caught:
        services.normalise_siren(typed)
    assert caught.value.error_dict["siren"][0].code == code
    assert words in caught.value.message_dict["siren"][0]


def test_the_siren_is_unique():
    first = prospect("Mutuelle Atlantique Services", siren="442 116 703")
    assert first.siren == "442116703"
    with pytest.raises(services.ValidationError) as caught:
        prospect("Autre mutuelle", siren="442116703")
    assert caught.value.message_dict["siren"] == [
        "Ce SIREN est déjà celui de l'entreprise « Mutuelle Atlantique Services »."
    ]
    other = prospect("Autre mutuelle", siren="")
    with pytest.raises(services.ValidationError):
        services.prospect_update(actor=None, prospect=other, name="Autre mutuelle", siren="442116703")
    # Several companies may have no SIREN.
    assert prospect("Sans SIREN", siren="").siren == ""
    assert Prospect.objects.filter(siren="").count() == 2


def test_the_siren_race_names_the_other_company(monkeypatch):
    """Two people save the same SIREN at once: both pass the check, the index refuses the
    second insert; the error names the other company, on the field, and nothing is saved."""
    prospect("Première", siren="442116703")
    real = services._siren_taken
    calls = {"n": 0}

    def first_blind(siren, exclude_pk):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(siren, exclude_pk)

    monkeypatch.setattr(services, "_siren_taken", first_blind)
    with pytest.raises(services.ValidationError) as caught:
        services.prospect_create(actor=None, name="Seconde", siren="442116703")
    assert caught.value.message_dict["siren"] == ["Ce SIREN est déjà celui de l'entreprise « Première »."]
    assert not Prospect.objects.filter(name="Seconde").exists()


def test_the_database_refuses_a_malformed_siren():
    with pytest.raises(IntegrityError), transaction.atomic():
        Prospect.objects.create(name="Brut", siren="12AB")


# --- creation and update ---------------------------------------------------------------------------


def test_create_checks_every_field_at_once(staff):
    teleworker = staff(Role.TELEWORKER)
    with pytest.raises(services.ValidationError) as caught:
        services.prospect_create(
            actor=None,
            name="  ",
            siren="123",
            size_band="giant",
            website="pas un site",
            potential_staff=-1,
            owner=teleworker,
            notes="a\x00b",
        )
    errors = caught.value.message_dict
    assert set(errors) == {"name", "siren", "size_band", "website", "potential_staff", "owner", "notes"}
    assert errors["name"] == ["Indiquez le nom de l'entreprise."]
    assert errors["owner"] == ["Cette personne ne fait pas partie de l'équipe du programme."]
    assert not Prospect.objects.exists()


def test_create_writes_the_first_stage_and_the_journal(programme_manager):
    source = partner("Réseau national des télécentres")
    company = services.prospect_create(
        actor=programme_manager,
        name="  Éditions   Lumière du Sud ",
        siren="732 829 320",
        head_office="Bordeaux",
        website="www.lumiere.example",
        source_partner=source,
        potential_staff=3,
        owner=programme_manager,
    )
    assert company.name == "Éditions Lumière du Sud"
    assert company.website == "https://www.lumiere.example"
    assert company.stage == ProspectStage.IDENTIFIED
    assert company.search_text == " editions lumiere du sud 732829320 bordeaux "
    change = company.stage_changes.get()
    assert (change.from_stage, change.to_stage, change.by) == ("", ProspectStage.IDENTIFIED, programme_manager)
    entry = JournalEntry.objects.get(action="telework.prospect.created")
    assert entry.target_id == str(company.pk)


def test_update_changes_the_search_text_and_journals_the_fields(programme_manager):
    company = prospect("Ancien nom", head_office="Paris")
    services.prospect_update(actor=programme_manager, prospect=company, name="Nouveau Nom", head_office="Saint-Étienne")
    company.refresh_from_db()
    assert company.search_text == " nouveau nom saint etienne "
    assert company.siren == ""
    entry = JournalEntry.objects.get(action="telework.prospect.updated")
    assert entry.data["fields"] == ["head_office", "name", "siren"]


@pytest.mark.parametrize("role", [Role.TELEWORKER, Role.EMPLOYER_MANAGER, Role.TELECENTRE_MANAGER])
def test_only_the_programme_team_writes(staff, role, telecentre):
    scope = telecentre.place if role == Role.TELECENTRE_MANAGER else None
    if role == Role.EMPLOYER_MANAGER:
        scope = partner("Employeur")
    person = staff(role, scope)
    company = prospect()
    with pytest.raises(NotAllowed):
        services.prospect_create(actor=person, name="Interdite")
    with pytest.raises(NotAllowed):
        services.prospect_move(actor=person, prospect=company, to_stage=ProspectStage.CONTACTED)
    with pytest.raises(NotAllowed):
        services.contact_add(actor=person, prospect=company, name="X")
    with pytest.raises(NotAllowed):
        services.activity_add(actor=person, prospect=company, kind="call", happened_on=TODAY(), summary="x")


# --- stage moves ------------------------------------------------------------------------------------


def test_moves_are_journalled_and_kept_in_order(programme_manager):
    company = prospect(identified_days_ago=30)
    services.prospect_move(actor=programme_manager, prospect=company, to_stage="contacted", on=days_ago(20))
    services.prospect_move(actor=programme_manager, prospect=company, to_stage="meeting", on=days_ago(20))
    services.prospect_move(actor=programme_manager, prospect=company, to_stage="identified")  # back, today
    company.refresh_from_db()
    assert company.stage == ProspectStage.IDENTIFIED
    assert timezone.localdate(company.stage_changed_at) == TODAY()
    history = list(company.stage_changes.values_list("from_stage", "to_stage"))
    assert history == [
        ("", "identified"),
        ("identified", "contacted"),
        ("contacted", "meeting"),
        ("meeting", "identified"),
    ]
    ats = list(company.stage_changes.values_list("at", flat=True))
    assert ats == sorted(ats)
    assert len(set(ats)) == 4
    assert JournalEntry.objects.filter(action="telework.prospect.moved").count() == 3


def test_a_move_cannot_be_dated_in_the_future_nor_before_the_last_one():
    company = moved(prospect(identified_days_ago=30), ("contacted", 10))
    with pytest.raises(services.ValidationError) as caught:
        services.prospect_move(actor=None, prospect=company, to_stage="meeting", on=TODAY() + dt.timedelta(days=1))
    assert caught.value.message_dict["on"] == ["Cette date est dans le futur."]
    with pytest.raises(services.ValidationError) as caught:
        services.prospect_move(actor=None, prospect=company, to_stage="meeting", on=days_ago(11))
    assert "L'entreprise est passée à l'étape « Contactée » le" in caught.value.message_dict["on"][0]
    with pytest.raises(services.ValidationError) as caught:
        services.prospect_move(actor=None, prospect=company, to_stage="contacted")
    assert caught.value.message_dict["to_stage"] == ["L'entreprise est déjà à l'étape « Contactée »."]
    with pytest.raises(services.ValidationError) as caught:
        services.prospect_move(actor=None, prospect=company, to_stage="nowhere")
    assert caught.value.message_dict["to_stage"] == ["Choisissez une étape dans la liste."]
    assert company.stage_changes.count() == 2


def test_lost_needs_a_reason_and_leaving_lost_clears_it():
    company = moved(prospect(identified_days_ago=30), ("contacted", 10))
    with pytest.raises(services.ValidationError) as caught:
        services.prospect_move(actor=None, prospect=company, to_stage="lost")
    assert caught.value.message_dict == {"reason_kind": ["Indiquez pourquoi l'entreprise ne donne pas suite."]}
    with pytest.raises(services.ValidationError) as caught:
        services.prospect_move(actor=None, prospect=company, to_stage="lost", reason_kind=LostReason.OTHER)
    assert caught.value.message_dict == {"reason": ["Précisez la raison."]}
    company.refresh_from_db()
    assert company.stage == ProspectStage.CONTACTED
    change = services.prospect_move(
        actor=None, prospect=company, to_stage="lost", reason_kind=LostReason.OTHER_TERRITORY, reason="  Corrèze "
    )
    company.refresh_from_db()
    assert company.lost_reason == "A choisi un autre territoire : Corrèze"
    assert company.lost_reason_kind == LostReason.OTHER_TERRITORY
    assert (change.reason, change.reason_kind) == (company.lost_reason, "other_territory")
    services.prospect_move(actor=None, prospect=company, to_stage="meeting")
    company.refresh_from_db()
    assert (company.lost_reason, company.lost_reason_kind) == ("", "")


def test_the_database_refuses_a_lost_company_without_reason():
    company = prospect()
    with pytest.raises(IntegrityError), transaction.atomic():
        Prospect.objects.filter(pk=company.pk).update(stage="lost", lost_reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProspectStageChange.objects.create(prospect=company, from_stage="identified", to_stage="lost", reason="")


def test_the_constraint_error_becomes_a_french_error(monkeypatch):
    """Were the service's own check bypassed (here: an empty reason text), the database's
    refusal still ends in a French error on the field, and nothing is half-saved."""
    company = prospect()
    monkeypatch.setattr(services, "_lost_text", lambda kind, detail: "")
    with pytest.raises(services.ValidationError) as caught:
        services.prospect_move(actor=None, prospect=company, to_stage="lost", reason_kind="no_answer")
    assert caught.value.message_dict == {"reason_kind": ["Une entreprise perdue doit avoir une raison : indiquez-la."]}
    company.refresh_from_db()
    assert company.stage == ProspectStage.IDENTIFIED
    assert company.stage_changes.count() == 1


def test_an_agreement_is_linked_at_pilot_only_once(telecentre):
    agreement = AgreementFactory(telecentres=[telecentre])
    company = prospect("Banque Coopérative du Centre")
    with pytest.raises(services.ValidationError) as caught:
        services.prospect_move(actor=None, prospect=company, to_stage="contacted", agreement=agreement)
    assert "agreement" in caught.value.message_dict
    with pytest.raises(services.ValidationError):
        services.prospect_link_agreement(actor=None, prospect=company, agreement=agreement)
    services.prospect_move(actor=None, prospect=company, to_stage="pilot", agreement=agreement)
    company.refresh_from_db()
    assert company.agreement == agreement
    other = moved(prospect("Autre"), ("pilot", 0))
    with pytest.raises(services.ValidationError) as caught:
        services.prospect_link_agreement(actor=None, prospect=other, agreement=agreement)
    assert caught.value.message_dict["agreement"] == [
        f"La convention {agreement.reference} est déjà liée à l'entreprise « Banque Coopérative du Centre »."
    ]
    services.prospect_link_agreement(actor=None, prospect=company, agreement=None)
    services.prospect_link_agreement(actor=None, prospect=other, agreement=agreement)
    other.refresh_from_db()
    assert other.agreement == agreement


# --- contacts and activities ------------------------------------------------------------------------


def test_contacts_are_checked_added_updated_and_removed(programme_manager):
    company = prospect()
    with pytest.raises(services.ValidationError) as caught:
        services.contact_add(actor=programme_manager, prospect=company, name="", email="pas-une-adresse", phone="abc")
    assert set(caught.value.message_dict) == {"name", "email", "phone"}
    contact = services.contact_add(
        actor=programme_manager,
        prospect=company,
        name="Hélène Garnier",
        job_title="DRH",
        email="H.Garnier@Mutuelle.example",
        phone="+33 1 99 00 12 34",
    )
    assert contact.email == "h.garnier@mutuelle.example"
    services.contact_update(actor=programme_manager, contact=contact, name="Hélène Garnier-Roux", job_title="DRH")
    contact.refresh_from_db()
    assert (contact.name, contact.email) == ("Hélène Garnier-Roux", "")
    services.contact_remove(actor=programme_manager, contact=contact)
    assert not company.contacts.exists()
    actions = list(
        JournalEntry.objects.filter(action__startswith="telework.prospect.contact")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "telework.prospect.contact_added",
        "telework.prospect.contact_updated",
        "telework.prospect.contact_removed",
    ]


def test_activities_are_checked():
    company = prospect()
    with pytest.raises(services.ValidationError) as caught:
        services.activity_add(
            actor=None,
            prospect=company,
            kind="fax",
            happened_on=TODAY() + dt.timedelta(days=1),
            summary=" ",
        )
    assert set(caught.value.message_dict) == {"kind", "happened_on", "summary"}
    with pytest.raises(services.ValidationError) as caught:
        services.activity_add(
            actor=None, prospect=company, kind="call", happened_on=TODAY(), summary="ok", next_step_on=TODAY()
        )
    assert caught.value.message_dict == {"next_step": ["Indiquez la prochaine étape prévue à cette date."]}
    with pytest.raises(services.ValidationError) as caught:
        services.activity_add(
            actor=None,
            prospect=company,
            kind="call",
            happened_on=TODAY(),
            summary="ok",
            next_step="Relancer",
            next_step_on=days_ago(1),
        )
    assert caught.value.message_dict == {"next_step_on": ["La prochaine étape ne peut pas précéder l'action."]}
    activity = services.activity_add(
        actor=None,
        prospect=company,
        kind="call",
        happened_on=days_ago(3),
        summary="Premier appel à la DRH.",
        next_step="Envoyer la plaquette",
        next_step_on=days_ago(1),
    )
    assert ProspectActivity.objects.get() == activity
    services.activity_remove(actor=None, activity=activity)
    assert not ProspectActivity.objects.exists()


def test_the_database_refuses_a_dated_next_step_without_a_name():
    company = prospect()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProspectActivity.objects.create(
            prospect=company, kind="call", happened_on=TODAY(), summary="x", next_step="", next_step_on=TODAY()
        )


def test_new_siren_helper_gives_valid_numbers():
    assert services.normalise_siren(new_siren()) != ""
