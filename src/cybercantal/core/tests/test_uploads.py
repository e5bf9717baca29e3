"""Uploads are judged by their content: magic numbers first, then the library of the kind."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from cybercantal.core.uploads import KINDS, check_upload, safe_filename, serve


def _pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Facture")
    page.showPage()
    page.save()
    return buffer.getvalue()


def _image(fmt: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format=fmt)
    return buffer.getvalue()


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.mark.parametrize(
    ("content", "kind"),
    [(_pdf(), "pdf"), (_image("PNG"), "png"), (_image("JPEG"), "jpeg"), (_image("WEBP"), "webp")],
)
def test_real_files_are_recognised_whatever_their_name(content, kind):
    checked = check_upload(_file("sans-extension", content), max_bytes=10**6)
    assert checked.kind is KINDS[kind]
    assert checked.size == len(content)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 200, "n'est pas un fichier PDF, JPEG, PNG ou WebP"),
        (b"<html><script>alert(1)</script></html>", "n'est pas un fichier"),
        ("Devis : 3 200 F, réglé".encode("latin-1"), "n'est pas un fichier"),
        (b"%PDF-1.7\n" + b"x" * 100, "abîmé"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "abîmé"),
        (b"", "est vide"),
    ],
)
def test_anything_else_gets_a_french_reason(content, message):
    with pytest.raises(ValidationError, match=message):
        check_upload(_file("devis.pdf", content), max_bytes=10**6)


def test_only_the_kinds_asked_for_are_accepted():
    with pytest.raises(ValidationError, match="n'est pas un fichier PDF \\("):
        check_upload(_file("photo.png", _image("PNG")), kinds=("pdf",), max_bytes=10**6)


def test_size_limit_says_both_sizes():
    big = _pdf() + b"%" * (3 * 1024 * 1024)
    with pytest.raises(ValidationError, match="pèse 3 Mo : le maximum est 2 Mo"):
        check_upload(_file("devis.pdf", big), max_bytes=2 * 1024 * 1024)


def test_password_protected_pdf_is_refused():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(_pdf())))
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ValidationError, match="mot de passe"):
        check_upload(_file("devis.pdf", buffer.getvalue()), max_bytes=10**6)


def test_the_file_is_rewound_for_whoever_stores_it():
    upload = _file("devis.pdf", _pdf())
    check_upload(upload, max_bytes=10**6)
    assert upload.read(5) == b"%PDF-"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Devis Dupont.PDF", "Devis_Dupont.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\moi\\facture.exe", "facture.pdf"),
        ("..", "document.pdf"),
    ],
)
def test_download_names_are_safe(name, expected):
    assert safe_filename(name, KINDS["pdf"]) == expected


def test_serve_sets_the_stored_type_and_forbids_sniffing(db, tmp_path):  # closing a response closes DB connections
    storage = FileSystemStorage(location=tmp_path)
    stored = storage.save("a.pdf", ContentFile(_pdf()))

    class Field:
        def open(self, mode):
            return storage.open(stored, mode)

    response = serve(Field(), content_type="application/pdf", filename="devis.pdf")
    try:
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment")
        assert "sandbox" in response["Content-Security-Policy"]
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
    finally:
        response.close()
