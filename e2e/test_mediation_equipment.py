"""Equipment in the browser: the programme manager opens the renewal forecast for the collèges
(and downloads it); axe-core on the list, an item's page, the import page and the forecast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import axe_check_urls

PASSWORD = "mot-de-passe-solide-2026"


def _sign_in_manager(context: BrowserContext, base_url: str) -> None:
    from cybercantal.accounts.models import Role, RoleMembership, User

    user = User.objects.create_user("charge.programme@example.fr", PASSWORD, first_name="Camille", last_name="Test")
    RoleMembership.objects.create(user=user, role=Role.PROGRAMME_MANAGER)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def equipment_data(directory_data) -> None:
    from cybercantal.mediation.demo.equipment import load

    load()


@pytest.mark.django_db(transaction=True)
def test_manager_opens_the_forecast_for_colleges(
    page: Page, context: BrowserContext, live_server, equipment_data
) -> None:
    _sign_in_manager(context, live_server.url)
    page.goto(live_server.url + "/mediation/equipements/")
    page.get_by_role("link", name="Prévision de renouvellement").click()
    expect(page.get_by_role("heading", level=1, name="Prévision de renouvellement du matériel")).to_be_visible()
    page.get_by_label("Collèges seulement").check()
    page.get_by_role("button", name="Mettre à jour").click()
    expect(page).to_have_url(re.compile(r"colleges=on"))
    expect(page.get_by_role("heading", name="Collèges : total à renouveler")).to_be_visible()
    per_place = page.get_by_role("table", name=re.compile("par lieu et par année"))
    expect(per_place.get_by_role("rowheader", name=re.compile("Collège")).first).to_be_visible()
    expect(per_place.get_by_role("rowheader", name=re.compile("^EPN "))).to_have_count(0)
    expect(page.get_by_role("img", name="Coût du renouvellement par année")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger en CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("renouvellement-materiel-colleges-5ans")
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert "Collège" in content.splitlines()[1]


@pytest.mark.django_db(transaction=True)
def test_equipment_pages_have_no_serious_violation(
    page: Page, context: BrowserContext, live_server, equipment_data
) -> None:
    from cybercantal.mediation.models import Equipment

    _sign_in_manager(context, live_server.url)
    item = Equipment.objects.order_by("pk").first()
    assert item is not None
    axe_check_urls(
        page,
        live_server.url,
        [
            "/mediation/equipements/",
            "/mediation/equipements/?lieux=colleges&type=desktop",
            f"/mediation/equipements/{item.pk}/",
            f"/mediation/equipements/{item.pk}/deplacer/",
            "/mediation/equipements/nouveau/",
            "/mediation/equipements/import/",
            "/mediation/equipements/renouvellement/",
            "/mediation/equipements/renouvellement/?colleges=on&annees=4",
        ],
    )


@pytest.mark.django_db(transaction=True)
def test_import_report_page_is_accessible(page: Page, context: BrowserContext, live_server, equipment_data) -> None:
    from e2e.axe import axe_violations, format_violations

    _sign_in_manager(context, live_server.url)
    page.goto(live_server.url + "/mediation/equipements/import/")
    page.get_by_label("Fichier de l'inventaire (CSV)").set_input_files(
        files=[
            {
                "name": "inventaire.csv",
                "mimeType": "text/csv",
                "buffer": b"type;numero_serie;date_achat;lieu\npc;E2E-1;31/02/2020;nulle-part\n",
            }
        ]
    )
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_role("heading", name="Le fichier n’est pas importé")).to_be_visible()
    expect(page.get_by_role("table", name="Problèmes ligne par ligne")).to_contain_text("Lieu inconnu")
    violations = axe_violations(page)
    assert not violations, format_violations({"import report": violations})
