"""The EPN network: mediators and their hiring aid, labels, equipment, workshops and their
registrations, accompaniments (the national CRA), free access to public computers.

Invariants that the database can hold are declared here (check, unique and exclusion
constraints); the rules that need several rows (capacity, waitlist order, payments within
the committed amount) live in the services, inside one locked transaction.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.accounts.models import Organisation
from cybercantal.core.db import PostgresExclusionConstraint, TsTzRange
from cybercantal.core.fields import MultiChoiceField
from cybercantal.places.models import Place
from cybercantal.territory.models import Commune


def new_token() -> str:
    """A secret for a link sent to a person (cancellation, follow-up): 32 url-safe characters."""
    return secrets.token_urlsafe(24)


# --- Reference lists (the national CRA of La Coop de la médiation numérique) ----------------


class DigitalTheme(models.TextChoices):
    """The 19 themes of digital mediation (CRA and workshop catalogue)."""

    DIAGNOSTIC = "diagnostic", _("Diagnostic numérique")
    EQUIPMENT = "equipment", _("Prendre en main du matériel")
    MAINTENANCE = "maintenance", _("Entretenir son matériel")
    BROWSING = "browsing", _("Navigation sur internet")
    EMAIL = "email", _("Courriel")
    OFFICE = "office", _("Bureautique")
    SOCIAL = "social", _("Réseaux sociaux et communication")
    HEALTH = "health", _("Santé")
    BANKING = "banking", _("Banque et achats en ligne")
    ENTREPRENEURSHIP = "entrepreneurship", _("Entrepreneuriat")
    EMPLOYMENT = "employment", _("Insertion professionnelle")
    SECURITY = "security", _("Sécurité numérique")
    PARENTING = "parenting", _("Parentalité")
    SCHOOLING = "schooling", _("Scolarité et numérique")
    CREATING = "creating", _("Créer avec le numérique")
    CULTURE = "culture", _("Culture numérique")
    AI = "ai", _("Intelligence artificielle")
    DATA = "data", _("Données personnelles et vie privée")
    ONLINE_PROCEDURES = "online_procedures", _("Démarches en ligne")


class AdminTheme(models.TextChoices):
    """The 11 categories of administrative procedures (CRA « démarches administratives »)."""

    PAPERS = "papers", _("Papiers, élections, citoyenneté")
    FAMILY = "family", _("Famille, scolarité")
    SOCIAL_HEALTH = "social_health", _("Social, santé")
    WORK = "work", _("Travail, formation")
    HOUSING = "housing", _("Logement")
    TRANSPORT = "transport", _("Transports, mobilité")
    MONEY = "money", _("Argent, impôts")
    JUSTICE = "justice", _("Justice")
    FOREIGNERS = "foreigners", _("Étrangers, Europe")
    LEISURE = "leisure", _("Loisirs, sports, culture")
    ASSOCIATIONS = "associations", _("Associations")


class Level(models.TextChoices):
    BEGINNER = "beginner", _("Débutant")
    INTERMEDIATE = "intermediate", _("Intermédiaire")
    ADVANCED = "advanced", _("Avancé")


class Public(models.TextChoices):
    EVERYONE = "everyone", _("Tout public")
    SENIORS = "seniors", _("Seniors")
    YOUNG = "young", _("Jeunes")
    JOB_SEEKERS = "job_seekers", _("Demandeurs d'emploi")
    PARENTS = "parents", _("Parents")
    PROFESSIONALS = "professionals", _("Professionnels, entrepreneurs")
    DISABLED = "disabled", _("Personnes en situation de handicap")


class Qualification(models.TextChoices):
    CONSEILLER_NUMERIQUE = "conseiller_numerique", _("Conseiller numérique")
    PIX = "pix", _("Certification PIX")
    CCP1_REMN = "ccp1_remn", _("CCP1 Responsable d'espace de médiation numérique")
    TP_REMN = "tp_remn", _("Titre professionnel REMN")
    AIDANTS_CONNECT = "aidants_connect", _("Habilité Aidants Connect")
    MON_ESPACE_SANTE = "mon_espace_sante", _("Formé à Mon Espace Santé")
    OTHER = "other", _("Autre formation")


# --- 1. Mediators and their hiring aid ------------------------------------------------------


class Mediator(models.Model):
    """A mediator's profile. The EPN they work in are their role memberships (role mediator
    scoped to a place): one source of truth for permissions and for this profile."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mediator", verbose_name=_("personne")
    )
    employer = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediators",
        verbose_name=_("employeur"),
        help_text=_("Commune, communauté de communes ou association qui emploie le médiateur."),
    )
    qualifications = MultiChoiceField(_("qualifications"), choices_enum=Qualification)
    qualifications_other = models.CharField(_("autres qualifications"), max_length=255, blank=True)
    professional_phone = models.CharField(_("téléphone professionnel"), max_length=30, blank=True)
    started_on = models.DateField(_("en poste depuis"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("médiateur numérique")
        verbose_name_plural = _("médiateurs numériques")
        ordering = ["user__last_name", "user__first_name", "pk"]

    def __str__(self) -> str:
        return str(self.user)

    def journal_label(self) -> str:
        return f"médiateur n° {self.pk} (personne n° {self.user_id})"


class HiringAid(models.Model):
    """The département's aid to the employer for hiring a mediator."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("En cours")
        ENDED = "ended", _("Terminée")
        CANCELLED = "cancelled", _("Annulée")

    mediator = models.ForeignKey(Mediator, on_delete=models.PROTECT, related_name="hiring_aids")
    employer = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="hiring_aids", verbose_name=_("employeur aidé")
    )
    amount_per_year = models.DecimalField(_("montant annuel"), max_digits=10, decimal_places=2)
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    # amount_per_year prorated to the period, rounded to the cent once by the service.
    committed_amount = models.DecimalField(_("montant engagé"), max_digits=12, decimal_places=2)
    conditions = models.TextField(_("conditions"), blank=True)
    decided_on = models.DateField(_("décidée le"), null=True, blank=True)
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("aide à l'embauche")
        verbose_name_plural = _("aides à l'embauche")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_per_year__gt=0), name="hiring_aid_amount_positive"),
            models.CheckConstraint(condition=Q(committed_amount__gte=0), name="hiring_aid_committed_positive"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="hiring_aid_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.mediator} — {self.starts_on:%Y}"


class HiringAidPayment(models.Model):
    aid = models.ForeignKey(HiringAid, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("payé le"))
    amount = models.DecimalField(_("montant"), max_digits=12, decimal_places=2)
    reference = models.CharField(_("référence du mandat"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("versement d'aide à l'embauche")
        verbose_name_plural = _("versements d'aide à l'embauche")
        ordering = ["paid_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="hiring_aid_payment_positive")]

    def __str__(self) -> str:
        return f"{self.amount} € — {self.paid_on:%d/%m/%Y}"


# --- 2. Labels --------------------------------------------------------------------------------


class LabelKind(models.TextChoices):
    EPN = "epn", _("Label EPN")
    NETPUBLIC = "netpublic", _("Charte NetPublic")
    FRANCE_SERVICES = "france_services", _("France Services")
    AIDANTS_CONNECT = "aidants_connect", _("Aidants Connect")
    CONSEILLERS_NUMERIQUES = "conseillers_numeriques", _("Conseillers numériques")
    PIX = "pix", _("Centre de certification PIX")
    CAF = "caf", _("Point d'accès numérique CAF")
    OTHER = "other", _("Autre label")


class PlaceLabel(models.Model):
    """One label held by a place over a period (the history is the rows)."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="labels", verbose_name=_("lieu"))
    kind = models.CharField(_("label"), max_length=30, choices=LabelKind.choices)
    name = models.CharField(_("nom du label"), max_length=120, blank=True, help_text=_("Pour un autre label."))
    since = models.DateField(_("depuis le"))
    until = models.DateField(_("jusqu'au"), null=True, blank=True)
    reference = models.CharField(_("référence"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        ordering = ["place", "since", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("since")), name="place_label_dates_ordered"
            ),
            models.CheckConstraint(condition=~Q(kind="other") | ~Q(name=""), name="place_label_other_named"),
        ]

    def __str__(self) -> str:
        return self.name or self.get_kind_display()


# --- 3. Equipment -----------------------------------------------------------------------------


class EquipmentKind(models.TextChoices):
    DESKTOP = "desktop", _("Ordinateur fixe")
    LAPTOP = "laptop", _("Ordinateur portable")
    PRINTER = "printer", _("Imprimante")
    SCANNER = "scanner", _("Scanner")
    PROJECTOR = "projector", _("Vidéoprojecteur")
    TABLET = "tablet", _("Tablette")
    SCREEN = "screen", _("Écran")
    NETWORK = "network", _("Matériel réseau")
    OTHER = "other", _("Autre")


class EquipmentStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("En service")
    IN_REPAIR = "in_repair", _("En réparation")
    RETIRED = "retired", _("Réformé")


class Equipment(models.Model):
    kind = models.CharField(_("type"), max_length=12, choices=EquipmentKind.choices)
    model_name = models.CharField(_("marque et modèle"), max_length=120, blank=True)
    serial_number = models.CharField(_("numéro de série"), max_length=80)
    inventory_number = models.CharField(_("numéro d'inventaire"), max_length=40, blank=True)
    bought_by = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="equipment_bought",
        verbose_name=_("acheté par"),
    )
    bought_on = models.DateField(_("acheté le"))
    price = models.DecimalField(_("prix TTC"), max_digits=10, decimal_places=2, null=True, blank=True)
    warranty_ends_on = models.DateField(_("fin de garantie"), null=True, blank=True)
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="equipment", verbose_name=_("lieu où il se trouve")
    )
    status = models.CharField(
        _("état"), max_length=12, choices=EquipmentStatus.choices, default=EquipmentStatus.IN_SERVICE
    )
    notes = models.TextField(_("remarques"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("équipement")
        verbose_name_plural = _("équipements")
        ordering = ["place", "kind", "serial_number"]
        indexes = [models.Index(fields=["place", "status"], name="equipment_place_status_idx")]
        constraints = [
            # Case and spaces folded by the service before saving.
            models.UniqueConstraint(fields=["serial_number"], name="equipment_serial_unique"),
            models.CheckConstraint(condition=~Q(serial_number=""), name="equipment_serial_required"),
            models.CheckConstraint(condition=Q(price__isnull=True) | Q(price__gte=0), name="equipment_price_positive"),
            models.CheckConstraint(
                condition=Q(warranty_ends_on__isnull=True) | Q(warranty_ends_on__gte=F("bought_on")),
                name="equipment_warranty_after_purchase",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.model_name} ({self.serial_number})".replace("  ", " ")


class EquipmentEvent(models.Model):
    """The history of a piece of equipment: purchase, moves, repairs, retirement."""

    class Kind(models.TextChoices):
        ACQUIRED = "acquired", _("Mise en service")
        MOVED = "moved", _("Déplacement")
        REPAIR_STARTED = "repair_started", _("Départ en réparation")
        REPAIR_ENDED = "repair_ended", _("Retour de réparation")
        RETIRED = "retired", _("Réforme")
        NOTE = "note", _("Remarque")

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("événement"), max_length=16, choices=Kind.choices)
    on = models.DateField(_("date"))
    from_place = models.ForeignKey(Place, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_place = models.ForeignKey(Place, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.TextField(_("description"), blank=True)
    cost = models.DecimalField(_("coût"), max_digits=10, decimal_places=2, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("événement d'équipement")
        verbose_name_plural = _("historique des équipements")
        ordering = ["equipment", "on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0), name="equipment_event_cost_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.on:%d/%m/%Y}"


# --- 4. Workshops -----------------------------------------------------------------------------


class Workshop(models.Model):
    """A workshop of the catalogue; its dated occurrences are ``Session`` rows."""

    title = models.CharField(_("titre"), max_length=160)
    slug = models.SlugField(_("identifiant"), max_length=180, unique=True)
    summary = models.CharField(_("résumé"), max_length=280)
    description = models.TextField(_("description"), blank=True)
    themes = MultiChoiceField(_("thématiques"), choices_enum=DigitalTheme, blank=False)
    level = models.CharField(_("niveau"), max_length=12, choices=Level.choices, default=Level.BEGINNER)
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée (minutes)"), default=120, validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    publics = MultiChoiceField(_("publics"), choices_enum=Public)
    prerequisites = models.CharField(_("prérequis"), max_length=280, blank=True)
    is_active = models.BooleanField(_("au catalogue"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("atelier")
        verbose_name_plural = _("ateliers")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15) & Q(duration_minutes__lte=480), name="workshop_duration_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Programmée")
    CANCELLED = "cancelled", _("Annulée")


class Session(models.Model):
    """One dated session of a workshop at a place. ``confirmed_count`` is kept by the services
    in the same locked transaction as the registrations; the database refuses a count above
    the capacity, so a bug or a race can never overfill a session."""

    workshop = models.ForeignKey(Workshop, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("atelier"))
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="workshop_sessions", verbose_name=_("lieu"))
    mediator = models.ForeignKey(
        Mediator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("animateur"),
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    capacity = models.PositiveSmallIntegerField(_("places"), validators=[MinValueValidator(1), MaxValueValidator(500)])
    confirmed_count = models.PositiveSmallIntegerField(_("inscrits"), default=0, editable=False)
    status = models.CharField(
        _("statut"), max_length=12, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    # Sessions created together as a series (e.g. every Tuesday for 6 weeks) share this id.
    series = models.UUIDField(_("série"), null=True, blank=True, db_index=True)
    notes = models.CharField(_("informations pratiques"), max_length=280, blank=True)
    attendance_taken_at = models.DateTimeField(_("présences relevées le"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("séance")
        verbose_name_plural = _("séances")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["starts_at"], name="session_starts_idx"),
            models.Index(fields=["place", "starts_at"], name="session_place_starts_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="session_capacity_positive"),
            models.CheckConstraint(condition=Q(confirmed_count__lte=F("capacity")), name="session_not_overbooked"),
        ]

    def __str__(self) -> str:
        return f"{self.workshop} — {timezone.localtime(self.starts_at):%d/%m/%Y %H:%M}"

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.confirmed_count)


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Inscrit")
    WAITLISTED = "waitlisted", _("En liste d'attente")
    CANCELLED = "cancelled", _("Annulé")


class Channel(models.TextChoices):
    ONLINE = "online", _("En ligne")
    PHONE = "phone", _("Par téléphone")
    DESK = "desk", _("À l'accueil")


class Registration(models.Model):
    """A person's place in a session (or in its waitlist). No account needed; an email is
    optional. The waitlist order is ``(waitlisted_at, pk)``: arrival order."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="registrations"
    )
    first_name = models.CharField(_("prénom"), max_length=80)
    last_name = models.CharField(_("nom"), max_length=80)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("adresse électronique"), blank=True)
    status = models.CharField(_("statut"), max_length=12, choices=RegistrationStatus.choices)
    channel = models.CharField(_("canal"), max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(_("passé de la liste d'attente le"), null=True, blank=True)
    # A promoted person without email must be phoned: the mediator ticks it off.
    promotion_notified_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Without an email there is no reminder email: the mediator phones the person in the two
    # days before the session (the call list of the workspace home) and ticks it off here.
    reminder_called_at = models.DateTimeField(_("rappel fait par téléphone le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(_("présent"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inscription à un atelier")
        verbose_name_plural = _("inscriptions aux ateliers")
        ordering = ["session", "created_at", "pk"]
        indexes = [models.Index(fields=["session", "status"], name="registration_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="waitlisted") | Q(waitlisted_at__isnull=False),
                name="registration_waitlist_dated",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="registration_cancel_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def journal_label(self) -> str:
        return f"inscription n° {self.pk} (séance n° {self.session_id})"


# --- 5. Accompaniments (CRA) ------------------------------------------------------------------


class Beneficiary(models.Model):
    """A person followed over several accompaniments, only with their recorded consent.
    Anonymous accompaniments have no beneficiary. Purged after ``retention_until``."""

    first_name = models.CharField(_("prénom"), max_length=80)
    last_name = models.CharField(_("nom"), max_length=80)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("adresse électronique"), blank=True)
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("commune")
    )
    birth_year = models.PositiveSmallIntegerField(_("année de naissance"), null=True, blank=True)
    consent_at = models.DateTimeField(_("consentement recueilli le"))
    consent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="beneficiaries",
        verbose_name=_("lieu de suivi"),
    )
    retention_until = models.DateField(_("conservé jusqu'au"))
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("personne suivie")
        verbose_name_plural = _("personnes suivies")
        ordering = ["last_name", "first_name", "pk"]
        indexes = [models.Index(fields=["retention_until"], name="beneficiary_retention_idx")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def journal_label(self) -> str:
        return f"personne suivie n° {self.pk}"


class AccompanimentKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Accompagnement individuel")
    COLLECTIVE = "collective", _("Atelier collectif")
    PROCEDURE = "procedure", _("Aide à une démarche administrative")


class PlaceType(models.TextChoices):
    ON_SITE = "on_site", _("Dans le lieu (EPN, borne)")
    HOME = "home", _("À domicile")
    REMOTE = "remote", _("À distance")
    OTHER = "other", _("Autre lieu")


class Autonomy(models.TextChoices):
    DONE_FOR = "done_for", _("Entièrement accompagné (fait pour la personne)")
    PARTLY = "partly", _("Partiellement autonome")
    AUTONOMOUS = "autonomous", _("Autonome")


class EquipmentUsed(models.TextChoices):
    COMPUTER = "computer", _("Ordinateur")
    PHONE = "phone", _("Téléphone")
    TABLET = "tablet", _("Tablette")
    KIOSK = "kiosk", _("Borne")
    OTHER = "other", _("Autre")
    NONE = "none", _("Pas de matériel")


class HelpReason(models.TextChoices):
    """Why the person needed help (programme « Territoires » evaluation)."""

    NO_EQUIPMENT = "no_equipment", _("Pas d'équipement")
    KNOW_HOW = "know_how", _("Manque de savoir-faire")
    TRUST = "trust", _("Manque de confiance")
    OTHER = "other", _("Autre")


class Outcome(models.TextChoices):
    COMPLETED = "completed", _("Démarche terminée")
    STARTED = "started", _("Démarche commencée")
    REDIRECTED = "redirected", _("Réorientée")


class Accompaniment(models.Model):
    """One activity report (CRA): an individual accompaniment, a collective workshop, or a
    procedure helped with at a kiosk. Anonymous unless ``beneficiary`` is set."""

    kind = models.CharField(_("type"), max_length=12, choices=AccompanimentKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="accompaniments", verbose_name=_("auteur")
    )
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="accompaniments", verbose_name=_("structure")
    )
    date = models.DateField(_("date"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    place_type = models.CharField(_("lieu"), max_length=8, choices=PlaceType.choices, default=PlaceType.ON_SITE)
    themes = MultiChoiceField(_("thématiques numériques"), choices_enum=DigitalTheme)
    admin_themes = MultiChoiceField(_("démarches administratives"), choices_enum=AdminTheme)
    equipment_used = MultiChoiceField(_("matériel utilisé"), choices_enum=EquipmentUsed)
    autonomy = models.CharField(_("autonomie"), max_length=12, choices=Autonomy.choices, blank=True)
    oriented_to = models.CharField(_("orientation vers une autre structure"), max_length=200, blank=True)
    help_reason = models.CharField(_("raison du besoin d'aide"), max_length=14, choices=HelpReason.choices, blank=True)
    outcome = models.CharField(_("résultat"), max_length=12, choices=Outcome.choices, blank=True)
    # Kiosks (issue 5) point here with their own id; kept as a plain id so mediation does not
    # depend on the kiosks app.
    kiosk_id = models.PositiveIntegerField(null=True, blank=True)
    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.SET_NULL, null=True, blank=True, related_name="accompaniments"
    )
    session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="accompaniments"
    )
    notes = models.CharField(_("remarque"), max_length=500, blank=True)
    # Collective workshops: anonymous participant counts (each dimension sums to the total).
    participants = models.PositiveSmallIntegerField(_("participants"), default=1)
    gender_female = models.PositiveSmallIntegerField(_("femmes"), default=0)
    gender_male = models.PositiveSmallIntegerField(_("hommes"), default=0)
    gender_unknown = models.PositiveSmallIntegerField(_("genre non communiqué"), default=0)
    age_under_12 = models.PositiveSmallIntegerField(_("moins de 12 ans"), default=0)
    age_12_17 = models.PositiveSmallIntegerField(_("12-17 ans"), default=0)
    age_18_24 = models.PositiveSmallIntegerField(_("18-24 ans"), default=0)
    age_25_39 = models.PositiveSmallIntegerField(_("25-39 ans"), default=0)
    age_40_59 = models.PositiveSmallIntegerField(_("40-59 ans"), default=0)
    age_60_69 = models.PositiveSmallIntegerField(_("60-69 ans"), default=0)
    age_70_plus = models.PositiveSmallIntegerField(_("70 ans et plus"), default=0)
    age_unknown = models.PositiveSmallIntegerField(_("âge non communiqué"), default=0)
    status_student = models.PositiveSmallIntegerField(_("scolarisés"), default=0)
    status_unemployed = models.PositiveSmallIntegerField(_("sans emploi"), default=0)
    status_employed = models.PositiveSmallIntegerField(_("en emploi"), default=0)
    status_retired = models.PositiveSmallIntegerField(_("retraités"), default=0)
    status_unknown = models.PositiveSmallIntegerField(_("statut non communiqué"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    GENDER_FIELDS = ("gender_female", "gender_male", "gender_unknown")
    AGE_FIELDS = (
        "age_under_12",
        "age_12_17",
        "age_18_24",
        "age_25_39",
        "age_40_59",
        "age_60_69",
        "age_70_plus",
        "age_unknown",
    )
    STATUS_FIELDS = ("status_student", "status_unemployed", "status_employed", "status_retired", "status_unknown")

    class Meta:
        verbose_name = _("accompagnement")
        verbose_name_plural = _("accompagnements")
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["date"], name="accompaniment_date_idx"),
            models.Index(fields=["place", "date"], name="accomp_place_date_idx"),
            models.Index(fields=["author", "date"], name="accomp_author_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(participants__gte=1), name="accompaniment_participants_positive"),
            models.CheckConstraint(
                condition=~Q(kind="collective")
                | Q(participants=F("gender_female") + F("gender_male") + F("gender_unknown")),
                name="accompaniment_gender_sum",
            ),
            models.CheckConstraint(
                condition=~Q(kind="collective")
                | Q(
                    participants=F("age_under_12")
                    + F("age_12_17")
                    + F("age_18_24")
                    + F("age_25_39")
                    + F("age_40_59")
                    + F("age_60_69")
                    + F("age_70_plus")
                    + F("age_unknown")
                ),
                name="accompaniment_age_sum",
            ),
            models.CheckConstraint(
                condition=~Q(kind="collective")
                | Q(
                    participants=F("status_student")
                    + F("status_unemployed")
                    + F("status_employed")
                    + F("status_retired")
                    + F("status_unknown")
                ),
                name="accompaniment_status_sum",
            ),
            models.CheckConstraint(
                condition=Q(kind="collective") | Q(participants=1), name="accompaniment_individual_is_one"
            ),
            models.CheckConstraint(
                condition=Q(kind="collective") | Q(beneficiary__isnull=True) | Q(participants=1),
                name="accompaniment_beneficiary_individual",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.date:%d/%m/%Y}"


# --- 6. Free access ---------------------------------------------------------------------------


class PublicComputer(models.Model):
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="public_computers", verbose_name=_("lieu"))
    label = models.CharField(_("nom du poste"), max_length=60)
    equipment = models.OneToOneField(
        Equipment, on_delete=models.SET_NULL, null=True, blank=True, related_name="public_computer"
    )
    features = models.CharField(
        _("particularités"), max_length=200, blank=True, help_text=_("Grand écran, imprimante, clavier adapté…")
    )
    is_active = models.BooleanField(_("réservable"), default=True)

    class Meta:
        verbose_name = _("poste en accès libre")
        verbose_name_plural = _("postes en accès libre")
        ordering = ["place", "label"]
        constraints = [models.UniqueConstraint(fields=["place", "label"], name="public_computer_label_unique")]

    def __str__(self) -> str:
        return f"{self.label} — {self.place}"


class ComputerBooking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Réservé")
        CANCELLED = "cancelled", _("Annulé")

    computer = models.ForeignKey(PublicComputer, on_delete=models.CASCADE, related_name="bookings")
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="computer_bookings"
    )
    name = models.CharField(_("nom"), max_length=120)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("adresse électronique"), blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("réservation de poste")
        verbose_name_plural = _("réservations de postes")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["computer", "starts_at"], name="computer_booking_starts_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="computer_booking_ordered"),
            PostgresExclusionConstraint(
                name="computer_booking_no_overlap",
                expressions=[
                    ("computer", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status="confirmed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.computer} — {timezone.localtime(self.starts_at):%d/%m/%Y %H:%M}"


class VisitSlot(models.TextChoices):
    MORNING = "morning", _("Matin")
    AFTERNOON = "afternoon", _("Après-midi")
    EVENING = "evening", _("Soirée")


class FreeAccessVisit(models.Model):
    """Anonymous count of free-access visits at a place, per day and time slot."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="free_access_visits")
    date = models.DateField(_("date"))
    slot = models.CharField(_("créneau"), max_length=10, choices=VisitSlot.choices)
    count = models.PositiveIntegerField(_("visites"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("visites en accès libre")
        verbose_name_plural = _("visites en accès libre")
        ordering = ["-date", "place", "slot"]
        constraints = [models.UniqueConstraint(fields=["place", "date", "slot"], name="free_access_visit_unique")]
        # The statistics count the days not yet in ``StatisticsMonth`` (today) live, by date
        # over the whole network: without it, a scan of every visit (``queries.statistics``).
        indexes = [models.Index(fields=["date", "place"], name="free_access_visit_date_idx")]

    def __str__(self) -> str:
        return f"{self.place} — {self.date:%d/%m/%Y} {self.get_slot_display()} : {self.count}"


__all__ = [
    "Accompaniment",
    "Beneficiary",
    "ComputerBooking",
    "Equipment",
    "EquipmentEvent",
    "FreeAccessVisit",
    "HiringAid",
    "HiringAidPayment",
    "Mediator",
    "PlaceLabel",
    "PublicComputer",
    "Registration",
    "Session",
    "Workshop",
]


# --- 7. Statistics (part: statistics) ----------------------------------------------------------


class StatisticsMonth(models.Model):
    """Derived data: the figures of one place for one month, all themes (``theme`` "")
    or one theme, built by ``services.statistics.statistics_rebuild_months`` (nightly job) so the
    statistics page over years reads a few thousand rows instead of hundreds of thousands.
    Rows without a place and with a theme hold the sums of the whole network for that theme
    (the theme table of the network page). The row with the theme "*" (no place) holds the
    first day NOT covered yet (``month``, usually today): the month of that day is stored up to
    the day before and counted live from that day on. Never edited by hand; rebuilt from the
    source rows at any time (nightly, and this month every 10 minutes)."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    month = models.DateField()
    theme = models.CharField(max_length=20, blank=True, default="")
    sessions = models.PositiveIntegerField(default=0)
    seats = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    no_shows = models.PositiveIntegerField(default=0)
    waitlisted = models.PositiveIntegerField(default=0)
    accompaniments = models.PositiveIntegerField(default=0)
    minutes = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)
    # Breakdown of the accompaniments (summed in SQL; names from ``queries.statistics.BREAKDOWN_COLUMNS``):
    # count, minutes and people per kind, count per help reason, autonomy and outcome.
    kind_individual = models.PositiveIntegerField(default=0)
    kind_individual_minutes = models.PositiveIntegerField(default=0)
    kind_individual_people = models.PositiveIntegerField(default=0)
    kind_collective = models.PositiveIntegerField(default=0)
    kind_collective_minutes = models.PositiveIntegerField(default=0)
    kind_collective_people = models.PositiveIntegerField(default=0)
    kind_procedure = models.PositiveIntegerField(default=0)
    kind_procedure_minutes = models.PositiveIntegerField(default=0)
    kind_procedure_people = models.PositiveIntegerField(default=0)
    reason_no_equipment = models.PositiveIntegerField(default=0)
    reason_know_how = models.PositiveIntegerField(default=0)
    reason_trust = models.PositiveIntegerField(default=0)
    reason_other = models.PositiveIntegerField(default=0)
    autonomy_done_for = models.PositiveIntegerField(default=0)
    autonomy_partly = models.PositiveIntegerField(default=0)
    autonomy_autonomous = models.PositiveIntegerField(default=0)
    outcome_completed = models.PositiveIntegerField(default=0)
    outcome_started = models.PositiveIntegerField(default=0)
    outcome_redirected = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("statistiques d'un mois")
        verbose_name_plural = _("statistiques mensuelles")
        indexes = [models.Index(fields=["theme", "month", "place"], name="stats_month_theme_idx")]

    def __str__(self) -> str:
        return f"{self.place_id or '-'} {self.month:%Y-%m} {self.theme or 'toutes thématiques'}"
