"""Pages of the public directory of places and of the place editors (thin: see queries/services)."""

from __future__ import annotations

import copy
import re
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

from . import hours, maps, queries, services
from .forms import DirectoryForm, HoursForm, PlaceForm
from .models import Place, PlaceKind, PlaceStatus

PAGE_SIZE = 20


def _page(request: HttpRequest, queryset: QuerySet[Place], size: int = PAGE_SIZE) -> Any:
    """One page (one count query + one page query), with its elided page numbers."""
    page = Paginator(queryset, size).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_not_required
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    """Everyone: search the published places, filter them, sort them by distance."""
    form = DirectoryForm(request.GET or None)
    form.is_valid()  # a bad value is reported next to its field; the valid ones still apply
    data: dict[str, Any] = getattr(form, "cleaned_data", {})
    near_label, near, near_problem, suggestions = "", None, "", []
    if data.get("pres_de"):
        match = queries.resolve_commune(data["pres_de"])
        if match.commune is not None:
            near = queries.commune_point(match.commune)
            near_label = match.commune.name
            if near is None:
                near_problem = _("La position de %(commune)s n'est pas connue : tri par nom.") % {
                    "commune": match.commune.name
                }
        elif match.suggestions:
            near_problem = _("Plusieurs communes correspondent à « %(text)s » : précisez laquelle.") % {
                "text": data["pres_de"]
            }
            suggestions = match.suggestions
        else:
            near_problem = _("Aucune commune du département ne s'appelle « %(text)s » : vérifiez l'orthographe.") % {
                "text": data["pres_de"]
            }
    elif data.get("lat") is not None and data.get("lon") is not None:
        near = (data["lat"], data["lon"])
        near_label = _("la position indiquée")
    now = timezone.now()
    queryset = queries.directory(
        text=data.get("q", ""),
        kind=data.get("type") or None,
        canton=data.get("canton"),
        commune=data.get("commune"),
        service=data.get("service") or None,
        open_now=bool(data.get("ouvert")),
        near=near,
        at=now,
    )
    page = _page(request, queryset)
    rows = [
        {"place": place, "status": hours.status(place.opening_hours, now)}
        for place in queries.with_distances(page.object_list, near)
    ]
    suggestion_links = []
    for commune in suggestions:
        params = request.GET.copy()
        params["pres_de"] = commune.name
        params.pop("page", None)
        suggestion_links.append({"commune": commune, "query": params.urlencode()})
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "near_label": near_label if near else "",
        "near_problem": near_problem,
        "suggestions": suggestion_links,
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


def _apply_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            target = field if field in form.fields else None
            for message in field_errors:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


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
            _apply_errors(form, exc)
        except ValidationError as exc:
            _apply_errors(form, exc)
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
    form = PlaceForm(request.POST or None, request.FILES or None, instance=copy.copy(place))
    hours_form = HoursForm(request.POST or None, prefix="hours", initial=HoursForm.initial_for(place.opening_hours))
    if request.method == "POST" and form.is_valid() & hours_form.is_valid():
        fields = form.service_fields()
        fields["opening_hours"] = hours_form.cleaned_data["opening_hours"]
        try:
            place = services.place_update(actor=request.user, place=Place.objects.get(pk=place.pk), **fields)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Les modifications sont enregistrées."))
            return redirect("places:detail", slug=place.slug)
    context = {"form": form, "hours_form": hours_form, "place": place}
    return render(request, "places/edit.html", context)
