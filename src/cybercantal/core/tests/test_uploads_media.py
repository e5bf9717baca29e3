"""Sound, video, office documents and text are judged by their content too: each kind is
recognised whatever its name, and a renamed program, a web page, a cut file or a zip bomb
is refused with a French sentence that names what was expected."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from cybercantal.core import uploads
from cybercantal.core.uploads import AUDIO_KINDS, DOCUMENT_KINDS, KINDS, OFFICE_KINDS, check_upload

from . import samples

GOOD = [
    (samples.pdf(), "pdf"),
    (samples.image("PNG"), "png"),
    (samples.image("JPEG"), "jpeg"),
    (samples.image("WEBP"), "webp"),
    (samples.mp3(), "mp3"),
    (samples.mp3(id3=False), "mp3"),
    (samples.ogg(), "ogg"),
    (samples.ogg(b"\x01vorbis"), "ogg"),
    (samples.wav(), "wav"),
    (samples.m4a(), "m4a"),
    (samples.mp4(handlers=(b"soun",)), "m4a"),
    (samples.mp4(), "mp4"),
    (samples.mp4(brand=b"qt  "), "mov"),
    (samples.webm(), "webm"),
    (samples.webm(unknown_size=True), "webm"),
    (samples.webm(track_types=(2,)), "weba"),
    (samples.webm(doc_type=b"matroska"), "mkv"),
    (samples.odf("text"), "odt"),
    (samples.odf("spreadsheet"), "ods"),
    (samples.odf("presentation"), "odp"),
    (samples.ooxml("docx"), "docx"),
    (samples.ooxml("xlsx"), "xlsx"),
    (samples.ooxml("pptx"), "pptx"),
    (samples.text(), "text"),
    ("\ufeffNom;Prénom\nTeyssedou;Hugo\n".encode(), "text"),
]


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="audio/mpeg")  # the browser's type is ignored


@pytest.mark.parametrize(("content", "kind"), GOOD, ids=[kind for _c, kind in GOOD])
def test_every_kind_is_recognised_whatever_its_name(content, kind):
    checked = check_upload(_file("sans-nom.bin", content), kinds=DOCUMENT_KINDS, max_bytes=10**8)
    assert checked.kind is KINDS[kind]
    assert checked.size == len(content)


def test_a_big_file_on_disk_is_read_by_pieces(tmp_path, monkeypatch):
    """A 3 MB sound in a temporary upload file: checked without reading it whole at once."""
    content = samples.mp3(frames=7500)
    upload = TemporaryUploadedFile("long.mp3", "audio/mpeg", len(content), None)
    upload.write(content)
    upload.seek(0)
    reads: list[int] = []
    original = upload.file.read

    def read(size=-1):
        reads.append(size)
        return original(size)

    monkeypatch.setattr(upload.file, "read", read)
    assert check_upload(upload, kinds=AUDIO_KINDS, max_bytes=10**8).kind.name == "mp3"
    assert -1 not in reads
    assert max(reads) <= uploads.CHUNK
    upload.close()


IMPOSTORS = [
    ("chanson.mp3", samples.HTML, "page web"),
    ("chanson.mp3", samples.EXECUTABLE, "programme"),
    ("film.mp4", samples.ELF, "programme"),
    ("cours.docx", b"PK\x03\x04" + b"\x00" * 100, "abîmé"),
    ("archive.docx", b"", "est vide"),
    ("notes.txt", "Devoir réglé".encode("latin-1"), "n'est pas un fichier"),
    ("notes.txt", b"abc\x00def", "n'est pas un fichier"),
    ("page.txt", b"  <html><body>coucou</body></html>", "page web"),
    ("image.txt", b'<?xml version="1.0"?><svg onload="alert(1)"/>', "page web"),
    ("ancien.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "ancien format"),
]


@pytest.mark.parametrize(("name", "content", "message"), IMPOSTORS)
def test_impostors_get_a_french_reason(name, content, message):
    with pytest.raises(ValidationError, match=message) as error:
        check_upload(_file(name, content), kinds=DOCUMENT_KINDS, max_bytes=10**8)
    if error.value.code == "wrong_type":
        assert "son (MP3, Ogg, WAV, M4A ou WebM)" in error.value.messages[0]
        assert "document bureautique (ODT, ODS, ODP, DOCX, XLSX ou PPTX)" in error.value.messages[0]


CUT = {
    "mp3 cut in a frame": samples.mp3()[:-100],
    "mp3 tag only": samples.mp3(frames=0),
    "mp3 one frame": samples.mp3(frames=1, id3=False),
    "ogg cut": samples.ogg()[:-10],
    "ogg without end of stream": samples.ogg(end=False),
    "wav cut": samples.wav()[:-500],
    "mp4 cut": samples.mp4()[:-100],
    "mp4 without moov": samples.mp4(moov=False),
    "m4a cut": samples.m4a()[:-50],
    "webm cut": samples.webm()[:-5],
    "odt cut": samples.odf()[:-30],
    "docx cut": samples.ooxml()[:-30],
    "docx without its main part": samples.ooxml(with_main=False),
}


@pytest.mark.parametrize("content", CUT.values(), ids=CUT.keys())
def test_cut_or_broken_files_are_refused_as_damaged(content):
    with pytest.raises(ValidationError, match="abîmé ou illisible") as error:
        check_upload(_file("fichier", content), kinds=DOCUMENT_KINDS, max_bytes=10**8)
    assert error.value.code == "damaged"


@pytest.mark.parametrize(
    "content",
    [
        samples.ooxml("docm"),
        samples.ooxml("docx", extra={"word/vbaProject.bin": b"\x00" * 10}),
    ],
    ids=["docm", "vba-in-docx"],
)
def test_macros_are_refused(content):
    with pytest.raises(ValidationError, match="contient des macros") as error:
        check_upload(_file("cours.docx", content), kinds=DOCUMENT_KINDS, max_bytes=10**8)
    assert error.value.code == "macros"


def test_odf_macros_are_refused():
    buffer = io.BytesIO(samples.odf())
    with __import__("zipfile").ZipFile(buffer, "a") as archive:
        archive.writestr("Basic/Standard/Module1.xml", "<module/>")
    with pytest.raises(ValidationError, match="contient des macros"):
        check_upload(_file("cours.odt", buffer.getvalue()), kinds=DOCUMENT_KINDS, max_bytes=10**8)


def test_zip_bombs_are_refused_without_unpacking(monkeypatch):
    monkeypatch.setattr(uploads, "ZIP_MAX_UNCOMPRESSED_BYTES", 8 * 1024 * 1024)
    bomb = samples.zip_bomb(16 * 1024 * 1024)
    assert len(bomb) < 100_000
    with pytest.raises(ValidationError, match="se décompresse en un volume anormal") as error:
        check_upload(_file("cours.docx", bomb), kinds=DOCUMENT_KINDS, max_bytes=10**8)
    assert error.value.code == "zip_bomb"


def test_pictures_in_an_mp4_box_are_not_video():
    heif = samples.mp4(handlers=(b"pict",), brand=b"heic")
    with pytest.raises(ValidationError, match="n'est pas un fichier"):
        check_upload(_file("photo.mp4", heif), kinds=DOCUMENT_KINDS, max_bytes=10**8)


def test_only_the_kinds_asked_for_are_accepted():
    with pytest.raises(ValidationError, match="n'est pas un fichier MP3, Ogg, WAV, M4A ou WebM"):
        check_upload(_file("cours.mp3", samples.odf()), kinds=AUDIO_KINDS, max_bytes=10**8)
    with pytest.raises(ValidationError, match="n'est pas un fichier ODT, ODS, ODP, DOCX, XLSX ou PPTX"):
        check_upload(_file("chanson.odt", samples.wav()), kinds=OFFICE_KINDS, max_bytes=10**8)
    # Text is taken only when asked for.
    with pytest.raises(ValidationError, match="n'est pas un fichier PDF, JPEG, PNG ou WebP"):
        check_upload(_file("notes.pdf", samples.text()), max_bytes=10**8)


def test_every_kind_says_whether_a_browser_shows_it():
    assert all(KINDS[k].inline for k in ("mp3", "webm", "pdf", "png"))
    assert not any(KINDS[k].inline for k in ("docx", "text"))
    assert ".opus" in KINDS["ogg"].extensions
