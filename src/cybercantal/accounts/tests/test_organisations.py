"""Organisations: optional SIRET checked with python-stdnum (La Poste included), services, form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from stdnum import luhn

from cybercantal.accounts import services
from cybercantal.accounts.forms import OrganisationForm
from cybercantal.accounts.models import Organisation, Role
from cybercantal.accounts.validators import normalise_siret
from cybercantal.core.models import JournalEntry

VALID_SIRET = "73282932000074"
# La Poste's establishments (SIREN 356 000 000) do not follow Luhn: their digits add up to a
# multiple of 5. This one fails Luhn yet is valid.
LA_POSTE_SIRET = "35600000049837"


def test_la_poste_exception_is_really_an_exception():
    assert not luhn.is_valid(LA_POSTE_SIRET)
    assert normalise_siret(LA_POSTE_SIRET) == LA_POSTE_SIRET
    assert normalise_siret("35600000000048") == "35600000000048"  # La Poste's head office: Luhn


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", ""),
        ("   ", ""),
        (None, ""),
        (VALID_SIRET, VALID_SIRET),
        ("732 829 320 00074", VALID_SIRET),
        ("732.829.320.00074", VALID_SIRET),
    ],
)
def test_valid_or_empty_siret(typed, expected):
    assert normalise_siret(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("73282932000075", "clé de contrôle"),
        ("35600000049838", "clé de contrôle"),  # La Poste, digit sum not a multiple of 5
        ("7328293200007", "14 chiffres (vous en avez saisi 13)"),
        ("7328293200007A", "que des chiffres"),
    ],
)
def test_invalid_siret_has_a_french_message_on_the_field(typed, message):
    with pytest.raises(ValidationError) as caught:
        normalise_siret(typed)
    assert message in " ".join(caught.value.message_dict["siret"])


def test_organisation_create_is_journalled_and_normalises_siret(administrator):
    organisation = services.organisation_create(
        actor=administrator, name="Mairie de Murat", kind=Organisation.Kind.COMMUNE, siret="732 829 320 00074"
    )
    assert organisation.siret == VALID_SIRET
    assert organisation.slug == "mairie-de-murat"
    entry = JournalEntry.objects.get(action="organisation.created")
    assert entry.actor_id == administrator.pk
    assert entry.target_id == str(organisation.pk)


def test_organisation_without_siret_and_same_names_get_distinct_slugs(administrator):
    first = services.organisation_create(actor=administrator, name="Espace Numérique", kind="association")
    second = services.organisation_create(actor=administrator, name="Espace Numérique", kind="association")
    assert first.siret == second.siret == ""
    assert {first.slug, second.slug} == {"espace-numerique", "espace-numerique-2"}


def test_duplicate_siret_is_a_field_error_not_a_crash(administrator):
    services.organisation_create(actor=administrator, name="A", kind="business", siret=VALID_SIRET)
    with pytest.raises(ValidationError) as caught:
        services.organisation_create(actor=administrator, name="B", kind="business", siret=VALID_SIRET)
    assert "déjà" in caught.value.message_dict["siret"][0]
    assert Organisation.objects.count() == 1


def test_invalid_siret_refused_by_service(administrator):
    with pytest.raises(ValidationError):
        services.organisation_create(actor=administrator, name="B", kind="business", siret="12345678901234")
    assert not Organisation.objects.exists()


def test_organisation_update_journals_changed_fields_only(programme_manager, organisation):
    services.organisation_update(
        actor=programme_manager, organisation=organisation, name="Nouveau nom", siret=LA_POSTE_SIRET
    )
    organisation.refresh_from_db()
    assert (organisation.name, organisation.siret) == ("Nouveau nom", LA_POSTE_SIRET)
    entry = JournalEntry.objects.get(action="organisation.updated")
    assert entry.data == {"fields": ["name", "siret"]}
    services.organisation_update(actor=programme_manager, organisation=organisation, name="Nouveau nom")
    assert JournalEntry.objects.filter(action="organisation.updated").count() == 1  # nothing changed, nothing written


def test_only_platform_managers_create_organisations(make_user, grant, organisation):
    mediator = make_user()
    grant(mediator, Role.MEDIATOR, scope=organisation)
    with pytest.raises(services.NotAllowed) as caught:
        services.organisation_create(actor=mediator, name="X", kind="association")
    assert "droit" in str(caught.value)


def test_form_shows_french_siret_errors_next_to_the_field(db):
    form = OrganisationForm(data={"name": "Scierie", "kind": "business", "siret": "73282932000075"})
    assert not form.is_valid()
    assert "clé de contrôle" in form.errors["siret"][0]
    form = OrganisationForm(data={"name": "Scierie", "kind": "business", "siret": "732 829 320 00074"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["siret"] == VALID_SIRET


def test_form_refuses_a_siret_already_used(administrator):
    services.organisation_create(actor=administrator, name="A", kind="business", siret=VALID_SIRET)
    form = OrganisationForm(data={"name": "B", "kind": "business", "siret": VALID_SIRET})
    assert not form.is_valid()
    assert "déjà" in form.errors["siret"][0]
