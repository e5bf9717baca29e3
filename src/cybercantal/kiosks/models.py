"""Public-service kiosks (bornes): the fleet, its heartbeats and incidents, anonymous usage
counts, help requests from the kiosk mode, the procedures catalogue and agent training.

The kiosk mode stores nothing about the person in front of it: help requests and usage
counts carry no personal data. The help an agent gives is recorded with the EPN network's
accompaniment record (``mediation.services.accompaniments``, kind ``procedure``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cybercantal.places.models import Place
from cybercantal.territory.models import Canton


class Category(models.TextChoices):
    """Life events, as the public-service portal groups procedures."""

    IDENTITY = "identity", _("Papiers d'identité")
    FAMILY = "family", _("Famille")
    SOCIAL = "social", _("Aides sociales")
    WORK = "work", _("Travail et emploi")
    HOUSING = "housing", _("Logement")
    TRANSPORT = "transport", _("Transports et véhicules")
    MONEY = "money", _("Argent et impôts")
    JUSTICE = "justice", _("Justice")
    FOREIGNERS = "foreigners", _("Étrangers en France")
    LEISURE = "leisure", _("Loisirs et sports")
    HEALTH = "health", _("Santé")
    RETIREMENT = "retirement", _("Retraite")
    CITIZENSHIP = "citizenship", _("Citoyenneté et élections")


# --- 1. Fleet ------------------------------------------------------------------------------------


class ConnectionTechnology(models.TextChoices):
    FIBRE = "fibre", _("Fibre optique")
    ADSL = "adsl", _("ADSL / VDSL")
    MOBILE = "mobile", _("4G / 5G")
    SATELLITE = "satellite", _("Satellite")
    RADIO = "radio", _("Boucle radio (WiMAX, THD radio)")
    OTHER = "other", _("Autre")


class KioskStatus(models.TextChoices):
    PLANNED = "planned", _("Prévue")
    IN_SERVICE = "in_service", _("En service")
    OUT_OF_SERVICE = "out_of_service", _("Hors service")
    RETIRED = "retired", _("Retirée")


class Kiosk(models.Model):
    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Court, en minuscules : il forme l'adresse /borne/<code>/ (par exemple « murat »)."),
    )
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="kiosks", verbose_name=_("lieu d'accueil"))
    # Kept from the place by the services (the coverage page groups by it).
    canton = models.ForeignKey(
        Canton, on_delete=models.PROTECT, null=True, blank=True, related_name="kiosks", verbose_name=_("canton")
    )
    hardware_model = models.CharField(_("modèle de matériel"), max_length=120, blank=True)
    serial_number = models.CharField(_("numéro de série"), max_length=80, blank=True)
    installed_on = models.DateField(_("installée le"), null=True, blank=True)
    connection_technology = models.CharField(
        _("connexion"), max_length=10, choices=ConnectionTechnology.choices, default=ConnectionTechnology.ADSL
    )
    connection_speed_mbps = models.DecimalField(
        _("débit descendant (Mbit/s)"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100000)],
    )
    status = models.CharField(_("état"), max_length=16, choices=KioskStatus.choices, default=KioskStatus.PLANNED)
    status_note = models.CharField(_("précision sur l'état"), max_length=255, blank=True)
    idle_timeout_seconds = models.PositiveSmallIntegerField(
        _("retour à l'accueil après (secondes sans toucher l'écran)"),
        default=120,
        validators=[MinValueValidator(30), MaxValueValidator(900)],
    )
    help_location = models.CharField(
        _("où trouver l'agent"),
        max_length=200,
        blank=True,
        help_text=_("Affiché après « Demander de l'aide », par exemple « au guichet d'accueil, à votre gauche »."),
    )
    last_seen_at = models.DateTimeField(_("dernier signal"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("borne")
        verbose_name_plural = _("bornes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(idle_timeout_seconds__gte=30) & Q(idle_timeout_seconds__lte=900),
                name="kiosk_idle_timeout_range",
            ),
            models.CheckConstraint(
                condition=Q(connection_speed_mbps__isnull=True) | Q(connection_speed_mbps__gte=0),
                name="kiosk_speed_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.place}"


class KioskToken(models.Model):
    """A kiosk's secret for its heartbeats. Only a hash is stored; a new token revokes the
    previous ones (the service does it in one transaction)."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("début du jeton"), max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    class Meta:
        verbose_name = _("jeton de borne")
        verbose_name_plural = _("jetons de borne")
        ordering = ["kiosk", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kiosk"], condition=Q(revoked_at__isnull=True), name="kiosk_one_active_token"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kiosk.code} {self.prefix}…"


class Heartbeat(models.Model):
    """One row per kiosk and minute it was heard (a second signal in the same minute adds
    nothing): uptime is counted in minutes."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="heartbeats")
    minute = models.DateTimeField(_("minute"))
    app_version = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("signal de vie")
        verbose_name_plural = _("signaux de vie")
        ordering = ["kiosk", "minute"]
        constraints = [models.UniqueConstraint(fields=["kiosk", "minute"], name="heartbeat_one_per_minute")]

    def __str__(self) -> str:
        return f"{self.kiosk_id} {self.minute:%Y-%m-%d %H:%M}"


class UptimeDay(models.Model):
    """Per kiosk and day: minutes the host place was open, and of those, minutes heard."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="uptime_days")
    date = models.DateField(_("date"))
    open_minutes = models.PositiveIntegerField(default=0)
    online_open_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("disponibilité journalière")
        verbose_name_plural = _("disponibilités journalières")
        ordering = ["kiosk", "date"]
        constraints = [
            models.UniqueConstraint(fields=["kiosk", "date"], name="uptime_day_unique"),
            models.CheckConstraint(
                condition=Q(online_open_minutes__lte=F("open_minutes")), name="uptime_online_within_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kiosk_id} {self.date}: {self.online_open_minutes}/{self.open_minutes}"


class Incident(models.Model):
    """A period a kiosk was not heard while its place was open (opened by the monitoring job
    after 30 minutes, closed at the next heartbeat). Staff may say why."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="incidents")
    started_at = models.DateTimeField(_("début"))
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)
    alerted_at = models.DateTimeField(_("alerte envoyée le"), null=True, blank=True)
    cause = models.CharField(_("cause"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("coupure")
        verbose_name_plural = _("coupures")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["kiosk"], condition=Q(ended_at__isnull=True), name="incident_one_open"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")), name="incident_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kiosk_id} {self.started_at:%Y-%m-%d %H:%M}"


# --- 2. Kiosk mode: anonymous usage and help requests --------------------------------------------


class UsageMetric(models.TextChoices):
    SESSION = "session", _("Sessions")
    CATEGORY = "category", _("Catégories consultées")
    PROCEDURE = "procedure", _("Démarches consultées")
    HELP_REQUEST = "help_request", _("Demandes d'aide")
    TAKEAWAY = "takeaway", _("Fiches emportées")


class UsageCount(models.Model):
    """Anonymous counters per kiosk, day, metric and key (a category or procedure slug;
    empty for sessions and help requests). Incremented with F() on a unique row."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="usage_counts")
    date = models.DateField(_("date"))
    metric = models.CharField(_("mesure"), max_length=14, choices=UsageMetric.choices)
    key = models.CharField(_("clé"), max_length=80, blank=True, default="")
    count = models.PositiveIntegerField(_("nombre"), default=0)

    class Meta:
        verbose_name = _("compteur d'usage")
        verbose_name_plural = _("compteurs d'usage")
        ordering = ["-date", "kiosk", "metric", "key"]
        constraints = [
            models.UniqueConstraint(fields=["kiosk", "date", "metric", "key"], name="usage_count_unique"),
        ]
        indexes = [models.Index(fields=["date", "metric"], name="usage_date_metric_idx")]

    def __str__(self) -> str:
        return f"{self.kiosk_id} {self.date} {self.metric} {self.key}: {self.count}"


class HelpRequestStatus(models.TextChoices):
    OPEN = "open", _("En attente")
    TAKEN = "taken", _("Prise en charge")
    DONE = "done", _("Terminée")
    CANCELLED = "cancelled", _("Annulée")


class HelpRequest(models.Model):
    """ "Demander de l'aide" at a kiosk: no personal data, only where and what was on screen."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="help_requests")
    created_at = models.DateTimeField(_("demandée à"), auto_now_add=True)
    category = models.CharField(_("catégorie affichée"), max_length=20, choices=Category.choices, blank=True)
    procedure_slug = models.SlugField(_("démarche affichée"), max_length=120, blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=HelpRequestStatus.choices, default=HelpRequestStatus.OPEN
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The accompaniment record the agent wrote for this help (mediation app), by id.
    accompaniment_id = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("demande d'aide")
        verbose_name_plural = _("demandes d'aide")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kiosk", "status", "created_at"], name="help_request_kiosk_idx")]

    def __str__(self) -> str:
        return f"{self.kiosk_id} {self.created_at:%Y-%m-%d %H:%M} {self.status}"


# --- 3. Procedures catalogue ------------------------------------------------------------------


class Procedure(models.Model):
    slug = models.SlugField(_("identifiant"), max_length=120, unique=True)
    title = models.CharField(_("titre"), max_length=160)
    category = models.CharField(_("catégorie"), max_length=20, choices=Category.choices)
    summary = models.CharField(
        _("explication en deux lignes"), max_length=300, help_text=_("Phrases courtes, mots simples.")
    )
    documents = models.TextField(_("ce qu'il faut apporter"), blank=True, help_text=_("Un document par ligne."))
    official_url = models.URLField(_("adresse du service en ligne officiel"), max_length=500)
    official_name = models.CharField(_("nom du service en ligne"), max_length=160, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre d'affichage"), default=100)
    is_published = models.BooleanField(_("publiée"), default=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Link check (command ``kiosks_check_links``): last result.
    link_checked_at = models.DateTimeField(_("lien vérifié le"), null=True, blank=True)
    link_ok = models.BooleanField(_("lien valide"), null=True, blank=True)
    link_status = models.CharField(_("résultat de la vérification"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("démarche")
        verbose_name_plural = _("démarches")
        ordering = ["category", "position", "title"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="procedure_title_required"),
            models.CheckConstraint(
                condition=Q(official_url__startswith="https://") | Q(official_url__startswith="http://"),
                name="procedure_url_http",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def document_list(self) -> list[str]:
        return [line.strip(" -•\t") for line in self.documents.splitlines() if line.strip(" -•\t")]


class ProcedureRevision(models.Model):
    """A snapshot of a procedure after each edit (its revision history)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="revisions")
    created_at = models.DateTimeField(auto_now_add=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(_("contenu"))
    comment = models.CharField(_("commentaire"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("version de démarche")
        verbose_name_plural = _("versions de démarches")
        ordering = ["procedure", "-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.procedure_id} {self.created_at:%Y-%m-%d %H:%M}"


# --- 4. Agent training ----------------------------------------------------------------------------


class TrainingSession(models.Model):
    date = models.DateField(_("date"))
    trainer = models.CharField(_("formateur"), max_length=160)
    topics = models.TextField(_("contenus"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée (minutes)"), validators=[MinValueValidator(15), MaxValueValidator(2400)]
    )
    place = models.ForeignKey(
        Place, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("lieu")
    )
    is_refresher = models.BooleanField(_("session de recyclage"), default=False)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TrainingAttendance", related_name="kiosk_trainings", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("session de formation")
        verbose_name_plural = _("sessions de formation")
        ordering = ["-date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15) & Q(duration_minutes__lte=2400), name="training_duration_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {self.trainer}"


class TrainingAttendance(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kiosk_training_attendances"
    )
    attended = models.BooleanField(_("présent"), default=True)

    class Meta:
        verbose_name = _("participation à une formation")
        verbose_name_plural = _("participations aux formations")
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="training_attendance_unique")]

    def __str__(self) -> str:
        return f"{self.session_id} {self.user_id}"


__all__ = [
    "Category",
    "Heartbeat",
    "HelpRequest",
    "Incident",
    "Kiosk",
    "KioskToken",
    "Procedure",
    "ProcedureRevision",
    "TrainingAttendance",
    "TrainingSession",
    "UptimeDay",
    "UsageCount",
]
