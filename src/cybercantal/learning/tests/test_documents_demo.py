"""The demo documents: real files in the demo teacher's folders and the demo pupil's space,
loaded twice without anything new, found by name by the courses and homework demos."""

from __future__ import annotations

import pytest

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Role

from ..demo import documents as demo
from ..models import Document, DocumentSpace, Folder
from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_documents_twice_create_nothing_new(django_capture_on_commit_callbacks):
    teacher = UserFactory(email=demo_email(Role.TEACHER))
    pupil = UserFactory(email=demo_email(Role.STUDENT))
    assert demo.load() == {"dossiers de documents": 2, "documents": 5}
    assert demo.load() == {"dossiers de documents": 0, "documents": 0}
    assert set(Folder.objects.filter(space__owner=teacher).values_list("name", flat=True)) == {
        "5e B — Mathématiques",
        "Ressources",
    }
    found = demo.demo_documents()
    assert set(found) == {demo.FRACTIONS_PDF, demo.TRIANGLE_PNG, demo.TONE_WAV, demo.INSTRUCTIONS_TXT, demo.PUPIL_PDF}
    assert found[demo.TONE_WAV].kind == "audio"
    assert found[demo.TONE_WAV].size > 2 * 16000 * 2  # two seconds of 16-bit sound
    assert found[demo.FRACTIONS_PDF].folder.name == "5e B — Mathématiques"
    assert found[demo.PUPIL_PDF].space.owner == pupil
    space = DocumentSpace.objects.get(owner=teacher)
    assert space.used_bytes == sum(Document.objects.filter(space=space).values_list("size", flat=True))


def test_without_demo_people_nothing_is_made():
    assert demo.load() == {"dossiers de documents": 0, "documents": 0}
    assert not Document.objects.exists()
