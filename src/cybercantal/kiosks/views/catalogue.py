"""The procedures catalogue: public pages under ``/demarches/`` and the programme team's
editing pages under ``/demarches/gestion/``.

Who may use each page:
- ``/demarches/`` and ``/demarches/<slug>/``: everyone, no sign-in (an unpublished
  procedure is shown only to those who may manage the catalogue);
- ``/demarches/gestion/...``: ``kiosks.manage_catalogue`` (programme managers).
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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors

from ..forms.catalogue import CatalogueSearchForm, CommuneForm, ProcedureForm
from ..models import Procedure, ProcedureRevision
from ..queries import catalogue as queries
from ..services import catalogue as services

PAGE_SIZE = 50
PERMISSION = "kiosks.manage_catalogue"


def _no_object(request: HttpRequest, *args: Any, **kwargs: Any) -> None:
    return None


manager_required = permission_required_for_object(PERMISSION, _no_object, pass_object=False)


# --- public pages ------------------------------------------------------------------------------


@login_not_required
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    """Everyone: the procedures by life event, with an accent-insensitive search."""
    form = CatalogueSearchForm(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    text = data.get("q", "")
    category = data.get("categorie", "")
    procedures = queries.search(text, category=category)
    context = {
        "form": form,
        "groups": queries.grouped(procedures),
        "count": len(procedures),
        "searched": bool(text or category),
        "text": text,
    }
    return render(request, "kiosks/catalogue/catalogue.html", context)


@login_not_required
@require_GET
def procedure(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone: one procedure, what to bring, the official link and where to get help."""
    item = get_object_or_404(Procedure, slug=slug)
    if not item.is_published and not (request.user.is_authenticated and request.user.has_perm(PERMISSION)):
        raise Http404(_("Cette démarche n'existe pas."))
    form = CommuneForm(request.GET or None)
    form.is_valid()
    near = queries.help_near_commune(getattr(form, "cleaned_data", {}).get("commune", ""))
    context = {"procedure": item, "documents": item.document_list(), "form": form, "near": near}
    return render(request, "kiosks/catalogue/procedure.html", context)


# --- staff pages -------------------------------------------------------------------------------


@manager_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    text = (request.GET.get("q") or "")[:200].replace("\x00", "")
    dead_only = request.GET.get("morts") == "1"
    page = Paginator(queries.manage_list(text=text, dead_only=dead_only), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"page": page, "text": text, "dead_only": dead_only, "query": params.urlencode()}
    return render(request, "kiosks/catalogue/manage.html", context)


def _form_view(request: HttpRequest, item: Procedure | None) -> HttpResponse:
    if request.method == "POST":
        form = ProcedureForm(request.POST)
        if form.is_valid():
            try:
                if item is None:
                    item = services.procedure_create(actor=request.user, **form.service_kwargs())
                    messages.success(request, _("La démarche « %(title)s » est ajoutée.") % {"title": item.title})
                else:
                    item = services.procedure_update(actor=request.user, procedure=item, **form.service_kwargs())
                    messages.success(request, _("La démarche « %(title)s » est enregistrée.") % {"title": item.title})
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("kiosks:catalogue_manage")
    else:
        form = ProcedureForm(initial=ProcedureForm.initial_from(item) if item else {"is_published": True})
    return render(request, "kiosks/catalogue/form.html", {"form": form, "procedure": item})


@manager_required
@require_http_methods(["GET", "POST"])
def procedure_create(request: HttpRequest) -> HttpResponse:
    return _form_view(request, None)


@manager_required
@require_http_methods(["GET", "POST"])
def procedure_edit(request: HttpRequest, slug: str) -> HttpResponse:
    return _form_view(request, get_object_or_404(Procedure, slug=slug))


@manager_required
@require_GET
def procedure_history(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(Procedure, slug=slug)
    return render(request, "kiosks/catalogue/history.html", {"procedure": item, "rows": queries.history(item)})


@manager_required
@require_POST
def procedure_restore(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    revision = get_object_or_404(ProcedureRevision.objects.select_related("procedure"), pk=pk, procedure__slug=slug)
    try:
        services.procedure_restore(actor=request.user, revision=revision)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("L'ancienne version est rétablie."))
    return redirect("kiosks:procedure_history", slug=slug)


urlpatterns = [
    path("demarches/", catalogue, name="catalogue"),
    path("demarches/gestion/", manage, name="catalogue_manage"),
    path("demarches/gestion/nouvelle/", procedure_create, name="procedure_create"),
    path("demarches/gestion/<slug:slug>/modifier/", procedure_edit, name="procedure_edit"),
    path("demarches/gestion/<slug:slug>/historique/", procedure_history, name="procedure_history"),
    path("demarches/gestion/<slug:slug>/historique/<int:pk>/restaurer/", procedure_restore, name="procedure_restore"),
    path("demarches/<slug:slug>/", procedure, name="procedure"),
]
