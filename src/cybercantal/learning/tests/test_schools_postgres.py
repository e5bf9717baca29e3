"""Two school staff members at once, with real parallel connections (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cybercantal.accounts.models import Role, RoleMembership
from cybercantal.core.testing import run_in_parallel
from cybercantal.learning.models import Enrolment, SchoolClass
from cybercantal.learning.services import schools as services

from .factories import SchoolClassFactory, SchoolFactory, UserFactory, make_staff


def _two_staff():
    school = SchoolFactory()
    return school, [make_staff(school), make_staff(school)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_create_the_same_class_one_wins():
    school, staff = _two_staff()

    def create(actor):
        try:
            services.class_create(actor=actor, school=school, name="6e C")
        except ValidationError as exc:
            return exc.message_dict["name"][0]
        return "ok"

    results = run_in_parallel(create, staff, timeout=60)
    assert sorted(results)[0].startswith("Une classe ou un groupe « 6e C » existe déjà")
    assert sorted(results)[1] == "ok"
    assert SchoolClass.objects.filter(school=school, name="6e C").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_enrol_the_same_pupil_in_the_same_class():
    school, staff = _two_staff()
    klass = SchoolClassFactory(school=school, name="6e A")
    pupil = UserFactory()

    def enrol(actor):
        services.enrol_student(actor=actor, school_class=klass, student=pupil)
        return "ok"

    assert run_in_parallel(enrol, staff, timeout=60) == ["ok", "ok"]
    assert Enrolment.objects.filter(student=pupil).count() == 1
    assert RoleMembership.objects.filter(user=pupil, role=Role.STUDENT).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_enrol_a_pupil_in_two_classes_at_once():
    school, staff = _two_staff()
    a = SchoolClassFactory(school=school, name="6e A")
    b = SchoolClassFactory(school=school, name="6e B")
    pupil = UserFactory()

    def enrol(pair):
        actor, klass = pair
        try:
            services.enrol_student(actor=actor, school_class=klass, student=pupil)
        except ValidationError as exc:
            return " ".join(exc.messages)
        return "ok"

    results = run_in_parallel(enrol, [(staff[0], a), (staff[1], b)], timeout=60)
    assert "ok" in results
    for result in results:
        assert result == "ok" or "vient d'être inscrit(e) dans une autre classe" in result
    assert Enrolment.objects.filter(student=pupil, is_group=False).count() == 1
