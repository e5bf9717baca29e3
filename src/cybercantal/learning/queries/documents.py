"""Reads of part "documents": a folder's content, the path to it, the folders one may move
something into, the figures of a space."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from ..models import Document, DocumentSpace, Folder


class _Stub:
    def __init__(self, pk: int) -> None:
        self.pk = pk


@dataclass(frozen=True)
class FolderChoice:
    pk: int | None
    label: str  # "Ressources / 5e B / Fractions"


def tree(space: DocumentSpace) -> dict[int, tuple[int | None, str]]:
    """Every folder of the space: id -> (parent id, name). One query (a space has few)."""
    return {
        pk: (parent_id, name)
        for pk, parent_id, name in Folder.objects.filter(space=space).values_list("pk", "parent_id", "name")
    }


def path_to(folder: Folder | _Stub | None, folders: dict[int, tuple[int | None, str]]) -> list[tuple[int, str]]:
    """The folders from the top of the space down to ``folder`` (included)."""
    path: list[tuple[int, str]] = []
    current = folder.pk if folder is not None else None
    seen: set[int] = set()
    while current is not None and current in folders and current not in seen:
        seen.add(current)
        parent, name = folders[current]
        path.append((current, name))
        current = parent
    return path[::-1]


def folder_choices(
    folders: dict[int, tuple[int | None, str]], *, excluding: set[int] | None = None
) -> list[FolderChoice]:
    """Where something may go: the top of the space, then every folder by its path."""
    excluding = excluding or set()
    choices = []
    for pk in folders:
        if pk in excluding:
            continue
        names = [name for _pk, name in path_to(_Stub(pk), folders)]
        choices.append(FolderChoice(pk, " / ".join(names)))
    choices.sort(key=lambda choice: choice.label.casefold())
    return [FolderChoice(None, "Racine de mon espace"), *choices]


def subfolders(space: DocumentSpace, folder: Folder | None) -> QuerySet[Folder]:
    return (
        Folder.objects.filter(space=space, parent=folder)
        .annotate(document_count=Count("documents", distinct=True), folder_count=Count("children", distinct=True))
        .order_by("name")
    )


def documents_in(space: DocumentSpace, folder: Folder | None) -> QuerySet[Document]:
    return Document.objects.filter(space=space, folder=folder).order_by("name", "pk")


def document_of(document_id: int) -> Document | None:
    return Document.objects.select_related("space", "folder").filter(pk=document_id).first()


def folder_of(folder_id: int) -> Folder | None:
    return Folder.objects.select_related("space", "parent").filter(pk=folder_id).first()


def percent_used(space: DocumentSpace) -> int:
    if not space.quota_bytes:
        return 100
    return min(100, round(100 * space.used_bytes / space.quota_bytes))
