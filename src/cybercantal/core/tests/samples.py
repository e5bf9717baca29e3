"""Small real files of every kind ``core.uploads`` takes, made in code (no binary fixture):
tests of the uploads and of the ENT's documents use them, and their impostors."""

from __future__ import annotations

import io
import math
import struct
import wave
import zipfile


def pdf(text: str = "Fiche") -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def image(fmt: str = "PNG", size: tuple[int, int] = (8, 8)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format=fmt)
    return buffer.getvalue()


def wav(seconds: float = 0.2, rate: int = 8000, frequency: float = 440.0) -> bytes:
    """A sine tone, 16-bit mono PCM, written by the standard ``wave`` module."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = int(seconds * rate)
        out.writeframes(
            b"".join(
                struct.pack("<h", int(12000 * math.sin(2 * math.pi * frequency * i / rate))) for i in range(samples)
            )
        )
    return buffer.getvalue()


def mp3(frames: int = 12, *, id3: bool = True) -> bytes:
    """MPEG-1 layer III frames at 128 kbit/s, 44.1 kHz (417 bytes each), after an ID3v2 tag."""
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413
    tag = b""
    if id3:
        body = b"TIT2\x00\x00\x00\x06\x00\x00\x03Son\x00\x00"
        tag = b"ID3\x03\x00\x00" + bytes([0, 0, 0, len(body)]) + body
    return tag + frame * frames


_OGG_CRC = []
for _i in range(256):
    _r = _i << 24
    for _ in range(8):
        _r = ((_r << 1) ^ 0x04C11DB7) if _r & 0x80000000 else (_r << 1)
    _OGG_CRC.append(_r & 0xFFFFFFFF)


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC[((crc >> 24) & 0xFF) ^ byte]
    return crc


def _ogg_page(packet: bytes, *, flags: int, sequence: int, granule: int = 0) -> bytes:
    table = [255] * (len(packet) // 255) + [len(packet) % 255]
    header = b"OggS\x00" + bytes([flags]) + struct.pack("<qII", granule, 1234, sequence) + b"\x00\x00\x00\x00"
    page = header + bytes([len(table)]) + bytes(table) + packet
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


def ogg(codec: bytes = b"OpusHead", *, end: bool = True) -> bytes:
    head = codec + b"\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00" if codec == b"OpusHead" else codec + b"\x00" * 22
    pages = [
        _ogg_page(head, flags=0x02, sequence=0),
        _ogg_page(b"OpusTags\x04\x00\x00\x00test\x00\x00\x00\x00", flags=0, sequence=1),
        _ogg_page(b"\xf8\xff\xfe" * 20, flags=0x04 if end else 0, sequence=2, granule=960),
    ]
    return b"".join(pages)


def _box(box_type: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + box_type + payload


def _trak(handler: bytes) -> bytes:
    hdlr = _box(b"hdlr", b"\x00" * 8 + handler + b"\x00" * 12 + b"son\x00")
    return _box(b"trak", _box(b"tkhd", b"\x00" * 84) + _box(b"mdia", _box(b"mdhd", b"\x00" * 24) + hdlr))


def mp4(*, handlers: tuple[bytes, ...] = (b"vide", b"soun"), brand: bytes = b"isom", moov: bool = True) -> bytes:
    """An ISO base media file: ftyp, moov with one track per handler, mdat."""
    ftyp = _box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"iso2mp41")
    movie = _box(b"moov", _box(b"mvhd", b"\x00" * 100) + b"".join(_trak(h) for h in handlers)) if moov else b""
    return ftyp + movie + _box(b"mdat", b"\x00" * 400)


def m4a() -> bytes:
    return mp4(handlers=(b"soun",), brand=b"M4A ")


def _vint_size(size: int) -> bytes:
    return (size | (1 << 56)).to_bytes(8, "big")  # 8-byte form: always valid


def _el(element_id: int, payload: bytes) -> bytes:
    id_bytes = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return id_bytes + _vint_size(len(payload)) + payload


def webm(*, track_types: tuple[int, ...] = (1, 2), doc_type: bytes = b"webm", unknown_size: bool = False) -> bytes:
    header = _el(0x1A45DFA3, _el(0x4286, b"\x01") + _el(0x4282, doc_type) + _el(0x4287, b"\x04"))
    tracks = _el(
        0x1654AE6B,
        b"".join(
            _el(0xAE, _el(0xD7, bytes([n + 1])) + _el(0x83, bytes([t])) + _el(0x86, b"V_VP8" if t == 1 else b"A_OPUS"))
            for n, t in enumerate(track_types)
        ),
    )
    body = _el(0x1549A966, _el(0x2AD7B1, b"\x0f\x42\x40")) + tracks + _el(0x1F43B675, _el(0xE7, b"\x00") + b"")
    if unknown_size:
        return header + b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff" + body
    return header + _el(0x18538067, body)


def odf(kind: str = "text") -> bytes:
    """A real OpenDocument file written by odfpy (text, spreadsheet or presentation)."""
    from odf.opendocument import OpenDocumentPresentation, OpenDocumentSpreadsheet, OpenDocumentText
    from odf.text import P

    document = {"text": OpenDocumentText, "spreadsheet": OpenDocumentSpreadsheet}.get(kind, OpenDocumentPresentation)()
    if kind == "text":
        document.text.addElement(P(text="Bonjour la 5e B"))
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


_MAIN = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
    "docm": ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
}


def ooxml(kind: str = "docx", *, with_main: bool = True, extra: dict[str, bytes] | None = None) -> bytes:
    part, content_type = _MAIN[kind]
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'officeDocument" Target="{part}"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", rels)
        if with_main:
            archive.writestr(part, '<?xml version="1.0"?><document>Bonjour</document>')
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_bomb(uncompressed: int) -> bytes:
    """A docx whose one entry unpacks to ``uncompressed`` bytes of zeros (a few kB stored)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("[Content_Types].xml", "w") as member:
            member.write(b"<Types/>")
        with archive.open("word/media/zeros.bin", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(uncompressed // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def text(content: str = "Leçon 3 : les fractions.\nÀ revoir pour mardi.\n") -> bytes:
    return content.encode("utf-8")


EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300 + b"This program cannot be run"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
