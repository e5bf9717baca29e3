"""A double submit of the same GIFT import, on PostgreSQL with real parallel connections:
the questions and their categories are created once."""

from __future__ import annotations

import pytest

from cybercantal.core.testing import run_in_parallel
from cybercantal.learning.models import Question, QuestionCategory

TEXT = "$CATEGORY: 5e/Fractions\n\n::Moitié::1/2 + 1/2 ?{=1 ~2}\n\n::Vrai::Le Cantal est en Auvergne.{T}\n"


def _import(teacher_id: int) -> str:
    from cybercantal.accounts.models import User
    from cybercantal.learning.services import gift as services

    try:
        outcome = services.gift_import(actor=User.objects.get(pk=teacher_id), school=None, text=TEXT)
    except Exception as exc:  # noqa: BLE001 - the test reports what happened
        return f"error: {exc}"
    return f"created {len(outcome.created)}, skipped {len(outcome.skipped_duplicates)}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_submit_imports_once(teacher):
    results = run_in_parallel(_import, [teacher.pk] * 4, timeout=120)
    assert sorted(results) == ["created 0, skipped 2"] * 3 + ["created 2, skipped 0"]
    assert Question.objects.filter(owner=teacher).count() == 2
    assert QuestionCategory.objects.filter(owner=teacher).count() == 2
