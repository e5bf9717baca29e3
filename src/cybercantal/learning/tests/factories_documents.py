"""Helpers of the documents tests: put a real file in someone's space."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from cybercantal.core.tests import samples

from ..models import Document, Folder
from ..services import documents as services


def upload(user: Any, content: bytes | None = None, name: str = "fiche.pdf", folder: Folder | None = None) -> Document:
    space = services.space_for(user)
    file = SimpleUploadedFile(name, content if content is not None else samples.pdf(), content_type="application/pdf")
    return services.document_upload(actor=user, space=space, folder=folder, file=file)


def folder(user: Any, name: str = "Maths", parent: Folder | None = None) -> Folder:
    return services.folder_create(actor=user, space=services.space_for(user), parent=parent, name=name)
