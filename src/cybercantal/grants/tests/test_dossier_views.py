"""Pages of the dossier part: my dossiers, the dossier, the thread, document downloads; per role,
bad input, double submission, query counts, and the private notes that never show."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cybercantal.accounts.models import Role

from ..models import DocumentKind, Message, Status
from .factories import BusinessFactory, DocumentFactory, png_bytes, upload
from .factories_dossier import dossier, message, private_note

pytestmark = pytest.mark.django_db

NOTE = "Note privée : le gérant semble pressé, vérifier le devis auprès du fournisseur."


@pytest.fixture
def accepted(programme, business, applicant):
    return dossier(programme=programme, business=business, created_by=applicant, status=Status.ACCEPTED)


@pytest.fixture
def people(applicant, other_applicant, instructor, manager):
    return {"applicant": applicant, "other": other_applicant, "instructor": instructor, "manager": manager}


def _as(client, people, who):
    if who != "anonymous":
        client.force_login(people[who])
    return client


# --- Per role -----------------------------------------------------------------------------------------

DOSSIER_PAGES = ["grants:application", "grants:messages"]
EXPECTED = {"anonymous": 302, "applicant": 200, "other": 404, "instructor": 200, "manager": 200}


@pytest.mark.parametrize("name", DOSSIER_PAGES)
@pytest.mark.parametrize(("who", "status"), EXPECTED.items())
def test_dossier_pages_per_role(client, people, accepted, name, who, status):
    response = _as(client, people, who).get(reverse(name, kwargs={"ref": accepted.reference}))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/compte/")


@pytest.mark.parametrize(("who", "status"), EXPECTED.items())
def test_document_download_per_role(client, people, accepted, who, status):
    quote = accepted.lines.get().quote
    response = _as(client, people, who).get(
        reverse("grants:document", kwargs={"ref": accepted.reference, "pk": quote.pk})
    )
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "devis-parabole.pdf" in response["Content-Disposition"]
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        response.close()


def test_document_of_another_dossier_is_not_found_through_this_one(client, programme, business, applicant, accepted):
    other = dossier(programme=programme, business=BusinessFactory())
    foreign = other.lines.get().quote
    client.force_login(applicant)
    url = reverse("grants:document", kwargs={"ref": accepted.reference, "pk": foreign.pk})
    assert client.get(url).status_code == 404
    # Nor through the right dossier for the other business's applicant (it is not theirs).
    mine_too = dossier(programme=programme, business=business, created_by=applicant)
    assert (
        client.get(reverse("grants:document", kwargs={"ref": mine_too.reference, "pk": foreign.pk})).status_code == 404
    )


def test_document_with_a_risky_name_gets_a_safe_download_name(client, applicant, accepted):
    document = DocumentFactory(application=accepted, kind=DocumentKind.ATTACHMENT, original_name="../../etc/passwd.pdf")
    client.force_login(applicant)
    response = client.get(reverse("grants:document", kwargs={"ref": accepted.reference, "pk": document.pk}))
    assert response.status_code == 200
    response.close()
    assert "/" not in response["Content-Disposition"].split("filename=")[1]


@pytest.mark.parametrize("ref", ["NOPE-2026-00001", "x" * 200, "AUV%00", "%C3%A9"])
def test_junk_or_unknown_references_are_not_found(client, applicant, ref):
    client.force_login(applicant)
    assert client.get(f"/aides/dossiers/{ref}/").status_code == 404
    assert client.get(f"/aides/dossiers/{ref}/messages/").status_code == 404
    assert client.get(f"/aides/dossiers/{ref}/pieces/1/").status_code == 404


def test_huge_document_id_is_not_found(client, applicant, accepted):
    client.force_login(applicant)
    assert client.get(f"/aides/dossiers/{accepted.reference}/pieces/{10**30}/").status_code == 404


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("applicant", 200), ("instructor", 200)])
def test_my_dossiers_per_role(client, people, accepted, who, status):
    response = _as(client, people, who).get(reverse("grants:my_applications"))
    assert response.status_code == status
    if who == "instructor":  # applies for no business: the empty state
        assert "Vous n’avez encore aucun dossier" in response.content.decode()


# --- My dossiers ----------------------------------------------------------------------------------------


def test_my_dossiers_shows_state_amounts_next_step_and_unread(client, programme, business, applicant, instructor):
    accepted = dossier(programme=programme, business=business, created_by=applicant, status=Status.ACCEPTED)
    corrections = dossier(
        programme=programme, business=business, created_by=applicant, status=Status.CORRECTIONS, amount=Decimal("500")
    )
    message(corrections, author=instructor, from_applicant=False, body="Corrigez le devis")
    message(corrections, author=instructor, from_applicant=False, body="Merci", read=True)
    dossier(programme=programme, business=BusinessFactory())  # another business's dossier
    client.force_login(applicant)
    page = client.get(reverse("grants:my_applications")).content.decode()
    assert "2 dossiers" in page
    assert accepted.reference in page
    assert corrections.reference in page
    assert "Accepté" in page
    assert "Corrections demandées" in page
    assert "1\u202f600,00\u00a0€" in page  # computed and decided
    assert "Déposer vos factures" in page
    assert f"/aides/dossiers/{accepted.reference}/factures/" in page
    assert "Lire les messages" in page  # unread messages come first for the corrections dossier
    assert "1 non lu" in page


def test_my_dossiers_empty_state_links_to_the_programmes(client, applicant):
    client.force_login(applicant)
    page = client.get(reverse("grants:my_applications")).content.decode()
    assert "Vous n’avez encore aucun dossier" in page
    assert 'href="/aides/"' in page


def test_my_dossiers_query_count_does_not_grow_with_the_dossiers(
    client, programme, business, applicant, instructor, django_assert_max_num_queries
):
    for _ in range(3):
        application = dossier(programme=programme, business=business, created_by=applicant)
        message(application, author=instructor, from_applicant=False)
    client.force_login(applicant)
    client.get(reverse("grants:my_applications"))  # warm caches (content types)
    with django_assert_max_num_queries(6) as few:
        client.get(reverse("grants:my_applications"))
    for _ in range(15):
        application = dossier(programme=programme, business=business, created_by=applicant)
        message(application, author=instructor, from_applicant=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("grants:my_applications"))
    assert response.content.decode().count("1 non lu") == 18


def test_my_dossiers_paginates_and_survives_junk_pages(client, programme, business, applicant):
    for _ in range(21):
        dossier(programme=programme, business=business, created_by=applicant, with_quote=False)
    client.force_login(applicant)
    first = client.get(reverse("grants:my_applications")).content.decode()
    assert "Page 1 sur 2" in first
    for junk in ("2", "999", "abc", "-1", "\x00"):
        assert client.get(reverse("grants:my_applications"), {"page": junk}).status_code == 200


# --- The dossier ------------------------------------------------------------------------------------------


def test_dossier_page_shows_state_timeline_eligibility_lines_figures_and_next_step(
    client, programme, business, applicant
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    application = dossier(
        programme=programme,
        business=business,
        created_by=applicant,
        status=Status.ACCEPTED,
        at=datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Paris")),
    )
    client.force_login(applicant)
    page = client.get(reverse("grants:application", kwargs={"ref": application.reference})).content.decode()
    assert "État du dossier :" in page
    assert "Accepté" in page
    assert "mardi 3 mars 2026" in page  # the timeline's dates, the French way
    assert "Historique du dossier" in page
    assert "Éligible" in page
    assert "classe HD05" in page  # the explanation kept with the dossier
    assert "2026T1" in page  # the edition of the data
    assert "Installation d&#x27;une parabole" in page
    quote = application.lines.get().quote
    assert reverse("grants:document", kwargs={"ref": application.reference, "pk": quote.pk}) in page
    assert "3\u202f200,00\u00a0€" in page
    assert "1\u202f600,00\u00a0€" in page
    assert f"/aides/dossiers/{application.reference}/lettre-de-decision.pdf" in page
    assert f"/aides/dossiers/{application.reference}/factures/" in page
    assert "Déposer vos factures" in page
    assert "/modifier/" not in page  # not editable once accepted


def test_dossier_page_offers_edit_only_when_editable(client, programme, business, applicant):
    draft = dossier(programme=programme, business=business, created_by=applicant, status=Status.DRAFT)
    corrections = dossier(programme=programme, business=business, created_by=applicant, status=Status.CORRECTIONS)
    client.force_login(applicant)
    for application, label in ((draft, "Compléter"), (corrections, "Corriger")):
        page = client.get(reverse("grants:application", kwargs={"ref": application.reference})).content.decode()
        assert f"/aides/dossiers/{application.reference}/modifier/entreprise/" in page
        assert label in page
        assert "lettre-de-decision.pdf" not in page


def test_a_bare_draft_renders_with_what_is_missing(client, draft, applicant):
    """No premises, no lines, no eligibility yet: the page says so (no error)."""
    client.force_login(applicant)
    page = client.get(reverse("grants:application", kwargs={"ref": draft.reference})).content.decode()
    assert "Adresse des locaux pas encore indiquée." in page
    assert "L’éligibilité sera vérifiée quand l’adresse des locaux sera indiquée." in page
    assert "Aucune dépense n’est encore indiquée." in page
    assert "pas encore décidée" in page


def test_applicant_pages_never_show_a_private_note(client, accepted, applicant, instructor):
    private_note(accepted, author=instructor, text=NOTE)
    message(accepted, author=instructor, from_applicant=False, body="Votre dossier est complet.")
    client.force_login(applicant)
    for name in ("grants:application", "grants:messages"):
        page = client.get(reverse(name, kwargs={"ref": accepted.reference})).content.decode()
        assert "le gérant semble pressé" not in page
        assert "Note privée" not in page
    assert "le gérant semble pressé" not in client.get(reverse("grants:my_applications")).content.decode()
    assert "le gérant semble pressé" not in client.get(f"/api/aides/dossiers/{accepted.reference}").content.decode()


def test_instructor_sees_the_dossier_page_with_a_link_to_the_review(client, accepted, instructor):
    client.force_login(instructor)
    page = client.get(reverse("grants:application", kwargs={"ref": accepted.reference})).content.decode()
    assert "Instruire ce dossier" in page
    assert f"/aides/instruction/{accepted.reference}/" in page


# --- Messages ----------------------------------------------------------------------------------------------


def _thread_url(application):
    return reverse("grants:messages", kwargs={"ref": application.reference})


def _token(client, application):
    return client.get(_thread_url(application)).context["form"]["jeton"].value()


def test_applicant_posts_a_message_with_attachments_and_the_instructor_reads_it(
    client, accepted, applicant, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    token = _token(client, accepted)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _thread_url(accepted),
            {
                "jeton": token,
                "body": "Voici la facture et une photo.",
                "files": [upload("facture.pdf"), upload("photo.png", png_bytes(), "image/png")],
            },
        )
    posted = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _thread_url(accepted) + f"#message-{posted.pk}"
    assert posted.from_applicant
    assert sorted(d.original_name for d in posted.attachments.all()) == ["facture.pdf", "photo.png"]
    assert len(mailoutbox) == 1
    page = client.get(_thread_url(accepted)).content.decode()
    assert "Votre message est envoyé." in page
    assert "Voici la facture et une photo." in page
    assert "pas encore lu" in page
    for document in posted.attachments.all():
        assert reverse("grants:document", kwargs={"ref": accepted.reference, "pk": document.pk}) in page
    # The instructor opens the thread: the applicant's message is read; the attachments download.
    client.force_login(instructor)
    page = client.get(_thread_url(accepted)).content.decode()
    assert "Voici la facture et une photo." in page
    assert f"/aides/instruction/{accepted.reference}/" in page  # back to the review page
    posted.refresh_from_db()
    assert posted.read_at is not None
    attachment = posted.attachments.get(original_name="photo.png")
    download = client.get(reverse("grants:document", kwargs={"ref": accepted.reference, "pk": attachment.pk}))
    download.close()
    assert (download.status_code, download["Content-Type"]) == (200, "image/png")


def test_instructor_message_is_shown_as_from_the_instruction_and_marked_read_when_viewed(
    client, accepted, applicant, instructor
):
    from_instructor = message(accepted, author=instructor, from_applicant=False, body="Il manque le RIB.")
    client.force_login(applicant)
    page = client.get(_thread_url(accepted)).content.decode()
    assert "Service instructeur" in page
    assert "Il manque le RIB." in page
    from_instructor.refresh_from_db()
    assert from_instructor.read_at is not None


@pytest.mark.parametrize(
    ("body", "message_fr"),
    [("", "Écrivez votre message."), ("   ", "Écrivez votre message."), ("y" * 10_001, "le maximum est 10")],
)
def test_empty_or_huge_message_is_refused_next_to_the_field(client, accepted, applicant, body, message_fr):
    client.force_login(applicant)
    response = client.post(_thread_url(accepted), {"jeton": "t1", "body": body})
    assert response.status_code == 200
    page = response.content.decode()
    assert message_fr in page
    assert 'id="id_body_error"' in page
    assert 'aria-invalid="true"' in page
    assert not Message.objects.exists()


def test_bad_file_is_refused_next_to_the_field_and_the_text_is_kept(client, accepted, applicant):
    client.force_login(applicant)
    response = client.post(
        _thread_url(accepted),
        {
            "jeton": "t2",
            "body": "Mon texte à garder <b>intact</b>",
            "files": [upload("devis.pdf", b"GIF89a not a pdf at all", "application/pdf")],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Le fichier « devis.pdf » n&#x27;est pas un fichier PDF" in page
    assert 'id="id_files_error"' in page
    assert "Mon texte à garder &lt;b&gt;intact&lt;/b&gt;" in page
    assert not Message.objects.exists()


def test_double_post_of_the_same_form_stores_one_message(client, accepted, applicant):
    client.force_login(applicant)
    token = _token(client, accepted)
    data = {"jeton": token, "body": "Un seul message"}
    first = client.post(_thread_url(accepted), data)
    second = client.post(_thread_url(accepted), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Message.objects.count() == 1


def test_a_refused_post_keeps_the_token_so_the_corrected_post_is_stored_once(client, accepted, applicant):
    client.force_login(applicant)
    token = _token(client, accepted)
    refused = client.post(_thread_url(accepted), {"jeton": token, "body": ""})
    assert refused.context["form"]["jeton"].value() == token
    client.post(_thread_url(accepted), {"jeton": token, "body": "Corrigé"})
    client.post(_thread_url(accepted), {"jeton": token, "body": "Corrigé"})
    assert list(Message.objects.values_list("body", flat=True)) == ["Corrigé"]


def test_other_business_cannot_post_on_the_thread(client, accepted, other_applicant):
    client.force_login(other_applicant)
    assert client.post(_thread_url(accepted), {"jeton": "x", "body": "Intrus"}).status_code == 404
    assert not Message.objects.exists()


def test_thread_page_query_count_does_not_grow_with_the_messages(
    client, accepted, applicant, instructor, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            posted = message(accepted, author=instructor if i % 2 else applicant, from_applicant=not i % 2)
            posted.attachments.add(DocumentFactory(application=accepted, kind=DocumentKind.ATTACHMENT))

    add(2)
    client.force_login(applicant)
    client.get(_thread_url(accepted))
    with django_assert_max_num_queries(20) as few:
        client.get(_thread_url(accepted))
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(_thread_url(accepted))


def test_wrong_methods_are_refused(client, accepted, applicant):
    client.force_login(applicant)
    assert client.post(reverse("grants:application", kwargs={"ref": accepted.reference})).status_code == 405
    assert client.delete(_thread_url(accepted)).status_code == 405


def test_a_person_who_is_also_staff_role_is_the_instruction_side(client, accepted, staff):
    """A programme manager writing on the thread writes for the instruction, not the business."""
    manager = staff(Role.PROGRAMME_MANAGER)
    client.force_login(manager)
    client.post(_thread_url(accepted), {"jeton": "m1", "body": "Le dossier est complet."})
    assert Message.objects.get().from_applicant is False
