"""Year rollover: new classes, pupils re-enrolled, leavers, idempotence, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cybercantal.accounts.models import Role, RoleMembership
from cybercantal.accounts.services import NotAllowed
from cybercantal.learning.models import Enrolment, SchoolClass, SchoolMember, Teaching
from cybercantal.learning.services import schools as services

from .factories import SchoolClassFactory, SchoolYearFactory, UserFactory, make_teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def years():
    old = SchoolYearFactory(starts_on=dt.date(2020, 9, 1))
    new = SchoolYearFactory(starts_on=dt.date(2021, 9, 1))
    return old, new


@pytest.fixture
def old_school(school, school_staff, years, maths):
    """Classes of 2020-2021 with pupils: 6e A (3), 5e A (2), 3e A (2), a Latin group."""
    old, _new = years
    classes = {}
    for name, count in (("6e A", 3), ("5e A", 2), ("3e A", 2)):
        classes[name] = SchoolClassFactory(school=school, year=old, name=name, level=name[:2])
        for index in range(count):
            pupil = UserFactory(last_name=f"Élève {name} {index}")
            services.enrol_student(actor=school_staff, school_class=classes[name], student=pupil)
    SchoolClassFactory(school=school, year=old, name="Latin 5e", kind="group")
    make_teacher(classes["6e A"], maths)
    return classes


def test_default_promotion():
    assert services.default_promotion("6e A") == "5e A"
    assert services.default_promotion("5e SEGPA") == "4e SEGPA"
    assert services.default_promotion("4e B") == "3e B"
    assert services.default_promotion("3e A") is None
    assert services.default_promotion("ULIS") == "ULIS"


def test_preview(school, years, old_school):
    old, new = years
    plan = services.rollover_preview(school, old, new)
    assert [(r.school_class.name, r.pupils, r.target) for r in plan.rows] == [
        ("3e A", 2, None),
        ("5e A", 2, "4e A"),
        ("6e A", 3, "5e A"),
    ]
    assert (plan.pupils, plan.leavers, plan.groups) == (7, 2, 1)


def _promotions(classes):
    return {c.pk: services.default_promotion(c.name) for c in classes.values()}


def test_apply_then_again_changes_nothing(school, school_staff, years, old_school):
    old, new = years
    result = services.rollover_apply(actor=school_staff, school=school, to_year=new, promotions=_promotions(old_school))
    assert (result.classes_created, result.pupils_moved, result.leavers) == (2, 5, 2)
    new_classes = {c.name: c for c in SchoolClass.objects.filter(school=school, year=new)}
    assert set(new_classes) == {"5e A", "4e A"}
    assert new_classes["5e A"].level == "5e"
    assert Enrolment.objects.filter(school_class=new_classes["5e A"]).count() == 3
    assert not Teaching.objects.filter(school_class__year=new).exists()  # teachings not carried
    leavers = SchoolMember.objects.filter(user__enrolments__school_class=old_school["3e A"])
    assert {m.left_on for m in leavers} == {old.ends_on}
    for member in leavers:
        membership = RoleMembership.objects.get(user=member.user, role=Role.STUDENT)
        assert membership.ends_on is not None
    again = services.rollover_apply(actor=school_staff, school=school, to_year=new, promotions=_promotions(old_school))
    assert (again.classes_created, again.pupils_moved, again.leavers) == (0, 0, 0)
    assert again.pupils_already_placed == 5
    assert Enrolment.objects.filter(year=new).count() == 5


def test_all_or_nothing_on_a_name_clash(school, school_staff, years, old_school):
    _old, new = years
    SchoolClassFactory(school=school, year=new, name="4e A", kind="group")
    before = (
        SchoolClass.objects.count(),
        Enrolment.objects.count(),
        SchoolMember.objects.filter(left_on__isnull=False).count(),
    )
    with pytest.raises(ValidationError) as error:
        services.rollover_apply(actor=school_staff, school=school, to_year=new, promotions=_promotions(old_school))
    assert "déjà le nom d'un groupe" in str(error.value)
    after = (
        SchoolClass.objects.count(),
        Enrolment.objects.count(),
        SchoolMember.objects.filter(left_on__isnull=False).count(),
    )
    assert before == after


def test_two_classes_into_one_is_refused(school, school_staff, years, old_school):
    _old, new = years
    promotions = _promotions(old_school)
    promotions[old_school["5e A"].pk] = "5E A "
    with pytest.raises(ValidationError, match="deviendraient toutes deux"):
        services.rollover_apply(actor=school_staff, school=school, to_year=new, promotions=promotions)
    assert not SchoolClass.objects.filter(year=new).exists()


def test_refusals(school, school_staff, years, old_school, other_class, teacher):
    old, new = years
    with pytest.raises(ValidationError):
        services.rollover_apply(actor=school_staff, school=school, to_year=new, promotions={other_class.pk: "X"})
    with pytest.raises(ValidationError, match="doit suivre"):
        services.rollover_apply(actor=school_staff, school=school, to_year=old, promotions=_promotions(old_school))
    with pytest.raises(NotAllowed):
        services.rollover_apply(actor=teacher, school=school, to_year=new, promotions=_promotions(old_school))
    promotions = _promotions(old_school)
    promotions[old_school["6e A"].pk] = "x" * 80
    with pytest.raises(ValidationError, match="pas valable"):
        services.rollover_apply(actor=school_staff, school=school, to_year=new, promotions=promotions)


def test_a_pupil_already_placed_keeps_his_class(school, school_staff, years, old_school):
    _old, new = years
    pupil = old_school["6e A"].enrolments.first().student
    elsewhere = SchoolClassFactory(school=school, year=new, name="5e B")
    services.enrol_student(actor=school_staff, school_class=elsewhere, student=pupil)
    result = services.rollover_apply(actor=school_staff, school=school, to_year=new, promotions=_promotions(old_school))
    assert result.pupils_already_placed == 1
    assert Enrolment.objects.get(student=pupil, year=new).school_class == elsewhere


def test_rollover_page_preview_and_confirm(client, school, school_staff, klass):
    """This year's classes go to next year (the page picks the years)."""
    client.force_login(school_staff)
    url = reverse("learning:rollover", args=[school.uai])
    body = client.get(url).content.decode()
    assert "5e B" in body
    assert 'value="4e B"' in body
    response = client.post(url, {f"target_{klass.pk}": "4e B"})
    assert response.status_code == 302
    assert SchoolClass.objects.filter(school=school, name="4e B").exists()
    # A clash shows a French error and changes nothing.
    SchoolClass.objects.filter(name="4e B").update(kind="group")
    Enrolment.objects.filter(school_class__name="4e B").delete()
    response = client.post(url, {f"target_{klass.pk}": "4e B"})
    assert response.status_code == 200
    assert "Rien n" in response.content.decode()
    response = client.post(url, {f"target_{klass.pk}": "x" * 500})
    assert response.status_code == 200
