"""Demo data of the statistics part: none of its own (it counts the other parts' rows), but
the monthly aggregate is built once the other parts' demo data is loaded, as the nightly job
would. Idempotent: a rebuild rewrites the same rows. Load it after the other parts."""

from __future__ import annotations


def load(*, rng_seed: int = 15) -> dict[str, int]:
    from cybercantal.mediation.services.statistics import statistics_rebuild_months

    return {"mois de statistiques": statistics_rebuild_months()}
