"""Every physical place of the programmes: EPN, kiosk hosts, telecentres, collèges, France Services...

A ``Place`` carries our own fields (kind, offers, canton, accessibility, photo...) and the
fields of the national "schéma des lieux de médiation numérique" v1.0.2, whose enumerations
live in ``schema.py`` with the schema's exact values.

``search_text``, ``canton`` and the ``PlaceOpeningSlot`` rows are derived data: they are
maintained by ``services.py`` (never by ``save()`` or signals).
"""

from __future__ import annotations

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.accounts.models import Organisation
from cybercantal.core.fields import MultiChoiceField
from cybercantal.territory.models import Canton, Commune

from . import schema
from .validators import validate_opening_hours, validate_photo, validate_pivot


class PlaceKind(models.TextChoices):
    EPN = "epn", _("Espace public numérique")
    MAIRIE = "mairie", _("Mairie")
    MSAP = "msap", _("Maison de services au public")
    FRANCE_SERVICES = "france_services", _("France Services")
    CC_SIEGE = "cc_siege", _("Communauté de communes")
    TELECENTRE = "telecentre", _("Télécentre")
    COLLEGE = "college", _("Collège")
    MEDIATHEQUE = "mediatheque", _("Médiathèque")
    ASSOCIATION = "association", _("Association")
    OTHER = "other", _("Autre")


class PlaceOffer(models.TextChoices):
    """What the place offers within the programmes (used by the coverage page)."""

    KIOSK = "kiosk", _("Borne de services publics")
    EPN = "epn", _("Espace public numérique")
    TELECENTRE = "telecentre", _("Télécentre")
    CYBER_ROOM = "cyber_room", _("Salle CyberCantal (collège)")
    FRANCE_SERVICES = "france_services", _("France Services")


class PlaceStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publié")
    CLOSED = "closed", _("Fermé définitivement")


class PlaceQuerySet(models.QuerySet["Place"]):
    def published(self) -> PlaceQuerySet:
        return self.filter(status=PlaceStatus.PUBLISHED)


class Place(models.Model):
    # --- ours -------------------------------------------------------------------------
    slug = models.SlugField(_("identifiant"), max_length=160, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type de lieu"), max_length=20, choices=PlaceKind.choices)
    offers = MultiChoiceField(_("offres du programme"), choices_enum=PlaceOffer)
    status = models.CharField(_("statut"), max_length=12, choices=PlaceStatus.choices, default=PlaceStatus.DRAFT)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="places",
        verbose_name=_("structure gestionnaire"),
    )
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="places", verbose_name=_("commune"))
    canton = models.ForeignKey(
        Canton,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="places",
        verbose_name=_("canton"),
    )
    address = models.CharField(_("adresse"), max_length=255, help_text=_("Numéro et voie, ou lieu-dit."))
    address_complement = models.CharField(_("complément d'adresse"), max_length=255, blank=True)
    postal_code = models.CharField(
        _("code postal"),
        max_length=5,
        validators=[RegexValidator(r"^[0-9]{5}$", _("Le code postal compte 5 chiffres."))],
    )
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("adresse électronique"), blank=True)
    website = models.URLField(_("site internet"), max_length=500, blank=True)
    opening_hours = models.TextField(
        _("horaires (syntaxe OpenStreetMap)"),
        blank=True,
        validators=[validate_opening_hours],
        help_text=_("Par exemple : Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; PH off"),
    )
    presentation_summary = models.CharField(_("présentation résumée"), max_length=280, blank=True)
    presentation_detail = models.TextField(_("présentation détaillée"), blank=True)
    accessibility_details = models.TextField(
        _("accessibilité"),
        blank=True,
        help_text=_("Accès de plain-pied, stationnement, toilettes adaptées, boucle magnétique…"),
    )
    photo = models.ImageField(_("photo"), upload_to="places/photos/", blank=True, validators=[validate_photo])
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    date_maj = models.DateField(_("date de mise à jour des données"), default=timezone.localdate)

    # --- schéma des lieux de médiation numérique v1.0.2 --------------------------------
    lmn_id = models.CharField(_("identifiant LMN"), max_length=255, blank=True)
    pivot = models.CharField(_("SIRET ou RNA"), max_length=14, blank=True, validators=[validate_pivot])
    structure_parente = models.CharField(_("structure parente"), max_length=255, blank=True)
    source = models.CharField(_("source des données"), max_length=255, blank=True)
    typologie = MultiChoiceField(_("typologie"), choices_enum=schema.Typologie)
    services = MultiChoiceField(_("services"), choices_enum=schema.Service)
    publics_specifiquement_adresses = MultiChoiceField(
        _("publics spécifiquement adressés"), choices_enum=schema.PublicSpecifiquementAdresse
    )
    prise_en_charge_specifique = MultiChoiceField(
        _("prise en charge spécifique"), choices_enum=schema.PriseEnChargeSpecifique
    )
    frais_a_charge = MultiChoiceField(_("frais à charge"), choices_enum=schema.Frais)
    modalites_acces = MultiChoiceField(_("modalités d'accès"), choices_enum=schema.ModaliteAcces)
    modalites_accompagnement = MultiChoiceField(
        _("modalités d'accompagnement"), choices_enum=schema.ModaliteAccompagnement
    )
    dispositif_programmes_nationaux = MultiChoiceField(
        _("dispositifs et programmes nationaux"), choices_enum=schema.DispositifProgrammeNational
    )
    formations_labels = MultiChoiceField(_("formations et labels"), choices_enum=schema.FormationLabel)
    autres_formations_labels = models.TextField(
        _("autres formations et labels"),
        blank=True,
        validators=[MaxLengthValidator(2000)],
        help_text=_("Séparés par |"),
    )
    itinerance = MultiChoiceField(_("itinérance"), choices_enum=schema.Itinerance)
    fiche_acces_libre = models.URLField(_("fiche Accès libre"), max_length=500, blank=True)
    prise_rdv = models.URLField(_("prise de rendez-vous en ligne"), max_length=500, blank=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("lieu")
        verbose_name_plural = _("lieux")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["status", "kind"], name="place_status_kind_idx"),
            models.Index(fields=["status", "name"], name="place_status_name_idx"),
            models.Index(fields=["canton", "status"], name="place_canton_status_idx"),
            models.Index(fields=["commune", "status"], name="place_commune_status_idx"),
            models.Index(fields=["latitude", "longitude"], name="place_lat_lon_idx"),
            # Distance sort and nearest(): the box filter and the sort key in one index (bench/).
            models.Index(fields=["status", "latitude", "longitude", "name"], name="place_status_geo_idx"),
            # Word search and service filter: LIKE '%…%' cannot seek, but scanning these narrow
            # covering indexes is several times cheaper than the wide rows (bench/).
            models.Index(fields=["status", "search_text"], name="place_status_search_idx"),
            models.Index(fields=["status", "services"], name="place_status_services_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["lmn_id"], condition=~Q(lmn_id=""), name="place_lmn_id_unique"),
            models.CheckConstraint(condition=Q(postal_code__regex=r"^[0-9]{5}$"), name="place_postal_code_5_digits"),
            models.CheckConstraint(
                condition=Q(pivot="") | Q(pivot__regex=r"^([0-9]{14}|W[A-Za-z0-9]{9})$"),
                name="place_pivot_siret_or_rna",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="place_lat_lon_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_range",
            ),
            models.CheckConstraint(condition=Q(status__in=PlaceStatus.values), name="place_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("places:detail", kwargs={"slug": self.slug})

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class PlaceOpeningSlot(models.Model):
    """One weekly opening slot, derived from ``Place.opening_hours`` by ``services.py``.

    It makes "open now" and "open on Sunday" plain indexed SQL at 35,000 places. It is the
    *regular* week only: exceptions (public holidays "PH off", dated rules, months) are not
    in these rows; the detail page and the hours shown in lists read the OSM text with the
    real parser, which applies them exactly. A slot crossing midnight is stored as two rows
    (the evening until 1440, the next morning from 0).
    """

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="opening_slots")
    weekday = models.PositiveSmallIntegerField(_("jour"), help_text=_("0 = lundi … 6 = dimanche"))
    opens = models.PositiveSmallIntegerField(_("ouvre (minutes)"))
    closes = models.PositiveSmallIntegerField(_("ferme (minutes)"))

    class Meta:
        verbose_name = _("créneau d'ouverture")
        verbose_name_plural = _("créneaux d'ouverture")
        ordering = ["place", "weekday", "opens"]
        indexes = [
            models.Index(fields=["weekday", "opens", "closes"], name="slot_weekday_time_idx"),
            # "Open now" asks, per place, for a slot of today covering now: without this index
            # SQLite walks every slot of the weekday for each place (quadratic; bench/).
            models.Index(fields=["place", "weekday", "opens", "closes"], name="slot_place_day_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="slot_weekday_0_6"),
            models.CheckConstraint(
                condition=Q(opens__gte=0, closes__lte=1440, opens__lt=models.F("closes")),
                name="slot_opens_before_closes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place_id} {self.weekday} {_hhmm(self.opens)}-{_hhmm(self.closes)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
