"""Recurring bookings: real bookings per date, the report of refused dates (closure, full,
quota, credits), one summary email, and cancelling one date, a period or the rest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry

from ..models import Booking, BookingSeries, BookingStatus, Closure, CreditGrant, DayPart, WaitlistEntry
from ..services import booking as booking_service
from ..services import series as service
from ..services.waitlist import waitlist_join
from .factories import MembershipFactory, PlanFactory, TelecentreFactory, give_credits
from .factories_series import carnet_member, employee_of, monday_in, rule_until

pytestmark = pytest.mark.django_db


def create(actor, resource, rule, first_day, **kwargs):
    kwargs.setdefault("part", DayPart.DAY)
    return service.series_create(actor=actor, resource=resource, rrule=rule, first_day=first_day, **kwargs)


def four_weeks(monday):
    return rule_until(monday + dt.timedelta(days=27))


# --- create -------------------------------------------------------------------------------------


def test_tuesdays_and_thursdays_for_four_weeks_are_real_bookings(
    pool, member, django_capture_on_commit_callbacks, mailoutbox
):
    monday = monday_in(1)
    with django_capture_on_commit_callbacks(execute=True):
        series = create(member, pool, four_weeks(monday), monday)
    bookings = list(series.bookings.order_by("starts_at"))
    assert len(bookings) == 8
    assert [timezone.localtime(b.starts_at).weekday() for b in bookings] == [1, 3] * 4
    assert all(b.status == BookingStatus.CONFIRMED and b.part == DayPart.DAY for b in bookings)
    assert series.report == []
    assert series.rrule == f"FREQ=WEEKLY;UNTIL={monday + dt.timedelta(days=27):%Y%m%d}T235959;BYDAY=TU,TH"
    # Credits are spent date by date: 8 days of the carnet.
    assert CreditGrant.objects.get(membership__member=member).remaining == Decimal("2")
    # One summary email, no email per booking.
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.subject.endswith("Réservations récurrentes : 8 réservées")
    assert "tous les mardis et jeudis" in mail.body
    assert f"/telecentres/series/{series.pk}/" in mail.body
    assert bookings[0].checkin_code in mail.body
    assert JournalEntry.objects.filter(action="telework.series.created", target_id=str(series.pk)).exists()


def test_report_says_closed_full_and_the_nearest_alternative(pool, member, telecentre, mailoutbox):
    monday = monday_in(1)
    first_thursday = monday + dt.timedelta(days=3)
    second_tuesday = monday + dt.timedelta(days=8)
    Closure.objects.create(telecentre=telecentre, starts_on=first_thursday, ends_on=first_thursday, reason="Noël")
    pool.capacity = 1
    pool.save()
    other = carnet_member(telecentre)
    booking_service.booking_create(actor=other, resource=pool, day=second_tuesday, part=DayPart.DAY)

    series = create(member, pool, rule_until(monday + dt.timedelta(days=13)), monday)

    assert series.bookings.count() == 2
    closed, full = series.report
    assert closed == {"date": first_thursday.isoformat(), "code": "closed", "reason": "le télécentre est fermé (Noël)"}
    assert full["date"] == second_tuesday.isoformat()
    assert full["code"] == "conflict"
    assert full["reason"] == "tous les postes sont réservés"
    assert full["can_wait"] is True
    # The whole day is full; the nearest free one is the next day.
    assert full["alternative"]["day"] == (second_tuesday + dt.timedelta(days=1)).isoformat()
    assert full["alternative"]["part"] == DayPart.DAY
    assert "Open space" in full["alternative"]["text"]
    text = service.summary(2, series.report)
    assert text.startswith("2 réservées, 2 non réservées : ")
    assert "— le télécentre est fermé (Noël)" in text
    assert service.describe_report_line(closed) == (
        f"{date_format(first_thursday, 'l j F Y')} — le télécentre est fermé (Noël)"
    )
    assert date_format(first_thursday, "l").startswith("jeudi")


def test_summary_in_words():
    line = {"date": "2026-12-24", "code": "closed", "reason": "le télécentre est fermé"}
    assert (
        service.summary(12, [line]) == "12 réservées, 1 non réservée : jeudi 24 décembre 2026 — le télécentre est fermé"
    )
    assert service.summary(1, []) == "1 réservée"


def test_agreement_quota_refuses_the_third_day_each_week(pool, telecentre):
    employee = employee_of(telecentre, days_per_week=2)
    monday = monday_in(1)
    series = create(employee, pool, rule_until(monday + dt.timedelta(days=20), "TU,WE,TH"), monday)
    booked = [timezone.localtime(b.starts_at).weekday() for b in series.bookings.order_by("starts_at")]
    assert booked == [1, 2] * 3
    assert [line["code"] for line in series.report] == ["quota"] * 3
    assert [dt.date.fromisoformat(line["date"]).weekday() for line in series.report] == [3, 3, 3]
    assert "Votre employeur prend en charge 2 jours par semaine" in series.report[0]["reason"]
    assert all(b.agreement_id is not None for b in series.bookings.all())


def test_no_credits_left_and_no_price_beyond(pool, telecentre):
    plan = PlanFactory(telecentre=telecentre, usage_price_day=None)
    membership = MembershipFactory(telecentre=telecentre, plan=plan)
    give_credits(membership, "2")
    monday = monday_in(1)
    series = create(membership.member, pool, four_weeks(monday), monday)
    assert series.bookings.count() == 2
    assert {line["code"] for line in series.report} == {"no_credits"}
    assert len(series.report) == 6
    assert "Vos crédits ne suffisent pas" in series.report[0]["reason"]


def test_nothing_bookable_saves_nothing(pool, telecentre):
    stranger = MembershipFactory(telecentre=TelecentreFactory()).member  # a member elsewhere
    monday = monday_in(1)
    with pytest.raises(service.SeriesError, match="Aucune date n'a pu être réservée : Cette ressource est réservée"):
        create(stranger, pool, four_weeks(monday), monday)
    assert not BookingSeries.objects.exists()
    assert not Booking.objects.exists()


def test_the_same_series_sent_twice_is_one_series(pool, member):
    monday = monday_in(1)
    first = create(member, pool, four_weeks(monday), monday)
    again = create(member, pool, four_weeks(monday), monday)
    assert again.pk == first.pk
    assert Booking.objects.count() == 8


def test_office_series_with_times(office, member):
    monday = monday_in(1)
    series = create(
        member,
        office,
        "FREQ=WEEKLY;BYDAY=MO;COUNT=3",
        monday,
        part="",
        start_time=dt.time(9),
        end_time=dt.time(12, 30),
    )
    bookings = list(series.bookings.order_by("starts_at"))
    assert [timezone.localtime(b.starts_at).time() for b in bookings] == [dt.time(9)] * 3
    assert [timezone.localtime(b.ends_at).time() for b in bookings] == [dt.time(12, 30)] * 3
    assert (series.start_time, series.end_time, series.part) == (dt.time(9), dt.time(12, 30), "")
    with pytest.raises(service.SeriesError) as caught:
        create(member, office, "FREQ=DAILY;COUNT=2", monday, part="", start_time=dt.time(12), end_time=dt.time(9))
    assert "fin doit suivre" in caught.value.message_dict["end_time"][0]
    with pytest.raises(service.SeriesError) as caught:
        create(member, office, "FREQ=DAILY;COUNT=2", monday, part="")
    assert "start_time" in caught.value.message_dict


def test_pool_needs_a_part(pool, member):
    with pytest.raises(service.SeriesError) as caught:
        create(member, pool, "FREQ=DAILY;COUNT=2", monday_in(1), part="soir")
    assert "part" in caught.value.message_dict


def test_only_for_oneself_unless_manager(pool, member, telecentre, manager):
    other = carnet_member(telecentre)
    with pytest.raises(service.SeriesError) as caught:
        create(other, pool, "FREQ=DAILY;COUNT=2", monday_in(1), member=member)
    assert caught.value.code == "forbidden"
    series = create(manager, pool, "FREQ=DAILY;COUNT=2", monday_in(1), member=member)
    assert series.member == member
    assert {b.member_id for b in series.bookings.all()} == {member.pk}
    assert {b.created_by_id for b in series.bookings.all()} == {manager.pk}


# --- cancel -------------------------------------------------------------------------------------


@pytest.fixture
def month(pool, member):
    monday = monday_in(1)
    return create(member, pool, four_weeks(monday), monday), monday


def confirmed_days(series):
    return [
        timezone.localtime(b.starts_at).date()
        for b in series.bookings.filter(status=BookingStatus.CONFIRMED).order_by("starts_at")
    ]


def test_cancel_one_date_refunds_it(month, member):
    series, monday = month
    thursday = monday + dt.timedelta(days=3)
    result = service.series_cancel(actor=member, series=series, from_day=thursday, to_day=thursday)
    assert (result.cancelled, result.late, result.refunded, result.past) == (1, 0, Decimal("1.0"), 0)
    assert thursday not in confirmed_days(series)
    assert len(confirmed_days(series)) == 7
    assert CreditGrant.objects.get(membership__member=member).remaining == Decimal("3")
    # Sent again (double submit): nothing more.
    again = service.series_cancel(actor=member, series=series, from_day=thursday, to_day=thursday)
    assert again.cancelled == 0
    assert len(confirmed_days(series)) == 7


def test_cancel_a_period_and_all_the_following(month, member):
    series, monday = month
    result = service.series_cancel(
        actor=member, series=series, from_day=monday + dt.timedelta(days=7), to_day=monday + dt.timedelta(days=13)
    )
    assert result.cancelled == 2
    result = service.series_cancel(actor=member, series=series, from_day=monday + dt.timedelta(days=17))
    assert result.cancelled == 3
    assert confirmed_days(series) == [monday + dt.timedelta(days=n) for n in (1, 3, 15)]
    assert JournalEntry.objects.filter(action="telework.series.cancelled").count() == 2


def test_a_past_occurrence_is_left_alone(month, member):
    series, _monday = month
    first = series.bookings.order_by("starts_at").first()
    yesterday = timezone.now() - dt.timedelta(days=1)
    Booking.objects.filter(pk=first.pk).update(
        starts_at=yesterday, ends_at=yesterday + dt.timedelta(hours=8), blocked_until=yesterday + dt.timedelta(hours=8)
    )
    result = service.series_cancel(actor=member, series=series)
    assert (result.cancelled, result.past) == (7, 1)
    first.refresh_from_db()
    assert first.status == BookingStatus.CONFIRMED


def test_late_cancellation_keeps_the_credits(pool, member, telecentre):
    telecentre.cancellation_notice_hours = 24 * 30
    telecentre.save()
    monday = monday_in(1)
    series = create(member, pool, "FREQ=WEEKLY;BYDAY=TU;COUNT=2", monday)
    result = service.series_cancel(actor=member, series=series)
    assert (result.cancelled, result.late, result.refunded) == (2, 2, Decimal("0"))
    assert CreditGrant.objects.get(membership__member=member).remaining == Decimal("8")


def test_the_manager_cancels_in_time_and_the_member_is_told(
    month, manager, member, django_capture_on_commit_callbacks, mailoutbox
):
    series, _monday = month
    with django_capture_on_commit_callbacks(execute=True):
        result = service.series_cancel(actor=manager, series=series)
    assert result.cancelled == 8
    assert [m.to for m in mailoutbox] == [[member.email]]
    assert "a annulé 8 de vos réservations" in mailoutbox[0].body


def test_someone_else_cannot_cancel(month, telecentre, staff):
    series, _monday = month
    for intruder in (carnet_member(telecentre), staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place)):
        with pytest.raises(service.SeriesError) as caught:
            service.series_cancel(actor=intruder, series=series)
        assert caught.value.code == "forbidden"
    assert len(confirmed_days(series)) == 8


def test_reversed_range_is_refused(month, member):
    series, monday = month
    with pytest.raises(service.SeriesError) as caught:
        service.series_cancel(actor=member, series=series, from_day=monday + dt.timedelta(days=9), to_day=monday)
    assert "to_day" in caught.value.message_dict


def test_cancelling_a_date_gives_the_seat_to_the_waiting_list(pool, member, telecentre):
    pool.capacity = 1
    pool.save()
    monday = monday_in(1)
    series = create(member, pool, "FREQ=WEEKLY;BYDAY=TU;COUNT=2", monday)
    tuesday = monday + dt.timedelta(days=1)
    waiting = carnet_member(telecentre)
    entry = waitlist_join(actor=waiting, resource=pool, day=tuesday, part=DayPart.DAY)
    service.series_cancel(actor=member, series=series, from_day=tuesday, to_day=tuesday)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.PROMOTED
    assert entry.booking.member == waiting
