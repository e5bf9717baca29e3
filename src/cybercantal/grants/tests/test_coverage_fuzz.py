"""Junk in, French out: random addresses, communes and files never end in a 500 or a crash,
and a refused file imports nothing."""

from __future__ import annotations

import gzip
import io
import random

import pytest
from django.core.exceptions import ValidationError

from ..models import Building, CoverageEdition
from ..services.coverage import CoverageFile, coverage_import, eligibility_check, parse_address
from .factories import ProgrammeFactory
from .factories_coverage import ACTUEL_HEADER, BASE_IMB_HEADER, commune, csv_bytes, import_sample

pytestmark = pytest.mark.django_db

NASTY = [
    "",
    "x" * 10000,
    "\x00",
    "-1",
    "99999999999999999999",
    "<script>alert(1)</script>",
    "null",
    "../../etc",
    "ß ﬁ 🛰️",
]
ALPHABET = "0123456789 abcdeéèçàBISterTER,.;'-°\u00a0\t\n\x00/\\%_"


def random_text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, size)))


def test_random_addresses_always_get_an_answer(territory):
    import_sample()
    programme = ProgrammeFactory()
    place = commune("Neuvéglise-sur-Truyère")
    rng = random.Random(7)
    for text in [*NASTY, *(random_text(rng, 60) for _ in range(300))]:
        parsed = parse_address(text, commune=place)
        assert len(parsed.key) <= 400
        result = eligibility_check(programme=programme, commune=place, address=text)
        assert result.answer in {"eligible", "not_eligible", "to_check"}
        assert result.explanation


def test_random_query_strings_never_500(client, territory, programme, settings):
    settings.API_ANONYMOUS_RATE = "100000/m"  # the anonymous limit is not what is tested here
    import_sample()
    rng = random.Random(11)
    values = [*NASTY, *(random_text(rng, 40) for _ in range(40))]
    for value in values:
        for params in (
            {"commune": value},
            {"commune": "15142", "adresse": value},
            {"dispositif": value, "commune": value},
        ):
            assert client.get("/aides/eligibilite/", params).status_code == 200, params
            assert client.get("/api/aides/eligibilite", params).status_code in (200, 404, 422), params
    assert client.get("/aides/eligibilite/", {"commune": ["a", "b"], "dispositif": ["x", "y"]}).status_code == 200


def test_random_bytes_and_mangled_files_are_refused_cleanly(territory):
    rng = random.Random(3)
    good_buildings = csv_bytes(
        BASE_IMB_HEADER, [["1", "", "", "", "15142", "1", "", "", "", "", "1", "", "A", "", "", "", "", ""]]
    )
    good_lines = csv_bytes(ACTUEL_HEADER, [["1", "", "", "FRTE", "CU", "HD05", "HD05", "", "false"]])
    candidates: list[bytes] = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 400))) for _ in range(30)]
    for _ in range(30):  # a good file with bytes flipped or cut
        content = bytearray(good_buildings)
        for _flip in range(rng.randint(1, 6)):
            content[rng.randrange(len(content))] = rng.randrange(256)
        candidates.append(bytes(content[: rng.randint(1, len(content))]))
    candidates.append(gzip.compress(good_buildings)[:-8])  # truncated gzip
    refusals: list[ValidationError] = []
    for content in candidates:
        try:
            coverage_import(
                actor=None,
                quarter="2026T2",
                buildings=CoverageFile("base_imb_15.csv", io.BytesIO(content)),
                eligibility=CoverageFile("actuel_15.csv", io.BytesIO(good_lines)),
            )
        except ValidationError as exc:  # CoverageImportError is one: a French report
            refusals.append(exc)
            assert not CoverageEdition.objects.exists()
        else:
            CoverageEdition.objects.all().delete()
    assert len(refusals) > 30
    assert all(exc.messages for exc in refusals)
    assert not Building.objects.exists()
