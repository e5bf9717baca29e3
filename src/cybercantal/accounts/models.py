"""People, organisations and role memberships.

A person signs in with their email. What they may do comes from ``RoleMembership`` rows:
a role, a scope (an organisation or a place, or nothing for a département-wide role) and
dates. The rules that read them are in ``permissions.py``.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cybercantal.territory.models import Commune


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Habitant")
    TELEWORKER = "teleworker", _("Télétravailleur")
    EMPLOYER_MANAGER = "employer_manager", _("Responsable employeur")
    TELECENTRE_MANAGER = "telecentre_manager", _("Gestionnaire de télécentre")
    MEDIATOR = "mediator", _("Médiateur numérique")
    KIOSK_AGENT = "kiosk_agent", _("Agent de borne")
    TEACHER = "teacher", _("Enseignant")
    STUDENT = "student", _("Élève")
    PARENT = "parent", _("Parent")
    SCHOOL_STAFF = "school_staff", _("Direction ou vie scolaire d'un collège")
    BUSINESS_APPLICANT = "business_applicant", _("Entreprise demandeuse")
    GRANT_INSTRUCTOR = "grant_instructor", _("Instructeur d'aides")
    PROGRAMME_MANAGER = "programme_manager", _("Chargé de programme")
    ADMINISTRATOR = "administrator", _("Administrateur")


# Roles that act on other people's data or on public money: TOTP is required for them.
STAFF_ROLES = frozenset(
    {
        Role.TELECENTRE_MANAGER,
        Role.MEDIATOR,
        Role.KIOSK_AGENT,
        Role.GRANT_INSTRUCTOR,
        Role.PROGRAMME_MANAGER,
        Role.ADMINISTRATOR,
    }
)


# Roles that only make sense on a given organisation or place: a scope is required.
SCOPED_ROLES = frozenset(
    {
        Role.EMPLOYER_MANAGER,
        Role.TELECENTRE_MANAGER,
        Role.MEDIATOR,
        Role.KIOSK_AGENT,
        Role.TEACHER,
        Role.STUDENT,
        Role.SCHOOL_STAFF,
        Role.BUSINESS_APPLICANT,
    }
)

# Roles that cover the whole département (or nobody in particular): a scope is refused.
DEPARTEMENT_ROLES = frozenset({Role.CITIZEN, Role.GRANT_INSTRUCTOR, Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR})

# The remaining roles (teleworker, parent) may carry a scope (employer, school) or not.

# Roles that only an administrator may grant (a programme manager grants the others).
ADMIN_ONLY_ROLES = frozenset({Role.ADMINISTRATOR})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("L'adresse électronique est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("adresse électronique"), max_length=254, unique=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(_("accès à l'administration"), default=False)
    date_joined = models.DateTimeField(_("inscription"), default=timezone.now)
    deletion_requested_at = models.DateTimeField(_("suppression demandée le"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")
        ordering = ["last_name", "first_name", "email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def journal_label(self) -> str:
        """No name in the append-only journal (see ``core.journal.journal_label``)."""
        return f"personne n° {self.pk}"

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Organisation(models.Model):
    class Kind(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        EPCI = "epci", _("Communauté de communes / EPCI")
        DEPARTEMENT = "departement", _("Services du département")
        EMPLOYER = "employer", _("Employeur")
        BUSINESS = "business", _("Entreprise")
        SCHOOL = "school", _("Établissement scolaire")
        ASSOCIATION = "association", _("Association")
        TELECENTRE_OPERATOR = "telecentre_operator", _("Exploitant de télécentre")

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=220, unique=True)
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    siret = models.CharField(
        _("SIRET"), max_length=14, blank=True, help_text=_("14 chiffres, vérifiés par leur clé de contrôle.")
    )
    commune = models.ForeignKey(Commune, on_delete=models.SET_NULL, null=True, blank=True, related_name="organisations")
    email = models.EmailField(_("adresse électronique"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["siret"], condition=~models.Q(siret=""), name="organisation_unique_siret"),
            models.CheckConstraint(
                condition=models.Q(siret="") | models.Q(siret__regex=r"^[0-9]{14}$"),
                name="organisation_siret_14_digits",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoleMembershipQuerySet(models.QuerySet["RoleMembership"]):
    def active(self, on: date | None = None) -> RoleMembershipQuerySet:
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on).filter(models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=on))

    def for_scope(self, obj: models.Model) -> RoleMembershipQuerySet:
        return self.filter(scope_type=ContentType.objects.get_for_model(obj), scope_id=obj.pk)


class RoleMembership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=30, choices=Role.choices)
    # The scope: an organisation, a place (or, later, a school, a telecentre…), or none for
    # a role that covers the whole département. Generic so that accounts needs no app above it.
    scope_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("type de périmètre")
    )
    scope_id = models.PositiveBigIntegerField(_("périmètre (identifiant)"), null=True, blank=True)
    scope = GenericForeignKey("scope_type", "scope_id")
    starts_on = models.DateField(_("début"), default=timezone.localdate)
    ends_on = models.DateField(_("fin"), null=True, blank=True)
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("accordé par")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoleMembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("rôle attribué")
        verbose_name_plural = _("rôles attribués")
        ordering = ["user", "role"]
        indexes = [models.Index(fields=["scope_type", "scope_id"], name="membership_scope_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="membership_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(scope_type__isnull=True, scope_id__isnull=True)
                | models.Q(scope_type__isnull=False, scope_id__isnull=False),
                name="membership_scope_complete",
            ),
        ]

    def __str__(self) -> str:
        scope = f" — {self.scope}" if self.scope_id else ""
        return f"{self.user} : {self.get_role_display()}{scope}"

    def journal_label(self) -> str:
        scope = f" — {self.scope_type.model} n° {self.scope_id}" if self.scope_id else ""
        return f"personne n° {self.user_id} : {self.get_role_display()}{scope}"
