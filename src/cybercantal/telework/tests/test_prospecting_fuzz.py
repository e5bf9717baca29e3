"""Bad input on every prospecting form: each field in turn gets an empty, huge, wrong-type,
NUL-byte or odd value while the others stay valid. Never a 500; a refused value is never
saved; a double submit of the creation form makes one company."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ..models import Prospect, ProspectActivity, ProspectContact, ProspectStageChange
from .factories_prospecting import partner, prospect

pytestmark = pytest.mark.django_db

BAD_VALUES = {
    "empty": "",
    "huge": "x" * 100_000,
    "nul": "abc\x00def",
    "negative": "-1",
    "enormous_number": "9" * 40,
    "float": "1e309",
    "impossible_date": "2026-02-30",
    "zero_date": "0000-00-00",
    "markup": "<script>alert(1)</script>",
    "unicode": "☃\u202e\ufeff",
    "spaces": "   ",
    "list": ["a", "b"],
}

YESTERDAY = (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def prospect_valid(programme_manager, source) -> dict:
    return {
        "name": "Studio Pixel Arverne",
        "siren": "732 829 320",
        "sector": "Jeu vidéo",
        "size_band": "small",
        "head_office": "Clermont-Ferrand",
        "website": "https://pixel.example",
        "source_partner": str(source.pk),
        "source_detail": "Salon",
        "potential_staff": "4",
        "owner": str(programme_manager.pk),
        "notes": "Notes",
    }


PROSPECT_FIELDS = sorted(
    [
        "name",
        "siren",
        "sector",
        "size_band",
        "head_office",
        "website",
        "source_partner",
        "source_detail",
        "potential_staff",
        "owner",
        "notes",
    ]
)


@pytest.mark.parametrize("field", PROSPECT_FIELDS)
@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
def test_prospect_form_never_500(client, programme_manager, field, bad):
    source = partner()
    client.force_login(programme_manager)
    data = prospect_valid(programme_manager, source)
    data[field] = BAD_VALUES[bad]
    response = client.post(reverse("telework:prospect_create"), data)
    assert response.status_code in (302, 400), (field, bad)
    if response.status_code == 400:
        assert not Prospect.objects.exists()
        assert "Rien n’est envoyé" in response.content.decode()
    else:
        company = Prospect.objects.get()
        assert "\x00" not in company.name + company.notes + company.sector
        assert company.stage_changes.count() == 1


@pytest.mark.parametrize("field", ["name", "job_title", "email", "phone", "notes"])
@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
def test_contact_form_never_500(client, programme_manager, field, bad):
    company = prospect()
    client.force_login(programme_manager)
    data = {
        "name": "Hélène Garnier",
        "job_title": "DRH",
        "email": "h@example.org",
        "phone": "01 99 00 00 11",
        "notes": "",
    }
    data[field] = BAD_VALUES[bad]
    response = client.post(reverse("telework:prospect_contact_add", args=[company.pk]), data)
    assert response.status_code in (302, 400), (field, bad)
    if response.status_code == 400:
        assert not ProspectContact.objects.exists()


@pytest.mark.parametrize("field", ["kind", "happened_on", "summary", "next_step", "next_step_on"])
@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
def test_activity_form_never_500(client, programme_manager, field, bad):
    company = prospect()
    client.force_login(programme_manager)
    data = {
        "kind": "call",
        "happened_on": YESTERDAY,
        "summary": "Appel",
        "next_step": "Relancer",
        "next_step_on": timezone.localdate().isoformat(),
    }
    data[field] = BAD_VALUES[bad]
    response = client.post(reverse("telework:prospect_activity_add", args=[company.pk]), data)
    assert response.status_code in (302, 400), (field, bad)
    if response.status_code == 400:
        assert not ProspectActivity.objects.exists()


@pytest.mark.parametrize("field", ["to_stage", "on", "reason_kind", "reason", "agreement", "retour"])
@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
def test_move_form_never_500(client, programme_manager, field, bad):
    company = prospect(identified_days_ago=5)
    client.force_login(programme_manager)
    data = {"to_stage": "lost", "on": YESTERDAY, "reason_kind": "cost", "reason": "Trop cher", "agreement": ""}
    data[field] = BAD_VALUES[bad]
    response = client.post(reverse("telework:prospect_move", args=[company.pk]), data)
    assert response.status_code in (302, 400), (field, bad)
    company.refresh_from_db()
    if response.status_code == 400:
        assert company.stage == "identified"
        assert ProspectStageChange.objects.count() == 1
    else:
        assert company.stage == "lost"
        assert company.lost_reason


def test_every_get_page_survives_junk_in_the_path(client, programme_manager):
    client.force_login(programme_manager)
    for path in (
        "/telecentres/prospection/99999999999999999999/",
        "/telecentres/prospection/abc/",
        "/telecentres/prospection/1/contacts/99999999999999999999/",
    ):
        assert client.get(path).status_code == 404, path
