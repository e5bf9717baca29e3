"""The budget envelope of a programme: committed (accepted and paid dossiers' decided
amounts), paid, remaining. Read by the dashboard and the programme pages; the acceptance
re-reads it under the programme's row lock (``services.instruction``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from ..models import COMMITTED_STATUSES, ZERO, Application, GrantProgramme, Payment


@dataclass(frozen=True)
class Envelope:
    budget: Decimal
    committed: Decimal
    paid: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.committed

    @property
    def committed_percent(self) -> int:
        if not self.budget:
            return 0
        return int(self.committed * 100 / self.budget)


def envelope(programme: GrantProgramme) -> Envelope:
    committed = Application.objects.filter(programme=programme, status__in=COMMITTED_STATUSES).aggregate(
        total=Sum("decided_amount")
    )["total"]
    paid = Payment.objects.filter(application__programme=programme).aggregate(total=Sum("amount"))["total"]
    return Envelope(budget=programme.budget, committed=committed or ZERO, paid=paid or ZERO)
