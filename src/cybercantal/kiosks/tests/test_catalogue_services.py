"""Services of the procedures catalogue: seed, validation, revisions and restore."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry
from cybercantal.kiosks.models import Category, Procedure, ProcedureRevision
from cybercantal.kiosks.services import catalogue as services

pytestmark = pytest.mark.django_db

VALID = {
    "title": "Carte d'identité",
    "category": Category.IDENTITY,
    "summary": "Demander sa carte d'identité. Prendre rendez-vous en mairie.",
    "documents": "Une photo\nUn justificatif de domicile",
    "official_url": "https://passeport.ants.gouv.fr/",
    "official_name": "ANTS",
}


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- seed -------------------------------------------------------------------------------------


def test_seed_creates_about_forty_valid_procedures_and_is_idempotent():
    created = services.procedures_seed()
    assert 38 <= created <= 50
    assert Procedure.objects.count() == created
    validate = URLValidator(schemes=["https"])
    for procedure in Procedure.objects.all():
        assert procedure.official_url.startswith("https://")
        validate(procedure.official_url)
        assert procedure.document_list(), procedure.slug
        assert 0 < len(procedure.summary) <= 300
        assert procedure.category in Category.values
        assert procedure.revisions.count() == 1
    assert services.procedures_seed() == 0
    assert Procedure.objects.count() == created
    assert ProcedureRevision.objects.count() == created
    slugs = set(Procedure.objects.values_list("slug", flat=True))
    assert {"carte-identite", "passeport", "carte-grise", "rsa", "cheque-energie", "demande-retraite"} <= slugs


def test_seed_covers_the_issue_procedures():
    services.procedures_seed()
    titles = " ".join(Procedure.objects.values_list("title", flat=True)).lower()
    for word in (
        "identité",
        "passeport",
        "carte grise",
        "permis",
        "naissance",
        "listes électorales",
        "revenus",
        "vitale",
        "allocations familiales",
        "logement",
        "rsa",
        "prime d'activité",
        "demandeur d'emploi",
        "retraite",
        "chèque énergie",
        "casier",
        "titre de séjour",
        "pêche",
        "chasser",
    ):
        assert word in titles, word


def test_seed_updates_untouched_procedures_but_never_an_edited_one(manager):
    services.procedures_seed()
    untouched = Procedure.objects.get(slug="passeport")
    edited = Procedure.objects.get(slug="carte-identite")
    services.procedure_update(
        actor=manager, procedure=edited, **{**services.snapshot(edited), "summary": "Texte de l'équipe."}
    )
    # Someone changes the rows outside the services, and the seed file is newer.
    Procedure.objects.filter(slug="carte-grise").update(summary="Modifié dans l'administration.")
    Procedure.objects.filter(pk=untouched.pk).update(summary="Ancien texte du fichier.")
    ProcedureRevision.objects.filter(procedure=untouched).update(
        data={**services.snapshot(untouched), "summary": "Ancien texte du fichier."}
    )
    assert services.procedures_seed() == 1
    untouched.refresh_from_db()
    edited.refresh_from_db()
    assert untouched.summary != "Ancien texte du fichier."
    assert edited.summary == "Texte de l'équipe."
    assert Procedure.objects.get(slug="carte-grise").summary == "Modifié dans l'administration."


def test_seed_refuses_a_citizen(staff):
    with pytest.raises(PermissionDenied):
        services.procedures_seed(actor=staff(Role.CITIZEN))


def test_demo_load_is_idempotent():
    from cybercantal.kiosks.demo.catalogue import load

    first = load()
    assert first["démarches"] >= 38
    assert load() == first


# --- create / update validation ---------------------------------------------------------------


def test_create_makes_slug_revision_and_journal(manager):
    procedure = services.procedure_create(actor=manager, comment="Première version", **VALID)
    assert procedure.slug == "carte-didentite"
    assert procedure.updated_by == manager
    revision = procedure.revisions.get()
    assert revision.author == manager
    assert revision.comment == "Première version"
    assert revision.data["title"] == "Carte d'identité"
    assert JournalEntry.objects.filter(action="procedure.created").count() == 1


def test_slug_never_takes_a_reserved_or_taken_name(manager):
    first = services.procedure_create(actor=manager, **{**VALID, "title": "Gestion"})
    assert first.slug == "gestion-2"
    second = services.procedure_create(actor=manager, **VALID)
    third = services.procedure_create(actor=manager, **{**VALID, "title": "Carte didentité"})
    assert second.slug == "carte-didentite"
    assert third.slug == "carte-didentite-2"  # a different title, the same slug: numbered


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("title", "", "Donnez un titre"),
        ("title", "x" * 161, "160 caractères"),
        ("summary", "", "deux lignes"),
        ("summary", "mot " * 100, "300 caractères"),
        ("official_url", "", "Indiquez l'adresse"),
        ("official_url", "javascript:alert(1)", "https://"),
        ("official_url", "ftp://example.org/", "https://"),
        ("official_url", "http://example.org/", "https://"),
        ("official_url", "https://exa mple", "pas valide"),
        ("official_url", "https://" + "a" * 500 + ".fr", "500 caractères"),
        ("category", "", "Choisissez une catégorie"),
        ("category", "aliens", "de la liste"),
        ("documents", "x" * 5000, "4000"),
        ("position", "abc", "ordre d'affichage"),
        ("position", -1, "ordre d'affichage"),
        ("title", "Carte\x00", "caractère invalide"),
    ],
)
def test_create_rejects_bad_values_with_french_field_messages(manager, field, value, expected):
    with pytest.raises(ValidationError) as exc:
        services.procedure_create(actor=manager, **{**VALID, field: value})
    assert field in _errors(exc)
    assert expected in " ".join(_errors(exc)[field])
    assert Procedure.objects.count() == 0
    assert ProcedureRevision.objects.count() == 0


def test_duplicate_title_is_refused_whatever_the_accents_and_case(manager):
    services.procedure_create(actor=manager, **VALID)
    with pytest.raises(ValidationError) as exc:
        services.procedure_create(actor=manager, **{**VALID, "title": "  CARTE D'IDENTITE "})
    assert "existe" in " ".join(_errors(exc)["title"]) or "déjà" in " ".join(_errors(exc)["title"])
    assert Procedure.objects.count() == 1


def test_only_programme_managers_may_edit(staff, agent):
    for user in (staff(Role.CITIZEN), agent, staff(Role.MEDIATOR)):
        with pytest.raises(PermissionDenied):
            services.procedure_create(actor=user, **VALID)
    assert Procedure.objects.count() == 0


def test_update_keeps_slug_writes_revision_and_resets_link_check(manager):
    procedure = services.procedure_create(actor=manager, **VALID)
    Procedure.objects.filter(pk=procedure.pk).update(link_ok=False, link_status="erreur 404")
    procedure.refresh_from_db()
    updated = services.procedure_update(
        actor=manager,
        procedure=procedure,
        **{**VALID, "title": "Carte nationale d'identité", "official_url": "https://ants.gouv.fr/"},
        comment="Nouveau lien",
    )
    assert updated.slug == "carte-didentite"
    assert updated.link_ok is None
    assert updated.link_status == ""
    assert procedure.revisions.count() == 2
    assert procedure.revisions.first().comment == "Nouveau lien"
    entry = JournalEntry.objects.get(action="procedure.updated")
    assert set(entry.data["fields"]) == {"title", "official_url"}


def test_update_without_change_writes_nothing(manager):
    procedure = services.procedure_create(actor=manager, **VALID)
    services.procedure_update(actor=manager, procedure=procedure, **VALID)
    assert procedure.revisions.count() == 1
    assert not JournalEntry.objects.filter(action="procedure.updated").exists()


def test_update_with_invalid_value_saves_nothing(manager):
    procedure = services.procedure_create(actor=manager, **VALID)
    with pytest.raises(ValidationError):
        services.procedure_update(actor=manager, procedure=procedure, **{**VALID, "summary": "", "title": "Autre"})
    procedure.refresh_from_db()
    assert procedure.title == "Carte d'identité"
    assert procedure.revisions.count() == 1


def test_restore_puts_back_an_old_revision_as_a_new_one(manager, staff):
    procedure = services.procedure_create(actor=manager, **VALID)
    first = procedure.revisions.get()
    other = staff(Role.PROGRAMME_MANAGER)
    services.procedure_update(
        actor=other, procedure=procedure, **{**VALID, "summary": "Un texte moins clair.", "documents": "Rien"}
    )
    restored = services.procedure_restore(actor=manager, revision=first)
    assert restored.summary == VALID["summary"]
    assert restored.documents == VALID["documents"]
    assert procedure.revisions.count() == 3
    newest = procedure.revisions.first()
    assert newest.author == manager
    assert newest.comment.startswith("Retour à la version du ")
    assert JournalEntry.objects.filter(action="procedure.restored").count() == 1
    with pytest.raises(ValidationError):  # already the current content
        services.procedure_restore(actor=manager, revision=first)


def test_restore_refused_to_an_agent(manager, agent):
    procedure = services.procedure_create(actor=manager, **VALID)
    with pytest.raises(PermissionDenied):
        services.procedure_restore(actor=agent, revision=procedure.revisions.get())
