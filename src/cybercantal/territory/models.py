"""Reference geography: region, département, arrondissements, EPCI, cantons, communes.

Boundaries are stored as GeoJSON geometry text (WGS 84, simplified): the platform needs
point-in-polygon lookups and an SVG map, not a spatial database (ADR 0001).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    code = models.CharField(_("code INSEE"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=150)

    class Meta:
        verbose_name = _("région")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Departement(models.Model):
    code = models.CharField(_("code INSEE"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=150)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departements")
    chef_lieu_code = models.CharField(_("chef-lieu (code INSEE)"), max_length=5, blank=True)
    boundary = models.TextField(_("contour (GeoJSON)"), blank=True)
    data_version = models.CharField(
        _("version des données"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("Changée par l'import à chaque modification ; sert de clé aux caches (formes, cartes)."),
    )

    class Meta:
        verbose_name = _("département")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Arrondissement(models.Model):
    code = models.CharField(_("code INSEE"), max_length=4, unique=True)
    name = models.CharField(_("nom"), max_length=150)
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="arrondissements")
    chef_lieu_code = models.CharField(_("chef-lieu (code INSEE)"), max_length=5, blank=True)
    boundary = models.TextField(_("contour (GeoJSON)"), blank=True)

    class Meta:
        verbose_name = _("arrondissement")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Epci(models.Model):
    siren = models.CharField(_("SIREN"), max_length=9, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, help_text=_("CA, CC, CU, ME…"))
    population = models.PositiveIntegerField(_("population municipale"), null=True, blank=True)

    class Meta:
        verbose_name = _("EPCI")
        verbose_name_plural = _("EPCI")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Canton(models.Model):
    code = models.CharField(_("code"), max_length=5, unique=True)
    number = models.PositiveSmallIntegerField(_("numéro"))
    name = models.CharField(_("nom"), max_length=150)
    slug = models.SlugField(_("identifiant"), max_length=160, unique=True)
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="cantons")
    boundary = models.TextField(_("contour (GeoJSON)"), blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("canton")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.name


class CommuneQuerySet(models.QuerySet):
    def current(self) -> CommuneQuerySet:
        return self.filter(kind=Commune.Kind.ACTUELLE)


class Commune(models.Model):
    class Kind(models.TextChoices):
        ACTUELLE = "actuelle", _("commune")
        DELEGUEE = "deleguee", _("commune déléguée")
        ASSOCIEE = "associee", _("commune associée")

    insee_code = models.CharField(_("code INSEE"), max_length=5, db_index=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.ACTUELLE)
    name = models.CharField(_("nom"), max_length=150)
    slug = models.SlugField(_("identifiant"), max_length=160, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("commune de rattachement"),
    )
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="communes")
    arrondissement = models.ForeignKey(
        Arrondissement, on_delete=models.PROTECT, null=True, blank=True, related_name="communes"
    )
    epci = models.ForeignKey(Epci, on_delete=models.SET_NULL, null=True, blank=True, related_name="communes")
    cantons = models.ManyToManyField(Canton, related_name="communes", blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    postal_codes = models.JSONField(_("codes postaux"), default=list, blank=True)
    population = models.PositiveIntegerField(_("population municipale"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    boundary = models.TextField(_("contour (GeoJSON)"), blank=True)
    boundary_source = models.CharField(
        _("origine du contour"),
        max_length=200,
        blank=True,
        help_text=_("Vide si le contour est celui de la commune ; sinon, d'où il vient."),
    )
    search_text = models.TextField(editable=False, default="")

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = _("commune")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["insee_code", "kind"], name="commune_unique_code_kind"),
            models.CheckConstraint(
                condition=models.Q(kind="actuelle", parent__isnull=True) | ~models.Q(kind="actuelle"),
                name="commune_current_has_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def main_postal_code(self) -> str:
        return self.postal_codes[0] if self.postal_codes else ""
