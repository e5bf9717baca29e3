""" "Demander de l'aide": request recorded without personal data, counted, emailed to the host
place's agents only, floods refused; usage counts are race-safe."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.testing import run_in_parallel
from cybercantal.kiosks.models import HelpRequest, HelpRequestStatus, UsageCount, UsageMetric
from cybercantal.kiosks.services import kiosk_mode as services

from .factories_kiosk_mode import small_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    return small_catalogue()


def test_help_request_from_procedure_page(
    client, kiosk, other_kiosk, catalogue, agent, staff, django_capture_on_commit_callbacks
):
    other_agent = staff(Role.KIOSK_AGENT, other_kiosk.place)
    mediator_here = staff(Role.MEDIATOR, kiosk.place)
    kiosk.help_location = "au guichet d'accueil, à votre gauche"
    kiosk.save()
    client.get("/borne/murat/demarche/carte-identite/")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/borne/murat/aide/", {"categorie": "identity", "demarche": "carte-identite"})
    assert response.status_code == 302
    assert response["Location"] == "/borne/murat/aide/envoyee/"
    request = HelpRequest.objects.get()
    assert (request.kiosk, request.category, request.procedure_slug, request.status) == (
        kiosk,
        "identity",
        "carte-identite",
        HelpRequestStatus.OPEN,
    )
    assert UsageCount.objects.get(kiosk=kiosk, metric=UsageMetric.HELP_REQUEST).count == 1
    assert [m.to for m in mail.outbox] == [[agent.email]]
    assert other_agent.email not in str([m.to for m in mail.outbox])
    assert mediator_here.email not in str([m.to for m in mail.outbox])
    message = mail.outbox[0]
    assert "murat" in message.subject
    assert "Carte d'identité" in message.body
    assert "/bornes/agent/" in message.body
    assert message.body.count("http") == 1
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "Un agent arrive. Vous le trouverez : au guichet d'accueil, à votre gauche" in page


def test_ended_agent_roles_get_no_email(client, kiosk, catalogue, agent, django_capture_on_commit_callbacks):
    from cybercantal.accounts.models import RoleMembership

    RoleMembership.objects.filter(user=agent).update(
        starts_on=timezone.localdate() - dt.timedelta(days=10), ends_on=timezone.localdate() - dt.timedelta(days=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/borne/murat/aide/", {})
    assert HelpRequest.objects.count() == 1
    assert mail.outbox == []


def test_flood_is_refused_with_a_french_message(client, kiosk, catalogue, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/borne/murat/aide/", {"categorie": "identity"})
        response = client.post("/borne/murat/aide/", {"categorie": "identity"})
        from django.test import Client

        Client().post("/borne/murat/aide/", {})  # another person, same kiosk, same minute
    assert HelpRequest.objects.count() == 1
    assert len(mail.outbox) == 1
    assert UsageCount.objects.get(kiosk=kiosk, metric=UsageMetric.HELP_REQUEST).count == 1
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "Votre demande est déjà transmise" in page
    assert "Un agent arrive" in page


def test_a_new_request_is_accepted_after_two_minutes_or_once_handled(kiosk, other_kiosk):
    first = services.help_request_create(kiosk=kiosk)
    with pytest.raises(services.HelpAlreadyRequestedError) as refused:
        services.help_request_create(kiosk=kiosk)
    assert refused.value.message == "Votre demande est déjà transmise."
    services.help_request_create(kiosk=other_kiosk)  # another kiosk is not held back
    HelpRequest.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(minutes=3))
    second = services.help_request_create(kiosk=kiosk)
    HelpRequest.objects.filter(pk=second.pk).update(status=HelpRequestStatus.TAKEN)
    services.help_request_create(kiosk=kiosk)
    assert HelpRequest.objects.filter(kiosk=kiosk).count() == 3


def test_help_request_via_script_gets_204_and_location(client, kiosk):
    response = client.post("/borne/murat/aide/", {}, HTTP_X_KIOSK_FETCH="1")
    assert response.status_code == 204
    assert response["X-Kiosk-Location"] == "/borne/murat/aide/envoyee/"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"categorie": "", "demarche": ""},
        {"categorie": "nope", "demarche": "n-existe-pas"},
        {"categorie": "x" * 10_000, "demarche": "y" * 10_000},
        {"categorie": "identity\x00", "demarche": "carte\x00identite"},
        {"categorie": ["identity", "family"], "demarche": ["a", "b"]},
        {"demarche": "brouillon"},
        {"demarche": "../../admin"},
    ],
)
def test_help_fuzz_never_fails_and_stores_nothing_odd(client, kiosk, catalogue, data):
    response = client.post("/borne/murat/aide/", data)
    assert response.status_code == 302
    request = HelpRequest.objects.get()
    assert request.category in ("", "identity", "family")  # a real category or nothing
    assert request.procedure_slug == ""


def test_help_request_unknown_kiosk_is_404(client, db):
    assert client.post("/borne/inconnue/aide/", {}).status_code == 404
    assert HelpRequest.objects.count() == 0


def test_usage_count_rejects_unknown_metric(kiosk):
    with pytest.raises(ValueError):
        services.usage_count(kiosk=kiosk, metric="visitor_email")


def test_usage_count_uses_one_row_per_day_metric_and_key(kiosk):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    for _ in range(3):
        services.usage_count(kiosk=kiosk, metric=UsageMetric.CATEGORY, key="identity")
    services.usage_count(kiosk=kiosk, metric=UsageMetric.CATEGORY, key="identity", on=yesterday)
    services.usage_count(kiosk=kiosk, metric=UsageMetric.CATEGORY, key="family")
    rows = {(r.date, r.key): r.count for r in UsageCount.objects.all()}
    assert rows == {
        (timezone.localdate(), "identity"): 3,
        (yesterday, "identity"): 1,
        (timezone.localdate(), "family"): 1,
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_counts_lose_nothing(kiosk):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")

    def work(_n: int) -> BaseException | None:
        try:
            for _ in range(5):
                services.usage_count(kiosk=kiosk, metric=UsageMetric.PROCEDURE, key="carte-identite")
        except BaseException as exc:  # noqa: BLE001 -- reported below
            return exc
        return None

    errors = [exc for exc in run_in_parallel(work, range(8)) if exc is not None]
    assert errors == []
    assert UsageCount.objects.get(metric=UsageMetric.PROCEDURE).count == 40


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_help_taps_make_one_request(kiosk):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")

    def tap(_n: int) -> str:
        try:
            services.help_request_create(kiosk=kiosk)
        except services.HelpAlreadyRequestedError:
            return "already"
        except BaseException as exc:  # noqa: BLE001 -- reported below
            return repr(exc)
        return "ok"

    results = run_in_parallel(tap, range(6))
    assert sorted(results) == ["already"] * 5 + ["ok"]
    assert HelpRequest.objects.count() == 1
