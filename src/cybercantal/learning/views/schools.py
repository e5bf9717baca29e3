"""Part "schools" of the cartable électronique: schools, their staff, classes and groups,
people, the year rollover, a pupil's page.

Who may use each page:
- ``schools`` (``/ent/etablissements/``): the programme team (``learning.manage_schools``)
  sees every school and the form to open one; a school's staff see their own schools;
  anyone else gets 403.
- ``staff`` (``/ent/etablissements/<uai>/personnel/``) and ``staff_remove`` (POST
  ``…/personnel/<member_id>/retirer/``): the programme team only (appoints and removes the
  ENT administrators and the head of a school).
- ``school`` (``/ent/etablissements/<uai>/``), ``school_people`` (``…/personnes/``),
  ``class_create`` (``…/classes/nouvelle/``), ``rollover``
  (``…/rentree/``): ``learning.manage_school`` on the school (its staff, the programme team).
- ``class_edit`` (``/ent/classes/<id>/modifier/``), ``class_members``
  (``/ent/classes/<id>/eleves/``), ``class_delete`` (POST ``/ent/classes/<id>/supprimer/``):
  ``learning.manage_school`` on the class's school.
- ``class_detail`` (``/ent/classes/<id>/``): ``learning.view_class``; the class's teachers
  and the school's staff see the pupils with their account status; pupils and parents see
  the class name, its teachers and subjects and links to its courses, homework, exercises.
- ``student_detail`` (``/ent/eleves/<id>/``): the pupil's teachers and the staff of the
  pupil's school (not the pupil, nor the parents: they have their own pages).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cybercantal.accounts.forms import add_service_errors
from cybercantal.accounts.permissions import is_staff_of_student, teaches_student
from cybercantal.accounts.services import NotAllowed

from ..access import access_for
from ..forms.schools import ClassForm, MembersForm, PeopleSearchForm, RolloverForm, SchoolCreateForm, StaffAppointForm
from ..models import School, SchoolClass, SchoolMember, SchoolYear
from ..queries import schools as queries
from ..services import schools as services

PAGE_SIZE = 50


def _school(uai: str) -> School:
    if len(uai) > 8:
        raise Http404
    return get_object_or_404(School.objects.select_related("place", "organisation"), uai=uai)


def _class(class_id: int) -> SchoolClass:
    return get_object_or_404(SchoolClass.objects.select_related("school", "year"), pk=class_id)


def _require(request: HttpRequest, perm: str, obj: Any = None) -> None:
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied(_("Vous n'avez pas accès à cette page."))


def _page(request: HttpRequest, items: Any) -> Any:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


# --- Schools ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def schools(request: HttpRequest) -> HttpResponse:
    manager = request.user.has_perm("learning.manage_schools")
    if not manager and not access_for(request.user).is_staff:
        raise PermissionDenied(_("Cette page est réservée à l'équipe du programme et au personnel des collèges."))
    form = None
    if manager:
        form = SchoolCreateForm(request.POST or None, places=queries.college_places_without_school())
        if request.method == "POST" and form.is_valid():
            try:
                school = services.school_create(
                    actor=request.user,
                    place=form.cleaned_data["place"],
                    uai=form.cleaned_data["uai"],
                    name=form.cleaned_data["name"] or None,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("L'ENT du %(name)s est ouvert.") % {"name": school.name})
                return redirect("learning:staff", uai=school.uai)
    elif request.method == "POST":
        raise PermissionDenied
    page = _page(request, queries.schools_with_counts(request.user))
    return render(request, "learning/schools/list.html", {"page": page, "form": form, "manager": manager})


@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest, uai: str) -> HttpResponse:
    school = _school(uai)
    _require(request, "learning.manage_schools")
    form = StaffAppointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.staff_appoint(
                actor=request.user,
                school=school,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                is_head=form.cleaned_data["is_head"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s administre désormais l'ENT du collège.")
                % {"name": member.user.get_full_name() or member.user.email},
            )
            return redirect("learning:staff", uai=school.uai)
    return render(
        request,
        "learning/schools/staff.html",
        {"school": school, "form": form, "members": queries.staff_of(school)},
    )


@require_POST
def staff_remove(request: HttpRequest, uai: str, member_id: int) -> HttpResponse:
    school = _school(uai)
    _require(request, "learning.manage_schools")
    member = get_object_or_404(SchoolMember, pk=member_id, school=school, kind=SchoolMember.Kind.STAFF)
    services.staff_remove(actor=request.user, member=member)
    messages.success(request, _("Cette personne n'administre plus l'ENT du collège."))
    return redirect("learning:staff", uai=school.uai)


def school(request: HttpRequest, uai: str) -> HttpResponse:
    school = _school(uai)
    _require(request, "learning.view_school", school)
    year = queries.current_year()
    rows = list(queries.class_rows(school, year))
    return render(
        request,
        "learning/schools/school.html",
        {
            "school": school,
            "year": year,
            "classes": [row for row in rows if row.kind == SchoolClass.Kind.CLASS],
            "groups": [row for row in rows if row.kind == SchoolClass.Kind.GROUP],
            "not_activated": queries.accounts_not_activated(school),
            "staff": queries.staff_of(school),
            "manager": request.user.has_perm("learning.manage_schools"),
            "may_manage": request.user.has_perm("learning.manage_school", school),
        },
    )


def school_people(request: HttpRequest, uai: str) -> HttpResponse:
    school = _school(uai)
    _require(request, "learning.manage_school", school)
    form = PeopleSearchForm(request.GET or None)
    text = kind = ""
    if form.is_bound and form.is_valid():
        text, kind = form.cleaned_data["q"], form.cleaned_data["kind"]
    members = queries.people_search(school, text=text, kind=kind)
    page = _page(request, members)
    year = queries.current_year()
    ids = [member.user_id for member in page.object_list]
    pupil_classes = queries.classes_of_students(school, ids, year)
    taught_classes = queries.classes_of_teachers(school, ids, year)
    rows = [
        {
            "member": member,
            "classes": pupil_classes.get(member.user_id, [])
            if member.kind == SchoolMember.Kind.STUDENT
            else taught_classes.get(member.user_id, []),
            "activated": queries.is_activated(member.user),
            "login": queries.login_of(member.user),
        }
        for member in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "learning/schools/people.html",
        {"school": school, "form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


# --- Classes ---------------------------------------------------------------------------------


def class_detail(request: HttpRequest, class_id: int) -> HttpResponse:
    school_class = _class(class_id)
    _require(request, "learning.view_class", school_class)
    access = access_for(request.user)
    staff_view = school_class.pk in access.taught or school_class.school_id in access.staff_school_ids
    pupils = queries.class_pupils(school_class) if staff_view else []
    return render(
        request,
        "learning/schools/class_detail.html",
        {
            "school_class": school_class,
            "teachings": queries.class_teachings(school_class),
            "staff_view": staff_view,
            "manage": school_class.school_id in access.staff_school_ids,
            "teacher_view": school_class.pk in access.taught,
            "pupils": [
                {"user": user, "activated": queries.is_activated(user), "login": queries.login_of(user)}
                for user in pupils
            ],
        },
    )


@require_http_methods(["GET", "POST"])
def class_create(request: HttpRequest, uai: str) -> HttpResponse:
    school = _school(uai)
    _require(request, "learning.manage_school", school)
    form = ClassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            school_class = services.class_create(
                actor=request.user,
                school=school,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                level=form.cleaned_data["level"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("« %(name)s » est créée.") % {"name": school_class.name})
            if school_class.kind == SchoolClass.Kind.GROUP:
                return redirect("learning:class_members", class_id=school_class.pk)
            return redirect("learning:class_detail", class_id=school_class.pk)
    return render(request, "learning/schools/class_form.html", {"school": school, "form": form, "school_class": None})


@require_http_methods(["GET", "POST"])
def class_edit(request: HttpRequest, class_id: int) -> HttpResponse:
    school_class = _class(class_id)
    _require(request, "learning.manage_school", school_class)
    initial = {"name": school_class.name, "level": school_class.level}
    form = ClassForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.class_update(
                actor=request.user,
                school_class=school_class,
                name=form.cleaned_data["name"],
                level=form.cleaned_data["level"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Les changements sont enregistrés."))
            return redirect("learning:class_detail", class_id=school_class.pk)
    return render(
        request,
        "learning/schools/class_form.html",
        {"school": school_class.school, "form": form, "school_class": school_class},
    )


@require_POST
def class_delete(request: HttpRequest, class_id: int) -> HttpResponse:
    school_class = _class(class_id)
    _require(request, "learning.manage_school", school_class)
    try:
        services.class_delete(actor=request.user, school_class=school_class)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("learning:class_detail", class_id=school_class.pk)
    messages.success(request, _("« %(name)s » est supprimée.") % {"name": school_class.name})
    return redirect("learning:school", uai=school_class.school.uai)


@require_http_methods(["GET", "POST"])
def class_members(request: HttpRequest, class_id: int) -> HttpResponse:
    school_class = _class(class_id)
    _require(request, "learning.manage_school", school_class)
    school = school_class.school
    user_model = get_user_model()
    pupil_ids = queries.active_members(school).filter(kind=SchoolMember.Kind.STUDENT).values("user_id")
    form = MembersForm(request.POST or None, pupils=user_model.objects.filter(pk__in=pupil_ids))
    if request.method == "POST" and form.is_valid():
        try:
            change = services.group_members_set(
                actor=request.user, group=school_class, students=form.cleaned_data["students"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Élèves enregistrés : %(added)s ajouté(s), %(removed)s retiré(s).")
                % {"added": change.added, "removed": change.removed},
            )
            return redirect("learning:class_detail", class_id=school_class.pk)
    if form.is_bound:
        checked = {str(value) for value in request.POST.getlist("students")}
    else:
        checked = {str(pk) for pk in school_class.enrolments.values_list("student_id", flat=True)}
    pupils = queries.school_pupils(school, school_class.year)
    sections: dict[str, list[dict[str, Any]]] = {}
    for pupil in pupils:
        pupil["checked"] = str(pupil["user"].pk) in checked
        sections.setdefault(pupil["class_name"] or _("Sans classe cette année"), []).append(pupil)
    return render(
        request,
        "learning/schools/class_members.html",
        {
            "school_class": school_class,
            "form": form,
            "sections": sorted(sections.items()),
            "count": len(pupils),
        },
    )


# --- Year rollover -----------------------------------------------------------------------------


def _rollover_years(school: School) -> tuple[SchoolYear, SchoolYear]:
    """From this year to the next; after 1 September, when this year has no class yet but
    the last one has, from last year to this one."""
    year = queries.current_year()
    if not SchoolClass.objects.filter(school=school, year=year).exists():
        previous = queries.previous_year(year)
        if SchoolClass.objects.filter(school=school, year=previous).exists():
            return previous, year
    return year, queries.next_year(year)


@require_http_methods(["GET", "POST"])
def rollover(request: HttpRequest, uai: str) -> HttpResponse:
    school = _school(uai)
    _require(request, "learning.manage_school", school)
    from_year, to_year = _rollover_years(school)
    plan = services.rollover_preview(school, from_year, to_year)
    form = RolloverForm(request.POST or None, rows=plan.rows)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.rollover_apply(
                actor=request.user, school=school, to_year=to_year, promotions=form.promotions(), from_year=from_year
            )
        except ValidationError as exc:
            errors = exc.messages
        except NotAllowed:
            raise
        else:
            messages.success(
                request,
                _(
                    "Passage en %(year)s fait : %(classes)s classe(s) créée(s), %(moved)s élève(s) inscrit(s), "
                    "%(leavers)s départ(s)."
                )
                % {
                    "year": to_year.label,
                    "classes": result.classes_created,
                    "moved": result.pupils_moved,
                    "leavers": result.leavers,
                },
            )
            return redirect("learning:school", uai=school.uai)
    return render(
        request,
        "learning/schools/rollover.html",
        {"school": school, "plan": plan, "form": form, "errors": errors, "rows": form.bound_rows()},
    )


# --- A pupil ------------------------------------------------------------------------------------


def student_detail(request: HttpRequest, student_id: int) -> HttpResponse:
    student = get_object_or_404(
        get_user_model()
        .objects.select_related("ent_account")
        .filter(school_members__kind=SchoolMember.Kind.STUDENT)
        .distinct(),  # a pupil who changed school is a member of two
        pk=student_id,
    )
    user = request.user
    if not (teaches_student.test(user, student) or is_staff_of_student.test(user, student)):
        raise PermissionDenied(_("Vous n'avez pas accès à cette page."))
    return render(
        request,
        "learning/schools/student_detail.html",
        {
            "student": student,
            "activated": queries.is_activated(student),
            "enrolments": queries.student_enrolments(student),
            "parents": queries.student_parents(student),
            "memberships": queries.student_schools(student),
            "login": student.ent_account.login if hasattr(student, "ent_account") else "",
            "may_reset": user.has_perm("learning.reset_password", student),
        },
    )


urlpatterns = [
    path("etablissements/", schools, name="schools"),
    path("etablissements/<str:uai>/", school, name="school"),
    path("etablissements/<str:uai>/personnel/", staff, name="staff"),
    path("etablissements/<str:uai>/personnel/<int:member_id>/retirer/", staff_remove, name="staff_remove"),
    path("etablissements/<str:uai>/personnes/", school_people, name="school_people"),
    path("etablissements/<str:uai>/classes/nouvelle/", class_create, name="class_create"),
    path("etablissements/<str:uai>/rentree/", rollover, name="rollover"),
    path("classes/<int:class_id>/", class_detail, name="class_detail"),
    path("classes/<int:class_id>/modifier/", class_edit, name="class_edit"),
    path("classes/<int:class_id>/eleves/", class_members, name="class_members"),
    path("classes/<int:class_id>/supprimer/", class_delete, name="class_delete"),
    path("eleves/<int:student_id>/", student_detail, name="student_detail"),
]
