"""Fuzz: any bytes given as a CSV file, any text typed in the activation and sign-in forms
give a French refusal or a result, never an exception (a 500)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..imports import KINDS, ImportFileError, parse
from .factories_provisioning import STUDENT_HEADER

CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(kind=st.sampled_from(KINDS), data=st.binary(max_size=600))
def test_any_bytes(kind: str, data: bytes) -> None:
    problems: list = []
    try:
        parse(kind, data)
    except ImportFileError as exc:
        problems = exc.problems or [None]
    assert all(p is not None and p.message for p in problems)


@FUZZ
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=8), max_size=8), delimiter=st.sampled_from([";", ",", "\t"]))
def test_any_cells_under_a_good_header(rows: list[list[str]], delimiter: str) -> None:
    text = "\n".join(delimiter.join(row) for row in [STUDENT_HEADER, *rows])
    for encoding in ("utf-8", "utf-16"):
        try:
            parsed = parse("students", text.encode(encoding, "replace"))
        except ImportFileError as exc:
            lines = [p.line for p in exc.problems]
        else:
            lines = []
            assert all(row.external_id and row.class_name for row in parsed.rows)
        assert all(line >= 0 for line in lines)


@pytest.fixture
def staff_client(client, school_staff):
    client.force_login(school_staff)
    return client


@FUZZ
@given(data=st.binary(max_size=400), kind=st.text(max_size=12))
def test_upload_endpoint(staff_client, school, klass, data: bytes, kind: str) -> None:
    response = staff_client.post(
        f"/ent/etablissements/{school.uai}/imports/",
        {"action": "upload", "kind": kind, "year": kind, "file": SimpleUploadedFile("x.csv", data)},
    )
    assert response.status_code in (200, 400)


@FUZZ
@given(token=st.text(max_size=80), leavers=st.text(max_size=5))
def test_confirm_endpoint(staff_client, school, token: str, leavers: str) -> None:
    response = staff_client.post(
        f"/ent/etablissements/{school.uai}/imports/",
        {"action": "confirm", "token": token.replace("\x00", ""), "mark_leavers": leavers},
    )
    assert response.status_code == 302


TEXT = st.text(max_size=300).map(lambda s: s.replace("\x00", ""))


@FUZZ
@given(login=TEXT, code=TEXT, step=st.sampled_from(["code", "password", "", "x"]))
def test_activation_endpoint(client, student, login: str, code: str, step: str) -> None:
    cache.clear()
    response = client.post("/ent/activer/", {"step": step, "login": login, "code": code, "password1": code})
    assert response.status_code in (200, 302, 400, 429)


@FUZZ
@given(identifier=TEXT, password=TEXT, next_url=TEXT)
def test_sign_in_endpoint(client, student, identifier: str, password: str, next_url: str) -> None:
    cache.clear()
    response = client.post("/ent/connexion/", {"identifier": identifier, "password": password, "next": next_url})
    assert response.status_code in (302, 400, 429)


@FUZZ
@given(audience=st.text(max_size=12), scope=st.text(max_size=12), confirm=st.text(max_size=4))
def test_letters_endpoint(client, school_staff, klass, student, audience: str, scope: str, confirm: str) -> None:
    client.force_login(school_staff)
    response = client.post(
        f"/ent/classes/{klass.pk}/lettres/", {"audience": audience, "scope": scope, "confirm": confirm}
    )
    assert response.status_code in (200, 400)
