"""The instruction demo: a dozen dossiers across cantons at every stage, valid SIRETs, letters
for the decisions, idempotent."""

from __future__ import annotations

import pytest
from stdnum.fr import siret as stdnum_siret

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Role
from cybercantal.places.tests.factories import UserFactory, give_totp, grant

from ..demo import instruction as demo
from ..models import Application, Document, DocumentKind, Status
from ..queries.envelope import envelope
from .factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def test_demo_without_programme_creates_nothing():
    assert demo.load() == {demo.KEY: 0}


def test_demo_dossiers_at_every_stage_and_idempotent(territory):
    programme = ProgrammeFactory(slug="auverdata", code="AUV", name="Auverdata")
    instructor = UserFactory(email=demo_email(Role.GRANT_INSTRUCTOR))
    give_totp(instructor)
    grant(instructor, Role.GRANT_INSTRUCTOR)
    assert demo.load() == {demo.KEY: len(demo.DOSSIERS)}
    dossiers = Application.objects.filter(programme=programme)
    assert dossiers.count() == len(demo.DOSSIERS) >= 12
    assert set(dossiers.values_list("status", flat=True)) == {
        Status.SUBMITTED,
        Status.UNDER_REVIEW,
        Status.CORRECTIONS,
        Status.ACCEPTED,
        Status.REFUSED,
        Status.CLOSED,
    }
    assert dossiers.filter(instructor=instructor).count() >= 4
    assert dossiers.exclude(canton=None).values("canton").distinct().count() >= 8
    for application in dossiers:
        assert stdnum_siret.is_valid(application.siret), application.siret
        assert application.lines.exists()
        assert application.computed_aid > 0
    decided = dossiers.filter(status__in=[Status.ACCEPTED, Status.REFUSED, Status.CLOSED])
    assert Document.objects.filter(application__in=decided, kind=DocumentKind.DECISION).count() == decided.count()
    assert envelope(programme).committed <= programme.budget
    assert demo.load() == {demo.KEY: 0}
    assert Application.objects.count() == len(demo.DOSSIERS)
