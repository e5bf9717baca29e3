"""Uploaded files are checked by what they contain, never by their name, and served only
through views that have checked who is asking.

``check_upload(file, kinds=..., max_bytes=...)`` reads the first bytes (magic numbers, with
``puremagic``), then opens the file with the library made for its kind (``pypdf`` for PDF,
Pillow for images): a file named ``devis.pdf`` that is a renamed executable, a truncated PDF
or an image that does not decode is refused with a French message. The detected type, not
the browser's, is what gets stored and served.

``serve(file_field, filename=...)``: a ``FileResponse`` with the stored content type,
``Content-Disposition`` (attachment unless inline is asked for a type a browser shows
safely), ``X-Content-Type-Options: nosniff`` and a sandboxing CSP.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from typing import IO, Any

import puremagic
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    name: str  # "pdf", "jpeg", "png", "webp"
    content_type: str
    extension: str
    label: str  # for messages: "PDF", "JPEG"...


KINDS: dict[str, Kind] = {
    "pdf": Kind("pdf", "application/pdf", ".pdf", "PDF"),
    "jpeg": Kind("jpeg", "image/jpeg", ".jpg", "JPEG"),
    "png": Kind("png", "image/png", ".png", "PNG"),
    "webp": Kind("webp", "image/webp", ".webp", "WebP"),
}
PDF_OR_IMAGE = ("pdf", "jpeg", "png", "webp")
IMAGE_KINDS = frozenset({"jpeg", "png", "webp"})

# Magic numbers checked first (exact, cheap); puremagic for what they do not cover.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "pdf"),
    (b"\xff\xd8\xff", 0, "jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
)


@dataclass(frozen=True)
class CheckedUpload:
    kind: Kind
    size: int
    sha256: str
    original_name: str


def _detect(head: bytes) -> str | None:
    for signature, offset, name in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    for match in matches:
        mime = getattr(match, "mime_type", "") or ""
        for kind in KINDS.values():
            if mime == kind.content_type:
                return kind.name
    return None


def _size(file: Any) -> int:
    size = getattr(file, "size", None)
    if size is not None:
        return int(size)
    position = file.tell()
    file.seek(0, io.SEEK_END)
    end = file.tell()
    file.seek(position)
    return int(end)


def _allowed_labels(kinds: tuple[str, ...] | list[str]) -> str:
    labels = [KINDS[k].label for k in kinds]
    if len(labels) == 1:
        return labels[0]
    return _("%(first)s ou %(last)s") % {"first": ", ".join(labels[:-1]), "last": labels[-1]}


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",").replace(",0", "")


def check_upload(
    file: IO[bytes] | Any, *, kinds: tuple[str, ...] | list[str] = PDF_OR_IMAGE, max_bytes: int
) -> CheckedUpload:
    """Check ``file`` (an ``UploadedFile`` or any binary file object). Raises ``ValidationError``
    with a French message; returns the detected kind, size and SHA-256 otherwise. The file is
    left at position 0."""
    name = str(getattr(file, "name", "") or "fichier")
    size = _size(file)
    if size == 0:
        raise ValidationError(_("Le fichier « %(name)s » est vide.") % {"name": name}, code="empty")
    if size > max_bytes:
        raise ValidationError(
            _("Le fichier « %(name)s » pèse %(size)s Mo : le maximum est %(max)s Mo.")
            % {"name": name, "size": _megabytes(size), "max": _megabytes(max_bytes)},
            code="too_big",
        )
    file.seek(0)
    head = file.read(2048)
    detected = _detect(head)
    if detected is None or detected not in kinds:
        raise ValidationError(
            _("Le fichier « %(name)s » n'est pas un fichier %(allowed)s (son contenu a été vérifié, pas son nom).")
            % {"name": name, "allowed": _allowed_labels(kinds)},
            code="wrong_type",
        )
    file.seek(0)
    digest = hashlib.sha256()
    data = bytearray()
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
        data.extend(chunk)
    file.seek(0)
    _open_fully(bytes(data), detected, name)
    return CheckedUpload(kind=KINDS[detected], size=size, sha256=digest.hexdigest(), original_name=name[:200])


def _open_fully(data: bytes, kind: str, name: str) -> None:
    """Open the file with the library made for its kind: a damaged file is refused now, not
    when an instructor tries to read it."""
    damaged = ValidationError(
        _("Le fichier « %(name)s » est abîmé ou illisible : enregistrez-le à nouveau puis réessayez.") % {"name": name},
        code="damaged",
    )
    if kind == "pdf":
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise ValidationError(
                    _("Le fichier « %(name)s » est protégé par un mot de passe : envoyez une version sans protection.")
                    % {"name": name},
                    code="encrypted",
                )
            if len(reader.pages) == 0:
                raise damaged
        except ValidationError:
            raise
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
            logger.info("damaged pdf refused", extra={"error": type(exc).__name__})
            raise damaged from exc
        return
    if kind in IMAGE_KINDS:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise damaged from exc


def safe_filename(name: str, kind: Kind) -> str:
    """A download name: the person's name without path or odd characters, the right extension."""
    from django.utils.text import get_valid_filename

    base = name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0][:80] or "document"
    try:
        base = get_valid_filename(base)
    except Exception:  # noqa: BLE001 - SuspiciousFileOperation for names such as ".."
        base = "document"
    return f"{base}{kind.extension}"


def serve(file_field: Any, *, content_type: str, filename: str, inline: bool = False) -> FileResponse:
    """Stream a stored private file. The caller has checked the permission."""
    handle = file_field.open("rb")
    response = FileResponse(handle, content_type=content_type, as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response["Cache-Control"] = "private, no-store"
    return response
