"""The grants API (``/api/aides/``): programme information, eligibility check, dossier status
for its applicant. One module per part, mounted here."""

from __future__ import annotations

from importlib import import_module

from ninja import Router

router = Router(tags=["Aides aux entreprises"])

for _part in ("programmes", "coverage", "dossier"):
    router.add_router("", import_module(f"{__name__}.{_part}").router)
