"""Part "documents": each person's document space, and ``serve_document``, the one way any
part of the ENT sends a stored file.

Who may use each page:

- ``documents`` (``documents/``) and ``folder`` (``documents/dossiers/<id>/``): a person of a
  collège — student, teacher or school staff (``access_for(user).school_ids()``); their own
  space only (``learning.manage_document`` on the folder). Parents have no space (403 with
  a sentence saying where their children's documents are); a person of no collège: 403.
- ``document_upload``, ``folder_create`` (POST): the same people, into their own space.
- ``document`` (``documents/<id>/``, the page that shows or plays it), ``document_download``
  (``documents/<id>/<name>``), ``document_rename``, ``document_move``, ``document_delete``,
  ``folder_rename``, ``folder_move``, ``folder_delete``: ``learning.manage_document`` on the
  object — its owner only. Anyone else gets a 403 and never the file; an object that does not
  exist is a 404; anonymous people are sent to the sign-in page.

A document reaches other people only through a lesson or a homework: those parts check
their own permission, then call ``serve_document``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.core.forms import plausible_key

from ..access import access_for
from ..forms.documents import MoveForm, NameForm, UploadForm
from ..models import Document, DocumentSpace, Folder
from ..queries import documents as queries
from ..services import documents as services

PAGE_SIZE = 50
CHUNK = 64 * 1024
PERMISSION = "learning.manage_document"

# --- serve_document ----------------------------------------------------------------------------

SANDBOX_CSP = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
# Chromium refuses to show a PDF under a sandbox CSP ("blocked by Chrome"): a PDF gets a
# strict policy without it; its viewer runs apart from our pages anyway.
PDF_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
_RANGE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


def serve_document(
    request: HttpRequest, document: Document, *, inline: bool, filename: str | None = None
) -> HttpResponseBase:
    """Send ``document``'s file. THE CONTRACT for every part of the ENT:

    - The caller has checked the permission (who may read this document here). This
      function checks nothing about the person: it only builds the response.
    - ``Content-Type`` is the type stored when the content was checked (never the browser's);
      ``X-Content-Type-Options: nosniff``; a sandboxing ``Content-Security-Policy`` (PDFs:
      a strict one without ``sandbox``, which Chromium's viewer cannot run under);
      ``Cross-Origin-Resource-Policy: same-origin``; ``Cache-Control: private, no-cache``.
    - ``Content-Disposition``: ``inline`` only if asked **and** the kind is one a browser
      shows (PDF, image, sound, video), ``attachment`` otherwise; the file name is given as
      an ASCII ``filename=`` and an RFC 6266/5987 ``filename*=UTF-8''…`` (``filename`` or the
      document's name with the extension of what it really is).
    - ``ETag`` (the SHA-256 of the content) and ``Last-Modified`` (stored files never change):
      ``If-None-Match`` (or, without it, ``If-Modified-Since``) answers 304.
    - ``Accept-Ranges: bytes``. One range ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` answers
      206 with ``Content-Range``; a range that starts past the end (or ``bytes=-0``) answers
      416 with ``Content-Range: bytes */size``; several ranges, a malformed header, or an
      ``If-Range`` that no longer matches answer 200 with the whole file.
    - The body is streamed by pieces, never read whole into memory; ``HEAD`` sends the
      headers only. With the filesystem storage a whole file goes through ``FileResponse``
      (the server's sendfile); with another storage (S3 through django-storages) the file is
      opened and read from the range's start (``seek``).
    - Methods other than GET and HEAD are the caller's business (views use
      ``require_GET``, which allows HEAD).
    """
    kind = services.kind_of(document)
    size = int(document.size)
    etag = f'"{document.sha256}"'
    last_modified = http_date(document.created_at.timestamp())
    name = filename or services.download_name(document)
    inline = inline and kind.inline

    def headers(response: HttpResponseBase) -> HttpResponseBase:
        response["ETag"] = etag
        response["Last-Modified"] = last_modified
        response["Accept-Ranges"] = "bytes"
        response["Cache-Control"] = "private, no-cache"
        response["X-Content-Type-Options"] = "nosniff"
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        response["Content-Security-Policy"] = PDF_CSP if kind.family == "pdf" else SANDBOX_CSP
        return response

    if _not_modified(request, etag, document):
        return headers(HttpResponseNotModified())

    byte_range = _requested_range(request, size, etag, document)
    if byte_range == "unsatisfiable":
        response = HttpResponse(status=HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
        response["Content-Range"] = f"bytes */{size}"
        return headers(response)

    start, end = byte_range if isinstance(byte_range, tuple) else (0, size - 1)
    length = max(0, end - start + 1)
    disposition = _content_disposition(name, inline=inline)
    if request.method == "HEAD":
        response = HttpResponse(content_type=document.content_type)
    elif byte_range is None and _is_local(document):
        response = FileResponse(
            document.file.storage.open(document.file.name, "rb"), content_type=document.content_type
        )
    else:
        response = StreamingHttpResponse(_stream(document, start, length), content_type=document.content_type)
    if isinstance(byte_range, tuple):
        response.status_code = HTTPStatus.PARTIAL_CONTENT
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Content-Disposition"] = disposition
    return headers(response)


def _is_local(document: Document) -> bool:
    try:
        document.file.storage.path(document.file.name)
    except NotImplementedError:
        return False
    return True


def _stream(document: Document, start: int, length: int) -> Iterator[bytes]:
    """``length`` bytes from ``start``, by pieces; the file is closed at the end or when the
    client goes away (the generator is closed)."""
    handle = document.file.storage.open(document.file.name, "rb")
    try:
        if start:
            handle.seek(start)
        left = length
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [value.strip() for value in header.split(",")]
    return "*" in candidates or any(value.removeprefix("W/") == etag for value in candidates)


def _not_modified(request: HttpRequest, etag: str, document: Document) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, etag)
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(document.created_at.timestamp()) <= since


def _requested_range(request: HttpRequest, size: int, etag: str, document: Document) -> tuple[int, int] | str | None:
    """(first, last) byte of a satisfiable single range, "unsatisfiable", or None (whole)."""
    header = request.headers.get("Range", "")
    if request.method != "GET" or not header or size == 0:
        return None
    if_range = request.headers.get("If-Range")
    if if_range is not None:
        if if_range.startswith(('"', "W/")):
            if if_range.strip() != etag:
                return None
        else:
            since = parse_http_date_safe(if_range)
            if since is None or int(document.created_at.timestamp()) > since:
                return None
    unit, _sep, ranges = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in ranges:
        return None  # another unit, or several ranges: the whole file (RFC 9110 allows it)
    match = _RANGE.match(ranges)
    if match is None or (match[1] == "" and match[2] == ""):
        return None
    if len(match[1]) > 18 or len(match[2]) > 18:
        return "unsatisfiable" if match[1] and len(match[1]) > 18 else None
    if match[1] == "":  # suffix: the last n bytes
        suffix = int(match[2])
        if suffix == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size - 1
    first = int(match[1])
    last = int(match[2]) if match[2] else size - 1
    if match[2] and last < first:
        return None  # invalid: ignored
    if first >= size:
        return "unsatisfiable"
    return first, min(last, size - 1)


def _content_disposition(name: str, *, inline: bool) -> str:
    """RFC 6266: an ASCII fallback and the UTF-8 name (RFC 8187)."""
    ascii_name = "".join(
        ch if ch.isascii() else "_" for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)
    )
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()-]+", "_", ascii_name).strip(" .") or "document"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


# --- Helpers of the pages ----------------------------------------------------------------------


def _require_ent_person(request: HttpRequest) -> None:
    access = access_for(request.user)
    if access.school_ids():
        return
    if access.is_parent:
        raise PermissionDenied(
            _(
                "Les parents n’ont pas d’espace de documents : les documents donnés à vos enfants sont dans "
                "leurs cours et leurs devoirs."
            )
        )
    raise PermissionDenied(
        _("L’espace de documents est réservé aux élèves, aux enseignants et aux personnels des collèges.")
    )


def _document(request: HttpRequest, document_id: Any) -> Document:
    if not plausible_key(document_id):
        raise Http404
    document = queries.document_of(int(document_id))
    if document is None:
        raise Http404
    if not request.user.has_perm(PERMISSION, document):
        raise PermissionDenied(_("Ce document n’est pas dans votre espace."))
    return document


def _folder(request: HttpRequest, folder_id: Any) -> Folder:
    if not plausible_key(folder_id):
        raise Http404
    folder = queries.folder_of(int(folder_id))
    if folder is None:
        raise Http404
    if not request.user.has_perm(PERMISSION, folder):
        raise PermissionDenied(_("Ce dossier n’est pas dans votre espace."))
    return folder


def _folder_url(folder_id: int | None) -> str:
    return reverse("learning:folder", args=[folder_id]) if folder_id else reverse("learning:documents")


def _message_of(error: ValidationError) -> str:
    return " ".join(error.messages)


def _space_page(
    request: HttpRequest,
    space: DocumentSpace,
    folder: Folder | None,
    *,
    upload_form: UploadForm | None = None,
    folder_form: NameForm | None = None,
    status: int = 200,
) -> HttpResponse:
    folders = queries.tree(space)
    page = Paginator(queries.documents_in(space, folder), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "space": space,
        "folder": folder,
        "path": queries.path_to(folder, folders),
        "subfolders": queries.subfolders(space, folder),
        "page": page,
        "documents": [(document, services.download_name(document)) for document in page],
        "upload_form": upload_form or UploadForm(),
        "folder_form": folder_form or NameForm(label=_("Nom du nouveau dossier"), auto_id="id_folder_%s"),
        "percent": queries.percent_used(space),
        "free_bytes": max(0, space.quota_bytes - space.used_bytes),
        "max_file_bytes": min(services.max_file_bytes(), space.quota_bytes),
        "upload_url": reverse("learning:document_upload"),
    }
    return render(request, "learning/documents/space.html", context, status=status)


# --- Pages -------------------------------------------------------------------------------------


@require_GET
def space_home(request: HttpRequest) -> HttpResponse:
    _require_ent_person(request)
    return _space_page(request, services.space_for(request.user), None)


@require_GET
def folder_detail(request: HttpRequest, folder_id: int) -> HttpResponse:
    _require_ent_person(request)
    folder = _folder(request, folder_id)
    return _space_page(request, folder.space, folder)


def _target_folder(request: HttpRequest, space: DocumentSpace) -> Folder | None:
    raw = request.POST.get("dossier", "")
    if not raw:
        return None
    folder = _folder(request, raw)
    if folder.space_id != space.pk:
        raise PermissionDenied(_("Ce dossier n’est pas dans votre espace."))
    return folder


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
def document_upload(request: HttpRequest) -> HttpResponse:
    _require_ent_person(request)
    space = services.space_for(request.user)
    folder = _target_folder(request, space)
    form = UploadForm(request.POST, request.FILES)
    sent: list[str] = []
    errors: list[str] = []
    if form.is_valid():
        for upload in form.cleaned_data["files"]:
            try:
                document = services.document_upload(actor=request.user, space=space, folder=folder, file=upload)
            except ValidationError as error:
                errors.append(_message_of(error))
            else:
                sent.append(document.name)
    else:
        errors.extend(form.errors.get("files", []))
    back = _folder_url(folder.pk if folder else None)
    for name in sent:  # shown on the next page, with or without the script
        messages.success(request, _("« %(name)s » est enregistré dans votre espace.") % {"name": name})
    if _wants_json(request):
        return JsonResponse(
            {"sent": sent, "errors": errors, "redirect": back}, status=200 if sent or not errors else 400
        )
    if errors:
        if form.is_valid():  # the files were there; what the service said goes next to the field
            for error in errors:
                form.add_error("files", error)
        space.refresh_from_db()
        return _space_page(request, space, folder, upload_form=form, status=400 if not sent else 200)
    return redirect(back)


@require_http_methods(["GET", "POST"])
def folder_create(request: HttpRequest) -> HttpResponse:
    _require_ent_person(request)
    space = services.space_for(request.user)
    parent = _target_folder(request, space) if request.method == "POST" else None
    if request.method == "GET" and request.GET.get("dossier"):
        parent = _folder(request, request.GET["dossier"])
    form = NameForm(request.POST or None, label=_("Nom du nouveau dossier"))
    if request.method == "POST" and form.is_valid():
        try:
            folder = services.folder_create(
                actor=request.user, space=space, parent=parent, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            _add_errors(form, error, "name")
        else:
            messages.success(request, _("Le dossier « %(name)s » est créé.") % {"name": folder.name})
            return redirect(_folder_url(parent.pk if parent else None))
    return render(
        request,
        "learning/documents/form.html",
        {
            "form": form,
            "title": _("Nouveau dossier"),
            "submit": _("Créer le dossier"),
            "back_url": _folder_url(parent.pk if parent else None),
            "hidden_folder": parent.pk if parent else None,
        },
        status=400 if form.errors else 200,
    )


def _add_errors(form: Any, error: ValidationError, default_field: str) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else default_field, errors)
    else:
        form.add_error(default_field, error.messages)


@require_GET
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    document = _document(request, document_id)
    name = services.download_name(document)
    folders = queries.tree(document.space)
    return render(
        request,
        "learning/documents/document.html",
        {
            "document": document,
            "kind": services.kind_of(document),
            "path": queries.path_to(document.folder, folders),
            "download_name": name,
            "uses": services.uses_of([document]),
        },
    )


@require_GET
def document_download(request: HttpRequest, document_id: int, name: str) -> HttpResponseBase:
    document = _document(request, document_id)
    return serve_document(request, document, inline=request.GET.get("telecharger") != "1")


@require_http_methods(["GET", "POST"])
def document_rename(request: HttpRequest, document_id: int) -> HttpResponse:
    document = _document(request, document_id)
    form = NameForm(request.POST or None, initial={"name": document.name}, label=_("Nouveau nom du document"))
    if request.method == "POST" and form.is_valid():
        try:
            services.document_rename(actor=request.user, document=document, name=form.cleaned_data["name"])
        except ValidationError as error:
            _add_errors(form, error, "name")
        else:
            messages.success(request, _("Le document s’appelle maintenant « %(name)s ».") % {"name": document.name})
            return redirect("learning:document", document.pk)
    return render(
        request,
        "learning/documents/form.html",
        {
            "form": form,
            "title": _("Renommer « %(name)s »") % {"name": document.name},
            "submit": _("Renommer"),
            "back_url": reverse("learning:document", args=[document.pk]),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def document_move(request: HttpRequest, document_id: int) -> HttpResponse:
    document = _document(request, document_id)
    choices = queries.folder_choices(queries.tree(document.space))
    form = MoveForm(request.POST or None, choices=choices, initial={"destination": document.folder_id or "racine"})
    if request.method == "POST" and form.is_valid():
        target = form.folder_id()
        try:
            folder = _folder(request, target) if target else None
            services.document_move(actor=request.user, document=document, folder=folder)
        except ValidationError as error:
            _add_errors(form, error, "destination")
        else:
            messages.success(request, _("« %(name)s » est rangé à sa nouvelle place.") % {"name": document.name})
            return redirect(_folder_url(target))
    return render(
        request,
        "learning/documents/form.html",
        {
            "form": form,
            "title": _("Déplacer « %(name)s »") % {"name": document.name},
            "submit": _("Déplacer"),
            "back_url": reverse("learning:document", args=[document.pk]),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def document_delete(request: HttpRequest, document_id: int) -> HttpResponse:
    document = _document(request, document_id)
    uses = services.uses_of([document])
    error = ""
    if request.method == "POST":
        back = _folder_url(document.folder_id)
        try:
            services.document_delete(actor=request.user, document=document)
        except ValidationError as exc:
            error = _message_of(exc)
            uses = services.uses_of([document])
        else:
            messages.success(request, _("« %(name)s » est supprimé.") % {"name": document.name})
            return redirect(back)
    return render(
        request,
        "learning/documents/delete.html",
        {
            "title": _("Supprimer « %(name)s »") % {"name": document.name},
            "object_name": document.name,
            "document": document,
            "uses": uses,
            "error": error,
            "back_url": reverse("learning:document", args=[document.pk]),
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def folder_rename(request: HttpRequest, folder_id: int) -> HttpResponse:
    folder = _folder(request, folder_id)
    form = NameForm(request.POST or None, initial={"name": folder.name}, label=_("Nouveau nom du dossier"))
    if request.method == "POST" and form.is_valid():
        try:
            services.folder_rename(actor=request.user, folder=folder, name=form.cleaned_data["name"])
        except ValidationError as error:
            _add_errors(form, error, "name")
        else:
            messages.success(request, _("Le dossier s’appelle maintenant « %(name)s ».") % {"name": folder.name})
            return redirect("learning:folder", folder.pk)
    return render(
        request,
        "learning/documents/form.html",
        {
            "form": form,
            "title": _("Renommer le dossier « %(name)s »") % {"name": folder.name},
            "submit": _("Renommer"),
            "back_url": reverse("learning:folder", args=[folder.pk]),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def folder_move(request: HttpRequest, folder_id: int) -> HttpResponse:
    folder = _folder(request, folder_id)
    folders = queries.tree(folder.space)
    excluded = services.subtree_ids(folder)
    form = MoveForm(
        request.POST or None,
        choices=queries.folder_choices(folders, excluding=excluded),
        initial={"destination": folder.parent_id or "racine"},
    )
    if request.method == "POST":
        # A folder inside this one is not offered; posted anyway, the service says why.
        form.fields["destination"].choices = [
            *form.fields["destination"].choices,
            *[(str(pk), folders[pk][1]) for pk in excluded],
        ]
    if request.method == "POST" and form.is_valid():
        target = form.folder_id()
        try:
            parent = _folder(request, target) if target else None
            services.folder_move(actor=request.user, folder=folder, parent=parent)
        except ValidationError as error:
            _add_errors(form, error, "destination")
        else:
            messages.success(
                request, _("Le dossier « %(name)s » est rangé à sa nouvelle place.") % {"name": folder.name}
            )
            return redirect("learning:folder", folder.pk)
    return render(
        request,
        "learning/documents/form.html",
        {
            "form": form,
            "title": _("Déplacer le dossier « %(name)s »") % {"name": folder.name},
            "submit": _("Déplacer"),
            "back_url": reverse("learning:folder", args=[folder.pk]),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def folder_delete(request: HttpRequest, folder_id: int) -> HttpResponse:
    folder = _folder(request, folder_id)
    ids = services.subtree_ids(folder)
    contained = Document.objects.filter(folder_id__in=ids)
    error = ""
    if request.method == "POST":
        back = _folder_url(folder.parent_id)
        try:
            count = services.folder_delete(actor=request.user, folder=folder)
        except ValidationError as exc:
            error = _message_of(exc)
        else:
            messages.success(
                request,
                _("Le dossier « %(name)s » est supprimé, avec %(count)s document(s).")
                % {"name": folder.name, "count": count},
            )
            return redirect(back)
    return render(
        request,
        "learning/documents/delete.html",
        {
            "title": _("Supprimer le dossier « %(name)s »") % {"name": folder.name},
            "object_name": folder.name,
            "folder": folder,
            "document_count": contained.count(),
            "folder_count": len(ids) - 1,
            "uses": services.uses_of(list(contained)),
            "error": error,
            "back_url": reverse("learning:folder", args=[folder.pk]),
        },
        status=400 if error else 200,
    )


urlpatterns = [
    path("documents/", space_home, name="documents"),
    path("documents/envoyer/", document_upload, name="document_upload"),
    path("documents/dossiers/nouveau/", folder_create, name="folder_create"),
    path("documents/dossiers/<int:folder_id>/", folder_detail, name="folder"),
    path("documents/dossiers/<int:folder_id>/renommer/", folder_rename, name="folder_rename"),
    path("documents/dossiers/<int:folder_id>/deplacer/", folder_move, name="folder_move"),
    path("documents/dossiers/<int:folder_id>/supprimer/", folder_delete, name="folder_delete"),
    path("documents/<int:document_id>/", document_detail, name="document"),
    path("documents/<int:document_id>/renommer/", document_rename, name="document_rename"),
    path("documents/<int:document_id>/deplacer/", document_move, name="document_move"),
    path("documents/<int:document_id>/supprimer/", document_delete, name="document_delete"),
    path("documents/<int:document_id>/<str:name>", document_download, name="document_download"),
]
