"""The telecentres network: telecentres, resources, plans, memberships, the credits ledger,
employer agreements, bookings, invoices and the prospecting of companies.

Invariants live here, in the database (DESIGN §2):

- an exclusive resource (office, meeting room) is never booked twice for overlapping
  periods, buffer included: ``booking_no_overlap`` (PostgreSQL exclusion constraint over
  ``tstzrange(starts_at, blocked_until)``); on SQLite the IMMEDIATE write transaction
  serialises the writers and the service's own check is the guarantee (ADR 0007);
- a seat pool is never booked beyond its seats: the service locks the resource row and
  counts in the same transaction (ADR 0010);
- a credit grant never goes below zero nor above what was granted (``CheckConstraint``);
- invoice numbers are unique and without gaps per operator and year (``InvoiceCounter``
  under a row lock, ``UniqueConstraint``); an issued invoice never changes (``save()``
  refuses, corrections are credit notes).
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import RangeOperators
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.accounts.models import Organisation
from cybercantal.core.db import PostgresExclusionConstraint, TsTzRange
from cybercantal.core.fields import MultiChoiceField
from cybercantal.places.models import Place
from cybercantal.territory.models import Commune

ZERO = Decimal("0.00")


def new_token() -> str:
    """A secret for a URL (calendar feed, check-in poster, booking code): 32 url-safe characters."""
    return secrets.token_urlsafe(24)


def new_checkin_code() -> str:
    """A per-booking check-in code, short enough to type: 8 characters without 0/O/1/I."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def private_storage():  # type: ignore[no-untyped-def]
    """Invoices are served through a view that checks who asks, never from a public URL."""
    return storages["private"]


# === Part "network": telecentres and resources ================================================


class TelecentreStatus(models.TextChoices):
    PLANNED = "planned", _("En projet")
    OPEN = "open", _("Ouvert")
    CLOSED = "closed", _("Fermé")


class Telecentre(models.Model):
    """A telecentre is a directory ``Place`` (kind telecentre) run by an operator organisation,
    with its own rules. Its name, address, hours and photo are the place's."""

    place = models.OneToOneField(Place, on_delete=models.PROTECT, related_name="telecentre", verbose_name=_("lieu"))
    operator = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="operated_telecentres",
        verbose_name=_("exploitant"),
        help_text=_("La structure qui gère le télécentre et émet les factures."),
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=TelecentreStatus.choices, default=TelecentreStatus.PLANNED
    )
    opens_on = models.DateField(_("ouvert depuis le"), null=True, blank=True)
    closed_on = models.DateField(_("fermé le"), null=True, blank=True)
    cancellation_notice_hours = models.PositiveSmallIntegerField(
        _("annulation gratuite jusqu'à (heures avant)"),
        default=24,
        help_text=_("Annulée plus tard, une réservation reste due et ses crédits ne sont pas rendus."),
    )
    no_show_release_minutes = models.PositiveSmallIntegerField(
        _("libération des absents après (minutes)"),
        default=60,
        help_text=_("Sans pointage à l'arrivée après ce délai, la place est libérée. 0 : jamais."),
    )
    checkin_token = models.CharField(_("jeton de l'affiche de pointage"), max_length=64, unique=True, default=new_token)
    welcome_text = models.TextField(
        _("informations pratiques"), blank=True, help_text=_("Accès, code de la porte remis par courriel, wifi…")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("télécentre")
        verbose_name_plural = _("télécentres")
        ordering = ["place__name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="open") | Q(opens_on__isnull=False), name="telecentre_open_has_date"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_on__isnull=False), name="telecentre_closed_has_date"
            ),
        ]

    def __str__(self) -> str:
        return self.place.name

    @property
    def name(self) -> str:
        return self.place.name

    @property
    def slug(self) -> str:
        return self.place.slug


class ResourceKind(models.TextChoices):
    SEAT_POOL = "seat_pool", _("Espace partagé (postes)")
    OFFICE = "office", _("Bureau fermé")
    MEETING_ROOM = "meeting_room", _("Salle de réunion")


class ResourceAccess(models.TextChoices):
    MEMBERS = "members", _("Membres du télécentre")
    PARTNERS = "partners", _("Salariés des employeurs conventionnés")
    ANYONE = "anyone", _("Tout le monde (paiement à l'usage)")


class Equipment(models.TextChoices):
    VIDEO = "visio", _("Visioconférence")
    SCREEN = "ecran", _("Grand écran")
    PROJECTOR = "videoprojecteur", _("Vidéoprojecteur")
    PRINTER = "imprimante", _("Imprimante")
    WHITEBOARD = "tableau", _("Tableau blanc")
    SECOND_SCREEN = "double_ecran", _("Double écran")
    PHONE = "cabine", _("Cabine téléphonique")
    ACCESSIBLE = "pmr", _("Accessible en fauteuil roulant")


class DayPart(models.TextChoices):
    """How a seat pool is booked: a half-day or a whole day (bounds from the opening hours)."""

    MORNING = "morning", _("Matin")
    AFTERNOON = "afternoon", _("Après-midi")
    DAY = "day", _("Journée")


class Resource(models.Model):
    telecentre = models.ForeignKey(
        Telecentre, on_delete=models.PROTECT, related_name="resources", verbose_name=_("télécentre")
    )
    name = models.CharField(_("nom"), max_length=120)
    kind = models.CharField(_("type"), max_length=20, choices=ResourceKind.choices)
    capacity = models.PositiveSmallIntegerField(
        _("capacité"),
        default=1,
        help_text=_("Nombre de postes de l'espace partagé, ou de personnes pour un bureau ou une salle."),
    )
    description = models.TextField(_("description"), blank=True)
    equipment = MultiChoiceField(_("équipements"), choices_enum=Equipment)
    booking_window_days = models.PositiveSmallIntegerField(_("réservable jusqu'à (jours à l'avance)"), default=90)
    min_minutes = models.PositiveSmallIntegerField(_("durée minimale (minutes)"), default=30)
    max_minutes = models.PositiveSmallIntegerField(_("durée maximale (minutes)"), default=600)
    step_minutes = models.PositiveSmallIntegerField(_("pas de réservation (minutes)"), default=30)
    buffer_minutes = models.PositiveSmallIntegerField(
        _("battement entre deux réservations (minutes)"), default=0, help_text=_("Temps de ménage ou d'aération.")
    )
    opening_hours = models.TextField(
        _("horaires propres"),
        blank=True,
        help_text=_("Syntaxe OpenStreetMap, par exemple « Mo-Fr 08:00-19:00 ». Vide : les horaires du télécentre."),
    )
    access = models.CharField(
        _("qui peut réserver"), max_length=10, choices=ResourceAccess.choices, default=ResourceAccess.MEMBERS
    )
    is_active = models.BooleanField(_("réservable"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre d'affichage"), default=0)

    class Meta:
        verbose_name = _("ressource")
        verbose_name_plural = _("ressources")
        ordering = ["telecentre", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["telecentre", "name"], name="resource_unique_name"),
            models.CheckConstraint(condition=Q(capacity__gte=1) & Q(capacity__lte=500), name="resource_capacity_range"),
            models.CheckConstraint(condition=Q(step_minutes__gte=5), name="resource_step_positive"),
            models.CheckConstraint(condition=Q(min_minutes__gte=5), name="resource_min_positive"),
            models.CheckConstraint(condition=Q(max_minutes__gte=F("min_minutes")), name="resource_min_le_max"),
            models.CheckConstraint(
                condition=Q(booking_window_days__gte=1) & Q(booking_window_days__lte=730), name="resource_window_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.telecentre})"

    @property
    def is_exclusive(self) -> bool:
        """An office or a room is booked whole; a seat pool shares its seats."""
        return self.kind != ResourceKind.SEAT_POOL

    @property
    def credit_unit(self) -> str:
        return CreditUnit.HOUR if self.kind == ResourceKind.MEETING_ROOM else CreditUnit.DAY

    def hours_text(self) -> str:
        return self.opening_hours or self.telecentre.place.opening_hours


class Closure(models.Model):
    """Days a telecentre (or one of its resources) is closed beyond its regular hours."""

    telecentre = models.ForeignKey(
        Telecentre, on_delete=models.CASCADE, related_name="closures", verbose_name=_("télécentre")
    )
    resource = models.ForeignKey(
        Resource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        verbose_name=_("ressource"),
        help_text=_("Vide : tout le télécentre est fermé."),
    )
    starts_on = models.DateField(_("du"))
    ends_on = models.DateField(_("au (inclus)"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("fermeture")
        verbose_name_plural = _("fermetures")
        ordering = ["starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="closure_ordered")]

    def __str__(self) -> str:
        return f"{self.telecentre} {self.starts_on}–{self.ends_on}"


# === Part "plans": plans, memberships, the credits ledger, member profile =======================


class PlanKind(models.TextChoices):
    DAY_PASS = "day_pass", _("Pass journée (à l'usage)")
    CARNET = "carnet", _("Carnet de jours")
    PART_TIME = "part_time", _("Abonnement mensuel temps partiel")
    FULL_TIME = "full_time", _("Abonnement mensuel temps plein")
    MEETING_HOURS = "meeting_hours", _("Forfait d'heures de salle")


MONTHLY_PLAN_KINDS = (PlanKind.PART_TIME, PlanKind.FULL_TIME)


class CreditUnit(models.TextChoices):
    DAY = "day", _("jour")
    HOUR = "hour", _("heure")


class Plan(models.Model):
    """What a member buys. Every price the platform bills comes from here or from an employer
    agreement, never from what a form sends."""

    telecentre = models.ForeignKey(
        Telecentre, on_delete=models.PROTECT, related_name="plans", verbose_name=_("télécentre")
    )
    name = models.CharField(_("nom"), max_length=120)
    kind = models.CharField(_("type"), max_length=20, choices=PlanKind.choices)
    description = models.TextField(_("description"), blank=True)
    price_excl_tax = models.DecimalField(
        _("prix HT"),
        max_digits=9,
        decimal_places=2,
        help_text=_("Par mois pour un abonnement, par carnet ou forfait, par jour pour le pass journée."),
    )
    vat_rate = models.DecimalField(_("taux de TVA (%)"), max_digits=4, decimal_places=2, default=Decimal("20.00"))
    credit_days = models.DecimalField(
        _("jours inclus"), max_digits=6, decimal_places=1, default=ZERO, help_text=_("Par mois, par carnet.")
    )
    credit_hours = models.DecimalField(_("heures de salle incluses"), max_digits=6, decimal_places=1, default=ZERO)
    eligible_kinds = MultiChoiceField(_("ressources couvertes"), choices_enum=ResourceKind)
    credit_validity_days = models.PositiveSmallIntegerField(
        _("validité des crédits (jours)"),
        default=31,
        help_text=_("Un carnet vaut souvent un an ; un abonnement, le mois."),
    )
    days_per_week = models.PositiveSmallIntegerField(
        _("jours par semaine au plus"), null=True, blank=True, help_text=_("Vide : sans limite.")
    )
    usage_price_day = models.DecimalField(
        _("prix HT d'une journée hors crédits"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("La demi-journée vaut la moitié. Vide : pas de réservation au-delà des crédits."),
    )
    usage_price_hour = models.DecimalField(
        _("prix HT d'une heure de salle hors crédits"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    is_public = models.BooleanField(_("proposé en ligne"), default=True)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("formule")
        verbose_name_plural = _("formules")
        ordering = ["telecentre", "price_excl_tax"]
        constraints = [
            models.UniqueConstraint(fields=["telecentre", "name"], name="plan_unique_name"),
            models.CheckConstraint(condition=Q(price_excl_tax__gte=0), name="plan_price_positive"),
            models.CheckConstraint(condition=Q(vat_rate__gte=0) & Q(vat_rate__lte=30), name="plan_vat_range"),
            models.CheckConstraint(
                condition=Q(credit_days__gte=0) & Q(credit_hours__gte=0), name="plan_credits_positive"
            ),
            models.CheckConstraint(
                condition=Q(days_per_week__isnull=True) | (Q(days_per_week__gte=1) & Q(days_per_week__lte=7)),
                name="plan_days_per_week_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} — {self.telecentre}"


class MemberProfile(models.Model):
    """What a member tells the network once: billing identity, usual commute (for the
    département's indicator of commutes avoided) and the secret of their calendar feed."""

    class CommuteMode(models.TextChoices):
        CAR = "car", _("Voiture")
        CARPOOL = "carpool", _("Covoiturage")
        TRAIN = "train", _("Train")
        BUS = "bus", _("Car ou bus")
        OTHER = "other", _("Autre")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="telework_profile")
    billing_name = models.CharField(_("nom sur les factures"), max_length=200, blank=True)
    billing_address = models.TextField(_("adresse de facturation"), blank=True)
    home_commune = models.ForeignKey(
        Commune,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune de résidence"),
    )
    commute_km = models.DecimalField(
        _("trajet habituel évité (km, aller simple)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("La distance jusqu'à votre lieu de travail habituel, sans le télécentre."),
    )
    commute_mode = models.CharField(
        _("moyen de transport habituel"), max_length=10, choices=CommuteMode.choices, blank=True
    )
    calendar_token = models.CharField(_("jeton du calendrier"), max_length=64, unique=True, default=new_token)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profil de membre")
        verbose_name_plural = _("profils de membre")
        constraints = [
            models.CheckConstraint(
                condition=Q(commute_km__isnull=True) | (Q(commute_km__gte=0) & Q(commute_km__lte=2000)),
                name="profile_commute_range",
            )
        ]

    def __str__(self) -> str:
        return self.journal_label()

    def journal_label(self) -> str:
        return f"profil télécentre #{self.pk}"


class Membership(models.Model):
    """A person's right to use a telecentre: an independent on a plan (pays for themself), or a
    salaried teleworker covered by an employer agreement (the employer pays)."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="telework_memberships")
    telecentre = models.ForeignKey(
        Telecentre, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("télécentre")
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships", verbose_name=_("formule")
    )
    agreement = models.ForeignKey(
        "EmployerAgreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("convention employeur"),
    )
    starts_on = models.DateField(_("début"), default=timezone.localdate)
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    next_renewal_on = models.DateField(_("prochain renouvellement"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("adhésion")
        verbose_name_plural = _("adhésions")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(plan__isnull=False) | Q(agreement__isnull=False), name="membership_plan_or_agreement"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="membership_ordered"
            ),
            # One open membership per person and telecentre: change plan = end one, start another.
            models.UniqueConstraint(
                fields=["member", "telecentre"], condition=Q(ends_on__isnull=True), name="membership_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.telecentre} — {self.plan or self.agreement}"

    def journal_label(self) -> str:
        return f"adhésion #{self.pk}"

    @property
    def paid_by_employer(self) -> bool:
        return self.agreement_id is not None


class CreditGrant(models.Model):
    """A dated grant of credits (at each renewal or purchase). ``remaining`` goes down as
    bookings use it (first-expiring grants first) and up again on refund."""

    class Reason(models.TextChoices):
        RENEWAL = "renewal", _("Renouvellement")
        PURCHASE = "purchase", _("Achat")
        GESTURE = "gesture", _("Geste commercial")
        # Unspent credits carried over from the previous plan when a member changes plan:
        # already paid for, never invoiced again.
        TRANSFER = "transfer", _("Report de la formule précédente")

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="credit_grants")
    unit = models.CharField(_("unité"), max_length=5, choices=CreditUnit.choices)
    amount = models.DecimalField(_("crédits accordés"), max_digits=6, decimal_places=1)
    remaining = models.DecimalField(_("crédits restants"), max_digits=6, decimal_places=1)
    eligible_kinds = MultiChoiceField(_("ressources couvertes"), choices_enum=ResourceKind)
    granted_on = models.DateField(_("accordé le"))
    expires_on = models.DateField(_("valable jusqu'au (inclus)"))
    reason = models.CharField(_("motif"), max_length=10, choices=Reason.choices)
    period_start = models.DateField(
        _("période"), null=True, blank=True, help_text=_("Pour un renouvellement : le mois couvert.")
    )
    note = models.CharField(
        _("note"),
        max_length=300,
        blank=True,
        help_text=_("Pourquoi ce geste commercial, ou d'où viennent ces crédits."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("crédits accordés")
        verbose_name_plural = _("crédits accordés")
        ordering = ["expires_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_grant_amount_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount")), name="credit_grant_remaining_range"
            ),
            models.CheckConstraint(condition=Q(expires_on__gte=F("granted_on")), name="credit_grant_ordered"),
            # A renewal happens once per membership, unit and period, whoever runs it.
            models.UniqueConstraint(
                fields=["membership", "unit", "period_start"],
                condition=Q(reason="renewal"),
                name="credit_grant_one_renewal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.unit} → {self.expires_on}"


class CreditMovement(models.Model):
    """The ledger: every change of a grant's ``remaining``, linked to the booking it served."""

    class Kind(models.TextChoices):
        DEBIT = "debit", _("Réservation")
        REFUND = "refund", _("Remboursement (annulation)")
        ADJUSTMENT = "adjustment", _("Ajustement")

    grant = models.ForeignKey(CreditGrant, on_delete=models.PROTECT, related_name="movements")
    booking = models.ForeignKey(
        "Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_movements"
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(
        _("crédits"), max_digits=6, decimal_places=1, help_text=_("Négatif pour une réservation.")
    )
    at = models.DateTimeField(_("le"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("mouvement de crédits")
        verbose_name_plural = _("mouvements de crédits")
        ordering = ["at", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="credit_movement_not_zero")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


# === Part "agreements": employer agreements (conventions de télétravail) =======================


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("En préparation")
    ACTIVE = "active", _("En vigueur")
    ENDED = "ended", _("Terminée")


class EmployerAgreement(models.Model):
    """A convention de télétravail: the employer pays for its named employees' days in the
    telecentres it covers, within a quota of days per week."""

    reference = models.CharField(_("référence"), max_length=30, unique=True)
    employer = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="telework_agreements", verbose_name=_("employeur")
    )
    telecentres = models.ManyToManyField(Telecentre, related_name="agreements", verbose_name=_("télécentres"))
    status = models.CharField(
        _("statut"), max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    signed_on = models.DateField(_("signée le"), null=True, blank=True)
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    days_per_week = models.PositiveSmallIntegerField(_("jours par semaine et par salarié"), default=2)
    day_price_excl_tax = models.DecimalField(_("prix HT d'une journée"), max_digits=8, decimal_places=2)
    monthly_fee_excl_tax = models.DecimalField(
        _("forfait mensuel HT par salarié"), max_digits=8, decimal_places=2, default=ZERO
    )
    vat_rate = models.DecimalField(_("taux de TVA (%)"), max_digits=4, decimal_places=2, default=Decimal("20.00"))
    billing_address = models.TextField(_("adresse de facturation"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("convention employeur")
        verbose_name_plural = _("conventions employeur")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(days_per_week__gte=1) & Q(days_per_week__lte=5), name="agreement_days_range"
            ),
            models.CheckConstraint(
                condition=Q(day_price_excl_tax__gte=0) & Q(monthly_fee_excl_tax__gte=0),
                name="agreement_prices_positive",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="agreement_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(signed_on__isnull=False), name="agreement_active_is_signed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.employer}"


class AgreementEmployee(models.Model):
    """A named employee of an agreement. Added by email by the employer; the person joins by
    signing in with that address (``user`` set then)."""

    agreement = models.ForeignKey(EmployerAgreement, on_delete=models.PROTECT, related_name="employees")
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    email = models.EmailField(_("adresse électronique professionnelle"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="telework_employments"
    )
    added_on = models.DateField(_("ajouté le"), default=timezone.localdate)
    removed_on = models.DateField(_("retiré le"), null=True, blank=True)
    joined_at = models.DateTimeField(_("a rejoint le"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("salarié couvert")
        verbose_name_plural = _("salariés couverts")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "email"],
                condition=Q(removed_on__isnull=True),
                name="agreement_employee_unique_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def journal_label(self) -> str:
        return f"salarié #{self.pk} de la convention {self.agreement_id}"


# === Part "booking": bookings, series, waitlist ================================================


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmée")
    CANCELLED = "cancelled", _("Annulée")
    RELEASED = "released", _("Libérée (absence)")


class BookingSeries(models.Model):
    """A recurring booking (RFC 5545 RRULE). Its occurrences are real ``Booking`` rows; the
    ``report`` lists the dates that could not be booked and why."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="telework_series")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="series")
    rrule = models.CharField(_("règle de récurrence"), max_length=300)
    first_day = models.DateField(_("premier jour"))
    part = models.CharField(_("moment"), max_length=10, choices=DayPart.choices, blank=True)
    start_time = models.TimeField(_("de"), null=True, blank=True)
    end_time = models.TimeField(_("à"), null=True, blank=True)
    report = models.JSONField(_("dates non réservées"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("série de réservations")
        verbose_name_plural = _("séries de réservations")

    def __str__(self) -> str:
        return self.journal_label()

    def journal_label(self) -> str:
        return f"série #{self.pk}"


class Booking(models.Model):
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("ressource")
    )
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="telework_bookings")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings")
    agreement = models.ForeignKey(
        EmployerAgreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        help_text="The employer pays this booking (copied from the membership when booked).",
    )
    series = models.ForeignKey(BookingSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings")
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    # ends_at + the resource's buffer: what the exclusion constraint compares.
    blocked_until = models.DateTimeField()
    part = models.CharField(_("moment"), max_length=10, choices=DayPart.choices, blank=True)
    exclusive = models.BooleanField(
        default=True, help_text="Copied from the resource kind: office and room bookings exclude each other."
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    # What the booking costs beyond credits and subscriptions (pay-as-you-go), from the plan or
    # the agreement. Billed monthly; 0 when credits covered it.
    price_excl_tax = models.DecimalField(_("prix HT"), max_digits=8, decimal_places=2, default=ZERO)
    vat_rate = models.DecimalField(_("taux de TVA (%)"), max_digits=4, decimal_places=2, default=Decimal("20.00"))
    credits_used = models.DecimalField(_("crédits utilisés"), max_digits=6, decimal_places=1, default=ZERO)
    days_counted = models.DecimalField(
        _("jours décomptés"),
        max_digits=3,
        decimal_places=1,
        default=ZERO,
        help_text="Toward weekly quotas: 0.5 for a half-day, 1 for a day; 0 for a meeting room.",
    )
    checkin_code = models.CharField(_("code d'arrivée"), max_length=12, unique=True, default=new_checkin_code)
    checked_in_at = models.DateTimeField(_("arrivée pointée le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    late_cancellation = models.BooleanField(_("annulée hors délai"), default=False)
    released_at = models.DateTimeField(_("libérée le"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("réservation")
        verbose_name_plural = _("réservations")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["resource", "starts_at"], name="booking_resource_starts_idx"),
            models.Index(fields=["member", "starts_at"], name="booking_member_starts_idx"),
            models.Index(fields=["status", "starts_at"], name="booking_status_starts_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_ordered"),
            models.CheckConstraint(condition=Q(blocked_until__gte=F("ends_at")), name="booking_blocked_after_end"),
            models.CheckConstraint(
                condition=Q(price_excl_tax__gte=0) & Q(credits_used__gte=0), name="booking_amounts_positive"
            ),
            PostgresExclusionConstraint(
                name="booking_no_overlap",
                expressions=[
                    ("resource", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "blocked_until"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status="confirmed") & Q(exclusive=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} — {timezone.localtime(self.starts_at):%d/%m/%Y %H:%M}"

    def journal_label(self) -> str:
        return f"réservation #{self.pk}"

    @property
    def is_confirmed(self) -> bool:
        return self.status == BookingStatus.CONFIRMED


class WaitlistEntry(models.Model):
    """A person waiting for a seat in a full pool. When a seat frees up, the first in line is
    booked automatically (if their credits or plan allow it) and told by email."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("En attente")
        PROMOTED = "promoted", _("Place attribuée")
        CANCELLED = "cancelled", _("Retirée")
        EXPIRED = "expired", _("Expirée")

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="waitlist")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="telework_waitlist")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    part = models.CharField(max_length=10, choices=DayPart.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("liste d'attente")
        verbose_name_plural = _("listes d'attente")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "member", "starts_at"], condition=Q(status="waiting"), name="waitlist_once"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="waitlist_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.starts_at:%Y-%m-%d %H:%M} ({self.status})"


# === Part "billing": operators' legal details, invoices, credit notes ==========================


class OperatorBilling(models.Model):
    """What an operator's invoices must say (French legal mentions)."""

    operator = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="telework_billing")
    legal_name = models.CharField(_("raison sociale"), max_length=200)
    legal_form = models.CharField(_("forme juridique et capital"), max_length=200, blank=True)
    address = models.TextField(_("adresse"))
    siret = models.CharField(_("SIRET"), max_length=14)
    vat_number = models.CharField(_("numéro de TVA intracommunautaire"), max_length=20, blank=True)
    vat_exempt = models.BooleanField(
        _("franchise en base de TVA"), default=False, help_text=_("« TVA non applicable, art. 293 B du CGI »")
    )
    invoice_prefix = models.CharField(_("préfixe des numéros"), max_length=10, default="FAC")
    payment_terms_days = models.PositiveSmallIntegerField(_("délai de paiement (jours)"), default=30)
    late_penalty_rate = models.CharField(
        _("taux des pénalités de retard"), max_length=100, default="3 fois le taux d'intérêt légal"
    )
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)

    class Meta:
        verbose_name = _("facturation d'un exploitant")
        verbose_name_plural = _("facturation des exploitants")

    def __str__(self) -> str:
        return self.legal_name


class InvoiceCounter(models.Model):
    """The last number given per operator and year, read and bumped under a row lock so that
    numbers follow each other without a gap even when two invoices are issued at once."""

    operator = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["operator", "year"], name="invoice_counter_unique")]

    def __str__(self) -> str:
        return f"{self.operator_id}/{self.year}: {self.last_number}"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Facture")
    CREDIT_NOTE = "credit_note", _("Avoir")


class ImmutableInvoiceError(Exception):
    pass


class Invoice(models.Model):
    operator = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="telework_invoices_issued")
    kind = models.CharField(_("type"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    number = models.CharField(_("numéro"), max_length=40)
    year = models.PositiveSmallIntegerField(_("année"))
    sequence = models.PositiveIntegerField(_("rang"))
    issued_on = models.DateField(_("émise le"))
    due_on = models.DateField(_("à payer avant le"))
    period_start = models.DateField(_("période du"))
    period_end = models.DateField(_("au"))
    payer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="telework_invoices"
    )
    payer_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="telework_invoices"
    )
    agreement = models.ForeignKey(
        EmployerAgreement, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    # Snapshots: an invoice says what was true when it was issued.
    payer_name = models.CharField(_("client"), max_length=200)
    payer_address = models.TextField(_("adresse du client"), blank=True)
    # The payer's name and the number, accents and case folded (``core.text.normalise``): the
    # lists' search finds « teyssedre » for Teyssèdre.
    search_text = models.CharField(max_length=300, blank=True, editable=False)
    seller = models.JSONField(_("vendeur"), default=dict)
    total_excl_tax = models.DecimalField(_("total HT"), max_digits=10, decimal_places=2)
    total_vat = models.DecimalField(_("TVA"), max_digits=10, decimal_places=2)
    total_incl_tax = models.DecimalField(_("total TTC"), max_digits=10, decimal_places=2)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes", verbose_name=_("corrige")
    )
    reason = models.CharField(_("motif de l'avoir"), max_length=300, blank=True)
    pdf = models.FileField(
        _("PDF"), storage=private_storage, upload_to="telework/invoices/%Y/", max_length=200, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-issued_on", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["operator", "year", "sequence"], name="invoice_unique_sequence"),
            models.UniqueConstraint(fields=["operator", "number"], name="invoice_unique_number"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="invoice_sequence_positive"),
            models.CheckConstraint(
                condition=(Q(payer_user__isnull=False) & Q(payer_organisation__isnull=True))
                | (Q(payer_user__isnull=True) & Q(payer_organisation__isnull=False)),
                name="invoice_one_payer",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", corrects__isnull=True) | Q(kind="credit_note", corrects__isnull=False),
                name="invoice_credit_note_corrects",
            ),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="invoice_period_ordered"),
            # One invoice per payer, operator and month: issuing a month twice (two runs at once
            # included) issues nothing twice.
            models.UniqueConstraint(
                fields=["operator", "period_start", "payer_user"],
                condition=Q(kind="invoice", payer_user__isnull=False),
                name="invoice_once_per_member_month",
            ),
            models.UniqueConstraint(
                fields=["operator", "period_start", "payer_organisation"],
                condition=Q(kind="invoice", payer_organisation__isnull=False),
                name="invoice_once_per_organisation_month",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", total_excl_tax__gte=0) | Q(kind="credit_note", total_excl_tax__lte=0),
                name="invoice_sign_by_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["operator", "period_start"], name="invoice_operator_period_idx"),
            models.Index(fields=["payer_user", "issued_on"], name="invoice_payer_user_idx"),
            models.Index(fields=["payer_organisation", "issued_on"], name="invoice_payer_org_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Issued invoices never change. The one write allowed after creation is attaching the
        # PDF made from the saved rows (``update_fields=["pdf"]``, once).
        if self.pk is not None:
            if kwargs.get("update_fields") != ["pdf"]:
                raise ImmutableInvoiceError("An issued invoice never changes: issue a credit note.")
            if Invoice.objects.filter(pk=self.pk).exclude(pdf="").exists():
                raise ImmutableInvoiceError("An invoice's PDF is attached once.")
        super().save(*args, **kwargs)

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def is_business_buyer(self) -> bool:
        """A company pays: the 40 € recovery indemnity applies (art. L441-10 du code de commerce)."""
        return self.payer_organisation_id is not None

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableInvoiceError("An issued invoice is never deleted: issue a credit note.")


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(_("désignation"), max_length=300)
    quantity = models.DecimalField(_("quantité"), max_digits=8, decimal_places=2)
    unit = models.CharField(_("unité"), max_length=20, blank=True)
    unit_price_excl_tax = models.DecimalField(_("prix unitaire HT"), max_digits=9, decimal_places=2)
    vat_rate = models.DecimalField(_("TVA (%)"), max_digits=4, decimal_places=2)
    total_excl_tax = models.DecimalField(_("total HT"), max_digits=10, decimal_places=2)
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines")
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )
    credit_grant = models.ForeignKey(
        CreditGrant, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )
    agreement_employee = models.ForeignKey(
        AgreementEmployee, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )
    # On a credit note: the invoice line it cancels (each line is credited once at most).
    corrects_line = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credited_by"
    )

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.UniqueConstraint(
                fields=["corrects_line"], condition=Q(corrects_line__isnull=False), name="invoice_line_credited_once"
            ),
        ]

    def __str__(self) -> str:
        return self.description

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableInvoiceError("An issued invoice's lines never change.")
        super().save(*args, **kwargs)


# === Part "prospecting": companies courted to relocate staff ====================================


class ProspectStage(models.TextChoices):
    IDENTIFIED = "identified", _("Identifiée")
    CONTACTED = "contacted", _("Contactée")
    MEETING = "meeting", _("Rendez-vous")
    PILOT = "pilot", _("Accord pilote")
    RELOCATED = "relocated", _("Salariés installés")
    LOST = "lost", _("Perdue")


PIPELINE_STAGES = [s for s in ProspectStage if s != ProspectStage.LOST]


class SizeBand(models.TextChoices):
    MICRO = "micro", _("Moins de 10 salariés")
    SMALL = "small", _("10 à 49 salariés")
    MEDIUM = "medium", _("50 à 249 salariés")
    LARGE = "large", _("250 à 4 999 salariés")
    HUGE = "huge", _("5 000 salariés et plus")


class LostReason(models.TextChoices):
    """Why a company said no: counted on the conversion figures (a free text adds details)."""

    NO_NEED = "no_need", _("Pas de besoin de télétravail")
    MANAGEMENT = "management", _("Direction défavorable au travail à distance")
    OTHER_TERRITORY = "other_territory", _("A choisi un autre territoire")
    TOO_FEW_STAFF = "too_few_staff", _("Trop peu de salariés intéressés")
    COST = "cost", _("Coût ou conditions de la convention")
    TIMING = "timing", _("Pas le bon moment (réorganisation, rachat…)")
    NO_ANSWER = "no_answer", _("Plus de réponse")
    OTHER = "other", _("Autre raison")


class Prospect(models.Model):
    """A national company the département courts to relocate staff to the Cantal's telecentres.

    ``stage``, ``stage_changed_at`` and ``lost_reason*`` are written only by
    ``services.prospecting.prospect_move`` (which also writes a ``ProspectStageChange``);
    ``search_text`` (name, SIREN, head office, accents and case folded) by the services that
    write the name, SIREN or head office."""

    name = models.CharField(_("entreprise"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    sector = models.CharField(_("secteur d'activité"), max_length=200, blank=True)
    size_band = models.CharField(_("effectif"), max_length=10, choices=SizeBand.choices, blank=True)
    head_office = models.CharField(_("siège"), max_length=200, blank=True, help_text=_("Ville du siège."))
    website = models.URLField(_("site internet"), blank=True)
    stage = models.CharField(_("étape"), max_length=12, choices=ProspectStage.choices, default=ProspectStage.IDENTIFIED)
    stage_changed_at = models.DateTimeField(_("à cette étape depuis"), default=timezone.now)
    lost_reason = models.CharField(_("raison de la perte"), max_length=300, blank=True)
    lost_reason_kind = models.CharField(_("motif de la perte"), max_length=20, choices=LostReason.choices, blank=True)
    source_partner = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partenaire source"),
    )
    source_detail = models.CharField(_("origine"), max_length=200, blank=True)
    potential_staff = models.PositiveIntegerField(_("salariés susceptibles de venir"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suivie par"),
    )
    agreement = models.ForeignKey(
        EmployerAgreement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="prospects",
        verbose_name=_("convention signée"),
    )
    notes = models.TextField(_("notes"), blank=True)
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("entreprise prospectée")
        verbose_name_plural = _("entreprises prospectées")
        ordering = ["name"]
        indexes = [models.Index(fields=["stage", "stage_changed_at"], name="prospect_stage_idx")]
        constraints = [
            models.UniqueConstraint(fields=["siren"], condition=~Q(siren=""), name="prospect_unique_siren"),
            models.CheckConstraint(condition=Q(siren="") | Q(siren__regex=r"^[0-9]{9}$"), name="prospect_siren_digits"),
            models.CheckConstraint(condition=~Q(stage="lost") | ~Q(lost_reason=""), name="prospect_lost_has_reason"),
        ]

    def __str__(self) -> str:
        return self.name


class ProspectContact(models.Model):
    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("nom"), max_length=200)
    job_title = models.CharField(_("fonction"), max_length=200, blank=True)
    email = models.EmailField(_("adresse électronique"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def journal_label(self) -> str:
        return f"contact #{self.pk}"


class ProspectActivity(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("Appel")
        MEETING = "meeting", _("Rendez-vous")
        EVENT = "event", _("Salon ou événement")
        EMAIL = "email", _("Courriel")
        VISIT = "visit", _("Visite d'un télécentre")
        OTHER = "other", _("Autre")

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    happened_on = models.DateField(_("date"))
    summary = models.TextField(_("compte rendu"))
    next_step = models.CharField(_("prochaine étape"), max_length=300, blank=True)
    next_step_on = models.DateField(_("prévue le"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("action de prospection")
        verbose_name_plural = _("actions de prospection")
        ordering = ["-happened_on", "-pk"]
        indexes = [models.Index(fields=["prospect", "-happened_on", "-id"], name="prospect_activity_latest_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_step_on__isnull=True) | ~Q(next_step=""), name="prospect_activity_next_step_named"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.happened_on}"


class ProspectStageChange(models.Model):
    """Every move in the pipeline: the conversion figures are computed from these."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=12, choices=ProspectStage.choices, blank=True)
    to_stage = models.CharField(max_length=12, choices=ProspectStage.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    reason_kind = models.CharField(max_length=20, choices=LostReason.choices, blank=True)

    class Meta:
        verbose_name = _("changement d'étape")
        verbose_name_plural = _("changements d'étape")
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(to_stage="lost") | ~Q(reason=""), name="prospect_change_lost_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"
