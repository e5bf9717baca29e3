"""A double click on « Envoyer le message » sends the same form twice at the same moment, on
PostgreSQL with real threads and their own connections: one message is stored, both answers
lead to it (no 500)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cybercantal.accounts.models import Role
from cybercantal.core.testing import run_in_parallel

from ..models import Message, Status
from ..services import messages as services
from .factories import BusinessFactory, ProgrammeFactory
from .factories_dossier import dossier

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting():
    from cybercantal.places.tests.factories import UserFactory, grant

    business = BusinessFactory()
    applicant = UserFactory()
    grant(applicant, Role.BUSINESS_APPLICANT, business)
    application = dossier(
        programme=ProgrammeFactory(), business=business, created_by=applicant, status=Status.UNDER_REVIEW
    )
    return application, applicant


def test_same_token_posted_five_times_at_once_stores_one_message(setting):
    application, applicant = setting

    def post(_n):
        try:
            message = services.message_post(
                actor=applicant, application=application, body="Une seule fois", submit_token="double-clic"
            )
        except Exception as exc:  # noqa: BLE001 - a 500 in real life: the test must say which
            return f"error: {exc!r}"
        return message.pk

    results = run_in_parallel(post, range(5))
    assert len(set(results)) == 1, results
    assert Message.objects.filter(application=application).count() == 1


def test_double_click_through_the_view_no_500(setting):
    application, applicant = setting
    url = reverse("grants:messages", kwargs={"ref": application.reference})
    clients = []
    for _ in range(3):
        client = Client()
        client.force_login(applicant)
        clients.append(client)

    def post(client):
        return client.post(url, {"jeton": "meme-jeton", "body": "Bonjour"}).status_code

    assert run_in_parallel(post, clients) == [302, 302, 302]
    assert Message.objects.filter(application=application).count() == 1
