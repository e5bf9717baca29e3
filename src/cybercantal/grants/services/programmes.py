"""Every write about grant programmes (issue 7 §1): a programme is configuration, not code.

The programme team (``grants.manage_programmes``) creates and edits programmes and their
expense categories. Each function is keyword-only and runs in one transaction; bad input
raises ``ValidationError`` with French messages keyed by field, a missing permission
``NotAllowed``; ``actor=None`` is the platform itself (demo data, commands).

The envelope: lowering a programme's budget below what is already committed (accepted and
paid dossiers) is refused. The check runs under the programme's row lock, the same lock an
acceptance takes (``services.instruction``), so the two cannot cross (ADR 0008).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.money import format_euros

from ..models import Application, ExpenseCategory, ExpenseLine, GrantProgramme, SpeedClass
from ..queries.envelope import envelope

PERMISSION = "grants.manage_programmes"

NAME_MAX = 150
FUNDER_MAX = 150
SUMMARY_MAX = 3000
CONDITIONS_MAX = 4000
CONDITION_LINE_MAX = 300
SLUG_MAX = 60
CATEGORY_CODE_MAX = 40
CATEGORY_LABEL_MAX = 120
CATEGORY_DESCRIPTION_MAX = 1000
CATEGORY_POSITION_MAX = 32767
CATEGORIES_MAX = 30
# Beyond these figures a typing mistake is far likelier than a real programme.
BUDGET_MAX = Decimal("100000000.00")  # 100 M€
CAP_MAX = Decimal("10000000.00")  # 10 M€ per dossier (an expense line is at most 10 M€)
DE_MINIMIS_MAX = Decimal("10000000.00")
YEAR_MIN, YEAR_MAX = 2000, 2100
# Slugs that are page names next to ``gestion/dispositifs/<slug>/``.
RESERVED_SLUGS = frozenset({"nouveau"})

CODE_RE = re.compile(r"[A-Z]{2,8}")
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# The fields of a programme that the programme team edits (all but ``created_at``).
FIELDS = (
    "slug",
    "code",
    "name",
    "funder",
    "summary",
    "rate_percent",
    "cap_per_application",
    "budget",
    "opens_on",
    "closes_on",
    "is_published",
    "requires_active_siret",
    "applicant_conditions",
    "coverage_rule_enabled",
    "coverage_threshold",
    "de_minimis_ceiling",
    "contact_email",
)
DEFAULTS: dict[str, Any] = {
    "summary": "",
    "cap_per_application": None,
    "is_published": False,
    "requires_active_siret": True,
    "applicant_conditions": "",
    "coverage_rule_enabled": True,
    "coverage_threshold": SpeedClass.HD3,
    "de_minimis_ceiling": Decimal("300000.00"),
    "contact_email": "",
}


@dataclass(frozen=True)
class CategoryInput:
    """One expense category as the programme team typed it. ``pk`` names an existing
    category of the programme (None: a new one); ``delete`` removes it."""

    label: str
    code: str = ""
    description: str = ""
    is_eligible: bool = True
    position: int = 0
    pk: int | None = None
    delete: bool = False


# --- checks -----------------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(
                {name: [ValidationError(m, code="invalid") for m in msgs] for name, msgs in self.by_field.items()}
            )


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _line(value: Any) -> str:
    return " ".join(_text(value).split())


def _money(value: Any, name: str, errors: _Errors, *, required: bool, label: str) -> Decimal | None:
    """A Decimal with at most two places, or None when empty and not required."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(name, _("Indiquez %(label)s.") % {"label": label})
        return None
    if isinstance(value, float):
        errors.add(name, _("Montant non valide."))  # money is never a float
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(_text(value).strip())
    except (InvalidOperation, ValueError):
        errors.add(name, _("Indiquez un montant en euros, par exemple 2500 ou 2500,50."))
        return None
    if not amount.is_finite():
        errors.add(name, _("Indiquez un montant en euros, par exemple 2500 ou 2500,50."))
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors.add(name, _("Indiquez le montant au centime près (deux chiffres après la virgule au plus)."))
        return None
    return amount.quantize(Decimal("0.01"))


def _date(value: Any, name: str, errors: _Errors, label: str) -> date | None:
    if not isinstance(value, date):
        if value in (None, ""):
            errors.add(name, _("Indiquez la date %(label)s.") % {"label": label})
        else:
            errors.add(name, _("Indiquez une date valide, par exemple 05/01/2026."))
        return None
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        errors.add(name, _("Indiquez une date entre %(min)s et %(max)s.") % {"min": YEAR_MIN, "max": YEAR_MAX})
        return None
    return value


def _slug_from(text: str, length: int) -> str:
    """« Connect'Artisans » -> ``connect-artisans`` (an apostrophe separates words)."""
    return slugify(re.sub(r"['’]", " ", text))[:length].strip("-")


def _others(programme: GrantProgramme | None) -> Any:
    """The programmes other than ``programme``."""
    return GrantProgramme.objects.all() if programme is None else GrantProgramme.objects.exclude(pk=programme.pk)


def clean_programme(values: Mapping[str, Any], *, programme: GrantProgramme | None = None) -> dict[str, Any]:
    """Check and normalise what the programme team typed; raise ``ValidationError`` by field."""
    errors = _Errors()
    for name in ("slug", "code", "name", "funder", "summary", "applicant_conditions", "contact_email"):
        if "\x00" in _text(values.get(name)):
            errors.add(name, _("Ce champ contient un caractère invalide."))
    errors.raise_if_any()

    name = _line(values.get("name"))
    if not name:
        errors.add("name", _("Donnez un nom au dispositif."))
    elif len(name) > NAME_MAX:
        errors.add("name", _("Le nom ne doit pas dépasser %(max)s caractères.") % {"max": NAME_MAX})

    funder = _line(values.get("funder"))
    if not funder:
        errors.add("funder", _("Indiquez qui finance l'aide, par exemple « Région Auvergne-Rhône-Alpes »."))
    elif len(funder) > FUNDER_MAX:
        errors.add("funder", _("Le financeur ne doit pas dépasser %(max)s caractères.") % {"max": FUNDER_MAX})

    summary = "\n".join(line.rstrip() for line in _text(values.get("summary")).replace("\r", "").split("\n")).strip()
    if len(summary) > SUMMARY_MAX:
        errors.add("summary", _("La présentation ne doit pas dépasser %(max)s caractères.") % {"max": SUMMARY_MAX})

    slug = _text(values.get("slug")).strip().lower()
    if not slug and name and programme is None:
        slug = _slug_from(name, SLUG_MAX)
    if not slug:
        errors.add("slug", _("Indiquez l'identifiant du dispositif dans l'adresse, par exemple « auverdata »."))
    elif len(slug) > SLUG_MAX:
        errors.add("slug", _("L'identifiant ne doit pas dépasser %(max)s caractères.") % {"max": SLUG_MAX})
    elif not SLUG_RE.fullmatch(slug):
        errors.add(
            "slug",
            _("L'identifiant ne contient que des lettres minuscules sans accent, des chiffres et des tirets."),
        )
    elif slug in RESERVED_SLUGS:
        errors.add("slug", _("« %(slug)s » est réservé : choisissez un autre identifiant.") % {"slug": slug})
    elif _others(programme).filter(slug=slug).exists():
        errors.add("slug", _("Un autre dispositif a déjà l'identifiant « %(slug)s ».") % {"slug": slug})

    code = _text(values.get("code")).strip().upper()
    if not CODE_RE.fullmatch(code):
        errors.add(
            "code",
            _("Le préfixe des dossiers est fait de 2 à 8 lettres majuscules sans accent, par exemple AUV."),
        )
    elif _others(programme).filter(code=code).exists():
        errors.add("code", _("Un autre dispositif utilise déjà le préfixe « %(code)s ».") % {"code": code})
    elif programme is not None and code != programme.code and Application.objects.filter(programme=programme).exists():
        errors.add(
            "code",
            _("Des dossiers portent déjà le préfixe « %(code)s » : il ne peut plus changer.")
            % {"code": programme.code},
        )

    rate = _money(values.get("rate_percent"), "rate_percent", errors, required=True, label=_("le taux de l'aide"))
    if rate is not None and not Decimal(0) < rate <= Decimal(100):
        errors.add("rate_percent", _("Le taux est un pourcentage supérieur à 0 et au plus égal à 100."))

    budget = _money(values.get("budget"), "budget", errors, required=True, label=_("l'enveloppe budgétaire"))
    if budget is not None and budget < 0:
        errors.add("budget", _("L'enveloppe ne peut pas être négative."))
    elif budget is not None and budget > BUDGET_MAX:
        errors.add(
            "budget",
            _("L'enveloppe ne peut pas dépasser %(max)s : vérifiez le montant.") % {"max": format_euros(BUDGET_MAX)},
        )

    cap = _money(values.get("cap_per_application"), "cap_per_application", errors, required=False, label="")
    if cap is not None and cap <= 0:
        errors.add(
            "cap_per_application", _("Le plafond par dossier est un montant positif ; laissez vide pour aucun plafond.")
        )
    elif cap is not None and cap > CAP_MAX:
        errors.add(
            "cap_per_application",
            _("Le plafond par dossier ne peut pas dépasser %(max)s : vérifiez le montant.")
            % {"max": format_euros(CAP_MAX)},
        )
    elif cap is not None and budget is not None and budget > 0 and cap > budget:
        errors.add("cap_per_application", _("Le plafond par dossier ne peut pas dépasser l'enveloppe."))

    ceiling = values.get("de_minimis_ceiling", DEFAULTS["de_minimis_ceiling"])
    de_minimis = _money(ceiling, "de_minimis_ceiling", errors, required=True, label=_("le plafond de minimis"))
    if de_minimis is not None and not Decimal(0) < de_minimis <= DE_MINIMIS_MAX:
        errors.add(
            "de_minimis_ceiling",
            _("Le plafond de minimis est un montant positif d'au plus %(max)s.")
            % {"max": format_euros(DE_MINIMIS_MAX)},
        )

    opens_on = _date(values.get("opens_on"), "opens_on", errors, _("d'ouverture"))
    closes_on = _date(values.get("closes_on"), "closes_on", errors, _("de clôture"))
    if opens_on and closes_on and closes_on < opens_on:
        errors.add("closes_on", _("La clôture doit être le même jour que l'ouverture ou après."))

    conditions_raw = _text(values.get("applicant_conditions")).replace("\r", "\n")
    condition_lines = [_line(line) for line in conditions_raw.split("\n") if line.strip()]
    conditions = "\n".join(condition_lines)
    if len(conditions) > CONDITIONS_MAX:
        errors.add(
            "applicant_conditions",
            _("Les conditions ne doivent pas dépasser %(max)s caractères.") % {"max": CONDITIONS_MAX},
        )
    elif any(len(line) > CONDITION_LINE_MAX for line in condition_lines):
        errors.add(
            "applicant_conditions",
            _("Chaque condition tient sur une ligne de %(max)s caractères au plus.") % {"max": CONDITION_LINE_MAX},
        )

    rule_enabled = bool(values.get("coverage_rule_enabled", DEFAULTS["coverage_rule_enabled"]))
    threshold = _text(values.get("coverage_threshold", DEFAULTS["coverage_threshold"]))
    if threshold not in SpeedClass.values:
        errors.add("coverage_threshold", _("Choisissez une classe de débit de la liste."))
    elif rule_enabled and threshold == SpeedClass.INEL:
        errors.add(
            "coverage_threshold",
            _("Avec ce seuil, aucun local ne serait éligible : choisissez une classe plus rapide."),
        )

    email = _text(values.get("contact_email")).strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.add("contact_email", _("Indiquez une adresse électronique valide, par exemple aides@exemple.fr."))
        if len(email) > 254:
            errors.add("contact_email", _("L'adresse ne doit pas dépasser 254 caractères."))

    errors.raise_if_any()
    return {
        "slug": slug,
        "code": code,
        "name": name,
        "funder": funder,
        "summary": summary,
        "rate_percent": rate,
        "cap_per_application": cap,
        "budget": budget,
        "opens_on": opens_on,
        "closes_on": closes_on,
        "is_published": bool(values.get("is_published", DEFAULTS["is_published"])),
        "requires_active_siret": bool(values.get("requires_active_siret", DEFAULTS["requires_active_siret"])),
        "applicant_conditions": conditions,
        "coverage_rule_enabled": rule_enabled,
        "coverage_threshold": threshold,
        "de_minimis_ceiling": de_minimis,
        "contact_email": email,
    }


def clean_category(item: CategoryInput) -> CategoryInput:
    """Check one category; ``ValidationError`` keyed by the category's field names."""
    errors = _Errors()
    for name in ("label", "code", "description"):
        if "\x00" in _text(getattr(item, name)):
            errors.add(name, _("Ce champ contient un caractère invalide."))
    errors.raise_if_any()
    label = _line(item.label)
    description = _text(item.description).replace("\r", "").strip()
    code = _text(item.code).strip().lower() or _slug_from(label, CATEGORY_CODE_MAX)
    if not label:
        errors.add("label", _("Donnez un libellé à la catégorie."))
    elif len(label) > CATEGORY_LABEL_MAX:
        errors.add("label", _("Le libellé ne doit pas dépasser %(max)s caractères.") % {"max": CATEGORY_LABEL_MAX})
    if not code or len(code) > CATEGORY_CODE_MAX or not SLUG_RE.fullmatch(code):
        errors.add(
            "code",
            _("Le code contient de 1 à %(max)s lettres minuscules sans accent, chiffres ou tirets.")
            % {"max": CATEGORY_CODE_MAX},
        )
    if len(description) > CATEGORY_DESCRIPTION_MAX:
        errors.add(
            "description",
            _("La description ne doit pas dépasser %(max)s caractères.") % {"max": CATEGORY_DESCRIPTION_MAX},
        )
    try:
        position = int(item.position if item.position not in (None, "") else 0)
    except (TypeError, ValueError):
        position = -1
    if not 0 <= position <= CATEGORY_POSITION_MAX:
        errors.add("position", _("L'ordre est un nombre entre 0 et %(max)s.") % {"max": CATEGORY_POSITION_MAX})
    errors.raise_if_any()
    return CategoryInput(
        label=label,
        code=code,
        description=description,
        is_eligible=bool(item.is_eligible),
        position=position,
        pk=item.pk,
        delete=bool(item.delete),
    )


# --- helpers ----------------------------------------------------------------------------------


def _require(actor: Any) -> None:
    require_permission(actor, PERMISSION, message=_("Vous n'avez pas le droit de modifier les dispositifs d'aide."))


def _plain(value: Any) -> Any:
    """A journal-friendly value (JSON): dates and Decimals as strings."""
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


def _integrity_error(values: Mapping[str, Any], programme: GrantProgramme | None) -> ValidationError:
    """Two people saved the same slug or code at the same moment: say which."""
    others = _others(programme)
    if others.filter(code=values["code"]).exists():
        return ValidationError(
            {"code": [_("Un autre dispositif utilise déjà le préfixe « %(code)s ».") % {"code": values["code"]}]}
        )
    if others.filter(slug=values["slug"]).exists():
        return ValidationError(
            {"slug": [_("Un autre dispositif a déjà l'identifiant « %(slug)s ».") % {"slug": values["slug"]}]}
        )
    return ValidationError(_("Le dispositif n'a pas pu être enregistré : rechargez la page et réessayez."))


def _apply_categories(*, actor: Any, programme: GrantProgramme, categories: Sequence[CategoryInput]) -> dict[str, int]:
    """Create, update and delete categories in one go, codes unique within the programme.
    Errors name the category concerned (``categories`` key)."""
    if len([c for c in categories if not c.delete]) > CATEGORIES_MAX:
        raise ValidationError(
            {"categories": [_("Un dispositif a au plus %(max)s catégories de dépense.") % {"max": CATEGORIES_MAX}]}
        )
    existing = {category.pk: category for category in programme.categories.all()}
    cleaned: list[CategoryInput] = []
    for number, item in enumerate(categories, start=1):
        if item.pk is not None and item.pk not in existing:
            raise ValidationError(
                {"categories": [_("La catégorie n° %(number)s n'appartient pas à ce dispositif.") % {"number": number}]}
            )
        if item.delete:
            cleaned.append(item)
            continue
        try:
            cleaned.append(clean_category(item))
        except ValidationError as exc:
            messages = [message for msgs in exc.message_dict.values() for message in msgs]
            raise ValidationError(
                {
                    "categories": [
                        _("Catégorie n° %(number)s : %(problem)s") % {"number": number, "problem": " ".join(messages)}
                    ]
                }
            ) from exc
    kept = [item for item in cleaned if not item.delete]
    codes = [item.code for item in kept]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValidationError(
            {
                "categories": [
                    _("Deux catégories ont le même code « %(code)s » : changez l'un des deux.")
                    % {"code": duplicates[0]}
                ]
            }
        )
    counts = {"created": 0, "updated": 0, "deleted": 0}
    # Deletions first, then codes moved out of the way, so that swapping two codes works.
    for item in cleaned:
        if item.delete and item.pk is not None:
            category_delete(actor=actor, category=existing[item.pk])
            counts["deleted"] += 1
    for item in kept:
        if item.pk is not None and existing[item.pk].code != item.code:
            ExpenseCategory.objects.filter(pk=item.pk).update(code=f"~{item.pk}")
    for item in kept:
        category = existing.get(item.pk) if item.pk is not None else None
        if category is not None:
            category.code = f"~{item.pk}" if category.code != item.code else category.code
        try:
            _saved, created, changed = _category_write(actor=actor, programme=programme, category=category, item=item)
        except ValidationError as exc:
            raise ValidationError(
                {
                    "categories": [
                        _("« %(label)s » : %(problem)s") % {"label": item.label, "problem": " ".join(exc.messages)}
                    ]
                }
            ) from exc
        if created:
            counts["created"] += 1
        elif changed:
            counts["updated"] += 1
    return counts


def _category_write(
    *, actor: Any, programme: GrantProgramme, category: ExpenseCategory | None, item: CategoryInput
) -> tuple[ExpenseCategory, bool, list[str]]:
    values = {
        "code": item.code,
        "label": item.label,
        "description": item.description,
        "is_eligible": item.is_eligible,
        "position": item.position,
    }
    taken = ExpenseCategory.objects.filter(programme=programme, code=item.code)
    if category is not None:
        taken = taken.exclude(pk=category.pk)
    if taken.exists():
        raise ValidationError(
            {"code": [_("Une autre catégorie de ce dispositif a déjà le code « %(code)s ».") % {"code": item.code}]}
        )
    created = category is None
    if category is None:
        category = ExpenseCategory(programme=programme)
    changed = [name for name, value in values.items() if getattr(category, name) != value]
    if not changed:
        return category, False, []
    for name in changed:
        setattr(category, name, values[name])
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"code": [_("Une autre catégorie de ce dispositif a déjà le code « %(code)s ».") % {"code": item.code}]}
        ) from exc
    journal.record(
        actor=actor,
        action="grants.category.created" if created else "grants.category.updated",
        target=category,
        data={"programme": programme.slug, "code": category.code, "changed": changed},
    )
    return category, created, changed


# --- programmes -------------------------------------------------------------------------------


@transaction.atomic
def programme_create(*, actor: Any, categories: Sequence[CategoryInput] = (), **fields: Any) -> GrantProgramme:
    """Create a programme with its expense categories. ``fields`` are the names in
    ``FIELDS`` (slug may be empty: made from the name)."""
    _require(actor)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown programme fields: {sorted(unknown)}")
    values = clean_programme({**DEFAULTS, **fields})
    try:
        with transaction.atomic():
            programme = GrantProgramme.objects.create(**values)
    except IntegrityError as exc:
        raise _integrity_error(values, None) from exc
    _apply_categories(actor=actor, programme=programme, categories=[c for c in categories if not c.delete])
    journal.record(
        actor=actor,
        action="grants.programme.created",
        target=programme,
        data={"slug": programme.slug, "code": programme.code, "budget": str(programme.budget)},
    )
    return programme


@transaction.atomic
def programme_update(
    *,
    actor: Any,
    programme: GrantProgramme,
    categories: Sequence[CategoryInput] | None = None,
    **fields: Any,
) -> GrantProgramme:
    """Save the programme team's edit (and the categories when given). Fields not given keep
    their value. The budget may not go below what is already committed: checked under the
    programme's row lock, which acceptances take too."""
    _require(actor)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown programme fields: {sorted(unknown)}")
    locked = lock_for_update(GrantProgramme.objects.filter(pk=programme.pk)).get()
    current = {name: getattr(locked, name) for name in FIELDS}
    values = clean_programme({**current, **fields}, programme=locked)
    if values["budget"] < locked.budget:
        committed = envelope(locked).committed
        if values["budget"] < committed:
            raise ValidationError(
                {
                    "budget": [
                        ValidationError(
                            _("L'enveloppe ne peut pas être inférieure aux %(committed)s déjà engagés.")
                            % {"committed": format_euros(committed)},
                            code="below_committed",
                        )
                    ]
                }
            )
    changed = [name for name in FIELDS if current[name] != values[name]]
    for name in changed:
        setattr(locked, name, values[name])
    if changed:
        try:
            with transaction.atomic():
                locked.save(update_fields=changed)
        except IntegrityError as exc:
            raise _integrity_error(values, locked) from exc
    if categories is not None:
        _apply_categories(actor=actor, programme=locked, categories=categories)
    if changed:
        journal.record(
            actor=actor,
            action="grants.programme.updated",
            target=locked,
            data={"changed": {name: [_plain(current[name]), _plain(values[name])] for name in changed}},
        )
    programme.__dict__.update({name: getattr(locked, name) for name in FIELDS})
    return locked


# --- categories -------------------------------------------------------------------------------


@transaction.atomic
def category_save(
    *,
    actor: Any,
    programme: GrantProgramme,
    label: str,
    code: str = "",
    description: str = "",
    is_eligible: bool = True,
    position: int = 0,
    category: ExpenseCategory | None = None,
) -> ExpenseCategory:
    """Add an expense category to ``programme``, or change ``category`` (one of its own)."""
    _require(actor)
    if category is not None and category.programme_id != programme.pk:
        raise ValidationError(_("Cette catégorie n'appartient pas à ce dispositif."))
    item = clean_category(
        CategoryInput(label=label, code=code, description=description, is_eligible=is_eligible, position=position)
    )
    saved, _created, _changed = _category_write(actor=actor, programme=programme, category=category, item=item)
    return saved


@transaction.atomic
def category_delete(*, actor: Any, category: ExpenseCategory) -> None:
    """Remove a category that no dossier uses; one in use must be marked excluded instead."""
    _require(actor)
    if ExpenseLine.objects.filter(category=category).exists():
        raise ValidationError(
            {
                "categories": [
                    _(
                        "La catégorie « %(label)s » figure dans des dossiers : elle ne peut pas être supprimée. "
                        "Décochez « dépense éligible » pour l'exclure."
                    )
                    % {"label": category.label}
                ]
            },
            code="in_use",
        )
    data = {"programme_id": category.programme_id, "code": category.code, "label": category.label}
    journal.record(actor=actor, action="grants.category.deleted", target=category, data=data)
    category.delete()
