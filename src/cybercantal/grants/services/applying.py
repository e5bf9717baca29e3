"""Applying for aid (issue 7 §3): the business account, the dossier in steps with its draft
saved as the person types, the live aid, and the submission.

CONTRACT used by other parts and by the views:

- ``business_declare(*, actor, siret, name, commune, email, phone)`` -> ``Organisation``: a
  signed-in person declares their business. A SIRET already known on the platform is never
  taken over: ``ValidationError`` on ``siret`` (an applicant of that business must give access).
- ``business_update(*, actor, organisation, ...)``: only an applicant of the business.
- ``application_start(*, actor, programme, organisation)`` -> ``(Application, created)``: the
  business's draft for that programme, created once (a double click makes one).
- ``application_save_business`` / ``application_save_premises`` / ``expense_line_save`` /
  ``expense_line_attach_quote`` / ``expense_line_delete`` / ``application_save_de_minimis``:
  the steps. Each takes the ``version`` the person's page was built from; a page older than
  the dossier (another tab saved since) gets ``StaleVersionError`` and nothing is written.
- ``application_missing(application)`` -> what is missing before submission, step by step.
- ``application_submit(*, actor, application)`` -> ``SubmitResult``: idempotent (a second click,
  another tab: ``already=True``, nothing written twice).

A draft may be incomplete: each step stores what is valid and the recap lists the rest. Every
write bumps ``Application.version`` under the dossier's row lock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum import iban as stdnum_iban
from stdnum.fr import siret as stdnum_siret

from cybercantal.accounts import services as account_services
from cybercantal.accounts.models import Organisation, Role
from cybercantal.accounts.queries import holds_role_on
from cybercantal.accounts.services import NotAllowed, require_permission
from cybercantal.accounts.validators import normalise_siret
from cybercantal.core import journal
from cybercantal.core.money import format_euros, round_cents
from cybercantal.territory.models import Canton, Commune

from ..models import (
    EDITABLE_STATUSES,
    ZERO,
    Application,
    DocumentKind,
    EligibilityAnswer,
    ExpenseCategory,
    ExpenseLine,
    GrantProgramme,
    Status,
)
from . import amounts, coverage, documents, workflow

# The database refuses amounts outside (0, 10 000 000] (``expense_amount_plausible``).
MAX_LINE_AMOUNT = Decimal("10000000")
MAX_DE_MINIMIS = Decimal("9999999999.99")
MAX_EMPLOYEES = 1_000_000
STEPS = ("entreprise", "locaux", "depenses", "minimis", "recapitulatif")


def field_error(field: str, message: Any, *, code: str) -> ValidationError:
    """A ``ValidationError`` on ``field`` that keeps its ``code`` (a dict given to
    ``ValidationError`` with ``code=`` would drop it)."""
    if isinstance(message, list):
        return ValidationError({field: [ValidationError(m, code=code) for m in message]})
    return ValidationError({field: ValidationError(message, code=code)})


class ApplyingError(Exception):
    """A refusal the person must read; ``message`` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProgrammeClosedError(ApplyingError):
    pass


class StaleVersionError(ApplyingError):
    """The page was built from an older version of the dossier (another tab saved since)."""

    def __init__(self, application: Application) -> None:
        saved_at = timezone.localtime(application.updated_at)
        super().__init__(
            _(
                "Ce dossier a été modifié depuis l'affichage de cette page (dans un autre onglet, à %(time)s). "
                "Rechargez la page pour voir la dernière version : ce que vous venez de saisir ici n'a pas été "
                "enregistré."
            )
            % {"time": saved_at.strftime("%H h %M")}
        )
        self.version = application.version


class NotEditableError(ApplyingError):
    pass


class LineInvoicedError(ApplyingError):
    """The line has paid invoices (a decision reopened after invoices were sent): it stays."""


@dataclass(frozen=True)
class Missing:
    step: str  # one of STEPS
    message: str  # French


class SubmissionIncompleteError(ApplyingError):
    def __init__(self, missing: list[Missing]) -> None:
        super().__init__(_("Le dossier n'est pas complet : il ne peut pas encore être déposé."))
        self.missing = missing


@dataclass(frozen=True)
class SubmitResult:
    application: Application
    already: bool  # it was submitted before this call (double click, another tab)


# --- Rules shared by forms and services --------------------------------------------------------


def programme_is_open(programme: GrantProgramme, today: Any = None) -> bool:
    today = today or timezone.localdate()
    return bool(programme.is_published and programme.opens_on <= today <= programme.closes_on)


def programme_closed_message(programme: GrantProgramme, today: Any = None) -> str:
    today = today or timezone.localdate()
    if not programme.is_published:
        return _("Le dispositif « %(name)s » n'est pas ouvert aux demandes.") % {"name": programme.name}
    if today < programme.opens_on:
        return _("Les demandes pour « %(name)s » ouvrent le %(date)s.") % {
            "name": programme.name,
            "date": programme.opens_on.strftime("%d/%m/%Y"),
        }
    return _("Les demandes pour « %(name)s » sont closes depuis le %(date)s.") % {
        "name": programme.name,
        "date": programme.closes_on.strftime("%d/%m/%Y"),
    }


def _require_open(programme: GrantProgramme) -> None:
    if not programme_is_open(programme):
        raise ProgrammeClosedError(programme_closed_message(programme))


def commune_in_departement(commune: Commune) -> Commune:
    """The current commune for ``commune`` (a delegated commune gives its parent), or a French
    ``ValidationError`` on ``commune`` when it is outside the département."""
    current: Commune = commune
    if commune.kind != Commune.Kind.ACTUELLE and commune.parent is not None:
        current = commune.parent
    code = getattr(current.departement, "code", "")
    if code != settings.DEPARTEMENT_CODE:
        raise field_error(
            "commune",
            _(
                "%(name)s n'est pas dans le département (%(code)s) : l'aide ne concerne que des locaux situés "
                "dans le département."
            )
            % {"name": current.name, "code": settings.DEPARTEMENT_CODE},
            code="outside_departement",
        )
    return current


def check_siret(value: str | None) -> str:
    """The 14 digits of a valid SIRET ("" when empty), or a French ``ValidationError`` on
    ``siret`` that says why (code ``siret_length``, ``siret_format`` or ``siret_checksum``).
    Spaces are accepted; La Poste's establishments follow their own rule (python-stdnum)."""
    try:
        return normalise_siret(value)
    except ValidationError as exc:
        try:
            stdnum_siret.validate(str(value))
            code = "siret_checksum"
        except stdnum_errors.InvalidLength:
            code = "siret_length"
        except stdnum_errors.InvalidFormat:
            code = "siret_format"
        except stdnum_errors.ValidationError:
            code = "siret_checksum"
        raise ValidationError({"siret": ValidationError(exc.message_dict["siret"][0], code=code)}) from exc


def normalise_iban(value: str) -> str:
    """The compact IBAN ("" when empty) or a French ``ValidationError`` on ``iban``."""
    if not value or not value.strip():
        return ""
    try:
        return str(stdnum_iban.validate(value))
    except stdnum_errors.InvalidLength as exc:
        raise field_error(
            "iban", _("Cet IBAN n'a pas la bonne longueur (un IBAN français compte 27 caractères)."), code="iban_length"
        ) from exc
    except stdnum_errors.InvalidFormat as exc:
        raise field_error(
            "iban", _("Un IBAN commence par deux lettres (FR) puis des chiffres et des lettres."), code="iban_format"
        ) from exc
    except stdnum_errors.ValidationError as exc:
        raise field_error(
            "iban",
            _("Cet IBAN n'est pas valide : un caractère est probablement erroné (clé de contrôle)."),
            code="iban_checksum",
        ) from exc


def check_line_amount(amount: Decimal) -> Decimal:
    if isinstance(amount, float):
        raise TypeError("Money is never a float.")
    if amount <= 0:
        raise field_error("amount", _("Le montant doit être supérieur à 0 €."), code="amount_not_positive")
    if amount > MAX_LINE_AMOUNT:
        raise field_error(
            "amount",
            _("Le montant ne peut pas dépasser %(max)s par ligne.") % {"max": format_euros(MAX_LINE_AMOUNT)},
            code="amount_too_big",
        )
    if amount != round_cents(amount):
        raise field_error("amount", _("Indiquez le montant au centime près."), code="amount_cents")
    return amount


def check_de_minimis(programme: GrantProgramme, received: Decimal, aid: Decimal) -> None:
    """Aid received over the last three fiscal years plus this aid must stay within the
    programme's de minimis ceiling. French ``ValidationError`` on ``de_minimis_amount``."""
    if received < 0:
        raise field_error(
            "de_minimis_amount",
            _("Le montant ne peut pas être négatif (indiquez 0 si aucune aide)."),
            code="de_minimis_negative",
        )
    if received > MAX_DE_MINIMIS:
        raise field_error("de_minimis_amount", _("Ce montant n'est pas plausible."), code="de_minimis_absurd")
    total = received + aid
    if total > programme.de_minimis_ceiling:
        raise field_error(
            "de_minimis_amount",
            _(
                "Avec cette aide, vos aides de minimis atteindraient %(total)s (%(received)s reçus + %(aid)s "
                "demandés) : le plafond est de %(ceiling)s sur trois exercices. Cette aide ne peut pas vous "
                "être accordée en l'état."
            )
            % {
                "total": format_euros(total),
                "received": format_euros(received),
                "aid": format_euros(aid),
                "ceiling": format_euros(programme.de_minimis_ceiling),
            },
            code="de_minimis_over_ceiling",
        )


def is_applicant(actor: Any, organisation: Organisation) -> bool:
    return actor is None or holds_role_on(actor, {Role.BUSINESS_APPLICANT}, organisation)


# --- Business account ------------------------------------------------------------------------------


def _siret_taken_error(siret: str) -> ValidationError:
    return field_error(
        "siret",
        _(
            "Une entreprise portant le SIRET %(siret)s est déjà inscrite. Pour déposer des demandes en son nom, "
            "demandez à la personne qui gère déjà ses dossiers de vous donner accès, ou écrivez au service "
            "instructeur."
        )
        % {"siret": siret},
        code="siret_known",
    )


@transaction.atomic
def business_declare(
    *,
    actor: Any,
    siret: str,
    name: str,
    commune: Commune | None = None,
    email: str = "",
    phone: str = "",
) -> Organisation:
    """Create the business (an ``Organisation`` of kind business) and make ``actor`` its applicant.

    A SIRET already on the platform is refused (``ValidationError`` on ``siret``): access to an
    existing business is given by one of its applicants, never taken."""
    if actor is None or not getattr(actor, "pk", None):
        raise NotAllowed(_("Connectez-vous pour déclarer votre entreprise."))
    siret = check_siret(siret)
    if not siret:
        raise field_error("siret", _("Indiquez le numéro SIRET de l'entreprise (14 chiffres)."), code="required")
    if not name.strip():
        raise field_error("name", _("Indiquez la raison sociale de l'entreprise."), code="required")
    existing = Organisation.objects.filter(siret=siret).first()
    if existing is not None:
        if existing.kind == Organisation.Kind.BUSINESS and is_applicant(actor, existing):
            return existing  # already theirs: nothing to create
        raise _siret_taken_error(siret)
    try:
        # The platform creates it (a business applicant may not create organisations in general);
        # the journal says who asked.
        organisation = account_services.organisation_create(
            actor=None,
            name=name,
            kind=Organisation.Kind.BUSINESS,
            siret=siret,
            commune=commune,
            email=email,
            phone=phone,
        )
    except ValidationError as exc:
        if Organisation.objects.filter(siret=siret).exists():  # declared at the same moment by someone else
            raise _siret_taken_error(siret) from exc
        raise
    account_services.role_grant(actor=None, user=actor, role=Role.BUSINESS_APPLICANT, scope=organisation)
    journal.record(actor=actor, action="grants.business.declared", target=organisation, data={"siret": siret})
    return organisation


@transaction.atomic
def business_update(
    *,
    actor: Any,
    organisation: Organisation,
    siret: str,
    name: str,
    commune: Commune | None = None,
    email: str = "",
    phone: str = "",
) -> Organisation:
    """Change the business's account (only one of its applicants may)."""
    if not is_applicant(actor, organisation):
        raise NotAllowed(_("Vous ne gérez pas cette entreprise."))
    siret = check_siret(siret)
    if not siret:
        raise field_error("siret", _("Indiquez le numéro SIRET de l'entreprise (14 chiffres)."), code="required")
    if not name.strip():
        raise field_error("name", _("Indiquez la raison sociale de l'entreprise."), code="required")
    if Organisation.objects.filter(siret=siret).exclude(pk=organisation.pk).exists():
        raise _siret_taken_error(siret)
    try:
        account_services.organisation_update(
            actor=None, organisation=organisation, siret=siret, name=name, commune=commune, email=email, phone=phone
        )
    except ValidationError as exc:
        if Organisation.objects.filter(siret=siret).exclude(pk=organisation.pk).exists():
            raise _siret_taken_error(siret) from exc
        raise
    journal.record(actor=actor, action="grants.business.updated", target=organisation)
    return organisation


# --- Starting a dossier ------------------------------------------------------------------------------


def _previous_dossier(organisation: Organisation) -> Application | None:
    return Application.objects.filter(organisation=organisation).order_by("-created_at", "-pk").first()


@transaction.atomic
def application_start(*, actor: Any, programme: GrantProgramme, organisation: Organisation) -> tuple[Application, bool]:
    """The business's draft for ``programme``: the existing one, or a new one with the
    business's data copied in. Returns ``(application, created)``.

    A DB constraint allows one draft per business and programme: two clicks at the same
    moment make one draft (the second insert fails and finds the first)."""
    if not is_applicant(actor, organisation):
        raise NotAllowed(_("Vous ne gérez pas cette entreprise."))
    _require_open(programme)
    existing = Application.objects.filter(programme=programme, organisation=organisation, status=Status.DRAFT).first()
    if existing is not None:
        return existing, False
    previous = _previous_dossier(organisation)
    application = Application(
        programme=programme,
        organisation=organisation,
        created_by=actor if getattr(actor, "pk", None) else None,
        reference=f"tmp-{uuid.uuid4().hex[:20]}",
        business_name=organisation.name,
        siret=organisation.siret,
        contact_name=(actor.get_full_name() if actor is not None else "")[:150],
        contact_email=organisation.email or (getattr(actor, "email", "") or ""),
        contact_phone=organisation.phone,
        activity=previous.activity if previous else "",
        employees=previous.employees if previous else None,
        iban=previous.iban if previous else "",
    )
    try:
        with transaction.atomic():  # savepoint: the other click's draft is found below
            application.save()
    except IntegrityError:
        existing = Application.objects.filter(
            programme=programme, organisation=organisation, status=Status.DRAFT
        ).first()
        if existing is None:
            raise
        return existing, False
    application.reference = workflow.allocate_reference(programme=programme, application=application)
    application.save(update_fields=["reference"])
    journal.record(
        actor=actor, action="grants.application.started", target=application, data={"programme": programme.slug}
    )
    return application, True


# --- Steps -----------------------------------------------------------------------------------


def _lock_for_edit(actor: Any, application: Application, version: int | None) -> Application:
    locked = workflow.lock_application(application)
    require_permission(
        actor, "grants.view_application", locked, _("Vous n'avez pas accès à ce dossier.")
    )  # outsiders first: they are not told about the state
    if locked.status not in EDITABLE_STATUSES:
        raise NotEditableError(
            _("Le dossier %(ref)s est « %(state)s » : il ne peut plus être modifié.")
            % {"ref": locked.reference, "state": Status(locked.status).label}
        )
    require_permission(actor, "grants.edit_application", locked, _("Vous ne pouvez pas modifier ce dossier."))
    if version is not None and locked.version != version:
        raise StaleVersionError(locked)
    return locked


def _save(locked: Application, application: Application, fields: list[str], *, force: bool = False) -> Application:
    """Write ``fields`` and bump the version (nothing when nothing changed), and copy them onto
    the caller's object."""
    if fields or force:
        locked.version += 1
        locked.save(update_fields=[*fields, "version", "updated_at"])
    for field in [*fields, "version", "updated_at"]:
        setattr(application, field, getattr(locked, field))
    return locked


BUSINESS_FIELDS = (
    "business_name",
    "siret",
    "activity",
    "employees",
    "contact_name",
    "contact_email",
    "contact_phone",
    "iban",
)


@transaction.atomic
def application_save_business(
    *, actor: Any, application: Application, version: int | None, **values: Any
) -> Application:
    """Store the given business and contact fields of the dossier (only those given: a field the
    form refused keeps its stored value)."""
    unknown = set(values) - set(BUSINESS_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    locked = _lock_for_edit(actor, application, version)
    cleaned: dict[str, Any] = {}
    for field, value in values.items():
        if field == "siret":
            cleaned[field] = check_siret(value)
        elif field == "iban":
            cleaned[field] = normalise_iban(value)
        elif field == "employees":
            if value is not None and not 0 <= int(value) <= MAX_EMPLOYEES:
                raise field_error("employees", _("Cet effectif n'est pas plausible."), code="employees")
            cleaned[field] = value
        else:
            cleaned[field] = (value or "").strip()
    changed = [field for field, value in cleaned.items() if getattr(locked, field) != value]
    for field in changed:
        setattr(locked, field, cleaned[field])
    if changed:
        locked.full_clean(exclude=[f.name for f in Application._meta.fields if f.name not in changed])
    _save(locked, application, changed)
    if changed:
        journal.record(actor=actor, action="grants.application.business_saved", target=locked, data={"fields": changed})
    return locked


def _canton_for(commune: Commune, snapshot: dict[str, Any]) -> Canton | None:
    """The canton of the premises: from the building's position when the coverage data has it
    (a commune may be split between cantons), else the commune's first canton."""
    data = snapshot.get("data") or {}
    latitude, longitude = data.get("latitude"), data.get("longitude")
    if isinstance(latitude, (int, float)) and isinstance(longitude, (int, float)):
        from cybercantal.territory.queries import lookup_point

        found = lookup_point(float(latitude), float(longitude)).canton
        if found is not None:
            return found
    return commune.cantons.order_by("number").first()


@transaction.atomic
def application_save_premises(
    *,
    actor: Any,
    application: Application,
    version: int | None,
    address: str | None = None,
    commune: Commune | None = None,
    postal_code: str | None = None,
) -> Application:
    """Store the premises (the given fields) and check eligibility at once: the answer, its
    explanation and the data behind it are kept on the dossier (``eligibility_snapshot``)."""
    locked = _lock_for_edit(actor, application, version)
    fields: list[str] = []
    if commune is not None:
        commune = commune_in_departement(commune)
        if locked.premises_commune_id != commune.pk:
            locked.premises_commune = commune
            fields.append("premises_commune")
    if address is not None and locked.premises_address != address.strip():
        locked.premises_address = address.strip()[:250]
        fields.append("premises_address")
    if postal_code is not None and locked.premises_postal_code != postal_code.strip():
        code = postal_code.strip()
        if code and not (len(code) == 5 and code.isascii() and code.isdigit()):
            raise field_error("postal_code", _("Un code postal compte 5 chiffres."), code="postal_code")
        locked.premises_postal_code = code
        fields.append("premises_postal_code")
    if locked.premises_commune is not None and (fields or not locked.eligibility):
        result = coverage.eligibility_check(
            programme=locked.programme, commune=locked.premises_commune, address=locked.premises_address
        )
        locked.eligibility = result.answer
        locked.eligibility_snapshot = result.snapshot()
        locked.canton = _canton_for(locked.premises_commune, locked.eligibility_snapshot)
        fields += ["eligibility", "eligibility_snapshot", "canton"]
    _save(locked, application, fields)
    if fields:
        journal.record(
            actor=actor,
            action="grants.application.premises_saved",
            target=locked,
            data={
                "commune": locked.premises_commune.insee_code if locked.premises_commune else "",
                "eligibility": locked.eligibility,
            },
        )
    return locked


def _check_category(application: Application, category: ExpenseCategory) -> None:
    if category.programme_id != application.programme_id:
        raise field_error("category", _("Cette catégorie n'appartient pas à ce dispositif."), code="category_programme")


@transaction.atomic
def expense_line_save(
    *,
    actor: Any,
    application: Application,
    version: int | None,
    category: ExpenseCategory,
    description: str,
    amount: Decimal,
    line: ExpenseLine | None = None,
) -> ExpenseLine:
    """Add an investment line (``line`` None) or change one; the aid is recomputed."""
    locked = _lock_for_edit(actor, application, version)
    _check_category(locked, category)
    check_line_amount(amount)
    description = description.strip()
    if not description:
        raise field_error("description", _("Décrivez la dépense."), code="required")
    if line is None:
        position = (locked.lines.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        line = ExpenseLine(application=locked, position=position)
    elif line.application_id != locked.pk:
        raise NotAllowed(_("Cette ligne n'appartient pas à ce dossier."))
    line.category = category
    line.description = description[:250]
    line.amount = amount
    try:
        with transaction.atomic():
            line.save()
    except IntegrityError as exc:
        raise field_error("amount", _("Ce montant n'est pas accepté."), code="amount") from exc
    amounts.application_recompute(application=locked)
    _save(locked, application, ["eligible_total", "computed_aid"])
    journal.record(
        actor=actor,
        action="grants.application.line_saved",
        target=locked,
        data={"line": line.pk, "amount": str(amount), "category": category.code},
    )
    return line


@transaction.atomic
def expense_line_attach_quote(*, actor: Any, application: Application, line: ExpenseLine, file: Any) -> ExpenseLine:
    """Attach the quote of a line (checked by content and size). A refused file raises
    ``ValidationError`` on ``quote`` and leaves the line (and its previous quote) as it was."""
    locked = _lock_for_edit(actor, application, None)
    if line.application_id != locked.pk:
        raise NotAllowed(_("Cette ligne n'appartient pas à ce dossier."))
    try:
        document = documents.document_store(actor=actor, application=locked, file=file, kind=DocumentKind.QUOTE)
    except ValidationError as exc:
        raise field_error("quote", exc.messages, code=getattr(exc, "code", None) or "quote") from exc
    line.quote = document
    line.save(update_fields=["quote"])
    _save(locked, application, [], force=True)
    return line


@transaction.atomic
def expense_line_delete(*, actor: Any, application: Application, version: int | None, line: ExpenseLine) -> None:
    locked = _lock_for_edit(actor, application, version)
    if line.application_id != locked.pk:
        raise NotAllowed(_("Cette ligne n'appartient pas à ce dossier."))
    if line.invoices.exists():
        raise LineInvoicedError(
            _("La dépense « %(line)s » a déjà des factures acquittées : elle ne peut pas être retirée.")
            % {"line": line.description}
        )
    data = {"line": line.pk, "amount": str(line.amount), "description": line.description}
    line.delete()
    amounts.application_recompute(application=locked)
    _save(locked, application, ["eligible_total", "computed_aid"])
    journal.record(actor=actor, action="grants.application.line_deleted", target=locked, data=data)


@transaction.atomic
def application_save_de_minimis(
    *,
    actor: Any,
    application: Application,
    version: int | None,
    amount: Decimal | None = None,
    details: str | None = None,
    certified: bool | None = None,
) -> Application:
    """The de minimis declaration and the certification of the programme's conditions.

    ``amount`` (aid received over the last three fiscal years) plus this dossier's aid must stay
    within the ceiling, else ``ValidationError`` with the figures and nothing is stored."""
    locked = _lock_for_edit(actor, application, version)
    fields: list[str] = []
    if amount is not None:
        check_de_minimis(locked.programme, amount, locked.computed_aid)
        if locked.de_minimis_amount != amount:
            locked.de_minimis_amount = amount
            fields.append("de_minimis_amount")
    if details is not None and locked.de_minimis_details != details.strip():
        locked.de_minimis_details = details.strip()[:5000]
        fields.append("de_minimis_details")
    if certified is not None and locked.declarations_certified != certified:
        locked.declarations_certified = certified
        fields.append("declarations_certified")
    _save(locked, application, fields)
    if fields:
        journal.record(
            actor=actor, action="grants.application.de_minimis_saved", target=locked, data={"fields": fields}
        )
    return locked


# --- Completeness and submission ------------------------------------------------------------------


def application_missing(application: Application, *, lines: list[ExpenseLine] | None = None) -> list[Missing]:
    """What stops the dossier from being submitted, in the order of the steps (French)."""
    missing: list[Missing] = []
    if not application.business_name.strip():
        missing.append(Missing("entreprise", _("La raison sociale de l'entreprise.")))
    try:
        siret_ok = bool(normalise_siret(application.siret))
    except ValidationError:
        siret_ok = False
    if not siret_ok:
        missing.append(Missing("entreprise", _("Un numéro SIRET valide.")))
    if not application.contact_email:
        missing.append(Missing("entreprise", _("L'adresse électronique de la personne à contacter.")))
    if application.premises_commune_id is None:
        missing.append(Missing("locaux", _("La commune des locaux à équiper.")))
    else:
        commune = application.premises_commune
        if commune is not None and getattr(commune.departement, "code", "") != settings.DEPARTEMENT_CODE:
            missing.append(Missing("locaux", _("Des locaux situés dans le département.")))
    if not application.premises_address.strip():
        missing.append(Missing("locaux", _("L'adresse des locaux.")))
    if application.eligibility == EligibilityAnswer.NOT_ELIGIBLE:
        missing.append(
            Missing("locaux", _("Des locaux éligibles : d'après les données de couverture, ceux-ci ne le sont pas."))
        )
    lines = list(application.lines.select_related("category")) if lines is None else lines
    if not lines:
        missing.append(Missing("depenses", _("Au moins une dépense d'investissement.")))
    else:
        without_quote = [line for line in lines if line.quote_id is None]
        missing.extend(
            Missing("depenses", _("Le devis de la dépense « %(line)s ».") % {"line": line.description})
            for line in without_quote
        )
        if not any(amounts.line_counts(line) for line in lines):
            missing.append(Missing("depenses", _("Au moins une dépense d'une catégorie éligible.")))
    if application.de_minimis_amount is None:
        missing.append(
            Missing(
                "minimis", _("Le montant des aides de minimis reçues sur les trois derniers exercices (0 si aucune).")
            )
        )
    else:
        try:
            check_de_minimis(application.programme, application.de_minimis_amount, application.computed_aid)
        except ValidationError as exc:
            missing.append(Missing("minimis", " ".join(exc.messages)))
    if not application.declarations_certified:
        missing.append(Missing("minimis", _("La certification des conditions et la déclaration sur l'honneur.")))
    if not programme_is_open(application.programme):
        missing.append(Missing("recapitulatif", programme_closed_message(application.programme)))
    return missing


@transaction.atomic
def application_submit(*, actor: Any, application: Application) -> SubmitResult:
    """Submit the dossier (from draft or corrections), under its row lock.

    A second call (double click, another tab) finds it submitted and returns ``already=True``:
    no second ``StatusChange``, no second email. ``SubmissionIncompleteError`` lists what is
    missing; ``NotAllowed`` for someone who may not edit it."""
    locked = workflow.lock_application(application)
    require_permission(actor, "grants.view_application", locked, _("Vous n'avez pas accès à ce dossier."))
    if locked.status not in EDITABLE_STATUSES:
        application.status = locked.status
        return SubmitResult(application=locked, already=True)
    require_permission(actor, "grants.edit_application", locked, _("Vous ne pouvez pas déposer ce dossier."))
    figures = amounts.application_recompute(application=locked)
    missing = application_missing(locked)
    if missing:
        raise SubmissionIncompleteError(missing)
    locked = workflow.application_transition(
        actor=actor,
        application=locked,
        to_status=Status.SUBMITTED,
        data={"computed_aid": str(figures.aid), "eligible_total": str(figures.eligible_total)},
    )
    locked.version += 1
    locked.save(update_fields=["version"])
    application.status = locked.status
    return SubmitResult(application=locked, already=False)


def live_figures(application: Application, *, replace: ExpenseLine | None = None, extra: Any = None) -> Any:
    """The aid as it would be with the lines of the dossier, ``replace`` standing for the line of
    the same pk and ``extra`` (an unsaved line) added: the live preview of the expenses step."""
    lines = list(application.lines.select_related("category"))
    pairs = []
    for line in lines:
        current = replace if replace is not None and replace.pk == line.pk else line
        pairs.append((current.amount, amounts.line_counts(current)))
    if extra is not None:
        pairs.append((extra.amount, amounts.line_counts(extra)))
    return amounts.compute(application.programme, pairs)


__all__ = [
    "STEPS",
    "ZERO",
    "ApplyingError",
    "LineInvoicedError",
    "Missing",
    "NotEditableError",
    "ProgrammeClosedError",
    "StaleVersionError",
    "SubmissionIncompleteError",
    "SubmitResult",
    "application_missing",
    "application_save_business",
    "application_save_de_minimis",
    "application_save_premises",
    "application_start",
    "application_submit",
    "business_declare",
    "business_update",
    "check_de_minimis",
    "check_line_amount",
    "commune_in_departement",
    "expense_line_attach_quote",
    "expense_line_delete",
    "expense_line_save",
    "live_figures",
    "normalise_iban",
    "programme_is_open",
]
