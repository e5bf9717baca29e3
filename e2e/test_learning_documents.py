"""Documents in the browser, on a phone: a pupil opens his space, sends a sound file (the
progress script at work), finds it in the list, opens it and plays it with the browser's
own player (HTTP ranges behind it); he makes a folder with the keyboard. axe-core on every
page on the way."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, expect

from e2e.axe import assert_no_violations

PHONE = {"width": 390, "height": 844}


def _sign_in(context: BrowserContext, base_url: str, user) -> None:
    context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def pupil(transactional_db):
    from cybercantal.learning.tests.factories import SchoolClassFactory, SchoolFactory, make_student

    school = SchoolFactory(name="Collège test des Puys")
    klass = SchoolClassFactory(school=school, name="5e B", level="5e")
    return make_student(klass, login="hugo.teyssedou", first_name="Hugo", last_name="Teyssedou")


@pytest.mark.django_db(transaction=True)
def test_a_pupil_sends_a_sound_and_plays_it_on_a_phone(browser: Browser, live_server, pupil, tmp_path) -> None:
    from cybercantal.learning.demo.documents import tone_wav
    from cybercantal.learning.models import Document, Folder

    sound = tmp_path / "Ma lecture du poème.wav"
    sound.write_bytes(tone_wav(seconds=2.0))
    base = live_server.url
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, has_touch=True)
    page = context.new_page()
    try:
        _sign_in(context, base, pupil)
        page.goto(f"{base}/ent/documents/")
        expect(page.get_by_role("heading", name="Mes documents", level=1)).to_be_visible()
        expect(page.get_by_text("Ce dossier est vide")).to_be_visible()
        expect(page.get_by_text("0 octets utilisés sur 200\u00a0Mo (0 %) : il reste 200\u00a0Mo.")).to_be_visible()
        assert_no_violations(page)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")

        # Sending: the script sends it with a progress bar, then the page lists it.
        page.get_by_label("Fichiers à envoyer").set_input_files(str(sound))
        page.get_by_role("button", name="Envoyer les fichiers").click()
        expect(page.get_by_role("rowheader", name="Ma lecture du poème.wav")).to_be_visible()
        expect(page.get_by_text("« Ma lecture du poème.wav » est enregistré dans votre espace.")).to_be_visible()
        expect(page.get_by_role("cell", name="Son")).to_be_visible()
        assert_no_violations(page)
        document = Document.objects.get(space__owner=pupil)
        assert document.content_type == "audio/wav"

        # A wrong file is refused with the reason, nothing is lost.
        fake = tmp_path / "chanson.mp3"
        fake.write_bytes(b"<!DOCTYPE html><html><body>coucou</body></html>")
        page.get_by_label("Fichiers à envoyer").set_input_files(str(fake))
        page.get_by_role("button", name="Envoyer les fichiers").click()
        expect(page.get_by_role("alert")).to_contain_text("C'est une page web")
        assert Document.objects.filter(space__owner=pupil).count() == 1
        assert_no_violations(page)

        # Playing it: the browser's own player, no third-party one.
        page.get_by_role("link", name="Ma lecture du poème.wav").click()
        expect(page.get_by_role("heading", name="Ma lecture du poème.wav", level=1)).to_be_visible()
        audio = page.locator("audio")
        expect(audio).to_be_visible()
        page.wait_for_function("() => document.querySelector('audio').readyState >= 1", timeout=15_000)
        duration = page.evaluate("() => document.querySelector('audio').duration")
        assert 1.9 < duration < 2.1
        audio.click()  # a user gesture, then play
        page.evaluate("() => document.querySelector('audio').play()")
        page.wait_for_function("() => document.querySelector('audio').currentTime > 0.2", timeout=15_000)
        assert_no_violations(page)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")

        # A folder, with the keyboard only.
        page.get_by_role("link", name="Mes documents").first.click()
        field = page.get_by_label("Nom du nouveau dossier")
        field.focus()
        page.keyboard.type("Poésie")
        page.keyboard.press("Enter")
        expect(page.get_by_text("Le dossier « Poésie » est créé.")).to_be_visible()
        expect(page.get_by_role("rowheader", name="Poésie")).to_be_visible()
        assert Folder.objects.filter(space__owner=pupil, name="Poésie").exists()
        assert_no_violations(page)
    finally:
        context.close()
