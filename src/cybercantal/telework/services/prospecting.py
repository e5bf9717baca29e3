"""Prospecting: the département's business-attraction team courts national companies so that
they let staff telework from the Cantal's telecentres.

Rules kept here (and tested in ``tests/test_prospecting_services.py``):

- a SIREN is optional; when given it is 9 digits with a valid Luhn key (python-stdnum), spaces
  and dots accepted on input, and unique among the companies, even when two people save the
  same one at the same moment (the unique index refuses the second: a French error on the
  field, never a 500);
- the person who follows a company belongs to the programme team;
- a company moves to any stage on a date that is neither in the future nor before its last
  move; every move writes a ``ProspectStageChange`` (the conversion figures are computed from
  them) and a journal entry; « Perdue » needs a reason (a motive from ``LostReason``, with
  details; the database refuses a lost company without one); leaving « Perdue » clears it;
- the employer agreement signed by the company is linked at « Accord pilote » or « Salariés
  installés » (one company per agreement);
- an activity (call, meeting, event, email, visit) happened on a date that is not in the
  future; its next step, if dated, is named and not dated before the activity.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from cybercantal.accounts.models import Organisation, RoleMembership, User
from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.text import normalise

from ..models import (
    EmployerAgreement,
    LostReason,
    Prospect,
    ProspectActivity,
    ProspectContact,
    ProspectStage,
    ProspectStageChange,
    SizeBand,
)

PERMISSION = "telework.manage_prospects"
AGREEMENT_STAGES = (ProspectStage.PILOT, ProspectStage.RELOCATED)
MAX_POTENTIAL_STAFF = 100_000
MAX_TEXT = 5_000
EARLIEST = dt.date(2000, 1, 1)
PHONE = re.compile(r"^\+?[0-9 .()\-]{6,30}$")


# --- checks shared by the services and the forms -------------------------------------------------


def normalise_siren(value: str | None) -> str:
    """The 9 digits of a valid SIREN ("" when empty), or a French error on ``siren``.

    Spaces, non-breaking spaces and dots are accepted and removed. A SIRET (14 digits) typed
    by mistake is refused with the SIREN it contains, so the person sees what to type."""
    if value is None:
        return ""
    raw = str(value).replace("\u00a0", " ").replace("\u202f", " ").strip()
    if not raw:
        return ""
    compact = stdnum_siren.compact(raw)
    if len(compact) == 14 and compact.isascii() and compact.isdigit() and stdnum_siret.is_valid(compact):
        message = _(
            "Ce numéro de 14 chiffres est un SIRET (un établissement). Le SIREN de l'entreprise "
            "en est les 9 premiers chiffres : %(siren)s."
        ) % {"siren": format_siren(compact[:9])}
        raise _siren_invalid(message, "siren_is_siret")
    if not (compact.isascii() and compact.isdigit()):
        message = _("Un numéro SIREN ne contient que des chiffres (les espaces sont acceptés).")
        raise _siren_invalid(message, "siren_format")
    if len(compact) != 9:
        message = _("Un numéro SIREN compte 9 chiffres (vous en avez saisi %(n)s).") % {"n": len(compact)}
        raise _siren_invalid(message, "siren_length")
    try:
        return str(stdnum_siren.validate(compact))
    except stdnum_errors.ValidationError as exc:
        message = _("Ce numéro SIREN n'est pas valide : un chiffre est probablement erroné (clé de contrôle).")
        raise _siren_invalid(message, "siren_checksum") from exc


def _siren_invalid(message: str, code: str) -> ValidationError:
    return ValidationError({"siren": ValidationError(message, code=code)})


def format_siren(siren: str) -> str:
    """``732829320`` -> ``732 829 320`` (how the INSEE writes it)."""
    return " ".join(siren[i : i + 3] for i in range(0, len(siren), 3)) if len(siren) == 9 else siren


def build_search_text(prospect: Prospect) -> str:
    """Name, SIREN and head office, accents, case and punctuation folded (``core.text``)."""
    return normalise(f"{prospect.name} {prospect.siren} {prospect.head_office}")


def programme_team() -> Any:
    """The people who may follow a company: programme managers and administrators today."""
    from cybercantal.accounts.models import Role

    holders = RoleMembership.objects.active().filter(role__in=[Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR])
    return (
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=holders.values("user_id")) | Q(is_superuser=True))
        .order_by("first_name", "last_name", "email")
    )


def _text(value: Any, field: str, *, max_length: int, required: str = "", multiline: bool = False) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ValidationError({field: _("Ce texte contient un caractère interdit.")})
    text = text.strip() if multiline else " ".join(text.split())
    if not text and required:
        raise ValidationError({field: required})
    if len(text) > max_length:
        raise ValidationError(
            {field: _("%(max)s caractères au plus (vous en avez saisi %(n)s).") % {"max": max_length, "n": len(text)}}
        )
    return text


def _website(value: Any) -> str:
    url = _text(value, "website", max_length=200)
    if not url:
        return ""
    if "://" not in url:
        url = f"https://{url}"
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise ValidationError(
            {"website": _("Cette adresse de site n'est pas valide (exemple : https://www.entreprise.fr).")}
        ) from exc
    return url


def _size_band(value: Any) -> str:
    value = value or ""
    if value not in SizeBand.values and value != "":
        raise ValidationError({"size_band": _("Choisissez une tranche d'effectif dans la liste.")})
    return str(value)


def _potential_staff(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_POTENTIAL_STAFF:
        raise ValidationError(
            {"potential_staff": _("Indiquez un nombre de salariés entre 0 et %(max)s.") % {"max": MAX_POTENTIAL_STAFF}}
        )
    return value


def _owner(owner: User | None) -> User | None:
    if owner is None:
        return None
    if not programme_team().filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("Cette personne ne fait pas partie de l'équipe du programme.")})
    return owner


def _date(value: Any, field: str, *, required: str) -> dt.date:
    if value is None:
        raise ValidationError({field: required})
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError({field: _("Indiquez une date valide.")})
    if value > timezone.localdate():
        raise ValidationError({field: _("Cette date est dans le futur.")})
    if value < EARLIEST:
        raise ValidationError({field: _("Cette date est trop ancienne.")})
    return value


def _moment(on: dt.date) -> dt.datetime:
    """The instant recorded for a move dated ``on``: now for today, noon for a past day."""
    if on >= timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(on, dt.time(12, 0)))


def _siren_taken(siren: str, exclude_pk: int | None) -> Prospect | None:
    if not siren:
        return None
    queryset = Prospect.objects.filter(siren=siren)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.first()


def _siren_error(other: Prospect) -> ValidationError:
    return ValidationError(
        {"siren": _("Ce SIREN est déjà celui de l'entreprise « %(name)s ».") % {"name": other.name}},
        code="siren_taken",
    )


def _save_prospect(prospect: Prospect, *, exclude_pk: int | None) -> None:
    """Insert or update; the unique SIREN index may refuse a value saved by someone else in
    the meantime: a French error on ``siren`` then, the outer transaction intact."""
    prospect.search_text = build_search_text(prospect)
    try:
        with transaction.atomic():
            prospect.save()
    except IntegrityError as exc:
        other = _siren_taken(prospect.siren, exclude_pk)
        if other is not None:
            raise _siren_error(other) from exc
        raise ValidationError(_("L'entreprise n'a pas pu être enregistrée : vérifiez les champs.")) from exc


def _fields(
    *,
    name: Any,
    siren: Any,
    sector: Any,
    size_band: Any,
    head_office: Any,
    website: Any,
    source_partner: Organisation | None,
    source_detail: Any,
    potential_staff: Any,
    owner: User | None,
    notes: Any,
) -> dict[str, Any]:
    """Every field checked; all the errors at once, each on its field."""
    checks = {
        "name": lambda: _text(name, "name", max_length=200, required=_("Indiquez le nom de l'entreprise.")),
        "siren": lambda: normalise_siren(siren),
        "sector": lambda: _text(sector, "sector", max_length=200),
        "size_band": lambda: _size_band(size_band),
        "head_office": lambda: _text(head_office, "head_office", max_length=200),
        "website": lambda: _website(website),
        "source_partner": lambda: source_partner,
        "source_detail": lambda: _text(source_detail, "source_detail", max_length=200),
        "potential_staff": lambda: _potential_staff(potential_staff),
        "owner": lambda: _owner(owner),
        "notes": lambda: _text(notes, "notes", max_length=MAX_TEXT, multiline=True),
    }
    values: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for field, check in checks.items():
        try:
            values[field] = check()
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    return values


# --- companies ----------------------------------------------------------------------------------


@transaction.atomic
def prospect_create(
    *,
    actor: User | None,
    name: str,
    siren: str = "",
    sector: str = "",
    size_band: str = "",
    head_office: str = "",
    website: str = "",
    source_partner: Organisation | None = None,
    source_detail: str = "",
    potential_staff: int | None = None,
    owner: User | None = None,
    notes: str = "",
    identified_on: dt.date | None = None,
) -> Prospect:
    """Add a company at « Identifiée » (on ``identified_on``, today by default)."""
    require_permission(actor, PERMISSION)
    values = _fields(
        name=name,
        siren=siren,
        sector=sector,
        size_band=size_band,
        head_office=head_office,
        website=website,
        source_partner=source_partner,
        source_detail=source_detail,
        potential_staff=potential_staff,
        owner=owner,
        notes=notes,
    )
    on = _date(identified_on or timezone.localdate(), "identified_on", required=_("Indiquez une date."))
    other = _siren_taken(values["siren"], None)
    if other is not None:
        raise _siren_error(other)
    at = _moment(on)
    prospect = Prospect(**values, stage=ProspectStage.IDENTIFIED, stage_changed_at=at)
    _save_prospect(prospect, exclude_pk=None)
    ProspectStageChange.objects.create(
        prospect=prospect, from_stage="", to_stage=ProspectStage.IDENTIFIED, at=at, by=actor
    )
    journal.record(
        actor=actor,
        action="telework.prospect.created",
        target=prospect,
        data={"siren": prospect.siren, "source_partner": getattr(source_partner, "pk", None)},
    )
    return prospect


@transaction.atomic
def prospect_update(
    *,
    actor: User | None,
    prospect: Prospect,
    name: str,
    siren: str = "",
    sector: str = "",
    size_band: str = "",
    head_office: str = "",
    website: str = "",
    source_partner: Organisation | None = None,
    source_detail: str = "",
    potential_staff: int | None = None,
    owner: User | None = None,
    notes: str = "",
) -> Prospect:
    """Change what is known of a company (not its stage: see ``prospect_move``)."""
    require_permission(actor, PERMISSION, prospect)
    values = _fields(
        name=name,
        siren=siren,
        sector=sector,
        size_band=size_band,
        head_office=head_office,
        website=website,
        source_partner=source_partner,
        source_detail=source_detail,
        potential_staff=potential_staff,
        owner=owner,
        notes=notes,
    )
    other = _siren_taken(values["siren"], prospect.pk)
    if other is not None:
        raise _siren_error(other)
    current = lock_for_update(Prospect.objects.filter(pk=prospect.pk)).get()
    changed = sorted(
        field
        for field, value in values.items()
        if (getattr(current, f"{field}_id") if field in ("source_partner", "owner") else getattr(current, field))
        != (getattr(value, "pk", None) if field in ("source_partner", "owner") else value)
    )
    for field, value in values.items():
        setattr(current, field, value)
    _save_prospect(current, exclude_pk=current.pk)
    journal.record(actor=actor, action="telework.prospect.updated", target=current, data={"fields": changed})
    for field in (*values, "search_text"):
        setattr(prospect, field, getattr(current, field))
    return current


def _agreement_check(prospect: Prospect, agreement: EmployerAgreement) -> None:
    other = Prospect.objects.filter(agreement=agreement).exclude(pk=prospect.pk).first()
    if other is not None:
        raise ValidationError(
            {
                "agreement": _("La convention %(reference)s est déjà liée à l'entreprise « %(name)s ».")
                % {"reference": agreement.reference, "name": other.name}
            }
        )


def _lost_text(kind: str, detail: str) -> str:
    """« A choisi un autre territoire : Corrèze »: the motive, then the details if any."""
    label = str(LostReason(kind).label)
    return f"{label} : {detail}" if detail else label


@transaction.atomic
def prospect_move(
    *,
    actor: User | None,
    prospect: Prospect,
    to_stage: str,
    on: dt.date | None = None,
    reason_kind: str = "",
    reason: str = "",
    agreement: EmployerAgreement | None = None,
) -> ProspectStageChange:
    """Move the company to ``to_stage`` on ``on`` (today by default): the stage history gets a
    row, the journal an entry. « Perdue » needs ``reason_kind`` (and ``reason`` for « Autre
    raison »); « Accord pilote » and « Salariés installés » may link ``agreement``."""
    require_permission(actor, PERMISSION, prospect)
    current = lock_for_update(Prospect.objects.filter(pk=prospect.pk)).get()
    errors: dict[str, Any] = {}
    if to_stage not in ProspectStage.values:
        raise ValidationError({"to_stage": _("Choisissez une étape dans la liste.")})
    stage = ProspectStage(to_stage)
    if stage == current.stage:
        raise ValidationError(
            {"to_stage": _("L'entreprise est déjà à l'étape « %(stage)s ».") % {"stage": stage.label}}
        )
    try:
        day = _date(on or timezone.localdate(), "on", required=_("Indiquez la date du changement."))
    except ValidationError as exc:
        errors.update(exc.error_dict)
        day = None
    last = current.stage_changes.order_by("-at", "-pk").first()
    if day is not None and last is not None and day < timezone.localdate(last.at):
        errors["on"] = [
            _(
                "L'entreprise est passée à l'étape « %(stage)s » le %(date)s : "
                "choisissez cette date ou une date plus récente."
            )
            % {"stage": ProspectStage(last.to_stage).label, "date": date_format(timezone.localdate(last.at), "j F Y")}
        ]
    detail = ""
    kind = ""
    if stage == ProspectStage.LOST:
        try:
            detail = _text(reason, "reason", max_length=250)
        except ValidationError as exc:
            errors.update(exc.error_dict)
        if reason_kind not in LostReason.values:
            errors["reason_kind"] = [_("Indiquez pourquoi l'entreprise ne donne pas suite.")]
        else:
            kind = reason_kind
            if kind == LostReason.OTHER and not detail and "reason" not in errors:
                errors["reason"] = [_("Précisez la raison.")]
    if agreement is not None:
        if stage not in AGREEMENT_STAGES:
            errors["agreement"] = [_("Une convention se lie à l'étape « Accord pilote » ou « Salariés installés ».")]
        else:
            try:
                _agreement_check(current, agreement)
            except ValidationError as exc:
                errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    assert day is not None  # noqa: S101 - errors raised above otherwise
    at = _moment(day)
    if last is not None and at <= last.at:
        at = last.at + dt.timedelta(seconds=1)
    text = _lost_text(kind, detail) if stage == ProspectStage.LOST else ""
    from_stage = current.stage
    current.stage = stage
    current.stage_changed_at = at
    current.lost_reason = text
    current.lost_reason_kind = kind
    if agreement is not None:
        current.agreement = agreement
    try:
        with transaction.atomic():
            current.save(update_fields=["stage", "stage_changed_at", "lost_reason", "lost_reason_kind", "agreement"])
            change = ProspectStageChange.objects.create(
                prospect=current, from_stage=from_stage, to_stage=stage, at=at, by=actor, reason=text, reason_kind=kind
            )
    except IntegrityError as exc:  # prospect_lost_has_reason, prospect_change_lost_has_reason
        raise ValidationError(
            {"reason_kind": _("Une entreprise perdue doit avoir une raison : indiquez-la.")}, code="lost_reason"
        ) from exc
    journal.record(
        actor=actor,
        action="telework.prospect.moved",
        target=current,
        data={
            "from": from_stage,
            "to": str(stage),
            "on": day.isoformat(),
            "reason_kind": kind,
            "agreement": getattr(agreement, "pk", None),
        },
    )
    for field in ("stage", "stage_changed_at", "lost_reason", "lost_reason_kind", "agreement_id"):
        setattr(prospect, field, getattr(current, field))
    return change


@transaction.atomic
def prospect_link_agreement(*, actor: User | None, prospect: Prospect, agreement: EmployerAgreement | None) -> Prospect:
    """Link the employer agreement the company signed (``None`` unlinks it)."""
    require_permission(actor, PERMISSION, prospect)
    current = lock_for_update(Prospect.objects.filter(pk=prospect.pk)).get()
    if agreement is not None:
        if current.stage not in AGREEMENT_STAGES:
            raise ValidationError(
                {"agreement": _("Passez d'abord l'entreprise à l'étape « Accord pilote » ou « Salariés installés ».")}
            )
        _agreement_check(current, agreement)
    previous = current.agreement_id
    current.agreement = agreement
    current.save(update_fields=["agreement"])
    journal.record(
        actor=actor,
        action="telework.prospect.agreement_linked" if agreement else "telework.prospect.agreement_unlinked",
        target=current,
        data={"agreement": getattr(agreement, "pk", None), "previous": previous},
    )
    prospect.agreement = agreement
    return current


# --- contacts ------------------------------------------------------------------------------------


def _contact_fields(*, name: Any, job_title: Any, email: Any, phone: Any, notes: Any) -> dict[str, str]:
    values: dict[str, str] = {}
    errors: dict[str, Any] = {}

    def check(field: str, fn: Any) -> None:
        try:
            values[field] = fn()
        except ValidationError as exc:
            errors.update(exc.error_dict)

    check("name", lambda: _text(name, "name", max_length=200, required=_("Indiquez le nom du contact.")))
    check("job_title", lambda: _text(job_title, "job_title", max_length=200))
    check("email", lambda: _email(email))
    check("phone", lambda: _phone(phone))
    check("notes", lambda: _text(notes, "notes", max_length=MAX_TEXT, multiline=True))
    if errors:
        raise ValidationError(errors)
    return values


def _email(value: Any) -> str:
    email = _text(value, "email", max_length=254).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError(
                {"email": _("Cette adresse électronique n'est pas valide (exemple : prenom.nom@entreprise.fr).")}
            ) from exc
    return email


def _phone(value: Any) -> str:
    phone = _text(value, "phone", max_length=30)
    if phone and (not PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6):
        raise ValidationError({"phone": _("Ce numéro de téléphone n'est pas valide (exemple : 01 23 45 67 89).")})
    return phone


@transaction.atomic
def contact_add(
    *,
    actor: User | None,
    prospect: Prospect,
    name: str,
    job_title: str = "",
    email: str = "",
    phone: str = "",
    notes: str = "",
) -> ProspectContact:
    """Add a person to talk to at the company."""
    require_permission(actor, PERMISSION, prospect)
    values = _contact_fields(name=name, job_title=job_title, email=email, phone=phone, notes=notes)
    contact = ProspectContact.objects.create(prospect=prospect, **values)
    journal.record(
        actor=actor, action="telework.prospect.contact_added", target=contact, data={"prospect": prospect.pk}
    )
    return contact


@transaction.atomic
def contact_update(
    *,
    actor: User | None,
    contact: ProspectContact,
    name: str,
    job_title: str = "",
    email: str = "",
    phone: str = "",
    notes: str = "",
) -> ProspectContact:
    require_permission(actor, PERMISSION, contact.prospect)
    values = _contact_fields(name=name, job_title=job_title, email=email, phone=phone, notes=notes)
    for field, value in values.items():
        setattr(contact, field, value)
    contact.save(update_fields=list(values))
    journal.record(
        actor=actor, action="telework.prospect.contact_updated", target=contact, data={"prospect": contact.prospect_id}
    )
    return contact


@transaction.atomic
def contact_remove(*, actor: User | None, contact: ProspectContact) -> None:
    """Remove a contact (a person who left the company, or who asked to be forgotten)."""
    require_permission(actor, PERMISSION, contact.prospect)
    journal.record(
        actor=actor, action="telework.prospect.contact_removed", target=contact, data={"prospect": contact.prospect_id}
    )
    contact.delete()


# --- activities ----------------------------------------------------------------------------------


@transaction.atomic
def activity_add(
    *,
    actor: User | None,
    prospect: Prospect,
    kind: str,
    happened_on: dt.date,
    summary: str,
    next_step: str = "",
    next_step_on: dt.date | None = None,
) -> ProspectActivity:
    """Log what was done with the company (a call, a meeting...) and the next step planned:
    the next step of the latest activity is the company's follow-up (« relance »)."""
    require_permission(actor, PERMISSION, prospect)
    values: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    if kind not in ProspectActivity.Kind.values:
        errors["kind"] = [_("Choisissez le type d'action dans la liste.")]
    for field, check in (
        ("happened_on", lambda: _date(happened_on, "happened_on", required=_("Indiquez la date de l'action."))),
        (
            "summary",
            lambda: _text(
                summary, "summary", max_length=MAX_TEXT, multiline=True, required=_("Résumez ce qui s'est dit ou fait.")
            ),
        ),
        ("next_step", lambda: _text(next_step, "next_step", max_length=300)),
    ):
        try:
            values[field] = check()
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if next_step_on is not None:
        if not isinstance(next_step_on, dt.date) or isinstance(next_step_on, dt.datetime):
            errors["next_step_on"] = [_("Indiquez une date valide.")]
        elif values.get("happened_on") and next_step_on < values["happened_on"]:
            errors["next_step_on"] = [_("La prochaine étape ne peut pas précéder l'action.")]
        elif "next_step" in values and not values["next_step"]:
            errors["next_step"] = [_("Indiquez la prochaine étape prévue à cette date.")]
    if errors:
        raise ValidationError(errors)
    activity = ProspectActivity.objects.create(
        prospect=prospect, kind=kind, next_step_on=next_step_on, author=actor, **values
    )
    journal.record(
        actor=actor,
        action="telework.prospect.activity_added",
        target=prospect,
        data={"activity": activity.pk, "kind": kind, "on": activity.happened_on.isoformat()},
    )
    return activity


@transaction.atomic
def activity_remove(*, actor: User | None, activity: ProspectActivity) -> None:
    """Remove an activity logged by mistake."""
    require_permission(actor, PERMISSION, activity.prospect)
    journal.record(
        actor=actor,
        action="telework.prospect.activity_removed",
        target=activity.prospect,
        data={"activity": activity.pk, "kind": activity.kind, "on": activity.happened_on.isoformat()},
    )
    activity.delete()
