"""The quota under real parallel connections on PostgreSQL: uploads that would together go
over it are serialised by the row lock; the losers get the French quota message and leave
no file behind; ``used_bytes`` is the sum of the stored files."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum

from cybercantal.core.db import is_postgres
from cybercantal.core.testing import run_in_parallel
from cybercantal.core.tests import samples

from ..models import Document, DocumentSpace
from ..services import documents as services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _upload_all(student, contents):
    space = services.space_for(student)

    def send(item):
        index, content = item
        try:
            services.document_upload(
                actor=None,
                space=DocumentSpace.objects.get(pk=space.pk),
                folder=None,
                file=SimpleUploadedFile(f"son {index}.mp3", content),
            )
        except ValidationError as error:
            return "refused: " + error.messages[0]
        return "ok"

    return space, run_in_parallel(send, list(enumerate(contents)), timeout=120)


def _stored(space):
    storage = Document._meta.get_field("file").storage
    names = list(Document.objects.filter(space=space).values_list("file", flat=True))
    return storage, names


def test_two_uploads_at_once_that_exceed_the_quota_together(student):
    assert is_postgres()
    content = samples.mp3(frames=500)  # about 200 kB
    space = services.space_for(student)
    DocumentSpace.objects.filter(pk=space.pk).update(quota_bytes=len(content) * 3 // 2)
    space, results = _upload_all(student, [content, content])
    assert results.count("ok") == 1
    refused = [result for result in results if result != "ok"]
    assert len(refused) == 1
    assert "Votre espace est plein" in refused[0]
    space.refresh_from_db()
    assert space.used_bytes == len(content)
    assert Document.objects.filter(space=space).aggregate(total=Sum("size"))["total"] == space.used_bytes
    storage, names = _stored(space)
    assert len(names) == 1
    assert storage.size(names[0]) == space.used_bytes


def test_eight_uploads_at_once_fill_the_space_exactly(student):
    content = samples.mp3(frames=120)
    space = services.space_for(student)
    DocumentSpace.objects.filter(pk=space.pk).update(quota_bytes=len(content) * 3)
    space, results = _upload_all(student, [content] * 8)
    assert results.count("ok") == 3
    space.refresh_from_db()
    assert space.used_bytes == space.quota_bytes == 3 * len(content)
    storage, names = _stored(space)
    assert sum(storage.size(name) for name in names) == space.used_bytes


def test_two_first_visits_at_once_make_one_space(student):
    spaces = run_in_parallel(lambda _n: services.space_for(student).pk, range(6), timeout=60)
    assert len(set(spaces)) == 1
    assert DocumentSpace.objects.filter(owner=student).count() == 1
