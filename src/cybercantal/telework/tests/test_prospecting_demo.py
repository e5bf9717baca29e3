"""The prospecting demo: about 25 companies at every stage, valid SIRENs, histories that end
where the companies stand, a few lost with reasons, the two signed companies linked to the
agreements demo's agreements; a second run creates nothing."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone
from django.utils.text import slugify

from cybercantal.accounts.demo import load_demo_accounts
from cybercantal.accounts.models import Organisation
from cybercantal.territory.models import Commune

from ..demo import agreements as agreements_demo
from ..demo import prospecting as demo
from ..models import PIPELINE_STAGES, Prospect, ProspectStage
from ..queries import prospecting as queries
from ..services import prospecting as services
from .factories import TelecentreFactory


def _telecentres() -> None:
    for commune, name in (
        ("Murat", "Télécentre La Gare"),
        ("Saint-Flour", "Télécentre La Halle aux Grains"),
        ("Riom-ès-Montagnes", "Télécentre La Grange"),
        ("Maurs", "Télécentre Le Relais"),
        ("Vic-sur-Cère", "Télécentre du Carladès"),
    ):
        existing = Commune.objects.filter(slug=slugify(commune)).first()  # left by another module's data
        if existing is not None:
            TelecentreFactory(place__name=name, place__commune=existing)
        else:
            TelecentreFactory(place__name=name, place__commune__name=commune)


def test_demo_is_complete_consistent_and_idempotent(db, mailoutbox):
    load_demo_accounts()
    _telecentres()
    agreements_demo.load()
    counts = demo.load()
    assert counts["entreprises prospectées"] == len(demo.COMPANIES) >= 24
    assert counts["partenaires de prospection"] == 3
    assert counts["conventions liées"] == 2
    assert counts["contacts"] >= 20
    assert counts["actions de prospection"] >= 30
    stages = Counter(Prospect.objects.values_list("stage", flat=True))
    assert set(stages) == {*PIPELINE_STAGES, ProspectStage.LOST}
    assert stages[ProspectStage.LOST] >= 3
    today = timezone.localdate()
    for company in Prospect.objects.prefetch_related("stage_changes", "activities"):
        assert services.normalise_siren(company.siren) == company.siren
        history = list(company.stage_changes.all())
        assert history[0].to_stage == ProspectStage.IDENTIFIED
        assert history[0].from_stage == ""
        assert history[-1].to_stage == company.stage
        assert [c.from_stage for c in history[1:]] == [c.to_stage for c in history[:-1]]
        assert (today - timezone.localdate(history[0].at)).days <= 366
        assert company.stage != ProspectStage.LOST or company.lost_reason_kind
        assert company.owner is not None
        assert company.search_text
    for employer in ("Mutuelle Atlantique Services", "Groupe Numérique de France"):
        company = Prospect.objects.get(name=employer)
        assert company.stage == ProspectStage.RELOCATED
        assert company.agreement is not None
        assert company.agreement.employer.name == employer
    assert Organisation.objects.get(name="Cantal Expansion").kind == Organisation.Kind.ASSOCIATION
    figures = queries.figures()
    assert figures.staff_joined >= 5
    assert queries.overdue_count() >= 2
    assert mailoutbox == []
    again = demo.load()
    assert set(again.values()) == {0}


def test_demo_without_agreements_skips_the_links_then_links_them(db):
    load_demo_accounts()
    counts = demo.load()
    assert counts["conventions liées"] == 0
    assert not Prospect.objects.filter(agreement__isnull=False).exists()
    _telecentres()
    agreements_demo.load()
    assert demo.load()["conventions liées"] == 2
