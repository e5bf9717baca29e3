"""Security review: object-level access, redirects, secrets and odd input across the finished
parts (booking, series, waiting list, check-in, calendar, agreements, occupancy)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cybercantal.accounts.models import Role

from ..models import Booking, BookingStatus, DayPart, WaitlistEntry
from ..services import booking as service
from ..services import series as series_service
from .factories import MembershipFactory, ResourceFactory, TelecentreFactory, give_credits, next_weekday
from .factories_agreements import agreement_in_force, book_day, joined_employee

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return next_weekday(1, weeks=1)


def new_member(telecentre, amount="10"):
    membership = MembershipFactory(telecentre=telecentre)
    give_credits(membership, amount)
    return membership.member


# --- employer managers: usage only, never a booking's times ---------------------------------------


def test_employer_manager_cannot_open_or_cancel_an_employee_booking(client, telecentre, pool, day):
    """Data minimisation: the employer sees days used, not when nor where exactly. The
    ``cancel_booking`` permission (given to employer managers for the removal of an employee)
    opened the cancellation page, which shows the booking's times, and let them cancel any
    single booking paid by the agreement."""
    setup = agreement_in_force(telecentre)
    employee, _membership = joined_employee(setup.agreement, telecentre)
    booking = book_day(employee.user, pool, day, DayPart.MORNING)
    client.force_login(setup.employer_manager)
    response = client.get(f"/telecentres/reservations/{booking.pk}/annuler/")
    assert response.status_code in (403, 404)
    assert "8 h" not in response.content.decode()
    response = client.post(f"/telecentres/reservations/{booking.pk}/annuler/")
    assert response.status_code in (403, 404)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    # The page of the booking, its calendar file and the API stay closed too.
    assert client.get(f"/telecentres/reservations/{booking.pk}/").status_code in (403, 404)
    assert client.get(f"/telecentres/reservations/{booking.pk}/agenda.ics").status_code in (403, 404)
    assert client.delete(f"/api/telecentres/reservations/{booking.pk}").status_code in (403, 404)


def test_employer_manager_still_cancels_through_the_removal(client, telecentre, pool, day):
    setup = agreement_in_force(telecentre)
    employee, _membership = joined_employee(setup.agreement, telecentre)
    booking = book_day(employee.user, pool, day)
    from ..services import agreements

    agreements.employee_remove(actor=setup.employer_manager, employee=employee)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_employer_manager_of_another_employer_sees_nothing(client, telecentre, pool, day):
    mine = agreement_in_force(telecentre)
    theirs = agreement_in_force(telecentre)
    client.force_login(mine.employer_manager)
    for url in (
        f"/telecentres/employeur/conventions/{theirs.agreement.pk}/",
        f"/telecentres/conventions/{theirs.agreement.pk}/",
    ):
        assert client.get(url).status_code in (403, 404), url


# --- members: only their own -----------------------------------------------------------------------


def test_a_member_reaches_nothing_of_another_member(client, telecentre, pool, day):
    alice = new_member(telecentre)
    bob = new_member(telecentre)
    booking = service.booking_create(actor=alice, resource=pool, day=day, part=DayPart.DAY, notify=False)
    series = series_service.series_create(
        actor=alice,
        resource=pool,
        rrule="FREQ=WEEKLY;COUNT=2",
        first_day=day + dt.timedelta(days=7),
        part=DayPart.MORNING,
        notify=False,
    )
    entry = WaitlistEntry.objects.create(
        resource=pool, member=alice, starts_at=booking.starts_at, ends_at=booking.ends_at, part=DayPart.DAY
    )
    client.force_login(bob)
    for url in (
        f"/telecentres/reservations/{booking.pk}/",
        f"/telecentres/reservations/{booking.pk}/annuler/",
        f"/telecentres/reservations/{booking.pk}/agenda.ics",
        f"/telecentres/series/{series.pk}/",
    ):
        assert client.get(url).status_code in (403, 404), url
    assert client.post(f"/telecentres/reservations/{booking.pk}/annuler/").status_code in (403, 404)
    assert client.post(f"/telecentres/series/{series.pk}/annuler/", {"mode": "all", "confirm": "1"}).status_code in (
        403,
        404,
    )
    assert client.post(f"/telecentres/liste-attente/{entry.pk}/retirer/").status_code == 404
    assert client.delete(f"/api/telecentres/reservations/{booking.pk}").status_code == 404
    assert client.post(f"/api/telecentres/reservations/{booking.pk}/annuler").status_code == 404
    # Check-in with someone else's code: 404, nothing recorded.
    assert client.post(f"/telecentres/arrivee/{booking.checkin_code}/").status_code == 404
    booking.refresh_from_db()
    entry.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.checked_in_at is None
    assert entry.status == WaitlistEntry.Status.WAITING
    assert Booking.objects.filter(series=series, status=BookingStatus.CONFIRMED).count() == 2


def test_the_poster_check_in_only_takes_ones_own_booking(client, telecentre, pool):
    alice = new_member(telecentre)
    bob = new_member(telecentre)
    today = timezone.localdate()
    booking = Booking.objects.create(
        resource=pool,
        member=alice,
        starts_at=timezone.now() - dt.timedelta(minutes=5),
        ends_at=timezone.now() + dt.timedelta(hours=2),
        blocked_until=timezone.now() + dt.timedelta(hours=2),
        part=DayPart.MORNING,
        days_counted=0,
    )
    assert today
    client.force_login(bob)
    url = f"/telecentres/{telecentre.slug}/arrivee/{telecentre.checkin_token}/"
    client.post(url, {"booking": booking.pk})
    booking.refresh_from_db()
    assert booking.checked_in_at is None


def test_another_telecentres_manager_reaches_nothing(client, staff, telecentre, pool, day):
    other = staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place)
    alice = new_member(telecentre)
    booking = service.booking_create(actor=alice, resource=pool, day=day, part=DayPart.DAY, notify=False)
    client.force_login(other)
    for url in (
        f"/telecentres/gestion/{telecentre.slug}/planning/",
        f"/telecentres/gestion/{telecentre.slug}/affiche/",
        f"/telecentres/gestion/{telecentre.slug}/occupation/",
        f"/telecentres/gestion/{telecentre.slug}/occupation/export.csv",
        f"/telecentres/reservations/{booking.pk}/",
        f"/telecentres/reservations/{booking.pk}/annuler/",
    ):
        assert client.get(url).status_code in (403, 404), url
    assert client.post(f"/telecentres/reservations/{booking.pk}/annuler/").status_code in (403, 404)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_manager_cannot_book_with_another_telecentres_resource_or_member(client, manager, telecentre, pool, day):
    elsewhere = TelecentreFactory()
    their_pool = ResourceFactory(telecentre=elsewhere)
    outsider = new_member(elsewhere)
    client.force_login(manager)
    url = f"/telecentres/{telecentre.slug}/reserver/"
    # A resource of another telecentre in the form: refused by the form.
    response = client.post(url, {"ressource": their_pool.pk, "jour": day.isoformat(), "moment": DayPart.DAY})
    assert response.status_code == 200
    assert not Booking.objects.filter(resource=their_pool).exists()
    # A member of another telecentre, by id or by search: refused.
    response = client.post(
        url, {"ressource": pool.pk, "jour": day.isoformat(), "moment": DayPart.DAY, "membre_id": outsider.pk}
    )
    assert not Booking.objects.filter(member=outsider).exists()
    response = client.post(
        url, {"ressource": pool.pk, "jour": day.isoformat(), "moment": DayPart.DAY, "membre": outsider.email}
    )
    assert "Aucun membre de ce télécentre" in response.content.decode()
    assert not Booking.objects.filter(member=outsider).exists()
    # The API: booking for someone of another telecentre.
    response = client.post(
        "/api/telecentres/reservations",
        {"ressource": their_pool.pk, "jour": day.isoformat(), "moment": "day", "membre": outsider.pk},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Booking.objects.filter(member=outsider).exists()


# --- redirects -------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"])
def test_no_open_redirect(client, telecentre, pool, day, target):
    alice = new_member(telecentre)
    booking = service.booking_create(actor=alice, resource=pool, day=day, part=DayPart.DAY, notify=False)
    client.force_login(alice)
    response = client.post(f"/telecentres/reservations/{booking.pk}/annuler/", {"retour": target})
    assert response.status_code == 302
    assert "evil" not in response["Location"]
    assert "javascript" not in response["Location"]
    response = client.post(
        "/telecentres/liste-attente/rejoindre/",
        {"ressource": pool.pk, "jour": day.isoformat(), "moment": DayPart.DAY, "next": target},
    )
    assert response.status_code == 302
    assert "evil" not in response["Location"]
    assert "javascript" not in response["Location"]


# --- secrets ---------------------------------------------------------------------------------------


def test_calendar_feed_needs_the_exact_secret_and_does_not_leak_it(client, telecentre, pool, day):
    from ..services.checkin import member_profile

    alice = new_member(telecentre)
    service.booking_create(actor=alice, resource=pool, day=day, part=DayPart.DAY, notify=False)
    token = member_profile(alice).calendar_token
    assert len(token) >= 32
    assert client.get(f"/telecentres/calendrier/{token}.ics").status_code == 200
    for wrong in (token[:-1], token.upper() if token.upper() != token else token.lower(), "x" * 32, "%00" * 20):
        assert client.get(f"/telecentres/calendrier/{wrong}.ics").status_code == 404
    response = client.get(f"/telecentres/calendrier/{token}.ics")
    assert "no-referrer" in response.get("Referrer-Policy", "") or "same-origin" in response.get("Referrer-Policy", "")


def test_check_in_codes_are_rate_limited(client, telecentre):
    from django.core.cache import cache

    cache.clear()
    alice = new_member(telecentre)
    client.force_login(alice)
    statuses = [client.get(f"/telecentres/arrivee/ABCDEFG{n}/").status_code for n in range(2, 9)]
    statuses += [client.post("/telecentres/arrivee/", {"code": f"ZZZZZZZ{n}"}).status_code for n in range(2, 9)]
    assert statuses[-1] == 429
    cache.clear()


# --- odd input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"jour": "0001-01-01", "moment": "day"},
        {"jour": "9999-12-31", "moment": "day"},
        {"jour": "2026-02-30", "moment": "day"},
        {"jour": "2026-03-03\x00", "moment": "day"},
        {"jour": "2026-03-03", "moment": "day\x00"},
        {"jour": "2026-03-03", "moment": "day", "debut": "99:99", "fin": "\x00"},
    ],
)
def test_odd_booking_input_is_never_a_500(client, telecentre, pool, manager, params):
    alice = new_member(telecentre)
    url = f"/telecentres/{telecentre.slug}/reserver/"
    for who in (alice, manager):
        client.force_login(who)
        data = {"ressource": pool.pk, **params}
        assert client.post(url, data).status_code < 500
        assert client.get(url, {**data, "etape": "verifier"}).status_code < 500
        assert client.post(url, {**data, "membre": "\x00", "membre_id": "9" * 40}).status_code < 500


@pytest.mark.parametrize(
    "body",
    [
        {"ressource": [1], "jour": "2026-03-03", "moment": "day"},
        {"ressource": 10**30, "jour": "2026-03-03", "moment": "day"},
        {"ressource": 1, "jour": "0001-01-01", "moment": "day"},
        {"ressource": 1, "jour": "9999-12-31", "moment": "day"},
        {"ressource": 1, "debut": "9999-12-31T23:59:59+14:00", "fin": "9999-12-31T23:59:59-12:00"},
        {"ressource": 1, "debut": "0001-01-01T00:00:00+14:00", "fin": "0001-01-01T01:00:00+14:00"},
        {"ressource": 1, "jour": {"a": 1}, "moment": ["day"]},
        {"ressource": 1, "jour": "2026-03-03\u0000", "moment": "day"},
        {"ressource": 1, "membre": -1},
    ],
)
def test_odd_api_input_is_never_a_500(client, telecentre, pool, body):
    alice = new_member(telecentre)
    client.force_login(alice)
    body = {**body, "ressource": pool.pk} if body.get("ressource") == 1 else body
    response = client.post("/api/telecentres/reservations", body, content_type="application/json")
    assert response.status_code in (400, 403, 409, 422), response.content
    response = client.post("/api/telecentres/reservations", b'{"ressource": \xff\xfe}', content_type="application/json")
    assert response.status_code in (400, 422)


def test_waitlist_and_series_odd_input(client, telecentre, pool):
    alice = new_member(telecentre)
    client.force_login(alice)
    for data in (
        {"ressource": "9" * 40, "jour": "9999-12-31", "moment": "day"},
        {"ressource": pool.pk, "jour": "0001-01-01", "moment": "day"},
        {"ressource": pool.pk, "jour": "2026-03-03", "moment": "\x00"},
        {"ressource": [pool.pk, pool.pk], "jour": "x", "next": "\x00"},
    ):
        assert client.post("/telecentres/liste-attente/rejoindre/", data).status_code < 500
    url = f"/telecentres/{telecentre.slug}/reserver/recurrent/"
    for rrule in ("FREQ=WEEKLY;UNTIL=99991231", "FREQ=WEEKLY;COUNT=99999999999999999999", "FREQ=\x00", "é" * 400):
        data = {"resource": pool.pk, "first_day": "9999-12-31", "part": "day", "mode": "rrule", "rrule": rrule}
        assert client.post(url, data).status_code < 500
        data["first_day"] = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        assert client.post(url, {**data, "action": "confirm"}).status_code < 500


def test_a_closed_accounts_calendar_feed_stops(client, telecentre, pool, day):
    from ..services.checkin import member_profile

    alice = new_member(telecentre)
    service.booking_create(actor=alice, resource=pool, day=day, part=DayPart.DAY, notify=False)
    token = member_profile(alice).calendar_token
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert client.get(f"/telecentres/calendrier/{token}.ics").status_code == 404


def test_terms_changed_while_waiting_for_the_locks_are_not_used(monkeypatch, telecentre, pool, day):
    """``booking_create`` decides who pays before its locks; if the membership ended or the
    employee was removed meanwhile, the second reading (under the locks) differs: refused,
    nothing written, nothing debited."""
    alice = new_member(telecentre)
    real = service.decide_terms
    calls = []

    def changing(**kwargs):
        calls.append(1)
        terms = real(**kwargs)
        if len(calls) == 1:
            return terms
        return service.Terms(None, None, terms.plan, terms.usage_price, terms.vat_rate)

    monkeypatch.setattr(service, "decide_terms", changing)
    with pytest.raises(service.BookingError) as refused:
        service.booking_create(actor=alice, resource=pool, day=day, part=DayPart.DAY, notify=False)
    assert refused.value.code == "retry"
    assert not Booking.objects.filter(member=alice).exists()
