"""The cartable électronique (ENT) of the collèges: schools, school years, classes and
groups, subjects, who is in them (students, teachers, parents, school staff), courses,
document spaces, the question bank, exercises, assignments, attempts, the cahier de textes
and homework.

Invariants live here, in the database (DESIGN §2):

- a student is in at most one *class* per school year (``Enrolment`` keeps ``year`` and a
  partial unique constraint), groups come on top;
- one attempt in progress per student and assignment (partial ``UniqueConstraint``): a
  double click on "Commencer" never opens two; attempt numbers are unique per student and
  assignment;
- one saved answer per attempt and slot (``UniqueConstraint``): saving an answer is an
  update of that row, so a dropped connection or a second device loses nothing;
- a document space never holds more than its quota (``CheckConstraint`` on ``used_bytes``,
  updated under a row lock by the service);
- an activation code is stored hashed and works once.

Each part of the app has its own section below. Access is decided by
``learning.access`` (who is in which class, who teaches what), read once per request, and
the ``learning.*`` permissions in ``accounts.permissions``.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.accounts.models import Organisation
from cybercantal.places.models import Place


def new_token() -> str:
    """A secret for a URL (the homework calendar feed): 32 url-safe characters."""
    return secrets.token_urlsafe(24)


def private_storage():  # type: ignore[no-untyped-def]
    """ENT files are served through views that check who asks, never from a public URL."""
    return storages["private"]


# === Part "schools": schools, years, subjects, classes and groups, people ====================


class School(models.Model):
    """A collège: its place in the directory and the organisation that role memberships
    (teacher, student, school staff) are scoped to."""

    place = models.OneToOneField(Place, on_delete=models.PROTECT, related_name="school", verbose_name=_("lieu"))
    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="school", verbose_name=_("organisation")
    )
    uai = models.CharField(
        _("code UAI (RNE)"),
        max_length=8,
        unique=True,
        help_text=_("Sept chiffres et une lettre, par exemple 0150012A."),
    )
    name = models.CharField(_("nom"), max_length=200)
    active = models.BooleanField(_("ENT ouvert"), default=True)
    # Per-person default quotas of the document spaces, in bytes.
    teacher_quota_bytes = models.PositiveBigIntegerField(_("quota par enseignant (octets)"), default=2 * 1024**3)
    student_quota_bytes = models.PositiveBigIntegerField(_("quota par élève (octets)"), default=200 * 1024**2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("collège")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(uai__regex=r"^[0-9]{7}[A-Z]$"), name="school_uai_format")]

    def __str__(self) -> str:
        return self.name


class SchoolYear(models.Model):
    """A school year, the same for every school ("2026-2027", 1 September to 31 August)."""

    label = models.CharField(_("année scolaire"), max_length=9, unique=True)
    starts_on = models.DateField(_("début"), unique=True)
    ends_on = models.DateField(_("fin"))

    class Meta:
        verbose_name = _("année scolaire")
        verbose_name_plural = _("années scolaires")
        ordering = ["-starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="schoolyear_ends_after")]

    def __str__(self) -> str:
        return self.label


class Subject(models.Model):
    """A subject (discipline), a national list: code as in the schools' software."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    short_name = models.CharField(_("nom court"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("matière")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    SIXIEME = "6e", _("6e")
    CINQUIEME = "5e", _("5e")
    QUATRIEME = "4e", _("4e")
    TROISIEME = "3e", _("3e")
    OTHER = "autre", _("Autre (SEGPA, ULIS…)")


class SchoolClass(models.Model):
    """A class ("5e B") or a group ("Latin 5e", "Groupe 1 anglais") of a school in a year."""

    class Kind(models.TextChoices):
        CLASS = "class", _("Classe")
        GROUP = "group", _("Groupe")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="classes", verbose_name=_("collège"))
    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="classes", verbose_name=_("année"))
    name = models.CharField(_("nom"), max_length=60)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.CLASS)
    level = models.CharField(_("niveau"), max_length=5, choices=Level.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("classe ou groupe")
        verbose_name_plural = _("classes et groupes")
        ordering = ["school", "year", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "year", "name"], name="schoolclass_unique_name")]

    def __str__(self) -> str:
        return self.name


class SchoolMember(models.Model):
    """A person's place in a school: student, teacher or school staff (who administers the
    ENT for the school; ``is_head`` for the head of school, who signs off the cahier de
    textes). ``external_id`` is the identifier of the school's administration software, what
    makes the CSV imports idempotent. ``left_on``: the day they left the school (retention
    of a student's data runs from it)."""

    class Kind(models.TextChoices):
        STUDENT = "student", _("Élève")
        TEACHER = "teacher", _("Enseignant")
        STAFF = "staff", _("Personnel de l'établissement")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="members", verbose_name=_("collège"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="school_members", verbose_name=_("personne")
    )
    kind = models.CharField(_("qualité"), max_length=10, choices=Kind.choices)
    is_head = models.BooleanField(_("chef d'établissement"), default=False)
    external_id = models.CharField(_("identifiant dans le logiciel de l'établissement"), max_length=40, blank=True)
    joined_on = models.DateField(_("arrivée"), default=timezone.localdate)
    left_on = models.DateField(_("départ"), null=True, blank=True)

    class Meta:
        verbose_name = _("membre d'un collège")
        verbose_name_plural = _("membres des collèges")
        constraints = [
            models.UniqueConstraint(fields=["school", "user", "kind"], name="schoolmember_unique"),
            models.UniqueConstraint(
                fields=["school", "kind", "external_id"],
                condition=~Q(external_id=""),
                name="schoolmember_unique_external_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_kind_display()}, {self.school})"

    def journal_label(self) -> str:
        """No pupil's name in the append-only journal."""
        return f"membre d'un collège n° {self.pk}"


class Enrolment(models.Model):
    """A student in a class or a group. ``year`` repeats the class's year so that the
    database can refuse a second *class* in the same year."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("élève")
    )
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("classe ou groupe")
    )
    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    is_group = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inscription")
        constraints = [
            models.UniqueConstraint(fields=["student", "school_class"], name="enrolment_unique"),
            models.UniqueConstraint(
                fields=["student", "year"], condition=Q(is_group=False), name="enrolment_one_class_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} — {self.school_class}"

    def journal_label(self) -> str:
        """No pupil's name in the append-only journal."""
        return f"inscription n° {self.pk}"


class Teaching(models.Model):
    """A teacher teaches a subject to a class or group (the "service" of the teacher)."""

    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teachings", verbose_name=_("enseignant")
    )
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="teachings", verbose_name=_("classe ou groupe")
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("matière"))
    is_main_teacher = models.BooleanField(_("professeur principal"), default=False)

    class Meta:
        verbose_name = _("enseignement")
        constraints = [
            models.UniqueConstraint(fields=["teacher", "school_class", "subject"], name="teaching_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} — {self.school_class} ({self.subject})"


class ParentLink(models.Model):
    """A legal guardian ("responsable légal") of a student: sees the child's homework,
    courses and results, read only."""

    class Relation(models.TextChoices):
        MOTHER = "mother", _("Mère")
        FATHER = "father", _("Père")
        GUARDIAN = "guardian", _("Autre responsable légal")

    parent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="children_links", verbose_name=_("parent")
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="parent_links", verbose_name=_("élève")
    )
    relation = models.CharField(_("lien"), max_length=10, choices=Relation.choices, default=Relation.GUARDIAN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("responsable légal")
        verbose_name_plural = _("responsables légaux")
        constraints = [
            models.UniqueConstraint(fields=["parent", "student"], name="parentlink_unique"),
            models.CheckConstraint(condition=~Q(parent=F("student")), name="parentlink_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.parent} → {self.student}"

    def journal_label(self) -> str:
        """No pupil's name in the append-only journal."""
        return f"lien parent-élève n° {self.pk}"


# === Part "provisioning": ENT accounts, activation codes, imports ============================


class EntAccount(models.Model):
    """The ENT sign-in of a person who may have no email (a child): a login ("hugo.teyssedou")
    and a one-time activation code, printed on a letter, stored hashed. Such a person's
    ``User.email`` is ``<login>@ent.invalid`` (a reserved domain: nothing is ever sent to it,
    see ``accounts.adapters``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ent_account", verbose_name=_("personne")
    )
    login = models.CharField(_("identifiant"), max_length=60, unique=True)
    activation_code_hash = models.CharField(max_length=128, blank=True)
    activation_code_expires_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(_("activé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("compte ENT")
        verbose_name_plural = _("comptes ENT")
        constraints = [
            models.CheckConstraint(condition=Q(login__regex=r"^[a-z0-9][a-z0-9.\-]*$"), name="entaccount_login_format")
        ]

    def __str__(self) -> str:
        return self.login

    def journal_label(self) -> str:
        """No pupil's name in the append-only journal."""
        return f"compte ENT n° {self.pk}"


class ImportRun(models.Model):
    """One CSV import (students, teachers, parents) with what it did, for the school's
    history; rows in error are reported and nothing is imported when one is wrong."""

    class Kind(models.TextChoices):
        STUDENTS = "students", _("Élèves")
        TEACHERS = "teachers", _("Enseignants")
        PARENTS = "parents", _("Responsables légaux")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="import_runs")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    file_name = models.CharField(_("fichier"), max_length=200)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    left = models.PositiveIntegerField(default=0)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("import")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.file_name}"


# === Part "documents": document spaces, folders, files ======================================


class DocumentSpace(models.Model):
    """A person's document space and its quota; ``used_bytes`` is kept by the service under
    a row lock on this row, and the database refuses going over the quota."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="document_space", verbose_name=_("titulaire")
    )
    quota_bytes = models.PositiveBigIntegerField(_("quota (octets)"))
    used_bytes = models.PositiveBigIntegerField(_("utilisé (octets)"), default=0)

    class Meta:
        verbose_name = _("espace de documents")
        verbose_name_plural = _("espaces de documents")
        constraints = [
            models.CheckConstraint(condition=Q(used_bytes__lte=F("quota_bytes")), name="documentspace_within_quota")
        ]

    def __str__(self) -> str:
        return f"{self.owner}"

    def journal_label(self) -> str:
        """No pupil's name in the append-only journal."""
        return f"espace de documents n° {self.pk}"


class Folder(models.Model):
    space = models.ForeignKey(DocumentSpace, on_delete=models.CASCADE, related_name="folders")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    name = models.CharField(_("nom"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dossier")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["space", "parent", "name"], name="folder_unique_name"),
            models.UniqueConstraint(
                fields=["space", "name"], condition=Q(parent__isnull=True), name="folder_unique_root_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DocumentKind(models.TextChoices):
    PDF = "pdf", _("PDF")
    IMAGE = "image", _("Image")
    AUDIO = "audio", _("Son")
    VIDEO = "video", _("Vidéo")
    OFFICE = "office", _("Document bureautique")
    TEXT = "text", _("Texte")


class Document(models.Model):
    """A file in a document space; its type is what its content says (``core.uploads``)."""

    space = models.ForeignKey(DocumentSpace, on_delete=models.CASCADE, related_name="documents")
    folder = models.ForeignKey(Folder, on_delete=models.CASCADE, null=True, blank=True, related_name="documents")
    name = models.CharField(_("nom"), max_length=200)
    file = models.FileField(_("fichier"), storage=private_storage, upload_to="ent/%Y/%m/", max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=DocumentKind.choices)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("taille (octets)"))
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# === Part "courses": courses and lessons =====================================================


class Course(models.Model):
    """A course of a class or group in a subject, made of ordered lessons."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PUBLISHED = "published", _("Publié")

    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="courses", verbose_name=_("classe ou groupe")
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("matière"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("auteur")
    )
    title = models.CharField(_("titre"), max_length=200)
    summary = models.TextField(_("présentation"), blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cours")
        verbose_name_plural = _("cours")
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["school_class", "status"], name="course_class_status")]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    """A lesson: sanitised rich text (``learning.richtext``), then its resources."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveIntegerField(_("ordre"), default=0)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("contenu"), blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Course.Status.choices, default=Course.Status.DRAFT)
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("leçon")
        ordering = ["course", "position", "pk"]
        # Positions are dense (1..n) and unique in a course: the services renumber under a
        # row lock on the course, in two steps so that the constraint holds at every row.
        constraints = [
            models.UniqueConstraint(fields=["course", "position"], name="lesson_unique_position"),
        ]
        indexes = [models.Index(fields=["course", "status"], name="lesson_course_status")]

    def __str__(self) -> str:
        return self.title


class LessonResource(models.Model):
    """A document embedded in a lesson (PDF, image, audio, video), or a link."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Document")
        LINK = "link", _("Lien")

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="resources")
    position = models.PositiveIntegerField(_("ordre"), default=0)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("titre"), max_length=200)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    url = models.URLField(_("adresse"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("ressource")
        ordering = ["lesson", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "position"], name="lessonresource_unique_position"),
            models.CheckConstraint(
                condition=(Q(kind="document", document__isnull=False, url=""))
                | (Q(kind="link", document__isnull=True) & ~Q(url="")),
                name="lessonresource_document_or_link",
            ),
        ]

    def __str__(self) -> str:
        return self.title


# === Part "questions": the question bank ====================================================


class QuestionType(models.TextChoices):
    """The question types; the shape of ``Question.data`` per type is in ``learning.grading``."""

    SINGLE = "single", _("Choix unique")
    MULTIPLE = "multiple", _("Choix multiple")
    TRUE_FALSE = "truefalse", _("Vrai ou faux")
    SHORT = "short", _("Réponse courte")
    NUMERICAL = "numerical", _("Numérique")
    MATCHING = "matching", _("Appariement")
    ORDERING = "ordering", _("Remise en ordre")
    CLOZE = "cloze", _("Texte à trous")
    ESSAY = "essay", _("Rédaction")
    DESCRIPTION = "description", _("Description (sans réponse)")


class TextFormat(models.TextChoices):
    """Formats of a question's text, as GIFT names them."""

    HTML = "html", _("HTML")
    PLAIN = "plain", _("Texte brut")
    MARKDOWN = "markdown", _("Markdown")
    MOODLE = "moodle", _("Format automatique Moodle")


class QuestionCategory(models.Model):
    """A category of a teacher's question bank (nested, as Moodle's "$CATEGORY: a/b")."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_categories")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    name = models.CharField(_("nom"), max_length=120)

    class Meta:
        verbose_name = _("catégorie de questions")
        verbose_name_plural = _("catégories de questions")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "parent", "name"], name="questioncategory_unique"),
            models.UniqueConstraint(
                fields=["owner", "name"], condition=Q(parent__isnull=True), name="questioncategory_unique_root"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A label shared by every bank ("fractions", "brevet"), stored normalised by
    ``services.questions.tag_name`` (spaces collapsed, lower case, accents kept)."""

    name = models.CharField(_("étiquette"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("étiquette")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """A question of a teacher's bank. ``data`` holds what is specific to the type (choices,
    accepted answers, pairs...; see ``learning.grading``). ``shared``: colleagues of the
    school can see it and copy it into their bank or their exercises."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questions")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="questions")
    category = models.ForeignKey(
        QuestionCategory, on_delete=models.SET_NULL, null=True, blank=True, related_name="questions"
    )
    qtype = models.CharField(_("type"), max_length=12, choices=QuestionType.choices)
    name = models.CharField(_("titre"), max_length=255, blank=True)
    text = models.TextField(_("énoncé"))
    text_format = models.CharField(_("format"), max_length=10, choices=TextFormat.choices, default=TextFormat.MOODLE)
    data = models.JSONField(_("réponses"), default=dict)
    general_feedback = models.TextField(_("feedback général"), blank=True)
    default_mark = models.DecimalField(_("note par défaut"), max_digits=6, decimal_places=2, default=Decimal("1"))
    tags = models.ManyToManyField(Tag, blank=True, related_name="questions", verbose_name=_("étiquettes"))
    shared = models.BooleanField(_("partagée avec les collègues du collège"), default=False)
    # A question used by an exercise cannot be deleted (``ExerciseQuestion.question`` is
    # PROTECT): it is "retired" instead, hidden from the bank and from new exercises, while
    # the exercises and attempts that use it keep working.
    retired = models.BooleanField(_("retirée de la banque"), default=False)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("copiée de")
    )
    # Title, text and tags with accents, case and punctuation folded (``core.text.normalise``),
    # kept by the services: the bank's search is accent- and case-insensitive.
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("question")
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["school", "shared"], name="question_school_shared"),
            models.Index(fields=["owner", "retired"], name="question_owner_retired"),
        ]
        constraints = [models.CheckConstraint(condition=Q(default_mark__gte=0), name="question_mark_positive")]

    def __str__(self) -> str:
        return self.name or self.text[:60]


# === Part "assignments": exercises and their assignment to classes ==========================


class Exercise(models.Model):
    """An exercise: an ordered list of questions with their marks."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exercises")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="exercises")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    title = models.CharField(_("titre"), max_length=200)
    instructions = models.TextField(_("consigne"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("exercice")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title


class ExerciseQuestion(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(default=0)
    mark = models.DecimalField(_("points"), max_digits=6, decimal_places=2, default=Decimal("1"))

    class Meta:
        ordering = ["exercise", "position", "pk"]
        # Positions are dense (1..n) and unique in an exercise: the services renumber under a
        # row lock on the exercise, in two steps so that the constraint holds at every row.
        constraints = [
            models.UniqueConstraint(fields=["exercise", "question"], name="exercisequestion_unique"),
            models.UniqueConstraint(fields=["exercise", "position"], name="exercisequestion_unique_position"),
            models.CheckConstraint(condition=Q(mark__gte=0), name="exercisequestion_mark_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} #{self.position}"


class GradingMethod(models.TextChoices):
    HIGHEST = "highest", _("Meilleure tentative")
    LAST = "last", _("Dernière tentative")
    AVERAGE = "average", _("Moyenne des tentatives")


class FeedbackTiming(models.TextChoices):
    IMMEDIATE = "immediate", _("Dès la réponse validée")
    AFTER_SUBMIT = "after_submit", _("À la fin de la tentative")
    AFTER_CLOSE = "after_close", _("Après la fermeture")


class Assignment(models.Model):
    """An exercise given to a class or group, with its dates and rules. In training mode
    attempts are unlimited and not graded (``attempts_allowed`` is then ignored)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="assignments")
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("classe ou groupe")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("fermeture"), null=True, blank=True)
    attempts_allowed = models.PositiveSmallIntegerField(
        _("tentatives permises"), default=1, help_text=_("0 : illimité")
    )
    grading_method = models.CharField(
        _("note retenue"), max_length=10, choices=GradingMethod.choices, default=GradingMethod.HIGHEST
    )
    feedback_timing = models.CharField(
        _("corrections visibles"), max_length=12, choices=FeedbackTiming.choices, default=FeedbackTiming.AFTER_SUBMIT
    )
    shuffle_questions = models.BooleanField(_("mélanger les questions"), default=False)
    shuffle_answers = models.BooleanField(_("mélanger les réponses"), default=True)
    time_limit_minutes = models.PositiveSmallIntegerField(_("durée limite (minutes)"), null=True, blank=True)
    training = models.BooleanField(_("entraînement (illimité, non noté)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exercice donné")
        verbose_name_plural = _("exercices donnés")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=F("opens_at")), name="assignment_closes_after"
            ),
            models.CheckConstraint(
                condition=Q(time_limit_minutes__isnull=True) | Q(time_limit_minutes__gt=0),
                name="assignment_time_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} — {self.school_class}"


# === Part "attempts": a student's attempts and their answers ================================


class Attempt(models.Model):
    """A student's attempt at an assignment. ``deadline_at``: when a time limit runs out
    (the earlier of start + limit and the close date)."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("En cours")
        SUBMITTED = "submitted", _("Rendue")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="attempts")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("tentative n°"))
    state = models.CharField(_("état"), max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    started_at = models.DateTimeField(_("commencée le"), default=timezone.now)
    deadline_at = models.DateTimeField(_("à rendre avant"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("rendue le"), null=True, blank=True)
    last_slot = models.PositiveSmallIntegerField(default=1)  # where to resume
    # Sum of the slots' marks once submitted (None while an essay waits for its grade).
    score = models.DecimalField(_("note"), max_digits=7, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(_("sur"), max_digits=7, decimal_places=2, default=Decimal("0"))
    needs_grading = models.BooleanField(_("à corriger"), default=False)

    class Meta:
        verbose_name = _("tentative")
        ordering = ["assignment", "student", "number"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "student", "number"], name="attempt_unique_number"),
            models.UniqueConstraint(
                fields=["assignment", "student"], condition=Q(state="in_progress"), name="attempt_one_in_progress"
            ),
        ]
        indexes = [
            models.Index(fields=["student", "state"], name="attempt_student_state"),
            # The job that hands in attempts whose time is over.
            models.Index(fields=["state", "deadline_at"], name="attempt_state_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} — {self.student} #{self.number}"

    def journal_label(self) -> str:
        """No pupil's name in the append-only journal."""
        return f"tentative n° {self.pk}"


class Answer(models.Model):
    """One slot of an attempt: the question as it was when the attempt started
    (``snapshot``, shuffled choices included), the student's response saved when given, and
    its grade. ``fraction`` in [-1, 1] (what the grading gave), ``mark`` = fraction × max
    mark, never below 0 for the slot; ``override_*``: the teacher's mark and comment."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    slot = models.PositiveSmallIntegerField()
    question = models.ForeignKey(Question, on_delete=models.SET_NULL, null=True, related_name="answers")
    snapshot = models.JSONField()
    max_mark = models.DecimalField(max_digits=6, decimal_places=2)
    response = models.JSONField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Immediate feedback or training: when the pupil asked to check this answer (its
    # correction is then shown; with immediate feedback on a graded assignment it is final).
    checked_at = models.DateTimeField(null=True, blank=True)
    fraction = models.DecimalField(max_digits=8, decimal_places=7, null=True, blank=True)
    mark = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    override_mark = models.DecimalField(_("note corrigée"), max_digits=6, decimal_places=2, null=True, blank=True)
    override_comment = models.TextField(_("commentaire"), blank=True)
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("réponse")
        ordering = ["attempt", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "slot"], name="answer_unique_slot"),
            models.CheckConstraint(
                condition=Q(override_mark__isnull=True) | Q(override_mark__gte=0, override_mark__lte=F("max_mark")),
                name="answer_override_within_max",
            ),
        ]
        indexes = [
            models.Index(fields=["question"], name="answer_question"),
            # The teachers' "à corriger" list: answered, not marked (essays); see docs/performances-ent.md.
            models.Index(
                fields=["attempt"],
                condition=Q(response__isnull=False, mark__isnull=True, override_mark__isnull=True),
                name="answer_to_grade",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt} — {self.slot}"

    def journal_label(self) -> str:
        """No pupil's name in the append-only journal."""
        return f"réponse n° {self.pk}"

    @property
    def final_mark(self) -> Decimal | None:
        return self.override_mark if self.override_mark is not None else self.mark


# === Part "homework": cahier de textes, homework, sign-off ==================================


class LessonLog(models.Model):
    """An entry of the cahier de textes: what was done in class on a day."""

    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="lesson_logs", verbose_name=_("classe ou groupe")
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("matière"))
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    date = models.DateField(_("date de la séance"))
    title = models.CharField(_("titre"), max_length=200)
    content = models.TextField(_("contenu de la séance"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("séance du cahier de textes")
        verbose_name_plural = _("séances du cahier de textes")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["school_class", "date"], name="lessonlog_class_date")]

    def __str__(self) -> str:
        return self.title


class Homework(models.Model):
    """Work to do for a day, given in a session (``lesson_log``) or on its own."""

    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="homework", verbose_name=_("classe ou groupe")
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+", verbose_name=_("matière"))
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    lesson_log = models.ForeignKey(LessonLog, on_delete=models.SET_NULL, null=True, blank=True, related_name="homework")
    given_on = models.DateField(_("donné le"), default=timezone.localdate)
    due_on = models.DateField(_("pour le"))
    title = models.CharField(_("intitulé"), max_length=200)
    instructions = models.TextField(_("consigne"), blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(_("durée estimée (minutes)"), null=True, blank=True)
    attachments = models.ManyToManyField(Document, blank=True, related_name="+", verbose_name=_("pièces jointes"))
    assignment = models.ForeignKey(Assignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("devoir")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["school_class", "due_on"], name="homework_class_due")]
        constraints = [models.CheckConstraint(condition=Q(due_on__gte=F("given_on")), name="homework_due_after_given")]

    def __str__(self) -> str:
        return self.title


class HomeworkDone(models.Model):
    """A student ticked a homework as done (their own to-do list; teachers see the count)."""

    homework = models.ForeignKey(Homework, on_delete=models.CASCADE, related_name="done_marks")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["homework", "student"], name="homeworkdone_unique")]

    def __str__(self) -> str:
        return f"{self.homework} — {self.student}"

    def journal_label(self) -> str:
        """No pupil's name in the append-only journal."""
        return f"devoir fait n° {self.pk}"


class HomeworkFeed(models.Model):
    """The secret address of a person's homework calendar (``/ent/agenda/<token>.ics``): a
    pupil's own homework, a parent's children's. Regenerating it cuts the old address."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="homework_feed")
    token = models.CharField(max_length=40, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agenda des devoirs")

    def __str__(self) -> str:
        return f"{self.user}"

    def journal_label(self) -> str:
        """No pupil's name in the append-only journal."""
        return f"agenda des devoirs n° {self.pk}"


class LogSignOff(models.Model):
    """The head of school reviewed a class's cahier de textes up to a day and signed it."""

    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="sign_offs")
    up_to = models.DateField(_("jusqu'au"))
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(_("observations"), blank=True)

    class Meta:
        verbose_name = _("visa du cahier de textes")
        verbose_name_plural = _("visas du cahier de textes")
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.school_class} — {self.up_to}"
