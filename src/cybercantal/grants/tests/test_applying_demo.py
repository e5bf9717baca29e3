"""Demo data of applying: the demo business gets a valid SIRET and its commune, and one draft
Auverdata dossier half filled in; loading twice adds nothing."""

from __future__ import annotations

import pytest
from stdnum.fr import siret

from cybercantal.accounts.demo import load_demo_accounts
from cybercantal.accounts.models import Organisation

from ..demo import applying as demo
from ..models import Application, Status
from .factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent(territory):
    load_demo_accounts()
    programme = ProgrammeFactory(slug="auverdata", code="AUV", name="Auverdata")
    assert demo.load() == {"dossiers d'aide (brouillons)": 1}
    assert demo.load() == {"dossiers d'aide (brouillons)": 0}  # nothing added the second time
    assert Application.objects.count() == 1
    business = Organisation.objects.get(name="Menuiserie du Lioran (démo)")
    assert siret.is_valid(business.siret)
    assert business.commune.name in {"Laveissière", "Murat"}
    application = Application.objects.get(organisation=business, programme=programme)
    assert application.status == Status.DRAFT
    assert application.premises_commune == business.commune
    assert application.lines.count() == 1
    assert application.computed_aid > 0
    assert application.eligibility  # checked when the premises were saved
    assert application.created_by is not None


def test_demo_without_programme_adds_no_dossier(territory):
    load_demo_accounts()
    assert demo.load() == {"dossiers d'aide (brouillons)": 0}
    assert not Application.objects.exists()


def test_demo_after_the_programmes_and_coverage_demos(territory):
    from importlib import import_module

    load_demo_accounts()
    for part in ("programmes", "coverage"):
        import_module(f"cybercantal.grants.demo.{part}").load()
    assert demo.load() == {"dossiers d'aide (brouillons)": 1}
    application = Application.objects.get(organisation__name="Menuiserie du Lioran (démo)")
    assert application.programme.slug == "auverdata"
    assert application.eligibility_snapshot["explanation"]
    assert demo.load() == {"dossiers d'aide (brouillons)": 0}
    assert Application.objects.count() == 1
