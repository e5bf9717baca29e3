"""Demo documents: small real files made in code, in the demo teacher's space (folders
"5e B — Mathématiques" and "Ressources") and in the demo pupil's.

- a PDF (reportlab): a method sheet on fractions;
- a PNG (Pillow): the figure of a right-angled triangle;
- a WAV (the standard ``wave`` module): a 2-second tone, a sound to try the player and
  range requests with;
- a text file (UTF-8): the instructions of a piece of homework;
- the pupil's PDF: his talk on the Plomb du Cantal.

No video: making a real WebM or MP4 needs an encoder (ffmpeg), which the demo does not
require. The courses and homework demos attach these files: ``demo_documents()`` returns
them by name. Loading twice creates nothing new (documents are found by space, folder and
name).
"""

from __future__ import annotations

import io
import logging
import math
import struct
import wave
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Role, User

from ..models import Document, DocumentSpace, Folder
from ..services import documents as services

logger = logging.getLogger(__name__)

CLASS_FOLDER = "5e B — Mathématiques"
RESOURCES_FOLDER = "Ressources"
FRACTIONS_PDF = "Fiche méthode — les fractions.pdf"
TRIANGLE_PNG = "Figure — le triangle rectangle.png"
TONE_WAV = "Son de démonstration — la 440 Hz.wav"
INSTRUCTIONS_TXT = "Consignes de l’exposé.txt"
PUPIL_PDF = "Mon exposé — le Plomb du Cantal.pdf"


def fractions_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle("Fiche méthode — les fractions")
    page.setFont("Helvetica-Bold", 18)
    page.drawString(72, 770, "Fiche méthode : les fractions (5e)")
    page.setFont("Helvetica", 12)
    lines = [
        "1. Pour comparer deux fractions, on les écrit avec le même dénominateur.",
        "2. Exemple : 3/4 et 5/6 s'écrivent 9/12 et 10/12, donc 3/4 < 5/6.",
        "3. Pour additionner, même dénominateur d'abord : 1/3 + 1/6 = 2/6 + 1/6 = 3/6 = 1/2.",
        "4. On simplifie toujours le résultat.",
    ]
    for index, line in enumerate(lines):
        page.drawString(72, 730 - 22 * index, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


def triangle_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), "white")
    draw = ImageDraw.Draw(image)
    draw.polygon([(40, 200), (280, 200), (40, 40)], outline="navy", width=4)
    draw.rectangle([40, 180, 60, 200], outline="darkred", width=2)  # the right angle
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def tone_wav(seconds: float = 2.0, rate: int = 16000, frequency: float = 440.0) -> bytes:
    """A sine tone (16-bit mono), faded in and out so it does not click."""
    buffer = io.BytesIO()
    total = int(seconds * rate)
    fade = rate // 20
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = bytearray()
        for i in range(total):
            envelope = min(1.0, i / fade, (total - i) / fade)
            frames += struct.pack("<h", int(9000 * envelope * math.sin(2 * math.pi * frequency * i / rate)))
        out.writeframes(bytes(frames))
    return buffer.getvalue()


def instructions_txt() -> bytes:
    return (
        "Exposé de mathématiques — 5e B\n\n"
        "Choisissez un sommet du Cantal et calculez la pente moyenne de son ascension\n"
        "depuis le village le plus proche. Présentez vos calculs sur une feuille.\n"
    ).encode()


def pupil_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 760, "Le Plomb du Cantal : 1 855 m, le plus haut sommet du Cantal.")
    page.drawString(72, 740, "Depuis le Lioran (1 160 m), on monte de 695 m.")
    page.showPage()
    page.save()
    return buffer.getvalue()


TEACHER_FILES = (
    (CLASS_FOLDER, FRACTIONS_PDF, fractions_pdf),
    (CLASS_FOLDER, TRIANGLE_PNG, triangle_png),
    (RESOURCES_FOLDER, TONE_WAV, tone_wav),
    (RESOURCES_FOLDER, INSTRUCTIONS_TXT, instructions_txt),
)
PUPIL_FILES = ((None, PUPIL_PDF, pupil_pdf),)


def _folder(space: DocumentSpace, name: str | None) -> Folder | None:
    if name is None:
        return None
    folder = Folder.objects.filter(space=space, parent=None, name=name).first()
    return folder or services.folder_create(actor=None, space=space, parent=None, name=name)


def _fill(user: Any, files: tuple[tuple[str | None, str, Any], ...]) -> tuple[int, int]:
    space = services.space_for(user)
    created_folders = created = 0
    for folder_name, name, make in files:
        existed = folder_name is None or Folder.objects.filter(space=space, parent=None, name=folder_name).exists()
        folder = _folder(space, folder_name)
        created_folders += 0 if existed else 1
        if Document.objects.filter(space=space, folder=folder, name=name).exists():
            continue
        upload = SimpleUploadedFile(name, make(), content_type="application/octet-stream")
        services.document_upload(actor=None, space=space, folder=folder, file=upload, name=name)
        created += 1
    return created_folders, created


def _person(role: str) -> Any:
    return User.objects.filter(email__iexact=demo_email(role)).first()


def load() -> dict[str, int]:
    teacher, pupil = _person(Role.TEACHER), _person(Role.STUDENT)
    folders = documents = 0
    if teacher is None:
        logger.warning("demo documents: no demo teacher (%s)", demo_email(Role.TEACHER))
    else:
        new_folders, new_documents = _fill(teacher, TEACHER_FILES)
        folders += new_folders
        documents += new_documents
    if pupil is not None:
        documents += _fill(pupil, PUPIL_FILES)[1]
    return {"dossiers de documents": folders, "documents": documents}


def demo_documents() -> dict[str, Document]:
    """The demo documents by name (``FRACTIONS_PDF``, ``TONE_WAV``…), for the courses and
    homework demos to attach. Loads them first if needed."""
    names = [name for _folder_name, name, _make in (*TEACHER_FILES, *PUPIL_FILES)]
    owners = [demo_email(Role.TEACHER), demo_email(Role.STUDENT)]
    found = {
        document.name: document
        for document in Document.objects.filter(name__in=names, space__owner__email__in=owners).select_related("space")
    }
    if len(found) < len(names):
        load()
        found = {
            document.name: document
            for document in Document.objects.filter(name__in=names, space__owner__email__in=owners)
        }
    return found
