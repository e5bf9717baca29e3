"""ENT accounts: activation letters (the PDF read back), one-time codes, activation,
password resets by a teacher or the school's staff, sign-in with an ENT login."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from pypdf import PdfReader

from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry

from ..imports import parse
from ..letters import letters_pdf
from ..models import EntAccount
from ..services import provisioning as services
from .factories import make_parent
from .factories_provisioning import students_csv

User = get_user_model()
PASSWORD = "girafe-volcan-tartine"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def pupils(school_staff, school, klass):
    rows = [["1", "Vermenouze", "Léa", "5e B", "", ""], ["2", "Delort", "Mathis", "5e B", "", ""]]
    services.people_import(
        actor=school_staff, school=school, parsed=parse("students", students_csv(rows)), file_name="x"
    )
    return list(User.objects.filter(school_members__external_id__in=["1", "2"]).order_by("last_name"))


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def code_on(page: str) -> str:
    match = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2})\b", page)
    assert match, page
    return match.group(1)


def test_codes() -> None:
    code = services.new_code()
    assert len(code) == 10
    assert set(code) <= set(services.CODE_ALPHABET)
    assert not set("01OIL") & set(services.CODE_ALPHABET)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}", services.format_code(code))
    encoded = services.hash_code(code)
    assert code not in encoded
    assert services.code_matches(services.format_code(code).lower(), encoded)
    assert services.code_matches(f" {code[:4]} {code[4:]} ", encoded)
    assert not services.code_matches("AAAAAAAAAA", encoded)
    assert not services.code_matches(code, "")


def test_letters_one_page_per_pupil_not_yet_activated(teacher, klass, student, pupils) -> None:
    letters = services.letters_issue(actor=teacher, school_class=klass)
    assert [letter.full_name for letter in letters] == ["Mathis Delort", "Léa Vermenouze"]  # by name; Hugo is active
    pages = pdf_pages(letters_pdf(letters))
    assert len(pages) == 2
    assert "mathis.delort" in pages[0]
    assert "5e B" in pages[0]
    assert "Collège test des Puys" in pages[0]
    assert "/ent/activer/" in pages[0]
    assert "http" in pages[0]
    assert code_on(pages[0]) == letters[0].code
    account = EntAccount.objects.get(login="mathis.delort")
    assert letters[0].code.replace("-", "") not in account.activation_code_hash
    assert JournalEntry.objects.filter(action="learning.letters_issued").exists()


def test_a_code_works_once(teacher, klass, pupils) -> None:
    letter = services.letters_issue(actor=teacher, school_class=klass)[0]
    account = services.activation_check(login=letter.login, code=code_on(pdf_pages(letters_pdf([letter]))[0]))
    user = services.account_activate(account_id=account.pk, code_hash=account.activation_code_hash, password=PASSWORD)
    assert user.check_password(PASSWORD)
    assert EntAccount.objects.get(pk=account.pk).activated_at is not None
    with pytest.raises(services.ActivationError) as info:
        services.activation_check(login=letter.login, code=letter.code)
    assert info.value.code == "used"
    assert "déjà servi" in info.value.messages[0]
    with pytest.raises(services.ActivationError):
        services.account_activate(account_id=account.pk, code_hash=account.activation_code_hash, password=PASSWORD)
    assert JournalEntry.objects.filter(action="learning.account_activated").count() == 1


def test_all_letters_replace_the_codes_already_printed(teacher, klass, student, pupils) -> None:
    first = services.letters_issue(actor=teacher, school_class=klass)
    everyone = services.letters_issue(actor=teacher, school_class=klass, include_activated=True)
    assert len(everyone) == 3
    with pytest.raises(services.ActivationError) as info:
        services.activation_check(login=first[0].login, code=first[0].code)
    assert info.value.code == "wrong"
    assert services.activation_check(login=everyone[0].login, code=everyone[0].code)


def test_wrong_unknown_expired(teacher, klass, pupils) -> None:
    letter = services.letters_issue(actor=teacher, school_class=klass)[0]
    for login, code in (
        (letter.login, "AAAA-BBBB-CC"),
        ("personne.inconnue", letter.code),
        ("", ""),
        (letter.login, ""),
    ):
        with pytest.raises(services.ActivationError) as info:
            services.activation_check(login=login, code=code)
        assert info.value.code == "wrong"
    EntAccount.objects.filter(login=letter.login).update(
        activation_code_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    with pytest.raises(services.ActivationError) as info:
        services.activation_check(login=letter.login.upper(), code=letter.code)
    assert info.value.code == "expired"
    assert "a expiré le" in info.value.messages[0]


def test_weak_password_keeps_the_code(teacher, klass, pupils) -> None:
    letter = services.letters_issue(actor=teacher, school_class=klass)[0]
    account = services.activation_check(login=letter.login, code=letter.code)
    with pytest.raises(services.ValidationError) as info:
        services.account_activate(account_id=account.pk, code_hash=account.activation_code_hash, password="1234")
    assert any("trop court" in m or "court" in m for m in info.value.messages)
    assert services.activation_check(login=letter.login, code=letter.code)


def test_parent_letters(teacher, school_staff, school, klass, pupils) -> None:
    make_parent(pupils[0], first_name="Marie", last_name="Delort", email="marie.delort@example.fr")  # has an email
    parent_without = User.objects.create_user("jean.delort@ent.invalid", None, first_name="Jean", last_name="Delort")
    EntAccount.objects.create(user=parent_without, login="jean.delort")
    from .factories import link_parent

    link_parent(parent_without, pupils[0])
    assert services.letters_summary(klass)["parents"] == 1
    [letter] = services.letters_issue(actor=school_staff, school_class=klass, audience="parents")
    assert letter.login == "jean.delort"
    assert "Mathis Delort (5e B)" in letter.children
    page = pdf_pages(letters_pdf([letter]))[0]
    assert "responsable de Mathis Delort" in page


def test_letters_refused_to_others(klass, parent, student, outsider_teacher, pupils) -> None:
    for actor in (parent, student, outsider_teacher):
        with pytest.raises(NotAllowed):
            services.letters_issue(actor=actor, school_class=klass)


def test_empty_pdf_says_so() -> None:
    assert "Aucune lettre" in pdf_pages(letters_pdf([]))[0]


# --- resets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["teacher", "school_staff"])
def test_reset_by_teacher_or_staff(request, who, student, client) -> None:
    actor = request.getfixturevalue(who)
    student.set_password(PASSWORD)
    student.save()
    client.force_login(student)
    assert client.get("/ent/connexion/").status_code == 302  # signed in
    letter = services.student_password_reset(actor=actor, student=student)
    student.refresh_from_db()
    assert not student.has_usable_password()
    assert letter.login == "hugo.teyssedou"
    assert letter.class_name == "5e B"
    # Signed out everywhere: the session's password hash no longer matches.
    assert client.get("/ent/connexion/").status_code == 200
    account = services.activation_check(login="hugo.teyssedou", code=letter.code)
    assert account.activated_at is None
    entry = JournalEntry.objects.get(action="learning.password_reset")
    assert entry.actor_id == actor.pk
    assert entry.target_id == str(student.pk)


def test_reset_refused(student, parent, outsider_teacher, outsider_student, head) -> None:
    for actor in (parent, outsider_teacher, outsider_student):
        with pytest.raises(NotAllowed):
            services.student_password_reset(actor=actor, student=student)
    with pytest.raises(NotAllowed):
        services.student_password_reset(actor=head, student=outsider_student)


def test_reset_of_a_pupil_without_ent_login(teacher, student) -> None:
    EntAccount.objects.filter(user=student).delete()
    with pytest.raises(services.ValidationError):
        services.student_password_reset(actor=teacher, student=student)


# --- sign-in ---------------------------------------------------------------------------------------


def test_identifier_to_address(student) -> None:
    assert services.email_for_identifier(" Hugo.Teyssedou ") == "hugo.teyssedou@ent.invalid"
    assert services.email_for_identifier("Someone@Example.fr") == "someone@example.fr"
    assert services.email_for_identifier("nobody") == ""


def test_rate_limit_counts_per_login_and_address() -> None:
    for _ in range(services.MAX_FAILURES_PER_LOGIN):
        assert not services.too_many_failures("hugo", "10.0.0.1")
        services.failure_record("hugo", "10.0.0.1")
    assert services.too_many_failures("HUGO", "10.0.0.2")  # per login, whatever the address
    assert not services.too_many_failures("lea", "10.0.0.1")
    services.failures_clear("hugo")
    assert not services.too_many_failures("hugo", "10.0.0.3")
