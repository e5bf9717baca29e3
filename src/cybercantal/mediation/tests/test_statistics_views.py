"""The statistics page, its exports (CSV, ODS) and the yearly PDF report, role by role."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
import zlib
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cybercantal.accounts.models import Role
from cybercantal.places.models import Place
from cybercantal.places.tests.factories import PlaceFactory

from . import factories_statistics as data
from .factories import MediatorFactory

pytestmark = pytest.mark.django_db

URL = reverse("mediation:statistics")
REPORT = reverse("mediation:statistics_report", kwargs={"year": 2025})


def text_of(response) -> str:
    html = response.content.decode()
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def dataset(epn, other_epn):
    return data.build(epn, other_epn)


@pytest.fixture
def other_mediator(staff, other_epn):
    return MediatorFactory(user=staff(Role.MEDIATOR, other_epn))


# --- who may see what ------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/compte/" in response["Location"] or "login" in response["Location"]
    assert client.get(REPORT).status_code == 302


def test_citizen_is_refused(client, staff, dataset):
    client.force_login(staff(Role.CITIZEN))
    assert client.get(URL).status_code == 403
    assert client.get(URL + "?annee=2025&format=csv").status_code == 403
    assert client.get(REPORT).status_code == 403


def test_manager_sees_the_whole_network(client, manager, dataset, epn, other_epn):
    client.force_login(manager)
    response = client.get(URL, {"annee": 2025})
    assert response.status_code == 200
    stats = response.context["stats"]
    assert stats.network
    assert stats.total.sessions == 3
    assert stats.total.accompaniments == 4
    text = text_of(response)
    assert "EPN du Pays Vert" in text
    assert "EPN du Lioran" in text
    assert "Rapport d'activité 2025 du réseau (PDF)" in text
    assert "40,0 %" in text  # network fill rate


def test_mediator_sees_only_their_epn(client, mediator, dataset, epn, other_epn):
    client.force_login(mediator.user)
    response = client.get(URL, {"annee": 2025})
    assert response.status_code == 200
    stats = response.context["stats"]
    assert [row.key for row in stats.by_place] == [epn.pk]
    assert stats.total.accompaniments == 3
    text = text_of(response)
    assert "EPN du Pays Vert" in text
    assert "EPN du Lioran" not in text
    assert "(PDF)" not in text  # the network report is the programme team's


def test_mediator_of_b_does_not_see_a(client, other_mediator, dataset, epn, other_epn):
    client.force_login(other_mediator.user)
    stats = client.get(URL, {"annee": 2025}).context["stats"]
    assert [row.key for row in stats.by_place] == [other_epn.pk]
    assert (stats.total.sessions, stats.total.accompaniments, stats.total.visits) == (1, 1, 3)


def test_mediator_cannot_ask_for_another_epn(client, mediator, dataset, other_epn):
    client.force_login(mediator.user)
    response = client.get(URL, {"annee": 2025, "lieu": other_epn.pk})
    assert response.status_code == 200
    assert response.context["stats"] is None
    assert "Sélectionnez un choix valide" in text_of(response)
    export = client.get(URL, {"annee": 2025, "lieu": other_epn.pk, "format": "csv"})
    assert export["Content-Type"].startswith("text/html")  # no file, the form with its error


def test_mediator_export_is_scoped(client, mediator, dataset):
    client.force_login(mediator.user)
    response = client.get(URL, {"annee": 2025, "format": "csv", "tableau": "lieux"})
    content = response.content.decode("utf-8-sig")
    assert "EPN du Pays Vert" in content
    assert "EPN du Lioran" not in content


def test_mediator_may_not_download_the_network_report(client, mediator):
    client.force_login(mediator.user)
    assert client.get(REPORT).status_code == 403


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"du": "2025-13"}, "du", "Le mois doit être compris entre 01 et 12."),
        ({"du": "mars"}, "du", "Indiquez un mois sous la forme AAAA-MM"),
        ({"du": "2025-06", "au": "2025-02"}, "au", "Le dernier mois doit venir après le premier."),
        ({"du": "2001-01", "au": "2025-02"}, "au", "La période ne peut pas dépasser 10 ans."),
        ({"annee": "1850"}, "annee", "Sélectionnez un choix valide"),
        ({"theme": "astrologie"}, "theme", "Sélectionnez un choix valide"),
    ],
)
def test_bad_filters_get_a_french_message_next_to_the_field(client, manager, params, field, message):
    client.force_login(manager)
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response.context["stats"] is None
    assert message in " ".join(response.context["form"].errors[field])
    html = response.content.decode()
    assert f'id="id_{field}_errors"' in html
    tag = re.search(rf'<(?:input|select)[^>]*id="id_{field}"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in tag
    assert f"id_{field}_errors" in tag


def test_month_range_filter(client, manager, dataset):
    client.force_login(manager)
    stats = client.get(URL, {"du": "2025-03", "au": "2025-05"}).context["stats"]
    assert [row.key for row in stats.by_month] == ["2025-03", "2025-04", "2025-05"]
    assert stats.total.accompaniments == 3


def test_unknown_format_or_table_is_404(client, manager, dataset):
    client.force_login(manager)
    assert client.get(URL, {"annee": 2025, "format": "xls"}).status_code == 404
    assert client.get(URL, {"annee": 2025, "format": "csv", "tableau": "nope"}).status_code == 404
    assert client.get(reverse("mediation:statistics_report", kwargs={"year": 1999})).status_code == 404


# --- charts ---------------------------------------------------------------------------------------


def test_charts_are_svg_with_title_summary_and_table(client, manager, dataset):
    client.force_login(manager)
    html = client.get(URL, {"annee": 2025}).content.decode()
    charts = re.findall(r"<svg[^>]*role=\"img\"[^>]*>", html)
    assert len(charts) >= 4
    assert '<title id="graphique-raisons-titre">Raisons du besoin d&#x27;aide</title>' in html
    assert "Total : 4 accompagnements." in unescape(html)
    assert 'href="#tableau-raisons"' in html
    assert 'id="tableau-raisons"' in html
    assert '<th scope="col">Raison</th>' in html
    assert "<script" not in html.split("</main>")[0].split("<main")[1]  # no chart library


def test_table_cells_and_chart_labels_are_escaped(client, manager, dataset, epn):
    """Table rows and chart bars are written in Python: names are escaped there too."""
    epn.name = "EPN <b>gras</b> & co"
    epn.save(update_fields=["name"])
    client.force_login(manager)
    html = client.get(URL, {"annee": 2025}).content.decode()
    assert "<b>gras</b>" not in html
    assert '<th scope="row">EPN &lt;b&gt;gras&lt;/b&gt; &amp; co (Ydes)</th>' in html
    assert '<td class="num">33,3\u00a0%</td>' in html  # the fill rate of A, in its own cell
    assert re.search(r'<rect x="230" y="\d+" width="[\d.]+" height="18" fill="#1d5e3a"></rect>', html)


# --- query count -------------------------------------------------------------------------------------


def _count_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, {"annee": 2025}).status_code == 200
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_epn(client, manager, dataset, epn, django_assert_max_num_queries):
    client.force_login(manager)
    client.get(URL, {"annee": 2025})  # warm caches (content types, session)
    few = _count_queries(client)
    author = dataset["author"]
    for i in range(6):
        place = PlaceFactory(name=f"EPN supplémentaire {i}")
        data.session(dataset["workshops"][0], place, dt.date(2025, 2, 1 + i), capacity=6, taken=True)
        data.accompaniment(place, author, dt.date(2025, 7, 1 + i), duration_minutes=30, themes=["ai"])
    many = _count_queries(client)
    assert many == few
    with django_assert_max_num_queries(17):
        client.get(URL, {"annee": 2025})


# --- exports ----------------------------------------------------------------------------------------


def test_csv_has_the_figures(client, manager, dataset):
    client.force_login(manager)
    response = client.get(URL, {"annee": 2025, "format": "csv", "tableau": "lieux"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="statistiques-epn-2025-lieux.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, *lines = rows
    assert header[0] == "Lieu"
    assert "Taux de remplissage (%)" in header
    by_name = {line[0].split(" (")[0]: dict(zip(header, line, strict=True)) for line in lines}
    pays_vert = by_name["EPN du Pays Vert"]
    assert pays_vert["Séances tenues"] == "2"
    assert pays_vert["Absents"] == "2"
    assert pays_vert["Taux de remplissage (%)"] == "33,3"
    assert pays_vert["Heures d'accompagnement"] == "3,3"
    assert by_name["Total"]["Accompagnements"] == "4"

    themes = client.get(URL, {"annee": 2025, "format": "csv", "tableau": "thematiques"}).content.decode("utf-8-sig")
    assert "Courriel;1;4;2;1,3;2" in themes


def test_csv_quotes_a_place_name_that_looks_like_a_formula(client, manager, dataset, epn):
    Place.objects.filter(pk=epn.pk).update(name='=HYPERLINK("http://x")')
    client.force_login(manager)
    response = client.get(URL, {"annee": 2025, "format": "csv", "tableau": "lieux"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, *lines = rows
    line = next(dict(zip(header, line, strict=True)) for line in lines if "HYPERLINK" in line[0])
    assert line["Lieu"] == '\'=HYPERLINK("http://x") (Ydes)'
    assert line["Séances tenues"] == "2"
    assert line["Taux de remplissage (%)"] == "33,3"


def _ods_sheets(content: bytes) -> dict[str, list[list[str]]]:
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow

    document = load(io.BytesIO(content))
    sheets = {}
    for table in document.spreadsheet.getElementsByType(Table):
        rows = []
        for row in table.getElementsByType(TableRow):
            cells = []
            for cell in row.getElementsByType(TableCell):
                value = cell.getAttribute("value")
                cells.append(value if value is not None else str(cell))
            rows.append(cells)
        sheets[table.getAttribute("name")] = rows
    return sheets


def test_ods_opens_with_one_sheet_per_table(client, manager, dataset):
    client.force_login(manager)
    response = client.get(URL, {"annee": 2025, "format": "ods"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    sheets = _ods_sheets(response.content)
    assert list(sheets) == [
        "Par lieu",
        "Par canton",
        "Par mois",
        "Par thématique numérique",
        "Par démarche administrative",
        "Par type d’accompagnement",
        "Raisons du besoin d’aide",
        "Autonomie des personnes",
        "Résultat des démarches",
    ]
    places = sheets["Par lieu"]
    assert places[0][:3] == ["Lieu", "Séances tenues", "Inscrits"]
    total = places[-1]
    assert total[0] == "Total"
    assert [float(v) for v in total[1:]] == [3, 10, 7, 2, 1, 0.4, 4, 4.3, 9, 15]
    reasons = {row[0]: row[1:] for row in sheets["Raisons du besoin d’aide"][1:]}
    assert reasons["Manque de confiance"] == ["1", "0.25"]
    assert sheets["Par lieu"][1][0] == "EPN du Lioran (Murat)"


# --- the yearly report -----------------------------------------------------------------------------------


def _pdf_text(content: bytes) -> str:
    """The PDF with its page streams inflated (reportlab writes them ASCII85 + Flate)."""
    parts = [content.decode("latin-1")]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        raw = stream.strip()
        try:
            if raw.endswith(b"~>"):
                raw = base64.a85decode(raw, adobe=True)
            parts.append(zlib.decompress(raw).decode("latin-1"))
        except (ValueError, zlib.error):
            continue
    return "\n".join(parts)


def test_yearly_report_pdf(client, manager, dataset):
    client.force_login(manager)
    response = client.get(REPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", content))
    assert pages >= 2  # cover + figures
    text = _pdf_text(content)
    assert "2025" in text
    assert "Rapport d'activit" in text
    assert "Cantal" in text
    assert "/Lang" in text
    assert "DisplayDocTitle" in text
    assert "Murat" in text  # the canton table
    assert "Manque de confiance" in text  # the help reasons
