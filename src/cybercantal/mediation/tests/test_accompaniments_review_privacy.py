"""Privacy review of the accompaniments, through the quick form as a mediator uses it:
anonymous by default (names typed but not followed are kept nowhere), followed only with
recorded consent, and once erased (on request or by the retention job) nothing about the
person is left in ANY table, the journal included."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core import serializers
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry
from cybercantal.mediation import models as m
from cybercantal.mediation.services import accompaniments as services
from cybercantal.mediation.tasks import purge_expired_beneficiaries

from .factories_accompaniments import days_ago

pytestmark = pytest.mark.django_db

CREATE = reverse("mediation:accompaniment_create")
PERSON = {
    "first_name": "Honorine",
    "last_name": "Zyxwvutski",
    "phone": "04 71 98 76 54",
    "email": "honorine.zyx@example.fr",
    "birth_year": "1941",
}
TRACES = ("Honorine", "Zyxwvutski", "98 76 54", "honorine.zyx", "Mme Zyx revient")


def everything_stored() -> str:
    """Every row of every table but the reference geography, as text."""
    chunks = []
    for model in apps.get_models():
        if model._meta.app_label in {"territory", "contenttypes", "sessions"} or model._meta.proxy:
            continue
        chunks.append(serializers.serialize("json", model._default_manager.all()))
    return "\n".join(chunks)


def traces_left() -> list[str]:
    text = everything_stored()
    return [trace for trace in TRACES if trace in text or json.dumps(trace)[1:-1] in text]


def quick_form(place, **overrides):
    data = {
        "jeton": overrides.pop("jeton", "jeton-privacy"),
        "kind": "individual",
        "place": str(place.pk),
        "date": timezone.localdate().isoformat(),
        "duration": "30",
        "place_type": "on_site",
        "themes": ["email"],
        "notes": "Mme Zyx revient pour sa déclaration",
    }
    data.update(overrides)
    return data


def test_names_typed_without_following_are_kept_nowhere(client, mediator, epn):
    client.force_login(mediator.user)
    response = client.post(CREATE, quick_form(epn, notes="", **PERSON, consent="on"))
    assert response.status_code == 302
    record = m.Accompaniment.objects.get()
    assert record.beneficiary is None
    assert not m.Beneficiary.objects.exists()
    assert traces_left() == []


def test_following_needs_the_consent_box_and_records_who_and_when(client, mediator, epn):
    client.force_login(mediator.user)
    response = client.post(CREATE, quick_form(epn, follow="on", **PERSON))
    assert response.status_code == 200
    assert "Une personne n’est suivie qu’avec son accord" in response.content.decode().replace("'", "’")
    assert not m.Accompaniment.objects.exists()
    assert not m.Beneficiary.objects.exists()
    before = timezone.now()
    response = client.post(CREATE, quick_form(epn, follow="on", consent="on", **PERSON))
    assert response.status_code == 302
    person = m.Beneficiary.objects.get()
    assert person.consent_by == mediator.user
    assert person.consent_at >= before
    assert person.retention_until == services.retention_date(timezone.localdate())
    assert m.Accompaniment.objects.get().beneficiary == person


def test_export_holds_every_field_kept_about_the_person(client, mediator, epn):
    client.force_login(mediator.user)
    client.post(CREATE, quick_form(epn, follow="on", consent="on", **PERSON, oriented_to="CAF du Cantal"))
    person = m.Beneficiary.objects.get()
    data = json.loads(client.post(reverse("mediation:beneficiary_export", args=[person.pk])).content)
    flat = json.dumps(data, ensure_ascii=False)
    for value in (*PERSON.values(), epn.name, "CAF du Cantal", "Mme Zyx revient pour sa déclaration"):
        assert value in flat, value
    assert data["personne"]["consentement_recueilli_le"]
    assert data["personne"]["conserve_jusqu_au"] == person.retention_until.isoformat()


def test_erasing_leaves_nothing_about_the_person(client, mediator, epn):
    client.force_login(mediator.user)
    client.post(CREATE, quick_form(epn, follow="on", consent="on", **PERSON))
    person = m.Beneficiary.objects.get()
    client.post(
        CREATE,
        quick_form(epn, jeton="jeton-2", beneficiary=str(person.pk), follow="on", themes=["security"]),
    )
    assert m.Accompaniment.objects.filter(beneficiary=person).count() == 2
    client.post(reverse("mediation:beneficiary_export", args=[person.pk]))
    assert traces_left()  # the person is there before
    response = client.post(reverse("mediation:beneficiary_erase", args=[person.pk]))
    assert response.status_code == 302
    assert traces_left() == []
    # The activity stays counted, anonymous.
    assert m.Accompaniment.objects.filter(beneficiary__isnull=True).count() == 2
    assert JournalEntry.objects.filter(action="beneficiary.erased").count() == 1


def test_retention_job_leaves_nothing_about_the_person(mediator, epn):
    person = services.beneficiary_create(actor=mediator.user, place=epn, **{**PERSON, "birth_year": 1941})
    services.accompaniment_create(
        actor=mediator.user,
        place=epn,
        kind=m.AccompanimentKind.INDIVIDUAL,
        date=days_ago(200),
        duration_minutes=45,
        themes=["email"],
        beneficiary=person,
        notes="Mme Zyx revient souvent",
    )
    m.Beneficiary.objects.filter(pk=person.pk).update(retention_until=days_ago(1))
    assert purge_expired_beneficiaries.call() == 1
    assert traces_left() == []
    assert m.Accompaniment.objects.get().beneficiary is None


def test_a_kiosk_agent_cannot_follow_anyone(client, staff, epn):
    agent = staff(Role.KIOSK_AGENT, epn)
    client.force_login(agent)
    response = client.post(CREATE + "?type=individuel", quick_form(epn, follow="on", consent="on", **PERSON, notes=""))
    assert response.status_code == 302
    assert not m.Beneficiary.objects.exists()
    assert traces_left() == []
