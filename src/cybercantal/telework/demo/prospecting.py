"""Demo data of part "prospecting" (idempotent: companies looked up by SIREN, partners by name).

About 25 national companies courted over the last year, at every stage of the pipeline, with
their contacts, their activities (calls, meetings, events, emails, visits) and a stage history
consistent with where they stand; a few lost, each with its reason. The companies are
invented (names that sound real, « .example » addresses, phone numbers from the range the
ARCEP keeps for fiction, SIREN numbers made up with a valid key). The two companies that
signed an employer agreement in the agreements demo (« Mutuelle Atlantique Services »,
« Groupe Numérique de France ») are linked to it, looked up by employer name (skipped when
absent). The source partners « Cantal Expansion », « Réseau national des télécentres » and
« Auvergne-Rhône-Alpes Entreprises » are created as associations when missing. Everything goes
through ``services.prospecting`` (the journal says « système »).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from stdnum import luhn

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Organisation, Role, User
from cybercantal.accounts.services import organisation_create

from ..models import EmployerAgreement, LostReason, Prospect, ProspectActivity, ProspectStage, SizeBand
from ..services import prospecting as services

CANTAL_EXPANSION = "Cantal Expansion"
NETWORK = "Réseau national des télécentres"
REGION = "Auvergne-Rhône-Alpes Entreprises"
PARTNERS = (CANTAL_EXPANSION, NETWORK, REGION)

S = ProspectStage
K = ProspectActivity.Kind


def siren(base: str) -> str:
    """A made-up SIREN: 8 digits and their Luhn key."""
    return base + luhn.calc_check_digit(base)


@dataclass(frozen=True)
class Step:
    """An activity ``days`` ago; its next step due ``next_in`` days from today (negative: overdue)."""

    days: int
    kind: str
    summary: str
    next_step: str = ""
    next_in: int | None = None


@dataclass(frozen=True)
class Company:
    name: str
    siren: str
    sector: str
    size: str
    city: str
    partner: str  # "" = direct prospecting
    detail: str
    potential: int | None
    path: tuple[tuple[str, int], ...]  # (stage, days ago), the first one is « identified »
    contacts: tuple[tuple[str, str, str], ...] = ()  # name, job title, email local part
    steps: tuple[Step, ...] = ()
    lost: tuple[str, str] = ("", "")  # motive, details
    website: str = ""
    employer: str = ""  # the employer of a demo agreement to link
    owner: str = Role.PROGRAMME_MANAGER
    notes: str = ""
    domain: str = field(default="")


COMPANIES: tuple[Company, ...] = (
    # --- staff relocated -----------------------------------------------------------------------
    Company(
        "Mutuelle Atlantique Services",
        "442116703",
        "Assurance et mutuelle santé",
        SizeBand.LARGE,
        "Nantes",
        NETWORK,
        "Rencontres nationales des tiers-lieux 2025",
        12,
        ((S.IDENTIFIED, 340), (S.CONTACTED, 320), (S.MEETING, 290), (S.PILOT, 220), (S.RELOCATED, 75)),
        (
            ("Hélène Garnier", "Directrice des ressources humaines", "h.garnier"),
            ("Yann Le Goff", "Responsable RSE", "y.legoff"),
        ),
        (
            Step(320, K.EMAIL, "Présentation du réseau des télécentres et du dispositif d'accueil des salariés."),
            Step(290, K.MEETING, "Rendez-vous au siège : 30 salariés originaires du Massif central identifiés."),
            Step(240, K.VISIT, "Visite des télécentres de Murat et de Saint-Flour avec la DRH."),
            Step(220, K.MEETING, "Accord pour un pilote de six mois, trois jours par semaine."),
            Step(
                60,
                K.CALL,
                "Point à deux mois : quatre salariés installés, un cinquième attend sa mutation.",
                "Bilan du pilote avec la DRH",
                45,
            ),
        ),
        website="https://www.mutuelle-atlantique.example",
        employer="Mutuelle Atlantique Services",
        domain="mutuelle-atlantique.example",
    ),
    Company(
        "Groupe Numérique de France",
        "528413792",
        "Services informatiques",
        SizeBand.HUGE,
        "Paris",
        CANTAL_EXPANSION,
        "Salon « Travailler autrement », Paris",
        20,
        ((S.IDENTIFIED, 300), (S.CONTACTED, 280), (S.MEETING, 250), (S.PILOT, 180), (S.RELOCATED, 62)),
        (
            ("Marc Delorme", "Directeur de l'immobilier", "m.delorme"),
            ("Sonia Haddad", "Chargée de mobilité interne", "s.haddad"),
        ),
        (
            Step(300, K.EVENT, "Échange sur le stand de Cantal Expansion au salon « Travailler autrement »."),
            Step(280, K.CALL, "Appel au directeur de l'immobilier : réduction des surfaces de bureaux à Paris."),
            Step(250, K.MEETING, "Présentation de l'offre : télécentres, logement, emploi du conjoint."),
            Step(180, K.MEETING, "Signature de l'accord pilote : Maurs, Vic-sur-Cère et Saint-Flour."),
            Step(
                30,
                K.EMAIL,
                "Trois salariés installés ; demande de places supplémentaires à Maurs.",
                "Réponse sur les places à Maurs",
                20,
            ),
        ),
        website="https://www.groupe-numerique.example",
        employer="Groupe Numérique de France",
        domain="groupe-numerique.example",
    ),
    Company(
        "Éditions Lumière du Sud",
        "81234567",
        "Édition",
        SizeBand.SMALL,
        "Bordeaux",
        NETWORK,
        "Recommandation du télécentre de Figeac",
        3,
        ((S.IDENTIFIED, 330), (S.CONTACTED, 300), (S.MEETING, 260), (S.PILOT, 200), (S.RELOCATED, 100)),
        (("Claire Aubrac", "Gérante", "c.aubrac"),),
        (
            Step(300, K.CALL, "Premier appel : deux correcteurs veulent quitter Bordeaux."),
            Step(260, K.VISIT, "Visite du télécentre de Riom-ès-Montagnes."),
            Step(100, K.EMAIL, "Installation confirmée de deux salariés à Riom-ès-Montagnes."),
        ),
        domain="lumiere-du-sud.example",
    ),
    # --- pilot agreement -------------------------------------------------------------------------
    Company(
        "Banque Coopérative du Centre",
        "73456782",
        "Banque",
        SizeBand.LARGE,
        "Clermont-Ferrand",
        REGION,
        "Club RH d'Auvergne-Rhône-Alpes Entreprises",
        15,
        ((S.IDENTIFIED, 280), (S.CONTACTED, 250), (S.MEETING, 200), (S.PILOT, 40)),
        (("Pascale Vernet", "DRH adjointe", "p.vernet"), ("Nicolas Roche", "Juriste social", "n.roche")),
        (
            Step(250, K.EMAIL, "Envoi de la plaquette et des tarifs des conventions."),
            Step(200, K.MEETING, "Rendez-vous à Clermont-Ferrand avec la DRH adjointe."),
            Step(
                40,
                K.MEETING,
                "Accord pilote : convention en rédaction, quatre volontaires.",
                "Envoyer le projet de convention",
                10,
            ),
        ),
        domain="banque-cooperative-centre.example",
    ),
    Company(
        "Cabinet Vauban Conseil",
        "65432187",
        "Conseil en organisation",
        SizeBand.MEDIUM,
        "Lyon",
        CANTAL_EXPANSION,
        "Webinaire « S'installer dans le Cantal »",
        6,
        ((S.IDENTIFIED, 240), (S.CONTACTED, 230), (S.MEETING, 150), (S.PILOT, 25)),
        (("Julie Marchand", "Associée", "j.marchand"),),
        (
            Step(230, K.CALL, "Appel après le webinaire : l'associée est originaire d'Aurillac."),
            Step(150, K.MEETING, "Rendez-vous à Lyon : six consultants intéressés."),
            Step(
                25,
                K.CALL,
                "Accord de principe pour un pilote à Aurillac.",
                "Préparer la convention avec la juriste",
                -5,
            ),
        ),
        domain="vauban-conseil.example",
    ),
    # --- meeting ---------------------------------------------------------------------------------
    Company(
        "Transports Rhodaniens Logistique",
        "55667788",
        "Transport et logistique",
        SizeBand.LARGE,
        "Lyon",
        REGION,
        "",
        10,
        ((S.IDENTIFIED, 210), (S.CONTACTED, 190), (S.MEETING, 60)),
        (("Thierry Bonnefoy", "Directeur administratif et financier", "t.bonnefoy"),),
        (
            Step(190, K.EMAIL, "Courriel de présentation après la mise en relation par l'agence régionale."),
            Step(
                60,
                K.MEETING,
                "Rendez-vous : les fonctions support pourraient télétravailler deux jours.",
                "Relancer pour la visite des télécentres",
                -12,
            ),
        ),
        domain="trl-logistique.example",
    ),
    Company(
        "Assurances Horizon Vie",
        "44332211",
        "Assurance",
        SizeBand.HUGE,
        "Paris",
        NETWORK,
        "Appel à manifestation du réseau national",
        25,
        ((S.IDENTIFIED, 200), (S.CONTACTED, 170), (S.MEETING, 35)),
        (("Isabelle Fournier", "Responsable qualité de vie au travail", "i.fournier"),),
        (
            Step(170, K.CALL, "Appel à la responsable QVT : accord télétravail signé l'an dernier."),
            Step(
                35,
                K.MEETING,
                "Rendez-vous en visioconférence avec la direction des ressources humaines.",
                "Visite des télécentres de Murat et Saint-Flour",
                14,
            ),
        ),
        domain="horizon-vie.example",
    ),
    Company(
        "Studio Pixel Arverne",
        "33445566",
        "Jeu vidéo",
        SizeBand.SMALL,
        "Clermont-Ferrand",
        "",
        "Candidature spontanée",
        4,
        ((S.IDENTIFIED, 120), (S.CONTACTED, 118), (S.MEETING, 20)),
        (("Romain Chassang", "Cofondateur", "r.chassang"),),
        (
            Step(118, K.EMAIL, "Réponse à la demande du studio : offre des télécentres et fibre."),
            Step(
                20,
                K.VISIT,
                "Visite du télécentre de Murat : salle de réunion appréciée.",
                "Envoyer une proposition de convention",
                7,
            ),
        ),
        domain="pixel-arverne.example",
    ),
    Company(
        "Laboratoires Dômes Santé",
        "22334455",
        "Industrie pharmaceutique",
        SizeBand.LARGE,
        "Clermont-Ferrand",
        CANTAL_EXPANSION,
        "",
        8,
        ((S.IDENTIFIED, 260), (S.CONTACTED, 220), (S.MEETING, 90)),
        (("Aurélie Bastide", "Responsable des relations sociales", "a.bastide"),),
        (
            Step(220, K.CALL, "Appel : projet de télétravail pour les visiteurs médicaux du sud du Massif central."),
            Step(
                90,
                K.MEETING,
                "Rendez-vous : attente de l'avis des représentants du personnel.",
                "Relancer après le CSE",
                -30,
            ),
        ),
        domain="domes-sante.example",
    ),
    # --- contacted -------------------------------------------------------------------------------
    Company(
        "Énergies Nouvelles de l'Ouest",
        "11223344",
        "Énergie",
        SizeBand.MEDIUM,
        "Bordeaux",
        NETWORK,
        "",
        5,
        ((S.IDENTIFIED, 150), (S.CONTACTED, 110)),
        (("Loïc Tessier", "Directeur des ressources humaines", "l.tessier"),),
        (Step(110, K.EMAIL, "Courriel de présentation, pas encore de réponse.", "Relance téléphonique", -60),),
        domain="eno-energies.example",
    ),
    Company(
        "Agence Cartésienne de Communication",
        "99887766",
        "Communication",
        SizeBand.SMALL,
        "Paris",
        CANTAL_EXPANSION,
        "Salon « Travailler autrement », Paris",
        2,
        ((S.IDENTIFIED, 90), (S.CONTACTED, 70)),
        (("Emma Rivière", "Directrice générale", "e.riviere"),),
        (
            Step(90, K.EVENT, "Rencontre au salon ; deux graphistes cherchent à quitter Paris."),
            Step(
                70,
                K.CALL,
                "Appel : intérêt confirmé, attend le budget de l'an prochain.",
                "Rappeler pour le budget",
                40,
            ),
        ),
        domain="cartesienne.example",
    ),
    Company(
        "Société Générale d'Ingénierie Alpine",
        "88776655",
        "Ingénierie",
        SizeBand.LARGE,
        "Grenoble",
        REGION,
        "",
        12,
        ((S.IDENTIFIED, 75), (S.CONTACTED, 50)),
        (("Bruno Maurel", "Responsable immobilier", "b.maurel"),),
        (
            Step(
                50,
                K.CALL,
                "Appel au responsable immobilier : projet de bureaux satellites.",
                "Proposer un rendez-vous",
                -3,
            ),
        ),
        domain="sgi-alpine.example",
    ),
    Company(
        "Mutuelle des Artisans de France",
        "77665544",
        "Assurance",
        SizeBand.MEDIUM,
        "Toulouse",
        "",
        "Article dans la presse professionnelle",
        6,
        ((S.IDENTIFIED, 45), (S.CONTACTED, 30)),
        (("Sylvie Capelle", "Directrice administrative", "s.capelle"),),
        (Step(30, K.EMAIL, "Envoi de la présentation des télécentres.", "Relance par téléphone", 5),),
        domain="maf-mutuelle.example",
    ),
    Company(
        "Informatique Solidaire Coopérative",
        "66554433",
        "Services informatiques",
        SizeBand.SMALL,
        "Montpellier",
        NETWORK,
        "",
        3,
        ((S.IDENTIFIED, 130), (S.CONTACTED, 100)),
        (("Mehdi Saïdi", "Gérant", "m.saidi"),),
        (Step(100, K.CALL, "Appel : la coopérative préfère attendre la fin de son déménagement."),),
        domain="info-solidaire.example",
    ),
    Company(
        "Centre de Relation Clients du Nord",
        "44557788",
        "Centre de relation clients",
        SizeBand.LARGE,
        "Lille",
        NETWORK,
        "Journée nationale du télétravail",
        30,
        ((S.IDENTIFIED, 65), (S.CONTACTED, 15)),
        (("Samia Berrada", "Directrice des opérations", "s.berrada"),),
        (
            Step(
                15,
                K.CALL,
                "Appel : les conseillers télétravaillent déjà trois jours sur cinq.",
                "Envoyer les tarifs",
                2,
            ),
        ),
        domain="crc-nord.example",
    ),
    # --- identified ------------------------------------------------------------------------------
    Company(
        "Cabinet d'Expertise Comptable Garonne",
        "55443322",
        "Expertise comptable",
        SizeBand.MEDIUM,
        "Toulouse",
        CANTAL_EXPANSION,
        "Liste des entreprises ayant des salariés originaires du Cantal",
        4,
        ((S.IDENTIFIED, 20),),
        domain="garonne-expertise.example",
    ),
    Company(
        "Réseau Santé Connectée",
        "44332299",
        "Télémédecine",
        SizeBand.MEDIUM,
        "Lyon",
        REGION,
        "",
        None,
        ((S.IDENTIFIED, 12),),
        domain="sante-connectee.example",
    ),
    Company(
        "Plateforme Vertige Voyages",
        "33221188",
        "Tourisme en ligne",
        SizeBand.SMALL,
        "Marseille",
        "",
        "Repérée sur un site d'emploi (postes en télétravail complet)",
        None,
        ((S.IDENTIFIED, 8),),
        domain="vertige-voyages.example",
    ),
    Company(
        "Compagnie Française d'Audit",
        "22110077",
        "Audit",
        SizeBand.LARGE,
        "Paris",
        NETWORK,
        "",
        10,
        ((S.IDENTIFIED, 40),),
        (("Laurent Peyrac", "Associé", "l.peyrac"),),
        domain="cfa-audit.example",
    ),
    Company(
        "Atelier Logiciel du Lot",
        "11009966",
        "Édition de logiciels",
        SizeBand.MICRO,
        "Cahors",
        "",
        "",
        2,
        ((S.IDENTIFIED, 3),),
        domain="atelier-logiciel.example",
    ),
    Company(
        "Centre National de Formation à Distance",
        "99008855",
        "Formation",
        SizeBand.MEDIUM,
        "Poitiers",
        CANTAL_EXPANSION,
        "",
        7,
        ((S.IDENTIFIED, 60),),
        owner=Role.ADMINISTRATOR,
        domain="cnfd-formation.example",
    ),
    # --- lost ------------------------------------------------------------------------------------
    Company(
        "Groupe Hôtelier des Volcans",
        "88997744",
        "Hôtellerie",
        SizeBand.LARGE,
        "Clermont-Ferrand",
        REGION,
        "",
        None,
        ((S.IDENTIFIED, 320), (S.CONTACTED, 300), (S.LOST, 270)),
        (("Agnès Roussel", "DRH", "a.roussel"),),
        (Step(300, K.CALL, "Appel : les métiers de l'hôtellerie se prêtent peu au télétravail."),),
        lost=(LostReason.NO_NEED, "Métiers en présentiel"),
        domain="hotels-volcans.example",
    ),
    Company(
        "Société d'Études Techniques Parisiennes",
        "77886633",
        "Bureau d'études",
        SizeBand.MEDIUM,
        "Paris",
        NETWORK,
        "",
        5,
        ((S.IDENTIFIED, 250), (S.CONTACTED, 230), (S.MEETING, 200), (S.LOST, 160)),
        (("Frédéric Lamy", "Directeur général", "f.lamy"),),
        (
            Step(200, K.MEETING, "Rendez-vous : hésitation entre le Cantal et la Corrèze."),
            Step(160, K.CALL, "L'entreprise a choisi un tiers-lieu en Corrèze, plus proche de ses clients."),
        ),
        lost=(LostReason.OTHER_TERRITORY, "Corrèze"),
        domain="setp-etudes.example",
    ),
    Company(
        "Banque Privée Lyonnaise",
        "66775522",
        "Banque",
        SizeBand.MEDIUM,
        "Lyon",
        CANTAL_EXPANSION,
        "",
        3,
        ((S.IDENTIFIED, 220), (S.CONTACTED, 200), (S.LOST, 140)),
        (("Catherine Dumas", "Secrétaire générale", "c.dumas"),),
        (Step(200, K.EMAIL, "La direction générale refuse le travail hors des agences."),),
        lost=(LostReason.MANAGEMENT, ""),
        domain="bpl-banque.example",
    ),
    Company(
        "Nouvelle Imprimerie du Rhône",
        "55664411",
        "Imprimerie",
        SizeBand.SMALL,
        "Villeurbanne",
        "",
        "",
        None,
        ((S.IDENTIFIED, 180), (S.CONTACTED, 170), (S.MEETING, 130), (S.PILOT, 110), (S.LOST, 50)),
        (("Gilles Perret", "Gérant", "g.perret"),),
        (
            Step(130, K.MEETING, "Rendez-vous : un salarié intéressé."),
            Step(50, K.CALL, "Rachat de l'imprimerie : projet suspendu."),
        ),
        lost=(LostReason.TIMING, "Rachat par un groupe"),
        domain="imprimerie-rhone.example",
    ),
)

DEMO_CITIES = sorted({company.city for company in COMPANIES})


def _partner(name: str, created: dict[str, int]) -> Organisation:
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is None:
        organisation = organisation_create(actor=None, name=name, kind=Organisation.Kind.ASSOCIATION)
        created["partenaires de prospection"] += 1
    return organisation


def _owner(role: str) -> User | None:
    user = User.objects.filter(email__iexact=demo_email(role)).first()
    if user is None or not services.programme_team().filter(pk=user.pk).exists():
        return None
    return user


def _agreement(employer: str) -> EmployerAgreement | None:
    if not employer:
        return None
    return EmployerAgreement.objects.filter(employer__name=employer).order_by("pk").first()


def _today() -> dt.date:
    return timezone.localdate()


def _create(company: Company, partners: dict[str, Organisation], created: dict[str, int]) -> None:
    today = _today()
    number = company.siren if len(company.siren) == 9 else siren(company.siren)
    first_stage, first_days = company.path[0]
    assert first_stage == S.IDENTIFIED  # noqa: S101 - the table above is written so
    prospect = services.prospect_create(
        actor=None,
        name=company.name,
        siren=number,
        sector=company.sector,
        size_band=company.size,
        head_office=company.city,
        website=company.website,
        source_partner=partners.get(company.partner),
        source_detail=company.detail,
        potential_staff=company.potential,
        owner=_owner(company.owner),
        notes=company.notes,
        identified_on=today - dt.timedelta(days=first_days),
    )
    created["entreprises prospectées"] += 1
    for name, job_title, local in company.contacts:
        index = created["contacts"] % 100
        services.contact_add(
            actor=None,
            prospect=prospect,
            name=name,
            job_title=job_title,
            email=f"{local}@{company.domain}" if company.domain else "",
            phone=f"01 99 00 {index // 10 * 11:02d} {index % 10 * 11:02d}",
        )
        created["contacts"] += 1
    steps = sorted(company.steps, key=lambda step: -step.days)
    moves = list(company.path[1:])
    agreement = _agreement(company.employer)
    linked = False
    # Interleave activities and moves in time order, so that each is written on its date.
    events: list[tuple[int, int, object]] = [(-step.days, 0, step) for step in steps]
    events += [(-days, 1, (stage, days)) for stage, days in moves]
    for _, order, event in sorted(events, key=lambda item: (item[0], item[1])):
        if order == 0:
            assert isinstance(event, Step)  # noqa: S101
            happened_on = today - dt.timedelta(days=event.days)
            services.activity_add(
                actor=None,
                prospect=prospect,
                kind=event.kind,
                happened_on=happened_on,
                summary=event.summary,
                next_step=event.next_step,
                next_step_on=today + dt.timedelta(days=event.next_in) if event.next_in is not None else None,
            )
            created["actions de prospection"] += 1
            continue
        stage, days = event  # type: ignore[misc]
        link = agreement if stage in services.AGREEMENT_STAGES and agreement is not None and not linked else None
        motive, detail = company.lost if stage == S.LOST else ("", "")
        services.prospect_move(
            actor=None,
            prospect=prospect,
            to_stage=stage,
            on=today - dt.timedelta(days=days),
            reason_kind=motive,
            reason=detail,
            agreement=link,
        )
        linked = linked or link is not None
        created["changements d'étape"] += 1


@transaction.atomic
def load() -> dict[str, int]:
    created = {
        "partenaires de prospection": 0,
        "entreprises prospectées": 0,
        "contacts": 0,
        "actions de prospection": 0,
        "changements d'étape": 0,
        "conventions liées": 0,
    }
    partners = {name: _partner(name, created) for name in PARTNERS}
    for company in COMPANIES:
        number = company.siren if len(company.siren) == 9 else siren(company.siren)
        prospect = Prospect.objects.filter(siren=number).first()
        if prospect is None:
            _create(company, partners, created)
            prospect = Prospect.objects.get(siren=number)
            if prospect.agreement_id:
                created["conventions liées"] += 1
            continue
        # Already there: link the agreement if the agreements demo ran since.
        agreement = _agreement(company.employer)
        if (
            agreement is not None
            and prospect.agreement_id is None
            and prospect.stage in services.AGREEMENT_STAGES
            and not Prospect.objects.filter(agreement=agreement).exists()
        ):
            services.prospect_link_agreement(actor=None, prospect=prospect, agreement=agreement)
            created["conventions liées"] += 1
    return created
