"""Part "network": the public pages of the telecentres, and their management (status, rules,
resources, closures). Included LAST in ``urls.PARTS`` so that ``<slug>/`` does not catch the
fixed paths of the other parts.

Who may use each page:
- ``index``, ``telecentre``: everyone, signed in or not (``login_not_required``); a telecentre
  whose place is not published is shown only to its managers (404 for the others);
- ``manage_home``: telecentre managers (their telecentres) and the programme team (all);
- ``telecentre_create``: the programme team (``telework.manage_network``);
- ``manage_telecentre``, ``resource_create``, ``resource_edit``, ``closures``,
  ``closure_delete``: ``telework.manage_telecentre`` on the telecentre (its managers, scoped to
  its place or its operator, and the programme team). The manager of another telecentre gets 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object, role_required
from cybercantal.accounts.forms import add_service_errors
from cybercantal.accounts.models import Role
from cybercantal.places import hours

from ..forms.network import ClosureForm, ResourceForm, TelecentreCreateForm, TelecentreForm
from ..models import Closure, OperatorBilling, Resource, Telecentre, TelecentreStatus
from ..queries import network as queries
from ..services import network as services

PAGE_SIZE = 20
BOOKINGS_SHOWN = 10
MANAGER_ROLES = (Role.TELECENTRE_MANAGER, Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR)


def _page(request: HttpRequest, items: Any) -> Any:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


# --- public -----------------------------------------------------------------------------------


def _card(telecentre: Telecentre, now: Any, today: Any) -> dict[str, Any]:
    return {
        "telecentre": telecentre,
        "status": queries.status_sentence(telecentre, today),
        "today": hours.today_text(telecentre.place.opening_hours, now)
        if telecentre.status == TelecentreStatus.OPEN
        else "",
        "offer": queries.offer_of(telecentre.active_resources),  # type: ignore[attr-defined]
        "from_price": queries.lowest_day_price(telecentre.offered_plans),  # type: ignore[attr-defined]
    }


@login_not_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Everyone: the telecentres of the network, open ones first, then those to come."""
    now = timezone.now()
    today = timezone.localdate(now)
    telecentres = queries.public_telecentres()
    page = _page(request, telecentres.exclude(status=TelecentreStatus.PLANNED).order_by("-status", "place__name"))
    planned = list(telecentres.filter(status=TelecentreStatus.PLANNED).order_by("opens_on", "place__name")[:50])
    context = {
        "page": page,
        "cards": [_card(t, now, today) for t in page.object_list],
        "planned": [_card(t, now, today) for t in planned] if page.number == 1 else [],
        "can_manage": request.user.is_authenticated and queries.managed_telecentres(request.user).exists(),
    }
    return render(request, "telework/network/index.html", context)


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "telework/network/not_found.html", {}, status=404)


@login_not_required
@require_GET
def telecentre(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone: a telecentre's address, hours, resources and their rules, closures, plans."""
    try:
        centre = queries.public_telecentre(slug, user=request.user)
    except Http404:
        return _not_found(request)
    now = timezone.now()
    today = timezone.localdate(now)
    resources = centre.active_resources  # type: ignore[attr-defined]
    context = {
        "telecentre": centre,
        "place": centre.place,
        "status": queries.status_sentence(centre, today),
        "bookable": queries.is_bookable(centre),
        "hours_status": hours.status(centre.place.opening_hours, now),
        "week": hours.week_table(centre.place.opening_hours, now),
        "resources": [queries.describe_resource(r) for r in resources],
        "offer": queries.offer_of(resources),
        "closures": centre.coming_closures,  # type: ignore[attr-defined]
        "plans": queries.describe_plans(centre),
        "can_manage": request.user.has_perm("telework.manage_telecentre", centre),
    }
    return render(request, "telework/network/detail.html", context)


# --- management -------------------------------------------------------------------------------


def _managed(request: HttpRequest, slug: str, **kwargs: Any) -> Telecentre:
    return queries.manage_telecentre(slug)


def _nothing(request: HttpRequest, *args: Any, **kwargs: Any) -> None:
    return None


@role_required(*MANAGER_ROLES)
@require_GET
def manage_home(request: HttpRequest) -> HttpResponse:
    """The telecentres I manage (all of them for the programme team)."""
    page = _page(request, queries.managed_telecentres(request.user))
    today = timezone.localdate()
    rows = [{"telecentre": t, "status": queries.status_sentence(t, today)} for t in page.object_list]
    user = request.user
    context = {
        "page": page,
        "rows": rows,
        "can_create": user.has_perm("telework.manage_network"),
        # The network's other desks, for those who may use them.
        "can_agreements": user.has_perm("telework.manage_agreements") or bool(rows),
        "can_invoices": user.has_perm("telework.export_invoices"),
        "can_occupancy": user.has_perm("telework.view_network_occupancy"),
        "can_prospects": user.has_perm("telework.manage_prospects"),
    }
    return render(request, "telework/network/manage_home.html", context)


@permission_required_for_object("telework.manage_network", _nothing, pass_object=False)
@require_http_methods(["GET", "POST"])
def telecentre_create(request: HttpRequest) -> HttpResponse:
    """Programme team: make a place of the directory a telecentre of the network."""
    form = TelecentreCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.telecentre_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "« %(name)s » est dans le réseau, en projet : "
                    "indiquez sa date d'ouverture et ajoutez ses ressources."
                )
                % {"name": created.name},
            )
            return redirect("telework:manage_telecentre", slug=created.slug)
    has_places = form.fields["place"].queryset.exists()  # type: ignore[attr-defined]
    return render(request, "telework/network/telecentre_create.html", {"form": form, "has_places": has_places})


def _upcoming_context(telecentre: Telecentre, *, resource: Resource | None = None) -> dict[str, Any]:
    bookings = queries.upcoming_bookings(resource=resource, telecentre=None if resource else telecentre)
    return {"upcoming": list(bookings[:BOOKINGS_SHOWN]), "upcoming_count": bookings.count()}


@permission_required_for_object("telework.manage_telecentre", _managed)
@require_http_methods(["GET", "POST"])
def manage_telecentre(request: HttpRequest, slug: str, obj: Telecentre) -> HttpResponse:
    """The telecentre's status and rules, and its resources."""
    confirm: dict[str, Any] = {"upcoming": [], "upcoming_count": 0}
    if request.method == "POST":
        form = TelecentreForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            confirm_closing = data.pop("confirm_closing")
            try:
                services.telecentre_update(actor=request.user, telecentre=obj, confirm_closing=confirm_closing, **data)
            except services.FutureBookingsError as exc:
                add_service_errors(form, exc)
                confirm = _upcoming_context(obj)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Le télécentre est enregistré."))
                return redirect("telework:manage_telecentre", slug=obj.slug)
    else:
        form = TelecentreForm(initial=TelecentreForm.initial_from(obj))
    context = {
        "telecentre": obj,
        "status": queries.status_sentence(obj),
        "form": form,
        "confirm": confirm,
        "resources": list(queries.resources_of(obj)),
        # The operator's invoicing details (page ``telework:operator_billing``): missing ones
        # block its invoices.
        "operator_billing": OperatorBilling.objects.filter(operator_id=obj.operator_id).first(),
        "can_edit_operator_billing": request.user.has_perm("telework.issue_invoices", obj.operator),
    }
    return render(request, "telework/network/manage_telecentre.html", context)


def _resource_form_view(request: HttpRequest, telecentre: Telecentre, resource: Resource | None) -> HttpResponse:
    confirm: dict[str, Any] = {"upcoming": [], "upcoming_count": 0}
    if request.method == "POST":
        form = ResourceForm(request.POST)
        if form.is_valid():
            try:
                if resource is None:
                    saved = services.resource_create(actor=request.user, telecentre=telecentre, **form.service_fields())
                    messages.success(request, _("La ressource « %(name)s » est ajoutée.") % {"name": saved.name})
                else:
                    saved = services.resource_update(
                        actor=request.user,
                        resource=resource,
                        confirm_deactivation=form.cleaned_data["confirm_deactivation"],
                        **form.service_fields(),
                    )
                    messages.success(request, _("La ressource « %(name)s » est enregistrée.") % {"name": saved.name})
            except services.FutureBookingsError as exc:
                add_service_errors(form, exc)
                confirm = _upcoming_context(telecentre, resource=resource)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("telework:manage_telecentre", slug=telecentre.slug)
    else:
        form = ResourceForm(initial=ResourceForm.initial_from(resource) if resource else None)
    context = {"telecentre": telecentre, "resource": resource, "form": form, "confirm": confirm}
    return render(request, "telework/network/resource_form.html", context)


@permission_required_for_object("telework.manage_telecentre", _managed)
@require_http_methods(["GET", "POST"])
def resource_create(request: HttpRequest, slug: str, obj: Telecentre) -> HttpResponse:
    return _resource_form_view(request, obj, None)


@permission_required_for_object("telework.manage_telecentre", _managed)
@require_http_methods(["GET", "POST"])
def resource_edit(request: HttpRequest, slug: str, pk: int, obj: Telecentre) -> HttpResponse:
    resource = get_object_or_404(Resource.objects.select_related("telecentre__place"), pk=pk, telecentre=obj)
    return _resource_form_view(request, obj, resource)


@permission_required_for_object("telework.manage_telecentre", _managed)
@require_http_methods(["GET", "POST"])
def closures(request: HttpRequest, slug: str, obj: Telecentre) -> HttpResponse:
    """The closures to come (with the bookings they cover) and a form to add one."""
    form = ClosureForm(request.POST or None, telecentre=obj)
    if request.method == "POST" and form.is_valid():
        try:
            closure = services.closure_create(actor=request.user, telecentre=obj, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            covered = queries.bookings_during(closure).count()
            period = _("du %(start)s au %(end)s") % {
                "start": date_format(closure.starts_on, "l j F Y"),
                "end": date_format(closure.ends_on, "l j F Y"),
            }
            if covered:
                messages.warning(
                    request,
                    ngettext(
                        "La fermeture %(period)s est enregistrée. %(count)s réservation confirmée tombe pendant "
                        "cette fermeture et n'est pas annulée : elle est listée ci-dessous, prévenez la personne "
                        "ou annulez-la.",
                        "La fermeture %(period)s est enregistrée. %(count)s réservations confirmées tombent pendant "
                        "cette fermeture et ne sont pas annulées : elles sont listées ci-dessous, prévenez les "
                        "personnes ou annulez-les.",
                        covered,
                    )
                    % {"period": period, "count": covered},
                )
            else:
                messages.success(request, _("La fermeture %(period)s est enregistrée.") % {"period": period})
            return redirect("telework:closures", slug=obj.slug)
    rows, past = queries.closures_with_bookings(obj)
    context = {"telecentre": obj, "form": form, "rows": rows, "past": past}
    return render(request, "telework/network/closures.html", context)


@permission_required_for_object("telework.manage_telecentre", _managed)
@require_POST
def closure_delete(request: HttpRequest, slug: str, pk: int, obj: Telecentre) -> HttpResponse:
    closure = Closure.objects.filter(pk=pk, telecentre=obj).first()
    if closure is not None:
        services.closure_delete(actor=request.user, closure=closure)
        messages.success(request, _("La fermeture est supprimée : ces jours peuvent de nouveau être réservés."))
    return redirect("telework:closures", slug=obj.slug)


urlpatterns = [
    path("", index, name="index"),
    path("gestion/", manage_home, name="manage_home"),
    path("gestion/nouveau/", telecentre_create, name="telecentre_create"),
    path("gestion/<slug:slug>/", manage_telecentre, name="manage_telecentre"),
    path("gestion/<slug:slug>/ressources/nouvelle/", resource_create, name="resource_create"),
    path("gestion/<slug:slug>/ressources/<int:pk>/", resource_edit, name="resource_edit"),
    path("gestion/<slug:slug>/fermetures/", closures, name="closures"),
    path("gestion/<slug:slug>/fermetures/<int:pk>/supprimer/", closure_delete, name="closure_delete"),
    path("<slug:slug>/", telecentre, name="telecentre"),
]
