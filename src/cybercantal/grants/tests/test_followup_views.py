"""The dashboard page and its CSV export: who may see them, what they show (envelope, map and
table, states, amounts, times), bad filters (a French message, never a 500), query counts."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cybercantal.accounts.models import Role

from ..models import Status
from .factories import ProgrammeFactory
from .factories_followup import at, dossier

pytestmark = pytest.mark.django_db

URL = "/aides/tableau-de-bord/"
EXPORT = "/aides/tableau-de-bord/export.csv"


@pytest.fixture
def dossiers(territory, programme):
    return {
        "murat": dossier(
            programme,
            status=Status.ACCEPTED,
            commune_name="Murat",
            computed="1600.00",
            decided="1600.00",
            submitted=at(2026, 1, 5),
            decided_at=at(2026, 1, 15),
            business_name='=HYPERLINK("http://x")',
        ),
        "ydes": dossier(
            programme,
            status=Status.PAID,
            commune_name="Ydes",
            computed="2500.00",
            decided="2500.00",
            paid="2500.00",
            submitted=at(2026, 1, 10),
            decided_at=at(2026, 1, 30),
            payment_on=date(2026, 2, 9),
        ),
        "old": dossier(
            programme, status=Status.SUBMITTED, commune_name="Ydes", computed="700.00", submitted=at(2025, 11, 3)
        ),
        "draft": dossier(programme, status=Status.DRAFT, commune_name="Murat"),
    }


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_urls_are_the_agreed_ones():
    assert reverse("grants:dashboard") == URL
    assert reverse("grants:dashboard_export") == EXPORT


@pytest.mark.parametrize("url", [URL, EXPORT])
def test_access_per_role(client, staff, applicant, other_applicant, instructor, manager, programme, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/compte/" in response["Location"]
    for person in (applicant, other_applicant, staff(Role.CITIZEN)):
        client.force_login(person)
        assert client.get(url).status_code == 403
    for person in (instructor, manager):
        client.force_login(person)
        assert client.get(url).status_code == 200


def test_page_shows_envelope_map_table_states_and_times(client, manager, dossiers, programme):
    client.force_login(manager)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    # The default programme, its envelope with the text of the bar.
    assert "Tableau de bord : Auverdata" in page
    assert "Enveloppe budgétaire du dispositif" in page
    assert "100\u202f000,00\u00a0€" in page  # budget
    assert "4\u202f100,00\u00a0€, soit 4 % du budget" in page  # committed
    assert "95\u202f900,00\u00a0€" in page  # remaining
    assert "Barre de l&#x27;enveloppe" in page or "Barre de l'enveloppe" in page
    # The map (SVG with title) and its table, every canton, zeros included, with a link each.
    assert 'id="carte-dossiers"' in page
    assert 'id="carte-dossiers-table"' in page
    assert "Carte des dossiers par canton : Auverdata" in page
    assert "?dispositif=auverdata&amp;canton=murat" in page
    assert "?dispositif=auverdata&amp;canton=maurs" in page
    assert "Canton n° 7 : Murat — 1 dossier, demandé 1\u202f600,00\u00a0€" in page
    assert "Canton n° 6 : Maurs — 0 dossier" in page
    # Every state, in the order of the workflow.
    labels = [
        "Brouillon",
        "Déposé",
        "En instruction",
        "Corrections demandées",
        "Accepté",
        "Refusé",
        "Classé sans suite",
        "Payé",
    ]
    positions = [page.index(f'<th scope="row">{label}</th>') for label in labels]
    assert positions == sorted(positions)
    # Amounts and times.
    assert "4\u202f800,00\u00a0€ (aide calculée des 3 dossiers déposés)" in page
    times = re.sub(r"\s+", " ", page[page.index('id="delais"') :])
    # First submission -> decision: 10 and 20 days; decision -> first payment: 10 days.
    assert '<td class="num">2</td> <td class="num">15,0</td>' in times
    assert '<td class="num">1</td> <td class="num">10,0</td>' in times
    assert "1 dossier attend une décision" in page
    assert f'href="/aides/instruction/{dossiers["old"].reference}/"' in page  # the oldest waiting, to review
    assert f'href="/aides/instruction/{dossiers["murat"].reference}/paiement/"' in page  # the oldest to pay
    assert "1 dossier accepté attend son versement" in page
    assert f'href="{EXPORT}?dispositif=auverdata"' in page


def test_filters_by_year_and_canton(client, instructor, dossiers, programme):
    client.force_login(instructor)
    page = client.get(URL, {"dispositif": "auverdata", "annee": "2025"}).content.decode()
    assert "Dossiers déposés pour la première fois en 2025" in page
    assert "700,00\u00a0€ (aide calculée de 1 dossier déposé)" in page
    page = client.get(URL, {"annee": "2026", "canton": "ydes"}).content.decode()
    assert "canton de Ydes" in page
    assert "Ydes (canton choisi)" in page
    assert "2\u202f500,00\u00a0€ (aide calculée de 1 dossier déposé)" in page
    assert "Canton sélectionné (contour épais)" in page  # the map's legend
    assert f'href="{EXPORT}?dispositif=auverdata&amp;annee=2026&amp;canton=ydes"' in page


@pytest.mark.parametrize(
    "params",
    [
        {"dispositif": "999999"},
        {"dispositif": "x" * 5000},
        {"dispositif": "auv\x00data"},
        {"annee": "abc"},
        {"annee": "1900"},
        {"annee": "99999999999999999999999"},
        {"canton": "nulle-part"},
        {"canton": "\x00"},
        {"dispositif": ["a", "b"], "annee": ["2026", "abc"]},
    ],
)
def test_bad_filters_give_the_default_view_and_a_french_message(client, manager, dossiers, programme, params):
    client.force_login(manager)
    response = client.get(URL, params)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Un filtre n&#x27;est pas valide" in page or "Un filtre n'est pas valide" in page
    assert "Sélectionnez un choix valide" in page
    assert "Tableau de bord : Auverdata" in page
    assert 'id="carte-dossiers"' in page
    # The export never makes a file of other filters than those asked: back to the page.
    response = client.get(EXPORT, params)
    assert response.status_code == 302
    assert response["Location"].startswith(URL)


def test_one_bad_filter_keeps_the_good_ones(client, manager, dossiers, programme):
    client.force_login(manager)
    page = client.get(URL, {"annee": "2025", "canton": "nulle-part"}).content.decode()
    assert "Dossiers déposés pour la première fois en 2025" in page
    assert "tout le département." in page


def test_without_any_programme(client, manager):
    client.force_login(manager)
    response = client.get(URL)
    assert response.status_code == 200
    assert "Aucun dispositif d&#x27;aide" in response.content.decode() or "Aucun dispositif d'aide" in (
        response.content.decode()
    )
    assert client.get(EXPORT).status_code == 302


def test_another_programme_can_be_chosen(client, manager, dossiers, programme):
    other = ProgrammeFactory(name="Autre aide", slug="autre-aide")
    client.force_login(manager)
    page = client.get(URL, {"dispositif": other.slug}).content.decode()
    assert "Tableau de bord : Autre aide" in page
    assert "0,00\u00a0€ (aide calculée des 0 dossiers déposés)" in page or "(aide calculée de 0 dossier déposé)" in page


def _three_dossiers(programme, commune_name):
    for status in (Status.SUBMITTED, Status.ACCEPTED, Status.PAID):
        dossier(
            programme,
            status=status,
            commune_name=commune_name,
            decided="500.00" if status != Status.SUBMITTED else None,
            paid="500.00" if status == Status.PAID else "0.00",
            submitted=at(2026, 2, 1),
            decided_at=at(2026, 2, 10) if status != Status.SUBMITTED else None,
            payment_on=date(2026, 3, 1) if status == Status.PAID else None,
        )


@pytest.mark.parametrize("params", [{}, {"dispositif": "auverdata", "annee": "2026", "canton": "ydes"}])
def test_page_query_count_does_not_grow(client, manager, territory, programme, django_assert_max_num_queries, params):
    client.force_login(manager)
    _three_dossiers(programme, "Ydes")
    client.get(URL, params)  # warm the caches (map projection)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, params).status_code == 200
    for name in ("Ydes", "Murat", "Maurs", "Riom-ès-Montagnes", "Neuvéglise-sur-Truyère"):
        _three_dossiers(programme, name)
    with django_assert_max_num_queries(len(few)):
        assert client.get(URL, params).status_code == 200
    # session and user, roles, default programme, the filters and their choice lists, the dashboard's 8
    assert len(few) <= 18


def test_export_one_row_per_dossier_not_draft(client, instructor, dossiers, programme, django_assert_max_num_queries):
    client.force_login(instructor)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="tableau-de-bord-auverdata.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == [
        "Numéro de dossier",
        "Dispositif",
        "État",
        "Raison sociale",
        "SIRET",
        "Commune des locaux",
        "Canton",
        "Premier dépôt",
        "Décision",
        "Premier versement",
        "Aide calculée (€)",
        "Aide accordée (€)",
        "Aide versée (€)",
        "Éligibilité",
    ]
    assert len(rows) == 4  # header + 3 (the draft is left out)
    by_ref = {row[0]: row for row in rows[1:]}
    assert dossiers["draft"].reference not in by_ref
    ydes = by_ref[dossiers["ydes"].reference]
    assert ydes[1:3] == ["Auverdata", "Payé"]
    assert ydes[4] == dossiers["ydes"].siret
    assert ydes[5:] == [
        "Ydes",
        "Ydes",
        "2026-01-10",
        "2026-01-30",
        "2026-02-09",
        "2500,00",
        "2500,00",
        "2500,00",
        "Éligible",
    ]
    murat = by_ref[dossiers["murat"].reference]
    assert murat[3] == '\'=HYPERLINK("http://x")'  # never a formula
    assert murat[9] == ""  # no payment yet
    old = by_ref[dossiers["old"].reference]
    assert old[11] == ""  # no decided amount


def test_export_follows_the_filters(client, manager, dossiers, programme):
    client.force_login(manager)
    response = client.get(EXPORT, {"dispositif": "auverdata", "annee": "2026", "canton": "ydes"})
    assert 'filename="tableau-de-bord-auverdata-2026-ydes.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert [row[0] for row in rows[1:]] == [dossiers["ydes"].reference]


def test_pages_refuse_post(client, manager, programme):
    client.force_login(manager)
    assert client.post(URL).status_code == 405
    assert client.post(EXPORT).status_code == 405
