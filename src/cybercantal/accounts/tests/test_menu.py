"""The header menu by role, and what it costs."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from cybercantal.accounts.context_processors import menu
from cybercantal.accounts.menu import menu_for
from cybercantal.accounts.models import Role, User


def _labels(user) -> list[str]:
    return [str(entry.label) for entry in menu_for(User.objects.get(pk=user.pk))]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, ["Mes données"]),
        (Role.CITIZEN, ["Mes données"]),
        (
            Role.TEACHER,
            [
                "Cartable électronique",
                "Copies à corriger",
                "Banque de questions",
                "Cours",
                "Mes documents",
                "Mes données",
            ],
        ),
        (Role.STUDENT, ["Cartable électronique", "Mes exercices", "Mes données"]),
        (Role.PARENT, ["Cartable électronique", "Mes données"]),
        (Role.SCHOOL_STAFF, ["Cartable électronique", "Mes données"]),
        (Role.MEDIATOR, ["Espace médiation", "Nouvel accompagnement", "Mes lieux", "Mes données"]),
        (Role.KIOSK_AGENT, ["Nouvel accompagnement", "Demandes d'aide (bornes)", "Mes lieux", "Mes données"]),
        (Role.TELECENTRE_MANAGER, ["Gestion des télécentres", "Mes lieux", "Mes données"]),
        (Role.TELEWORKER, ["Mon espace télécentre", "Mes réservations", "Mes données"]),
        (Role.EMPLOYER_MANAGER, ["Espace employeur", "Mes données"]),
        (Role.BUSINESS_APPLICANT, ["Mes demandes d'aide", "Mes données"]),
        (
            Role.GRANT_INSTRUCTOR,
            ["Instruction des aides", "Tableau de bord des aides", "Paiements des aides", "Mes données"],
        ),
        (
            Role.PROGRAMME_MANAGER,
            [
                "Espace médiation",
                "Statistiques EPN",
                "Bornes",
                "Instruction des aides",
                "Tableau de bord des aides",
                "Paiements des aides",
                "Dispositifs d'aide",
                "Gestion des télécentres",
                "Prospection des entreprises",
                "Collèges (ENT)",
                "Mes lieux",
                "Mes données",
                "Import LMN",
            ],
        ),
        (
            Role.ADMINISTRATOR,
            [
                "Espace médiation",
                "Statistiques EPN",
                "Bornes",
                "Instruction des aides",
                "Tableau de bord des aides",
                "Paiements des aides",
                "Dispositifs d'aide",
                "Gestion des télécentres",
                "Prospection des entreprises",
                "Collèges (ENT)",
                "Mes lieux",
                "Mes données",
                "Import LMN",
            ],
        ),
    ],
)
def test_menu_by_role(make_user, grant, organisation, role, expected):
    user = make_user()
    if role is not None:
        grant(
            user,
            role,
            scope=organisation
            if role
            in {
                Role.MEDIATOR,
                Role.KIOSK_AGENT,
                Role.TELECENTRE_MANAGER,
                Role.TEACHER,
                Role.STUDENT,
                Role.SCHOOL_STAFF,
                Role.BUSINESS_APPLICANT,
                Role.EMPLOYER_MANAGER,
            }
            else None,
        )
    assert _labels(user) == expected


def test_admin_access_adds_the_back_office_link(make_user):
    assert _labels(make_user(is_staff=True))[-1] == "Administration"


def test_menu_links_resolve(make_user, grant):
    user = make_user(is_staff=True)
    grant(user, Role.ADMINISTRATOR)
    urls = [entry.url for entry in menu_for(User.objects.get(pk=user.pk))]
    assert urls == [
        reverse("mediation:home"),
        reverse("mediation:statistics"),
        reverse("kiosks:fleet"),
        reverse("grants:queue"),
        reverse("grants:dashboard"),
        reverse("grants:payments"),
        reverse("grants:programme_list_manage"),
        reverse("telework:manage_home"),
        reverse("telework:prospects"),
        reverse("learning:schools"),
        reverse("places:mine"),
        reverse("accounts:my_data"),
        reverse("places:import"),
        reverse("admin:index"),
    ]


def test_menu_costs_one_query_and_reuses_it(make_user, grant, django_assert_num_queries):
    user = make_user()
    grant(user, Role.PROGRAMME_MANAGER)
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        first = menu(request)["role_menu"]
        again = menu(request)["role_menu"]
        request.user.has_perm("places.import_lmn")  # the rules read the same cached roles
    assert first == again


def test_anonymous_menu_is_free(db, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert menu(request) == {"role_menu": []}


@pytest.mark.parametrize(
    ("role", "expected_queries"),
    [
        # session + user + memberships (shared by the TOTP middleware and the menu)
        (Role.CITIZEN, 3),
        # ... + the authenticator check that staff roles need
        (Role.ADMINISTRATOR, 4),
    ],
)
def test_a_whole_page_header_costs_one_membership_query(
    make_user, grant, signed_in, django_assert_num_queries, role, expected_queries
):
    user = make_user()
    grant(user, role)
    client = signed_in(user)
    client.get("/page-qui-n-existe-pas/")  # warm caches (content types, templates)
    with django_assert_num_queries(expected_queries):
        response = client.get("/page-qui-n-existe-pas/")
    assert response.status_code == 404
    assert "Mes données" in response.content.decode()
