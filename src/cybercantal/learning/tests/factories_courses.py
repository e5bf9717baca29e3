"""Factories of the courses part: documents in a teacher's space (without the documents
part's services, so that these tests do not depend on it), courses with lessons."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile

from ..models import Course, Document, DocumentSpace, Lesson, LessonResource, SchoolClass, Subject


# The smallest files each kind's embed needs (valid enough for a browser to try).
def _pdf() -> bytes:
    """A real one-page PDF (reportlab), that the documents part's checks accept."""
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=(200, 200), invariant=1)
    sheet.drawString(20, 100, "Les fractions")
    sheet.save()
    return buffer.getvalue()


PDF_BYTES = _pdf()
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf"
    "c0f01f0005000201f5d6ad6d0000000049454e44ae426082"
)
MP3_BYTES = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 400
MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 200

KINDS = {
    "pdf": (PDF_BYTES, "application/pdf", "pdf"),
    "image": (PNG_BYTES, "image/png", "png"),
    "audio": (MP3_BYTES, "audio/mpeg", "mp3"),
    "video": (MP4_BYTES, "video/mp4", "mp4"),
}


def space_of(user: Any) -> DocumentSpace:
    space, _ = DocumentSpace.objects.get_or_create(owner=user, defaults={"quota_bytes": 100 * 1024**2})
    return space


def make_document(owner: Any, *, kind: str = "pdf", name: str = "") -> Document:
    data, content_type, extension = KINDS[kind]
    space = space_of(owner)
    document = Document(
        space=space,
        name=name or f"Document {kind}.{extension}",
        kind=kind,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    document.file.save(f"test.{extension}", ContentFile(data), save=False)
    document.save()
    DocumentSpace.objects.filter(pk=space.pk).update(used_bytes=space.used_bytes + len(data))
    return document


def make_course(
    school_class: SchoolClass,
    subject: Subject,
    *,
    title: str = "Les fractions",
    published: bool = True,
    lessons: int = 0,
    lessons_published: bool = True,
    author: Any = None,
) -> Course:
    course = Course.objects.create(
        school_class=school_class,
        subject=subject,
        title=title,
        author=author,
        status=Course.Status.PUBLISHED if published else Course.Status.DRAFT,
    )
    for position in range(1, lessons + 1):
        make_lesson(course, position=position, published=lessons_published)
    return course


def make_lesson(course: Course, *, position: int | None = None, published: bool = True, title: str = "") -> Lesson:
    from django.utils import timezone

    if position is None:
        position = (course.lessons.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    return Lesson.objects.create(
        course=course,
        position=position,
        title=title or f"Leçon {position}",
        body=f"<p>Contenu de la leçon {position}.</p>",
        status=Course.Status.PUBLISHED if published else Course.Status.DRAFT,
        published_at=timezone.now() if published else None,
    )


def attach(lesson: Lesson, document: Document, *, title: str = "") -> LessonResource:
    position = lesson.resources.count() + 1
    return LessonResource.objects.create(
        lesson=lesson, position=position, kind="document", title=title or document.name, document=document
    )


def attach_link(
    lesson: Lesson, url: str = "https://www.example.org/fractions", title: str = "Un lien"
) -> LessonResource:
    position = lesson.resources.count() + 1
    return LessonResource.objects.create(lesson=lesson, position=position, kind="link", title=title, url=url)
