"""Views of the instruction: who sees the queue and the review page, the filters and the
accent-insensitive search, each action per role and in the wrong state, fuzzed input, query
counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cybercantal.territory.models import Canton, Commune

from ..models import Document, DocumentKind, ExpenseLine, Message, ReviewNote, Status, StatusChange
from .factories import BusinessFactory
from .factories_instruction import dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(programme, business, applicant):
    return dossier(programme=programme, business=business, applicant=applicant, business_name="Scierie des Planèzes")


@pytest.fixture
def reviewing(programme, business, applicant, instructor):
    return dossier(
        programme=programme,
        business=business,
        applicant=applicant,
        status=Status.UNDER_REVIEW,
        instructor=instructor,
        lines=("3200.00", "400.00"),
    )


@pytest.fixture
def people(client, applicant, other_applicant, instructor, manager):
    return {"applicant": applicant, "other_applicant": other_applicant, "instructor": instructor, "manager": manager}


# --- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("applicant", 403), ("other_applicant", 403), ("instructor", 200), ("manager", 200)],
)
def test_queue_and_review_per_role(client, people, submitted, who, expected):
    if who != "anonymous":
        client.force_login(people[who])
    for url in (reverse("grants:queue"), reverse("grants:review", args=[submitted.reference])):
        assert client.get(url).status_code == expected, url


def test_review_of_a_draft_or_an_unknown_dossier_is_404(client, instructor, draft):
    client.force_login(instructor)
    assert client.get(reverse("grants:review", args=[draft.reference])).status_code == 404
    assert client.get(reverse("grants:review", args=["AUV-2026-99999"])).status_code == 404
    assert client.get("/aides/instruction/" + "x" * 500 + "/").status_code == 404


ACTIONS = [
    ("review_take", {}),
    ("review_note", {"note-text": "Une note"}),
    ("review_corrections", {"corrections-message": "Corrigez"}),
    ("review_accept", {"accord-amount": ""}),
    ("review_refuse", {"refus-reason": "Non"}),
    ("review_close", {"classement-reason": "Non"}),
    ("review_reopen", {"reouverture-reason": "Erreur"}),
]


@pytest.mark.parametrize(("name", "data"), ACTIONS)
@pytest.mark.parametrize("who", ["applicant", "other_applicant"])
def test_applicants_may_not_use_any_action(client, people, reviewing, name, data, who):
    client.force_login(people[who])
    response = client.post(reverse(f"grants:{name}", args=[reviewing.reference]), data)
    assert response.status_code == 403
    reviewing.refresh_from_db()
    assert reviewing.status == Status.UNDER_REVIEW
    assert not ReviewNote.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_anonymous_is_sent_to_sign_in(client, reviewing, name, data):
    response = client.post(reverse(f"grants:{name}", args=[reviewing.reference]), data)
    assert response.status_code == 302
    assert "/compte/" in response["Location"] or "login" in response["Location"]


def test_actions_answer_only_post(client, instructor, reviewing):
    client.force_login(instructor)
    assert client.get(reverse("grants:review_accept", args=[reviewing.reference])).status_code == 405


# --- queue ---------------------------------------------------------------------------------------


def test_queue_shows_what_is_to_process_oldest_first(client, instructor, programme):
    old = dossier(programme=programme, days_ago=30, business_name="Ancienne ferme")
    new = dossier(programme=programme, days_ago=1, business_name="Nouvelle forge")
    under = dossier(programme=programme, status=Status.UNDER_REVIEW, days_ago=10)
    accepted = dossier(programme=programme, status=Status.ACCEPTED)
    client.force_login(instructor)
    page = client.get(reverse("grants:queue")).content.decode()
    assert page.index(old.reference) < page.index(under.reference) < page.index(new.reference)
    assert accepted.reference not in page
    assert "30" in page  # days waiting
    everything = client.get(reverse("grants:queue") + "?etat=tous").content.decode()
    assert accepted.reference in everything
    by_amount = client.get(reverse("grants:queue") + "?tri=montant_desc&etat=tous").content.decode()
    assert accepted.reference in by_amount


def test_queue_never_lists_drafts(client, instructor, draft):
    client.force_login(instructor)
    assert draft.reference not in client.get(reverse("grants:queue") + "?etat=tous").content.decode()
    assert client.get(reverse("grants:queue") + "?etat=draft").status_code == 200


def test_queue_text_search_ignores_accents_and_case(client, instructor, submitted, programme):
    other = dossier(programme=programme, business_name="Garage Lavigne")
    client.force_login(instructor)
    for text in ("planezes", "PLANÈZES", "scierie des planezes", submitted.reference.lower(), submitted.siret[:9]):
        page = client.get(reverse("grants:queue"), {"q": text}).content.decode()
        assert submitted.reference in page, text
        assert other.reference not in page, text
    spaced = f"{submitted.siret[:3]} {submitted.siret[3:6]} {submitted.siret[6:9]} {submitted.siret[9:]}"
    assert submitted.reference in client.get(reverse("grants:queue"), {"q": spaced}).content.decode()


def test_queue_filters_by_canton_eligibility_and_instructor(client, instructor, manager, programme, territory):
    commune = Commune.objects.current().get(name="Neuvéglise-sur-Truyère")
    canton = commune.cantons.first()
    here = dossier(programme=programme, premises_commune=commune, canton=canton, instructor=instructor)
    elsewhere = dossier(
        programme=programme, canton=Canton.objects.exclude(pk=canton.pk).first(), eligibility="to_check"
    )
    client.force_login(instructor)
    url = reverse("grants:queue")
    page = client.get(url, {"canton": canton.slug}).content.decode()
    assert here.reference in page
    assert elsewhere.reference not in page
    assert "Neuvéglise-sur-Truyère" in page
    page = client.get(url, {"eligibilite": "to_check"}).content.decode()
    assert elsewhere.reference in page
    assert here.reference not in page
    page = client.get(url, {"instructeur": "moi"}).content.decode()
    assert here.reference in page
    assert elsewhere.reference not in page
    page = client.get(url, {"instructeur": "personne"}).content.decode()
    assert elsewhere.reference in page
    assert here.reference not in page
    client.force_login(manager)
    assert here.reference not in client.get(url, {"instructeur": "moi"}).content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"canton": "n-existe-pas"},
        {"dispositif": "\x00"},
        {"etat": "n'importe"},
        {"tri": "'; drop table"},
        {"page": "99999999999999999999999"},
        {"page": "abc"},
        {"q": "x" * 5000},
        {"instructeur": "12"},
        {"eligibilite": "<script>"},
    ],
)
def test_queue_junk_filters_are_french_messages_not_500(client, instructor, submitted, query):
    client.force_login(instructor)
    response = client.get(reverse("grants:queue"), query)
    assert response.status_code == 200
    page = response.content.decode()
    if "page" not in query:
        assert "Certains filtres sont ignorés" in page
    assert "<script>" not in page


def test_queue_page_keeps_the_filters_in_pagination_links(client, instructor, programme):
    for n in range(51):
        dossier(programme=programme, business_name=f"Forge {n}", lines=("100.00",))
    client.force_login(instructor)
    page = client.get(reverse("grants:queue"), {"q": "forge"}).content.decode()
    assert "q=forge&amp;page=2" in page
    assert "Page 1 sur 2" in page


def test_queue_query_count_does_not_grow_with_rows(client, instructor, programme, django_assert_max_num_queries):
    client.force_login(instructor)
    for n in range(3):
        dossier(programme=programme, lines=("100.00",), instructor=instructor if n % 2 else None)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("grants:queue"))
    for _ in range(20):
        dossier(programme=programme, lines=("100.00",), business=BusinessFactory(), instructor=instructor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("grants:queue"))
    assert response.content.decode().count("/aides/instruction/TEST-") >= 23
    assert len(few.captured_queries) <= 10


def test_review_query_count_does_not_grow_with_lines(client, instructor, programme, django_assert_max_num_queries):
    small = dossier(programme=programme, lines=("100.00",))
    big = dossier(programme=programme, lines=tuple(["100.00"] * 12), business=BusinessFactory())
    client.force_login(instructor)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("grants:review", args=[small.reference]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("grants:review", args=[big.reference]))


# --- review page and actions --------------------------------------------------------------------


def test_review_page_shows_the_dossier_and_links(client, instructor, reviewing):
    ReviewNote.objects.create(application=reviewing, author=instructor, text="Appeler le gérant.")
    client.force_login(instructor)
    page = client.get(reverse("grants:review", args=[reviewing.reference])).content.decode()
    assert reviewing.siret in page
    assert "Meilleur débit filaire : moins de 3 Mbit/s." in page
    assert "2026T2" in page
    assert "Appeler le gérant." in page
    assert f"/aides/dossiers/{reviewing.reference}/messages/" in page
    quote = reviewing.lines.first().quote
    assert f"/aides/dossiers/{reviewing.reference}/pieces/{quote.pk}/" in page
    assert "1\u202f800,00\u00a0€" in page  # computed aid
    for label in ("Accepter le dossier", "Refuser le dossier", "Demander des corrections", "Classer sans suite"):
        assert label in page
    assert "Prendre en instruction" not in page
    assert "Rouvrir la décision" not in page


def test_take_through_the_view_then_double_click(client, instructor, submitted):
    client.force_login(instructor)
    url = reverse("grants:review_take", args=[submitted.reference])
    response = client.post(url, follow=True)
    assert "Vous instruisez le dossier" in response.content.decode()
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "ne peut pas passer à « En instruction »" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.instructor == instructor
    assert StatusChange.objects.filter(application=submitted, to_status=Status.UNDER_REVIEW).count() == 1


@pytest.mark.parametrize("who", ["instructor", "manager"])
def test_accept_through_the_view(client, people, reviewing, who):
    client.force_login(people[who])
    response = client.post(reverse("grants:review_accept", args=[reviewing.reference]), {"accord-amount": "1 700,00"})
    assert response.status_code == 302
    reviewing.refresh_from_db()
    assert (reviewing.status, reviewing.decided_amount) == (Status.ACCEPTED, Decimal("1700.00"))
    page = client.get(response["Location"]).content.decode()
    assert "Le dossier est accepté" in page
    assert reverse("grants:decision_letter", args=[reviewing.reference]) in page
    assert "Rouvrir la décision" in page
    # Second click: a French message, nothing written twice.
    response = client.post(
        reverse("grants:review_accept", args=[reviewing.reference]), {"accord-amount": "1 700,00"}, follow=True
    )
    assert "ne peut pas passer à « Accepté »" in response.content.decode()
    assert Document.objects.filter(application=reviewing, kind=DocumentKind.DECISION).count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "doit être positif"),
        ("0", "doit être positif"),
        ("abc", "Saisissez un montant en euros"),
        ("1e9", "Saisissez un montant en euros"),
        ("1800,01", "ne peut pas dépasser l&#x27;aide calculée"),
        ("999999999999", "ne peut pas dépasser l&#x27;aide calculée"),
        ("9" * 500, "Saisissez un montant en euros"),
        ("12,345", "Saisissez un montant en euros"),
        ("\x00", "Saisissez un montant"),
    ],
)
def test_accept_fuzzed_amounts_get_a_french_message_next_to_the_field(client, instructor, reviewing, amount, message):
    client.force_login(instructor)
    response = client.post(reverse("grants:review_accept", args=[reviewing.reference]), {"accord-amount": amount})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Rien n’est enregistré" in page
    assert message in page
    assert 'id="id_accord-amount_error"' in page or 'aria-invalid="true"' in page
    reviewing.refresh_from_db()
    assert reviewing.status == Status.UNDER_REVIEW
    assert reviewing.decided_amount is None


def test_accept_beyond_the_envelope_through_the_view(client, instructor, programme, reviewing):
    programme.budget = Decimal("1000.00")
    programme.save()
    client.force_login(instructor)
    response = client.post(
        reverse("grants:review_accept", args=[reviewing.reference]), {"accord-amount": ""}, follow=True
    )
    page = response.content.decode()
    assert "ne permet pas d&#x27;accorder 1\u202f800,00\u00a0€" in page
    assert "il reste 1\u202f000,00\u00a0€" in page
    reviewing.refresh_from_db()
    assert reviewing.status == Status.UNDER_REVIEW


def test_request_corrections_through_the_view(
    client, instructor, reviewing, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(instructor)
    url = reverse("grants:review_corrections", args=[reviewing.reference])
    response = client.post(url, {"corrections-message": "   "})
    assert response.status_code == 200
    assert "Dites au demandeur ce qu&#x27;il doit corriger." in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"corrections-message": "Joignez le devis signé."})
    assert response.status_code == 302
    reviewing.refresh_from_db()
    assert reviewing.status == Status.CORRECTIONS
    assert Message.objects.get(application=reviewing).body == "Joignez le devis signé."
    assert len(mailoutbox) == 1
    assert reviewing.reference in mailoutbox[0].subject
    assert reviewing.contact_email in mailoutbox[0].to
    client.post(url, {"corrections-message": "Joignez le devis signé."})
    assert Message.objects.filter(application=reviewing).count() == 1


def test_line_set_aside_and_back_through_the_view(client, instructor, reviewing):
    line = reviewing.lines.get(amount=Decimal("400.00"))
    client.force_login(instructor)
    url = reverse("grants:review_line_set_aside", args=[reviewing.reference, line.pk])
    response = client.post(url, {f"ligne-{line.pk}-reason": ""})
    assert response.status_code == 200
    assert "Indiquez pourquoi cette dépense n&#x27;est pas retenue." in response.content.decode()
    response = client.post(url, {f"ligne-{line.pk}-reason": "Abonnement"}, follow=True)
    assert "est écartée" in response.content.decode()
    reviewing.refresh_from_db()
    assert reviewing.computed_aid == Decimal("1600.00")
    response = client.post(reverse("grants:review_line_retain", args=[reviewing.reference, line.pk]), follow=True)
    assert "de nouveau retenue" in response.content.decode()
    reviewing.refresh_from_db()
    assert reviewing.computed_aid == Decimal("1800.00")


def test_a_line_of_another_dossier_is_404(client, instructor, reviewing, programme):
    other = dossier(programme=programme, status=Status.UNDER_REVIEW, business=BusinessFactory())
    line = other.lines.first()
    client.force_login(instructor)
    url = reverse("grants:review_line_set_aside", args=[reviewing.reference, line.pk])
    assert client.post(url, {f"ligne-{line.pk}-reason": "x"}).status_code == 404
    assert not ExpenseLine.objects.filter(is_ineligible=True).exists()


def test_refuse_close_and_reopen_through_the_views(client, manager, reviewing, programme):
    client.force_login(manager)
    response = client.post(reverse("grants:review_refuse", args=[reviewing.reference]), {"refus-reason": ""})
    assert "Indiquez le motif du refus." in response.content.decode()
    client.post(reverse("grants:review_refuse", args=[reviewing.reference]), {"refus-reason": "Hors zone."})
    reviewing.refresh_from_db()
    assert reviewing.status == Status.REFUSED
    response = client.post(reverse("grants:review_reopen", args=[reviewing.reference]), {"reouverture-reason": ""})
    assert "Indiquez pourquoi la décision est rouverte." in response.content.decode()
    client.post(reverse("grants:review_reopen", args=[reviewing.reference]), {"reouverture-reason": "Recours gracieux"})
    reviewing.refresh_from_db()
    assert reviewing.status == Status.UNDER_REVIEW
    submitted = dossier(programme=programme, business=BusinessFactory())
    client.post(reverse("grants:review_close", args=[submitted.reference]), {"classement-reason": "Doublon"})
    submitted.refresh_from_db()
    assert submitted.status == Status.CLOSED


def test_wrong_state_actions_get_a_french_message(client, instructor, submitted):
    client.force_login(instructor)
    for name, data in ACTIONS[2:5] + ACTIONS[6:]:
        response = client.post(reverse(f"grants:{name}", args=[submitted.reference]), data, follow=True)
        assert response.status_code == 200, name
        page = response.content.decode()
        assert "ne peut pas passer" in page or "pas de décision" in page, name
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_notes_through_the_view_once_on_double_click(client, instructor, submitted):
    client.force_login(instructor)
    url = reverse("grants:review_note", args=[submitted.reference])
    assert "Écrivez la note." in client.post(url, {"note-text": ""}).content.decode()
    client.post(url, {"note-text": "Vérifier le SIRET."})
    client.post(url, {"note-text": "Vérifier le SIRET."})
    assert ReviewNote.objects.filter(application=submitted).count() == 1
    response = client.post(url, {"note-text": "x" * 6000})
    assert "5000 caractères au plus" in response.content.decode()
