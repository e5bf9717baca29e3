"""Part "documents": every person of a collège (student, teacher, school staff) has a
document space with folders and a quota.

Rules held here:

- a space is made on first use (``space_for``) with the quota of the person's school:
  ``School.teacher_quota_bytes`` for a teacher, ``student_quota_bytes`` for a student (the
  larger if the person is both somewhere), ``OTHER_QUOTA_BYTES`` for the others;
- a file is taken for what its content is (``core.uploads.check_upload`` with
  ``DOCUMENT_KINDS``), never for its name or the browser's type; one file weighs at most
  ``max_file_bytes()``;
- the quota holds under concurrent uploads: the file is written to the private storage
  first (outside any lock), then the ``DocumentSpace`` row is locked (``select_for_update``
  on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers), the room is checked,
  the document row is written and ``used_bytes`` raised in the same transaction; the
  database's check constraint ``documentspace_within_quota`` is the last guard, and its
  ``IntegrityError`` becomes the same French message. A refused upload removes its file;
- deleting a document or a folder frees the quota in the transaction and removes the files
  once it is committed; a document used by a lesson (``LessonResource.document``, PROTECT)
  or a homework (``Homework.attachments``) cannot be deleted: the message says where it is
  used;
- folders: a unique name per parent (without regard to case), no cycle when moving, at most
  ``MAX_DEPTH`` levels;
- names are cleaned: no path, no control or bidirectional-override characters (a
  ``facture\u202egpj.exe`` shows as what it is), at most the column's length.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import unicodedata
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.uploads import DOCUMENT_KINDS, KINDS, Kind, check_upload

from ..models import Document, DocumentSpace, Folder, SchoolMember

logger = logging.getLogger(__name__)

PERMISSION = "learning.manage_document"
# Quota of a person who is neither teacher nor student (school staff): enough for a few forms.
OTHER_QUOTA_BYTES = 100 * 1024 * 1024
# One file at most (a video recorded on a phone); ``LEARNING_DOCUMENT_MAX_BYTES`` overrides it.
DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_DEPTH = 8
# Control, format (bidirectional overrides, zero-width), surrogate and private-use characters.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co"})

KIND_BY_CONTENT_TYPE: dict[str, Kind] = {kind.content_type: kind for kind in KINDS.values()}


def human_size(size: int) -> str:
    """A size the French way, in the units people know: "850 octets", "7,9 ko", "200 Mo"."""
    size = int(size)
    if size < 1024:
        return _("%(n)s octets") % {"n": size} if size != 1 else _("1 octet")
    for unit, power in ((_("ko"), 1), (_("Mo"), 2), (_("Go"), 3)):
        value = size / 1024**power
        if value < 1024 or power == 3:
            text = f"{value:.1f}".replace(".", ",").removesuffix(",0")
            return f"{text}\u00a0{unit}"
    return str(size)  # pragma: no cover


def max_file_bytes() -> int:
    return int(getattr(settings, "LEARNING_DOCUMENT_MAX_BYTES", DEFAULT_MAX_FILE_BYTES))


def kind_of(document: Document) -> Kind:
    """The ``core.uploads`` kind a stored document was recognised as."""
    return KIND_BY_CONTENT_TYPE.get(document.content_type) or KINDS["pdf"]


# --- Names -------------------------------------------------------------------------------------


def clean_name(raw: str, *, max_length: int) -> str:
    """A name as people see it: the last part of a path, NFC, no control, format or
    bidirectional characters, spaces collapsed, no leading dots, at most ``max_length``
    characters (the extension kept when there is one)."""
    text = unicodedata.normalize("NFC", str(raw or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        " " if ch in "\t\n\r" else ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co"}
    )
    text = " ".join(text.split()).lstrip(". ")
    if len(text) > max_length:
        base, dot, extension = text.rpartition(".")
        if dot and base and 0 < len(extension) <= 5:
            text = base[: max_length - len(extension) - 1].rstrip() + "." + extension
        else:
            text = text[:max_length].rstrip()
    return text


def download_name(document: Document) -> str:
    """The document's name with the extension of what it really is."""
    kind = kind_of(document)
    name = document.name or "document"
    if not name.lower().endswith(kind.extensions):
        name = f"{name}{kind.extension}"
    return name


def _document_name(raw: str, kind: Kind) -> str:
    name = clean_name(raw, max_length=200)
    base, dot, extension = name.rpartition(".")
    if dot and base and f".{extension.lower()}" not in kind.extensions and len(extension) <= 5:
        # "chanson.mp3" that is a WAV: the name says what it is.
        name = clean_name(f"{base}{kind.extension}", max_length=200)
    elif not dot or not base:
        name = clean_name(f"{name or _('document')}{kind.extension}", max_length=200)
    return name


def _folder_name(raw: str) -> str:
    name = clean_name(raw, max_length=120)
    if not name:
        raise ValidationError({"name": _("Donnez un nom au dossier.")}, code="required")
    return name


# --- Spaces ------------------------------------------------------------------------------------


def default_quota(user: Any) -> int:
    """The quota of a new space: the teachers' quota of the person's school if they teach,
    else the pupils' if they are a pupil, else ``OTHER_QUOTA_BYTES`` (the largest when
    several schools apply)."""
    today = timezone.localdate()
    teacher: list[int] = []
    student: list[int] = []
    for kind, teacher_quota, student_quota in (
        SchoolMember.objects.filter(user=user)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=today))
        .values_list("kind", "school__teacher_quota_bytes", "school__student_quota_bytes")
    ):
        if kind == SchoolMember.Kind.TEACHER:
            teacher.append(teacher_quota)
        elif kind == SchoolMember.Kind.STUDENT:
            student.append(student_quota)
    if teacher:
        return max(teacher)
    if student:
        return max(student)
    return OTHER_QUOTA_BYTES


def space_for(user: Any) -> DocumentSpace:
    """The person's document space, made on first use (two first requests at once make one)."""
    space = DocumentSpace.objects.filter(owner=user).first()
    if space is not None:
        return space
    try:
        with transaction.atomic():
            space = DocumentSpace.objects.create(owner=user, quota_bytes=default_quota(user))
    except IntegrityError:
        return DocumentSpace.objects.get(owner=user)
    journal.record(
        actor=user, action="learning.document_space.created", target=space, data={"quota": space.quota_bytes}
    )
    return space


# --- Folders -----------------------------------------------------------------------------------


def _check_unique_folder(space: DocumentSpace, parent: Folder | None, name: str, *, exclude: int | None = None) -> None:
    siblings = Folder.objects.filter(space=space, parent=parent, name__iexact=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    if siblings.exists():
        raise ValidationError({"name": _duplicate_folder(name)}, code="duplicate")


def _duplicate_folder(name: str) -> str:
    return _("Un dossier « %(name)s » existe déjà à cet endroit : choisissez un autre nom.") % {"name": name}


def _too_deep() -> str:
    return _("Vous ne pouvez pas ranger plus de %(max)s dossiers les uns dans les autres.") % {"max": MAX_DEPTH}


def _depth(folder: Folder | None) -> int:
    depth = 0
    while folder is not None:
        depth += 1
        folder = folder.parent
    return depth


def _check_parent(space: DocumentSpace, parent: Folder | None) -> None:
    if parent is not None and parent.space_id != space.pk:
        raise ValidationError({"parent": _("Ce dossier n'est pas dans votre espace.")}, code="other_space")


def folder_create(*, actor: Any, space: DocumentSpace, parent: Folder | None, name: str) -> Folder:
    require_permission(actor, PERMISSION, space)
    _check_parent(space, parent)
    name = _folder_name(name)
    if _depth(parent) >= MAX_DEPTH:
        raise ValidationError(
            {
                "name": _("Vous ne pouvez pas ranger plus de %(max)s dossiers les uns dans les autres.")
                % {"max": MAX_DEPTH}
            }
        )
    _check_unique_folder(space, parent, name)
    try:
        with transaction.atomic():
            folder = Folder.objects.create(space=space, parent=parent, name=name)
            journal.record(actor=actor, action="learning.folder.created", target=folder)
    except IntegrityError as exc:
        raise ValidationError({"name": _duplicate_folder(name)}, code="duplicate") from exc
    return folder


def folder_rename(*, actor: Any, folder: Folder, name: str) -> Folder:
    require_permission(actor, PERMISSION, folder)
    name = _folder_name(name)
    if name == folder.name:
        return folder
    _check_unique_folder(folder.space, folder.parent, name, exclude=folder.pk)
    try:
        with transaction.atomic():
            Folder.objects.filter(pk=folder.pk).update(name=name)
            journal.record(actor=actor, action="learning.folder.renamed", target=folder, data={"from": folder.name})
    except IntegrityError as exc:
        raise ValidationError({"name": _duplicate_folder(name)}, code="duplicate") from exc
    folder.name = name
    return folder


def subtree_ids(folder: Folder) -> set[int]:
    """The folder and every folder inside it (one query: a space has few folders)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Folder.objects.filter(space_id=folder.space_id).values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(), [folder.pk]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


def _subtree_height(folder: Folder) -> int:
    parents: dict[int, int | None] = dict(
        Folder.objects.filter(space_id=folder.space_id).values_list("pk", "parent_id")
    )
    height = 1
    for pk in subtree_ids(folder):
        level, current = 1, pk  # type: int, int | None
        while current != folder.pk and current is not None:
            current = parents.get(current)
            level += 1
        height = max(height, level)
    return height


def folder_move(*, actor: Any, folder: Folder, parent: Folder | None) -> Folder:
    """Put ``folder`` into ``parent`` (None: at the top of the space); never into itself or
    one of its own folders."""
    require_permission(actor, PERMISSION, folder)
    if parent is not None:
        require_permission(actor, PERMISSION, parent)
        _check_parent(folder.space, parent)
        if parent.pk in subtree_ids(folder):
            raise ValidationError(
                {"parent": _("Un dossier ne peut pas être rangé dans lui-même ni dans l'un de ses sous-dossiers.")},
                code="cycle",
            )
    if (parent.pk if parent else None) == folder.parent_id:
        return folder
    if _depth(parent) + _subtree_height(folder) > MAX_DEPTH:
        raise ValidationError(
            {
                "parent": _("Vous ne pouvez pas ranger plus de %(max)s dossiers les uns dans les autres.")
                % {"max": MAX_DEPTH}
            }
        )
    _check_unique_folder(folder.space, parent, folder.name, exclude=folder.pk)
    try:
        with transaction.atomic():
            Folder.objects.filter(pk=folder.pk).update(parent=parent)
            journal.record(
                actor=actor,
                action="learning.folder.moved",
                target=folder,
                data={"parent": parent.pk if parent else None},
            )
    except IntegrityError as exc:
        raise ValidationError({"parent": _duplicate_folder(folder.name)}, code="duplicate") from exc
    folder.parent = parent
    return folder


def folder_delete(*, actor: Any, folder: Folder) -> int:
    """Delete the folder, its folders and their documents (none may be used by a lesson or
    a homework). Returns the number of documents deleted."""
    require_permission(actor, PERMISSION, folder)
    ids = subtree_ids(folder)
    documents = list(Document.objects.filter(folder_id__in=ids))
    used = uses_of(documents)
    if used:
        raise ValidationError(
            _(
                "Le dossier « %(name)s » contient des documents utilisés : %(uses)s. "
                "Retirez-les d'abord de ces endroits."
            )
            % {"name": folder.name, "uses": " ; ".join(used)},
            code="used",
        )
    _delete(actor=actor, space_id=folder.space_id, documents=documents, folder=folder)
    return len(documents)


# --- Documents ---------------------------------------------------------------------------------


def _quota_message(name: str, size: int, space: DocumentSpace) -> str:
    free = max(0, space.quota_bytes - space.used_bytes)
    return _(
        "Votre espace est plein : « %(name)s » pèse %(size)s et il reste %(free)s sur %(quota)s. "
        "Supprimez des documents dont vous n'avez plus besoin, puis réessayez."
    ) % {
        "name": name,
        "size": human_size(size),
        "free": human_size(free),
        "quota": human_size(space.quota_bytes),
    }


def _remove_file(storage: Any, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:  # pragma: no cover - a file already gone is not an error for the person
        logger.warning("ent file not removed", extra={"file": name})


def document_upload(
    *, actor: Any, space: DocumentSpace, folder: Folder | None, file: Any, name: str | None = None
) -> Document:
    """Check ``file`` by its content, store it in the private storage and record it in
    ``space`` (in ``folder``), within the quota. Raises ``ValidationError`` (French)."""
    require_permission(actor, PERMISSION, space)
    _check_parent(space, folder)
    checked = check_upload(file, kinds=DOCUMENT_KINDS, max_bytes=max_file_bytes())
    display = _document_name(name or checked.original_name, checked.kind)
    document = Document(
        space=space,
        folder=folder,
        name=display,
        kind=checked.kind.family,
        content_type=checked.kind.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    if space.used_bytes + checked.size > space.quota_bytes:  # cheap early answer, checked again below
        raise ValidationError(_quota_message(display, checked.size, space), code="quota")
    file.seek(0)
    # Written before the lock (slow I/O), under a random name: the person's name is not a path.
    document.file.save(f"{secrets.token_hex(16)}{checked.kind.extension}", file, save=False)
    stored = str(document.file.name)
    storage = document.file.storage
    try:
        with transaction.atomic():
            locked = lock_for_update(DocumentSpace.objects.filter(pk=space.pk)).get()
            if locked.used_bytes + checked.size > locked.quota_bytes:
                raise ValidationError(_quota_message(display, checked.size, locked), code="quota")
            document.save()
            DocumentSpace.objects.filter(pk=space.pk).update(used_bytes=F("used_bytes") + checked.size)
            journal.record(
                actor=actor,
                action="learning.document.uploaded",
                target=document,
                data={"size": checked.size, "type": checked.kind.name, "sha256": checked.sha256},
            )
    except IntegrityError as exc:
        _remove_file(storage, stored)
        if folder is not None and not Folder.objects.filter(pk=folder.pk).exists():
            raise ValidationError(_("Ce dossier vient d'être supprimé : choisissez-en un autre."), code="gone") from exc
        space.refresh_from_db(fields=["used_bytes", "quota_bytes"])
        raise ValidationError(_quota_message(display, checked.size, space), code="quota") from exc
    except BaseException:
        _remove_file(storage, stored)
        raise
    space.used_bytes = locked.used_bytes + checked.size
    return document


def document_rename(*, actor: Any, document: Document, name: str) -> Document:
    require_permission(actor, PERMISSION, document)
    cleaned = clean_name(name, max_length=200)
    if not cleaned:
        raise ValidationError({"name": _("Donnez un nom au document.")}, code="required")
    cleaned = _document_name(cleaned, kind_of(document))
    if cleaned != document.name:
        with transaction.atomic():
            Document.objects.filter(pk=document.pk).update(name=cleaned)
            journal.record(
                actor=actor, action="learning.document.renamed", target=document, data={"from": document.name}
            )
        document.name = cleaned
    return document


def document_move(*, actor: Any, document: Document, folder: Folder | None) -> Document:
    require_permission(actor, PERMISSION, document)
    if folder is not None:
        require_permission(actor, PERMISSION, folder)
        if folder.space_id != document.space_id:
            raise ValidationError({"folder": _("Ce dossier n'est pas dans votre espace.")}, code="other_space")
    with transaction.atomic():
        Document.objects.filter(pk=document.pk).update(folder=folder)
        journal.record(
            actor=actor,
            action="learning.document.moved",
            target=document,
            data={"folder": folder.pk if folder else None},
        )
    document.folder = folder
    return document


def uses_of(documents: Iterable[Document]) -> list[str]:
    """Where documents are used, as French phrases ("la leçon « … » du cours « … »")."""
    from django.utils.formats import date_format

    from ..models import Homework, LessonResource

    ids = [document.pk for document in documents]
    if not ids:
        return []
    lessons = LessonResource.objects.filter(document_id__in=ids).select_related("lesson__course")
    phrases = [
        _("la leçon « %(lesson)s » du cours « %(course)s »")
        % {"lesson": resource.lesson.title, "course": resource.lesson.course.title}
        for resource in lessons
    ]
    homework_list = Homework.objects.filter(attachments__in=ids).select_related("school_class").distinct()
    phrases.extend(
        _("le devoir « %(title)s » de la classe %(class)s pour le %(day)s")
        % {"title": homework.title, "class": homework.school_class.name, "day": date_format(homework.due_on, "l j F Y")}
        for homework in homework_list
    )
    return list(dict.fromkeys(phrases))


def document_delete(*, actor: Any, document: Document) -> None:
    require_permission(actor, PERMISSION, document)
    used = uses_of([document])
    if used:
        raise ValidationError(
            _("« %(name)s » est utilisé dans %(uses)s : retirez-le d'abord de ces endroits, puis supprimez-le.")
            % {"name": document.name, "uses": " ; ".join(used)},
            code="used",
        )
    _delete(actor=actor, space_id=document.space_id, documents=[document])


def _delete(*, actor: Any, space_id: int, documents: list[Document], folder: Folder | None = None) -> None:
    freed = sum(document.size for document in documents)
    files = [(document.file.storage, str(document.file.name)) for document in documents if document.file.name]
    try:
        with transaction.atomic():
            lock_for_update(DocumentSpace.objects.filter(pk=space_id)).get()
            if folder is not None:
                journal.record(
                    actor=actor, action="learning.folder.deleted", target=folder, data={"documents": len(documents)}
                )
                folder.delete()  # its folders and documents go with it (CASCADE)
            for document in documents:
                if folder is None:
                    journal.record(actor=actor, action="learning.document.deleted", target=document, data={})
                    document.delete()
            if freed:
                DocumentSpace.objects.filter(pk=space_id).update(used_bytes=F("used_bytes") - freed)
            for storage, name in files:
                transaction.on_commit(partial(_remove_file, storage, name))
    except (ProtectedError, IntegrityError) as exc:
        # A lesson took the document between the check and the delete.
        raise ValidationError(
            _("Ce document vient d'être utilisé dans un cours : retirez-le d'abord du cours."), code="used"
        ) from exc


# --- Housekeeping ------------------------------------------------------------------------------


def orphan_files_remove(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Remove stored ENT files that no document refers to (a crash between writing the file
    and committing its row, or an outer transaction rolled back), older than ``older_than``
    so that an upload in progress is never touched. Returns how many were removed."""
    storage = Document._meta.get_field("file").storage
    root = "ent"
    if not storage.exists(root):
        return 0
    limit = timezone.now() - older_than
    candidates: list[str] = []
    stack = [root]
    while stack:
        directory = stack.pop()
        subdirectories, files = storage.listdir(directory)
        stack.extend(f"{directory}/{name}" for name in subdirectories)
        candidates.extend(f"{directory}/{name}" for name in files)
    known = set(Document.objects.filter(file__in=candidates).values_list("file", flat=True))
    removed = 0
    for name in candidates:
        if name in known:
            continue
        try:
            if storage.get_modified_time(name) > limit:
                continue
        except (OSError, NotImplementedError):
            continue
        _remove_file(storage, name)
        removed += 1
    if removed:
        journal.record(actor=None, action="learning.document.orphans_removed", data={"files": removed})
    return removed
