"""Review of the quick form's promise (under a minute on a phone): the page is submitted with
its own defaults (as the browser would send them) plus only the taps a person must make.
- a mediator's individual accompaniment: one theme, then "Enregistrer";
- a kiosk agent's help with a procedure: the procedure, the reason, the outcome, then "Enregistrer";
- a collective workshop opened from its session (``?seance=``): nothing, then "Enregistrer"
  (date, duration, place, themes and the people marked present come from the session)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.mediation import models as m

from .factories import SessionFactory
from .factories_equipment import make_mairie

pytestmark = pytest.mark.django_db

CREATE = reverse("mediation:accompaniment_create")
INPUT = re.compile(r"<input\b([^>]*)>")
SELECT = re.compile(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', re.S)
TEXTAREA = re.compile(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', re.S)


def _attr(attrs: str, name: str) -> str | None:
    match = re.search(rf'\b{name}="([^"]*)"', attrs)
    return unescape(match.group(1)) if match else None


def defaults(html: str) -> dict[str, list[str]]:
    """What the browser sends for the form as rendered, untouched."""
    form = re.search(r'<form method="post"[^>]*class="quick-form".*?</form>', html, re.S).group(0)
    data: dict[str, list[str]] = {}
    for attrs in INPUT.findall(form):
        name, kind = _attr(attrs, "name"), _attr(attrs, "type") or "text"
        if not name:
            continue
        if kind in ("radio", "checkbox"):
            if re.search(r"\bchecked\b", attrs):
                value = _attr(attrs, "value")
                data.setdefault(name, []).append("on" if value is None else value)
        else:
            data.setdefault(name, []).append(_attr(attrs, "value") or "")
    for name, options in SELECT.findall(form):
        chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', options)
        data[name] = [chosen.group(1) if chosen else ""]
    for name, text in TEXTAREA.findall(form):
        data[name] = [unescape(text.strip())]
    return data


def test_individual_is_one_tap_and_save(client, mediator, epn):
    client.force_login(mediator.user)
    data = defaults(client.get(CREATE).content.decode())
    data["themes"] = ["email"]  # tap 1
    response = client.post(CREATE, data)  # tap 2
    assert response.status_code == 302, re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)
    record = m.Accompaniment.objects.get()
    assert (record.kind, record.place, record.date, record.duration_minutes) == (
        "individual",
        epn,
        timezone.localdate(),
        30,
    )
    assert record.beneficiary is None


def test_kiosk_agent_procedure_is_three_taps_and_save(client, staff):
    kiosk_place = make_mairie(name="Mairie de Saignes")
    agent = staff(Role.KIOSK_AGENT, kiosk_place)
    client.force_login(agent)
    html = client.get(CREATE).content.decode()
    assert 'data-kind="procedure"' in html  # a kiosk agent lands on the procedure form
    data = defaults(html)
    assert data["equipment_used"] == ["kiosk"]
    data["admin_themes"] = ["money"]
    data["help_reason"] = ["know_how"]
    data["outcome"] = ["completed"]
    response = client.post(CREATE, data)
    assert response.status_code == 302, re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)
    record = m.Accompaniment.objects.get()
    assert (record.kind, record.place, record.author, record.help_reason, record.outcome) == (
        "procedure",
        kiosk_place,
        agent,
        "know_how",
        "completed",
    )
    assert record.equipment_used == ["kiosk"]


def test_collective_from_its_session_is_just_save(client, mediator, epn):
    session = SessionFactory(place=epn, starts_at=timezone.now() - dt.timedelta(days=1, hours=3))
    session.ends_at = session.starts_at + dt.timedelta(minutes=90)
    session.save()
    for index in range(5):
        m.Registration.objects.create(
            session=session, first_name=f"P{index}", last_name="T", status="confirmed", attended=index != 0
        )
    m.Registration.objects.create(
        session=session, first_name="W", last_name="L", status="cancelled", attended=False, cancelled_at=timezone.now()
    )
    client.force_login(mediator.user)
    url = f"{CREATE}?seance={session.pk}"
    data = defaults(client.get(url).content.decode())
    assert data["participants"] == ["4"]
    response = client.post(url, data)
    assert response.status_code == 302, re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)
    record = m.Accompaniment.objects.get()
    assert (record.kind, record.session, record.participants, record.duration_minutes) == (
        "collective",
        session,
        4,
        90,
    )
    assert record.date == timezone.localtime(session.starts_at).date()
    assert record.themes == list(session.workshop.themes)
    assert (record.gender_unknown, record.age_unknown, record.status_unknown) == (4, 4, 4)
