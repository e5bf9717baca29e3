"""The imports against the database: what is created, updated, left alone; idempotence;
leavers; teachers with subjects and classes; parents; all or nothing; speed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from cybercantal.accounts.models import Role, RoleMembership
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry

from ..imports import ImportFileError, parse
from ..models import Enrolment, EntAccount, ImportRun, ParentLink, SchoolMember, Teaching
from ..services import provisioning as services
from .factories import SchoolClassFactory, SubjectFactory
from .factories_provisioning import group, parents_csv, students_csv, teachers_csv

User = get_user_model()


def run(actor, school, kind: str, data: bytes, **kwargs):  # type: ignore[no-untyped-def]
    return services.people_import(actor=actor, school=school, parsed=parse(kind, data), file_name="f.csv", **kwargs)


def plan(actor, school, kind: str, data: bytes):  # type: ignore[no-untyped-def]
    return services.import_plan(actor=actor, school=school, parsed=parse(kind, data))


@pytest.fixture
def latin(school):
    return group(school, "Latin 5e")


@pytest.fixture
def quatre_a(school):
    return SchoolClassFactory(school=school, name="4e A", level="4e")


PUPILS = [
    ["4512", "Teyssedou", "Hugo", "5e B", "Latin 5e", ""],
    ["4513", "Vermenouze", "Léa", "5e b", "", ""],
    ["4514", "D'Alembert-Lafon", "Jean Luc", "5E B", "", ""],
]


def test_student_import_creates_accounts(school_staff, school, klass, latin, student) -> None:
    run_ = run(school_staff, school, "students", students_csv(PUPILS))
    assert (run_.created, run_.updated, run_.unchanged, run_.left) == (3, 0, 0, 0)
    hugo = SchoolMember.objects.get(school=school, external_id="4512").user
    # The fixture's pupil already has "hugo.teyssedou": the new Hugo gets the next one.
    assert hugo.ent_account.login == "hugo.teyssedou2"
    assert hugo.email == "hugo.teyssedou2@ent.invalid"
    assert not hugo.has_usable_password()
    assert hugo.ent_account.activated_at is None
    assert set(Enrolment.objects.filter(student=hugo).values_list("school_class__name", "is_group")) == {
        ("5e B", False),
        ("Latin 5e", True),
    }
    assert RoleMembership.objects.active().filter(user=hugo, role=Role.STUDENT).for_scope(school.organisation).exists()
    jean = SchoolMember.objects.get(school=school, external_id="4514").user
    assert jean.ent_account.login == "jeanluc.dalembert-lafon"
    entry = JournalEntry.objects.get(action="learning.import")
    assert entry.data["created"] == 3
    assert entry.target_id == str(run_.pk)


def test_same_file_twice_changes_nothing(school_staff, school, klass, latin) -> None:
    run(school_staff, school, "students", students_csv(PUPILS))
    users = User.objects.count()
    again = run(school_staff, school, "students", students_csv(PUPILS, encoding="cp1252", delimiter=","))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert User.objects.count() == users
    assert ImportRun.objects.count() == 2


def test_later_file_updates_names_classes_and_groups(school_staff, school, klass, latin, quatre_a) -> None:
    run(school_staff, school, "students", students_csv(PUPILS))
    later = [
        ["4512", "Teyssedou", "Hugo", "4e A", "", ""],  # new class, no more Latin
        ["4513", "Vermenouze-Salers", "Léa", "5e B", "Latin 5e", ""],  # name, group
        ["4514", "D'Alembert-Lafon", "Jean Luc", "5e B", "", ""],
    ]
    preview = plan(school_staff, school, "students", students_csv(later))
    assert {p.row.external_id: p.changes for p in preview.update} == {
        "4512": ["classe", "groupes"],
        "4513": ["nom", "groupes"],
    }
    result = run(school_staff, school, "students", students_csv(later))
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    hugo = SchoolMember.objects.get(external_id="4512").user
    assert list(Enrolment.objects.filter(student=hugo).values_list("school_class__name", flat=True)) == ["4e A"]
    lea = SchoolMember.objects.get(external_id="4513").user
    assert lea.last_name == "Vermenouze-Salers"
    assert lea.ent_account.login == "lea.vermenouze"  # the login does not change


def test_unknown_class_and_group_used_as_class(school_staff, school, klass, latin) -> None:
    data = students_csv(
        [PUPILS[0], ["9", "Delort", "Mathis", "5e Z", "", ""], ["10", "Roux", "Anna", "Latin 5e", "", ""]]
    )
    with pytest.raises(ImportFileError) as info:
        run(school_staff, school, "students", data)
    assert [(p.line, p.column) for p in info.value.problems] == [(3, "Classe"), (4, "Classe")]
    assert "« 5e Z » n'existe pas" in info.value.problems[0].message
    assert "est un groupe" in info.value.problems[1].message
    assert not SchoolMember.objects.filter(external_id="4512").exists()  # nothing imported
    assert not ImportRun.objects.exists()


def test_class_of_another_school_or_year_is_unknown(school_staff, school, klass, other_class) -> None:
    data = students_csv([["1", "Roux", "Anna", "5e A", "", ""]])  # 5e A is another school's
    with pytest.raises(ImportFileError):
        run(school_staff, school, "students", data)


def test_leavers_only_when_asked(school_staff, school, klass, latin, student) -> None:
    run(school_staff, school, "students", students_csv(PUPILS))
    partial = students_csv(PUPILS[:1])
    preview = plan(school_staff, school, "students", partial)
    assert preview.counts["leavers"] == 2  # the fixture's pupil has no external id: never counted
    result = run(school_staff, school, "students", partial)
    assert result.left == 0
    assert not SchoolMember.objects.filter(left_on__isnull=False).exists()
    result = run(school_staff, school, "students", partial, mark_leavers=True)
    assert result.left == 2
    today = timezone.localdate()
    leavers = SchoolMember.objects.filter(left_on=today)
    assert set(leavers.values_list("external_id", flat=True)) == {"4513", "4514"}
    lea = SchoolMember.objects.get(external_id="4513").user
    assert not RoleMembership.objects.filter(user=lea, role=Role.STUDENT).filter(ends_on__isnull=True).exists()
    # Marking again: they are already gone.
    assert run(school_staff, school, "students", partial, mark_leavers=True).left == 0
    # Coming back: in the next file again.
    back = run(school_staff, school, "students", students_csv(PUPILS))
    assert back.updated == 2
    assert SchoolMember.objects.get(external_id="4513").left_on is None


def test_departure_date_in_the_file(school_staff, school, klass) -> None:
    run(school_staff, school, "students", students_csv([["1", "Delort", "Mathis", "5e B", "", ""]]))
    day = timezone.localdate() - dt.timedelta(days=3)
    result = run(
        school_staff,
        school,
        "students",
        students_csv([["1", "Delort", "Mathis", "5e B", "", day.strftime("%d/%m/%Y")]]),
    )
    assert result.updated == 1
    member = SchoolMember.objects.get(external_id="1")
    assert member.left_on == day
    # The role (given today) ends on its first day.
    assert RoleMembership.objects.get(user=member.user, role=Role.STUDENT).ends_on == timezone.localdate()


def test_only_the_schools_staff_imports(teacher, head, school, klass, latin, outsider_teacher) -> None:
    with pytest.raises(NotAllowed):
        run(outsider_teacher, school, "students", students_csv(PUPILS[:1]))
    # A teacher of the school imports the pupils of her classes only (she does not teach the
    # Latin group): see test_provisioning_teacher.py.
    with pytest.raises(ImportFileError, match="vous n'enseignez pas en « Latin 5e »"):
        run(teacher, school, "students", students_csv(PUPILS[:1]))
    assert run(head, school, "students", students_csv(PUPILS[:1])).created == 1  # the head is staff too


def test_thousand_pupils_in_bounded_queries(school_staff, school, klass, django_assert_max_num_queries) -> None:
    classes = [klass] + [SchoolClassFactory(school=school, name=f"6e {c}", level="6e") for c in "ABCDEFGHJ"]
    rows = [[str(10_000 + i), f"Nomtest{i % 300}", f"Prénom{i % 7}", classes[i % 10].name, "", ""] for i in range(1000)]
    data = students_csv(rows)
    result = run(school_staff, school, "students", data)
    assert result.created == 1000
    assert len(set(EntAccount.objects.values_list("login", flat=True))) == 1000
    # The second run reads in a fixed number of queries, whatever the number of rows.
    with django_assert_max_num_queries(30):
        again = run(school_staff, school, "students", data)
    assert again.unchanged == 1000


# --- teachers ------------------------------------------------------------------------------------


@pytest.fixture
def subjects(db):
    return {
        "MATHS": SubjectFactory(code="MATHS", name="Mathématiques"),
        "HIST-GEO": SubjectFactory(code="HIST-GEO", name="Histoire-géographie", short_name="Histoire-géo"),
        "LATIN": SubjectFactory(code="LATIN", name="Latin"),
    }


TEACHERS = [
    ["E102", "Bonnefoy", "Claire", "claire.bonnefoy@ac-clermont.fr", "Mathématiques", "5e B|4e A", "5e B"],
    ["E117", "Rouchy", "Paul", "paul.rouchy@ac-clermont.fr", "", "5e B:histoire-géo|Latin 5e:LATIN", ""],
]


def test_teacher_import(
    school_staff, school, klass, latin, quatre_a, subjects, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        result = run(school_staff, school, "teachers", teachers_csv(TEACHERS))
    assert result.created == 2
    claire = User.objects.get(email="claire.bonnefoy@ac-clermont.fr")
    assert not claire.has_usable_password()
    assert set(
        Teaching.objects.filter(teacher=claire).values_list("school_class__name", "subject__code", "is_main_teacher")
    ) == {
        ("5e B", "MATHS", True),
        ("4e A", "MATHS", False),
    }
    assert RoleMembership.objects.active().filter(user=claire, role=Role.TEACHER).exists()
    assert claire.emailaddress_set.get().verified
    sent = [m for m in mailoutbox if "claire.bonnefoy@ac-clermont.fr" in m.to]
    assert len(sent) == 1
    assert "Choisissez votre mot de passe" in sent[0].body
    assert "/compte/" in sent[0].body
    with django_capture_on_commit_callbacks(execute=True):
        again = run(school_staff, school, "teachers", teachers_csv(TEACHERS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert len(mailoutbox) == 2  # no second invitation


def test_teacher_classes_follow_the_file(school_staff, school, klass, latin, quatre_a, subjects) -> None:
    run(school_staff, school, "teachers", teachers_csv(TEACHERS))
    changed = [["E102", "Bonnefoy", "Claire", "claire.bonnefoy@ac-clermont.fr", "MATHS", "4e A", "4e A"], TEACHERS[1]]
    result = run(school_staff, school, "teachers", teachers_csv(changed))
    assert (result.updated, result.unchanged) == (1, 1)
    claire = User.objects.get(email="claire.bonnefoy@ac-clermont.fr")
    assert list(Teaching.objects.filter(teacher=claire).values_list("school_class__name", "is_main_teacher")) == [
        ("4e A", True)
    ]


def test_existing_account_is_reused(school_staff, school, klass, subjects, outsider_teacher, mailoutbox) -> None:
    row = ["X1", "Autre", "Prof", outsider_teacher.email.upper(), "MATHS", "5e B", ""]
    assert run(school_staff, school, "teachers", teachers_csv([row])).created == 1
    assert SchoolMember.objects.filter(user=outsider_teacher, school=school, kind="teacher").exists()
    assert mailoutbox == []  # they already have an account


def test_unknown_subject_and_class(school_staff, school, klass, subjects) -> None:
    data = teachers_csv([["E1", "A", "B", "a@example.fr", "Chimie", "5e B|3e C:MATHS", "3e C"]])
    with pytest.raises(ImportFileError) as info:
        run(school_staff, school, "teachers", data)
    assert {(p.line, p.column) for p in info.value.problems} == {
        (2, "Classes"),
        (2, "Matières"),
        (2, "Professeur principal"),
    }


# --- parents -------------------------------------------------------------------------------------


def test_parent_import(school_staff, school, klass, latin, mailoutbox, django_capture_on_commit_callbacks) -> None:
    run(school_staff, school, "students", students_csv(PUPILS[:2]))
    rows = [
        ["4512", "Teyssedou", "Nadia", "mère", "nadia.teyssedou@example.fr"],
        ["4512", "Teyssedou", "Marc", "père", ""],
        ["4513", "Teyssedou", "Marc", "autre", ""],  # the same father, for a second child
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = run(school_staff, school, "parents", parents_csv(rows))
    assert result.created == 3
    marc = User.objects.get(first_name="Marc")
    assert marc.ent_account.login == "marc.teyssedou"
    assert ParentLink.objects.filter(parent=marc).count() == 2
    nadia = User.objects.get(email="nadia.teyssedou@example.fr")
    assert not hasattr(nadia, "ent_account") or nadia.ent_account is None
    assert RoleMembership.objects.active().filter(user=marc, role=Role.PARENT, scope_type__isnull=True).exists()
    assert [m.to for m in mailoutbox] == [["nadia.teyssedou@example.fr"]]
    again = run(school_staff, school, "parents", parents_csv(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    rows[2][3] = "père"
    assert run(school_staff, school, "parents", parents_csv(rows)).updated == 1
    assert ParentLink.objects.get(parent=marc, student__last_name="Vermenouze").relation == "father"


def test_parent_of_an_unknown_pupil(school_staff, school, klass) -> None:
    with pytest.raises(ImportFileError) as info:
        run(school_staff, school, "parents", parents_csv([["999", "A", "B", "mère", ""]]))
    assert "importez d'abord les élèves" in info.value.problems[0].message


def test_no_school_year(school_staff, school) -> None:
    from ..models import SchoolYear

    SchoolYear.objects.all().delete()
    with pytest.raises(ImportFileError) as info:
        plan(school_staff, school, "students", students_csv(PUPILS))
    assert "année scolaire" in info.value.problems[0].message


def test_logins() -> None:
    assert services.login_base("Élodie", "Çà Ñoño") == "elodie.canono"
    assert services.login_base("", "") == "eleve"
    assert services.login_base("Jean--Marc", "O'Brien") == "jean-marc.obrien"
    assert len(services.login_base("A" * 100, "B" * 100)) <= 60


def test_unique_logins(db) -> None:
    assert services.unique_logins(["a.b", "a.b", "a.b"]) == ["a.b", "a.b2", "a.b3"]
