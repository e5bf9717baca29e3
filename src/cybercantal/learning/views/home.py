"""Part "home": everyone's ENT home page, a parent's page per child, the family's export.

Who may use each page:
- ``home`` (``/ent/``): anyone signed in. It shows what applies to the person: a pupil's
  homework, exercises and lessons; a teacher's classes, attempts to grade and latest
  results; a parent's children; school staff's schools; the programme team's schools list.
  Someone with no place in the ENT is told how to get one (activation letter).
- ``child`` (``/ent/enfants/<id>/``): a parent of that pupil (``learning.view_student`` and
  a parent link), read only.
- ``student_export`` (``/ent/eleves/<id>/export/``): ``learning.export_student_data`` — the
  pupil, their parents, the school's staff. GET shows what is in it, POST downloads the ZIP.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from cybercantal.accounts.decorators import permission_required_for_object

from ..access import access_for
from ..models import SchoolClass
from ..queries import home as queries
from ..queries import homework as homework_queries
from ..services import home as services

User = get_user_model()


def _student(request: HttpRequest, student_id: int, **kwargs: object) -> object:
    return get_object_or_404(User, pk=student_id, is_active=True)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    context = queries.home_for(request.user)
    context["can_manage_schools"] = request.user.has_perm("learning.manage_schools")
    context["today"] = timezone.localdate()
    return render(request, "learning/home/home.html", context)


@require_safe
@permission_required_for_object("learning.view_student", _student)
def child(request: HttpRequest, student_id: int, obj: object) -> HttpResponse:
    access = access_for(request.user)
    if obj.pk not in access.child_ids:  # type: ignore[attr-defined]
        raise PermissionDenied(_("Cette page est celle des parents de l'élève."))
    class_ids = access.child_class_ids.get(obj.pk, frozenset())  # type: ignore[attr-defined]
    today = timezone.localdate()
    return render(
        request,
        "learning/home/child.html",
        {
            "child": obj,
            "classes": list(
                SchoolClass.objects.filter(pk__in=class_ids).select_related("school").order_by("kind", "name")
            ),
            "homework": homework_queries.homework_due(class_ids=class_ids, student=obj, start=today, days=21),
            "exercises": queries.open_exercises(obj, class_ids),
            "results": queries.recent_results(obj, limit=20),
            "lessons": queries.latest_lessons(class_ids, limit=10),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required_for_object("learning.export_student_data", _student)
def student_export(request: HttpRequest, student_id: int, obj: object) -> HttpResponse:
    if request.method == "POST":
        content = services.student_data_export(actor=request.user, student=obj)  # type: ignore[arg-type]
        full_name = obj.get_full_name()  # type: ignore[attr-defined]
        name = slugify(f"cartable {full_name} {timezone.localdate():%Y-%m-%d}") or "cartable"
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
        response["Cache-Control"] = "private, no-store"
        return response
    return render(request, "learning/home/export.html", {"student": obj})


urlpatterns = [
    path("", home, name="home"),
    path("enfants/<int:student_id>/", child, name="child"),
    path("eleves/<int:student_id>/export/", student_export, name="student_export"),
]
