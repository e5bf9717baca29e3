"""Part "courses": courses of a class in a subject, their ordered lessons, the lessons'
documents and links.

Who may use each page:
- ``courses`` (``/ent/cours/``): any signed-in person; each sees their own sections: a
  pupil the published courses of their classes (by subject, newest lessons first), a parent
  those of the child they pick, a teacher the courses of the classes they teach (drafts
  too) with "Nouveau cours" per class, school staff the courses of their school. Others
  see an empty page with an explanation;
- ``course``, ``lesson``: ``learning.view_course`` on the course / the lesson (the class's
  pupils and their parents when published — for a lesson, when both the course and the
  lesson are —, the class's teachers and the school's staff always);
- ``lesson_resource`` (``/ent/cours/ressources/<id>/``): ``learning.view_course`` on the
  resource's lesson; documents only (a link is followed directly);
- ``course_create``: ``learning.edit_course`` on the class (a teacher of the class) and the
  subject must be one they teach there (the service checks it);
- ``course_edit``, ``course_publish``, ``course_delete``, ``lesson_create``, ``lesson_edit``,
  ``lesson_publish``, ``lesson_move``, ``lesson_delete``, ``resource_add``,
  ``resource_move``, ``resource_delete``: ``learning.edit_course`` on the course (its class's
  teachers in its subject). Every write is a POST; the service checks again.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors
from cybercantal.core.forms import plausible_key

from .. import richtext
from ..access import access_for
from ..forms.courses import (
    CourseCreateForm,
    CourseForm,
    DocumentResourceForm,
    LessonCreateForm,
    LessonForm,
    LinkResourceForm,
    MoveForm,
    UploadResourceForm,
)
from ..models import Course, Lesson, LessonResource, SchoolClass, Subject
from ..queries import courses as queries
from ..services import courses as services

PAGE_SIZE = 40


def _course(request: HttpRequest, course_id: int, **kwargs: Any) -> Course:
    course = queries.course_by_id(course_id) if plausible_key(course_id) else None
    if course is None:
        raise Http404(_("Ce cours n'existe pas."))
    return course


def _lesson(request: HttpRequest, course_id: int, lesson_id: int, **kwargs: Any) -> Lesson:
    course = _course(request, course_id)
    lesson = queries.lesson_by_id(course, lesson_id) if plausible_key(lesson_id) else None
    if lesson is None:
        raise Http404(_("Cette leçon n'existe pas."))
    return lesson


def _resource(request: HttpRequest, resource_id: int, **kwargs: Any) -> LessonResource:
    resource = queries.resource_by_id(resource_id) if plausible_key(resource_id) else None
    if resource is None:
        raise Http404(_("Cette ressource n'existe pas."))
    return resource


def _class(request: HttpRequest, class_id: int, **kwargs: Any) -> SchoolClass:
    if not plausible_key(class_id):
        raise Http404(_("Cette classe n'existe pas."))
    return get_object_or_404(SchoolClass.objects.select_related("school", "year"), pk=class_id)


def _resource_lesson(request: HttpRequest, resource_id: int, **kwargs: Any) -> Lesson:
    return _resource(request, resource_id).lesson


view_course = permission_required_for_object("learning.view_course", _course)
view_lesson = permission_required_for_object("learning.view_course", _lesson)
edit_course = permission_required_for_object("learning.edit_course", _course)
edit_lesson = permission_required_for_object("learning.edit_course", _lesson)


def _done(request: HttpRequest, message: str, target: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(target)


def _refused(request: HttpRequest, exc: ValidationError, target: str) -> HttpResponse:
    messages.error(request, " ".join(exc.messages))
    return redirect(target)


# --- lists ----------------------------------------------------------------------------------------


@require_GET
def courses(request: HttpRequest) -> HttpResponse:
    """Everyone signed in: the sections that match who they are in the ENT."""
    user = request.user
    access = access_for(user)
    context: dict[str, Any] = dict.fromkeys(("student_page", "child_page", "teacher_page", "staff_page", "child"))
    for key in ("student_groups", "student_newest", "children", "child_groups", "child_newest", "teacher_classes"):
        context[key] = []
    context["teacher_groups"] = context["staff_groups"] = []
    page_number = request.GET.get("page")

    if access.class_ids:
        page = Paginator(queries.published_courses(access.class_ids), PAGE_SIZE).get_page(page_number)
        context["student_page"] = page
        context["student_groups"] = queries.by_subject(page.object_list)
        context["student_newest"] = queries.newest_lessons(access.class_ids)

    if access.child_ids:
        kids = queries.children(user)
        chosen = kids[0] if len(kids) == 1 else None
        wanted = request.GET.get("eleve", "")
        for kid in kids:
            if wanted == str(kid.pk):
                chosen = kid
        context["children"] = kids
        context["child"] = chosen
        if chosen is not None:
            class_ids = access.child_class_ids.get(chosen.pk, frozenset())
            page = Paginator(queries.published_courses(class_ids), PAGE_SIZE).get_page(page_number)
            context["child_page"] = page
            context["child_groups"] = queries.by_subject(page.object_list)
            context["child_newest"] = queries.newest_lessons(class_ids)

    if access.taught:
        context["teacher_classes"] = queries.teacher_classes(user)
        page = Paginator(queries.managed_courses(access.taught_class_ids), PAGE_SIZE).get_page(page_number)
        context["teacher_page"] = page
        context["teacher_groups"] = queries.by_class(page.object_list)

    if access.staff_school_ids and not access.taught:
        page = Paginator(queries.managed_courses(queries.staff_class_ids(user)), PAGE_SIZE).get_page(page_number)
        context["staff_page"] = page
        context["staff_groups"] = queries.by_class(page.object_list)

    return render(request, "learning/courses/list.html", context)


# --- a course -----------------------------------------------------------------------------------


@view_course
@require_GET
def course(request: HttpRequest, course_id: int, obj: Course) -> HttpResponse:
    """The course's lessons in order; for its teachers, the editing controls."""
    drafts = queries.sees_drafts(request.user, obj)
    return render(
        request,
        "learning/courses/course.html",
        {
            "course": obj,
            "lessons": queries.course_lessons(obj, drafts=drafts),
            "drafts": drafts,
            "can_edit": request.user.has_perm("learning.edit_course", obj),
            "summary": richtext.render(obj.summary),
        },
    )


def _subjects_taught(request: HttpRequest, school_class: SchoolClass) -> list[Subject]:
    ids = access_for(request.user).taught.get(school_class.pk, frozenset())
    return list(Subject.objects.filter(pk__in=ids).order_by("name"))


@permission_required_for_object("learning.edit_course", _class)
@require_http_methods(["GET", "POST"])
def course_create(request: HttpRequest, class_id: int, obj: SchoolClass) -> HttpResponse:
    """The class's teachers: a new course (a draft) in a subject they teach there."""
    subjects = _subjects_taught(request, obj)
    form = CourseCreateForm(request.POST or None, subjects=subjects)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.course_create(actor=request.user, school_class=obj, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("subject", str(exc))
        else:
            return _done(
                request,
                _("Le cours « %(title)s » est créé (brouillon) : ajoutez-lui des leçons.") % {"title": created.title},
                reverse("learning:course", args=[created.pk]),
            )
    return render(
        request,
        "learning/courses/course_form.html",
        {"form": form, "school_class": obj, "course": None},
        status=400 if form.errors else 200,
    )


@edit_course
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, course_id: int, obj: Course) -> HttpResponse:
    if request.method == "POST":
        form = CourseForm(request.POST)
        if form.is_valid():
            try:
                services.course_update(actor=request.user, course=obj, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _done(request, _("Le cours est enregistré."), reverse("learning:course", args=[obj.pk]))
    else:
        form = CourseForm(initial={"title": obj.title, "summary": obj.summary})
    return render(
        request,
        "learning/courses/course_form.html",
        {"form": form, "school_class": obj.school_class, "course": obj},
        status=400 if form.errors else 200,
    )


@edit_course
@require_POST
def course_publish(request: HttpRequest, course_id: int, obj: Course) -> HttpResponse:
    target = reverse("learning:course", args=[obj.pk])
    if request.POST.get("action") == "unpublish":
        services.course_unpublish(actor=request.user, course=obj)
        return _done(request, _("Le cours est repassé en brouillon : les élèves ne le voient plus."), target)
    services.course_publish(actor=request.user, course=obj)
    return _done(request, _("Le cours est publié : les élèves voient ses leçons publiées."), target)


@edit_course
@require_http_methods(["GET", "POST"])
def course_delete(request: HttpRequest, course_id: int, obj: Course) -> HttpResponse:
    if request.method == "POST":
        title = obj.title
        services.course_delete(actor=request.user, course=obj)
        return _done(request, _("Le cours « %(title)s » est supprimé.") % {"title": title}, reverse("learning:courses"))
    return render(
        request,
        "learning/courses/confirm_delete.html",
        {"course": obj, "lesson": None, "lesson_count": obj.lessons.count()},
    )


# --- lessons ------------------------------------------------------------------------------------


@edit_course
@require_http_methods(["GET", "POST"])
def lesson_create(request: HttpRequest, course_id: int, obj: Course) -> HttpResponse:
    form = LessonCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lesson = services.lesson_create(actor=request.user, course=obj, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _done(
                request,
                _("La leçon « %(title)s » est enregistrée. Vous pouvez lui ajouter des documents et des liens.")
                % {"title": lesson.title},
                reverse("learning:lesson_edit", args=[obj.pk, lesson.pk]),
            )
    return render(
        request,
        "learning/courses/lesson_form.html",
        {"form": form, "course": obj, "lesson": None},
        status=400 if form.errors else 200,
    )


@view_lesson
@require_GET
def lesson(request: HttpRequest, course_id: int, lesson_id: int, obj: Lesson) -> HttpResponse:
    """The lesson: its text, its documents embedded, its links; previous and next."""
    course = obj.course
    drafts = queries.sees_drafts(request.user, course)
    previous, following = queries.neighbours(obj, drafts=drafts)
    return render(
        request,
        "learning/courses/lesson.html",
        {
            "course": course,
            "lesson": obj,
            "body": richtext.render(obj.body),
            "resources": queries.lesson_resources(obj),
            "previous": previous,
            "next": following,
            "can_edit": request.user.has_perm("learning.edit_course", course),
        },
    )


def _lesson_edit_page(
    request: HttpRequest, lesson: Lesson, *, form: LessonForm | None = None, status: int = 200, **forms: Any
) -> HttpResponse:
    documents = queries.own_documents(request.user)
    context = {
        "course": lesson.course,
        "lesson": lesson,
        "form": form or LessonForm(initial={"title": lesson.title, "body": lesson.body}),
        "resources": queries.lesson_resources(lesson),
        "document_form": forms.get("document_form") or DocumentResourceForm(documents=documents),
        "upload_form": forms.get("upload_form") or UploadResourceForm(),
        "link_form": forms.get("link_form") or LinkResourceForm(),
        "has_documents": documents.exists(),
        "uploads_enabled": services_documents_ready(),
    }
    return render(request, "learning/courses/lesson_form.html", context, status=status)


def services_documents_ready() -> bool:
    """Uploading straight into a lesson needs the documents part's upload service."""
    try:
        from ..services import documents
    except ImportError:
        return False
    return hasattr(documents, "document_upload")


@edit_lesson
@require_http_methods(["GET", "POST"])
def lesson_edit(request: HttpRequest, course_id: int, lesson_id: int, obj: Lesson) -> HttpResponse:
    if request.method == "POST":
        form = LessonForm(request.POST)
        if form.is_valid():
            try:
                services.lesson_update(actor=request.user, lesson=obj, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _done(
                    request, _("La leçon est enregistrée."), reverse("learning:lesson", args=[course_id, lesson_id])
                )
        return _lesson_edit_page(request, obj, form=form, status=400)
    return _lesson_edit_page(request, obj)


@edit_lesson
@require_POST
def lesson_publish(request: HttpRequest, course_id: int, lesson_id: int, obj: Lesson) -> HttpResponse:
    target = request.POST.get("next") == "lesson" and reverse("learning:lesson", args=[course_id, lesson_id])
    target = target or reverse("learning:course", args=[course_id])
    if request.POST.get("action") == "unpublish":
        services.lesson_unpublish(actor=request.user, lesson=obj)
        return _done(request, _("La leçon « %(title)s » est repassée en brouillon.") % {"title": obj.title}, target)
    services.lesson_publish(actor=request.user, lesson=obj)
    if obj.course.status != Course.Status.PUBLISHED:
        return _done(
            request,
            _("La leçon « %(title)s » est publiée ; les élèves la verront quand le cours sera publié.")
            % {"title": obj.title},
            target,
        )
    return _done(
        request, _("La leçon « %(title)s » est publiée : les élèves la voient.") % {"title": obj.title}, target
    )


@edit_lesson
@require_POST
def lesson_move(request: HttpRequest, course_id: int, lesson_id: int, obj: Lesson) -> HttpResponse:
    target = reverse("learning:course", args=[course_id]) + f"#lecon-{obj.pk}"
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez une position (un nombre à partir de 1)."))
        return redirect(target)
    try:
        moved = services.lesson_move(
            actor=request.user,
            lesson=obj,
            direction=form.cleaned_data["direction"] or None,
            position=form.cleaned_data["position"],
        )
    except ValidationError as exc:
        return _refused(request, exc, target)
    return _done(
        request,
        _("La leçon « %(title)s » est maintenant en position %(position)s.")
        % {"title": moved.title, "position": moved.position},
        target,
    )


@edit_lesson
@require_http_methods(["GET", "POST"])
def lesson_delete(request: HttpRequest, course_id: int, lesson_id: int, obj: Lesson) -> HttpResponse:
    if request.method == "POST":
        try:
            services.lesson_delete(actor=request.user, lesson=obj)
        except ValidationError as exc:
            return _refused(request, exc, reverse("learning:course", args=[course_id]))
        return _done(
            request,
            _("La leçon « %(title)s » est supprimée.") % {"title": obj.title},
            reverse("learning:course", args=[course_id]),
        )
    return render(request, "learning/courses/confirm_delete.html", {"course": obj.course, "lesson": obj})


# --- resources ----------------------------------------------------------------------------------


@edit_lesson
@require_POST
def resource_add(request: HttpRequest, course_id: int, lesson_id: int, kind: str, obj: Lesson) -> HttpResponse:
    """Add a document of my space, an uploaded file, or a link; errors next to the fields."""
    target = reverse("learning:lesson_edit", args=[course_id, lesson_id]) + "#ressources"
    forms: dict[str, Any] = {}
    try:
        if kind == "document":
            form: Any = DocumentResourceForm(request.POST, documents=queries.own_documents(request.user))
            forms["document_form"] = form
            if form.is_valid():
                services.resource_add_document(
                    actor=request.user,
                    lesson=obj,
                    document=form.cleaned_data["document"],
                    title=form.cleaned_data["title"],
                )
                return _done(request, _("Le document est ajouté à la leçon."), target)
        elif kind == "fichier":
            form = UploadResourceForm(request.POST, request.FILES)
            forms["upload_form"] = form
            if not services_documents_ready():
                form.add_error(
                    None, _("Le dépôt de fichiers n'est pas encore ouvert : utilisez votre espace de documents.")
                )
            elif form.is_valid():
                services.resource_add_upload(
                    actor=request.user, lesson=obj, file=form.cleaned_data["file"], title=form.cleaned_data["title"]
                )
                return _done(request, _("Le fichier est rangé dans votre espace et ajouté à la leçon."), target)
        elif kind == "lien":
            form = LinkResourceForm(request.POST)
            forms["link_form"] = form
            if form.is_valid():
                services.resource_add_link(actor=request.user, lesson=obj, **form.cleaned_data)
                return _done(request, _("Le lien est ajouté à la leçon."), target)
        else:
            raise Http404(_("Type de ressource inconnu."))
    except ValidationError as exc:
        add_service_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    return _lesson_edit_page(request, obj, status=400, **forms)


def _resource_target(resource: LessonResource) -> str:
    return reverse("learning:lesson_edit", args=[resource.lesson.course_id, resource.lesson_id]) + "#ressources"


edit_resource = permission_required_for_object("learning.edit_course", _resource_lesson, pass_object=False)


@edit_resource
@require_POST
def resource_move(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = _resource(request, resource_id)
    form = MoveForm(request.POST)
    target = _resource_target(resource)
    if not form.is_valid():
        messages.error(request, _("Indiquez une position (un nombre à partir de 1)."))
        return redirect(target)
    try:
        moved = services.resource_move(
            actor=request.user,
            resource=resource,
            direction=form.cleaned_data["direction"] or None,
            position=form.cleaned_data["position"],
        )
    except ValidationError as exc:
        return _refused(request, exc, target)
    return _done(
        request,
        _("« %(title)s » est maintenant en position %(position)s.")
        % {"title": moved.title, "position": moved.position},
        target,
    )


@edit_resource
@require_POST
def resource_delete(request: HttpRequest, resource_id: int) -> HttpResponse:
    resource = _resource(request, resource_id)
    target = _resource_target(resource)
    try:
        services.resource_delete(actor=request.user, resource=resource)
    except ValidationError as exc:
        return _refused(request, exc, target)
    return _done(
        request,
        _("« %(title)s » est retiré de la leçon (un document reste dans votre espace).") % {"title": resource.title},
        target,
    )


@permission_required_for_object("learning.view_course", _resource_lesson, pass_object=False)
@require_GET
@xframe_options_sameorigin
def lesson_resource(request: HttpRequest, resource_id: int) -> HttpResponse:
    """The file of a lesson's document, inline (embedded in the lesson page), with ranges."""
    resource = _resource(request, resource_id)
    if resource.kind != LessonResource.Kind.DOCUMENT or resource.document is None:
        raise Http404(_("Cette ressource n'est pas un fichier."))
    inline = "telecharger" not in request.GET
    response = serve(request, resource.document, inline=inline)
    if inline:
        # The lesson page embeds PDFs in a frame: allowed from this site only (the documents
        # part's policy forbids every frame, right for its own downloads).
        response["X-Frame-Options"] = "SAMEORIGIN"
        policy = response.get("Content-Security-Policy", "")
        if "frame-ancestors" in policy:
            response["Content-Security-Policy"] = policy.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
        else:
            response["Content-Security-Policy"] = (
                f"{policy}; frame-ancestors 'self'" if policy else "frame-ancestors 'self'"
            )
    return cast(HttpResponse, response)  # a FileResponse / StreamingHttpResponse


def serve(request: HttpRequest, document: Any, *, inline: bool) -> HttpResponseBase:
    try:
        from .documents import serve_document
    except ImportError:  # the documents part not there yet: whole file, no ranges
        from cybercantal.core.uploads import serve as serve_file

        return serve_file(document.file, content_type=document.content_type, filename=document.name, inline=inline)
    return serve_document(request, document, inline=inline)


urlpatterns = [
    path("cours/", courses, name="courses"),
    path("cours/ressources/<int:resource_id>/", lesson_resource, name="lesson_resource"),
    path("cours/ressources/<int:resource_id>/deplacer/", resource_move, name="resource_move"),
    path("cours/ressources/<int:resource_id>/supprimer/", resource_delete, name="resource_delete"),
    path("classes/<int:class_id>/cours/nouveau/", course_create, name="course_create"),
    path("cours/<int:course_id>/", course, name="course"),
    path("cours/<int:course_id>/modifier/", course_edit, name="course_edit"),
    path("cours/<int:course_id>/publier/", course_publish, name="course_publish"),
    path("cours/<int:course_id>/supprimer/", course_delete, name="course_delete"),
    path("cours/<int:course_id>/lecons/nouvelle/", lesson_create, name="lesson_create"),
    path("cours/<int:course_id>/lecons/<int:lesson_id>/", lesson, name="lesson"),
    path("cours/<int:course_id>/lecons/<int:lesson_id>/modifier/", lesson_edit, name="lesson_edit"),
    path("cours/<int:course_id>/lecons/<int:lesson_id>/publier/", lesson_publish, name="lesson_publish"),
    path("cours/<int:course_id>/lecons/<int:lesson_id>/deplacer/", lesson_move, name="lesson_move"),
    path("cours/<int:course_id>/lecons/<int:lesson_id>/supprimer/", lesson_delete, name="lesson_delete"),
    path("cours/<int:course_id>/lecons/<int:lesson_id>/ressources/<str:kind>/", resource_add, name="resource_add"),
]
