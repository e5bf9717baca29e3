"""A pupil's data: what the cartable keeps, the family's export, the erasure and the
retention job.

Pupils are minors: the ENT keeps their data while they are schooled here, then three
months (``RETENTION_MONTHS``, the time to hand results to a new school and answer a
family's questions); then ``retention_purge`` erases everything the cartable holds on them
(attempts and answers, documents and their files, homework ticks, account and login,
classes, parent links) and anonymises the account through ``accounts.services.user_anonymise``
(which runs every programme's erase hook, this one included). A parent whose children are
all gone loses the parent role; a parent who had no email (an ENT login) is anonymised too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import zipfile
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from cybercantal.accounts.models import Role, RoleMembership, User
from cybercantal.accounts.services import require_permission, user_anonymise
from cybercantal.core import journal
from cybercantal.core.tasks import is_deliverable

from .. import richtext
from ..models import (
    Answer,
    Attempt,
    Document,
    DocumentSpace,
    Enrolment,
    EntAccount,
    HomeworkDone,
    HomeworkFeed,
    ParentLink,
    SchoolMember,
)

RETENTION_MONTHS = 3


def student_data(student: User) -> dict[str, Any]:
    """Everything the cartable holds on a pupil, in French keys (no secret: no password,
    no activation code, no calendar address)."""
    members = SchoolMember.objects.filter(user=student).select_related("school")
    enrolments = Enrolment.objects.filter(student=student).select_related("school_class__year", "school_class__school")
    account = EntAccount.objects.filter(user=student).first()
    attempts = (
        Attempt.objects.filter(student=student)
        .select_related("assignment__exercise", "assignment__school_class")
        .prefetch_related("answers")
        .order_by("started_at")
    )
    return {
        "eleve": {
            "prenom": student.first_name,
            "nom": student.last_name,
            "identifiant": account.login if account else None,
            "compte_active_le": account.activated_at if account else None,
        },
        "etablissements": [
            {
                "college": m.school.name,
                "qualite": str(m.get_kind_display()),
                "arrivee": m.joined_on,
                "depart": m.left_on,
            }
            for m in members
        ],
        "classes": [
            {"annee": e.school_class.year.label, "classe": e.school_class.name, "college": e.school_class.school.name}
            for e in enrolments
        ],
        "responsables_legaux": [
            {"prenom": link.parent.first_name, "nom": link.parent.last_name, "lien": str(link.get_relation_display())}
            for link in ParentLink.objects.filter(student=student).select_related("parent")
        ],
        "devoirs_faits": [
            {"devoir": done.homework.title, "pour_le": done.homework.due_on, "fait_le": done.done_at}
            for done in HomeworkDone.objects.filter(student=student).select_related("homework")
        ],
        "exercices": [
            {
                "exercice": attempt.assignment.exercise.title,
                "classe": attempt.assignment.school_class.name,
                "tentative": attempt.number,
                "commencee_le": attempt.started_at,
                "rendue_le": attempt.submitted_at,
                "note": attempt.score,
                "sur": attempt.max_score,
                "reponses": [
                    {
                        "question": answer.slot,
                        "enonce": richtext.plain(str(answer.snapshot.get("text", ""))),
                        "reponse": answer.response,
                        "points": answer.final_mark,
                        "sur": answer.max_mark,
                        "commentaire_enseignant": answer.override_comment,
                    }
                    for answer in attempt.answers.all()
                ],
            }
            for attempt in attempts
        ],
        "documents": [
            {"nom": d.name, "type": str(d.get_kind_display()), "taille_octets": d.size, "depose_le": d.created_at}
            for d in Document.objects.filter(space__owner=student).order_by("name")
        ],
    }


def student_data_export(*, actor: Any, student: User) -> bytes:
    """The family's copy: a ZIP with ``donnees.json`` and the pupil's own documents."""
    require_permission(
        actor,
        "learning.export_student_data",
        student,
        "Seuls l'élève, ses responsables légaux et l'établissement peuvent exporter ces données.",
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        data = student_data(student)
        archive.writestr("donnees.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        used: set[str] = set()
        for document in Document.objects.filter(space__owner=student).order_by("pk"):
            name = document.name.replace("/", "_").replace("\\", "_")[:150] or f"document-{document.pk}"
            if name in used:
                name = f"{document.pk}-{name}"
            used.add(name)
            try:
                with document.file.open("rb") as handle:
                    archive.writestr(f"documents/{name}", handle.read())
            except OSError:  # a file lost on disk: say so rather than fail the whole export
                archive.writestr(f"documents/{name}.manquant.txt", "Ce fichier est introuvable sur le serveur.")
    journal.record(actor=actor, action="learning.student_data.exported", target=student)
    return buffer.getvalue()


def student_erase(user: User) -> None:
    """Erase what the cartable holds on ``user`` (the ``personal_data`` erase hook): as a
    pupil (attempts, documents, ticks, classes, account, links to parents) and as a parent
    (links to children). Files are removed once the transaction commits."""
    files = [d.file.name for d in Document.objects.filter(space__owner=user) if d.file]
    Answer.objects.filter(attempt__student=user).delete()
    Attempt.objects.filter(student=user).delete()
    HomeworkDone.objects.filter(student=user).delete()
    Document.objects.filter(space__owner=user).delete()
    DocumentSpace.objects.filter(owner=user).delete()
    Enrolment.objects.filter(student=user).delete()
    ParentLink.objects.filter(Q(student=user) | Q(parent=user)).delete()
    HomeworkFeed.objects.filter(user=user).delete()
    EntAccount.objects.filter(user=user).delete()
    SchoolMember.objects.filter(user=user, kind=SchoolMember.Kind.STUDENT).delete()
    if files:
        from ..models import private_storage

        storage = private_storage()

        def remove() -> None:
            for name in files:
                with contextlib.suppress(OSError):  # already gone
                    storage.delete(name)

        transaction.on_commit(remove)


def purge_due(today: dt.date) -> list[int]:
    """Pupils whose last day in every school is more than ``RETENTION_MONTHS`` ago and who
    are in no school now."""
    limit = today - relativedelta(months=RETENTION_MONTHS)
    current = SchoolMember.objects.filter(kind=SchoolMember.Kind.STUDENT).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=today)
    )
    return list(
        SchoolMember.objects.filter(kind=SchoolMember.Kind.STUDENT, left_on__isnull=False)
        .exclude(user_id__in=current.values("user_id"))
        .values("user_id")
        .annotate(last=Max("left_on"))
        .filter(last__lt=limit)
        .values_list("user_id", flat=True)
    )


def retention_purge(*, today: dt.date | None = None) -> dict[str, int]:
    """Erase the pupils whose retention is over, and what is left of their parents. Each
    pupil in their own transaction (a failure leaves the others done). Idempotent."""
    today = today or timezone.localdate()
    pupils = parents = 0
    for user_id in purge_due(today):
        with transaction.atomic():
            student = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
            parent_ids = list(ParentLink.objects.filter(student_id=user_id).values_list("parent_id", flat=True))
            if student is not None:
                user_anonymise(actor=None, user=student)
            else:  # already anonymised: make sure nothing of the cartable is left
                inactive = User.objects.filter(pk=user_id).first()
                if inactive is not None:
                    student_erase(inactive)
            journal.record(actor=None, action="learning.retention.pupil_purged", data={"user": user_id})
            pupils += 1
            for parent in User.objects.filter(pk__in=parent_ids, is_active=True):
                if ParentLink.objects.filter(parent=parent).exists():
                    continue  # another child is still schooled
                if not is_deliverable(parent.email):  # an ENT-only parent account
                    user_anonymise(actor=None, user=parent)
                else:
                    for membership in RoleMembership.objects.filter(
                        user=parent, role=Role.PARENT, ends_on__isnull=True
                    ):
                        membership.ends_on = max(membership.starts_on, today - dt.timedelta(days=1))
                        membership.save(update_fields=["ends_on"])
                parents += 1
    return {"eleves": pupils, "parents": parents}
