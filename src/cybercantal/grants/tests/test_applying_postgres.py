"""Double clicks and two tabs at the same moment, on PostgreSQL with real threads and their own
connections: one draft per business and programme, one submission, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cybercantal.accounts.models import Role
from cybercantal.core.testing import run_in_parallel
from cybercantal.places.tests.factories import grant

from ..models import Application, Status, StatusChange
from ..services import applying as services
from .factories import ApplicationFactory, BusinessFactory, ProgrammeFactory
from .factories_applying import ready_to_submit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting():
    from cybercantal.places.tests.factories import UserFactory

    programme = ProgrammeFactory(slug="auverdata", code="AUV")
    business = BusinessFactory()
    person = UserFactory()
    grant(person, Role.BUSINESS_APPLICANT, business)
    return programme, business, person


def _in_departement_commune():
    from cybercantal.places.tests.factories import CommuneFactory

    return CommuneFactory(name="Neuvéglise-sur-Truyère", insee_code="15141")


def _signed_in_clients(person, n):
    clients = []
    for _ in range(n):
        client = Client()
        client.force_login(person)
        clients.append(client)
    return clients


def test_two_tabs_submit_at_the_same_moment(setting):
    programme, business, person = setting
    draft = ApplicationFactory(programme=programme, organisation=business, created_by=person)
    ready_to_submit(draft, commune=_in_departement_commune())
    url = reverse("grants:apply_submit", kwargs={"reference": draft.reference})

    def submit(client):
        response = client.post(url)
        return response.status_code, response.get("Location", "")

    results = run_in_parallel(submit, _signed_in_clients(person, 4))
    assert all(result == (302, f"/aides/dossiers/{draft.reference}/") for result in results), results
    assert StatusChange.objects.filter(application=draft).count() == 1
    assert Application.objects.get(pk=draft.pk).status == Status.SUBMITTED


def test_parallel_submit_service_one_winner(setting):
    programme, business, person = setting
    draft = ApplicationFactory(programme=programme, organisation=business, created_by=person)
    ready_to_submit(draft, commune=_in_departement_commune())

    def submit(_n):
        try:
            result = services.application_submit(actor=person, application=Application.objects.get(pk=draft.pk))
        except Exception as exc:  # noqa: BLE001 - a 500 in real life: the test must say which
            return f"error: {exc!r}"
        return "already" if result.already else "ok"

    results = run_in_parallel(submit, range(5))
    assert results.count("ok") == 1, results
    assert results.count("already") == 4, results
    assert StatusChange.objects.filter(application=draft).count() == 1


def test_double_click_on_start_makes_one_draft(setting):
    programme, business, person = setting
    url = reverse("grants:apply_start", kwargs={"slug": programme.slug})

    def start(client):
        response = client.post(url, {"entreprise": business.pk})
        return response.status_code, response.get("Location", "")

    results = run_in_parallel(start, _signed_in_clients(person, 4))
    assert {status for status, _location in results} == {302}, results
    assert len({location for _status, location in results}) == 1
    assert Application.objects.filter(organisation=business, programme=programme).count() == 1


def test_two_tabs_saving_the_same_version_one_is_stale(setting):
    programme, business, person = setting
    draft = ApplicationFactory(programme=programme, organisation=business, created_by=person)
    url = reverse("grants:apply_step", kwargs={"reference": draft.reference, "step": "entreprise"})
    clients = _signed_in_clients(person, 2)

    def save(pair):
        client, text = pair
        response = client.post(url, {"version": draft.version, "activity": text}, headers={"X-Autosave": "1"})
        return response.status_code

    results = run_in_parallel(save, list(zip(clients, ["Onglet A", "Onglet B"], strict=True)))
    assert sorted(results) == [200, 409], results
    draft.refresh_from_db()
    assert draft.activity in {"Onglet A", "Onglet B"}
    assert draft.version == 2
