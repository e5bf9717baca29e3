"""Enumerations of the national "schéma des lieux de médiation numérique" v1.0.2.

Values are exactly the schema's values (reference implementation: the npm package
``@gouvfr-anct/lieux-de-mediation-numerique``, ``lib/esm/models/*/``), so that an import or
an export never translates anything. Labels are the same French text (the schema is French);
for ``Typologie`` the values are codes and the labels are the schema's descriptions.

These classes are shared: ``places.models`` uses them for the fields, the LMN import/export
and the API reuse them.
"""

from __future__ import annotations

from django.db import models

# Schema version these enumerations follow.
SCHEMA_VERSION = "1.0.2"

# "Pivot" placeholder the schema accepts when the structure has no SIRET nor RNA number.
PIVOT_UNKNOWN = "00000000000000"


class Service(models.TextChoices):
    """Services proposés (champ ``services``)."""

    MATERIEL_INFORMATIQUE_A_PRIX_SOLIDAIRE = (
        "Acquisition de matériel informatique à prix solidaire",
        "Acquisition de matériel informatique à prix solidaire",
    )
    AIDE_AUX_DEMARCHES_ADMINISTRATIVES = "Aide aux démarches administratives", "Aide aux démarches administratives"
    MAITRISE_DES_OUTILS_NUMERIQUES_DU_QUOTIDIEN = (
        "Maîtrise des outils numériques du quotidien",
        "Maîtrise des outils numériques du quotidien",
    )
    INSERTION_PROFESSIONNELLE_VIA_LE_NUMERIQUE = (
        "Insertion professionnelle via le numérique",
        "Insertion professionnelle via le numérique",
    )
    UTILISATION_SECURISEE_DU_NUMERIQUE = "Utilisation sécurisée du numérique", "Utilisation sécurisée du numérique"
    PARENTALITE_ET_EDUCATION_AVEC_LE_NUMERIQUE = (
        "Parentalité et éducation avec le numérique",
        "Parentalité et éducation avec le numérique",
    )
    LOISIRS_ET_CREATIONS_NUMERIQUES = "Loisirs et créations numériques", "Loisirs et créations numériques"
    COMPREHENSION_DU_MONDE_NUMERIQUE = "Compréhension du monde numérique", "Compréhension du monde numérique"
    ACCES_INTERNET_ET_MATERIEL_INFORMATIQUE = (
        "Accès internet et matériel informatique",
        "Accès internet et matériel informatique",
    )


class PublicSpecifiquementAdresse(models.TextChoices):
    """Publics spécifiquement adressés (``publics_specifiquement_adresses``)."""

    JEUNES = "Jeunes", "Jeunes"
    ETUDIANTS = "Étudiants", "Étudiants"
    FAMILLES_ENFANTS = "Familles et/ou enfants", "Familles et/ou enfants"
    SENIORS = "Seniors", "Seniors"
    FEMMES = "Femmes", "Femmes"


class PriseEnChargeSpecifique(models.TextChoices):
    """Prise en charge spécifique (``prise_en_charge_specifique``)."""

    SURDITE = "Surdité", "Surdité"
    HANDICAPS_MOTEURS = "Handicaps moteurs", "Handicaps moteurs"
    HANDICAPS_MENTAUX = "Handicaps mentaux", "Handicaps mentaux"
    ILLETTRISME = "Illettrisme", "Illettrisme"
    LANGUES_ETRANGERES_ANGLAIS = "Langues étrangères (anglais)", "Langues étrangères (anglais)"
    LANGUES_ETRANGERES_AUTRE = "Langues étrangères (autres)", "Langues étrangères (autres)"
    DEFICIENCE_VISUELLE = "Déficience visuelle", "Déficience visuelle"


class Frais(models.TextChoices):
    """Frais à charge (``frais_a_charge``)."""

    GRATUIT = "Gratuit", "Gratuit"
    GRATUIT_SOUS_CONDITION = "Gratuit sous condition", "Gratuit sous condition"
    PAYANT = "Payant", "Payant"


class ModaliteAcces(models.TextChoices):
    """Modalités d'accès (``modalites_acces``)."""

    SE_PRESENTER = "Se présenter", "Se présenter"
    TELEPHONER = "Téléphoner", "Téléphoner"
    CONTACTER_PAR_MAIL = "Contacter par mail", "Contacter par mail"
    PRESCRIPTION_PAR_MAIL = (
        "Envoyer un mail avec une fiche de prescription",
        "Envoyer un mail avec une fiche de prescription",
    )
    PRENDRE_RDV_EN_LIGNE = "Prendre un RDV en ligne", "Prendre un RDV en ligne"
    PAS_DE_PUBLIC = "Ce lieu n'accueille pas de public", "Ce lieu n'accueille pas de public"


class ModaliteAccompagnement(models.TextChoices):
    """Modalités d'accompagnement (``modalites_accompagnement``)."""

    EN_AUTONOMIE = "En autonomie", "En autonomie"
    ACCOMPAGNEMENT_INDIVIDUEL = "Accompagnement individuel", "Accompagnement individuel"
    DANS_UN_ATELIER = "Dans un atelier collectif", "Dans un atelier collectif"
    A_DISTANCE = "À distance", "À distance"


class DispositifProgrammeNational(models.TextChoices):
    """Dispositifs et programmes nationaux (``dispositif_programmes_nationaux``)."""

    AIDANTS_CONNECT = "Aidants Connect", "Aidants Connect"
    BIBLIOTHEQUES_NUMERIQUE_DE_REFERENCE = (
        "Bibliothèques numérique de référence",
        "Bibliothèques numérique de référence",
    )
    CERTIFICATION_P_I_X = "Certification PIX", "Certification PIX"
    CONSEILLERS_NUMERIQUES = "Conseillers numériques", "Conseillers numériques"
    EMMAUS_CONNECT = "Emmaüs Connect", "Emmaüs Connect"
    FRANCE_SERVICES = "France Services", "France Services"
    GRANDE_ECOLE_DU_NUMERIQUE = "Grande école du numérique", "Grande école du numérique"
    LA_CROIX_ROUGE = "La Croix Rouge", "La Croix Rouge"
    POINT_NUMERIQUE_C_A_F = "Point d'accès numérique CAF", "Point d'accès numérique CAF"
    PROMENEURS_DU_NET = "Promeneurs du net", "Promeneurs du net"
    RELAIS_NUMERIQUE_EMMAUS_CONNECT = "Relais numérique (Emmaüs Connect)", "Relais numérique (Emmaüs Connect)"


class FormationLabel(models.TextChoices):
    """Formations et labels (``formations_labels``)."""

    FORME_A_MON_ESPACE_SANTE = "Formé à « Mon Espace Santé »", "Formé à « Mon Espace Santé »"
    FORME_A_DUPLEX = "Formé à « DUPLEX » (illettrisme)", "Formé à « DUPLEX » (illettrisme)"
    ARNIA_MEDNUM = "Arnia/MedNum BFC (Bourgogne-Franche-Comté)", "Arnia/MedNum BFC (Bourgogne-Franche-Comté)"
    COLLECTIF_RESSOURCES_ET_ACTEURS_REEMPLOI = (
        "Collectif ressources et acteurs réemploi (Normandie)",
        "Collectif ressources et acteurs réemploi (Normandie)",
    )
    ETAPES_NUMERIQUES = "Étapes numériques (La Poste)", "Étapes numériques (La Poste)"
    FABRIQUES_DE_TERRITOIRE = "Fabriques de Territoire", "Fabriques de Territoire"
    LES_ECLAIREURS = "Les Éclaireurs du numérique (Drôme)", "Les Éclaireurs du numérique (Drôme)"
    MES_PAPIERS = "Mes Papiers (Métropole de Lyon)", "Mes Papiers (Métropole de Lyon)"
    ORDI3 = "ORDI 3.0", "ORDI 3.0"
    SUD_LABS = "SUD LABS (PACA)", "SUD LABS (PACA)"


class Itinerance(models.TextChoices):
    """Itinérance (``itinerance``)."""

    ITINERANT = "Itinérant", "Itinérant"
    FIXE = "Fixe", "Fixe"


class Typologie(models.TextChoices):
    """Typologies de structure (``typologie``): codes, labelled with the schema's description."""

    ACI = "ACI", "Structures porteuses d’ateliers et chantiers d’insertion"
    ACIPHC = "ACIPHC", "SIAE — Atelier chantier d’insertion premières heures en chantier"
    AFPA = "AFPA", "Agence nationale pour la formation professionnelle des adultes"
    AI = "AI", "Associations intermédiaires"
    ASE = "ASE", "Aide sociale à l’enfance"
    ASSO = "ASSO", "Associations"
    ASSO_CHOMEUR = "ASSO_CHOMEUR", "Associations de chômeurs"
    AUTRE = "Autre", "Autre"
    AVIP = "AVIP", "Crèche à vocation d'insertion professionnelle"
    BIB = "BIB", "Bibliothèque / Médiathèque"
    CAARUD = "CAARUD", "Centre d'accueil et d'accompagnement à la réduction de risques pour usagers de drogues"
    CADA = "CADA", "Centres d’accueil de demandeurs d’asile"
    CAF = "CAF", "Caisses d’allocation familiale"
    CAP_EMPLOI = "CAP_EMPLOI", "Cap Emploi"
    CAVA = "CAVA", "Centres d’adaptation à la vie active"
    CC = "CC", "Communautés de Commune"
    CCAS = "CCAS", "Centres communaux d’action sociale"
    CCONS = "CCONS", "Chambres consulaires"
    CD = "CD", "Conseils Départementaux"
    CDAS = "CDAS", "Centre départemental d'action sociale"
    CFP = "CFP", "Centre des finances publiques"
    CHRS = "CHRS", "Centres d’hébergement et de réinsertion sociale"
    CHU = "CHU", "Centres d’hébergement d’urgence"
    CIAS = "CIAS", "Centres intercommunaux d’action sociale"
    CIDFF = "CIDFF", "Centres d’information sur les droits des femmes et des familles"
    CITMET = "CITMET", "Cité des métiers"
    CMP = "CMP", "Centre Médico Psychologique"
    CMS = "CMS", "Centre médico-social"
    CPAM = "CPAM", "Caisse primaire d'assurance maladie"
    CPH = "CPH", "Centres provisoires d’hébergement"
    CS = "CS", "Centre social"
    CSAPA = "CSAPA", "Centre de soins, d'accompagnement et de prévention en addictologie"
    CSC = "CSC", "Centre socioculturel"
    DEETS = "DEETS", "Directions de l’Economie, de l’Emploi, du Travail et des Solidarités"
    DEPT = "DEPT", "Services sociaux du Conseil départemental"
    DIPLP = "DIPLP", "Délégation interministérielle à la prévention et à la lutte contre la pauvreté"
    E2C = "E2C", "École de la deuxième chance"
    EA = "EA", "Entreprise adaptée"
    EATT = "EATT", "Entreprise adaptée"
    EI = "EI", "Entreprises d’insertion"
    EITI = "EITI", "Entreprises d’insertion par le travail indépendant"
    ENM = "ENM", "Espace Numérique Mobile"
    EPCI = "EPCI", "Intercommunalité"
    EPI = "EPI", "Espace Public Internet"
    EPIDE = "EPIDE", "Établissement pour l'insertion dans l'emploi"
    EPN = "EPN", "Espace publique numérique"
    ES = "ES", "Épicerie solidaire"
    ESAT = "ESAT", "Établissements ou services d'aide par le travail"
    ESS = "ESS", "Entreprise def l'Économie Sociale et Solidaire"
    ETTI = "ETTI", "Entreprises de travail temporaire d’insertion"
    EVS = "EVS", "Espace de vie sociale"
    FABLAB = "FABLAB", "Fablab"
    FABRIQUE = "FABRIQUE", "Fabrique"
    FAIS = "FAIS", "Fédérations d’acteurs de l’insertion et de la solidarité"
    FT = "FT", "France travail"
    GEIQ = "GEIQ", "Groupements d’employeurs pour l’insertion et la qualification"
    HUDA = "HUDA", "Hébergement d'urgence pour demandeurs d'asile"
    LA_POSTE = "LA_POSTE", "La Poste"
    MDE = "MDE", "Maison de l'emploi"
    MDH = "MDH", "Maison des Habitants"
    MDEF = "MDEF", "Maison de l'emploi et de la formation"
    MDPH = "MDPH", "Maison Départementale des Personnes Handicapées"
    MDS = "MDS", "Maison Départementale des Solidarités"
    MJC = "MJC", "Maison des jeunes et de la culture"
    ML = "ML", "Mission Locale"
    MQ = "MQ", "Maison de quartier"
    MSA = "MSA", "Mutualité Sociale Agricole"
    MSAP = "MSAP", "Maison de Services Au Public"
    MUNI = "MUNI", "Municipalités"
    OACAS = "OACAS", "Structures agréées Organisme d’accueil communautaire et d’activité solidaire"
    ODC = "ODC", "Organisation délégataire d'un CD"
    OF = "OF", "Organisme de formations"
    OIL = "OIL", "Opérateur d'intermédiation locative"
    OPCS = "OPCS", "Organisation porteuse de la clause sociale"
    PAD = "PAD", "Point d'Accès au Droit"
    PENSION = "PENSION", "Pension de famille"
    PI = "PI", "Point info"
    PIJ_BIJ = "PIJ_BIJ", "Points et bureaux information jeunesse"
    PIMMS = "PIMMS", "Point Information Médiation Multi Services"
    PJJ = "PJJ", "Protection judiciaire de la jeunesse"
    PLIE = "PLIE", "Plans locaux pour l’insertion et l’emploi"
    PREF = "PREF", "Préfecture, Sous-Préfecture"
    PREVENTION = "PREVENTION", "Service ou club de prévention"
    REG = "REG", "Région"
    RELAIS_LECTURE = "RELAIS_LECTURE", "Relais lecture"
    RESSOURCERIE = "RESSOURCERIE", "Ressourcerie"
    RFS = "RFS", "Réseau France Services"
    RS_FJT = "RS_FJT", "Résidence sociale - Foyer de Jeunes Travailleurs"
    SCP = "SCP", "Services et clubs de prévention"
    SPIP = "SPIP", "Services pénitentiaires d’insertion et de probation"
    TIERS_LIEUX = "TIERS_LIEUX", "Tiers lieu & coworking"
    UDAF = "UDAF", "UDAF"
