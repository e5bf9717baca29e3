"""PostgreSQL, real connections at the same moment: twenty people save the same SIREN, one
company is created, the others get the French error on the field (never a 500); twenty moves of
the same company at once leave a history where each move starts from the previous one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cybercantal.core.db import is_postgres
from cybercantal.core.testing import run_in_parallel

from ..models import Prospect, ProspectStage
from ..services import prospecting as services
from .factories_prospecting import prospect

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_people_save_the_same_siren_one_company():
    assert is_postgres()

    def create(index: int) -> str:
        try:
            services.prospect_create(actor=None, name=f"Studio {index}", siren="732 829 320")
        except ValidationError as exc:
            return exc.message_dict.get("siren", ["?"])[0]
        return "ok"

    results = run_in_parallel(create, range(20), timeout=120)
    assert results.count("ok") == 1
    winner = Prospect.objects.get(siren="732829320")
    refusals = [r for r in results if r != "ok"]
    assert refusals == [f"Ce SIREN est déjà celui de l'entreprise « {winner.name} »."] * 19
    assert winner.stage_changes.count() == 1


def test_twenty_moves_at_once_keep_a_consistent_history():
    company = prospect(identified_days_ago=3)
    stages = [ProspectStage.CONTACTED, ProspectStage.MEETING] * 10

    def move(stage: str) -> str:
        try:
            services.prospect_move(actor=None, prospect=company, to_stage=stage)
        except ValidationError:
            return "refused"  # already at that stage when its turn came
        return "ok"

    results = run_in_parallel(move, stages, timeout=120)
    company.refresh_from_db()
    history = list(company.stage_changes.order_by("at", "pk"))
    assert len(history) == 1 + results.count("ok")
    assert [c.from_stage for c in history[1:]] == [c.to_stage for c in history[:-1]]
    assert history[-1].to_stage == company.stage
