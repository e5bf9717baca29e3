"""``serve_document``, the one way the ENT sends a file: stored type, disposition, headers
that keep a browser from running it, HTTP ranges (each form, 416), validators (304), and
streaming from the filesystem or from a storage that only opens and seeks (as S3 does)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage
from django.test import RequestFactory
from django.utils.http import http_date

from cybercantal.core.tests import samples

from ..views.documents import serve_document
from .factories_documents import upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _responses_keep_the_test_connection():
    """Closing a response sends ``request_finished``, which closes the database connection
    (on PostgreSQL, the test's transaction with it): as the test client does, not here."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    request_finished.disconnect(close_old_connections)
    yield
    request_finished.connect(close_old_connections)


@pytest.fixture
def sound(student):
    return upload(student, samples.wav(seconds=0.5), name="dictée de l’été.wav")


def _get(document, *, inline=True, method="get", **headers):
    request = getattr(RequestFactory(), method)("/", headers=headers)
    response = serve_document(request, document, inline=inline)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return response, body


def _content(document):
    with document.file.open("rb") as handle:
        return handle.read()


def test_the_whole_file_with_safe_headers(sound):
    response, body = _get(sound)
    assert response.status_code == 200
    assert body == _content(sound)
    assert response["Content-Type"] == "audio/wav"
    assert response["Content-Length"] == str(sound.size)
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["ETag"] == f'"{sound.sha256}"'
    assert response["Last-Modified"] == http_date(sound.created_at.timestamp())
    assert response["Content-Disposition"] == (
        "inline; filename=\"dictee de l_ete.wav\"; filename*=UTF-8''dict%C3%A9e%20de%20l%E2%80%99%C3%A9t%C3%A9.wav"
    )


def test_attachment_when_asked_or_when_a_browser_should_not_show_it(student, sound):
    response, _body = _get(sound, inline=False)
    assert response["Content-Disposition"].startswith("attachment;")
    text = upload(student, samples.text(), name="notes.txt")
    response, _body = _get(text, inline=True)
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    pdf = upload(student, samples.pdf(), name="fiche.pdf")
    response, _body = _get(pdf, inline=True)
    assert response["Content-Disposition"].startswith("inline;")
    assert "sandbox" not in response["Content-Security-Policy"]  # Chromium would not show it
    assert "default-src 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-99", 0, 99), ("bytes=100-", 100, None), ("bytes=-50", None, None), ("bytes=10-999999999", 10, None)],
)
def test_single_ranges(sound, header, first, last):
    content = _content(sound)
    size = len(content)
    if first is None:
        first = size - 50
    if last is None:
        last = size - 1
    response, body = _get(sound, Range=header)
    assert response.status_code == 206
    assert body == content[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{size}"
    assert response["Content-Length"] == str(last - first + 1)


def test_a_suffix_longer_than_the_file_is_the_whole_file(sound):
    response, body = _get(sound, Range=f"bytes=-{sound.size * 2}")
    assert response.status_code == 206
    assert body == _content(sound)


@pytest.mark.parametrize("header", ["bytes=999999-", "bytes=-0", "bytes=99999999999999999999-"])
def test_unsatisfiable_ranges_are_416(sound, header):
    if header == "bytes=999999-":
        header = f"bytes={sound.size}-"
    response, body = _get(sound, Range=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{sound.size}"
    assert body == b""


@pytest.mark.parametrize("header", ["bytes=0-10,20-30", "bytes=abc", "items=0-5", "bytes=50-10", "bytes=-"])
def test_several_or_malformed_ranges_get_the_whole_file(sound, header):
    response, body = _get(sound, Range=header)
    assert response.status_code == 200
    assert len(body) == sound.size


def test_if_range_that_no_longer_matches_gets_the_whole_file(sound):
    response, body = _get(sound, Range="bytes=0-9", **{"If-Range": '"autre"'})
    assert response.status_code == 200
    assert len(body) == sound.size
    response, body = _get(sound, Range="bytes=0-9", **{"If-Range": f'"{sound.sha256}"'})
    assert response.status_code == 206
    assert len(body) == 10


def test_validators_answer_304(sound):
    response, body = _get(sound, **{"If-None-Match": f'"{sound.sha256}"'})
    assert response.status_code == 304
    assert body == b""
    assert response["ETag"] == f'"{sound.sha256}"'
    response, _body = _get(sound, **{"If-None-Match": '"autre", W/"' + sound.sha256 + '"'})
    assert response.status_code == 304
    response, _body = _get(sound, **{"If-Modified-Since": http_date(sound.created_at.timestamp() + 60)})
    assert response.status_code == 304
    response, _body = _get(sound, **{"If-None-Match": '"autre"'})
    assert response.status_code == 200


def test_head_sends_the_headers_only(sound):
    response, body = _get(sound, method="head")
    assert response.status_code == 200
    assert body == b""
    assert response["Content-Length"] == str(sound.size)


def test_a_storage_that_only_opens_and_seeks_streams_the_range(sound):
    """As with S3 (django-storages): no local path, the file is opened and read from the
    range's start."""
    content = _content(sound)
    memory = InMemoryStorage()
    memory.save(sound.file.name, ContentFile(content))
    sound.file.storage = memory
    response, body = _get(sound, Range="bytes=100-199")
    assert response.status_code == 206
    assert body == content[100:200]
    response, body = _get(sound)
    assert response.streaming
    assert body == content


def test_the_body_is_streamed_by_pieces(student):
    big = upload(student, samples.mp3(frames=600), name="long.mp3")  # 250 kB
    request = RequestFactory().get("/", headers={"Range": "bytes=1000-"})
    response = serve_document(request, big, inline=True)
    pieces = list(response.streaming_content)
    response.close()
    assert len(pieces) > 1
    assert max(len(piece) for piece in pieces) <= 64 * 1024
