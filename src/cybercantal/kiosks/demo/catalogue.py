"""Demo data of the procedures catalogue: the seeded common procedures (idempotent)."""

from __future__ import annotations

from ..models import Procedure
from ..services.catalogue import procedures_seed


def load(*, rng_seed: int = 15) -> dict[str, int]:
    """Seed the common procedures (a second run changes nothing)."""
    procedures_seed(actor=None)
    return {"démarches": Procedure.objects.count()}
