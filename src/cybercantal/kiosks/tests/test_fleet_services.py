"""Fleet services: kiosks, tokens, heartbeats, incidents, uptime, retention."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry
from cybercantal.kiosks.models import Heartbeat, Incident, KioskStatus, KioskToken, UptimeDay
from cybercantal.kiosks.queries import fleet as queries
from cybercantal.kiosks.services import fleet as services
from cybercantal.places.models import PlaceKind, PlaceOffer, PlaceStatus
from cybercantal.places.tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args))  # noqa: DTZ001 - made aware here


# Tuesday 3 March 2026 (no public holiday); Murat is open Mo-Fr 09:00-12:00,14:00-17:00.
TUESDAY = date(2026, 3, 3)


# --- Kiosks ----------------------------------------------------------------------------------


def test_create_copies_canton_and_journals(manager, murat_place):
    kiosk = services.kiosk_create(
        actor=manager,
        code="Murat-2",
        place=murat_place,
        status=KioskStatus.IN_SERVICE,
        connection_technology="fibre",
        connection_speed_mbps="300,5",
        idle_timeout_seconds=90,
        help_location="Au guichet",
    )
    assert kiosk.code == "murat-2"
    assert kiosk.canton == murat_place.canton is not None
    assert kiosk.connection_speed_mbps == Decimal("300.5")
    assert JournalEntry.objects.filter(action="kiosk.created", target_id=str(kiosk.pk)).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", ""),
        ("code", "Épicerie !"),
        ("code", "couverture"),
        ("idle_timeout_seconds", 29),
        ("idle_timeout_seconds", 901),
        ("idle_timeout_seconds", "abc"),
        ("connection_speed_mbps", "-1"),
        ("connection_speed_mbps", "vite"),
        ("connection_technology", "pigeon"),
        ("status", "broken"),
        ("help_location", "x" * 201),
    ],
)
def test_create_refuses_bad_values_and_saves_nothing(manager, murat_place, field, value):
    data = {"code": "murat-bis", "place": murat_place, field: value}
    with pytest.raises(ValidationError) as caught:
        services.kiosk_create(actor=manager, **data)
    assert field in caught.value.message_dict
    assert not JournalEntry.objects.filter(action="kiosk.created").exists()


def test_code_unique_and_place_must_host(manager, kiosk, territory):
    with pytest.raises(ValidationError) as caught:
        services.kiosk_create(actor=manager, code="murat", place=kiosk.place)
    assert "déjà" in caught.value.message_dict["code"][0]
    draft = PlaceFactory(status=PlaceStatus.DRAFT, offers=[PlaceOffer.KIOSK], kind=PlaceKind.MAIRIE)
    with pytest.raises(ValidationError) as caught:
        services.kiosk_create(actor=manager, code="brouillon", place=draft)
    assert "place" in caught.value.message_dict
    telecentre = PlaceFactory(status=PlaceStatus.PUBLISHED, offers=[PlaceOffer.TELECENTRE], kind=PlaceKind.TELECENTRE)
    with pytest.raises(ValidationError):
        services.kiosk_create(actor=manager, code="teletravail", place=telecentre)


def test_out_of_service_needs_a_note(manager, kiosk):
    with pytest.raises(ValidationError) as caught:
        services.kiosk_update(actor=manager, kiosk=kiosk, status=KioskStatus.OUT_OF_SERVICE)
    assert "status_note" in caught.value.message_dict
    services.kiosk_update(actor=manager, kiosk=kiosk, status=KioskStatus.OUT_OF_SERVICE, status_note="Écran cassé")
    kiosk.refresh_from_db()
    assert kiosk.status == KioskStatus.OUT_OF_SERVICE


def test_agent_cannot_manage_the_fleet(agent, kiosk):
    with pytest.raises(PermissionDenied):
        services.kiosk_update(actor=agent, kiosk=kiosk, help_location="ailleurs")
    with pytest.raises(PermissionDenied):
        services.kiosk_token_issue(actor=agent, kiosk=kiosk)


# --- Tokens ----------------------------------------------------------------------------------


def test_token_is_stored_hashed_and_rotation_revokes_the_previous(manager, kiosk):
    first = services.kiosk_token_issue(actor=manager, kiosk=kiosk)
    stored = KioskToken.objects.get(kiosk=kiosk)
    assert len(first) >= 40
    assert stored.token_hash == services.token_hash(first) != first
    assert stored.prefix == first[:8]
    assert not KioskToken.objects.filter(token_hash=first).exists()

    second = services.kiosk_token_issue(actor=manager, kiosk=kiosk)
    assert second != first
    assert KioskToken.objects.filter(kiosk=kiosk, revoked_at__isnull=True).count() == 1
    assert KioskToken.objects.get(token_hash=services.token_hash(first)).revoked_at is not None
    with pytest.raises(services.HeartbeatRefusedError) as caught:
        services.heartbeat_record(token=first)
    assert caught.value.reason == "revoked"
    assert services.heartbeat_record(token=second) == kiosk


def test_revoke(manager, kiosk):
    token = services.kiosk_token_issue(actor=manager, kiosk=kiosk)
    assert services.kiosk_token_revoke(actor=manager, kiosk=kiosk) == 1
    assert services.kiosk_token_revoke(actor=manager, kiosk=kiosk) == 0
    with pytest.raises(services.HeartbeatRefusedError):
        services.heartbeat_record(token=token)
    assert JournalEntry.objects.filter(action="kiosk.token_revoked").count() == 1


# --- Heartbeats ------------------------------------------------------------------------------


def test_heartbeat_one_row_per_minute_and_last_seen(manager, kiosk):
    token = services.kiosk_token_issue(actor=manager, kiosk=kiosk)
    at = local(2026, 3, 3, 10, 15, 5)
    services.heartbeat_record(token=token, app_version="2.4.1", at=at)
    services.heartbeat_record(token=token, at=at + timedelta(seconds=40))
    services.heartbeat_record(token=token, at=at + timedelta(minutes=1))
    assert Heartbeat.objects.filter(kiosk=kiosk).count() == 2
    row = Heartbeat.objects.filter(kiosk=kiosk).first()
    assert row.minute == local(2026, 3, 3, 10, 15)
    assert row.app_version == "2.4.1"
    kiosk.refresh_from_db()
    assert kiosk.last_seen_at == at + timedelta(minutes=1)
    # A late signal never moves last_seen_at backwards.
    services.heartbeat_record(token=token, at=at - timedelta(hours=1))
    kiosk.refresh_from_db()
    assert kiosk.last_seen_at == at + timedelta(minutes=1)


@pytest.mark.parametrize("token", ["", "   ", "faux-jeton-qui-n-existe-pas", "x" * 5000, "nul\x00octet"])
def test_wrong_token_refused_and_logged_with_prefix_only(kiosk, caplog, token):
    caplog.set_level(logging.WARNING, logger="cybercantal.kiosks")
    with pytest.raises(services.HeartbeatRefusedError):
        services.heartbeat_record(token=token, ip="192.0.2.7")
    assert not Heartbeat.objects.exists()
    message = caplog.records[-1].getMessage()
    assert "192.0.2.7" in message
    if len(token.strip()) > 8:
        assert token.strip() not in message


def test_heartbeat_closes_the_open_incident(manager, kiosk):
    token = services.kiosk_token_issue(actor=manager, kiosk=kiosk)
    incident = Incident.objects.create(kiosk=kiosk, started_at=local(2026, 3, 3, 9, 0))
    services.heartbeat_record(token=token, at=local(2026, 3, 3, 10, 2))
    incident.refresh_from_db()
    assert incident.ended_at == local(2026, 3, 3, 10, 2)


def test_heartbeat_queries(manager, kiosk, django_assert_max_num_queries):
    token = services.kiosk_token_issue(actor=manager, kiosk=kiosk)
    with django_assert_max_num_queries(5):  # token, savepoint/insert, last_seen (+ transaction)
        services.heartbeat_record(token=token)


# --- Incidents -------------------------------------------------------------------------------


@pytest.fixture
def heard(manager, kiosk):
    """The Murat kiosk heard last at 10:00 on Tuesday, with the host's email set."""
    kiosk.place.email = "accueil@hautesterres.fr"
    kiosk.place.save(update_fields=["email"])
    kiosk.last_seen_at = local(2026, 3, 3, 10, 0)
    kiosk.save(update_fields=["last_seen_at"])
    return kiosk


def test_no_incident_before_thirty_minutes(heard):
    assert services.incidents_detect(now=local(2026, 3, 3, 10, 30)) == 0
    assert not Incident.objects.exists()


def test_incident_opened_after_thirty_minutes_and_alerted_once(
    heard, staff, mailoutbox, django_capture_on_commit_callbacks
):
    other_manager = staff(Role.PROGRAMME_MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.incidents_detect(now=local(2026, 3, 3, 10, 35)) == 1
    incident = Incident.objects.get(kiosk=heard)
    assert incident.started_at == local(2026, 3, 3, 10, 0)
    assert incident.alerted_at == local(2026, 3, 3, 10, 35)
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert "accueil@hautesterres.fr" in email.to
    assert other_manager.email in email.to
    assert "murat" in email.subject
    assert "/bornes/murat/" in email.body
    # Five minutes later: still silent, still one incident, no second email.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.incidents_detect(now=local(2026, 3, 3, 10, 40)) == 0
    assert Incident.objects.count() == 1
    assert len(mailoutbox) == 1


def test_no_incident_while_the_place_is_closed(heard):
    # Lunch break, then evening, then Saturday: the place is closed.
    for now in (local(2026, 3, 3, 12, 45), local(2026, 3, 3, 19, 0), local(2026, 3, 7, 10, 0)):
        assert services.incidents_detect(now=now) == 0
    assert not Incident.objects.exists()


def test_silence_counts_opening_minutes_only(heard):
    """Last heard at 11:50: at 14:15 the silence is 10 + 15 = 25 open minutes (no incident);
    at 14:25 it is 35 (an incident, starting at 11:50)."""
    heard.last_seen_at = local(2026, 3, 3, 11, 50)
    heard.save(update_fields=["last_seen_at"])
    assert services.incidents_detect(now=local(2026, 3, 3, 14, 15)) == 0
    assert services.incidents_detect(now=local(2026, 3, 3, 14, 25)) == 1
    assert Incident.objects.get().started_at == local(2026, 3, 3, 11, 50)


def test_overnight_silence_starts_at_opening(heard):
    heard.last_seen_at = local(2026, 3, 2, 16, 58)  # Monday evening
    heard.save(update_fields=["last_seen_at"])
    assert services.incidents_detect(now=local(2026, 3, 3, 9, 20)) == 0  # 18 open minutes + 2
    assert services.incidents_detect(now=local(2026, 3, 3, 9, 35)) == 1
    assert Incident.objects.get().started_at == local(2026, 3, 2, 16, 58)


def test_out_of_service_kiosk_gets_no_incident(heard):
    heard.status = KioskStatus.OUT_OF_SERVICE
    heard.save(update_fields=["status"])
    assert services.incidents_detect(now=local(2026, 3, 3, 11, 0)) == 0


def test_incident_closed_by_the_next_heartbeat_then_a_new_one_may_open(manager, heard):
    token = services.kiosk_token_issue(actor=manager, kiosk=heard)
    services.incidents_detect(now=local(2026, 3, 3, 10, 45))
    services.heartbeat_record(token=token, at=local(2026, 3, 3, 10, 50))
    assert Incident.objects.get().ended_at == local(2026, 3, 3, 10, 50)
    assert services.incidents_detect(now=local(2026, 3, 3, 11, 30)) == 1
    assert Incident.objects.count() == 2


def test_incident_cause(manager, heard):
    services.incidents_detect(now=local(2026, 3, 3, 10, 45))
    incident = Incident.objects.get()
    with pytest.raises(ValidationError):
        services.incident_set_cause(actor=manager, incident=incident, cause="  ")
    services.incident_set_cause(actor=manager, incident=incident, cause="Coupure électrique")
    incident.refresh_from_db()
    assert incident.cause == "Coupure électrique"


# --- Uptime and retention --------------------------------------------------------------------


def test_uptime_of_a_hand_made_day(kiosk):
    """Open 9-12 and 14-17 (360 minutes). Heard 9:00-9:59 (60), 11:30-12:29 (30 inside), at
    night (0) and 14:00-14:09 (10): 100 open minutes online."""
    minutes = []
    for start, count in (
        (local(2026, 3, 3, 9, 0), 60),
        (local(2026, 3, 3, 11, 30), 60),
        (local(2026, 3, 3, 14, 0), 10),
    ):
        minutes += [start + timedelta(minutes=i) for i in range(count)]
    minutes += [local(2026, 3, 3, 22, 0), local(2026, 3, 4, 9, 0)]
    Heartbeat.objects.bulk_create([Heartbeat(kiosk=kiosk, minute=m) for m in minutes])
    assert services.uptime_compute_day(day=TUESDAY) == 1
    row = UptimeDay.objects.get(kiosk=kiosk, date=TUESDAY)
    assert (row.open_minutes, row.online_open_minutes) == (360, 100)
    # Run again (idempotent), and a Saturday: closed all day.
    services.uptime_compute_day(day=TUESDAY)
    services.uptime_compute_day(day=date(2026, 3, 7))
    assert UptimeDay.objects.count() == 2
    assert UptimeDay.objects.get(date=date(2026, 3, 7)).open_minutes == 0


def test_uptime_on_a_public_holiday_is_zero_open_minutes(kiosk):
    services.uptime_compute_day(day=date(2026, 5, 1))  # Friday 1 May: PH off
    assert UptimeDay.objects.get(kiosk=kiosk).open_minutes == 0


def test_monthly_uptime_reads_uptime_days(kiosk):
    UptimeDay.objects.create(kiosk=kiosk, date=date(2026, 3, 3), open_minutes=360, online_open_minutes=360)
    UptimeDay.objects.create(kiosk=kiosk, date=date(2026, 3, 4), open_minutes=360, online_open_minutes=180)
    UptimeDay.objects.create(kiosk=kiosk, date=date(2026, 2, 27), open_minutes=360, online_open_minutes=36)
    months = queries.monthly_uptime(kiosk, today=date(2026, 3, 10))
    assert [(m.month, m.percent) for m in months] == [(date(2026, 3, 1), 75.0), (date(2026, 2, 1), 10.0)]


def test_purge_keeps_ninety_days(kiosk):
    now = timezone.now()
    Heartbeat.objects.bulk_create(
        [
            Heartbeat(kiosk=kiosk, minute=(now - timedelta(days=91)).replace(second=0, microsecond=0)),
            Heartbeat(kiosk=kiosk, minute=(now - timedelta(days=89)).replace(second=0, microsecond=0)),
        ]
    )
    assert services.heartbeats_purge_old(now=now) == 1
    assert Heartbeat.objects.count() == 1


def test_periodic_jobs_are_registered():
    from cybercantal.core import scheduler
    from cybercantal.kiosks import tasks

    names = {job.task.name if hasattr(job.task, "name") else str(job.task) for job in scheduler._registry.values()}
    assert tasks.kiosks_detect_incidents.name in names
    assert tasks.kiosks_compute_uptime.name in names
    assert tasks.kiosks_purge_heartbeats.name in names
