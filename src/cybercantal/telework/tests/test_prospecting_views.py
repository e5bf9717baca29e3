"""The prospecting pages, per role (anonymous → sign in; teleworker, telecentre manager,
employer manager → 403; the programme team → 200), the company form (wrong SIREN, fixed, double
submit), the company page's forms, the board's move menu, the list's search and filters, the
CSV export, and the query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Organisation, Role

from ..models import Prospect, ProspectActivity, ProspectContact, ProspectStage
from ..services import prospecting as services
from .factories import AgreementFactory
from .factories_prospecting import moved, partner, prospect

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def company(programme_manager):
    source = partner("Cantal Expansion")
    company = prospect(
        "Éditions Lumière du Sud",
        siren="732829320",
        head_office="Bordeaux",
        source_partner=source,
        owner=programme_manager,
        identified_days_ago=20,
    )
    contact = services.contact_add(actor=None, prospect=company, name="Claire Aubrac", job_title="Gérante")
    activity = services.activity_add(
        actor=None,
        prospect=company,
        kind="call",
        happened_on=TODAY() - dt.timedelta(days=10),
        summary="Premier appel.",
        next_step="Envoyer la plaquette",
        next_step_on=TODAY() - dt.timedelta(days=2),
    )
    company.contact = contact
    company.activity = activity
    return company


def urls(company: Prospect) -> list[str]:
    pk = company.pk
    return [
        reverse("telework:prospects"),
        reverse("telework:prospects_export"),
        reverse("telework:prospect_board"),
        reverse("telework:prospecting_figures"),
        reverse("telework:prospect_create"),
        reverse("telework:prospect_detail", args=[pk]),
        reverse("telework:prospect_edit", args=[pk]),
        reverse("telework:prospect_contact_edit", args=[pk, company.contact.pk]),
        reverse("telework:prospect_contact_remove", args=[pk, company.contact.pk]),
        reverse("telework:prospect_activity_remove", args=[pk, company.activity.pk]),
    ]


def post_urls(company: Prospect) -> list[str]:
    pk = company.pk
    return [
        reverse("telework:prospect_create"),
        reverse("telework:prospect_edit", args=[pk]),
        reverse("telework:prospect_move", args=[pk]),
        reverse("telework:prospect_link_agreement", args=[pk]),
        reverse("telework:prospect_contact_add", args=[pk]),
        reverse("telework:prospect_contact_edit", args=[pk, company.contact.pk]),
        reverse("telework:prospect_contact_remove", args=[pk, company.contact.pk]),
        reverse("telework:prospect_activity_add", args=[pk]),
        reverse("telework:prospect_activity_remove", args=[pk, company.activity.pk]),
    ]


# --- access, per role ----------------------------------------------------------------------------


def test_the_contract_paths():
    assert reverse("telework:prospects") == "/telecentres/prospection/"
    assert reverse("telework:prospect_board") == "/telecentres/prospection/tableau/"
    assert reverse("telework:prospect_create") == "/telecentres/prospection/nouvelle/"
    assert reverse("telework:prospect_detail", args=[7]) == "/telecentres/prospection/7/"
    assert reverse("telework:prospecting_figures") == "/telecentres/prospection/chiffres/"


def test_anonymous_people_are_sent_to_sign_in(client, company):
    for url in urls(company):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/compte/" in response["Location"] or "login" in response["Location"], url
    for url in post_urls(company):
        assert client.post(url, {"to_stage": "lost"}).status_code == 302, url
    company.refresh_from_db()
    assert company.stage == ProspectStage.IDENTIFIED


@pytest.mark.parametrize("role", [Role.TELEWORKER, Role.TELECENTRE_MANAGER, Role.EMPLOYER_MANAGER, Role.CITIZEN])
def test_other_roles_are_refused(client, staff, telecentre, company, role):
    scope = {
        Role.TELECENTRE_MANAGER: telecentre.place,
        Role.EMPLOYER_MANAGER: partner("Laiterie des Monts"),
    }.get(role)
    client.force_login(staff(role, scope))
    for url in urls(company):
        assert client.get(url).status_code == 403, url
    for url in post_urls(company):
        assert client.post(url, {"to_stage": "contacted", "name": "X"}).status_code == 403, url
    company.refresh_from_db()
    assert company.stage == ProspectStage.IDENTIFIED
    assert Prospect.objects.count() == 1
    assert ProspectContact.objects.count() == 1


@pytest.mark.parametrize("role", [Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR])
def test_the_programme_team_sees_every_page(client, staff, company, role):
    client.force_login(staff(role))
    for url in urls(company):
        assert client.get(url).status_code == 200, url


def test_unknown_objects_are_404(client, programme_manager, company):
    client.force_login(programme_manager)
    other = prospect("Autre")
    assert client.get(reverse("telework:prospect_detail", args=[999999])).status_code == 404
    assert client.get(reverse("telework:prospect_contact_edit", args=[other.pk, company.contact.pk])).status_code == 404
    assert (
        client.post(reverse("telework:prospect_activity_remove", args=[other.pk, company.activity.pk])).status_code
        == 404
    )


# --- the company form ------------------------------------------------------------------------------


def test_a_wrong_siren_then_fixed(client, programme_manager):
    client.force_login(programme_manager)
    page = client.get(reverse("telework:prospect_create"))
    token = page.context["submission"]
    data = {
        "submission": token,
        "name": "Banque Coopérative du Centre",
        "siren": "732 829 321",
        "sector": "Banque",
        "size_band": "large",
        "head_office": "Clermont-Ferrand",
        "owner": programme_manager.pk,
        "potential_staff": "15",
    }
    response = client.post(reverse("telework:prospect_create"), data)
    assert response.status_code == 400
    assert "Ce numéro SIREN n&#x27;est pas valide" in response.content.decode()
    assert 'aria-describedby="id_siren_helptext id_siren_error"' in response.content.decode()
    assert not Prospect.objects.exists()
    data["siren"] = "732 829 320"
    response = client.post(reverse("telework:prospect_create"), data)
    company = Prospect.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("telework:prospect_detail", args=[company.pk])
    assert (company.siren, company.owner, company.potential_staff) == ("732829320", programme_manager, 15)
    # The same form sent again: no second company.
    response = client.post(reverse("telework:prospect_create"), data)
    assert response.status_code == 302
    assert Prospect.objects.count() == 1
    # A new form with the same SIREN: a clear error on the field.
    data["submission"] = "autre-jeton"
    response = client.post(reverse("telework:prospect_create"), data)
    assert response.status_code == 400
    assert "Ce SIREN est déjà celui de l&#x27;entreprise « Banque Coopérative du Centre »." in response.content.decode()


def test_only_the_programme_team_may_follow_a_company(client, programme_manager, staff):
    teleworker = staff(Role.TELEWORKER)
    client.force_login(programme_manager)
    response = client.post(reverse("telework:prospect_create"), {"name": "X", "owner": teleworker.pk})
    assert response.status_code == 400
    assert not Prospect.objects.exists()


def test_edit(client, programme_manager, company):
    client.force_login(programme_manager)
    page = client.get(reverse("telework:prospect_edit", args=[company.pk]))
    assert page.context["form"].initial["siren"] == "732 829 320"
    response = client.post(
        reverse("telework:prospect_edit", args=[company.pk]),
        {"name": "Éditions Lumière", "siren": "", "head_office": "Pessac", "website": "lumiere.example"},
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.siren, company.head_office, company.website, company.owner) == (
        "Éditions Lumière",
        "",
        "Pessac",
        "https://lumiere.example",
        None,
    )


# --- the company's page ------------------------------------------------------------------------------


def test_the_page_shows_everything(client, programme_manager, company):
    client.force_login(programme_manager)
    moved(company, ("contacted", 5))
    html = client.get(reverse("telework:prospect_detail", args=[company.pk])).content.decode()
    for text in (
        "Éditions Lumière du Sud",
        "732 829 320",
        "Cantal Expansion",
        "Claire Aubrac",
        "Premier appel.",
        "Envoyer la plaquette",
        "en retard, prévue le",
        "Identifiée → Contactée",
        "Historique des étapes",
    ):
        assert text in html, text


def test_move_on_the_page_with_errors_then_lost(client, programme_manager, company):
    client.force_login(programme_manager)
    url = reverse("telework:prospect_move", args=[company.pk])
    response = client.post(url, {"to_stage": "lost", "on": TODAY().isoformat()})
    assert response.status_code == 400
    assert "Indiquez pourquoi l&#x27;entreprise ne donne pas suite." in response.content.decode()
    assert 'id="move_reason_kind"' in response.content.decode()
    response = client.post(url, {"to_stage": "contacted", "on": (TODAY() + dt.timedelta(days=3)).isoformat()})
    assert response.status_code == 400
    assert "Cette date est dans le futur." in response.content.decode()
    response = client.post(url, {"to_stage": "lost", "reason_kind": "cost", "reason": "Prix par jour"})
    assert response.status_code == 302
    assert response["Location"].endswith("#etape")
    company.refresh_from_db()
    assert (company.stage, company.lost_reason) == ("lost", "Coût ou conditions de la convention : Prix par jour")


def test_move_to_pilot_links_the_agreement(client, programme_manager, company, telecentre):
    agreement = AgreementFactory(telecentres=[telecentre])
    client.force_login(programme_manager)
    html = client.get(reverse("telework:prospect_detail", args=[company.pk])).content.decode()
    assert agreement.reference in html
    assert reverse("telework:agreement_create") in html
    response = client.post(
        reverse("telework:prospect_move", args=[company.pk]), {"to_stage": "pilot", "agreement": agreement.pk}
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.agreement == agreement
    response = client.post(reverse("telework:prospect_link_agreement", args=[company.pk]), {"agreement": ""})
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.agreement is None
    response = client.post(reverse("telework:prospect_link_agreement", args=[company.pk]), {"agreement": "999999"})
    assert response.status_code == 400


def test_contacts_and_activities_from_the_page(client, programme_manager, company):
    client.force_login(programme_manager)
    pk = company.pk
    response = client.post(reverse("telework:prospect_contact_add", args=[pk]), {"name": "", "email": "x"})
    assert response.status_code == 400
    assert "Indiquez le nom du contact." in response.content.decode()
    response = client.post(
        reverse("telework:prospect_contact_add", args=[pk]),
        {"name": "Yann Le Goff", "job_title": "RSE", "email": "y.legoff@example.org", "phone": "01 99 00 12 34"},
    )
    assert response.status_code == 302
    contact = ProspectContact.objects.get(name="Yann Le Goff")
    response = client.post(
        reverse("telework:prospect_contact_edit", args=[pk, contact.pk]), {"name": "Yann Le Goff", "job_title": "DRH"}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.job_title == "DRH"
    assert client.post(reverse("telework:prospect_contact_remove", args=[pk, contact.pk])).status_code == 302
    assert not ProspectContact.objects.filter(pk=contact.pk).exists()

    response = client.post(reverse("telework:prospect_activity_add", args=[pk]), {"kind": "call", "summary": ""})
    assert response.status_code == 400
    response = client.post(
        reverse("telework:prospect_activity_add", args=[pk]),
        {
            "kind": "meeting",
            "happened_on": TODAY().isoformat(),
            "summary": "Rendez-vous à Bordeaux.",
            "next_step": "Visite du télécentre",
            "next_step_on": (TODAY() + dt.timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert ProspectActivity.objects.filter(prospect=company).count() == 2
    listed = client.get(reverse("telework:prospects"))
    assert listed.context["rows"][0]["next_step"] == "Visite du télécentre"
    assert listed.context["rows"][0]["overdue"] is False


# --- the board ------------------------------------------------------------------------------------


def test_the_board_moves_a_card(client, programme_manager, company):
    client.force_login(programme_manager)
    moved(prospect("Perdue SA"), ("lost", 0))
    page = client.get(reverse("telework:prospect_board"))
    html = page.content.decode()
    assert [c["count"] for c in page.context["columns"]] == [1, 0, 0, 0, 0]
    assert page.context["lost"]["count"] == 1
    assert f'id="entreprise-{company.pk}"' in html
    assert f'<label for="deplacer-{company.pk}">' in html
    response = client.post(
        reverse("telework:prospect_move", args=[company.pk]), {"to_stage": "meeting", "retour": "tableau"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/telecentres/prospection/tableau/#entreprise-{company.pk}"
    company.refresh_from_db()
    assert company.stage == ProspectStage.MEETING
    page = client.get(reverse("telework:prospect_board"))
    assert [c["count"] for c in page.context["columns"]] == [0, 0, 1, 0, 0]


def test_the_board_filters_by_owner(client, programme_manager, company):
    client.force_login(programme_manager)
    prospect("Sans suivi")
    page = client.get(reverse("telework:prospect_board"), {"suivie_par": "personne"})
    names = [card["prospect"].name for column in page.context["columns"] for card in column["cards"]]
    assert names == ["Sans suivi"]
    page = client.get(reverse("telework:prospect_board"), {"suivie_par": str(programme_manager.pk)})
    names = [card["prospect"].name for column in page.context["columns"] for card in column["cards"]]
    assert names == ["Éditions Lumière du Sud"]


# --- the list -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("editions lumiere", True),
        ("ÉDITIONS", True),
        ("lumi", True),
        ("bordeaux", True),
        ("732 829 320", True),
        ("732829", True),
        ("lyon", False),
        ("umiere", False),
    ],
)
def test_search_is_accent_and_case_insensitive(client, programme_manager, company, query, found):
    client.force_login(programme_manager)
    prospect("Studio Pixel Arverne", head_office="Clermont-Ferrand")
    page = client.get(reverse("telework:prospects"), {"q": query})
    names = [row["prospect"].name for row in page.context["rows"]]
    assert ("Éditions Lumière du Sud" in names) is found


def test_filters(client, programme_manager, company):
    client.force_login(programme_manager)
    other = moved(prospect("Studio Pixel Arverne", size_band="small"), ("contacted", 0))
    url = reverse("telework:prospects")

    def names(**params):
        return [row["prospect"].name for row in client.get(url, params).context["rows"]]

    assert names(etape="contacted") == ["Studio Pixel Arverne"]
    assert names(effectif="small") == ["Studio Pixel Arverne"]
    assert names(partenaire=company.source_partner_id) == ["Éditions Lumière du Sud"]
    assert names(suivie_par=programme_manager.pk) == ["Éditions Lumière du Sud"]
    assert names(suivie_par="personne") == ["Studio Pixel Arverne"]
    assert names(relances="on") == ["Éditions Lumière du Sud"]
    assert names(tri="relance") == ["Éditions Lumière du Sud", "Studio Pixel Arverne"]  # no follow-up: last
    assert names(tri="etape") == ["Éditions Lumière du Sud", "Studio Pixel Arverne"]
    assert names(tri="recent") == ["Studio Pixel Arverne", "Éditions Lumière du Sud"]
    assert other.stage == "contacted"
    page = client.get(url)
    assert page.context["overdue_count"] == 1
    assert "1 relance en retard." in page.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"etape": "nowhere"},
        {"partenaire": "9" * 40},
        {"partenaire": "abc"},
        {"suivie_par": "x\x00"},
        {"q": "x" * 500},
        {"tri": "'; drop table"},
        {"page": "-3"},
        {"page": "99999"},
        {"relances": "peut-être"},
    ],
)
def test_junk_filters_never_break_the_list(client, programme_manager, company, params):
    client.force_login(programme_manager)
    assert client.get(reverse("telework:prospects"), params).status_code == 200
    assert client.get(reverse("telework:prospects_export"), params).status_code == 200
    assert client.get(reverse("telework:prospect_board"), params).status_code == 200


def test_the_csv_export(client, programme_manager, company):
    client.force_login(programme_manager)
    moved(prospect("=Formule dangereuse"), ("lost", 0))
    response = client.get(reverse("telework:prospects_export"), {"etape": ""})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert lines[0].startswith("Entreprise;SIREN;Secteur d'activité;Effectif;Siège")
    assert len(lines) == 3
    assert any(line.startswith("'=Formule dangereuse") and "Plus de réponse" in line for line in lines)
    lumiere = next(line for line in lines if line.startswith("Éditions"))
    assert "732829320" in lumiere
    assert "Cantal Expansion" in lumiere
    assert "Envoyer la plaquette" in lumiere


def test_the_list_paginates(client, programme_manager):
    client.force_login(programme_manager)
    for index in range(30):
        prospect(f"Entreprise {index:02d}")
    first = client.get(reverse("telework:prospects"))
    assert len(first.context["rows"]) == 25
    second = client.get(reverse("telework:prospects"), {"page": 2, "tri": "nom"})
    assert [row["prospect"].name for row in second.context["rows"]] == [f"Entreprise {i}" for i in range(25, 30)]
    assert "tri=nom&amp;page=1" in second.content.decode()


# --- query counts ------------------------------------------------------------------------------------


@pytest.fixture
def many(programme_manager, telecentre):
    source = partner("Réseau national des télécentres")
    for index in range(30):
        company = prospect(
            f"Entreprise {index:02d}", source_partner=source, owner=programme_manager, size_band="medium"
        )
        services.contact_add(actor=None, prospect=company, name=f"Contact {index}")
        services.activity_add(
            actor=None,
            prospect=company,
            kind="call",
            happened_on=TODAY(),
            summary="Appel",
            next_step="Relancer",
            next_step_on=TODAY(),
        )
        path = [("contacted", 0), ("meeting", 0), ("pilot", 0), ("relocated", 0), ("lost", 0)][: index % 6]
        if path and path[-1][0] == "lost":
            path = [("lost", 0)]
        moved(company, *path, agreement=AgreementFactory(telecentres=[telecentre]) if index % 6 == 4 else None)


def test_list_board_figures_and_detail_cost_a_fixed_number_of_queries(
    client, programme_manager, many, django_assert_max_num_queries
):
    client.force_login(programme_manager)
    pages = [
        (reverse("telework:prospects"), 10),  # session, user, roles, TOTP, filters' choices, count, page, late
        (reverse("telework:prospects") + "?relances=on&tri=etape&q=entreprise", 10),
        (reverse("telework:prospect_board"), 8),
        (reverse("telework:prospecting_figures"), 9),
        (reverse("telework:prospects_export"), 7),
    ]
    for url, limit in pages:
        with django_assert_max_num_queries(limit):
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200, url
    company = Prospect.objects.get(name="Entreprise 04")
    with django_assert_max_num_queries(13):
        assert client.get(reverse("telework:prospect_detail", args=[company.pk])).status_code == 200


def test_figures_page(client, programme_manager, many):
    client.force_login(programme_manager)
    html = client.get(reverse("telework:prospecting_figures")).content.decode()
    for text in (
        "Entonnoir de conversion",
        'id="tableau-entonnoir"',
        "<caption>Entreprises arrivées à chaque étape",
        "Par partenaire source",
        "Réseau national des télécentres",
        "Raisons de la perte",
        "Salariés installés",
        'role="img"',
    ):
        assert text in html, text


def test_an_organisation_kind_outside_partners_is_not_offered(client, programme_manager):
    partner("Cantal Expansion")
    Organisation.objects.create(name="Collège Jeanne de la Treilhe", slug="college", kind=Organisation.Kind.SCHOOL)
    client.force_login(programme_manager)
    form = client.get(reverse("telework:prospect_create")).context["form"]
    names = [o.name for o in form.fields["source_partner"].queryset]
    assert names == ["Cantal Expansion"]
