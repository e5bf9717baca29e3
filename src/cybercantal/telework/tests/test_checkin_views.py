"""The arrival pages and the calendar pages, per role: the poster (managers), the scan of the
poster, the code typed or scanned, the calendar settings and a booking's .ics; bad input,
rate limiting, query counts."""

from __future__ import annotations

import datetime as dt
import html as html_lib

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry

from ..models import BookingStatus, MemberProfile
from ..views import checkin as views
from .factories import ResourceFactory, TelecentreFactory, UserFactory
from .factories_checkin import booking_under_way, make_booking

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def other_manager(staff):
    return staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place)


@pytest.fixture
def booking(pool, member):
    return booking_under_way(pool, member)


def _signed_in(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def text(response) -> str:
    """The page's text, entities decoded and apostrophes made plain."""
    return html_lib.unescape(response.content.decode()).replace("’", "'")


def _assert_login_redirect(response):
    assert response.status_code == 302
    assert "/compte/" in response["Location"] or "login" in response["Location"]


# --- the poster --------------------------------------------------------------------------------


def test_poster_per_role(client, telecentre, member, manager, other_manager, programme_manager):
    url = reverse("telework:checkin_poster", args=[telecentre.slug])
    _assert_login_redirect(_signed_in(client, None).get(url))
    for who, status in ((member, 403), (other_manager, 403), (manager, 200), (programme_manager, 200)):
        assert _signed_in(client, who).get(url).status_code == status


def test_poster_shows_a_qr_code_of_the_scan_address(client, telecentre, manager, settings):
    settings.SITE_URL = "https://cybercantal.example"
    response = _signed_in(client, manager).get(reverse("telework:checkin_poster", args=[telecentre.slug]))
    html = response.content.decode()
    assert '<svg class="checkin-qr__code" role="img"' in html
    assert telecentre.name in html
    assert "Scannez en arrivant pour confirmer votre présence : votre place reste à vous" in html
    assert "https://cybercantal.example/telecentres/arrivee/" in html  # the fallback for phones without a reader
    assert response.context["scan_url"] == (
        f"https://cybercantal.example/telecentres/{telecentre.slug}/arrivee/{telecentre.checkin_token}/"
    )
    assert "@media print" in _static("checkin.css").read_text(encoding="utf-8")


def _static(name):
    from pathlib import Path

    return Path(views.__file__).resolve().parent.parent / "static" / "telework" / name


def test_new_poster_needs_a_confirmation_and_kills_the_old_one(client, telecentre, manager, member, booking):
    old = telecentre.checkin_token
    url = reverse("telework:checkin_poster", args=[telecentre.slug])
    _signed_in(client, manager)
    response = client.post(url, {})
    assert response.status_code == 200
    assert "Cochez la case pour confirmer." in response.content.decode()
    telecentre.refresh_from_db()
    assert telecentre.checkin_token == old
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    telecentre.refresh_from_db()
    assert telecentre.checkin_token != old
    assert JournalEntry.objects.filter(action="telework.telecentre.checkin_token_regenerated").count() == 1
    # Members scanning the old poster get a 404 in French.
    response = _signed_in(client, member).get(reverse("telework:checkin_scan", args=[telecentre.slug, old]))
    assert response.status_code == 404
    assert "Cette affiche n'est plus valable" in text(response)
    assert (
        client.get(reverse("telework:checkin_scan", args=[telecentre.slug, telecentre.checkin_token])).status_code
        == 200
    )


# --- the scan --------------------------------------------------------------------------------------


def _scan_url(telecentre):
    return reverse("telework:checkin_scan", args=[telecentre.slug, telecentre.checkin_token])


def test_scan_needs_a_sign_in_and_the_right_secret(client, telecentre, member):
    _assert_login_redirect(_signed_in(client, None).get(_scan_url(telecentre)))
    _signed_in(client, member)
    other = TelecentreFactory()
    for slug, token in (
        (telecentre.slug, "x" * 32),
        (telecentre.slug, "court"),
        (other.slug, telecentre.checkin_token),
        ("inconnu", telecentre.checkin_token),
    ):
        response = client.get(reverse("telework:checkin_scan", args=[slug, token]))
        assert response.status_code == 404
        assert "Affiche introuvable" in response.content.decode()


def test_scan_then_one_tap_checks_in(client, telecentre, member, booking):
    _signed_in(client, member)
    response = client.get(_scan_url(telecentre))
    html = response.content.decode()
    assert "Je suis arrivé(e)" in html
    assert booking.resource.name in html
    response = client.post(_scan_url(telecentre), {"booking": booking.pk}, follow=True)
    assert "Arrivée enregistrée" in response.content.decode()
    booking.refresh_from_db()
    assert booking.checked_in_at is not None
    entry = JournalEntry.objects.get(action="telework.booking.checked_in")
    assert entry.data["via"] == "poster"
    # A double submit changes nothing.
    first = booking.checked_in_at
    client.post(_scan_url(telecentre), {"booking": booking.pk})
    booking.refresh_from_db()
    assert booking.checked_in_at == first
    assert "Arrivée signalée à" in client.get(_scan_url(telecentre)).content.decode()


def test_scan_without_a_booking_now_says_so_and_shows_the_next(client, telecentre, member, pool):
    _signed_in(client, member)
    later = booking_under_way(pool, member, minutes_ago=-24 * 60)
    html = client.get(_scan_url(telecentre)).content.decode()
    assert "pas de réservation en cours ici" in html
    assert "Votre prochaine réservation ici" in html
    assert later.resource.name in html


@pytest.mark.parametrize("value", ["", "abc", "-1", "9" * 30, "1.5"])
def test_scan_post_with_junk_or_someone_elses_booking(client, telecentre, member, pool, value):
    someone = booking_under_way(pool, UserFactory())
    _signed_in(client, member)
    for data in ({"booking": value}, {"booking": someone.pk}, {}):
        response = client.post(_scan_url(telecentre), data, follow=True)
        assert response.status_code == 200
        assert "n'est pas la vôtre" in text(response)
    someone.refresh_from_db()
    assert someone.checked_in_at is None


def test_scan_refuses_too_early_with_the_time(client, telecentre, member, pool):
    too_early = booking_under_way(pool, member, minutes_ago=-45)
    _signed_in(client, member)
    html = client.get(_scan_url(telecentre)).content.decode()
    assert "Je suis arrivé(e)" not in html  # 45 minutes before: not yet
    response = client.post(_scan_url(telecentre), {"booking": too_early.pk}, follow=True)
    assert "C'est un peu tôt" in text(response)


def test_scan_page_query_count(client, telecentre, member, django_assert_max_num_queries):
    for index in range(6):
        resource = ResourceFactory(telecentre=telecentre, kind="office", name=f"Bureau {index}")
        booking_under_way(resource, member, minutes_ago=5 + index)
    _signed_in(client, member)
    with django_assert_max_num_queries(12):
        response = client.get(_scan_url(telecentre))
    assert response.content.decode().count("Je suis arrivé(e)") == 6


# --- the code ----------------------------------------------------------------------------------------


def test_code_form_per_role(client, member):
    url = reverse("telework:checkin_code")
    _assert_login_redirect(_signed_in(client, None).get(url))
    assert _signed_in(client, member).get(url).status_code == 200


def test_typed_code_ignores_case_and_spaces(client, member, booking):
    _signed_in(client, member)
    typed = " ".join([booking.checkin_code[:4].lower(), booking.checkin_code[4:]])
    response = client.post(reverse("telework:checkin_code"), {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == reverse("telework:checkin_by_code", args=[booking.checkin_code])


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Saisissez le code de votre réservation."),
        ("ABC", "compte 8 caractères"),
        ("ABCDEFG0", "compte 8 caractères"),
        ("x" * 5000, "au plus 64 caractères"),
        ("ZZZZZZZZ", "Aucune de vos réservations"),
    ],
)
def test_wrong_codes_are_explained_next_to_the_field(client, member, typed, message):
    _signed_in(client, member)
    response = client.post(reverse("telework:checkin_code"), {"code": typed})
    html = text(response)
    assert response.status_code == 200
    assert message in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_code_helptext id_code_error"' in html


def test_someone_elses_code_is_not_revealed(client, pool, member):
    other = booking_under_way(pool, UserFactory())
    _signed_in(client, member)
    response = client.post(reverse("telework:checkin_code"), {"code": other.checkin_code})
    assert "Aucune de vos réservations" in response.content.decode()
    assert client.get(reverse("telework:checkin_by_code", args=[other.checkin_code])).status_code == 404


def test_code_page_lists_the_bookings_of_the_moment(client, member, booking):
    _signed_in(client, member)
    html = client.get(reverse("telework:checkin_code")).content.decode()
    assert "Vos réservations du moment" in html
    assert reverse("telework:checkin_by_code", args=[booking.checkin_code]) in html


def test_wrong_codes_are_rate_limited_per_person(client, member, booking):
    _signed_in(client, member)
    for _ in range(views.CODE_FAILURES_PER_USER):
        client.post(reverse("telework:checkin_code"), {"code": "ZZZZZZZZ"})
    response = client.post(reverse("telework:checkin_code"), {"code": booking.checkin_code})
    assert response.status_code == 429
    assert "Trop de codes erronés" in response.content.decode()
    assert client.get(reverse("telework:checkin_by_code", args=[booking.checkin_code])).status_code == 429
    # Another person at another address is not blocked.
    other = UserFactory()
    client.force_login(other)
    response = client.get(reverse("telework:checkin_code"), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 200


def test_wrong_codes_are_rate_limited_per_address(client, member):
    for index in range(views.CODE_FAILURES_PER_IP):
        client.force_login(UserFactory(email=f"essai{index}@example.org"))
        client.get(reverse("telework:checkin_by_code", args=["ZZZZZZZZ"]), REMOTE_ADDR="10.1.1.1")
    _signed_in(client, member)
    assert client.get(reverse("telework:checkin_code"), REMOTE_ADDR="10.1.1.1").status_code == 429
    assert client.get(reverse("telework:checkin_code"), REMOTE_ADDR="10.1.1.2").status_code == 200


def test_by_code_per_role(client, booking, member, manager, other_manager, programme_manager):
    url = reverse("telework:checkin_by_code", args=[booking.checkin_code])
    _assert_login_redirect(_signed_in(client, None).get(url))
    expected = ((UserFactory(), 404), (other_manager, 404), (member, 200), (manager, 200), (programme_manager, 200))
    for who, status in expected:
        assert _signed_in(client, who).get(url).status_code == status
    # The manager sees whose booking it is; the member sees "votre arrivée".
    assert booking.member.email in _signed_in(client, manager).get(url).content.decode() or (
        booking.member.get_full_name() in _signed_in(client, manager).get(url).content.decode()
    )


def test_by_code_checks_in_and_canonicalises_the_address(client, booking, member):
    _signed_in(client, member)
    lower = reverse("telework:checkin_by_code", args=[booking.checkin_code.lower()])
    response = client.get(lower)
    assert response.status_code == 302
    assert response["Location"] == reverse("telework:checkin_by_code", args=[booking.checkin_code])
    response = client.post(response["Location"], follow=True)
    assert "Arrivée enregistrée" in response.content.decode()
    booking.refresh_from_db()
    assert booking.checked_in_at is not None
    assert JournalEntry.objects.get(action="telework.booking.checked_in").data["via"] == "code"


def test_manager_checks_in_a_member_at_the_desk(client, booking, manager):
    _signed_in(client, manager)
    client.post(reverse("telework:checkin_by_code", args=[booking.checkin_code]))
    booking.refresh_from_db()
    assert booking.checked_in_at is not None
    entry = JournalEntry.objects.get(action="telework.booking.checked_in")
    assert entry.actor_id == manager.pk
    assert entry.data["via"] == "desk"


def test_by_code_of_a_released_booking_says_so(client, booking, member):
    booking.status = BookingStatus.RELEASED
    booking.released_at = timezone.now()
    booking.save()
    _signed_in(client, member)
    url = reverse("telework:checkin_by_code", args=[booking.checkin_code])
    assert "a été libérée" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "libérée" in response.content.decode()
    booking.refresh_from_db()
    assert booking.checked_in_at is None


# --- calendar pages ------------------------------------------------------------------------------


def test_calendar_settings_per_role_and_profile_creation(client, member, settings):
    settings.SITE_URL = "https://cybercantal.example"
    url = reverse("telework:calendar_settings")
    _assert_login_redirect(_signed_in(client, None).get(url))
    assert not MemberProfile.objects.filter(user=member).exists()
    response = _signed_in(client, member).get(url)
    assert response.status_code == 200
    token = MemberProfile.objects.get(user=member).calendar_token
    html = response.content.decode()
    assert f"https://cybercantal.example/telecentres/calendrier/{token}.ics" in html
    assert f"webcal://cybercantal.example/telecentres/calendrier/{token}.ics" in html
    for agenda in ("Google Agenda", "Apple", "Outlook"):
        assert agenda in html


def test_new_calendar_address_needs_a_confirmation(client, member):
    _signed_in(client, member)
    url = reverse("telework:calendar_settings")
    client.get(url)
    old = MemberProfile.objects.get(user=member).calendar_token
    response = client.post(url, {})
    assert "Cochez la case pour confirmer." in response.content.decode()
    assert MemberProfile.objects.get(user=member).calendar_token == old
    assert client.post(url, {"confirm": "on"}).status_code == 302
    new = MemberProfile.objects.get(user=member).calendar_token
    assert new != old
    assert client.get(reverse("telework:calendar_feed", args=[old])).status_code == 404
    assert client.get(reverse("telework:calendar_feed", args=[new])).status_code == 200
    assert JournalEntry.objects.filter(action="telework.profile.calendar_token_regenerated").count() == 1


def test_booking_ics_per_role(client, booking, member, manager, other_manager, programme_manager):
    url = reverse("telework:booking_ics", args=[booking.pk])
    _assert_login_redirect(_signed_in(client, None).get(url))
    for who, status in ((UserFactory(), 403), (other_manager, 403), (member, 200), (manager, 200)):
        assert _signed_in(client, who).get(url).status_code == status
    response = _signed_in(client, programme_manager).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="reservation-telecentre-{booking.pk}.ics"'
    assert _signed_in(client, member).get(reverse("telework:booking_ics", args=[999999])).status_code == 404


def test_feed_is_public_and_unknown_tokens_are_404(client, member, booking):
    from ..services.checkin import member_profile

    token = member_profile(member).calendar_token
    response = _signed_in(client, None).get(reverse("telework:calendar_feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert booking.checkin_code in response.content.decode()
    for junk in ("x" * 32, "a", "é" * 20, token[:-1] + ("A" if token[-1] != "A" else "B")):
        assert client.get(reverse("telework:calendar_feed", args=[junk])).status_code == 404
    assert client.head(reverse("telework:calendar_feed", args=[token])).status_code == 200
    assert client.post(reverse("telework:calendar_feed", args=[token])).status_code == 405


def test_feed_query_count(client, member, pool, django_assert_max_num_queries):
    from ..services.checkin import member_profile

    token = member_profile(member).calendar_token
    start = timezone.now() + dt.timedelta(days=1)
    for index in range(30):
        make_booking(resource=pool, member=member, starts_at=start + dt.timedelta(days=index))
    with django_assert_max_num_queries(3):
        response = client.get(reverse("telework:calendar_feed", args=[token]))
    assert response.content.decode().count("BEGIN:VEVENT") == 30


def test_checkin_qr_tag_for_the_booking_pages(booking, settings):
    from django.template import Context, Template

    settings.SITE_URL = "https://cybercantal.example"
    rendered = Template("{% load telework_checkin %}{% checkin_qr booking %}").render(Context({"booking": booking}))
    assert rendered.startswith('<svg class="checkin-qr__code" role="img"')
    assert f"Code QR d&#x27;arrivée de la réservation {booking.checkin_code}" in rendered
    assert "<script" not in rendered
