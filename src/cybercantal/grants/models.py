"""Grant programmes (Auverdata and any other), broadband coverage data, applications
(dossiers), their instruction, decisions and payments.

A programme is configuration: rate, cap, envelope, dates, expense categories, applicant
conditions and the coverage rule are rows, not code. The money invariants that can live in
the database live here: the decided amount never exceeds the computed one, nothing is paid
beyond the decision. The envelope (a sum over dossiers) is guarded by a row lock on the
programme in ``services.instruction`` (see ADR 0008).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cybercantal.accounts.models import Organisation
from cybercantal.territory.models import Canton, Commune

ZERO = Decimal("0.00")


def private_storage():  # type: ignore[no-untyped-def]
    """Files that only the people allowed may download, through a view (never a public URL)."""
    return storages["private"]


# --- Coverage data (ARCEP "Ma connexion internet") ---------------------------------------------


class SpeedClass(models.TextChoices):
    """ARCEP's classes of the best download speed at a premises, slowest first."""

    INEL = "INEL", _("Inéligible (aucun accès filaire)")
    HD05 = "HD05", _("Moins de 3 Mbit/s")
    HD3 = "HD3", _("De 3 à 8 Mbit/s")
    BHD8 = "BHD8", _("De 8 à 30 Mbit/s")
    THD30 = "THD30", _("De 30 à 100 Mbit/s")
    THD100 = "THD100", _("De 100 Mbit/s à 1 Gbit/s")
    THD1G = "THD1G", _("1 Gbit/s et plus")


# Rank of each class: a lower rank is a slower connection. Compare ranks, never labels.
SPEED_RANK = {code: rank for rank, code in enumerate(SpeedClass.values)}


class CoverageEdition(models.Model):
    """One quarterly edition of the ARCEP data, as imported."""

    quarter = models.CharField(
        _("édition"), max_length=7, unique=True, help_text=_("Trimestre des données, par exemple 2026T2.")
    )
    departement_code = models.CharField(_("département"), max_length=3)
    imported_at = models.DateTimeField(_("importée le"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_current = models.BooleanField(_("édition en vigueur"), default=False)
    source_files = models.JSONField(_("fichiers importés"), default=list, blank=True)
    building_count = models.PositiveIntegerField(_("immeubles"), default=0)
    commune_count = models.PositiveIntegerField(_("communes"), default=0)

    class Meta:
        verbose_name = _("édition des données de couverture")
        verbose_name_plural = _("éditions des données de couverture")
        ordering = ["-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="coverage_one_current"),
            models.CheckConstraint(condition=Q(quarter__regex=r"^[0-9]{4}T[1-4]$"), name="coverage_quarter_format"),
        ]

    def __str__(self) -> str:
        return self.quarter


class CommuneCoverage(models.Model):
    """Per-commune statistics: number of premises per best wired speed class."""

    edition = models.ForeignKey(CoverageEdition, on_delete=models.CASCADE, related_name="communes")
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    premises = models.PositiveIntegerField(_("locaux"), default=0)
    by_class = models.JSONField(_("locaux par classe de débit"), default=dict)  # {"HD05": 120, ...}
    by_technology = models.JSONField(_("locaux par technologie"), default=dict, blank=True)

    class Meta:
        verbose_name = _("couverture d'une commune")
        verbose_name_plural = _("couvertures des communes")
        constraints = [models.UniqueConstraint(fields=["edition", "commune"], name="coverage_commune_once")]

    def __str__(self) -> str:
        return f"{self.commune} ({self.edition})"


class Building(models.Model):
    """One building (immeuble) of ``base_imb`` with its best wired class from ``actuel``."""

    edition = models.ForeignKey(CoverageEdition, on_delete=models.CASCADE, related_name="buildings")
    imb_id = models.CharField(_("identifiant de l'immeuble"), max_length=40)
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(_("numéro"), max_length=10, blank=True)
    suffix = models.CharField(_("indice de répétition"), max_length=10, blank=True)
    street = models.CharField(_("voie"), max_length=200, blank=True)
    street_key = models.CharField(max_length=200, blank=True, editable=False)  # core.text.normalise(street)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    premises = models.PositiveIntegerField(_("locaux"), default=1)
    best_class = models.CharField(_("meilleure classe de débit filaire"), max_length=6, choices=SpeedClass.choices)
    best_technology = models.CharField(_("technologie de ce débit"), max_length=20, blank=True)
    lines = models.JSONField(_("technologies et classes"), default=list, blank=True)  # [{"techno", "classe"}]

    class Meta:
        verbose_name = _("immeuble")
        constraints = [models.UniqueConstraint(fields=["edition", "imb_id"], name="coverage_building_once")]
        indexes = [models.Index(fields=["edition", "commune", "street_key", "number"], name="building_address_idx")]

    def __str__(self) -> str:
        return " ".join(part for part in (self.number, self.suffix, self.street) if part) or self.imb_id


class EligibilityAnswer(models.TextChoices):
    ELIGIBLE = "eligible", _("Éligible")
    NOT_ELIGIBLE = "not_eligible", _("Non éligible")
    TO_CHECK = "to_check", _("À vérifier par l'instructeur")


# --- 1. Programmes -----------------------------------------------------------------------------------


class GrantProgramme(models.Model):
    slug = models.SlugField(_("identifiant"), max_length=60, unique=True)
    code = models.CharField(
        _("préfixe des dossiers"), max_length=8, unique=True, help_text=_("Par exemple AUV : dossiers AUV-2026-00001.")
    )
    name = models.CharField(_("nom"), max_length=150)
    funder = models.CharField(_("financeur"), max_length=150)
    summary = models.TextField(_("présentation"), blank=True)
    rate_percent = models.DecimalField(
        _("taux de l'aide (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    cap_per_application = models.DecimalField(
        _("plafond par dossier (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    budget = models.DecimalField(_("enveloppe budgétaire (€)"), max_digits=14, decimal_places=2)
    opens_on = models.DateField(_("ouverture des demandes"))
    closes_on = models.DateField(_("clôture des demandes"))
    is_published = models.BooleanField(_("publié"), default=False)
    # Applicants
    requires_active_siret = models.BooleanField(_("SIRET actif exigé"), default=True)
    applicant_conditions = models.TextField(
        _("autres conditions"),
        blank=True,
        help_text=_("Une condition par ligne : le demandeur certifie chacune avant de déposer."),
    )
    # Coverage rule: eligible when the best wired class at the premises is strictly slower
    # than ``coverage_threshold``.
    coverage_rule_enabled = models.BooleanField(_("condition de couverture"), default=True)
    coverage_threshold = models.CharField(
        _("seuil de débit filaire"),
        max_length=6,
        choices=SpeedClass.choices,
        default=SpeedClass.HD3,
        help_text=_("Éligible si le meilleur débit filaire des locaux est inférieur à cette classe."),
    )
    # De minimis (Regulation (EU) 2023/2831: 300,000 € over three years).
    de_minimis_ceiling = models.DecimalField(
        _("plafond de minimis (€)"), max_digits=12, decimal_places=2, default=Decimal("300000.00")
    )
    contact_email = models.EmailField(_("adresse de contact"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dispositif d'aide")
        verbose_name_plural = _("dispositifs d'aide")
        ordering = ["-opens_on", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=F("opens_on")), name="programme_dates_ordered"),
            models.CheckConstraint(
                condition=Q(rate_percent__gt=0) & Q(rate_percent__lte=100), name="programme_rate_in_range"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="programme_budget_positive"),
            models.CheckConstraint(
                condition=Q(cap_per_application__isnull=True) | Q(cap_per_application__gt=0),
                name="programme_cap_positive",
            ),
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{2,8}$"), name="programme_code_format"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def conditions(self) -> list[str]:
        return [line.strip() for line in self.applicant_conditions.splitlines() if line.strip()]


class ExpenseCategory(models.Model):
    programme = models.ForeignKey(GrantProgramme, on_delete=models.CASCADE, related_name="categories")
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("libellé"), max_length=120)
    description = models.TextField(_("ce qu'elle couvre"), blank=True)
    is_eligible = models.BooleanField(_("dépense éligible"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("catégorie de dépense")
        verbose_name_plural = _("catégories de dépense")
        ordering = ["programme", "position", "label"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="category_code_once")]

    def __str__(self) -> str:
        return self.label


# --- 3. Applications ---------------------------------------------------------------------------------


class Status(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Déposé")
    UNDER_REVIEW = "under_review", _("En instruction")
    CORRECTIONS = "corrections", _("Corrections demandées")
    ACCEPTED = "accepted", _("Accepté")
    REFUSED = "refused", _("Refusé")
    CLOSED = "closed", _("Classé sans suite")
    PAID = "paid", _("Payé")


# The applicant may change the dossier only in these states.
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.CORRECTIONS})
# A decision is taken; reopening it is an explicit, journalled action.
DECIDED_STATUSES = frozenset({Status.ACCEPTED, Status.REFUSED, Status.CLOSED})
# The money is committed on the envelope.
COMMITTED_STATUSES = frozenset({Status.ACCEPTED, Status.PAID})

# The state machine: (from, to) pairs that ``services.workflow.application_transition`` accepts.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED}),
    Status.SUBMITTED: frozenset({Status.UNDER_REVIEW, Status.CLOSED}),
    Status.UNDER_REVIEW: frozenset({Status.CORRECTIONS, Status.ACCEPTED, Status.REFUSED, Status.CLOSED}),
    Status.CORRECTIONS: frozenset({Status.SUBMITTED, Status.CLOSED}),
    Status.ACCEPTED: frozenset({Status.PAID, Status.UNDER_REVIEW}),  # reopen: explicit action
    Status.REFUSED: frozenset({Status.UNDER_REVIEW}),  # reopen
    Status.CLOSED: frozenset({Status.UNDER_REVIEW}),  # reopen
    Status.PAID: frozenset(),
}


class Application(models.Model):
    programme = models.ForeignKey(GrantProgramme, on_delete=models.PROTECT, related_name="applications")
    reference = models.CharField(_("numéro de dossier"), max_length=24, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="grant_applications")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="grant_applications"
    )
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)  # bumped by every save of the draft (stale tabs)
    # Business (copied from the organisation at each step, as declared in this dossier)
    business_name = models.CharField(_("raison sociale"), max_length=200, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    activity = models.CharField(_("activité"), max_length=200, blank=True)
    employees = models.PositiveIntegerField(_("effectif salarié"), null=True, blank=True)
    contact_name = models.CharField(_("personne à contacter"), max_length=150, blank=True)
    contact_email = models.EmailField(_("adresse électronique de contact"), blank=True)
    contact_phone = models.CharField(_("téléphone de contact"), max_length=30, blank=True)
    iban = models.CharField(_("IBAN du compte à créditer"), max_length=34, blank=True)
    # Premises
    premises_address = models.CharField(_("adresse des locaux"), max_length=250, blank=True)
    premises_commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("commune")
    )
    premises_postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    canton = models.ForeignKey(Canton, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Eligibility as checked when the premises were entered (kept: the data behind it, the edition)
    eligibility = models.CharField(_("éligibilité"), max_length=20, choices=EligibilityAnswer.choices, blank=True)
    eligibility_snapshot = models.JSONField(_("détail de l'éligibilité"), default=dict, blank=True)
    # De minimis and declarations
    de_minimis_amount = models.DecimalField(
        _("aides de minimis reçues sur 3 ans (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    de_minimis_details = models.TextField(_("détail des aides de minimis"), blank=True)
    declarations_certified = models.BooleanField(_("déclarations certifiées"), default=False)
    # Amounts (computed by ``services.amounts`` and stored at each save)
    eligible_total = models.DecimalField(_("dépenses éligibles HT (€)"), max_digits=12, decimal_places=2, default=ZERO)
    computed_aid = models.DecimalField(_("aide calculée (€)"), max_digits=12, decimal_places=2, default=ZERO)
    decided_amount = models.DecimalField(_("aide accordée (€)"), max_digits=12, decimal_places=2, null=True, blank=True)
    paid_amount = models.DecimalField(_("aide versée (€)"), max_digits=12, decimal_places=2, default=ZERO)
    # Dates and people
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("déposé le"), null=True, blank=True)  # last submission
    first_submitted_at = models.DateTimeField(_("premier dépôt le"), null=True, blank=True)
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(_("motif de la décision"), blank=True)
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("instructeur"),
    )

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["programme", "status", "submitted_at"], name="application_queue_idx"),
            models.Index(fields=["organisation", "status"], name="application_org_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="application_status_known"),
            # One draft per business and programme: a double click on "Commencer" makes one.
            models.UniqueConstraint(
                fields=["programme", "organisation"], condition=Q(status="draft"), name="application_one_draft"
            ),
            models.CheckConstraint(
                condition=Q(eligible_total__gte=0) & Q(computed_aid__gte=0) & Q(paid_amount__gte=0),
                name="application_amounts_positive",
            ),
            models.CheckConstraint(
                condition=Q(decided_amount__isnull=True)
                | (Q(decided_amount__gte=0) & Q(decided_amount__lte=F("computed_aid"))),
                name="application_decided_within_computed",
            ),
            models.CheckConstraint(
                condition=Q(paid_amount=0) | Q(paid_amount__lte=F("decided_amount")),
                name="application_paid_within_decided",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "paid"]) | Q(decided_amount__isnull=False),
                name="application_accepted_has_amount",
            ),
            models.CheckConstraint(
                condition=Q(de_minimis_amount__isnull=True) | Q(de_minimis_amount__gte=0),
                name="application_de_minimis_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def journal_label(self) -> str:
        return f"dossier {self.reference}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class StatusChange(models.Model):
    """The transition log: every change of state, who made it, why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    comment = models.TextField(_("commentaire"), blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("changement d'état")
        verbose_name_plural = _("changements d'état")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.application} : {self.from_status} → {self.to_status}"


class DocumentKind(models.TextChoices):
    QUOTE = "quote", _("Devis")
    INVOICE = "invoice", _("Facture acquittée")
    ATTACHMENT = "attachment", _("Pièce jointe à un message")
    DECISION = "decision", _("Lettre de décision")


class Document(models.Model):
    """A file of a dossier, checked by content and size, kept in the private storage."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("type"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(_("fichier"), storage=private_storage, upload_to="grants/%Y/%m/", max_length=200)
    original_name = models.CharField(_("nom du fichier"), max_length=200)
    content_type = models.CharField(_("type de contenu"), max_length=100)
    size = models.PositiveIntegerField(_("taille (octets)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pièce du dossier")
        verbose_name_plural = _("pièces du dossier")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class ExpenseLine(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="lines")
    category = models.ForeignKey(ExpenseCategory, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=250)
    amount = models.DecimalField(_("montant HT (€)"), max_digits=12, decimal_places=2)
    quote = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("devis")
    )
    position = models.PositiveSmallIntegerField(default=0)
    # Instruction
    is_ineligible = models.BooleanField(_("écartée par l'instructeur"), default=False)
    ineligibility_reason = models.CharField(_("motif"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("ligne de dépense")
        verbose_name_plural = _("lignes de dépense")
        ordering = ["application", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(amount__lte=Decimal("10000000")), name="expense_amount_plausible"
            ),
            models.CheckConstraint(
                condition=Q(is_ineligible=False) | ~Q(ineligibility_reason=""), name="expense_ineligible_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.description


# --- 4. Instruction ---------------------------------------------------------------------------------


class ReviewNote(models.Model):
    """Private to the instructors and the programme team: the applicant never sees it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="review_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("note d'instruction")
        verbose_name_plural = _("notes d'instruction")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:50]


class Message(models.Model):
    """The thread between the applicant and the instructors."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    from_applicant = models.BooleanField(default=False)
    body = models.TextField(_("message"))
    attachments = models.ManyToManyField(Document, blank=True, related_name="messages")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:50]


# --- 5. Payment ------------------------------------------------------------------------------------


class InvoiceStatus(models.TextChoices):
    PENDING = "pending", _("À vérifier")
    ACCEPTED = "accepted", _("Retenue")
    REJECTED = "rejected", _("Écartée")


class PaidInvoice(models.Model):
    """A paid invoice the business uploads after the decision, for one expense line."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="invoices")
    line = models.ForeignKey(ExpenseLine, on_delete=models.PROTECT, related_name="invoices")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    supplier = models.CharField(_("fournisseur"), max_length=200)
    invoice_number = models.CharField(_("numéro de facture"), max_length=60)
    invoice_date = models.DateField(_("date de la facture"))
    amount = models.DecimalField(_("montant payé HT (€)"), max_digits=12, decimal_places=2)
    status = models.CharField(_("vérification"), max_length=10, choices=InvoiceStatus.choices, default="pending")
    accepted_amount = models.DecimalField(
        _("montant retenu HT (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    rejection_reason = models.CharField(_("motif"), max_length=300, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("facture acquittée")
        verbose_name_plural = _("factures acquittées")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(amount__lte=Decimal("10000000")), name="invoice_amount_plausible"
            ),
            models.CheckConstraint(
                condition=Q(accepted_amount__isnull=True)
                | (Q(accepted_amount__gte=0) & Q(accepted_amount__lte=F("amount"))),
                name="invoice_accepted_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="invoice_rejected_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} {self.invoice_number}"


class Payment(models.Model):
    """A payment order for the paying accountant."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("montant versé (€)"), max_digits=12, decimal_places=2)
    paid_eligible_total = models.DecimalField(
        _("dépenses payées retenues HT (€)"), max_digits=12, decimal_places=2, default=ZERO
    )
    ordered_on = models.DateField(_("date du mandat"))
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    reference = models.CharField(_("référence du mandat"), max_length=30, unique=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    exported_at = models.DateTimeField(_("exporté le"), null=True, blank=True)

    class Meta:
        verbose_name = _("paiement")
        ordering = ["-ordered_on", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return self.reference
