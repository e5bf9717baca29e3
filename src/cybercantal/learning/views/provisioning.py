"""Part "provisioning" of the cartable électronique: sign-in with an ENT login, account
activation, CSV imports of people, activation letters, password resets of pupils.

Who may use each page:
- ``sign_in`` (``/ent/connexion/``): anyone (anonymous); a pupil signs in with their ENT login
  (or an address) and password. Rate-limited per login and per address (``services``).
- ``activate`` (``/ent/activer/``): anyone (anonymous); login + one-time code, then a new
  password; signed in at the end. Rate-limited like the sign-in.
- ``import_template`` (``/ent/imports/modele-<kind>.csv``): anyone (an empty example file).
- ``import`` (``/ent/etablissements/<uai>/imports/``): ``learning.import_students`` on the
  school: its staff import every list (upload, preview, confirm; the school's history); a
  teacher of the school imports the pupils of the classes she teaches (rows naming another
  class are refused, no departures) and sees her own imports and her classes' letters.
- ``letters`` (``/ent/classes/<class_id>/lettres/``): ``learning.print_letters`` on the class
  (the school's staff and the class's teachers): a PDF, one page per pupil or parent.
- ``reset_password`` (``/ent/eleves/<student_id>/reinitialiser/``): ``learning.reset_password``
  on the pupil (their teachers, their school's staff): a one-page PDF with a new code.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.journal import client_ip
from cybercantal.core.spreadsheet import csv_response

from .. import imports
from ..forms.provisioning import (
    ActivationCodeForm,
    ActivationPasswordForm,
    ImportConfirmForm,
    ImportUploadForm,
    LettersForm,
    ResetForm,
    SignInForm,
)
from ..letters import letters_pdf
from ..models import ImportRun, School, SchoolClass, SchoolMember
from ..services import provisioning as services

IMPORT_SESSION_KEY = "learning_import"
IMPORT_DONE_KEY = "learning_import_done"
ACTIVATION_SESSION_KEY = "learning_activation"
ACTIVATION_SECONDS = 15 * 60
PAGE_SIZE = 20
PASSWORD_STEP = "mot-de-passe"  # noqa: S105 - a step of the URL, not a password


def _home_url() -> str:
    try:
        return reverse("learning:home")
    except NoReverseMatch:
        return "/ent/"


def _url_or_empty(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _school(request: HttpRequest, uai: str, **kwargs: Any) -> School:
    if len(uai) > 8:
        raise Http404
    return get_object_or_404(School.objects.select_related("organisation"), uai=uai.upper())


def _student(request: HttpRequest, student_id: int, **kwargs: Any) -> Any:
    user_model = get_user_model()
    return get_object_or_404(
        user_model.objects.filter(school_members__kind=SchoolMember.Kind.STUDENT).distinct(), pk=student_id
    )


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # one-time codes: never kept by a cache
    return response


# --- sign-in and activation (anonymous) ---------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False):
        next_url = ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or _home_url())
    status = 200
    if request.method == "POST":
        form = SignInForm(request.POST)
        if form.is_valid():
            identifier = form.cleaned_data["identifier"]
            ip = client_ip(request)
            if services.too_many_failures(identifier, ip):
                form.add_error(None, services.wait_message())
                status = 429
            else:
                email = services.email_for_identifier(identifier)
                user = authenticate(request, username=email, password=form.cleaned_data["password"]) if email else None
                if user is None:
                    services.failure_record(identifier, ip)
                    form.add_error(
                        None,
                        _(
                            "Identifiant ou mot de passe incorrect. Ton compte n'est pas encore activé ? "
                            "Utilise le code de ta lettre sur la page « Activer mon compte »."
                        ),
                    )
                    status = 400
                else:
                    services.failures_clear(identifier)
                    login(request, user)
                    return HttpResponseRedirect(next_url or _home_url())
        else:
            status = 400
    else:
        form = SignInForm()
    return render(
        request,
        "learning/provisioning/sign_in.html",
        {"form": form, "next": next_url, "account_login_url": _url_or_empty("account_login")},
        status=status,
    )


def _pending_activation(request: HttpRequest) -> dict[str, Any] | None:
    pending = request.session.get(ACTIVATION_SESSION_KEY)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > ACTIVATION_SECONDS:
        return None
    return pending


@login_not_required
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    pending = _pending_activation(request)
    password_step = request.GET.get("etape") == PASSWORD_STEP or request.POST.get("step") == "password"
    if password_step:
        if pending is None:
            messages.info(request, _("Recommence : tape ton identifiant et ton code."))
            return redirect("learning:activate")
        return _activate_password(request, pending)
    status = 200
    if request.method == "POST":
        form = ActivationCodeForm(request.POST)
        if form.is_valid():
            login_text, ip = form.cleaned_data["login"], client_ip(request)
            if services.too_many_failures(login_text, ip):
                form.add_error(None, services.wait_message())
                status = 429
            else:
                try:
                    account = services.activation_check(login=login_text, code=form.cleaned_data["code"])
                except services.ActivationError as exc:
                    if exc.code == "wrong":
                        services.failure_record(login_text, ip)
                    form.add_error(None, exc.messages[0])
                    status = 400
                else:
                    services.failures_clear(login_text)
                    request.session[ACTIVATION_SESSION_KEY] = {
                        "account": account.pk,
                        "hash": account.activation_code_hash,
                        "login": account.login,
                        "at": time.time(),
                    }
                    return redirect(f"{reverse('learning:activate')}?etape={PASSWORD_STEP}")
        else:
            status = 400
    else:
        form = ActivationCodeForm()
    return render(
        request,
        "learning/provisioning/activate.html",
        {"form": form, "sign_in_url": reverse("learning:sign_in")},
        status=status,
    )


def _activate_password(request: HttpRequest, pending: dict[str, Any]) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = ActivationPasswordForm(request.POST)
        if form.is_valid():
            try:
                user = services.account_activate(
                    account_id=int(pending["account"]),
                    code_hash=str(pending["hash"]),
                    password=form.cleaned_data["password1"],
                )
            except services.ActivationError as exc:
                request.session.pop(ACTIVATION_SESSION_KEY, None)
                messages.error(request, exc.messages[0])
                return redirect("learning:activate")
            except ValidationError as exc:
                form.add_error("password1", exc.messages)
                status = 400
            else:
                request.session.pop(ACTIVATION_SESSION_KEY, None)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    _(
                        "Bienvenue ! Ton compte est activé. La prochaine fois, connecte-toi avec ton identifiant "
                        "%(login)s et ton mot de passe."
                    )
                    % {"login": pending.get("login", "")},
                )
                return redirect(_home_url())
        else:
            status = 400
    else:
        form = ActivationPasswordForm()
    return render(
        request,
        "learning/provisioning/activate_password.html",
        {"form": form, "login": pending.get("login", ""), "action": reverse("learning:activate")},
        status=status,
    )


# --- CSV imports --------------------------------------------------------------------------------


@login_not_required
@require_GET
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    real_kind = imports.KIND_SLUGS.get(kind)
    if real_kind is None:
        raise Http404
    return csv_response(f"modele-{kind}.csv", imports.template_rows(real_kind))


def _templates(scope: frozenset[int] | None = None) -> list[dict[str, str]]:
    labels = {
        imports.STUDENTS: _("Modèle élèves"),
        imports.TEACHERS: _("Modèle enseignants"),
        imports.PARENTS: _("Modèle responsables légaux"),
    }
    return [
        {"label": str(labels[kind]), "url": reverse("learning:import_template", args=[slug])}
        for slug, kind in imports.KIND_SLUGS.items()
        if scope is None or kind == imports.STUDENTS
    ]


def _class_letters(school: School, year: Any, scope: frozenset[int] | None = None) -> list[dict[str, Any]]:
    """The classes of the year (those of ``scope`` for a teacher) with their pupils not yet
    activated (one query)."""
    if year is None:
        return []
    classes = SchoolClass.objects.filter(school=school, year=year)
    if scope is not None:
        classes = classes.filter(pk__in=scope)
    classes = classes.annotate(
        pupils=Count("enrolments", distinct=True),
        waiting=Count(
            "enrolments",
            filter=Q(
                enrolments__student__ent_account__isnull=False,
                enrolments__student__ent_account__activated_at__isnull=True,
            ),
            distinct=True,
        ),
    ).order_by("kind", "name")
    return [
        {"class": c, "pupils": c.pupils, "waiting": c.waiting, "url": reverse("learning:letters", args=[c.pk])}
        for c in classes
    ]


def _scope(request: HttpRequest, school: School) -> frozenset[int] | None:
    """``None`` for the school's staff; the classes a teacher teaches (she imports their pupils)."""
    try:
        return services.import_scope(request.user, school)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc


def _upload_form(scope: frozenset[int] | None, *args: Any, **kwargs: Any) -> ImportUploadForm:
    kinds = None if scope is None else [imports.STUDENTS]
    return ImportUploadForm(*args, kinds=kinds, **kwargs)


def _import_page(
    request: HttpRequest,
    school: School,
    form: ImportUploadForm,
    *,
    problems: list[Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    scope = _scope(request, school)
    runs_query = ImportRun.objects.filter(school=school).select_related("actor")
    if scope is not None:
        runs_query = runs_query.filter(actor=request.user)  # a teacher sees her own imports
    runs = Paginator(runs_query, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "learning/provisioning/import.html",
        {
            "school": school,
            "form": form,
            "problems": problems or [],
            "page": runs,
            "templates": _templates(scope),
            "classes": _class_letters(school, services.current_year(), scope),
            "school_url": _url_or_empty("learning:school", school.uai) if scope is None else "",
            "teacher_mode": scope is not None,
        },
        status=status,
    )


@permission_required_for_object("learning.import_students", _school)
@require_http_methods(["GET", "POST"])
def import_people(request: HttpRequest, uai: str, obj: School) -> HttpResponse:
    school = obj
    scope = _scope(request, school)
    years = services.import_years(school)
    if request.method == "GET":
        return _import_page(request, school, _upload_form(scope, years=years))
    if request.POST.get("action") == "confirm":
        return _import_confirm(request, school, years)
    form = _upload_form(scope, request.POST, request.FILES, years=years)
    if not form.is_valid():
        return _import_page(request, school, form, status=400)
    year = next((y for y in years if y.pk == form.cleaned_data.get("year")), None)
    kind, data = form.cleaned_data["kind"], form.cleaned_data["file"]
    try:
        parsed = imports.parse(kind, data)
        plan = services.import_plan(actor=request.user, school=school, parsed=parsed, year=year)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    except imports.ImportFileError as exc:
        form.add_error(
            "file", _("Rien n'est importé : corrigez les lignes signalées puis envoyez le fichier à nouveau.")
        )
        return _import_page(request, school, form, problems=exc.problems, status=400)
    token = secrets.token_urlsafe(16)
    text, _encoding = imports.decode(data)
    request.session[IMPORT_SESSION_KEY] = {
        "token": token,
        "school": school.pk,
        "kind": kind,
        "year": plan.year.pk,
        "file_name": form.file_name,
        "text": text,
    }
    return _preview(request, school, plan, ImportConfirmForm(initial={"token": token}), file_name=form.file_name)


def _preview(
    request: HttpRequest, school: School, plan: services.ImportPlan, form: ImportConfirmForm, *, file_name: str
) -> HttpResponse:
    return render(
        request,
        "learning/provisioning/import_preview.html",
        {
            "school": school,
            "plan": plan,
            "counts": plan.counts,
            "kind_label": dict(ImportRun.Kind.choices)[plan.kind],
            "form": form,
            "file_name": file_name,
            "created": plan.create[:50],
            "updated": plan.update[:50],
            "leavers": plan.leavers[:50],
            "parsed": plan.parsed,
            "action": reverse("learning:import", args=[school.uai]),
            "teacher_mode": plan.scope is not None,
        },
    )


def _import_confirm(request: HttpRequest, school: School, years: list[Any]) -> HttpResponse:
    form = ImportConfirmForm(request.POST)
    back = reverse("learning:import", args=[school.uai])
    stored = request.session.get(IMPORT_SESSION_KEY)
    if not form.is_valid() or not isinstance(stored, dict) or stored.get("token") != form.cleaned_data["token"]:
        if form.is_valid() and request.session.get(IMPORT_DONE_KEY) == form.cleaned_data["token"]:
            messages.info(request, _("Ce fichier est déjà importé."))
        else:
            messages.error(request, _("L'aperçu a expiré : envoyez le fichier à nouveau."))
        return redirect(back)
    if stored.get("school") != school.pk:
        raise PermissionDenied
    year = next((y for y in years if y.pk == stored.get("year")), None)
    try:
        parsed = imports.parse(stored["kind"], stored["text"].encode("utf-8"))
        run = services.people_import(
            actor=request.user,
            school=school,
            parsed=parsed,
            file_name=stored.get("file_name", ""),
            year=year,
            mark_leavers=bool(form.cleaned_data["mark_leavers"]) and stored["kind"] == imports.STUDENTS,
        )
    except imports.ImportFileError as exc:
        request.session.pop(IMPORT_SESSION_KEY, None)
        upload = _upload_form(_scope(request, school), years=years, initial={"kind": stored["kind"]})
        return _import_page(request, school, upload, problems=exc.problems, status=400)
    except services.ImportConflictError as exc:
        messages.error(request, exc.messages[0])
        return redirect(back)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    request.session.pop(IMPORT_SESSION_KEY, None)
    request.session[IMPORT_DONE_KEY] = form.cleaned_data["token"]
    messages.success(
        request,
        _(
            "Import terminé (%(file)s) : %(created)s créés, %(updated)s mis à jour, %(unchanged)s inchangés, "
            "%(left)s départs."
        )
        % {
            "file": run.file_name,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "left": run.left,
        },
    )
    return redirect(back)


# --- letters and resets ---------------------------------------------------------------------------


def _class(request: HttpRequest, class_id: int, **kwargs: Any) -> SchoolClass:
    return get_object_or_404(SchoolClass.objects.select_related("school", "year"), pk=class_id)


@permission_required_for_object("learning.print_letters", _class)
@require_http_methods(["GET", "POST"])
def letters(request: HttpRequest, class_id: int, obj: SchoolClass) -> HttpResponse:
    school_class = obj
    status = 200
    if request.method == "POST":
        form = LettersForm(request.POST)
        if form.is_valid():
            issued = services.letters_issue(
                actor=request.user,
                school_class=school_class,
                audience=form.cleaned_data["audience"],
                include_activated=form.cleaned_data["scope"] == "all",
            )
            if issued:
                title = _("Lettres d'activation — %(class)s") % {"class": school_class.name}
                name = slugify(f"lettres-{school_class.name}-{form.cleaned_data['audience']}") or "lettres"
                return _pdf(letters_pdf(issued, title=title), f"{name}.pdf")
            form.add_error(None, _("Aucune lettre à imprimer : tous ces comptes sont déjà activés."))
            status = 400
        else:
            status = 400
    else:
        form = LettersForm()
    return render(
        request,
        "learning/provisioning/letters.html",
        {
            "school_class": school_class,
            "summary": services.letters_summary(school_class),
            "form": form,
            "class_url": _url_or_empty("learning:class_detail", school_class.pk),
        },
        status=status,
    )


@permission_required_for_object("learning.reset_password", _student)
@require_http_methods(["GET", "POST"])
def reset_password(request: HttpRequest, student_id: int, obj: Any) -> HttpResponse:
    student = obj
    account = getattr(student, "ent_account", None) if hasattr(student, "ent_account") else None
    status = 200
    if request.method == "POST":
        form = ResetForm(request.POST)
        if form.is_valid():
            try:
                letter = services.student_password_reset(actor=request.user, student=student)
            except NotAllowed as exc:
                raise PermissionDenied(str(exc)) from exc
            except ValidationError as exc:
                form.add_error(None, exc.messages[0])
                status = 400
            else:
                title = _("Nouveau code — %(name)s") % {"name": letter.full_name}
                return _pdf(letters_pdf([letter], title=title), f"lettre-{letter.login}.pdf")
        else:
            status = 400
    else:
        form = ResetForm()
    return render(
        request,
        "learning/provisioning/reset.html",
        {
            "student": student,
            "account": account,
            "form": form,
            "student_url": _url_or_empty("learning:student_detail", student.pk),
            "today": timezone.localdate(),
        },
        status=status,
    )


urlpatterns = [
    path("connexion/", sign_in, name="sign_in"),
    path("activer/", activate, name="activate"),
    path("imports/modele-<str:kind>.csv", import_template, name="import_template"),
    path("etablissements/<str:uai>/imports/", import_people, name="import"),
    path("classes/<int:class_id>/lettres/", letters, name="letters"),
    path("eleves/<int:student_id>/reinitialiser/", reset_password, name="reset_password"),
]
