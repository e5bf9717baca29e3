"""Views of the coverage part (issue 7 §2).

- ``/aides/eligibilite/`` (``grants:eligibility``, public): choose the programme
  (``?dispositif=<slug>``, by default the only open one), type the commune and, if one
  wishes, the address: the answer comes at once on the same page with its explanation, the
  data behind it and the edition, and a link to apply when eligible or to be checked. A plain
  GET form: it works without JavaScript, and the URL of an answer can be shared.
- ``/aides/gestion/couverture/`` (``grants:coverage``, ``grants.import_coverage``): the
  imported editions with their counts, and the upload of the ARCEP files of an edition.
- ``/aides/gestion/couverture/<edition>/en-vigueur/`` (``grants:coverage_make_current``, POST):
  go back to another imported edition.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cybercantal.accounts.decorators import permission_required_for_object

from ..forms.coverage import CoverageImportForm, EligibilityForm
from ..models import CoverageEdition, EligibilityAnswer, GrantProgramme
from ..queries import coverage as queries
from ..services import coverage as services

_import_perm = permission_required_for_object(
    "grants.import_coverage", lambda request, *args, **kwargs: None, pass_object=False
)


def apply_url(programme: GrantProgramme) -> str:
    """The applying part's start page for ``programme`` (its URL name once it is there)."""
    try:
        return reverse("grants:apply_start", args=[programme.slug])
    except NoReverseMatch:
        return f"/aides/dispositifs/{programme.slug}/demander/"


@login_not_required
@require_safe
def eligibility(request: HttpRequest) -> HttpResponse:
    programmes = queries.checkable_programmes()
    submitted = "commune" in request.GET
    form = EligibilityForm(request.GET if submitted else None, programmes=programmes)
    if not submitted and request.GET.get("dispositif") in form.programmes:
        form.fields["dispositif"].initial = request.GET["dispositif"]
    context: dict[str, Any] = {"form": form, "programmes": programmes, "result": None}
    if submitted and form.is_valid():
        programme: GrantProgramme = form.cleaned_data["dispositif"]
        commune = form.cleaned_data["commune"]
        address = form.cleaned_data["adresse"]
        result = services.eligibility_check(programme=programme, commune=commune, address=address)
        snapshot = result.snapshot()
        context.update(
            result=result,
            rows=queries.result_rows(snapshot),
            programme=programme,
            commune=commune,
            commune_note=form.lookup.note if form.lookup else "",
            address=address,
            programme_open=queries.is_open(programme),
            apply_url=apply_url(programme) if result.answer != EligibilityAnswer.NOT_ELIGIBLE else "",
        )
    elif submitted and form.lookup is not None and form.lookup.suggestions:
        chosen = form.data.get("dispositif", "")
        context["suggestions"] = [
            {
                "commune": suggestion,
                "url": "?"
                + urlencode(
                    {"dispositif": chosen, "commune": suggestion.name, "adresse": form.data.get("adresse", "")}
                ),
            }
            for suggestion in form.lookup.suggestions[:8]
        ]
    return render(request, "grants/coverage/eligibility.html", context)


def _manage_context(form: CoverageImportForm, **extra: Any) -> dict[str, Any]:
    return {"form": form, "editions": queries.edition_rows(), "current": queries.current_edition(), **extra}


@require_http_methods(["GET", "POST"])
@_import_perm
def coverage(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "grants/coverage/manage.html", _manage_context(CoverageImportForm()))
    form = CoverageImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "grants/coverage/manage.html", _manage_context(form), status=400)
    try:
        report = services.coverage_import(
            actor=request.user,
            quarter=form.cleaned_data["edition"],
            communes=form.cleaned_data.get("communes") or None,
            buildings=form.cleaned_data.get("immeubles") or None,
            eligibility=form.cleaned_data.get("actuel") or None,
        )
    except services.CoverageImportError as exc:
        context = _manage_context(form, issues=exc.issues, issue_total=exc.total, issue_summary=exc.summary)
        return render(request, "grants/coverage/manage.html", context, status=400)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return render(request, "grants/coverage/manage.html", _manage_context(form), status=400)
    messages.success(request, " ".join(report.lines()))
    return redirect("grants:coverage")


@require_POST
@_import_perm
def coverage_make_current(request: HttpRequest, quarter: str) -> HttpResponse:
    edition = CoverageEdition.objects.filter(quarter=quarter[:7]).first()
    if edition is None:
        raise Http404(_("Aucune édition de ce trimestre."))
    try:
        services.coverage_edition_make_current(actor=request.user, edition=edition)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("grants:coverage")
    messages.success(request, _("L'édition %(quarter)s est désormais en vigueur.") % {"quarter": edition.quarter})
    return redirect("grants:coverage")


urlpatterns = [
    path("eligibilite/", eligibility, name="eligibility"),
    path("gestion/couverture/", coverage, name="coverage"),
    path("gestion/couverture/<str:quarter>/en-vigueur/", coverage_make_current, name="coverage_make_current"),
]
