"""Grant programmes: the public pages under ``/aides/`` and the programme team's pages under
``/aides/gestion/dispositifs/``.

Who may use each page:
- ``/aides/`` and ``/aides/dispositifs/<slug>/``: everyone, no sign-in (an unpublished
  programme is a 404 except for the programme team, who see it with a notice);
- ``/aides/gestion/dispositifs/...``: ``grants.manage_programmes`` (programme managers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors
from cybercantal.core.money import round_cents

from ..forms.programmes import CategoryFormSet, ProgrammeForm, category_initial
from ..models import GrantProgramme
from ..queries import envelope as envelope_queries
from ..queries import programmes as queries
from ..queries.envelope import Envelope
from ..services import programmes as services

PERMISSION = "grants.manage_programmes"
PAGE_SIZE = 50


def _no_object(request: HttpRequest, *args: Any, **kwargs: Any) -> None:
    return None


manager_required = permission_required_for_object(PERMISSION, _no_object, pass_object=False)


@dataclass(frozen=True)
class Card:
    """A programme as the public pages show it."""

    programme: GrantProgramme
    state: str
    state_label: str
    rate_sentence: str
    dates_sentence: str
    coverage_sentence: str
    eligibility_url: str
    apply_url: str

    @property
    def is_open(self) -> bool:
        return self.state == queries.OPEN


def card(programme: GrantProgramme) -> Card:
    state = queries.programme_state(programme)
    return Card(
        programme=programme,
        state=state,
        state_label=queries.state_label(state),
        rate_sentence=queries.rate_sentence(programme),
        dates_sentence=queries.dates_sentence(programme),
        coverage_sentence=queries.coverage_rule_sentence(programme),
        eligibility_url=queries.eligibility_url(programme),
        apply_url=queries.apply_url(programme),
    )


def envelope_context(figures: Envelope) -> dict[str, Any]:
    committed = round_cents(min(max(figures.committed, 0), figures.budget)) if figures.budget > 0 else 0
    return {
        "envelope": figures,
        "progress_value": committed,
        "progress_max": figures.budget if figures.budget > 0 else 1,
        "remaining_percent": max(0, 100 - figures.committed_percent) if figures.budget > 0 else 0,
    }


# --- public pages ------------------------------------------------------------------------------


@login_not_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Everyone: the published programmes, open ones first."""
    cards = [card(programme) for programme in queries.published()]
    context = {
        "cards": cards,
        "open_count": sum(1 for item in cards if item.is_open),
        "may_manage": queries.may_manage(request.user),
    }
    return render(request, "grants/programmes/index.html", context)


@login_not_required
@require_GET
def programme(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone: what an applicant must know before applying."""
    item = queries.visible_programme(slug, request.user)
    if item is None:
        raise Http404(_("Ce dispositif d'aide n'existe pas."))
    categories = list(item.categories.all())
    context = {
        "card": card(item),
        "programme": item,
        "eligible_categories": [category for category in categories if category.is_eligible],
        "excluded_categories": [category for category in categories if not category.is_eligible],
        "may_manage": queries.may_manage(request.user),
        **envelope_context(envelope_queries.envelope(item)),
    }
    return render(request, "grants/programmes/programme.html", context)


# --- programme team ----------------------------------------------------------------------------


@manager_required
@require_GET
def programme_list_manage(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.manage_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    figures = queries.envelopes(items)
    rows = [
        {
            "programme": programme,
            "state_label": queries.state_label(queries.programme_state(programme)),
            "envelope": figures[programme.pk],
        }
        for programme in items
    ]
    return render(request, "grants/programmes/manage_list.html", {"page": page, "rows": rows})


def _form_view(request: HttpRequest, item: GrantProgramme | None) -> HttpResponse:
    categories = list(item.categories.order_by("position", "label", "pk")) if item else []
    category_errors: list[str] = []
    if request.method == "POST":
        form = ProgrammeForm(request.POST)
        formset = CategoryFormSet(request.POST, prefix="categories", initial=category_initial(categories))
        if form.is_valid() and formset.is_valid():
            try:
                if item is None:
                    item = services.programme_create(
                        actor=request.user, categories=formset.inputs(with_pk=False), **form.service_kwargs()
                    )
                    messages.success(request, _("Le dispositif « %(name)s » est créé.") % {"name": item.name})
                else:
                    item = services.programme_update(
                        actor=request.user, programme=item, categories=formset.inputs(), **form.service_kwargs()
                    )
                    messages.success(request, _("Le dispositif « %(name)s » est enregistré.") % {"name": item.name})
            except ValidationError as exc:
                category_errors = _add_errors(form, exc)
            else:
                return redirect("grants:programme_manage", slug=item.slug)
    else:
        initial = (
            ProgrammeForm.initial_from(item)
            if item
            else {**services.DEFAULTS, "rate_percent": "50", "coverage_threshold": "HD3"}
        )
        form = ProgrammeForm(initial=initial)
        formset = CategoryFormSet(prefix="categories", initial=category_initial(categories))
    context: dict[str, Any] = {
        "form": form,
        "formset": formset,
        "programme": item,
        "category_errors": category_errors,
    }
    if item is not None:
        context.update(envelope_context(envelope_queries.envelope(item)))
    return render(request, "grants/programmes/form.html", context)


def _add_errors(form: ProgrammeForm, exc: ValidationError) -> list[str]:
    """Programme fields' errors next to their field; the categories' problems are returned,
    to be shown above the categories."""
    if not hasattr(exc, "error_dict"):
        add_service_errors(form, exc)
        return []
    category_errors = [message for error in exc.error_dict.pop("categories", []) for message in error.messages]
    if exc.error_dict:
        add_service_errors(form, exc)
    elif category_errors:
        form.add_error(None, _("Le dispositif n'est pas enregistré : corrigez les catégories signalées."))
    return category_errors


def _programme_or_404(slug: str) -> GrantProgramme:
    item = queries.find(slug)
    if item is None:
        raise Http404(_("Ce dispositif d'aide n'existe pas."))
    return item


@manager_required
@require_http_methods(["GET", "POST"])
def programme_create(request: HttpRequest) -> HttpResponse:
    return _form_view(request, None)


@manager_required
@require_http_methods(["GET", "POST"])
def programme_manage(request: HttpRequest, slug: str) -> HttpResponse:
    return _form_view(request, _programme_or_404(slug))


urlpatterns = [
    path("", index, name="index"),
    path("dispositifs/<slug:slug>/", programme, name="programme"),
    path("gestion/dispositifs/", programme_list_manage, name="programme_list_manage"),
    path("gestion/dispositifs/nouveau/", programme_create, name="programme_create"),
    path("gestion/dispositifs/<slug:slug>/", programme_manage, name="programme_manage"),
]
