"""Accompaniments (CRA) and followed beneficiaries: the quick form, the list and its CSV
export, and the path of a followed person (thin: see services and queries)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object, role_required
from cybercantal.accounts.models import Role
from cybercantal.core.spreadsheet import csv_response

from ..forms.accompaniments import (
    VARIANT_OF_KIND,
    VARIANTS,
    AccompanimentFilterForm,
    AccompanimentForm,
    BeneficiarySearchForm,
)
from ..models import Accompaniment, AccompanimentKind, Beneficiary, Session
from ..queries import accompaniments as queries
from ..services import accompaniments as services

PAGE_SIZE = 25
FIELD_ROLES = (Role.MEDIATOR, Role.KIOSK_AGENT)
TEAM_ROLES = (Role.MEDIATOR, Role.KIOSK_AGENT, Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR)
FOLLOW_ROLES = (Role.MEDIATOR, Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR)


def _page(request: HttpRequest, queryset: Any) -> Any:
    paginator = Paginator(queryset, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- the quick form ------------------------------------------------------------------------------


def _variant(request: HttpRequest, places: Any) -> str:
    """The kind of record of the page: ``?type=``; a kiosk agent who is no mediator starts
    with "démarche"."""
    asked = request.GET.get("type", "")
    if asked in VARIANTS:
        return VARIANTS[asked]
    from cybercantal.accounts.queries import active_roles

    roles = active_roles(request.user)
    if Role.KIOSK_AGENT in roles and Role.MEDIATOR not in roles:
        return AccompanimentKind.PROCEDURE
    return AccompanimentKind.INDIVIDUAL


def _small_int(raw: str) -> int | None:
    """A primary key typed in an address, or None: ASCII digits only and at most 18 of them
    (``int()`` of a 5,000-digit string raises, and a bigint holds 18 digits safely)."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


def _session(request: HttpRequest) -> Session | None:
    raw = request.GET.get("seance", "")
    if not raw:
        return None
    pk = _small_int(raw)
    if pk is None:
        raise Http404(_("Cette séance n'existe pas."))
    session = get_object_or_404(Session.objects.select_related("workshop", "place"), pk=pk)
    if not request.user.has_perm("mediation.record_accompaniment", session.place):
        raise PermissionDenied(_("Vous n'animez pas de séances dans cette structure."))
    return session


def _form_context(request: HttpRequest, form: AccompanimentForm, **extra: Any) -> dict[str, Any]:
    kind = form.kind_value
    return {
        "form": form,
        "kind": kind,
        "variant": VARIANT_OF_KIND.get(kind, "individuel"),
        "variants": [(variant, AccompanimentKind(value).label, value == kind) for variant, value in VARIANTS.items()],
        "choose_beneficiary": False,
        **extra,
    }


def _beneficiary_choices(request: HttpRequest) -> Any:
    return queries.visible_beneficiaries(request.user).filter(
        place_id__in=queries.mediator_places(request.user).values("pk")
    )


@role_required(*FIELD_ROLES)
@require_http_methods(["GET", "POST"])
def accompaniment_create(request: HttpRequest) -> HttpResponse:
    """Mediators and kiosk agents of at least one place: record an accompaniment in a minute."""
    places = queries.recording_places(request.user)
    if not places.exists():
        raise PermissionDenied(_("Vous n'êtes rattaché à aucune structure."))
    session = _session(request)
    kind = AccompanimentKind.COLLECTIVE if session else _variant(request, places)
    can_follow = kind == AccompanimentKind.INDIVIDUAL and queries.mediator_places(request.user).exists()
    beneficiaries = _beneficiary_choices(request) if can_follow else None
    prefill = services.session_prefill(session) if session else None
    if request.method == "POST":
        form = AccompanimentForm(request.POST, actor=request.user, places=places, beneficiaries=beneficiaries)
        if form.is_valid():
            values = form.service_values()
            values["kind"] = kind  # the page decides, not a hidden field
            beneficiary = form.cleaned_data.get("beneficiary") if can_follow else None
            new_beneficiary = None
            if can_follow and form.cleaned_data.get("follow") and beneficiary is None:
                new_beneficiary = form.beneficiary_values()
            try:
                accompaniment = services.accompaniment_create(
                    actor=request.user,
                    beneficiary=beneficiary,
                    new_beneficiary=new_beneficiary,
                    session=session,
                    submit_token=form.cleaned_data.get("jeton") or "",
                    **values,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Enregistré. Nouvel accompagnement ?"))
                target = reverse("mediation:accompaniment_create")
                return redirect(f"{target}?type={VARIANT_OF_KIND[accompaniment.kind]}&enregistre={accompaniment.pk}")
    else:
        form = AccompanimentForm(
            initial=AccompanimentForm.initial_for(kind=kind, places=places, prefill=prefill),
            actor=request.user,
            places=places,
            beneficiaries=beneficiaries,
        )
    saved = None
    saved_pk = _small_int(request.GET.get("enregistre", ""))
    if saved_pk is not None and request.method == "GET":
        saved = Accompaniment.objects.filter(pk=saved_pk, author=request.user).first()
    context = _form_context(request, form, can_follow=can_follow, session=session, saved=saved, editing=None)
    return render(request, "mediation/accompaniments/form.html", context)


def _visible_accompaniment(request: HttpRequest, pk: int) -> Accompaniment:
    accompaniment = get_object_or_404(Accompaniment.objects.select_related("place", "beneficiary", "session"), pk=pk)
    if not request.user.has_perm("mediation.view_accompaniment", accompaniment):
        raise PermissionDenied(_("Vous n'avez pas accès à cet accompagnement."))
    return accompaniment


@role_required(*TEAM_ROLES)
@require_http_methods(["GET", "POST"])
def accompaniment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The author within 30 days, or the programme team."""
    accompaniment = _visible_accompaniment(request, pk)
    if not services.may_change(request.user, accompaniment):
        raise PermissionDenied(_("Cet accompagnement ne peut plus être modifié (30 jours après sa saisie)."))
    places = queries.recording_places(request.user) | type(accompaniment.place).objects.filter(
        pk=accompaniment.place_id
    )
    places = places.distinct().order_by("name")
    can_follow = accompaniment.kind == AccompanimentKind.INDIVIDUAL and queries.mediator_places(request.user).exists()
    beneficiaries = None
    if can_follow or accompaniment.beneficiary_id:
        beneficiaries = queries.visible_beneficiaries(request.user).filter(place_id=accompaniment.place_id)
    if request.method == "POST":
        form = AccompanimentForm(
            request.POST, actor=request.user, places=places, beneficiaries=beneficiaries, instance=accompaniment
        )
        if form.is_valid():
            values = form.service_values()
            values["kind"] = accompaniment.kind
            counts = values.pop("counts")
            if beneficiaries is not None:
                values["beneficiary"] = form.cleaned_data.get("beneficiary")
            try:
                services.accompaniment_update(actor=request.user, accompaniment=accompaniment, **values, **counts)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("L'accompagnement est modifié."))
                return redirect("mediation:accompaniment_list")
    else:
        form = AccompanimentForm(
            initial=AccompanimentForm.initial_for(kind=accompaniment.kind, places=places, instance=accompaniment),
            actor=request.user,
            places=places,
            beneficiaries=beneficiaries,
            instance=accompaniment,
        )
    context = _form_context(
        request,
        form,
        can_follow=False,
        session=accompaniment.session,
        saved=None,
        editing=accompaniment,
    )
    context["choose_beneficiary"] = beneficiaries is not None
    return render(request, "mediation/accompaniments/form.html", context)


@role_required(*TEAM_ROLES)
@require_http_methods(["GET", "POST"])
def accompaniment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """The author within 30 days, or the programme team: a confirmation page, then POST."""
    accompaniment = _visible_accompaniment(request, pk)
    if not services.may_change(request.user, accompaniment):
        raise PermissionDenied(_("Cet accompagnement ne peut plus être supprimé (30 jours après sa saisie)."))
    if request.method == "POST":
        services.accompaniment_delete(actor=request.user, accompaniment=accompaniment)
        messages.success(request, _("L'accompagnement est supprimé."))
        return redirect("mediation:accompaniment_list")
    return render(request, "mediation/accompaniments/delete.html", {"accompaniment": accompaniment})


# --- the list and its export ---------------------------------------------------------------------


def _filtered(request: HttpRequest) -> tuple[AccompanimentFilterForm, Any]:
    manager = services.is_manager(request.user)
    form = AccompanimentFilterForm(request.GET or None, places=queries.visible_places(request.user), manager=manager)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    author = data.get("auteur") or ("tous" if manager else "moi")
    queryset = queries.accompaniment_list(
        request.user,
        place=data.get("lieu"),
        month=data.get("mois") or "",
        kind=data.get("type") or "",
        mine=author == "moi",
    )
    return form, queryset


@role_required(*TEAM_ROLES)
@require_GET
def accompaniment_list(request: HttpRequest) -> HttpResponse:
    """Mine (a mediator may widen to their places' team); the programme team sees all."""
    form, queryset = _filtered(request)
    page = _page(request, queryset)
    today = timezone.localdate()
    rows = [
        {
            "record": record,
            "can_change": services.may_change(request.user, record, today=today),
            "themes": queries.theme_labels(record),
        }
        for record in page.object_list
    ]
    query = _query_without_page(request)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query,
        "export_url": reverse("mediation:accompaniment_export") + (f"?{query}" if query else ""),
        "can_record": bool(queries.recording_places(request.user).exists()),
    }
    return render(request, "mediation/accompaniments/list.html", context)


def _csv_rows(queryset: Any) -> Iterator[list[Any]]:
    """The header, then one row per record (each cell goes through ``safe_cell`` when written)."""
    themes = Accompaniment._meta.get_field("themes")
    admin_themes = Accompaniment._meta.get_field("admin_themes")
    equipment = Accompaniment._meta.get_field("equipment_used")
    yield [
        _("Identifiant"),
        _("Date"),
        _("Type"),
        _("Structure"),
        _("Commune de la structure"),
        _("Rédigé par"),
        _("Durée (minutes)"),
        _("Lieu"),
        _("Thématiques numériques"),
        _("Démarches administratives"),
        _("Matériel utilisé"),
        _("Autonomie"),
        _("Orientation"),
        _("Raison du besoin d'aide"),
        _("Résultat de la démarche"),
        _("Personne suivie"),
        _("Participants"),
        *[str(Accompaniment._meta.get_field(name).verbose_name).capitalize() for name in services.COUNT_FIELDS],
        _("Remarque"),
    ]
    for record in queryset.iterator(chunk_size=2000):
        yield [
            record.pk,
            record.date.isoformat(),
            record.get_kind_display(),
            record.place.name,
            record.place.commune.name if record.place.commune_id else "",
            record.author.get_full_name(),
            record.duration_minutes,
            record.get_place_type_display(),
            " | ".join(themes.labels(record.themes)),  # type: ignore[attr-defined]
            " | ".join(admin_themes.labels(record.admin_themes)),  # type: ignore[attr-defined]
            " | ".join(equipment.labels(record.equipment_used)),  # type: ignore[attr-defined]
            record.get_autonomy_display(),
            record.oriented_to,
            record.get_help_reason_display(),
            record.get_outcome_display(),
            _("oui") if record.beneficiary_id else _("non"),
            record.participants,
            *[getattr(record, name) for name in services.COUNT_FIELDS],
            record.notes,
        ]


@role_required(*TEAM_ROLES)
@require_GET
def accompaniment_export(request: HttpRequest) -> StreamingHttpResponse:
    """The list's records (same filters), one row each, ``;``-separated with a BOM."""
    _form, queryset = _filtered(request)
    queryset = queryset.select_related("place__commune", "author")
    return csv_response(f"accompagnements-{timezone.localdate():%Y-%m-%d}.csv", _csv_rows(queryset), stream=True)


# --- followed beneficiaries ----------------------------------------------------------------------


@role_required(*FOLLOW_ROLES)
@require_GET
def beneficiary_list(request: HttpRequest) -> HttpResponse:
    """Followed people of my places (the programme team: of the network), with a search."""
    form = BeneficiarySearchForm(request.GET or None)
    form.is_valid()
    text = getattr(form, "cleaned_data", {}).get("q", "")
    page = _page(request, queries.beneficiary_list(request.user, text=text))
    context = {"form": form, "page": page, "query": _query_without_page(request), "searched": bool(text)}
    return render(request, "mediation/accompaniments/beneficiaries.html", context)


def _beneficiary(request: HttpRequest, pk: int) -> Beneficiary:
    return get_object_or_404(Beneficiary.objects.select_related("place", "commune"), pk=pk)


@permission_required_for_object("mediation.view_beneficiary", _beneficiary)
@require_GET
def beneficiary_detail(request: HttpRequest, pk: int, obj: Beneficiary) -> HttpResponse:
    """The person's path: first visit, returns, themes and autonomy over time."""
    path_ = queries.beneficiary_path(obj)
    context = {
        "beneficiary": obj,
        "records": path_,
        "first": path_[0] if path_ else None,
        "last": path_[-1] if path_ else None,
        "can_erase": request.user.has_perm("mediation.erase_beneficiary", obj),
    }
    return render(request, "mediation/accompaniments/beneficiary.html", context)


@permission_required_for_object("mediation.view_beneficiary", _beneficiary)
@require_POST
def beneficiary_export(request: HttpRequest, pk: int, obj: Beneficiary) -> HttpResponse:
    """Everything kept about the person, as a JSON file to hand them (journalled)."""
    data = services.beneficiary_export(actor=request.user, beneficiary=obj)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="personne-suivie-{obj.pk}.json"'
    return response


@permission_required_for_object("mediation.erase_beneficiary", _beneficiary)
@require_http_methods(["GET", "POST"])
def beneficiary_erase(request: HttpRequest, pk: int, obj: Beneficiary) -> HttpResponse:
    """Confirmation page, then the person is deleted; their accompaniments stay anonymous."""
    if request.method == "POST":
        kept = services.beneficiary_erase(actor=request.user, beneficiary=obj)
        messages.success(
            request,
            _("Les données de la personne sont effacées ; %(count)s accompagnement(s) restent, anonymes.")
            % {"count": kept},
        )
        return redirect("mediation:beneficiary_list")
    return render(
        request,
        "mediation/accompaniments/beneficiary_erase.html",
        {"beneficiary": obj, "visits": obj.accompaniments.count()},
    )


urlpatterns = [
    path("mediation/accompagnements/", accompaniment_list, name="accompaniment_list"),
    path("mediation/accompagnements/nouveau/", accompaniment_create, name="accompaniment_create"),
    path("mediation/accompagnements/export.csv", accompaniment_export, name="accompaniment_export"),
    path("mediation/accompagnements/<int:pk>/modifier/", accompaniment_edit, name="accompaniment_edit"),
    path("mediation/accompagnements/<int:pk>/supprimer/", accompaniment_delete, name="accompaniment_delete"),
    path("mediation/personnes/", beneficiary_list, name="beneficiary_list"),
    path("mediation/personnes/<int:pk>/", beneficiary_detail, name="beneficiary_detail"),
    path("mediation/personnes/<int:pk>/export.json", beneficiary_export, name="beneficiary_export"),
    path("mediation/personnes/<int:pk>/effacer/", beneficiary_erase, name="beneficiary_erase"),
]
