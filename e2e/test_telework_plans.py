"""Plans in the browser: on a phone, a person reads the plans of Murat's telecentre, chooses
the carnet, confirms, and finds 10 days in their space; they fill their profile. The
telecentre's manager then sees the plans, a form with errors, the members and the
membership, where they offer a day. axe-core on every page on the way."""

from __future__ import annotations

from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
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
def murat(transactional_db):
    from cybercantal.accounts.models import RoleMembership, User
    from cybercantal.telework.models import PlanKind, ResourceKind
    from cybercantal.telework.tests.factories import PlanFactory, ResourceFactory, TelecentreFactory

    telecentre = TelecentreFactory(place__name="Télécentre La Gare", place__slug="telecentre-la-gare-murat")
    ResourceFactory(telecentre=telecentre, name="Open space du quai", kind=ResourceKind.SEAT_POOL, capacity=8)
    PlanFactory(
        telecentre=telecentre,
        name="Pass journée",
        kind=PlanKind.DAY_PASS,
        price_excl_tax=Decimal("18.00"),
        credit_days=Decimal("0"),
        usage_price_day=None,
    )
    PlanFactory(telecentre=telecentre, name="Carnet 10 jours")
    PlanFactory(
        telecentre=telecentre,
        name="Temps partiel 2 j/semaine",
        kind=PlanKind.PART_TIME,
        price_excl_tax=Decimal("120.00"),
        credit_days=Decimal("9"),
        credit_validity_days=31,
        days_per_week=2,
    )
    person = User.objects.create_user(
        "camille.besse@example.fr", "mot-de-passe-solide-2026", first_name="Camille", last_name="Besse"
    )
    manager = User.objects.create_user(
        "marc.lafon@example.fr", "mot-de-passe-solide-2026", first_name="Marc", last_name="Lafon"
    )
    RoleMembership.objects.create(user=manager, role="telecentre_manager", scope=telecentre.place)
    TOTP.activate(manager, generate_totp_secret())
    return telecentre, person, manager


@pytest.mark.django_db(transaction=True)
def test_a_person_chooses_the_carnet_on_a_phone_and_the_manager_follows(browser: Browser, live_server, murat) -> None:
    from cybercantal.telework.models import CreditGrant, Membership

    telecentre, person, manager = murat
    base = live_server.url
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE, has_touch=True)
    page = context.new_page()
    try:
        # The public plans, before signing in.
        page.goto(f"{base}/telecentres/{telecentre.slug}/formules/")
        expect(page.get_by_role("heading", name="Les formules du Télécentre La Gare")).to_be_visible()
        expect(page.get_by_text("10 journées valables un an, postes et bureaux")).to_be_visible()
        expect(page.get_by_text("150,00\u00a0€ HT le carnet (180,00\u00a0€ TTC)")).to_be_visible()
        expect(page.get_by_text("2 jours par semaine")).to_be_visible()
        assert_no_violations(page)
        # No horizontal scrolling on a phone.
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")

        _sign_in(context, base, person)
        page.reload()
        page.get_by_role("link", name="Choisir cette formule « Carnet 10 jours »").click()
        expect(page.get_by_role("heading", name="Choisir « Carnet 10 jours »")).to_be_visible()
        expect(page.get_by_text("figurera sur votre facture de ce mois-ci")).to_be_visible()
        assert_no_violations(page)
        confirm = page.get_by_role("button", name="Confirmer mon choix")
        confirm.focus()
        page.keyboard.press("Enter")

        expect(page.get_by_role("heading", name="Mon espace télécentre", level=1)).to_be_visible()
        expect(page.get_by_text("Bienvenue au Télécentre La Gare")).to_be_visible()
        expect(page.locator(".balance__figure").first).to_have_text("10 jours")
        expect(page.get_by_text("10 jours expirent le")).to_be_visible()
        expect(page.get_by_role("rowheader", name="Achat : Carnet 10 jours")).to_be_visible()
        assert_no_violations(page)
        assert Membership.objects.filter(member=person).count() == 1
        assert CreditGrant.objects.get(membership__member=person).amount == 10

        # The profile: a wrong distance first, then right.
        page.get_by_role("link", name="Mon profil").click()
        expect(page.get_by_role("heading", name="Mon profil de membre")).to_be_visible()
        assert_no_violations(page)
        page.get_by_label("Trajet habituel évité (km, aller simple)").fill("3000")
        page.get_by_role("button", name="Enregistrer mon profil").click()
        expect(page.get_by_text("Rien n’est envoyé")).to_be_visible()
        expect(page.get_by_text("Entre 0 et 2 000 km.").first).to_be_visible()
        assert_no_violations(page)
        page.get_by_label("Trajet habituel évité (km, aller simple)").fill("118")
        page.get_by_label("Moyen de transport habituel").select_option("car")
        page.get_by_role("button", name="Enregistrer mon profil").click()
        expect(page.get_by_text("Votre profil est enregistré.")).to_be_visible()
        membership = Membership.objects.get(member=person)

        # The manager, on a desktop.
        desk = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900})
        office = desk.new_page()
        _sign_in(desk, base, manager)
        office.goto(f"{base}/telecentres/gestion/{telecentre.slug}/formules/")
        expect(office.get_by_role("heading", name="Les formules du Télécentre La Gare")).to_be_visible()
        assert_no_violations(office)
        office.get_by_role("link", name="Créer une formule").click()
        office.get_by_label("Nom de la formule").fill("Carnet 5 jours")
        office.get_by_label("Prix HT (€)").fill("80")
        office.get_by_label("Journées incluses").fill("0")
        office.get_by_role("button", name="Enregistrer la formule").click()
        expect(office.get_by_text("Un carnet comprend des journées").first).to_be_visible()
        assert_no_violations(office)

        office.goto(f"{base}/telecentres/gestion/{telecentre.slug}/membres/")
        expect(office.get_by_role("rowheader", name="Camille Besse")).to_be_visible()
        assert_no_violations(office)
        office.get_by_role("link", name="Camille Besse").click()
        expect(office.get_by_role("heading", name="Adhésion de Camille Besse au Télécentre La Gare")).to_be_visible()
        office.get_by_label("Nombre").fill("1")
        office.get_by_label("Raison").fill("Wifi en panne le 3 mars")
        office.get_by_role("button", name="Offrir ces crédits").click()
        expect(office.get_by_text("Crédits offerts à Camille Besse : 1 jour")).to_be_visible()
        assert_no_violations(office)
        desk.close()

        page.goto(f"{base}/telecentres/adhesions/{membership.pk}/")
        expect(page.get_by_text("Wifi en panne le 3 mars")).to_be_visible()
        expect(page.locator(".balance__figure").first).to_have_text("11 jours")
        assert_no_violations(page)
    finally:
        context.close()
