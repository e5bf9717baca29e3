"""Uploaded files are checked by what they contain, never by their name, and served only
through views that have checked who is asking.

``check_upload(file, kinds=..., max_bytes=...)`` reads the first bytes (magic numbers, with
``puremagic`` for what they do not cover), then opens the file with what its kind needs
(``pypdf`` for PDF, Pillow for images, a structure walk for sound, video and office files,
a UTF-8 decoder for text): a file named ``devis.pdf`` that is a renamed executable, a
truncated PDF or an image that does not decode is refused with a French message. The
detected type, not the browser's, is what gets stored and served.

The kinds (``KINDS``), grouped by ``Kind.family``:

- ``pdf``; images ``jpeg``, ``png``, ``webp``;
- sound: ``mp3`` (an ID3v2 tag or an MPEG layer III frame sync, then frames that chain and
  none cut by the end of the file), ``ogg`` (Ogg pages of Opus, Vorbis or FLAC that chain
  to the end of the file, the last one marked "end of stream"), ``wav`` (RIFF/WAVE with a
  ``fmt `` and a whole ``data`` chunk), ``m4a`` (an MP4 container whose tracks are sound
  only) and ``weba`` (WebM whose tracks are sound only);
- video: ``mp4`` and ``mov`` (ISO base media ``ftyp`` … ``moov`` with a video track, every
  top-level box inside the file), ``webm`` and ``mkv`` (EBML ``1A45DFA3``, DocType, a
  ``Tracks`` element; a segment of known size must fit in the file);
- office: ``odt``, ``ods``, ``odp`` (a zip whose first entry ``mimetype`` says so) and
  ``docx``, ``xlsx``, ``pptx`` (a zip with ``[Content_Types].xml`` naming the main part,
  which must be there); macro-enabled documents are refused, and so is a zip that would
  unpack to more than ``ZIP_MAX_UNCOMPRESSED_BYTES`` or hold more than ``ZIP_MAX_ENTRIES``
  files (zip bombs); nothing is ever extracted to disk;
- ``text``: valid UTF-8 (a BOM is allowed), no NUL byte, and not a web page or SVG.

Nothing reads a whole file into memory: the SHA-256 and the checks read it by pieces.

``serve(file_field, filename=...)``: a ``FileResponse`` with the stored content type,
``Content-Disposition`` (attachment unless inline is asked for a type a browser shows
safely), ``X-Content-Type-Options: nosniff`` and a sandboxing CSP.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import struct
import zipfile
from dataclasses import dataclass
from typing import IO, Any

import puremagic
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
# Zip bombs: an office document never unpacks to more than this, nor holds more entries.
ZIP_MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
ZIP_MAX_ENTRIES = 5000


@dataclass(frozen=True)
class Kind:
    name: str  # "pdf", "jpeg", "png", "webp", "mp3", "docx"...
    content_type: str
    extension: str
    label: str  # for messages: "PDF", "JPEG"...
    family: str = ""  # "pdf", "image", "audio", "video", "office", "text"
    aliases: tuple[str, ...] = ()  # other extensions people give such files

    @property
    def extensions(self) -> tuple[str, ...]:
        return (self.extension, *self.aliases)

    @property
    def inline(self) -> bool:
        """A browser shows it by itself (and safely, with the sandbox CSP)."""
        return self.family in {"pdf", "image", "audio", "video"}


KINDS: dict[str, Kind] = {
    "pdf": Kind("pdf", "application/pdf", ".pdf", "PDF", "pdf"),
    "jpeg": Kind("jpeg", "image/jpeg", ".jpg", "JPEG", "image", (".jpeg",)),
    "png": Kind("png", "image/png", ".png", "PNG", "image"),
    "webp": Kind("webp", "image/webp", ".webp", "WebP", "image"),
    # Sound
    "mp3": Kind("mp3", "audio/mpeg", ".mp3", "MP3", "audio"),
    "ogg": Kind("ogg", "audio/ogg", ".ogg", "Ogg", "audio", (".oga", ".opus")),
    "wav": Kind("wav", "audio/wav", ".wav", "WAV", "audio"),
    "m4a": Kind("m4a", "audio/mp4", ".m4a", "M4A", "audio", (".mp4", ".aac")),
    "weba": Kind("weba", "audio/webm", ".weba", "WebM", "audio", (".webm",)),
    # Video
    "mp4": Kind("mp4", "video/mp4", ".mp4", "MP4", "video", (".m4v", ".3gp")),
    "mov": Kind("mov", "video/quicktime", ".mov", "MOV", "video"),
    "webm": Kind("webm", "video/webm", ".webm", "WebM", "video"),
    "mkv": Kind("mkv", "video/x-matroska", ".mkv", "MKV", "video"),
    # Office documents
    "odt": Kind("odt", "application/vnd.oasis.opendocument.text", ".odt", "ODT", "office"),
    "ods": Kind("ods", "application/vnd.oasis.opendocument.spreadsheet", ".ods", "ODS", "office"),
    "odp": Kind("odp", "application/vnd.oasis.opendocument.presentation", ".odp", "ODP", "office"),
    "docx": Kind(
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", "DOCX", "office"
    ),
    "xlsx": Kind(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", "XLSX", "office"
    ),
    "pptx": Kind(
        "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx", "PPTX", "office"
    ),
    # Text
    "text": Kind("text", "text/plain; charset=utf-8", ".txt", "texte (UTF-8)", "text", (".csv", ".md")),
}
PDF_OR_IMAGE = ("pdf", "jpeg", "png", "webp")
IMAGE_KINDS = frozenset({"jpeg", "png", "webp"})
AUDIO_KINDS = ("mp3", "ogg", "wav", "m4a", "weba")
VIDEO_KINDS = ("mp4", "mov", "webm", "mkv")
OFFICE_KINDS = ("odt", "ods", "odp", "docx", "xlsx", "pptx")
TEXT_KINDS = ("text",)
# Everything a document space takes.
DOCUMENT_KINDS = (*PDF_OR_IMAGE, *AUDIO_KINDS, *VIDEO_KINDS, *OFFICE_KINDS, *TEXT_KINDS)

# Magic numbers checked first (exact, cheap); puremagic for what they do not cover.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "pdf"),
    (b"\xff\xd8\xff", 0, "jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
)
# Containers whose kind is known only once their structure has been read.
_CONTAINERS = frozenset({"mp3", "ogg", "wav", "isobmff", "ebml", "zip"})


@dataclass(frozen=True)
class CheckedUpload:
    kind: Kind
    size: int
    sha256: str
    original_name: str


class _DamagedError(Exception):
    """The file is of a kind we know, but its structure is broken (truncated, cut...)."""


class _RefusedError(Exception):
    """A specific French reason (macros, zip bomb)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _sniff(head: bytes) -> str | None:
    """What the first bytes announce: a kind, or a container to open (``_CONTAINERS``)."""
    for signature, offset, name in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:3] == b"ID3" or _mpeg_frame_length(head[:4]) is not None:
        return "mp3"
    if head[:4] == b"OggS":
        return "ogg"
    if head[4:8] == b"ftyp":
        return "isobmff"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "ebml"
    if head[:4] == b"PK\x03\x04":
        return "zip"
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    for match in matches:
        mime = getattr(match, "mime_type", "") or ""
        for kind in (KINDS[k] for k in PDF_OR_IMAGE):
            if mime == kind.content_type:
                return kind.name
    return None


def _detect(head: bytes) -> str | None:
    """The kind the first bytes announce, for the kinds known from them alone."""
    sniffed = _sniff(head)
    return sniffed if sniffed in KINDS and sniffed not in _CONTAINERS else None


def _size(file: Any) -> int:
    size = getattr(file, "size", None)
    if size is not None:
        return int(size)
    position = file.tell()
    file.seek(0, io.SEEK_END)
    end = file.tell()
    file.seek(position)
    return int(end)


_FAMILY_LABELS = {
    "image": "image",
    "audio": "son",
    "video": "vidéo",
    "office": "document bureautique",
}


def _join(labels: list[str]) -> str:
    if len(labels) == 1:
        return labels[0]
    return _("%(first)s ou %(last)s") % {"first": ", ".join(labels[:-1]), "last": labels[-1]}


def _allowed_labels(kinds: tuple[str, ...] | list[str]) -> str:
    labels = list(dict.fromkeys(KINDS[k].label for k in kinds))
    if len(labels) <= 4 or len({KINDS[k].family for k in kinds}) == 1:
        return _join(labels)
    # Many kinds: grouped by family, "PDF, image (JPEG, PNG ou WebP), son (MP3…)…".
    groups: dict[str, list[str]] = {}
    for k in kinds:
        kind = KINDS[k]
        groups.setdefault(kind.family or kind.name, [])
        if kind.label not in groups[kind.family or kind.name]:
            groups[kind.family or kind.name].append(kind.label)
    parts = []
    for family, members in groups.items():
        if family in _FAMILY_LABELS:
            parts.append(f"{_(_FAMILY_LABELS[family])} ({_join(members)})")
        else:
            parts.append(_join(members))
    return _join(parts)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",").replace(",0", "")


def _what_it_is(head: bytes) -> str:
    """A hint for the person when the content is plainly something else."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head[:2] == b"MZ" or head[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return _("C'est un programme.")
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml")):
        return _("C'est une page web ou un fichier XML.")
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return _(
            "C'est un document Office d'un ancien format (.doc, .xls, .ppt) : enregistrez-le au format "
            "ODT, DOCX, ODS, XLSX, ODP ou PPTX."
        )
    if head[:4] == b"PK\x03\x04":
        return _("C'est une archive ZIP.")
    return ""


def check_upload(
    file: IO[bytes] | Any, *, kinds: tuple[str, ...] | list[str] = PDF_OR_IMAGE, max_bytes: int
) -> CheckedUpload:
    """Check ``file`` (an ``UploadedFile`` or any seekable binary file object). Raises
    ``ValidationError`` with a French message; returns the detected kind, size and SHA-256
    otherwise. The file is left at position 0."""
    name = str(getattr(file, "name", "") or "fichier")
    size = _size(file)
    if size == 0:
        raise ValidationError(_("Le fichier « %(name)s » est vide.") % {"name": name}, code="empty")
    if size > max_bytes:
        raise ValidationError(
            _("Le fichier « %(name)s » pèse %(size)s Mo : le maximum est %(max)s Mo.")
            % {"name": name, "size": _megabytes(size), "max": _megabytes(max_bytes)},
            code="too_big",
        )
    file.seek(0)
    head = file.read(4096)
    damaged = ValidationError(
        _("Le fichier « %(name)s » est abîmé ou illisible : enregistrez-le à nouveau puis réessayez.") % {"name": name},
        code="damaged",
    )
    wrong = ValidationError(
        " ".join(
            part
            for part in (
                _("Le fichier « %(name)s » n'est pas un fichier %(allowed)s (son contenu a été vérifié, pas son nom).")
                % {"name": name, "allowed": _allowed_labels(kinds)},
                _what_it_is(head),
            )
            if part
        ),
        code="wrong_type",
    )
    sniffed = _sniff(head)
    detected: str | None
    try:
        if sniffed is None:
            detected = "text" if "text" in kinds and _is_text(file, head) else None
        elif sniffed in _CONTAINERS:
            # Known containers: open them only when one of their kinds is wanted.
            wanted = {"mp3": ("mp3",), "ogg": ("ogg",), "wav": ("wav",), "isobmff": ("m4a", "mp4", "mov")}
            wanted |= {"ebml": ("weba", "webm", "mkv"), "zip": OFFICE_KINDS}
            detected = _identify(file, sniffed, size) if set(wanted[sniffed]) & set(kinds) else None
        else:
            detected = sniffed
    except _DamagedError as exc:
        logger.info("damaged upload refused", extra={"kind": sniffed, "error": str(exc)[:200]})
        raise damaged from exc
    except _RefusedError as exc:
        raise ValidationError(exc.message % {"name": name}, code=exc.code) from exc
    finally:
        file.seek(0)
    if detected is None or detected not in kinds:
        raise wrong
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(CHUNK), b""):
        digest.update(chunk)
    file.seek(0)
    try:
        _open_fully(file, detected, name)
    finally:
        file.seek(0)
    return CheckedUpload(kind=KINDS[detected], size=size, sha256=digest.hexdigest(), original_name=name[:200])


def _open_fully(file: IO[bytes] | Any, kind: str, name: str) -> None:
    """Open the file with the library made for its kind: a damaged file is refused now, not
    when someone tries to read it. (Containers were walked by ``_identify`` already.)"""
    damaged = ValidationError(
        _("Le fichier « %(name)s » est abîmé ou illisible : enregistrez-le à nouveau puis réessayez.") % {"name": name},
        code="damaged",
    )
    if isinstance(file, bytes | bytearray):
        file = io.BytesIO(file)
    file.seek(0)
    if kind == "pdf":
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            reader = PdfReader(file, strict=False)
            if reader.is_encrypted:
                raise ValidationError(
                    _("Le fichier « %(name)s » est protégé par un mot de passe : envoyez une version sans protection.")
                    % {"name": name},
                    code="encrypted",
                )
            if len(reader.pages) == 0:
                raise damaged
        except ValidationError:
            raise
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
            logger.info("damaged pdf refused", extra={"error": type(exc).__name__})
            raise damaged from exc
        return
    if kind in IMAGE_KINDS:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(file) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise damaged from exc


# --- Structure walks ---------------------------------------------------------------------------


def _read_at(file: Any, offset: int, length: int) -> bytes:
    file.seek(offset)
    return bytes(file.read(length))


def _identify(file: Any, container: str, size: int) -> str | None:
    """The precise kind of a container, or None when it is none we take; ``_DamagedError`` when
    it is broken (cut short, inconsistent)."""
    if container == "mp3":
        _walk_mp3(file, size)
        return "mp3"
    if container == "ogg":
        return _walk_ogg(file, size)
    if container == "wav":
        _walk_wav(file, size)
        return "wav"
    if container == "isobmff":
        return _walk_isobmff(file, size)
    if container == "ebml":
        return _walk_ebml(file, size)
    if container == "zip":
        return _walk_zip(file)
    return None


# MPEG audio (layer III only: "MP3").
_MP3_BITRATES = {
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2
    0: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2.5
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mpeg_frame_length(header: bytes) -> int | None:
    """Length of the MPEG layer III frame this 4-byte header starts, None if it is not one."""
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:
        return None
    version = (header[1] >> 3) & 3
    layer = (header[1] >> 1) & 3
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate = _MP3_BITRATES[version][bitrate_index] * 1000
    rate = _MP3_RATES[version][rate_index]
    padding = (header[2] >> 1) & 1
    return (144 if version == 3 else 72) * bitrate // rate + padding


def _walk_mp3(file: Any, size: int) -> None:
    offset = 0
    while True:  # ID3v2 tags (sometimes more than one)
        tag = _read_at(file, offset, 10)
        if tag[:3] != b"ID3":
            break
        if len(tag) < 10 or any(b & 0x80 for b in tag[6:10]):
            raise _DamagedError("id3 header")
        length = (tag[6] << 21) | (tag[7] << 14) | (tag[8] << 7) | tag[9]
        offset += 10 + length + (10 if tag[5] & 0x10 else 0)
        if offset > size:
            raise _DamagedError("id3 tag cut")
    # Some writers pad after the tag: find the first frame within 64 kB.
    window = _read_at(file, offset, 65536)
    start = None
    for index in range(max(0, len(window) - 3)):
        if window[index] == 0xFF and (first := _mpeg_frame_length(window[index : index + 4])):
            following = _read_at(file, offset + index + first, 4)
            if len(following) < 4 or _mpeg_frame_length(following) is not None:
                start = offset + index
                break
    if start is None:
        raise _DamagedError("no mpeg frame")
    frames, position = 0, start
    while position < size:
        header = _read_at(file, position, 4)
        frame = _mpeg_frame_length(header)
        if frame is None:
            break  # ID3v1/APE tag or junk after the sound: players stop there too
        if position + frame > size:
            raise _DamagedError("last frame cut")
        frames += 1
        position += frame
    if frames < 2:
        raise _DamagedError("fewer than two frames")


_OGG_CODECS = (b"OpusHead", b"\x01vorbis", b"\x7fFLAC", b"Speex   ")


def _walk_ogg(file: Any, size: int) -> str | None:
    position, first, last_flags = 0, True, 0
    while position < size:
        header = _read_at(file, position, 27)
        if len(header) < 27 or header[:4] != b"OggS" or header[4] != 0:
            raise _DamagedError("ogg page header")
        segments = header[26]
        table = _read_at(file, position + 27, segments)
        if len(table) < segments:
            raise _DamagedError("ogg segment table cut")
        body = sum(table)
        if first:
            if not header[5] & 0x02:
                raise _DamagedError("first ogg page is not a beginning of stream")
            packet = _read_at(file, position + 27 + segments, 8)
            if not packet.startswith(_OGG_CODECS):
                return None  # Theora video, or something else
            first = False
        last_flags = header[5]
        position += 27 + segments + body
        if position > size:
            raise _DamagedError("ogg page cut")
    if not last_flags & 0x04:
        raise _DamagedError("ogg stream has no end")
    return "ogg"


def _walk_wav(file: Any, size: int) -> None:
    riff = _read_at(file, 0, 12)
    (riff_size,) = struct.unpack("<I", riff[4:8])
    if riff_size + 8 > size:
        raise _DamagedError("riff cut")
    position, fmt_ok, data_ok = 12, False, False
    while position + 8 <= min(size, riff_size + 8):
        chunk = _read_at(file, position, 8)
        chunk_id, (chunk_size,) = chunk[:4], struct.unpack("<I", chunk[4:8])
        if position + 8 + chunk_size > size:
            raise _DamagedError("wav chunk cut")
        if chunk_id == b"fmt ":
            fields = _read_at(file, position + 8, 16)
            if chunk_size < 16 or len(fields) < 16:
                raise _DamagedError("wav fmt")
            audio_format, channels, rate = struct.unpack("<HHI", fields[:8])
            fmt_ok = audio_format != 0 and 0 < channels <= 32 and 0 < rate <= 768000
        elif chunk_id == b"data":
            data_ok = chunk_size > 0
        position += 8 + chunk_size + (chunk_size & 1)
    if not (fmt_ok and data_ok):
        raise _DamagedError("wav without fmt or data")


_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis", b"crx "})
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})


def _boxes(file: Any, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """The boxes between ``start`` and ``end``: (type, payload offset, box end)."""
    boxes, position = [], start
    while position < end:
        header = _read_at(file, position, 8)
        if len(header) < 8:
            raise _DamagedError("box header cut")
        (box_size,), box_type = struct.unpack(">I", header[:4]), header[4:8]
        payload = position + 8
        if box_size == 1:
            large = _read_at(file, position + 8, 8)
            if len(large) < 8:
                raise _DamagedError("box size cut")
            (box_size,) = struct.unpack(">Q", large)
            payload += 8
        elif box_size == 0:
            box_size = end - position
        if box_size < payload - position or position + box_size > end:
            raise _DamagedError("box runs past its parent")
        if not all(32 <= b < 127 for b in box_type):
            raise _DamagedError("box type")
        boxes.append((box_type, payload, position + box_size))
        position += box_size
        if len(boxes) > 100_000:
            raise _DamagedError("too many boxes")
    return boxes


def _child(file: Any, boxes: list[tuple[bytes, int, int]], box_type: bytes) -> list[tuple[bytes, int, int]]:
    return [box for box in boxes if box[0] == box_type]


def _walk_isobmff(file: Any, size: int) -> str | None:
    top = _boxes(file, 0, size)
    if top[0][0] != b"ftyp":
        raise _DamagedError("no ftyp first")
    ftyp = _read_at(file, top[0][1], min(top[0][2] - top[0][1], 256))
    major = ftyp[:4]
    brands = {major} | {ftyp[i : i + 4] for i in range(8, len(ftyp) - 3, 4)}
    if major in _IMAGE_BRANDS or (brands & _IMAGE_BRANDS and not brands - _IMAGE_BRANDS - {b"isom", b"mp41", b"mp42"}):
        return None  # HEIF/AVIF pictures, not video
    moov = _child(file, top, b"moov")
    if not moov:
        raise _DamagedError("no moov (recording interrupted?)")
    handlers = set()
    for _type, start, end in _child(file, _boxes(file, moov[0][1], moov[0][2]), b"trak"):
        for _m, m_start, m_end in _child(file, _boxes(file, start, end), b"mdia"):
            for _h, h_start, _h_end in _child(file, _boxes(file, m_start, m_end), b"hdlr"):
                handlers.add(_read_at(file, h_start + 8, 4))
    if b"vide" in handlers:
        return "mov" if major == b"qt  " else "mp4"
    if b"soun" in handlers or major in _AUDIO_BRANDS:
        return "m4a"
    return None


def _vint(file: Any, position: int, *, keep_marker: bool) -> tuple[int, int, bool]:
    """An EBML variable-length integer at ``position``: (value, length, all ones)."""
    first = _read_at(file, position, 1)
    if not first or first[0] == 0:
        raise _DamagedError("ebml vint")
    length = 8 - first[0].bit_length() + 1
    data = first + _read_at(file, position + 1, length - 1)
    if len(data) < length:
        raise _DamagedError("ebml vint cut")
    value = int.from_bytes(data, "big")
    if not keep_marker:
        value &= (1 << (7 * length)) - 1
    return value, length, value == (1 << (7 * length)) - 1


def _elements(file: Any, start: int, end: int, *, stop: int | None = None) -> list[tuple[int, int, int | None]]:
    """EBML elements between ``start`` and ``end``: (id, data offset, data end or None if
    unknown). Stops after the element of id ``stop``, or at an element of unknown size."""
    found: list[tuple[int, int, int | None]] = []
    position = start
    while position < end and len(found) < 10_000:
        element_id, id_length, _ones = _vint(file, position, keep_marker=True)
        if id_length > 4:
            raise _DamagedError("ebml id")
        size, size_length, unknown = _vint(file, position + id_length, keep_marker=False)
        data = position + id_length + size_length
        if unknown:
            found.append((element_id, data, None))
            break
        if data + size > end:
            raise _DamagedError("ebml element runs past its parent")
        found.append((element_id, data, data + size))
        position = data + size
        if element_id == stop:
            break
    return found


def _walk_ebml(file: Any, size: int) -> str | None:
    header = _elements(file, 0, size, stop=0x1A45DFA3)
    if not header or header[0][0] != 0x1A45DFA3 or header[0][2] is None:
        raise _DamagedError("ebml header")
    doc_type = b""
    for element_id, start, end in _elements(file, header[0][1], header[0][2]):
        if element_id == 0x4282 and end is not None:
            doc_type = _read_at(file, start, min(end - start, 32)).rstrip(b"\x00")
    if doc_type not in (b"webm", b"matroska"):
        return None
    segment = _elements(file, header[0][2], size, stop=0x18538067)
    if not segment or segment[0][0] != 0x18538067:
        raise _DamagedError("no segment")
    _id, seg_start, seg_end = segment[0]
    track_types: set[int] = set()
    for element_id, start, end in _elements(file, seg_start, seg_end or size, stop=0x1654AE6B):
        if element_id == 0x1654AE6B and end is not None:
            for entry_id, e_start, e_end in _elements(file, start, end):
                if entry_id == 0xAE and e_end is not None:
                    for field_id, f_start, f_end in _elements(file, e_start, e_end):
                        if field_id == 0x83 and f_end is not None:
                            track_types.add(int.from_bytes(_read_at(file, f_start, f_end - f_start), "big"))
    if not track_types:
        raise _DamagedError("no tracks")
    if 1 in track_types:
        return "webm" if doc_type == b"webm" else "mkv"
    if 2 in track_types and doc_type == b"webm":
        return "weba"
    return None


_ODF_TYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
}
_OOXML_MACROS = frozenset(
    {
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        "application/vnd.ms-excel.template.macroEnabled.main+xml",
        "application/vnd.ms-excel.addin.macroEnabled.main+xml",
        "application/vnd.ms-excel.sheet.binary.macroEnabled.main",
        "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
        "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",
        "application/vnd.ms-powerpoint.template.macroEnabled.main+xml",
        "application/vnd.ms-office.vbaProject",
    }
)


def _macros() -> _RefusedError:
    return _RefusedError(
        _(
            "Le fichier « %(name)s » contient des macros, qui ne sont pas acceptées : enregistrez-le sans macros "
            "(par exemple au format DOCX, XLSX, PPTX ou OpenDocument) puis réessayez."
        ),
        "macros",
    )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read one entry (CRC checked by ``zipfile``), at most ``limit`` bytes kept."""
    kept = bytearray()
    with archive.open(info) as member:
        for chunk in iter(lambda: member.read(CHUNK), b""):
            if len(kept) < limit:
                kept.extend(chunk[: limit - len(kept)])
    return bytes(kept)


def _walk_zip(file: Any) -> str | None:
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise _DamagedError(f"zip: {exc}") from exc
    with archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        if len(infos) > ZIP_MAX_ENTRIES or total > ZIP_MAX_UNCOMPRESSED_BYTES:
            raise _RefusedError(
                _(
                    "Le fichier « %(name)s » se décompresse en un volume anormal (plus de %(max)s Mo ou de "
                    "%(entries)s fichiers) : il n'est pas accepté."
                )
                % {"name": "%(name)s", "max": _megabytes(ZIP_MAX_UNCOMPRESSED_BYTES), "entries": ZIP_MAX_ENTRIES},
                "zip_bomb",
            )
        names = {info.filename: info for info in infos}
        try:
            if infos and infos[0].filename == "mimetype":
                mimetype = _read_member(archive, infos[0], 200).strip()
                kind = _ODF_TYPES.get(mimetype)
                if kind is None:
                    return None  # drawing, EPUB...
                if any(n.startswith(("Basic/", "Scripts/")) for n in names):
                    raise _macros()
                if "content.xml" not in names:
                    raise _DamagedError("odf without content.xml")
                _read_member(archive, names["content.xml"], 0)
                return kind
            if "[Content_Types].xml" not in names:
                return None
            from defusedxml import ElementTree
            from defusedxml.common import DefusedXmlException

            try:
                types = ElementTree.fromstring(_read_member(archive, names["[Content_Types].xml"], 1024 * 1024))
            except (ElementTree.ParseError, DefusedXmlException) as exc:
                raise _DamagedError("content types") from exc
            overrides = {
                (element.get("PartName") or "").lstrip("/"): element.get("ContentType") or ""
                for element in types
                if element.tag.rsplit("}", 1)[-1] == "Override"
            }
            defaults = {element.get("ContentType") or "" for element in types if element.tag.endswith("Default")}
            if (
                set(overrides.values()) & _OOXML_MACROS
                or defaults & _OOXML_MACROS
                or any(n.lower().endswith("vbaproject.bin") for n in names)
            ):
                raise _macros()
            mains = [(part, _OOXML_MAIN[kind]) for part, kind in overrides.items() if kind in _OOXML_MAIN]
            if not mains:
                return None
            part, kind = mains[0]
            if part not in names:
                raise _DamagedError("main part missing")
            _read_member(archive, names[part], 0)
            return kind
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise _DamagedError(f"zip member: {exc}") from exc


_MARKUP = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml", b"<iframe", b"<!--")


def _is_text(file: Any, head: bytes) -> bool:
    """Valid UTF-8 from start to end, without NUL, and not markup a browser would run."""
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_MARKUP):
        return False
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    file.seek(0)
    try:
        for chunk in iter(lambda: file.read(CHUNK), b""):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def safe_filename(name: str, kind: Kind) -> str:
    """A download name: the person's name without path or odd characters, the right extension."""
    from django.utils.text import get_valid_filename

    base = name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0][:80] or "document"
    try:
        base = get_valid_filename(base)
    except Exception:  # noqa: BLE001 - SuspiciousFileOperation for names such as ".."
        base = "document"
    return f"{base}{kind.extension}"


def serve(file_field: Any, *, content_type: str, filename: str, inline: bool = False) -> FileResponse:
    """Stream a stored private file. The caller has checked the permission."""
    handle = file_field.open("rb")
    response = FileResponse(handle, content_type=content_type, as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response["Cache-Control"] = "private, no-store"
    return response
