"""On PostgreSQL, with real parallel connections: the same import run twice at once creates
each person once (the second waits for the first); two schools importing namesakes at once
never share a login; two activations with the same code at once: exactly one succeeds."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cybercantal.core.db import is_postgres
from cybercantal.core.testing import run_in_parallel

from ..imports import parse
from ..models import EntAccount, ImportRun, SchoolMember
from ..services import provisioning as services
from .factories import SchoolClassFactory, make_staff
from .factories_provisioning import pupil_rows, students_csv

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
User = get_user_model()


def test_the_same_import_twice_at_once_creates_each_pupil_once() -> None:
    assert is_postgres()
    klass = SchoolClassFactory(name="5e B")
    school = klass.school
    staff = [make_staff(school), make_staff(school)]
    data = students_csv(pupil_rows(60))

    def do(actor):  # type: ignore[no-untyped-def]
        try:
            run = services.people_import(actor=actor, school=school, parsed=parse("students", data), file_name="x")
        except services.ImportConflictError:
            return "conflict"
        return (run.created, run.unchanged)

    results = run_in_parallel(do, staff, timeout=60)
    assert sorted(results) == [(0, 60), (60, 0)]  # the second waited, then found everyone
    assert SchoolMember.objects.filter(school=school, kind="student").count() == 60
    assert ImportRun.objects.count() == 2


def test_two_schools_importing_namesakes_at_once_never_share_a_login() -> None:
    classes = [SchoolClassFactory(name="5e B"), SchoolClassFactory(name="5e B")]
    data = students_csv(pupil_rows(40))

    def do(klass):  # type: ignore[no-untyped-def]
        actor = make_staff(klass.school)
        try:
            services.people_import(actor=actor, school=klass.school, parsed=parse("students", data), file_name="x")
        except services.ImportConflictError as exc:
            return f"conflict: {exc.messages[0]}"
        return "ok"

    results = run_in_parallel(do, classes, timeout=60)
    assert "ok" in results
    assert all(r == "ok" or "Recommencez" in r for r in results)
    logins = list(EntAccount.objects.values_list("login", flat=True))
    assert len(logins) == len(set(logins)) == 40 * results.count("ok")
    # A refused import is simply run again.
    for klass, result in zip(classes, results, strict=True):
        if result != "ok":
            assert do(klass) == "ok"
    assert EntAccount.objects.count() == 80


def test_two_activations_with_the_same_code_at_once() -> None:
    klass = SchoolClassFactory(name="5e B")
    staff = make_staff(klass.school)
    services.people_import(
        actor=staff, school=klass.school, parsed=parse("students", students_csv(pupil_rows(1))), file_name="x"
    )
    [letter] = services.letters_issue(actor=staff, school_class=klass)
    account = services.activation_check(login=letter.login, code=letter.code)

    def do(password: str) -> str:
        try:
            services.account_activate(account_id=account.pk, code_hash=account.activation_code_hash, password=password)
        except services.ActivationError:
            return "used"
        return password

    passwords = [f"girafe-volcan-tartine-{i}" for i in range(6)]
    results = run_in_parallel(do, passwords, timeout=60)
    winners = [r for r in results if r != "used"]
    assert len(winners) == 1
    user = User.objects.get(pk=account.user_id)
    assert user.check_password(winners[0])
