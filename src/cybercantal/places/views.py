"""Pages of the public directory of places and of the place editors (thin: see queries/services)."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors

from . import extensions, hours, maps, queries, services
from .forms import DirectoryForm, HoursForm, PlaceForm
from .models import Place, PlaceKind, PlaceStatus

PAGE_SIZE = 20


class KeysFirstPaginator(Paginator):
    """Sorts and slices over primary keys only, then loads the page's rows by key.

    At 35,000 places a distance sort or a deep page makes the database sort every matching
    row; sorting narrow (key, sort value) pairs instead of whole joined rows is several times
    cheaper (bench/, docs/performances.md). One more query, whatever the volume.
    """

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=keys).order_by()}
        return self._get_page([rows[key] for key in keys if key in rows], number, self)


def _page(request: HttpRequest, queryset: QuerySet[Place], size: int = PAGE_SIZE) -> Any:
    """One page (one count query + one page query), with its elided page numbers.

    A page number that is not one (``abc``, ``-1``, ``99999``) gives the nearest real page
    and ``page.problem``, a French sentence saying so (the template shows it).
    """
    paginator = KeysFirstPaginator(queryset, size)
    raw = request.GET.get("page", "").strip()
    problem = ""
    try:
        number = int(raw) if raw else 1
    except ValueError:
        number = 1
        shown = "".join(character for character in raw[:20] if character.isprintable())
        problem = _("« %(page)s » n'est pas un numéro de page : voici la première page.") % {"page": shown}
    if number < 1:
        number = 1
        problem = _("Les pages commencent à 1 : voici la première page.")
    elif number > paginator.num_pages:
        problem = _("La page %(asked)s n'existe pas : voici la dernière page (page %(last)s).") % {
            "asked": number,
            "last": paginator.num_pages,
        }
        number = paginator.num_pages
    page = paginator.page(number)
    page.problem = problem
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in ("page", *names):
        params.pop(name, None)
    return params.urlencode()


def _query_without_page(request: HttpRequest) -> str:
    return _query_without(request)


@dataclass
class _Near:
    """Where "nearest first" starts from, or why it cannot (French, shown above the results)."""

    point: tuple[float, float] | None = None
    label: str = ""
    problem: str = ""
    suggestions: list[dict[str, Any]] = field(default_factory=list)


def _near(request: HttpRequest, form: DirectoryForm, data: dict[str, Any]) -> _Near:
    if data.get("pres_de"):
        typed = data["pres_de"]
        match = queries.resolve_commune(typed)
        if match.commune is not None:
            point = queries.commune_point(match.commune)
            if point is None:
                return _Near(
                    problem=_("La position de %(commune)s n'est pas connue : tri par nom.")
                    % {"commune": match.commune.name}
                )
            return _Near(point=point, label=match.commune.name)
        links = []
        for commune in match.suggestions:
            params = request.GET.copy()
            params["pres_de"] = commune.name
            params.pop("page", None)
            links.append({"commune": commune, "query": params.urlencode()})
        if match.suggestions and not match.close_spelling:
            problem = _("Plusieurs communes correspondent à « %(text)s » : précisez laquelle.") % {"text": typed}
        else:
            problem = _("Aucune commune du département ne s'appelle « %(text)s » : vérifiez l'orthographe.") % {
                "text": typed
            }
        return _Near(problem=problem, suggestions=links)
    if form.position_problem():
        return _Near(problem=form.position_problem())
    if data.get("lat") is not None and data.get("lon") is not None:
        return _Near(point=(data["lat"], data["lon"]), label=_("la position indiquée"))
    return _Near()


def _relax_links(request: HttpRequest, form: DirectoryForm, data: dict[str, Any]) -> list[dict[str, str]]:
    """For an empty result: the same search without each filter in use, as links."""
    links = []
    for name in ("ouvert", "type", "service", "commune", "canton", "q"):
        value = data.get(name)
        if not value:
            continue
        field_ = form.fields[name]
        if name == "ouvert":
            shown = str(field_.label)
        elif hasattr(field_, "choices") and not hasattr(value, "pk"):
            shown = f"{field_.label} : {dict(field_.choices).get(value, value)}"
        else:
            shown = f"{field_.label} : {value}"
        links.append({"label": shown, "query": _query_without(request, name)})
    return links


@login_not_required
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    """Everyone: search the published places, filter them, sort them by distance."""
    form = DirectoryForm(request.GET or None)
    form.is_valid()  # a bad value is reported next to its field; the valid ones still apply
    data: dict[str, Any] = getattr(form, "cleaned_data", {})
    near = _near(request, form, data)
    now = timezone.now()
    queryset = queries.directory(
        text=data.get("q", ""),
        kind=data.get("type") or None,
        canton=data.get("canton"),
        commune=data.get("commune"),
        service=data.get("service") or None,
        open_now=bool(data.get("ouvert")),
        near=near.point,
        at=now,
    )
    page = _page(request, queryset)
    rows = [
        {
            "place": place,
            "status": hours.status(place.opening_hours, now),
            "today": hours.today_text(place.opening_hours, now),
        }
        for place in queries.with_distances(page.object_list, near.point)
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "near_label": near.label if near.point else "",
        "keep_position": near.point is not None and not data.get("pres_de"),
        "near_problem": near.problem,
        "suggestions": near.suggestions,
        "relax_links": _relax_links(request, form, data) if not rows else [],
        "query": _query_without_page(request),
        "searched": bool(request.GET),
    }
    template = "places/directory_htmx.html" if request.htmx else "places/directory.html"
    return render(request, template, context)


def _visible_place(request: HttpRequest, slug: str) -> Place:
    place = _place_or_404(request, slug)
    if place.status != PlaceStatus.PUBLISHED and not request.user.has_perm("places.change_place", place):
        raise Http404(_("Ce lieu n'existe pas."))
    return place


@login_not_required
@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone for a published place; its editors also for a draft or closed one."""
    place = _visible_place(request, slug)
    now = timezone.now()
    context = {
        "place": place,
        "status": hours.status(place.opening_hours, now),
        "week": hours.week_table(place.opening_hours, now),
        "map": maps.place_map(place),
        "lmn_lists": _lmn_lists(place),
        "offers": [
            label
            for label in Place._meta.get_field("offers").labels(place.offers)  # type: ignore[attr-defined]
            if label != place.get_kind_display()
        ],
        "phone_link": re.sub(r"[^0-9+]", "", place.phone),
        "can_edit": request.user.has_perm("places.change_place", place),
        "extra_sections": extensions.detail_sections(place),
    }
    return render(request, "places/detail.html", context)


def _lmn_lists(place: Place) -> list[tuple[str, list[str]]]:
    names = [
        "services",
        "publics_specifiquement_adresses",
        "prise_en_charge_specifique",
        "modalites_acces",
        "modalites_accompagnement",
        "frais_a_charge",
        "dispositif_programmes_nationaux",
        "formations_labels",
        "itinerance",
    ]
    lists = []
    for name in names:
        field = Place._meta.get_field(name)
        values = field.labels(getattr(place, name))  # type: ignore[attr-defined]
        if name == "formations_labels" and place.autres_formations_labels:
            values += [v for v in place.autres_formations_labels.split("|") if v.strip()]
        if values:
            lists.append((str(field.verbose_name).capitalize(), values))
    return lists


@login_not_required
@require_GET
def map_view(request: HttpRequest) -> HttpResponse:
    """Everyone: map of the published places, with the list as its table alternative."""
    kind = request.GET.get("type") or ""
    if kind not in PlaceKind.values:
        kind = ""
    places = queries.map_places(kind=kind or None)
    page = _page(request, places)
    marker_rows = (
        list(places.values_list("name", "slug", "kind", "latitude", "longitude"))
        if page.paginator.count <= maps.MAX_MARKERS
        else []
    )
    context = {
        "kinds": PlaceKind.choices,
        "kind": kind,
        "map": maps.places_map(marker_rows, title=_("Carte des lieux du département")) if marker_rows else None,
        "too_many": page.paginator.count > maps.MAX_MARKERS,
        "page": page,
        "query": _query_without_page(request),
    }
    return render(request, "places/map.html", context)


@login_not_required
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    """Everyone: for each canton, the kinds of place it has and lacks (map and table)."""
    rows = queries.coverage()
    context = {
        "rows": rows,
        "map": maps.coverage_map(rows),
        "complete": sum(1 for row in rows if row.promise == "both"),
        "partial": sum(1 for row in rows if row.promise == "one"),
        "empty": sum(1 for row in rows if row.promise == "none"),
    }
    return render(request, "places/coverage.html", context)


@require_GET
def my_places(request: HttpRequest) -> HttpResponse:
    """Signed-in people: the places they manage (all of them for programme managers)."""
    page = _page(request, queries.my_places(request.user))
    context = {
        "page": page,
        "query": _query_without_page(request),
        "can_create": request.user.has_perm("places.add_place"),
    }
    return render(request, "places/my_places.html", context)


def _place_or_404(request: HttpRequest, slug: str) -> Place:
    try:
        return queries.place_detail(slug)
    except Place.DoesNotExist as exc:
        raise Http404(_("Ce lieu n'existe pas.")) from exc


@require_http_methods(["GET", "POST"])
@permission_required_for_object("places.add_place", lambda request: None, pass_object=False)
def place_create(request: HttpRequest) -> HttpResponse:
    """Programme managers and administrators (``places.add_place``): add a place."""
    form = PlaceForm(request.POST or None, request.FILES or None)
    hours_form = HoursForm(request.POST or None, prefix="hours")
    if request.method == "POST" and form.is_valid() & hours_form.is_valid():
        fields = form.service_fields()
        fields["opening_hours"] = hours_form.cleaned_data["opening_hours"]
        try:
            place = services.place_create(actor=request.user, **fields)
        except services.DuplicatePlaceError as exc:
            recent = timezone.now() - exc.existing.created_at < services.DOUBLE_SUBMIT_WINDOW
            if recent and request.user.has_perm("places.change_place", exc.existing):
                messages.info(request, _("Ce lieu vient d'être créé : le voici."))
                return redirect("places:detail", slug=exc.existing.slug)
            add_service_errors(form, exc)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Le lieu « %(name)s » est enregistré.") % {"name": place.name})
            return redirect("places:detail", slug=place.slug)
    context = {"form": form, "hours_form": hours_form, "place": None}
    return render(request, "places/edit.html", context)


@require_http_methods(["GET", "POST"])
@permission_required_for_object("places.change_place", _place_or_404)
def place_edit(request: HttpRequest, slug: str, obj: Place) -> HttpResponse:
    """The place's managers, programme managers and administrators (``places.change_place``)."""
    place = obj
    form = PlaceForm(
        request.POST or None,
        request.FILES or None,
        instance=copy.copy(place),
        can_assign_organisation=request.user.has_perm("places.assign_organisation"),
    )
    hours_form = HoursForm(request.POST or None, prefix="hours", initial=HoursForm.initial_for(place.opening_hours))
    if request.method == "POST" and form.is_valid() & hours_form.is_valid():
        fields = form.service_fields()
        fields["opening_hours"] = hours_form.cleaned_data["opening_hours"]
        try:
            place = services.place_update(actor=request.user, place=Place.objects.get(pk=place.pk), **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Les modifications sont enregistrées."))
            return redirect("places:detail", slug=place.slug)
    context = {"form": form, "hours_form": hours_form, "place": place}
    return render(request, "places/edit.html", context)
