"""Prospecting in Chromium: the programme manager adds a company with a wrong SIREN, fixes it
from the error summary, logs a call, then moves the company to « Rendez-vous » on the pipeline
board with the keyboard only (the card's move menu); the figures page at the end. axe-core on
every page visited, on a phone-sized screen for the board too."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_no_violations
from e2e.keyboard import assert_focus_visible, tab_to


def _sign_in_programme_manager(context: BrowserContext, base_url: str):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from cybercantal.accounts.models import Role, RoleMembership, User

    user = User.objects.create_user(
        "prospection@example.fr", "mot-de-passe-solide-2026", first_name="Élise", last_name="Meynial"
    )
    RoleMembership.objects.create(user=user, role=Role.PROGRAMME_MANAGER)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    return user


@pytest.fixture
def partners(transactional_db):
    from cybercantal.accounts.models import Organisation
    from cybercantal.accounts.tests.factories import OrganisationFactory
    from cybercantal.telework.tests.factories_prospecting import moved, prospect

    OrganisationFactory(name="Cantal Expansion", kind=Organisation.Kind.ASSOCIATION)
    OrganisationFactory(name="Réseau national des télécentres", kind=Organisation.Kind.ASSOCIATION)
    moved(prospect("Assurances Horizon Vie", identified_days_ago=40), ("contacted", 30))
    moved(prospect("Groupe Hôtelier des Volcans", identified_days_ago=90), ("lost", 60))


@pytest.mark.django_db(transaction=True)
def test_programme_manager_adds_a_company_logs_a_call_and_moves_it_on_the_board(
    page: Page, context: BrowserContext, live_server, partners
) -> None:
    from cybercantal.telework.models import Prospect, ProspectActivity

    _sign_in_programme_manager(context, live_server.url)
    page.goto(f"{live_server.url}/telecentres/prospection/")
    expect(page.get_by_role("heading", name="Prospection des entreprises", exact=True)).to_be_visible()
    expect(page.get_by_role("table", name="2 entreprises")).to_be_visible()
    assert_no_violations(page)

    # A new company, with a SIREN typed wrong.
    page.get_by_role("navigation", name="Prospection").get_by_role("link", name="Ajouter une entreprise").click()
    expect(page.get_by_role("heading", name="Ajouter une entreprise")).to_be_visible()
    assert_no_violations(page)
    page.get_by_label("Nom de l'entreprise").fill("Studio Pixel Arverne")
    page.get_by_label("SIREN").fill("732 829 321")
    page.get_by_label("Secteur d'activité").fill("Jeu vidéo")
    page.get_by_label("Effectif").select_option(label="10 à 49 salariés")
    page.get_by_label("Ville du siège").fill("Clermont-Ferrand")
    page.get_by_label("Partenaire à l'origine du contact").select_option(label="Cantal Expansion")
    page.get_by_label("Salariés susceptibles de venir").fill("4")
    page.get_by_role("button", name="Enregistrer l'entreprise").click()
    expect(page.get_by_text("Rien n’est envoyé : corrigez les champs signalés.")).to_be_visible()
    expect(page.get_by_text("un chiffre est probablement erroné (clé de contrôle)").first).to_be_visible()
    assert_no_violations(page)
    assert not Prospect.objects.filter(name="Studio Pixel Arverne").exists()

    # The summary's link takes the focus to the field; the number is fixed with the keyboard.
    page.locator("#form-errors").get_by_role("link", name="SIREN").click()
    siren = page.get_by_label("SIREN")
    expect(siren).to_be_focused()
    expect(siren).to_have_attribute("aria-invalid", "true")
    siren.press("Control+a")
    page.keyboard.type("732 829 320")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Studio Pixel Arverne")).to_be_visible()
    expect(
        page.get_by_text("L'entreprise « Studio Pixel Arverne » est ajoutée à l'étape « Identifiée ».")
    ).to_be_visible()
    assert_no_violations(page)
    company = Prospect.objects.get(name="Studio Pixel Arverne")
    assert company.siren == "732829320"

    # A call, with its next step.
    page.get_by_label("Type d'action").select_option(label="Appel")
    page.get_by_label("Compte rendu").fill("Appel au cofondateur : quatre graphistes veulent quitter Clermont.")
    page.get_by_label("Prochaine étape").fill("Proposer une visite du télécentre de Murat")
    page.get_by_role("button", name="Noter l'action").click()
    expect(page.get_by_text("Appel du", exact=False).first).to_be_visible()
    timeline = page.locator(".prospect-timeline")
    expect(timeline).to_contain_text("quatre graphistes")
    expect(timeline).to_contain_text("Proposer une visite du télécentre de Murat")
    assert_no_violations(page)
    assert ProspectActivity.objects.filter(prospect=company, kind="call").count() == 1

    # The board, on a phone: columns stack; the card's move menu, with the keyboard only.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Tableau du pipeline").click()
    expect(page.get_by_role("heading", name="Tableau du pipeline de prospection")).to_be_visible()
    identified = page.get_by_role("list", name="Identifiée")
    expect(identified).to_contain_text("Studio Pixel Arverne")
    expect(page.get_by_role("heading", name="Identifiée 1 entreprise")).to_be_visible()
    assert_no_violations(page)
    menu = page.get_by_role("combobox", name="Déplacer vers (Studio Pixel Arverne)")
    tab_to(page, menu)
    assert_focus_visible(page)
    page.keyboard.press("ArrowDown")  # Contactée → Rendez-vous
    expect(menu).to_have_value("meeting")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Déplacer Studio Pixel Arverne")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_text("« Studio Pixel Arverne » passe à l'étape « Rendez-vous »", exact=False)).to_be_visible()
    expect(page.get_by_role("list", name="Rendez-vous")).to_contain_text("Studio Pixel Arverne")
    expect(page.get_by_role("heading", name="Identifiée 0 entreprise")).to_be_visible()
    assert_no_violations(page)
    company.refresh_from_db()
    assert company.stage == "meeting"
    assert list(company.stage_changes.values_list("to_stage", flat=True)) == ["identified", "meeting"]

    # The figures, back on a wide screen.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Chiffres de conversion").click()
    expect(page.get_by_role("heading", name="Chiffres de conversion de la prospection")).to_be_visible()
    expect(page.get_by_role("img", name="Entreprises arrivées à chaque étape")).to_be_visible()
    funnel = page.get_by_role("table", name="Entreprises arrivées à chaque étape et passage à l'étape suivante")
    expect(funnel.get_by_role("row", name="Rendez-vous 1 1", exact=False)).to_be_visible()
    assert_no_violations(page)
