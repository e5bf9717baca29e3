"""Coverage data and the eligibility check (issue 7 §2). CONTRACT used by other parts:

``eligibility_check(*, programme, commune, address="") -> EligibilityResult``
    The answer for premises at ``address`` (free text: "12 route du Bourg", may be empty) in
    ``commune`` (a current ``Commune`` of the département), under ``programme``'s coverage rule,
    from the current ``CoverageEdition``. Never raises for unknown addresses: the answer is then
    ``to_check`` with an explanation. ``result.snapshot()`` is the JSON dict stored on the
    application (``Application.eligibility_snapshot``) with the answer, explanation, basis,
    the data behind it and the edition.

The coverage part replaces the placeholder body below with the real import and lookup.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import EligibilityAnswer, GrantProgramme


@dataclass(frozen=True)
class EligibilityResult:
    answer: str  # EligibilityAnswer value
    explanation: str  # French, one or two sentences, shown at once to the applicant
    basis: str  # "building" (per-building data), "commune" (commune statistics), "none", "rule_off"
    edition: str  # "2026T2", "" when no data
    data: dict[str, Any] = field(default_factory=dict)  # what the answer rests on (classes, counts, imb_id...)
    checked_at: str = ""

    @property
    def label(self) -> str:
        return str(EligibilityAnswer(self.answer).label)

    def snapshot(self) -> dict[str, Any]:
        return asdict(self)


def eligibility_check(*, programme: GrantProgramme, commune: Any, address: str = "") -> EligibilityResult:
    """PLACEHOLDER until the coverage part lands: no data, the instructor checks."""
    return EligibilityResult(
        answer=EligibilityAnswer.TO_CHECK,
        explanation=_("Aucune donnée de couverture n'est importée : l'instructeur vérifiera l'éligibilité."),
        basis="none",
        edition="",
        checked_at=timezone.now().isoformat(),
    )
