"""Kiosk mode pages (/borne/<code>/): French content, usage counts, 404s, headers, queries."""

from __future__ import annotations

import html
import re

import pytest
from django.utils import timezone

from cybercantal.kiosks.models import KioskStatus, UsageCount, UsageMetric

from .factories import KioskFactory
from .factories_kiosk_mode import small_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    return small_catalogue()


def counts(kiosk) -> dict[tuple[str, str], int]:
    return {
        (row.metric, row.key): row.count for row in UsageCount.objects.filter(kiosk=kiosk, date=timezone.localdate())
    }


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_home_lists_categories_with_published_procedures(client, kiosk, catalogue):
    response = client.get("/borne/murat/")
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="fr"' in page
    assert "Que voulez-vous faire ?" in page
    assert "Papiers d'identité" in page
    assert "/borne/murat/categorie/identity/" in page
    assert "/borne/murat/categorie/housing/" in page
    # Justice only has an unpublished procedure: no tile.
    assert "/borne/murat/categorie/justice/" not in page
    # Its own template: skip link, landmarks, options, no site header nor sign-in.
    assert 'class="skip-link" href="#contenu"' in page
    assert "<main" in page
    assert "<header" in page
    assert "<footer" in page
    assert "Contraste élevé" in page
    assert "Texte plus grand" in page
    assert "Demander de l'aide" in page
    assert "Terminer" in page
    assert "Se connecter" not in page
    assert "/compte/" not in page
    assert "/lieux/" not in page
    assert 'data-idle-timeout="120"' in page
    assert 'data-reset-url="/borne/murat/fin/"' in page
    assert "Vous êtes toujours là ?" in page
    assert "Continuer" in page
    # Scripts: only the static file, with the nonce.
    assert re.search(r'<script src="/static/kiosks/kiosk_mode/kiosk\.js" nonce="[^"]+"></script>', page)
    assert "<script>" not in page


def test_category_page_lists_published_procedures_with_summary(client, kiosk, catalogue):
    response = client.get("/borne/murat/categorie/identity/")
    page = text(response)
    assert response.status_code == 200
    assert "<h1>Papiers d'identité</h1>" in page
    assert "Carte d'identité" in page
    assert "Passeport" in page
    assert "Prendre rendez-vous en mairie." in page
    assert page.index("Carte d'identité") < page.index("Passeport")  # position order
    assert "Aide au logement" not in page
    assert 'name="categorie" value="identity"' in page


def test_procedure_page(client, kiosk, catalogue):
    response = client.get("/borne/murat/demarche/carte-identite/")
    page = text(response)
    assert response.status_code == 200
    assert "Ce qu'il faut apporter" in page
    assert "<li>Une photo d'identité récente</li>" in page
    assert "<li>Un justificatif de domicile</li>" in page
    assert 'href="https://ants.gouv.fr/carte-identite" rel="noopener"' in page
    assert "Faire la démarche en ligne : ANTS" in page
    assert "target=" not in page
    assert "/borne/murat/demarche/carte-identite/emporter/" in page
    assert "Emporter" in page
    assert 'name="demarche" value="carte-identite"' in page
    assert 'name="categorie" value="identity"' in page


def test_takeaway_page_has_print_button_and_inline_qr_code(client, kiosk, catalogue, settings):
    settings.SITE_URL = "https://cybercantal.example.fr"
    response = client.get("/borne/murat/demarche/carte-identite/emporter/")
    page = text(response)
    assert response.status_code == 200
    assert "https://cybercantal.example.fr/demarches/carte-identite/" in page
    assert re.search(r'<svg class="kiosk-qr__code" role="img" aria-label="Code QR de la page', page)
    assert "<path d=" in page
    assert "data-kiosk-print" in page
    assert "Imprimer la fiche" in page
    assert "https://ants.gouv.fr/carte-identite" in page
    assert "http://www.w3.org/2000/svg" in page  # the only URL of the SVG: a namespace, not a fetch
    assert counts(kiosk)[(UsageMetric.TAKEAWAY, "carte-identite")] == 1


def test_counts_once_per_view_and_one_session(client, kiosk, catalogue):
    client.get("/borne/murat/")
    client.get("/borne/murat/")
    client.get("/borne/murat/categorie/identity/")
    client.get("/borne/murat/categorie/identity/")
    client.get("/borne/murat/categorie/housing/")
    client.get("/borne/murat/demarche/carte-identite/")
    assert counts(kiosk) == {
        (UsageMetric.SESSION, ""): 1,
        (UsageMetric.CATEGORY, "identity"): 2,
        (UsageMetric.CATEGORY, "housing"): 1,
        (UsageMetric.PROCEDURE, "carte-identite"): 1,
    }


def test_a_new_browser_is_a_new_session(client, kiosk, catalogue):
    from django.test import Client

    client.get("/borne/murat/")
    Client().get("/borne/murat/categorie/identity/")  # first page of another session
    assert counts(kiosk)[(UsageMetric.SESSION, "")] == 2


def test_first_page_of_a_session_is_marked_fresh(client, kiosk, catalogue):
    assert 'data-fresh="1"' in text(client.get("/borne/murat/"))
    assert 'data-fresh="1"' not in text(client.get("/borne/murat/"))


@pytest.mark.parametrize(
    "path",
    [
        "/borne/inconnue/",
        "/borne/retiree/",
        "/borne/inconnue/categorie/identity/",
        "/borne/retiree/demarche/carte-identite/",
        "/borne/MURAT%00/",
        "/borne/" + "a" * 500 + "/",
        "/borne/murat/categorie/nope/",
        "/borne/murat/categorie/" + "x" * 300 + "/",
        "/borne/murat/demarche/brouillon/",
        "/borne/murat/demarche/n-existe-pas/",
        "/borne/murat/demarche/%00/",
        "/borne/murat/demarche/carte-identite%27%3B--/emporter/",
        "/borne/murat/nimporte/quoi/",
        "/borne/",
    ],
)
def test_bad_addresses_are_french_404_without_site_links(client, kiosk, catalogue, path):
    KioskFactory(code="retiree", status=KioskStatus.RETIRED)
    response = client.get(path)
    assert response.status_code == 404
    page = text(response)
    assert "Page introuvable" in page
    assert '<html lang="fr"' in page
    links = re.findall(r'href="([^"#]+)"', page)
    assert all(link.startswith(("/static/", "/borne/murat/")) for link in links), links
    assert response["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_unknown_kiosk_page_has_no_link_at_all(client, db):
    page = text(client.get("/borne/inconnue/"))
    assert "Cette borne n'existe pas ou n'est plus en service." in page
    assert re.findall(r'<a [^>]*href="(?!#)', page) == []


def test_out_of_service_kiosk_still_shows(client, kiosk, catalogue):
    kiosk.status = KioskStatus.OUT_OF_SERVICE
    kiosk.save()
    assert client.get("/borne/murat/").status_code == 200


def test_kiosk_headers_and_strict_csp(client, kiosk, catalogue):
    response = client.get("/borne/murat/demarche/carte-identite/")
    policy = dict(
        ([*part.split(" ", 1), ""])[:2] for part in (p.strip() for p in response["Content-Security-Policy"].split(";"))
    )
    assert policy["default-src"] == "'self'"
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    assert policy["script-src"].startswith("'self'")
    assert "unsafe-inline" not in policy["script-src"]
    assert f'nonce="{nonce}"' in text(response)
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["base-uri"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Robots-Tag"] == "noindex"


def test_other_pages_keep_the_site_policy(client, kiosk):
    response = client.get("/")
    assert response["Referrer-Policy"] == "same-origin"
    assert "base-uri 'self'" in response["Content-Security-Policy"]


def test_wrong_methods_are_refused_politely(client, kiosk, catalogue):
    assert client.post("/borne/murat/").status_code == 405
    assert client.get("/borne/murat/aide/").status_code == 405
    assert client.get("/borne/murat/affichage/").status_code == 405


def test_help_sent_page_without_a_request_goes_home(client, kiosk):
    response = client.get("/borne/murat/aide/envoyee/")
    assert response.status_code == 302
    assert response["Location"] == "/borne/murat/"


def test_home_query_count(client, kiosk, catalogue, django_assert_max_num_queries):
    client.get("/borne/murat/")  # first page: session created and counted
    with django_assert_max_num_queries(3):  # session, kiosk, categories
        response = client.get("/borne/murat/")
    assert response.status_code == 200


def test_category_query_count_does_not_grow_with_procedures(client, kiosk, catalogue, django_assert_max_num_queries):
    from .factories import ProcedureFactory

    client.get("/borne/murat/categorie/identity/")  # session and today's counter row created
    ProcedureFactory.create_batch(30, category="identity")
    with django_assert_max_num_queries(4):  # session, kiosk, procedures, counter update
        response = client.get("/borne/murat/categorie/identity/")
    assert text(response).count('class="kiosk-card"') == 32
