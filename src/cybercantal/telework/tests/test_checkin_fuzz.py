"""Junk in, French out: random codes, tokens and form values on the arrival and calendar pages
never end in a 500, never check anyone in, and never reveal a booking."""

from __future__ import annotations

import random
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.urls import reverse

from ..queries.checkin import CODE_ALPHABET, normalise_code
from .factories import UserFactory
from .factories_checkin import booking_under_way

pytestmark = pytest.mark.django_db

NASTY = [
    "",
    " ",
    "x" * 10000,
    "\x00",
    "-1",
    "99999999999999999999",
    "<script>alert(1)</script>",
    "null",
    "../../etc",
    "ß ﬁ 🛰️",
    "%00",
    "ABCD EFGH",
    "abcd-efgh",
]
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789abcdefghijkmnpqrstuvwxyz01OI -._~é€%\t\n\x00/\\"


def random_text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, size)))


def test_normalise_code_accepts_exactly_the_codes():
    rng = random.Random(20261126)
    for _ in range(2000):
        raw = random_text(rng, 14)
        code = normalise_code(raw)
        assert code == "" or (len(code) == 8 and set(code) <= CODE_ALPHABET)
    assert normalise_code(" ab cd-ef gh ") == "ABCDEFGH"
    assert normalise_code("ABCDEFG0") == ""  # 0 is never in a code
    assert normalise_code(None) == ""
    assert normalise_code(12345678) == ""


def test_junk_never_breaks_the_pages(client, pool, member, telecentre):
    cache.clear()
    someone = booking_under_way(pool, UserFactory())
    client.force_login(member)
    rng = random.Random(15300)
    values = NASTY + [random_text(rng, 40) for _ in range(40)]
    scan = reverse("telework:checkin_scan", args=[telecentre.slug, telecentre.checkin_token])
    for value in values:
        cache.clear()  # the rate limit is tested elsewhere
        assert client.post(reverse("telework:checkin_code"), {"code": value}).status_code in (200, 302)
        assert client.post(scan, {"booking": value}).status_code == 302
        segment = quote(value.replace("/", ""), safe="") or "x"
        for url in (
            f"/telecentres/arrivee/{segment}/",
            f"/telecentres/calendrier/{segment}.ics",
            f"/telecentres/{telecentre.slug}/arrivee/{segment}/",
        ):
            assert client.get(url).status_code in (404, 301, 302), (url, value)
    someone.refresh_from_db()
    assert someone.checked_in_at is None


def test_junk_methods_and_bodies(client, member):
    client.force_login(member)
    assert client.put(reverse("telework:checkin_code")).status_code == 405
    assert client.delete(reverse("telework:calendar_settings")).status_code == 405
    response = client.post(reverse("telework:calendar_settings"), {"confirm": "x" * 10000})
    assert response.status_code == 302  # any non-empty value ticks a box: a new address, nothing broken
    response = client.post(
        "/api/telecentres/calendrier/regenerer", data=b"\xff\xfe\x00", content_type="application/octet-stream"
    )
    assert response.status_code == 200
