"""The portal home, the legal pages and the health endpoint."""

from __future__ import annotations

import html as htmllib
import re
from unittest import mock

import pytest
from django.db import OperationalError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cybercantal.accounts.models import Role
from cybercantal.accounts.tests.factories import MembershipFactory, UserFactory
from cybercantal.core import views


def h1_of(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match, "no <h1> on the page"
    return htmllib.unescape(re.sub(r"\s+", " ", match.group(1)).strip())


def page_text(client, url: str) -> str:
    """The page's HTML with entities decoded (Django escapes apostrophes as ')."""
    response = client.get(url)
    assert response.status_code == 200
    return htmllib.unescape(response.content.decode())


# --- Each page, anonymously ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "h1", "title"),
    [
        ("core:home", "Le numérique près de chez vous", "Accueil"),
        ("core:legal", "Mentions légales", "Mentions légales"),
        ("core:privacy", "Données personnelles", "Données personnelles"),
        ("core:accessibility", "Déclaration d'accessibilité", "Déclaration d'accessibilité"),
    ],
)
def test_page_is_public_with_its_heading_and_the_footer_links(client, db, url_name, h1, title):
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    html = response.content.decode()
    assert h1_of(html) == h1
    assert f"<title>{title} — CyberCantal</title>" in htmllib.unescape(html)
    assert html.count("<h1") == 1
    for footer in ("core:legal", "core:privacy", "core:accessibility"):
        assert f'href="{reverse(footer)}"' in html


def test_home_search_form_goes_to_the_directory_with_labelled_fields(client, db):
    html = page_text(client, reverse("core:home"))

    form = re.search(r'<form method="get" action="([^"]+)"[^>]*role="search"', html)
    assert form
    assert form.group(1) == reverse("places:directory")
    assert re.search(r'<label for="accueil-q">Rechercher un lieu</label>', html)
    assert re.search(r'<input type="search" id="accueil-q" name="q"', html)
    assert re.search(r'<label for="accueil-pres-de">Près de \(commune\)</label>', html)
    assert re.search(r'id="accueil-pres-de" name="pres_de"', html)
    assert ">Rechercher</button>" in html


def test_home_links_to_the_map_and_the_coverage_and_tells_the_five_programmes(client, db):
    html = page_text(client, reverse("core:home"))

    assert f'href="{reverse("places:map")}"' in html
    assert f'href="{reverse("places:coverage")}"' in html
    for programme in (
        "espaces publics numériques",
        "borne de services publics",
        "télécentres",
        "cartable électronique",
        "satellite",
    ):
        assert programme in html
    assert "Mes espaces" not in html  # anonymous


def test_home_the_search_form_works_with_the_directory(client, db):
    response = client.get(reverse("places:directory"), {"q": "riom es montagnes", "pres_de": "aurillac"})
    assert response.status_code == 200


# --- "Mes espaces" for a signed-in person --------------------------------------------------------


def test_home_shows_my_spaces_from_my_roles(client, db):
    citizen = UserFactory()
    client.force_login(citizen)

    html = page_text(client, reverse("core:home"))

    spaces = html.split('id="mes-espaces"', 1)[1].split("</section>", 1)[0]
    assert f'href="{reverse("accounts:my_data")}"' in spaces
    assert f'href="{reverse("places:import")}"' not in spaces


def test_home_my_spaces_follow_the_programme_manager_role(client, db):
    from allauth.mfa.totp.internal.auth import TOTP

    manager = UserFactory()
    MembershipFactory(user=manager, role=Role.PROGRAMME_MANAGER)
    TOTP.activate(manager, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")  # staff roles need TOTP
    client.force_login(manager)

    html = page_text(client, reverse("core:home"))

    spaces = html.split('id="mes-espaces"', 1)[1].split("</section>", 1)[0]
    assert f'href="{reverse("places:import")}"' in spaces
    assert f'href="{reverse("places:mine")}"' in spaces


def test_home_costs_no_query_beyond_the_menu(client, db):
    """Signed in, the home page makes exactly the queries of any other page with the menu."""
    client.force_login(UserFactory())
    client.get(reverse("core:legal"))  # warm caches (content types, site)

    from django.db import connection

    with CaptureQueriesContext(connection) as home:
        client.get(reverse("core:home"))
    with CaptureQueriesContext(connection) as legal:
        client.get(reverse("core:legal"))
    assert len(home.captured_queries) == len(legal.captured_queries)


# --- What the operator sets, and nothing invented ------------------------------------------------


def test_legal_notice_shows_the_operator_settings(client, db, settings):
    settings.CYBERCANTAL_PUBLISHER = "Département du Cantal"
    settings.CYBERCANTAL_PUBLISHER_ADDRESS = "28 avenue Gambetta, 15000 Aurillac"
    settings.CYBERCANTAL_PUBLISHER_EMAIL = "contact@cantal.example"
    settings.CYBERCANTAL_PUBLICATION_DIRECTOR = "La présidente du Conseil départemental"
    settings.CYBERCANTAL_HOST_NAME = "Hébergeur Exemple SAS"

    html = page_text(client, reverse("core:legal"))

    assert "Département du Cantal" in html
    assert "28 avenue Gambetta, 15000 Aurillac" in html
    assert 'href="mailto:contact@cantal.example"' in html
    assert "La présidente du Conseil départemental" in html
    assert "Hébergeur Exemple SAS" in html
    assert html.count("à compléter par l'exploitant") == 3  # the phones and the host's address


def test_legal_notice_says_what_is_missing_rather_than_inventing_it(client, db, settings):
    for name in ("PUBLISHER", "PUBLISHER_ADDRESS", "PUBLISHER_PHONE", "PUBLISHER_EMAIL", "PUBLICATION_DIRECTOR"):
        setattr(settings, f"CYBERCANTAL_{name}", "")
    for name in ("HOST_NAME", "HOST_ADDRESS", "HOST_PHONE"):
        setattr(settings, f"CYBERCANTAL_{name}", "")

    html = page_text(client, reverse("core:legal"))

    assert html.count("à compléter par l'exploitant") == 8
    assert "mailto:" not in html


def test_privacy_page_states_the_real_retention_and_links_to_my_data(client, db, settings):
    settings.SESSION_COOKIE_AGE = 7 * 86400
    settings.TASK_RESULT_RETENTION_DAYS = 21
    settings.TASK_FAILED_RESULT_RETENTION_DAYS = 60
    settings.CYBERCANTAL_DPO_EMAIL = "dpo@cantal.example"

    html = page_text(client, reverse("core:privacy"))

    assert "7 jours au plus" in html
    assert "21 jours après l'envoi ; 60 jours en cas d'échec" in html
    assert f'href="{reverse("accounts:my_data")}"' in html
    assert 'href="mailto:dpo@cantal.example"' in html
    assert "Base légale" in html
    assert "6-1-e" in html
    assert "collégiens" in html
    assert "mineurs" in html
    assert "CNIL" in html


def test_accessibility_statement_follows_the_rgaa_model(client, db, settings):
    settings.CYBERCANTAL_PUBLISHER = "Département du Cantal"
    settings.CYBERCANTAL_ACCESSIBILITY_CONTACT = "accessibilite@cantal.example"
    settings.CYBERCANTAL_ACCESSIBILITY_DATE = "26 novembre 2026"

    html = page_text(client, reverse("core:accessibility"))

    assert "est partiellement conforme avec le référentiel général d'amélioration de l'accessibilité" in html
    assert "RGAA), version 4.1" in html
    for heading in (
        "État de conformité",
        "Résultats des tests",
        "Contenus non accessibles",
        "Établissement de cette déclaration",
        "Retour d'information et contact",
        "Voies de recours",
    ):
        assert f">{heading}</h2>" in html
    assert "axe-core" in html
    assert 'href="mailto:accessibilite@cantal.example"' in html
    assert "26 novembre 2026" in html
    assert "Défenseur des droits" in html
    assert "http://testserver/" in html


def test_accessibility_contact_falls_back_to_the_publisher_email(client, db, settings):
    settings.CYBERCANTAL_ACCESSIBILITY_CONTACT = ""
    settings.CYBERCANTAL_PUBLISHER_EMAIL = "contact@cantal.example"

    html = page_text(client, reverse("core:accessibility"))

    assert 'href="mailto:contact@cantal.example"' in html


# --- Health ----------------------------------------------------------------------------------


def test_health_is_200_when_the_database_answers(client, db):
    response = client.get(reverse("core:health"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert response["X-Request-ID"]


def test_health_is_503_when_the_database_fails(client, db):
    with mock.patch.object(views, "connection") as fake:
        fake.cursor.return_value.__enter__.return_value.execute.side_effect = OperationalError("connexion refusée")
        response = client.get(reverse("core:health"))

    assert response.status_code == 503
    assert response.json() == {"status": "erreur", "database": "indisponible"}
    assert fake.cursor.called


def test_health_is_503_when_no_connection_can_be_opened(client, db):
    with mock.patch.object(views, "connection") as fake:
        fake.cursor.side_effect = OperationalError("could not connect to server")
        response = client.get(reverse("core:health"))

    assert response.status_code == 503


def test_health_refuses_other_methods(client, db):
    assert client.post(reverse("core:health")).status_code == 405
