"""Public pages of the territory: the département and its cantons."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import maps, queries


@login_not_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Everyone: the département, its cantons on a map, and the same figures in a table."""
    departement = queries.current_departement()
    if departement is None:
        return render(request, "territory/index.html", {"departement": None, "map": None, "cantons": []})
    cantons: list[Any] = list(queries.cantons_with_stats())  # annotated: commune_count, population
    shared = queries.shared_communes_by_canton()
    urls = {c.code: reverse("territory:canton", args=[c.slug]) for c in cantons}
    rows = []
    for canton in cantons:
        names = shared.get(canton.pk, [])
        rows.append(
            [
                maps.Link(canton.name, urls[canton.code]),
                canton.number,
                canton.commune_count,
                canton.population,
                ", ".join(names) if names else "—",
            ]
        )
    table = maps.MapTable.build(
        caption=_("Cantons du département : communes et population"),
        columns=[
            _("Canton"),
            maps.Column(_("N°"), numeric=True),
            maps.Column(_("Communes"), numeric=True),
            maps.Column(_("Population des communes*"), numeric=True),
            _("Communes partagées avec d'autres cantons"),
        ],
        rows=rows,
        footnote=_(
            "* Population municipale (INSEE) des communes du canton. Une commune partagée entre "
            "plusieurs cantons, comme Aurillac, est comptée en entier dans chacun."
        ),
    )
    choropleth = maps.class_choropleth({c.code: c.population for c in cantons}, unit=_("habitants"))
    titles = {
        c.code: _("Canton n° %(number)s : %(name)s, %(count)s communes, %(population)s habitants")
        % {
            "number": c.number,
            "name": c.name,
            "count": c.commune_count,
            "population": number_format(c.population or 0, force_grouping=True),
        }
        for c in cantons
    }
    rendered = maps.render_map(
        map_id="carte-cantons",
        title=_("%(name)s : carte des %(count)s cantons") % {"count": len(cantons), "name": departement.name},
        description=_(
            "Chaque canton porte son numéro et est coloré selon la population de ses communes ; "
            "le tableau qui suit la carte donne les mêmes informations."
        ),
        table=table,
        choropleth=choropleth,
        canton_urls=urls,
        canton_titles=titles,
    )
    return render(request, "territory/index.html", {"departement": departement, "map": rendered, "cantons": cantons})


@login_not_required
@require_GET
def canton_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone: one canton, its communes, and a map that highlights it."""
    canton = queries.canton_by_slug(slug)
    if canton is None:
        raise Http404(_("Aucun canton ne correspond à cette adresse."))
    communes = list(queries.communes_of_canton(canton))
    others = {c.code: reverse("territory:canton", args=[c.slug]) for c in queries.cantons_with_stats()}
    rows = []
    for commune in communes:
        other_cantons = [c.name for c in commune.cantons.all() if c.pk != canton.pk]
        rows.append(
            [
                commune.name,
                commune.insee_code,
                ", ".join(commune.postal_codes) or "—",
                commune.population,
                commune.epci.name if commune.epci else "—",
                _("aussi dans : %(cantons)s") % {"cantons": ", ".join(other_cantons)} if other_cantons else "—",
            ]
        )
    population = sum(c.population or 0 for c in communes)
    table = maps.MapTable.build(
        caption=_("Communes du canton %(name)s") % {"name": canton.name},
        columns=[
            _("Commune"),
            _("Code INSEE"),
            _("Code(s) postal(aux)"),
            maps.Column(_("Population"), numeric=True),
            _("Intercommunalité (EPCI)"),
            _("Partage"),
        ],
        rows=rows,
    )
    rendered = maps.render_map(
        map_id="carte-canton",
        title=_("Carte du canton %(name)s et de ses communes") % {"name": canton.name},
        description=_(
            "Vue rapprochée du canton n° %(number)s, entouré d'un trait épais et coloré ; ses %(count)s "
            "communes sont dessinées. Les cantons voisins mènent à leur page. La liste des communes suit "
            "la carte."
        )
        % {"number": canton.number, "count": len(communes)},
        table=table,
        choropleth={canton.code: (maps.SEQUENTIAL_PALETTE[2], _("Canton %(name)s") % {"name": canton.name})},
        default_fill=(maps.DEFAULT_FILL, _("Autres cantons")),
        canton_urls={code: url for code, url in others.items() if code != canton.code},
        show_communes=canton.code,
        highlight=canton.code,
        frame=canton.code,
    )
    return render(
        request,
        "territory/canton.html",
        {"canton": canton, "communes": communes, "population": population, "map": rendered},
    )
