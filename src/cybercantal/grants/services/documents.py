"""Files of a dossier: checked by content and size (``core.uploads``), kept in the private
storage under a random name, served only through ``views`` that check the permission."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction

from cybercantal.core import journal
from cybercantal.core.uploads import PDF_OR_IMAGE, check_upload

from ..models import Application, Document


def max_upload_bytes() -> int:
    return int(getattr(settings, "GRANTS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))


@transaction.atomic
def document_store(
    *, actor: Any, application: Application, file: Any, kind: str, kinds: tuple[str, ...] = PDF_OR_IMAGE
) -> Document:
    """Check ``file`` and keep it. Raises ``ValidationError`` (French) for a file that is empty,
    too big, not of an allowed kind or damaged; nothing is stored then."""
    checked = check_upload(file, kinds=kinds, max_bytes=max_upload_bytes())
    document = Document(
        application=application,
        kind=kind,
        original_name=checked.original_name,
        content_type=checked.kind.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    stored_name = f"{secrets.token_hex(16)}{checked.kind.extension}"
    document.file.save(stored_name, File(file), save=False)
    document.save()
    journal.record(actor=actor, action="grants.document.stored", target=application, data={"kind": kind})
    return document
