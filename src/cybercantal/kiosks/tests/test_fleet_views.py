"""Fleet staff pages: access per role, content, forms (with fuzz), query counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.kiosks.models import Incident, Kiosk, KioskStatus, KioskToken, UptimeDay
from cybercantal.kiosks.services import fleet as services
from cybercantal.places.tests.factories import PlaceFactory

from .factories import KioskFactory

pytestmark = pytest.mark.django_db


def staff_urls(kiosk: Kiosk, incident: Incident) -> list[tuple[str, str]]:
    code = kiosk.code
    return [
        ("get", "/bornes/"),
        ("get", "/bornes/couverture/"),
        ("get", "/bornes/incidents/?jour=2026-03-03"),
        ("get", f"/bornes/{code}/"),
        ("get", "/bornes/nouvelle/"),
        ("get", f"/bornes/{code}/modifier/"),
        ("post", f"/bornes/{code}/jeton/"),
        ("post", f"/bornes/{code}/jeton/revoquer/"),
        ("post", f"/bornes/{code}/coupures/{incident.pk}/cause/"),
    ]


@pytest.fixture
def incident(kiosk):
    return Incident.objects.create(kiosk=kiosk, started_at=timezone.now() - timedelta(hours=1))


@pytest.mark.parametrize("role", ["anonymous", Role.CITIZEN, "agent_here", "agent_elsewhere", Role.MEDIATOR])
def test_staff_pages_refused_to_others(client, staff, kiosk, other_kiosk, incident, role):
    if role == "agent_here":
        client.force_login(staff(Role.KIOSK_AGENT, kiosk.place))
    elif role == "agent_elsewhere":
        client.force_login(staff(Role.KIOSK_AGENT, other_kiosk.place))
    elif role != "anonymous":
        client.force_login(staff(role))
    for method, url in staff_urls(kiosk, incident):
        response = getattr(client, method)(url, {"cause": "x"} if method == "post" else None)
        if role == "anonymous":
            assert response.status_code == 302, url
            assert "/compte/" in response["Location"], url
        else:
            assert response.status_code == 403, url
    assert not KioskToken.objects.exists()
    incident.refresh_from_db()
    assert incident.cause == ""


def test_manager_reaches_every_page(client, manager, kiosk, incident):
    client.force_login(manager)
    for method, url in staff_urls(kiosk, incident):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_dashboard_shows_online_text_last_seen_and_uptime(client, manager, kiosk, other_kiosk):
    now = timezone.now()
    kiosk.last_seen_at = now - timedelta(minutes=1)
    kiosk.save()
    other_kiosk.last_seen_at = now - timedelta(minutes=5)
    other_kiosk.save()
    today = timezone.localdate()
    UptimeDay.objects.create(kiosk=kiosk, date=today.replace(day=1), open_minutes=400, online_open_minutes=300)
    Incident.objects.create(kiosk=other_kiosk, started_at=now - timedelta(minutes=40))
    client.force_login(manager)
    html = client.get("/bornes/").content.decode()
    assert "En ligne" in html
    assert "Hors ligne" in html
    assert "il y a 5" in html
    assert "75,0 %" in html
    assert "Communauté de communes Hautes Terres" in html


def test_dashboard_query_count_does_not_grow(client, manager, kiosk, django_assert_max_num_queries):
    for _ in range(30):
        k = KioskFactory(place=kiosk.place)
        UptimeDay.objects.create(kiosk=k, date=timezone.localdate(), open_minutes=10, online_open_minutes=5)
        Incident.objects.create(kiosk=k, started_at=timezone.now())
    client.force_login(manager)
    with django_assert_max_num_queries(10):
        response = client.get("/bornes/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 31
    assert len(response.context["rows"]) == 25
    with django_assert_max_num_queries(10):
        assert client.get("/bornes/?page=2").status_code == 200


def test_create_and_edit_through_the_form(client, manager, murat_place):
    client.force_login(manager)
    data = {
        "code": "murat",
        "place": murat_place.pk,
        "status": KioskStatus.IN_SERVICE,
        "status_note": "",
        "hardware_model": "Borne tactile 22 pouces",
        "serial_number": "BT22-001",
        "installed_on": "15/09/2025",
        "connection_technology": "fibre",
        "connection_speed_mbps": "300",
        "idle_timeout_seconds": "120",
        "help_location": "Au guichet d'accueil",
    }
    response = client.post("/bornes/nouvelle/", data)
    assert response.status_code == 302
    kiosk = Kiosk.objects.get(code="murat")
    assert kiosk.canton == murat_place.canton
    assert kiosk.installed_on == date(2025, 9, 15)
    response = client.post("/bornes/murat/modifier/", {**data, "idle_timeout_seconds": "10"})
    assert response.status_code == 400
    assert "30" in response.content.decode()
    kiosk.refresh_from_db()
    assert kiosk.idle_timeout_seconds == 120


def test_token_shown_once_and_not_cached(client, manager, kiosk):
    client.force_login(manager)
    response = client.post(f"/bornes/{kiosk.code}/jeton/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = response.context["token"]
    assert token in response.content.decode()
    assert "/api/bornes/signal" in response.content.decode()
    detail = client.get(f"/bornes/{kiosk.code}/").content.decode()
    assert token not in detail
    assert token[:8] in detail
    assert services.heartbeat_record(token=token) == kiosk
    client.post(f"/bornes/{kiosk.code}/jeton/revoquer/")
    assert not KioskToken.objects.filter(revoked_at__isnull=True).exists()


def test_incident_cause_form(client, manager, kiosk, incident):
    client.force_login(manager)
    url = f"/bornes/{kiosk.code}/coupures/{incident.pk}/cause/"
    response = client.post(url, {f"incident-{incident.pk}-cause": ""})
    assert response.status_code == 400
    response = client.post(url, {f"incident-{incident.pk}-cause": "Box internet en panne"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.cause == "Box internet en panne"
    # An incident of another kiosk through this kiosk's address: not found.
    other = Incident.objects.create(kiosk=KioskFactory(place=kiosk.place), started_at=timezone.now())
    assert client.post(f"/bornes/{kiosk.code}/coupures/{other.pk}/cause/", {}).status_code == 404


def test_coverage_flags(client, manager, kiosk, other_kiosk, territory):
    other_kiosk.status = KioskStatus.OUT_OF_SERVICE
    other_kiosk.status_note = "Écran cassé"
    other_kiosk.save()
    client.force_login(manager)
    response = client.get("/bornes/couverture/")
    html = response.content.decode()
    entries = {e.canton.pk: e for e in response.context["entries"]}
    assert entries[kiosk.canton_id].flags == ["offline", "untrained"]  # never heard, no agent at all
    assert "out_of_service" in entries[other_kiosk.canton_id].flags
    assert sum(1 for e in entries.values() if e.flags == ["none"]) == len(entries) - 2
    assert "aucune borne" in html
    assert "borne hors service" in html
    assert "borne hors ligne" in html


def test_coverage_query_count(client, manager, kiosk, other_kiosk, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        client.get("/bornes/couverture/")


def test_incidents_of_a_day(client, manager, kiosk, other_kiosk):
    def at(*args):
        return timezone.make_aware(datetime(*args))  # noqa: DTZ001

    Incident.objects.create(
        kiosk=kiosk, started_at=at(2026, 3, 3, 10, 0), ended_at=at(2026, 3, 3, 11, 15), cause="Coupure électrique"
    )
    Incident.objects.create(kiosk=other_kiosk, started_at=at(2026, 3, 2, 16, 0), ended_at=at(2026, 3, 3, 9, 40))
    Incident.objects.create(kiosk=other_kiosk, started_at=at(2026, 3, 4, 10, 0))
    client.force_login(manager)
    response = client.get("/bornes/incidents/?jour=2026-03-03")
    html = response.content.decode()
    assert response.context["page"].paginator.count == 2
    assert "Coupure électrique" in html
    assert "cause non renseignée" in html
    assert "1 h 15" in html
    assert "mardi 3 mars 2026" in html
    response = client.get("/bornes/incidents/?jour=pas-une-date")
    assert response.status_code == 400
    assert response.context["day"] == timezone.localdate() - timedelta(days=1)


FUZZ_VALUES = ["", "x" * 10000, "a\x00b", "-1", "1e9999", "[]", "😀" * 50, "<script>alert(1)</script>"]


@pytest.mark.parametrize("value", FUZZ_VALUES)
def test_fuzz_kiosk_form_saves_nothing(client, manager, kiosk, value):
    client.force_login(manager)
    fields = [
        "code",
        "place",
        "status",
        "status_note",
        "hardware_model",
        "serial_number",
        "installed_on",
        "connection_technology",
        "connection_speed_mbps",
        "idle_timeout_seconds",
        "help_location",
    ]
    before = Kiosk.objects.count()
    for url in ("/bornes/nouvelle/", f"/bornes/{kiosk.code}/modifier/"):
        response = client.post(url, dict.fromkeys(fields, value))
        assert response.status_code < 500
    assert Kiosk.objects.count() == before
    kiosk.refresh_from_db()
    assert kiosk.code == "murat"


@pytest.mark.parametrize("value", FUZZ_VALUES)
def test_fuzz_cause_and_day(client, manager, kiosk, incident, value):
    client.force_login(manager)
    response = client.post(
        f"/bornes/{kiosk.code}/coupures/{incident.pk}/cause/", {f"incident-{incident.pk}-cause": value}
    )
    assert response.status_code < 500
    assert client.get("/bornes/incidents/", {"jour": value}).status_code < 500
    assert client.get("/bornes/", {"page": value, "etat": value}).status_code < 500
    incident.refresh_from_db()
    assert incident.cause in ("", value)
    if "\x00" in value or len(value) > 255 or not value.strip():
        assert incident.cause == ""


def test_reserved_words_are_not_kiosk_pages(client, manager):
    client.force_login(manager)
    assert client.get("/bornes/incidents/").status_code == 200
    assert client.get("/bornes/n-existe-pas/").status_code == 404


def test_place_choices_are_hosts_only(client, manager, kiosk, territory):
    from cybercantal.places.models import PlaceKind, PlaceOffer

    telecentre = PlaceFactory(kind=PlaceKind.TELECENTRE, offers=[PlaceOffer.TELECENTRE])
    client.force_login(manager)
    form = client.get("/bornes/nouvelle/").context["form"]
    choices = list(form.fields["place"].queryset)
    assert kiosk.place in choices
    assert telecentre not in choices
