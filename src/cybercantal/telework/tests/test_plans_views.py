"""The pages of part "plans": access per role on every view, what each page says, forms with
errors next to the fields (empty, huge, wrong types), double submits, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Role

from ..models import CreditGrant, CreditUnit, DayPart, MemberProfile, Membership, Plan, PlanKind
from ..services import booking as booking_service
from ..services import plans as services
from .factories import MembershipFactory, TelecentreFactory, UserFactory, give_credits, next_weekday
from .factories_plans import carnet, day_pass, hours_pack, part_time, plan_post

pytestmark = pytest.mark.django_db

NBSP, NNBSP = "\u00a0", "\u202f"


def text_of(response) -> str:
    return response.content.decode().replace(NBSP, " ").replace(NNBSP, " ").replace("&#x27;", "'")


@pytest.fixture
def person(db):
    return UserFactory(first_name="Camille", last_name="Besse")


@pytest.fixture
def other_manager(staff):
    return staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place)


@pytest.fixture
def membership(telecentre, person):
    return services.membership_subscribe(actor=person, plan=carnet(telecentre), notify=False)


def sign_in(client, request, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))


# --- access per role ---------------------------------------------------------------------------------

MANAGE_ROLES = [
    ("anonymous", "login"),
    ("person", 403),
    ("other_manager", 403),
    ("manager", 200),
    ("programme_manager", 200),
]


@pytest.mark.parametrize(("role", "expected"), MANAGE_ROLES)
@pytest.mark.parametrize("name", ["plan_manage", "plan_create", "members"])
def test_manager_pages_per_role(client, request, telecentre, role, expected, name):
    sign_in(client, request, role)
    response = client.get(reverse(f"telework:{name}", args=[telecentre.slug]))
    if expected == "login":
        assert response.status_code == 302
        assert "next=" in response["Location"]
    else:
        assert response.status_code == expected


@pytest.mark.parametrize(("role", "expected"), MANAGE_ROLES)
def test_plan_edit_and_delete_per_role(client, request, telecentre, role, expected):
    plan = carnet(telecentre)
    sign_in(client, request, role)
    response = client.get(reverse("telework:plan_edit", args=[telecentre.slug, plan.pk]))
    delete = client.post(reverse("telework:plan_delete", args=[telecentre.slug, plan.pk]))
    if expected == "login":
        assert response.status_code == 302
        assert delete.status_code == 302
        assert Plan.objects.filter(pk=plan.pk).exists()
    elif expected == 403:
        assert response.status_code == 403
        assert delete.status_code == 403
        assert Plan.objects.filter(pk=plan.pk).exists()
    else:
        assert response.status_code == 200
        assert delete.status_code == 302
        assert not Plan.objects.filter(pk=plan.pk).exists()


def test_a_plan_of_another_telecentre_is_404(client, manager, telecentre):
    elsewhere = carnet(TelecentreFactory())
    client.force_login(manager)
    assert client.get(reverse("telework:plan_edit", args=[telecentre.slug, elsewhere.pk])).status_code == 404
    assert client.get(reverse("telework:plan_manage", args=["nexiste-pas"])).status_code == 404


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", "login"),
        ("person", 200),
        ("manager", 200),
    ],
)
@pytest.mark.parametrize("name", ["my_space", "profile"])
def test_member_pages_need_sign_in_only(client, request, role, expected, name):
    sign_in(client, request, role)
    response = client.get(reverse(f"telework:{name}"))
    if expected == "login":
        assert response.status_code == 302
        assert "next=" in response["Location"]
    else:
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", "login"),
        ("person", 403),
        ("other_manager", 403),
        ("member", 200),
        ("manager", 200),
        ("programme_manager", 200),
    ],
)
def test_membership_detail_per_role(client, request, membership, role, expected):
    request.getfixturevalue("person")
    if role == "member":
        client.force_login(membership.member)
    elif role == "person":
        client.force_login(UserFactory())
    else:
        sign_in(client, request, role)
    response = client.get(reverse("telework:membership_detail", args=[membership.pk]))
    buy = client.get(reverse("telework:membership_buy_again", args=[membership.pk]))
    if expected == "login":
        assert response.status_code == 302
        assert buy.status_code == 302
    else:
        assert response.status_code == expected
        assert buy.status_code == expected


@pytest.mark.parametrize("role", ["anonymous", "person", "member", "manager"])
def test_public_plans_page_is_open_to_everyone(client, request, telecentre, role):
    carnet(telecentre)
    if role == "member":
        client.force_login(MembershipFactory(telecentre=telecentre).member)
    else:
        sign_in(client, request, role)
    assert client.get(reverse("telework:plans", args=[telecentre.slug])).status_code == 200


def test_subscribe_needs_sign_in(client, telecentre):
    plan = carnet(telecentre)
    response = client.get(reverse("telework:subscribe", args=[telecentre.slug, plan.pk]))
    assert response.status_code == 302
    assert "next=" in response["Location"]
    client.post(reverse("telework:subscribe", args=[telecentre.slug, plan.pk]))
    assert not Membership.objects.exists()


def test_only_managers_grant_credits_and_strangers_cannot_end(client, membership, other_manager):
    url = reverse("telework:membership_grant", args=[membership.pk])
    data = {"unit": "day", "amount": "1", "expires_on": "2099-01-01", "note": "Panne"}
    client.force_login(membership.member)
    assert client.post(url, data).status_code == 403
    client.force_login(other_manager)
    assert client.post(url, data).status_code == 403
    end = client.post(reverse("telework:membership_end", args=[membership.pk]), {"ends_on": "2099-01-01"})
    assert end.status_code == 403
    client.force_login(UserFactory())
    assert (
        client.post(reverse("telework:membership_buy_again", args=[membership.pk]), {"purchases": "1"}).status_code
        == 403
    )
    assert membership.credit_grants.count() == 1
    membership.refresh_from_db()
    assert membership.ends_on is None


# --- public plans and choosing one -------------------------------------------------------------------


def test_public_page_shows_prices_and_what_is_included(client, telecentre):
    carnet(telecentre)
    part_time(telecentre)
    day_pass(telecentre)
    hours_pack(telecentre)
    carnet(telecentre, name="Formule cachée", is_public=False)
    carnet(telecentre, name="Ancienne formule", is_active=False)
    text = text_of(client.get(reverse("telework:plans", args=[telecentre.slug])))
    assert "150,00 € HT le carnet (180,00 € TTC)" in text
    assert "10 journées valables un an, postes et bureaux" in text
    assert "120,00 € HT par mois (144,00 € TTC)" in text
    assert "2 jours par semaine" in text
    assert "9 journées par mois, postes et bureaux" in text
    assert "18,00 € HT la journée (21,60 € TTC)" in text
    assert "la demi-journée 9,00 € HT" in text
    assert "10 heures de salle de réunion, valables un an" in text
    assert "Au-delà des crédits : 18,00 € HT la journée" in text
    assert text.count("Choisir cette formule") == 4
    assert "Formule cachée" not in text
    assert "Ancienne formule" not in text
    # Order: day pass, carnet, monthly, hours.
    assert text.index("Pass journée") < text.index("Carnet 10 jours") < text.index("Temps partiel")


def test_confirmation_page_says_what_happens_then_subscribes(client, telecentre, person):
    plan = carnet(telecentre)
    client.force_login(person)
    url = reverse("telework:subscribe", args=[telecentre.slug, plan.pk])
    text = text_of(client.get(url))
    assert "150,00 € HT le carnet (180,00 € TTC)" in text
    assert "facture de ce mois-ci" in text
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("telework:my_space")
    membership = Membership.objects.get(member=person)
    assert membership.credit_grants.get().amount == 10
    # A second submit (double click): no second membership, the person lands in their space.
    again = client.post(url)
    assert again.status_code == 302
    assert again["Location"] == reverse("telework:my_space")
    assert Membership.objects.filter(member=person).count() == 1
    assert CreditGrant.objects.filter(membership__member=person).count() == 1


def test_confirmation_of_a_monthly_plan_and_of_a_change(client, telecentre, person):
    services.membership_subscribe(
        actor=person, plan=carnet(telecentre), on=timezone.localdate() - dt.timedelta(days=10), notify=False
    )
    plan = part_time(telecentre)
    client.force_login(person)
    text = text_of(client.get(reverse("telework:subscribe", args=[telecentre.slug, plan.pk])))
    assert "facturé chaque mois" in text
    assert "remplace dès aujourd'hui votre formule actuelle « Carnet 10 jours »" in text
    assert "Vos crédits non utilisés sont conservés" in text


def test_subscribe_refusal_is_shown_not_a_500(client, telecentre, person):
    services.membership_subscribe(actor=person, plan=carnet(telecentre), notify=False)
    plan = part_time(telecentre)
    client.force_login(person)
    response = client.post(reverse("telework:subscribe", args=[telecentre.slug, plan.pk]))
    assert response.status_code == 400
    assert "à partir du lendemain" in text_of(response)


def test_unknown_or_hidden_plans_are_404(client, telecentre, person):
    hidden = carnet(telecentre, is_public=False)
    client.force_login(person)
    assert client.get(reverse("telework:subscribe", args=[telecentre.slug, hidden.pk])).status_code == 404
    assert client.get(reverse("telework:subscribe", args=[telecentre.slug, 999999])).status_code == 404
    assert client.get(f"/telecentres/{telecentre.slug}/formules/99999999999999999999999/adherer/").status_code == 404
    assert client.get("/telecentres/nexiste-pas/formules/").status_code == 404


# --- my space -------------------------------------------------------------------------------------------


def test_my_space_shows_balance_expiry_ledger_and_links(client, telecentre, pool, person):
    membership = services.membership_subscribe(
        actor=person, plan=carnet(telecentre), on=timezone.localdate() - dt.timedelta(days=2), notify=False
    )
    booking = booking_service.booking_create(
        actor=person, resource=pool, day=next_weekday(1), part=DayPart.MORNING, notify=False
    )
    client.force_login(person)
    text = text_of(client.get(reverse("telework:my_space")))
    assert "9,5 jours" in text
    expiry = membership.credit_grants.get().expires_on
    assert "9,5 jours expirent le" in text
    assert str(expiry.year) in text
    assert "Achat : Carnet 10 jours" in text
    assert "+10 jours" in text
    assert "−0,5 jour" in text
    assert reverse("telework:booking_detail", args=[booking.pk]) in text
    assert reverse("telework:profile") in text
    assert reverse("telework:membership_buy_again", args=[membership.pk]) in text
    assert "Mes prochaines réservations" in text
    assert "Choisir un télécentre" not in text


def test_my_space_without_membership_lists_telecentres(client, telecentre, person):
    client.force_login(person)
    text = text_of(client.get(reverse("telework:my_space")))
    assert "Choisir un télécentre" in text
    assert reverse("telework:plans", args=[telecentre.slug]) in text


def test_my_space_shows_only_my_memberships(client, telecentre, person):
    services.membership_subscribe(actor=UserFactory(), plan=carnet(telecentre, name="Pas à moi"), notify=False)
    client.force_login(person)
    assert "Pas à moi" not in text_of(client.get(reverse("telework:my_space")))


def test_my_space_query_count(client, telecentre, person, django_assert_max_num_queries):
    for index in range(3):
        other = TelecentreFactory()
        services.membership_subscribe(actor=person, plan=carnet(other, name=f"Carnet {index}"), notify=False)
    client.force_login(person)
    with django_assert_max_num_queries(45):
        assert client.get(reverse("telework:my_space")).status_code == 200


# --- profile ----------------------------------------------------------------------------------------


def test_profile_saves_with_commune_resolved(client, person, territory):
    client.force_login(person)
    response = client.post(
        reverse("telework:profile"),
        {
            "billing_name": "Camille Besse",
            "billing_address": "3 rue du Plomb\n15300 Murat",
            "home_commune": "riom es montagnes",
            "commute_km": "118,5",
            "commute_mode": "car",
        },
    )
    assert response.status_code == 302
    profile = MemberProfile.objects.get(user=person)
    assert profile.home_commune.name == "Riom-ès-Montagnes"
    assert profile.commute_km == Decimal("118.5")
    text = text_of(client.get(reverse("telework:profile")))
    assert "Riom-ès-Montagnes" in text
    assert "indicateur du Département" in text
    assert "facultatif" in text.lower()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"home_commune": "Zzyzx-sur-Lune"}, "home_commune", "introuvable"),
        ({"commute_km": "2500"}, "commute_km", "Entre 0 et 2 000 km."),
        ({"commute_km": "-3"}, "commute_km", "Entre 0 et 2 000 km."),
        ({"commute_km": "beaucoup"}, "commute_km", "Indiquez une distance"),
        ({"commute_km": "1" * 50}, "commute_km", "Indiquez"),
        ({"commute_mode": "fusée"}, "commute_mode", "Sélectionnez un choix valide"),
        ({"billing_name": "x" * 500}, "billing_name", "200 caractères"),
        ({"billing_name": "nul\x00"}, "billing_name", "caractère nul"),
    ],
)
def test_profile_errors_are_next_to_the_field(client, person, territory, data, field, message):
    client.force_login(person)
    response = client.post(reverse("telework:profile"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in response.content.decode() or (
        f'id="id_{field}_error"' in response.content.decode()
    )
    assert not MemberProfile.objects.filter(user=person).exists()


def test_profile_ambiguous_commune(client, person, territory):
    from cybercantal.places.queries import CommuneMatch
    from cybercantal.territory.models import Commune

    client.force_login(person)
    communes = list(Commune.objects.filter(name__startswith="Saint-")[:2])
    from unittest import mock

    with mock.patch(
        "cybercantal.telework.forms.plans.resolve_commune", return_value=CommuneMatch(suggestions=communes)
    ):
        response = client.post(reverse("telework:profile"), {"home_commune": "Saint"})
    assert response.status_code == 400
    assert "Plusieurs communes correspondent" in response.context["form"].errors["home_commune"][0]


# --- managing plans ----------------------------------------------------------------------------------


def test_manager_creates_then_edits_a_plan(client, manager, telecentre):
    client.force_login(manager)
    response = client.post(reverse("telework:plan_create", args=[telecentre.slug]), plan_post())
    assert response.status_code == 302
    plan = Plan.objects.get(telecentre=telecentre)
    assert (plan.price_excl_tax, plan.credit_days, plan.credit_validity_days) == (Decimal("80.00"), 5, 180)
    assert sorted(plan.eligible_kinds) == ["office", "seat_pool"]
    url = reverse("telework:plan_edit", args=[telecentre.slug, plan.pk])
    assert "Carnet 5 jours" in text_of(client.get(url))
    client.post(url, plan_post(price_excl_tax="1 234,50 €", is_public=""))
    plan.refresh_from_db()
    assert plan.price_excl_tax == Decimal("1234.50")
    assert plan.is_public is False
    text = text_of(client.get(reverse("telework:plan_manage", args=[telecentre.slug])))
    assert "1 234,50 € HT le carnet" in text
    assert "au comptoir seulement" in text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "Ce champ est obligatoire"),
        ({"name": "x" * 500}, "name", "au plus 120"),
        ({"price_excl_tax": "gratuit"}, "price_excl_tax", "Indiquez un montant"),
        ({"price_excl_tax": "-5"}, "price_excl_tax", "supérieure ou égale à 0"),
        ({"price_excl_tax": "9" * 40}, "price_excl_tax", "Indiquez un"),
        ({"vat_rate": "19.6"}, "vat_rate", "Sélectionnez un choix valide"),
        ({"kind": "abonnement"}, "kind", "Sélectionnez un choix valide"),
        ({"credit_days": "0"}, "credit_days", "Un carnet comprend des journées"),
        ({"credit_days": "1,25"}, "credit_days", "Au plus un chiffre"),
        ({"credit_validity_days": "douze"}, "credit_validity_days", "nombre de jours entier"),
        ({"kind": "part_time", "credit_validity_days": "365"}, "credit_validity_days", "se renouvelle chaque mois"),
        ({"eligible_kinds": ["fusee"]}, "eligible_kinds", "Sélectionnez un choix valide"),
        ({"days_per_week": "8"}, "days_per_week", "inférieure ou égale à 7"),
    ],
)
def test_plan_form_errors_are_next_to_the_field(client, manager, telecentre, data, field, message):
    client.force_login(manager)
    response = client.post(reverse("telework:plan_create", args=[telecentre.slug]), plan_post(**data))
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Plan.objects.filter(telecentre=telecentre).exists()


def test_second_active_day_pass_refused_in_the_form(client, manager, telecentre):
    day_pass(telecentre)
    client.force_login(manager)
    response = client.post(
        reverse("telework:plan_create", args=[telecentre.slug]),
        plan_post(name="Pass 2", kind="day_pass", credit_days="0", price_excl_tax="20"),
    )
    assert response.status_code == 400
    assert "déjà un pass journée actif" in response.context["form"].errors["kind"][0]


def test_deleting_a_plan_in_use_deactivates_it(client, manager, telecentre):
    membership = MembershipFactory(telecentre=telecentre)
    client.force_login(manager)
    response = client.post(reverse("telework:plan_delete", args=[telecentre.slug, membership.plan.pk]), follow=True)
    assert "elle est désactivée" in text_of(response)
    membership.plan.refresh_from_db()
    assert membership.plan.is_active is False


# --- members and a membership -------------------------------------------------------------------------


def test_members_list_search_and_balance(client, manager, telecentre):
    one = MembershipFactory(telecentre=telecentre, member=UserFactory(first_name="Aurélie", last_name="Vaissier"))
    give_credits(one, "7.5")
    MembershipFactory(telecentre=telecentre, member=UserFactory(first_name="Romain", last_name="Cabanes"))
    MembershipFactory(member=UserFactory(first_name="Ailleurs", last_name="Autre"))  # another telecentre
    client.force_login(manager)
    url = reverse("telework:members", args=[telecentre.slug])
    text = text_of(client.get(url))
    assert "Vaissier" in text
    assert "Cabanes" in text
    assert "Ailleurs" not in text
    assert "7,5" in text
    assert "2 adhésions" in text
    searched = text_of(client.get(url, {"q": "vaiss"}))
    assert "Vaissier" in searched
    assert "Cabanes" not in searched
    assert "Vaissier" in text_of(client.get(url, {"q": one.member.email.upper()}))
    assert client.get(url, {"plan": "abc", "state": "x" * 300, "q": "\x00" * 3}).status_code == 200


def test_members_list_paginates_with_few_queries(client, manager, telecentre, django_assert_max_num_queries):
    plan = carnet(telecentre)
    for _ in range(60):
        membership = MembershipFactory(telecentre=telecentre, plan=plan)
        give_credits(membership, "3")
    client.force_login(manager)
    url = reverse("telework:members", args=[telecentre.slug])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert "Page 1 sur 2" in text_of(response)
    with django_assert_max_num_queries(12):
        assert client.get(url, {"page": "2"}).status_code == 200


def test_manager_grants_a_gesture_and_the_member_reads_it(client, manager, membership):
    client.force_login(manager)
    expires = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    response = client.post(
        reverse("telework:membership_grant", args=[membership.pk]),
        {"unit": CreditUnit.DAY, "amount": "1", "expires_on": expires, "note": "Wifi en panne le 3 mars"},
    )
    assert response.status_code == 302
    client.force_login(membership.member)
    text = text_of(client.get(reverse("telework:membership_detail", args=[membership.pk])))
    assert "Geste commercial" in text
    assert "Wifi en panne le 3 mars" in text
    assert "11 jours" in text
    assert "Offrir des crédits" not in text


def test_gesture_errors_next_to_fields(client, manager, membership):
    client.force_login(manager)
    response = client.post(
        reverse("telework:membership_grant", args=[membership.pk]),
        {"unit": "day", "amount": "0,3", "expires_on": "pas une date", "note": ""},
    )
    assert response.status_code == 400
    errors = response.context["gesture_form"].errors
    assert set(errors) >= {"amount", "expires_on", "note"}
    assert membership.credit_grants.count() == 1


def test_member_ends_a_monthly_membership_at_the_end_of_the_month(client, telecentre, person):
    membership = services.membership_subscribe(actor=person, plan=part_time(telecentre), notify=False)
    client.force_login(person)
    url = reverse("telework:membership_detail", args=[membership.pk])
    text = text_of(client.get(url))
    assert "Mettre fin à l'adhésion" in text
    end = services.month_end(timezone.localdate())
    response = client.post(reverse("telework:membership_end", args=[membership.pk]), {"ends_on": end.isoformat()})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.ends_on == end
    bad = client.post(reverse("telework:membership_end", args=[membership.pk]), {"ends_on": "2001-01-01"})
    assert bad.status_code == 400
    assert "passée" in bad.context["end_form"].errors["ends_on"][0]


def test_buy_again_page_and_double_submit(client, membership):
    client.force_login(membership.member)
    url = reverse("telework:membership_buy_again", args=[membership.pk])
    text = text_of(client.get(url))
    assert "180,00 € TTC" in text
    assert "10 jours" in text
    assert client.post(url, {"purchases": "1"}).status_code == 302
    second = client.post(url, {"purchases": "1"}, follow=True)
    assert "vient déjà d'être enregistré" in text_of(second)
    assert membership.credit_grants.filter(reason=CreditGrant.Reason.PURCHASE).count() == 2
    assert client.post(url, {"purchases": "abc"}).status_code == 400


def test_buy_again_is_404_for_a_monthly_plan(client, telecentre, person):
    membership = services.membership_subscribe(actor=person, plan=part_time(telecentre), notify=False)
    client.force_login(person)
    assert client.get(reverse("telework:membership_buy_again", args=[membership.pk])).status_code == 404


def test_membership_detail_ledger_paginates(client, manager, membership, django_assert_max_num_queries):
    for _ in range(60):
        services.membership_grant_gesture(
            actor=manager,
            membership=membership,
            unit=CreditUnit.DAY,
            amount=Decimal("0.5"),
            expires_on=timezone.localdate() + dt.timedelta(days=10),
            note="Essai",
        )
    client.force_login(manager)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("telework:membership_detail", args=[membership.pk]))
    assert "Page 1 sur 2" in text_of(response)
    assert response.context["view"].days == Decimal("40")


def test_kind_choices_are_all_on_the_form(client, manager, telecentre):
    client.force_login(manager)
    text = text_of(client.get(reverse("telework:plan_create", args=[telecentre.slug])))
    for label in PlanKind.labels:
        assert str(label).replace("'", "'") in text


def test_confirmation_page_of_my_current_plan_offers_to_buy_again(client, telecentre, person):
    membership = services.membership_subscribe(actor=person, plan=carnet(telecentre), notify=False)
    client.force_login(person)
    text = text_of(client.get(reverse("telework:subscribe", args=[telecentre.slug, membership.plan.pk])))
    assert "C'est déjà votre formule" in text
    assert "Confirmer mon choix" not in text
    assert reverse("telework:membership_buy_again", args=[membership.pk]) in text
