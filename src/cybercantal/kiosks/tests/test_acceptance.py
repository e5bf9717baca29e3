"""The acceptance story of issue 5, through the pages, as the people in it would go.

At the Murat kiosk a woman taps "Carte d'identité", reads what to bring, presses "Demander
de l'aide"; the agent on duty sees the request, helps her, logs the session with "lack of
trust"; she walks away and the kiosk is back home with nothing of hers left. The programme
manager sees that two kiosks were offline yesterday and why people needed help in each canton.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cybercantal.kiosks.models import Category, HelpRequest, HelpRequestStatus, Incident
from cybercantal.mediation.models import Accompaniment, HelpReason

from .factories import ProcedureFactory

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def test_the_murat_kiosk_the_agent_and_the_programme_manager(
    client, kiosk, other_kiosk, agent, manager, django_capture_on_commit_callbacks
):
    identity = ProcedureFactory(
        slug="carte-identite",
        title="Carte d'identité",
        category=Category.IDENTITY,
        documents="Une photo d'identité de moins de 6 mois\nUn justificatif de domicile",
    )
    agent.email = "agent.murat@example.fr"
    agent.save()

    # 1. At the kiosk: home, the "papiers d'identité" category, the procedure.
    home = client.get(reverse("kiosks:kiosk_mode_home", args=[kiosk.code]))
    assert home.status_code == 200
    category = client.get(reverse("kiosks:kiosk_mode_category", args=[kiosk.code, Category.IDENTITY]))
    assert "Carte d'identité" in _text(category)
    page = client.get(reverse("kiosks:kiosk_mode_procedure", args=[kiosk.code, identity.slug]))
    assert page.status_code == 200
    assert "Une photo d" in _text(page)

    # 2. "Demander de l'aide": the agents of the Murat place are told, not those of Maurs.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("kiosks:kiosk_mode_help", args=[kiosk.code]),
            {"categorie": Category.IDENTITY, "demarche": identity.slug},
            follow=True,
        )
    assert response.status_code == 200
    assert kiosk.help_location in _text(response)
    request = HelpRequest.objects.get(kiosk=kiosk)
    assert request.status == HelpRequestStatus.OPEN
    assert any("agent.murat@example.fr" in message.to for message in mail.outbox)

    # 3. The agent sees it, takes it and records the help with "manque de confiance".
    agent_client = Client()
    agent_client.force_login(agent)
    screen = agent_client.get(reverse("kiosks:agent_screen"))
    assert screen.status_code == 200
    assert reverse("kiosks:help_request_take", args=[request.pk]) in screen.content.decode()
    agent_client.post(reverse("kiosks:help_request_take", args=[request.pk]))
    record_url = reverse("kiosks:help_request_record", args=[request.pk])
    form = agent_client.get(record_url)
    assert form.status_code == 200
    token = re.search(r'name="jeton" value="([^"]*)"', form.content.decode())
    data = {
        "kiosk": str(kiosk.pk),
        "admin_themes": ["papers"],
        "outcome": "completed",
        "duration": "15",
        "help_reason": HelpReason.TRUST,
    }
    if token:
        data["jeton"] = token.group(1)
    response = agent_client.post(record_url, data)
    assert response.status_code in (200, 302), _text(response)[:1500]
    request.refresh_from_db()
    assert request.status == HelpRequestStatus.DONE
    record = Accompaniment.objects.get(pk=request.accompaniment_id)
    assert (record.kind, record.help_reason, record.kiosk_id, record.place_id) == (
        "procedure",
        HelpReason.TRUST,
        kiosk.pk,
        kiosk.place_id,
    )
    assert record.beneficiary_id is None  # nothing about her

    # 4. She walks away: the kiosk ends the session and forgets her.
    end = client.get(reverse("kiosks:kiosk_mode_end", args=[kiosk.code]))
    assert end.status_code in (200, 302)
    assert "cookies" in end.get("Clear-Site-Data", "")
    assert client.session.get("kiosk_code") in (None, kiosk.code)
    back_home = client.get(reverse("kiosks:kiosk_mode_home", args=[kiosk.code]))
    assert back_home.status_code == 200
    assert "Carte d'identité" not in _text(back_home)  # the home page, nothing of her visit

    # 5. The programme manager: two kiosks offline yesterday, with their causes; the reasons.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    noon = timezone.make_aware(dt.datetime.combine(yesterday, dt.time(10, 0)))
    Incident.objects.create(
        kiosk=kiosk, started_at=noon, ended_at=noon + dt.timedelta(hours=2), cause="Coupure électrique"
    )
    Incident.objects.create(
        kiosk=other_kiosk, started_at=noon, ended_at=noon + dt.timedelta(hours=1), cause="Box internet en panne"
    )
    manager_client = Client()
    manager_client.force_login(manager)
    incidents = _text(manager_client.get(reverse("kiosks:incidents"), {"jour": yesterday.isoformat()}))
    assert "Coupure électrique" in incidents
    assert "Box internet en panne" in incidents
    stats = manager_client.get(reverse("kiosks:statistics"), {"annee": timezone.localdate().year})
    assert stats.status_code == 200
    stats_text = _text(stats)
    assert "Manque de confiance" in stats_text
    assert kiosk.canton.name in stats_text
