"""Public pages: /territoire/ and /territoire/cantons/<slug>/."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cybercantal.territory.models import Canton


def test_url_names():
    assert reverse("territory:index") == "/territoire/"
    assert reverse("territory:canton", args=["aurillac-1"]) == "/territoire/cantons/aurillac-1/"


def test_index_is_public_with_map_and_table(client, territory, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):  # cold: shapes loaded and projected once
        client.get(reverse("territory:index"))
    with django_assert_max_num_queries(3):  # département, cantons with figures, shared communes
        response = client.get(reverse("territory:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Le territoire : Cantal</h1>" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="map"') == 1
    assert 'role="group" aria-labelledby="carte-cantons-title"' in html
    # Table alternative: one row per canton, linking to the canton page, with figures.
    table = html[html.index("<table>") : html.index("</table>")]
    assert table.count('<th scope="row">') == 15
    assert '<a href="/territoire/cantons/riom-es-montagnes/">Riom-ès-Montagnes</a>' in table
    assert re.search(r"Aurillac-1</a></th>\s*<td class=\"num\">2</td>", table)
    assert "habitants" in html  # choropleth legend
    assert "comptée en entier dans chacun" in html


def test_index_map_links_every_canton(client, territory):
    html = client.get(reverse("territory:index")).content.decode()
    for canton in Canton.objects.all():
        assert f'<a href="/territoire/cantons/{canton.slug}/"><title>Canton n° {canton.number} : ' in html


def test_index_without_territory(client, db, settings):
    settings.DEPARTEMENT_CODE = "98"
    response = client.get(reverse("territory:index"))
    assert response.status_code == 200
    assert "territory_import" in response.content.decode()


def test_canton_page(client, territory, django_assert_max_num_queries):
    client.get(reverse("territory:canton", args=["aurillac-1"]))
    with django_assert_max_num_queries(4):  # canton, communes, their cantons, all cantons' slugs
        response = client.get(reverse("territory:canton", args=["aurillac-1"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Canton Aurillac-1</h1>" in html
    assert '<th scope="row">Aurillac</th>' in html
    assert "aussi dans : Aurillac-2, Aurillac-3" in html
    assert 'stroke-width="3.5"' in html  # the canton is highlighted
    assert 'href="/territoire/cantons/aurillac-1/"' not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'href="/territoire/cantons/aurillac-2/"' in html


@pytest.mark.parametrize("slug", ["riom-es-montagnes", "saint-flour-1", "ydes"])
def test_canton_pages_list_their_communes(client, territory, slug):
    canton = Canton.objects.get(slug=slug)
    html = client.get(reverse("territory:canton", args=[slug])).content.decode()
    for commune in canton.communes.current():
        assert f'<th scope="row">{commune.name}</th>' in html.replace("&#x27;", "'")


def test_unknown_canton_is_404(client, territory):
    assert client.get("/territoire/cantons/nulle-part/").status_code == 404


def test_pages_accept_only_get(client, territory):
    assert client.post(reverse("territory:index")).status_code == 405
