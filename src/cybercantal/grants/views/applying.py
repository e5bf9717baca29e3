"""Views of the applying part (issue 7 §3).

- ``/aides/entreprise/`` (``grants:business``): any signed-in person declares their business,
  or updates one they apply for; a person with several businesses picks one.
- ``/aides/dispositifs/<slug>/demander/`` (``grants:apply_start``): the business's draft for
  that programme (created by the POST of « Commencer », found again afterwards).
- ``/aides/dossiers/<ref>/modifier/<step>/`` (``grants:apply_step``): the five steps, for the
  business's applicants while the dossier is a draft or waits for corrections
  (``grants.edit_application``). A dossier the person may not see is a 404; staff get 403; an
  applicant whose dossier is submitted is sent to the dossier page.
  The same URL answers the page's background saves (header ``X-Autosave: 1``) with JSON:
  ``{saved, version, message, errors, stale, panels}``.
- ``POST /aides/dossiers/<ref>/deposer/`` (``grants:apply_submit``): idempotent submission.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from cybercantal.accounts.models import Organisation
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.forms import plausible_key
from cybercantal.core.money import format_euros

from ..forms.applying import (
    BusinessChoiceForm,
    BusinessForm,
    BusinessStepForm,
    DeMinimisStepForm,
    LineForm,
    PremisesStepForm,
    format_siret,
)
from ..models import Application, ExpenseLine
from ..queries import applying as queries
from ..services import amounts
from ..services import applying as services

AUTOSAVE_HEADER = "X-Autosave"


def _step_labels() -> dict[str, str]:
    # Translated at request time (the module-level dict is built before the language is known).
    return {
        "entreprise": _("Entreprise"),
        "locaux": _("Locaux"),
        "depenses": _("Dépenses"),
        "minimis": _("Aides reçues et engagements"),
        "recapitulatif": _("Récapitulatif"),
    }


def document_url(application: Application, document_pk: int) -> str:
    """Download of a piece (``grants:document``, made by the dossier part: permission-checked)."""
    try:
        return reverse("grants:document", kwargs={"reference": application.reference, "pk": document_pk})
    except NoReverseMatch:  # the dossier part is not there (yet): its agreed path
        return f"/aides/dossiers/{application.reference}/pieces/{document_pk}/"


def dossier_path(application: Application) -> str:
    """The applicant's page of the dossier (``grants:application``, made by the dossier part)."""
    return f"/aides/dossiers/{application.reference}/"


def _signed_in(request: HttpRequest) -> None:
    if not request.user.is_authenticated:  # LoginRequiredMiddleware sends anonymous people away first
        raise PermissionDenied


def _safe_next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=False):
        return value
    return ""


# --- Business account ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def business(request: HttpRequest) -> HttpResponse:
    _signed_in(request)
    businesses = list(queries.businesses_of(request.user))
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    # Which business: the one named (``entreprise=<pk>``), a new one (``nouvelle``, or a POST
    # naming none), or on a GET the person's only business.
    chosen = (request.POST.get("entreprise") if request.method == "POST" else request.GET.get("entreprise")) or ""
    current: Organisation | None = None
    if chosen and chosen != "nouvelle":
        current = next((b for b in businesses if plausible_key(chosen) and str(b.pk) == chosen), None)
        if current is None:
            raise Http404
    elif not chosen and request.method == "GET" and len(businesses) == 1:
        current = businesses[0]
    initial = {}
    if current is not None:
        initial = {
            "siret": format_siret(current.siret),
            "name": current.name,
            "commune": current.commune,
            "email": current.email,
            "phone": current.phone,
        }
    form = BusinessForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if current is None:
                organisation = services.business_declare(actor=request.user, **form.service_values())
            else:
                organisation = services.business_update(
                    actor=request.user, organisation=current, **form.service_values()
                )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if current is None:
                messages.success(
                    request,
                    _("L'entreprise « %(name)s » est enregistrée à votre compte.") % {"name": organisation.name},
                )
            else:
                messages.success(request, _("Les informations de l'entreprise sont mises à jour."))
            if next_url:
                return redirect(next_url)
            return redirect(f"{reverse('grants:business')}?{urlencode({'entreprise': organisation.pk})}")
    show_form = current is not None or chosen == "nouvelle" or not businesses or request.method == "POST"
    return render(
        request,
        "grants/applying/business.html",
        {
            "form": form,
            "businesses": businesses,
            "current": current,
            "show_form": show_form,
            "next_url": next_url,
            "new_business": current is None,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Start ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def apply_start(request: HttpRequest, slug: str) -> HttpResponse:
    _signed_in(request)
    programme = queries.published_programme(slug)
    context: dict[str, Any] = {"programme": programme, "closed_message": "", "form": None, "drafts": []}
    if not services.programme_is_open(programme):
        context["closed_message"] = services.programme_closed_message(programme)
        return render(request, "grants/applying/start.html", context)
    businesses = queries.businesses_of(request.user)
    business_list = list(businesses)
    if not business_list:
        messages.info(request, _("Déclarez d'abord l'entreprise qui demande l'aide."))
        return redirect(f"{reverse('grants:business')}?{urlencode({'next': request.path})}")
    drafts = {d.organisation_id: d for d in (queries.draft_of(programme, b) for b in business_list) if d is not None}
    if request.method == "GET" and len(business_list) == 1 and business_list[0].pk in drafts:
        return redirect("grants:apply_step", reference=drafts[business_list[0].pk].reference, step="entreprise")
    initial = {"entreprise": business_list[0].pk} if len(business_list) == 1 else {}
    form = BusinessChoiceForm(request.POST or None, businesses=businesses, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            application, created = services.application_start(
                actor=request.user, programme=programme, organisation=form.cleaned_data["entreprise"]
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except services.ApplyingError as exc:
            context["closed_message"] = exc.message
            return render(request, "grants/applying/start.html", context)
        if created:
            messages.success(
                request,
                _("Votre dossier %(ref)s est créé. Il est enregistré au fur et à mesure de votre saisie.")
                % {"ref": application.reference},
            )
        else:
            messages.info(request, _("Vous reprenez votre dossier %(ref)s.") % {"ref": application.reference})
        return redirect("grants:apply_step", reference=application.reference, step="entreprise")
    context.update(
        {"form": form, "businesses": business_list, "drafts": [drafts[b.pk] for b in business_list if b.pk in drafts]}
    )
    return render(request, "grants/applying/start.html", context, status=400 if request.method == "POST" else 200)


# --- Steps --------------------------------------------------------------------------------------


def _editable_application(request: HttpRequest, reference: str) -> Application | HttpResponse:
    """The dossier if the person may edit it; a redirect for its applicant once it is submitted;
    404 for people who may not see it; 403 for staff."""
    _signed_in(request)
    application = queries.application_by_reference(reference)
    user = request.user
    if not user.has_perm("grants.view_application", application):
        raise Http404
    if user.has_perm("grants.edit_application", application):
        return application
    if services.is_applicant(user, application.organisation) and not application.is_editable:
        messages.info(
            request,
            _("Le dossier %(ref)s est « %(state)s » : il ne peut plus être modifié.")
            % {"ref": application.reference, "state": application.get_status_display()},
        )
        return redirect(dossier_path(application))
    raise PermissionDenied(_("Seule l'entreprise demandeuse modifie son dossier."))


def _posted_version(request: HttpRequest) -> int | None:
    value = request.POST.get("version")
    if value is None:
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        return -1  # junk: treated as a page older than the dossier
    return int(value)


def _is_autosave(request: HttpRequest) -> bool:
    return request.method == "POST" and request.headers.get(AUTOSAVE_HEADER) in {"1", "preview"}


def _saved_message(application: Application) -> str:
    saved_at = timezone.localtime(application.updated_at)
    return _("Brouillon enregistré à %(time)s") % {"time": saved_at.strftime("%H h %M")}


BASIS_LABELS = {
    "building": _lazy("données par immeuble (ARCEP)"),
    "commune": _lazy("statistiques de la commune (ARCEP)"),
    "none": _lazy("aucune donnée de couverture"),
    "rule_off": _lazy("pas de condition de couverture pour ce dispositif"),
}


def eligibility_view(application: Application) -> dict[str, Any] | None:
    """What the eligibility panel shows (None before the commune is known)."""
    if not application.eligibility:
        return None
    snapshot = application.eligibility_snapshot or {}
    checked_at = None
    raw = snapshot.get("checked_at") or ""
    if raw:
        try:
            checked_at = timezone.localtime(datetime.fromisoformat(str(raw)))
        except (TypeError, ValueError):
            checked_at = None
    return {
        "answer": application.eligibility,
        "label": application.get_eligibility_display(),
        "explanation": str(snapshot.get("explanation") or ""),
        "edition": str(snapshot.get("edition") or ""),
        "basis": str(BASIS_LABELS.get(str(snapshot.get("basis") or ""), "")),
        "checked_at": checked_at,
        "commune": application.premises_commune,
        "canton": application.canton,
    }


def _figures_context(application: Application, figures: Any = None) -> dict[str, Any]:
    figures = figures or amounts.figures_for(application)
    programme = application.programme
    return {"figures": figures, "programme": programme, "preview": False}


def _steps(application: Application, current: str, missing: list[services.Missing]) -> list[dict[str, Any]]:
    missing_steps = {m.step for m in missing}
    labels = _step_labels()
    return [
        {
            "slug": step,
            "number": index,
            "label": labels[step],
            "url": reverse("grants:apply_step", kwargs={"reference": application.reference, "step": step}),
            "current": step == current,
            "complete": step not in missing_steps,
        }
        for index, step in enumerate(services.STEPS, start=1)
    ]


def _next_step(step: str) -> str:
    index = services.STEPS.index(step)
    return services.STEPS[min(index + 1, len(services.STEPS) - 1)]


def _errors_of(form: Any) -> dict[str, list[str]]:
    if form is None:
        return {}
    return {name: [str(message) for message in errors] for name, errors in form.errors.items()}


def _json(
    application: Application,
    *,
    saved: bool,
    form: Any = None,
    stale: services.StaleVersionError | None = None,
    panels: dict[str, str] | None = None,
    message: str = "",
) -> JsonResponse:
    errors = _errors_of(form)
    if stale is not None:
        message = stale.message
    elif errors and form is not None:
        labels = [str(form.fields[name].label) for name in errors if name in form.fields]
        message = _("Brouillon enregistré, sauf : %(fields)s (voir les messages en enregistrant).") % {
            "fields": ", ".join(labels) or _("certains champs")
        }
    elif not message and saved:
        message = _saved_message(application)
    return JsonResponse(
        {
            "saved": saved,
            "version": application.version,
            "stale": stale is not None,
            "message": message,
            "errors": errors,
            "aid": format_euros(application.computed_aid),
            "panels": panels or {},
        },
        status=409 if stale is not None else 200,
    )


def _render_step(
    request: HttpRequest,
    application: Application,
    step: str,
    context: dict[str, Any],
    *,
    page_version: int | None = None,
    status: int = 200,
) -> HttpResponse:
    lines = queries.lines_of(application)
    for line in lines:
        line.quote_url = document_url(application, line.quote_id) if line.quote_id else ""  # type: ignore[attr-defined]
    missing = services.application_missing(application, lines=lines)
    context = {
        "application": application,
        "programme": application.programme,
        "step": step,
        "steps": _steps(application, step, missing),
        "step_label": _step_labels()[step],
        "missing": missing,
        "lines": lines,
        "page_version": application.version if page_version is None else page_version,
        "next_step": _next_step(step),
        "next_step_label": _step_labels()[_next_step(step)],
        "stale_message": "",
        "eligibility": eligibility_view(application),
        "excluded_categories": [c for c in queries.categories_of(application.programme) if not c.is_eligible],
        "editing": None,
        "submit_error": "",
        "form": None,
        **_figures_context(application),
        **context,
    }
    return render(request, f"grants/applying/step_{step}.html", context, status=status)


def _simple_step(request: HttpRequest, application: Application, step: str) -> HttpResponse:
    """``entreprise``, ``locaux`` and ``minimis``: one form; the valid fields are stored, the
    others come back with their message and what the person typed."""
    form_class = {"entreprise": BusinessStepForm, "locaux": PremisesStepForm, "minimis": DeMinimisStepForm}[step]
    if request.method != "POST":
        return _render_step(request, application, step, {"form": form_class(application=application)})
    form: Any = form_class(request.POST, application=application)
    form.is_valid()
    version = _posted_version(request)
    stale: services.StaleVersionError | None = None
    try:
        if step == "entreprise":
            services.application_save_business(
                actor=request.user, application=application, version=version, **form.valid_values()
            )
        elif step == "locaux":
            values = form.valid_values()
            services.application_save_premises(
                actor=request.user,
                application=application,
                version=version,
                address=values.get("address"),
                commune=values.get("commune"),
                postal_code=values.get("postal_code"),
            )
        else:
            services.application_save_de_minimis(
                actor=request.user, application=application, version=version, **form.service_values()
            )
    except services.StaleVersionError as exc:
        stale = exc
    except ValidationError as exc:
        form.add_service_errors(exc, {"commune": "commune", "amount": "de_minimis_amount"})
    panels: dict[str, str] = {}
    message = ""
    if step == "locaux":
        panels["eligibility"] = render_to_string(
            "grants/applying/_eligibility.html", {"eligibility": eligibility_view(application)}, request=request
        )
        if application.eligibility and stale is None and not form.errors:
            message = _("%(saved)s. Éligibilité des locaux : %(answer)s.") % {
                "saved": _saved_message(application),
                "answer": application.get_eligibility_display(),
            }
    if _is_autosave(request):
        return _json(
            application, saved=stale is None and not form.errors, form=form, stale=stale, panels=panels, message=message
        )
    if stale is None and not form.errors:
        if request.POST.get("action") == "rester":
            messages.success(request, _saved_message(application))
            return redirect("grants:apply_step", reference=application.reference, step=step)
        return redirect("grants:apply_step", reference=application.reference, step=_next_step(step))
    return _render_step(
        request,
        application,
        step,
        {"form": form, "stale_message": stale.message if stale else ""},
        page_version=version if stale is not None and version is not None else None,
        status=409 if stale else 400,
    )


def _line_from(application: Application, value: str) -> ExpenseLine | None:
    if not value:
        return None
    if not plausible_key(value):
        raise Http404
    line = application.lines.select_related("category", "quote").filter(pk=int(value)).first()
    if line is None:
        raise Http404
    return line


def _figures_panel(request: HttpRequest, application: Application, figures: Any, *, preview: bool) -> str:
    return render_to_string(
        "grants/applying/_figures.html",
        {"figures": figures, "programme": application.programme, "preview": preview},
        request=request,
    )


def _expenses_step(request: HttpRequest, application: Application) -> HttpResponse:
    step = "depenses"
    if request.method != "POST":
        line = _line_from(application, request.GET.get("ligne", ""))
        return _render_step(
            request, application, step, {"form": LineForm(application=application, line=line), "editing": line}
        )
    version = _posted_version(request)
    if request.POST.get("supprimer"):
        line = _line_from(application, request.POST["supprimer"])
        assert line is not None  # noqa: S101 - _line_from returns a line for a non-empty value
        try:
            services.expense_line_delete(actor=request.user, application=application, version=version, line=line)
        except (services.StaleVersionError, services.LineInvoicedError) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("La dépense « %(line)s » est retirée.") % {"line": line.description})
        return redirect("grants:apply_step", reference=application.reference, step=step)
    line = _line_from(application, request.POST.get("ligne", ""))
    form = LineForm(request.POST, request.FILES, application=application, line=line)
    form.is_valid()
    values = form.valid_values()
    line_ok = all(name not in form.errors for name in ("category", "description", "amount")) and all(
        values.get(name) not in (None, "") for name in ("category", "description", "amount")
    )
    if request.headers.get(AUTOSAVE_HEADER) == "preview" or (_is_autosave(request) and not line_ok):
        # The live aid: what it would be with this line, nothing stored.
        figures = amounts.figures_for(application)
        if line_ok:
            candidate = ExpenseLine(
                pk=line.pk if line else None,
                category=values["category"],
                amount=values["amount"],
                is_ineligible=line.is_ineligible if line else False,
            )
            figures = services.live_figures(
                application, replace=candidate if line else None, extra=None if line else candidate
            )
        panel = _figures_panel(request, application, figures, preview=line_ok)
        message = _("Aide estimée avec cette dépense : %(aid)s") % {"aid": format_euros(figures.aid)} if line_ok else ""
        return JsonResponse(
            {
                "saved": False,
                "preview": True,
                "version": application.version,
                "stale": False,
                "message": message,
                "errors": {},
                "aid": format_euros(figures.aid),
                "panels": {"figures": panel},
            }
        )
    stale: services.StaleVersionError | None = None
    saved_line: ExpenseLine | None = None
    if line_ok:
        try:
            saved_line = services.expense_line_save(
                actor=request.user,
                application=application,
                version=version,
                category=values["category"],
                description=values["description"],
                amount=values["amount"],
                line=line,
            )
        except services.StaleVersionError as exc:
            stale = exc
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            form.add_service_errors(exc)
    upload = request.FILES.get("quote")
    if upload is not None and "quote" not in form.errors:
        if saved_line is not None:
            try:
                services.expense_line_attach_quote(
                    actor=request.user, application=application, line=saved_line, file=upload
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
                form.add_error(
                    "quote", _("La dépense est enregistrée sans ce fichier : choisissez un devis PDF ou une image.")
                )
        elif stale is None:
            form.add_error(
                "quote", _("Le devis n'a pas été gardé : choisissez-le à nouveau après avoir corrigé la ligne.")
            )
    if not form.errors and stale is None:
        if line is None:
            messages.success(request, _("La dépense est ajoutée."))
        else:
            messages.success(request, _("La dépense est modifiée."))
        return redirect("grants:apply_step", reference=application.reference, step=step)
    # Show the line again: once stored (only its file was refused), as the line being edited.
    editing = saved_line or line
    return _render_step(
        request,
        application,
        step,
        {"form": form, "editing": editing, "stale_message": stale.message if stale else ""},
        page_version=version if stale is not None and version is not None else None,
        status=409 if stale else 400,
    )


def _recap_step(request: HttpRequest, application: Application, extra: dict[str, Any] | None = None) -> HttpResponse:
    if request.method == "POST":
        return redirect("grants:apply_step", reference=application.reference, step="recapitulatif")
    return _render_step(request, application, "recapitulatif", extra or {})


@require_http_methods(["GET", "POST"])
def apply_step(request: HttpRequest, reference: str, step: str) -> HttpResponse:
    if step not in services.STEPS:
        raise Http404
    found = _editable_application(request, reference)
    if isinstance(found, HttpResponse):
        if _is_autosave(request):
            return JsonResponse(
                {"saved": False, "stale": True, "message": _("Ce dossier ne peut plus être modifié.")}, status=409
            )
        return found
    application = found
    try:
        if step == "depenses":
            return _expenses_step(request, application)
        if step == "recapitulatif":
            return _recap_step(request, application)
        return _simple_step(request, application, step)
    except services.NotEditableError as exc:
        messages.info(request, exc.message)
        return redirect(dossier_path(application))
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc


@require_POST
def apply_submit(request: HttpRequest, reference: str) -> HttpResponse:
    _signed_in(request)
    application = queries.application_by_reference(reference)
    if not request.user.has_perm("grants.view_application", application):
        raise Http404
    if not services.is_applicant(request.user, application.organisation):
        raise PermissionDenied(_("Seule l'entreprise demandeuse dépose son dossier."))
    try:
        result = services.application_submit(actor=request.user, application=application)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.SubmissionIncompleteError as exc:
        application.refresh_from_db()
        return _render_step(
            request, application, "recapitulatif", {"submit_error": exc.message, "missing": exc.missing}, status=400
        )
    if result.already:
        messages.info(
            request,
            _("Le dossier %(ref)s est déjà déposé (« %(state)s ») : rien n'a été envoyé une seconde fois.")
            % {"ref": result.application.reference, "state": result.application.get_status_display()},
        )
    else:
        messages.success(
            request,
            _("Votre dossier %(ref)s est déposé. Un accusé de réception vous est envoyé par courriel.")
            % {"ref": result.application.reference},
        )
    return redirect(dossier_path(result.application))


urlpatterns = [
    path("entreprise/", business, name="business"),
    path("dispositifs/<slug:slug>/demander/", apply_start, name="apply_start"),
    path("dossiers/<str:reference>/modifier/<str:step>/", apply_step, name="apply_step"),
    path("dossiers/<str:reference>/deposer/", apply_submit, name="apply_submit"),
]
