"""Demo data of the coverage part: the sample ARCEP files of ``grants/data/arcep/`` imported as
edition 2026T2 (skipped when that edition exists: running twice adds nothing)."""

from __future__ import annotations

from pathlib import Path

from ..models import CoverageEdition
from ..services.coverage import coverage_import

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "arcep"
DEMO_QUARTER = "2026T2"


def sample_files() -> dict[str, Path]:
    return {
        "communes": SAMPLE_DIR / "commune_debit_filaire.csv",
        "buildings": SAMPLE_DIR / "base_imb_15.csv",
        "eligibility": SAMPLE_DIR / "actuel_15.csv",
    }


def load() -> dict[str, int]:
    if CoverageEdition.objects.filter(quarter=DEMO_QUARTER).exists():
        return {"immeubles (couverture)": 0}
    report = coverage_import(actor=None, quarter=DEMO_QUARTER, **sample_files())
    return {"immeubles (couverture)": report.buildings}
