"""An instructor who also applies for a business never instructs, decides or pays its dossiers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cybercantal.accounts.models import Role
from cybercantal.accounts.services import NotAllowed
from cybercantal.places.tests.factories import grant

from ..models import Status
from ..services import instruction
from .factories import ApplicationFactory, ExpenseLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_dossier(programme, business, instructor):
    grant(instructor, Role.BUSINESS_APPLICANT, business)
    application = ApplicationFactory(programme=programme, organisation=business, status=Status.SUBMITTED)
    ExpenseLineFactory(application=application, amount=Decimal("3200.00"))
    return application


def test_permissions_say_no_on_the_own_business_only(own_dossier, instructor, programme):
    for perm in ("grants.instruct", "grants.decide", "grants.reopen_decision", "grants.record_payment"):
        assert not instructor.has_perm(perm, own_dossier), perm
        assert instructor.has_perm(perm), perm  # the queue and the other dossiers
        assert instructor.has_perm(perm, ApplicationFactory(programme=programme, status=Status.SUBMITTED)), perm


def test_the_service_refuses_to_take_or_decide_it(own_dossier, instructor):
    with pytest.raises(NotAllowed):
        instruction.application_take(actor=instructor, application=own_dossier)
    own_dossier.refresh_from_db()
    assert own_dossier.status == Status.SUBMITTED


def test_the_review_page_is_refused(client, own_dossier, instructor):
    client.force_login(instructor)
    response = client.post(f"/aides/instruction/{own_dossier.reference}/prendre/")
    assert response.status_code in (403, 404)
    own_dossier.refresh_from_db()
    assert own_dossier.status == Status.SUBMITTED
