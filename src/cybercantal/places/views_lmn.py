"""LMN import (two steps: upload and preview, then confirm) and the public LMN exports.

The uploaded file is kept between the two steps in the person's own session (compressed,
size-bounded), under a random token: another person cannot use it, and a token is imported at
most once (``lmn.lmn_import`` checks the journal under a lock), so a double click or a second
tab does not import twice. The import itself is recomputed from the file at the confirm step:
what the database holds then is what counts.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import zlib
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_safe

from . import lmn

SESSION_KEY = "lmn_imports"
# At most this many uploads wait in a session; the oldest goes first.
MAX_PENDING = 3
# Largest compressed content kept in a session, all pending uploads together (a 25 MB CSV
# compresses to a few MB). The session is read on every request of that person: beyond this,
# the oldest pending uploads are forgotten.
MAX_STORED_BYTES = 8 * 1024 * 1024
# Lines shown on the preview (the counts cover every line).
MAX_LINES_SHOWN = 500


class UploadForm(forms.Form):
    fichier = forms.FileField(
        label=_lazy("Fichier des lieux (CSV ou JSON)"),
        help_text=_lazy(
            "Un fichier au schéma national des lieux de médiation numérique v1.0.2 : CSV en UTF-8 "
            "(séparateur virgule ou point-virgule, valeurs multiples séparées par « | ») ou JSON. "
            "25 Mo et 50 000 lieux au plus."
        ),
    )

    def clean_fichier(self) -> Any:
        upload = self.cleaned_data["fichier"]
        if upload.size > lmn.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("Le fichier est trop volumineux (%(max)s Mo au plus) : découpez-le en plusieurs fichiers.")
                % {"max": lmn.MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        content = upload.read(lmn.MAX_UPLOAD_BYTES + 1)
        try:
            self.parsed = lmn.parse_file(content, filename=upload.name or "")
        except lmn.FileError as exc:
            raise forms.ValidationError(exc.message) from exc
        self.content = content
        return upload


def _check_permission(request: HttpRequest) -> None:
    if not request.user.has_perm("places.import_lmn"):
        raise PermissionDenied(_("L'import LMN est réservé aux chargés de programme et aux administrateurs."))


def _pending(request: HttpRequest) -> dict[str, dict[str, Any]]:
    return dict(request.session.get(SESSION_KEY, {}))


def _store(request: HttpRequest, *, name: str, content: bytes, file_format: str) -> str:
    packed = zlib.compress(content, level=6)
    if len(packed) > MAX_STORED_BYTES:
        raise lmn.FileError(_("Le fichier est trop volumineux pour être importé en une fois : découpez-le."))
    token = secrets.token_urlsafe(24)
    pending = _pending(request)

    def stored_bytes() -> int:
        return sum(len(entry["payload"]) * 3 // 4 for entry in pending.values())

    while pending and (len(pending) >= MAX_PENDING or stored_bytes() + len(packed) > MAX_STORED_BYTES):
        oldest = min(pending, key=lambda key: pending[key]["created"])
        del pending[oldest]
    pending[token] = {
        "name": name[:200],
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "format": file_format,
        "created": timezone.now().isoformat(),
        "payload": base64.b64encode(packed).decode("ascii"),
        "result": None,
    }
    request.session[SESSION_KEY] = pending
    return token


def _load(entry: dict[str, Any]) -> lmn.ParsedFile:
    content = zlib.decompress(base64.b64decode(entry["payload"]))
    return lmn.parse_file(content, filename=entry["name"])


def _entry(request: HttpRequest, token: str) -> dict[str, Any] | None:
    return _pending(request).get(token) if token else None


def _line_rows(plan: lmn.ImportPlan, *, limit: int = MAX_LINES_SHOWN) -> list[dict[str, Any]]:
    """One row per problem (line, id, column, value, message), for the report table."""
    rows: list[dict[str, Any]] = []
    for line in plan.invalid_lines:
        for error in line.errors or [lmn.RowError("", _("Ligne refusée."))]:
            rows.append(
                {
                    "line": line.line,
                    "lmn_id": line.lmn_id,
                    "column": error.column,
                    "value": error.value,
                    "message": error.message,
                }
            )
            if len(rows) >= limit:
                return rows
    return rows


def _change_rows(plan: lmn.ImportPlan, *, limit: int = MAX_LINES_SHOWN) -> list[dict[str, Any]]:
    labels = {lmn.Action.CREATE: _("Création"), lmn.Action.UPDATE: _("Mise à jour")}
    rows = []
    for line in plan.lines:
        if line.action in labels:
            rows.append(
                {
                    "line": line.line,
                    "lmn_id": line.lmn_id,
                    "name": line.name,
                    "action": labels[line.action],
                    "fields": ", ".join(sorted(line.fields)) if line.action == lmn.Action.UPDATE else "",
                    "notes": " ".join(line.notes),
                }
            )
            if len(rows) >= limit:
                break
    return rows


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Programme managers and administrators (permission ``places.import_lmn``): import an LMN file.

    GET: the upload form, or (``?jeton=``) the preview / the result of one upload.
    POST ``etape=envoyer``: read and check the file, keep it, show the preview.
    POST ``etape=importer`` / ``importer_valides`` / ``annuler`` with ``jeton``: act on it.
    """
    _check_permission(request)
    token = request.POST.get("jeton") or request.GET.get("jeton") or ""
    step = request.POST.get("etape", "")
    if request.method == "POST" and step in {"importer", "importer_valides", "annuler"}:
        return _confirm(request, token, step)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["fichier"]
            try:
                token = _store(request, name=upload.name or "", content=form.content, file_format=form.parsed.format)
            except lmn.FileError as exc:
                form.add_error("fichier", exc.message)
            else:
                return redirect(f"{reverse('places:import')}?jeton={token}")
        return render(request, "places/lmn_import.html", {"form": form}, status=400)
    entry = _entry(request, token)
    if token and entry is None:
        messages.warning(request, _("Ce fichier n'est plus en attente : envoyez-le à nouveau."))
        return redirect("places:import")
    if entry is None:
        return render(request, "places/lmn_import.html", {"form": UploadForm()})
    if entry["result"] is not None:
        return render(request, "places/lmn_import_result.html", {"entry": entry, "result": entry["result"]})
    return _preview(request, token, entry)


def _preview(request: HttpRequest, token: str, entry: dict[str, Any], *, status: int = 200) -> HttpResponse:
    try:
        parsed = _load(entry)
    except lmn.FileError as exc:  # pragma: no cover - the file was read once already
        messages.error(request, exc.message)
        return redirect("places:import")
    plan = lmn.lmn_plan(parsed.rows)
    counts = plan.counts
    valid = counts["created"] + counts["updated"] + counts["unchanged"]
    context = {
        "token": token,
        "entry": entry,
        "parsed": parsed,
        "counts": counts,
        "total": len(plan.lines),
        "has_errors": plan.has_errors,
        "can_import_valid": plan.has_errors and valid > 0,
        "error_rows": _line_rows(plan),
        "error_count": sum(len(line.errors) or 1 for line in plan.invalid_lines),
        "change_rows": _change_rows(plan),
        "max_lines": MAX_LINES_SHOWN,
    }
    return render(request, "places/lmn_import_preview.html", context, status=status)


def _confirm(request: HttpRequest, token: str, step: str) -> HttpResponse:
    entry = _entry(request, token)
    if step == "annuler" and (
        (entry is not None and entry["result"] is not None) or (entry is None and lmn.already_imported(token))
    ):
        messages.warning(request, _("Ce fichier a déjà été importé : il n'y a plus rien à annuler."))
        return redirect(f"{reverse('places:import')}?jeton={token}" if entry is not None else reverse("places:import"))
    if step == "annuler":
        pending = _pending(request)
        pending.pop(token, None)
        request.session[SESSION_KEY] = pending
        messages.info(request, _("Import annulé : rien n'a été enregistré."))
        return redirect("places:import")
    if entry is None:
        if token and lmn.already_imported(token):
            messages.info(request, _("Ce fichier a déjà été importé : rien n'a été refait."))
        else:
            messages.warning(request, _("Ce fichier n'est plus en attente : envoyez-le à nouveau."))
        return redirect("places:import")
    if entry["result"] is not None:
        messages.info(request, _("Ce fichier a déjà été importé : rien n'a été refait."))
        return redirect(f"{reverse('places:import')}?jeton={token}")
    mode = lmn.ImportMode.VALID_ONLY if step == "importer_valides" else lmn.ImportMode.ALL
    parsed = _load(entry)
    try:
        result = lmn.lmn_import(
            actor=request.user,
            rows=parsed.rows,
            mode=mode,
            token=token,
            filename=entry["name"],
            file_format=parsed.format,
        )
    except lmn.AlreadyImportedError:
        messages.info(request, _("Ce fichier a déjà été importé : rien n'a été refait."))
        return redirect(f"{reverse('places:import')}?jeton={token}")
    except lmn.ImportRefusedError:
        messages.error(
            request,
            _("Le fichier contient des erreurs : rien n'a été importé. Corrigez-les ou importez les lignes valides."),
        )
        return _preview(request, token, entry, status=400)
    pending = _pending(request)
    done = dict(entry, payload="", result={"counts": result.counts, "mode": mode, "errors": _line_rows(result.plan)})
    pending[token] = done
    request.session[SESSION_KEY] = pending
    messages.success(request, _("Import terminé."))
    return redirect(f"{reverse('places:import')}?jeton={token}")


# --- Exports ---------------------------------------------------------------------------------------
# Public open data: anyone may download them, signed in or not, so they are not journalled
# (the journal records exports of personal data, which these files are not).


# Bytes gathered before a chunk is sent: one write per ~150 places rather than one per place.
STREAM_BUFFER_BYTES = 64 * 1024


def _buffered(parts: Iterator[str]) -> Iterator[bytes]:
    buffer: list[bytes] = []
    size = 0
    for part in parts:
        data = part.encode("utf-8")
        buffer.append(data)
        size += len(data)
        if size >= STREAM_BUFFER_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


def _streaming(parts: Iterator[str], *, content_type: str, extension: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_buffered(parts), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{lmn.export_filename(extension)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_not_required
@require_safe
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Everyone: every published place as a CSV file of the national LMN schema v1.0.2."""
    return _streaming(lmn.iter_csv(lmn.export_rows()), content_type="text/csv; charset=utf-8", extension="csv")


@login_not_required
@require_safe
def export_json(request: HttpRequest) -> StreamingHttpResponse:
    """Everyone: every published place as JSON objects of the national LMN schema v1.0.2."""
    return _streaming(
        lmn.iter_json(lmn.export_rows()), content_type="application/json; charset=utf-8", extension="json"
    )
