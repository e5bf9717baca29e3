"""Rules of the message thread (services.messages) and the reads of the dossier part."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry

from ..models import Document, DocumentKind, Message, Status
from ..queries import dossier as queries
from ..services import messages as services
from .factories import ApplicationFactory, BusinessFactory, png_bytes, upload
from .factories_dossier import dossier, message

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(programme, business, applicant):
    return dossier(programme=programme, business=business, created_by=applicant, status=Status.UNDER_REVIEW)


def test_applicant_message_is_stored_journalled_and_sent_to_the_programme_contact(
    submitted, applicant, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        posted = services.message_post(
            actor=applicant, application=submitted, body="  Voici le devis corrigé.  ", files=[upload()]
        )
    assert posted.from_applicant is True
    assert posted.body == "Voici le devis corrigé."
    assert posted.author == applicant
    [attachment] = posted.attachments.all()
    assert (attachment.kind, attachment.content_type) == (DocumentKind.ATTACHMENT, "application/pdf")
    entry = JournalEntry.objects.get(action="grants.message.posted")
    assert entry.data["from_applicant"] is True
    assert entry.data["attachments"] == 1
    [email] = mailoutbox
    assert email.to == ["aides@example.org"]  # no instructor yet: the programme's contact
    assert submitted.reference in email.subject
    assert "Voici le devis" not in email.body  # the text stays behind the sign-in
    assert f"/aides/dossiers/{submitted.reference}/messages/" in email.body


def test_applicant_message_goes_to_the_dossiers_instructor_when_there_is_one(
    submitted, applicant, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    submitted.instructor = instructor
    submitted.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_post(actor=applicant, application=submitted, body="Question")
    assert [m.to for m in mailoutbox] == [[instructor.email]]


def test_instructor_message_is_from_the_instructors_and_goes_to_the_applicant(
    submitted, applicant, instructor, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        posted = services.message_post(actor=instructor, application=submitted, body="Merci de corriger le devis.")
        by_manager = services.message_post(actor=manager, application=submitted, body="Pour information.")
    assert posted.from_applicant is False
    assert by_manager.from_applicant is False
    assert len(mailoutbox) == 2
    assert set(mailoutbox[0].to) == {submitted.contact_email.lower(), applicant.email.lower()}
    assert "instructeur" in mailoutbox[0].subject


def test_applicant_of_another_business_may_not_write(submitted, other_applicant):
    with pytest.raises(NotAllowed):
        services.message_post(actor=other_applicant, application=submitted, body="Bonjour")
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "Écrivez votre message."),
        ("   \n\t ", "Écrivez votre message."),
        ("x" * 10_001, "Votre message compte 10\u202f001 caractères : le maximum est 10\u202f000."),
    ],
)
def test_empty_or_huge_text_is_refused_in_french(submitted, applicant, body, expected):
    with pytest.raises(ValidationError) as caught:
        services.message_post(actor=applicant, application=submitted, body=body)
    assert expected in caught.value.message_dict["body"][0]
    assert not Message.objects.exists()


def test_exactly_ten_thousand_characters_is_fine(submitted, applicant):
    assert len(services.message_post(actor=applicant, application=submitted, body="é" * 10_000).body) == 10_000


def test_a_bad_file_refuses_the_whole_message_and_stores_no_file(submitted, applicant):
    files = [upload("bon.pdf"), upload("virus.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")]
    with pytest.raises(ValidationError) as caught:
        services.message_post(actor=applicant, application=submitted, body="Deux pièces", files=files)
    [problem] = caught.value.message_dict["files"]
    assert "virus.pdf" in problem
    assert "n'est pas un fichier" in problem
    assert not Message.objects.exists()
    assert not Document.objects.filter(kind=DocumentKind.ATTACHMENT).exists()


def test_too_big_and_too_many_files_are_refused(submitted, applicant, settings):
    settings.GRANTS_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationError) as caught:
        services.message_post(actor=applicant, application=submitted, body="Lourd", files=[upload()])
    assert "le maximum est" in caught.value.message_dict["files"][0]
    settings.GRANTS_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    with pytest.raises(ValidationError) as caught:
        services.message_post(
            actor=applicant,
            application=submitted,
            body="Beaucoup",
            files=[upload(f"p{n}.png", png_bytes(), "image/png") for n in range(6)],
        )
    assert caught.value.message_dict["files"] == ["Joignez au plus 5 fichiers à un message."]
    assert not Message.objects.exists()


def test_same_form_token_twice_stores_one_message(submitted, applicant, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.message_post(actor=applicant, application=submitted, body="Bonjour", submit_token="abc")
        again = services.message_post(
            actor=applicant, application=submitted, body="Bonjour", files=[upload()], submit_token="abc"
        )
    assert again.pk == first.pk
    assert again.replayed is True
    assert Message.objects.count() == 1
    assert not Document.objects.filter(kind=DocumentKind.ATTACHMENT).exists()
    assert len(mailoutbox) == 1
    # Another form (another token) is another message, even with the same text.
    services.message_post(actor=applicant, application=submitted, body="Bonjour", submit_token="def")
    assert Message.objects.count() == 2


def test_mark_read_marks_only_the_other_sides_messages(submitted, applicant, instructor):
    from_instructor = message(submitted, author=instructor, from_applicant=False)
    from_applicant = message(submitted, author=applicant, from_applicant=True)
    assert queries.unread_count(submitted, for_applicant=True) == 1
    assert services.messages_mark_read(actor=applicant, application=submitted) == 1
    from_instructor.refresh_from_db()
    from_applicant.refresh_from_db()
    assert from_instructor.read_at is not None
    assert from_applicant.read_at is None
    assert services.messages_mark_read(actor=instructor, application=submitted) == 1
    from_applicant.refresh_from_db()
    assert from_applicant.read_at is not None
    assert services.messages_mark_read(actor=applicant, application=submitted) == 0


def test_applications_of_lists_only_the_persons_businesses(programme, business, applicant, staff):
    mine = dossier(programme=programme, business=business, created_by=applicant)
    dossier(programme=programme, business=BusinessFactory(), status=Status.DRAFT)
    assert list(queries.applications_of(applicant)) == [mine]
    assert list(queries.applications_of(staff("grant_instructor"))) == []


def test_next_steps_follow_the_state(programme, business):
    expected = {
        Status.DRAFT: ("complete", "/modifier/entreprise/"),
        Status.CORRECTIONS: ("correct", "/modifier/entreprise/"),
        Status.SUBMITTED: ("wait", ""),
        Status.UNDER_REVIEW: ("wait", ""),
        Status.ACCEPTED: ("invoices", "/factures/"),
        Status.REFUSED: ("none", ""),
        Status.PAID: ("none", ""),
        Status.CLOSED: ("none", ""),
    }
    for status, (code, path_end) in expected.items():
        application = ApplicationFactory(programme=programme, organisation=business, status=status, decided_amount=0)
        step = queries.main_step(application)
        assert step.code == code, status
        assert step.url.endswith(path_end), status
        codes = [s.code for s in queries.next_steps(application)]
        assert ("decision_letter" in codes) == (status in (Status.ACCEPTED, Status.REFUSED, Status.CLOSED, Status.PAID))
    application = ApplicationFactory(programme=programme, organisation=business, status=Status.UNDER_REVIEW)
    assert queries.main_step(application, unread=2).code == "messages"


def test_junk_references_are_none_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert queries.application_by_reference("x" * 25) is None
        assert queries.application_by_reference("AUV\x00") is None
