"""Demo data of the part "schools": complete, idempotent, fast."""

from __future__ import annotations

import pytest

from cybercantal.accounts.demo import demo_email, load_demo_accounts
from cybercantal.accounts.models import Role
from cybercantal.learning.access import access_for
from cybercantal.learning.demo import schools as demo
from cybercantal.learning.models import Enrolment, School, SchoolClass, SchoolMember, Teaching
from cybercantal.learning.queries.schools import current_year

from .factories_schools import college_place

pytestmark = pytest.mark.django_db


def test_demo_loads_once_and_gives_the_demo_people_their_places():
    for name in ("Collège test Zèbre", "Collège test Aulne", "Collège test Mûrier"):
        college_place(name=name)
    load_demo_accounts()
    counts = demo.load()
    assert counts["collèges"] == 3
    school = School.objects.get(organisation__name=demo.DEMO_ORGANISATION)
    assert school.place.name == "Collège test Aulne"  # the first by name
    assert School.objects.filter(uai="0150001B").exists()
    year = current_year()
    assert SchoolClass.objects.filter(school=school, year=year, kind="class").count() == 8
    assert SchoolClass.objects.filter(school=school, year=year, kind="group").count() == 2
    for school_class in SchoolClass.objects.filter(school=school, year=year, kind="class"):
        assert 20 <= school_class.enrolments.count() <= 26
    from cybercantal.accounts.models import User

    hugo = User.objects.get(email=demo_email(Role.STUDENT))
    names = set(Enrolment.objects.filter(student=hugo, year=year).values_list("school_class__name", flat=True))
    assert names == {"5e B", "Latin 5e"}
    claire = User.objects.get(email=demo_email(Role.TEACHER))
    assert set(Teaching.objects.filter(teacher=claire).values_list("school_class__name", flat=True)) == {"5e B", "4e A"}
    assert Teaching.objects.get(teacher=claire, school_class__name="5e B").is_main_teacher
    parent = User.objects.get(email=demo_email(Role.PARENT))
    assert hugo.pk in access_for(parent).child_ids
    head = User.objects.get(email=demo.HEAD_EMAIL)
    assert head.check_password("cantal-demo-2026")
    assert school.pk in access_for(head).head_school_ids
    assert SchoolMember.objects.filter(user__email=demo.ENT_ADMIN_EMAIL, kind="staff", is_head=False).exists()
    pupil = Enrolment.objects.filter(school_class__name="6e A", student__ent_account__isnull=False).first().student
    assert pupil.email.endswith("@ent.invalid")
    assert school.pk in access_for(pupil).student_school_ids
    # Twice: nothing new.
    before = (Enrolment.objects.count(), SchoolMember.objects.count(), User.objects.count(), Teaching.objects.count())
    again = demo.load()
    assert all(value == 0 for key, value in again.items() if key != "années scolaires")
    after = (Enrolment.objects.count(), SchoolMember.objects.count(), User.objects.count(), Teaching.objects.count())
    assert before == after


def test_demo_without_places_or_accounts():
    assert demo.load()["collèges"] == 0
