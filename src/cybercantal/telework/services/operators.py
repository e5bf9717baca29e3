"""An operator's legal invoicing details (``OperatorBilling``): what its invoices must say.

``operator_billing_save`` creates them or changes them. The rules (French law on invoices):

- the legal name, the address and the SIRET are required; the SIRET is checked by
  python-stdnum (``stdnum.fr.siret``);
- an operator that charges VAT must print its intra-community VAT number: it is required unless
  the operator is under the « franchise en base » (art. 293 B du CGI). When given it is checked
  (``stdnum.fr.tva``) and must carry the SIRET's SIREN;
- the IBAN, when given, is checked (``stdnum.iban``);
- the numbers' prefix has 1 to 10 letters, digits or dashes, and is FROZEN once the operator has
  issued an invoice: the numbers of a year must follow each other without a change;
- payment terms: 0 to 60 days (art. L441-10 du code de commerce caps them at 60 days).

Who: ``telework.issue_invoices`` on the operator (the programme team, or the telecentre
managers of that operator). Errors are French, per field, and nothing is saved when one fails.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum import iban as stdnum_iban
from stdnum.fr import siret as stdnum_siret
from stdnum.fr import tva as stdnum_tva

from cybercantal.accounts.models import Organisation
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update

from ..models import Invoice, OperatorBilling
from .billing import BillingError

FIELDS = (
    "legal_name",
    "legal_form",
    "address",
    "siret",
    "vat_number",
    "vat_exempt",
    "invoice_prefix",
    "payment_terms_days",
    "late_penalty_rate",
    "iban",
)
MAX_PAYMENT_TERMS_DAYS = 60
MAX_ADDRESS_LENGTH = 500
MAX_ADDRESS_LINES = 6
PREFIX_RE = re.compile(r"^[A-Z0-9](?:[A-Z0-9-]{0,8}[A-Z0-9])?$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_invoices(operator: Organisation) -> bool:
    return Invoice.objects.filter(operator=operator).exists()


def frozen_prefix(operator: Organisation, billing: OperatorBilling | None) -> str | None:
    """The prefix that may no longer change (the operator has issued invoices), else ``None``."""
    last = Invoice.objects.filter(operator=operator).order_by("-issued_on", "-pk").values_list("number", flat=True)
    number = last.first()
    if number is None:
        return None
    if billing is not None and billing.pk is not None:
        return billing.invoice_prefix
    return number.rsplit("-", 2)[0]  # details deleted and typed again: the numbers' own prefix


def _text(value: Any, *, multiline: bool = False) -> str:
    """A typed text, trimmed, its inner spaces collapsed (lines kept when ``multiline``)."""
    if value is None:
        return ""
    text = str(value)
    if multiline:
        lines = (" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        return "\n".join(line for line in lines if line)
    return " ".join(text.split())


def _check_text(errors: dict[str, list[str]], name: str, value: str, *, limit: int, required: str = "") -> None:
    if "\x00" in value or CONTROL_RE.search(value):
        errors[name] = [_("Ce texte contient des caractères invisibles non autorisés : retapez-le.")]
    elif required and not value:
        errors[name] = [required]
    elif len(value) > limit:
        errors[name] = [
            _("%(limit)s caractères au plus (vous en avez saisi %(count)s).") % {"limit": limit, "count": len(value)}
        ]


def _siret(errors: dict[str, list[str]], value: str) -> str:
    if not value:
        errors["siret"] = [_("Indiquez le SIRET de l'exploitant : il figure obligatoirement sur ses factures.")]
        return ""
    try:
        return str(stdnum_siret.validate(value))
    except stdnum_errors.InvalidLength:
        digits = sum(c.isdigit() for c in value)
        errors["siret"] = [_("Un numéro SIRET compte 14 chiffres (vous en avez saisi %(n)s).") % {"n": digits}]
    except stdnum_errors.InvalidFormat:
        errors["siret"] = [_("Un numéro SIRET ne contient que des chiffres (les espaces sont acceptés).")]
    except stdnum_errors.ValidationError:
        errors["siret"] = [
            _("Ce numéro SIRET n'est pas valide : un chiffre est probablement erroné (clé de contrôle).")
        ]
    return ""


def _vat_number(errors: dict[str, list[str]], value: str, *, vat_exempt: bool, siret: str) -> str:
    if not value:
        if not vat_exempt:
            errors["vat_number"] = [
                _(
                    "Indiquez le numéro de TVA intracommunautaire : il est obligatoire sur les factures avec TVA. "
                    "Si l'exploitant ne facture pas la TVA, cochez la franchise en base (art. 293 B du CGI)."
                )
            ]
        return ""
    try:
        number = "FR" + str(stdnum_tva.validate(value))
    except stdnum_errors.InvalidLength:
        errors["vat_number"] = [
            _("Un numéro de TVA français compte FR suivi de 11 caractères, par exemple FR 44 732829320.")
        ]
        return ""
    except stdnum_errors.InvalidFormat:
        errors["vat_number"] = [
            _("Un numéro de TVA français commence par FR, suivi de 2 chiffres de clé et des 9 chiffres du SIREN.")
        ]
        return ""
    except stdnum_errors.ValidationError:
        errors["vat_number"] = [
            _("Ce numéro de TVA n'est pas valide : sa clé ne correspond pas au SIREN. Vérifiez chaque chiffre.")
        ]
        return ""
    if siret and number[-9:] != stdnum_siret.to_siren(siret):
        errors["vat_number"] = [
            _(
                "Ce numéro de TVA est celui du SIREN %(vat_siren)s, pas de l'entreprise du SIRET "
                "(SIREN %(siren)s) : les deux doivent désigner la même entreprise."
            )
            % {"vat_siren": number[-9:], "siren": stdnum_siret.to_siren(siret)}
        ]
        return ""
    return number


def _iban(errors: dict[str, list[str]], value: str) -> str:
    if not value:
        return ""
    try:
        return str(stdnum_iban.validate(value))
    except stdnum_errors.ValidationError as exc:
        compact = stdnum_iban.compact(value)
        if isinstance(exc, stdnum_errors.InvalidFormat) or not compact[:2].isalpha():
            message = _("Un IBAN commence par le code du pays (FR) et ne contient que des lettres et des chiffres.")
        elif isinstance(exc, stdnum_errors.InvalidLength) or (compact[:2] == "FR" and len(compact) != 27):
            message = _("Cet IBAN n'a pas la bonne longueur (27 caractères pour un compte en France).")
        else:
            message = _("Cet IBAN n'est pas valide : sa clé de contrôle ne correspond pas. Vérifiez chaque caractère.")
        errors["iban"] = [message]
    return ""


def _prefix(errors: dict[str, list[str]], value: str, frozen: str | None) -> str:
    prefix = value.replace(" ", "").upper()
    if frozen is not None and prefix != frozen:
        errors["invoice_prefix"] = [
            _(
                "Le préfixe reste « %(prefix)s » : cet exploitant a déjà émis des factures, et leur numérotation "
                "ne doit pas changer en cours d'année (les numéros se suivent sans rupture)."
            )
            % {"prefix": frozen}
        ]
    elif not prefix:
        errors["invoice_prefix"] = [_("Indiquez le préfixe des numéros de facture, par exemple FAC ou TC-MUR.")]
    elif not PREFIX_RE.match(prefix):
        errors["invoice_prefix"] = [
            _(
                "Le préfixe compte 1 à 10 lettres sans accent, chiffres ou tirets, sans tiret au début ni à la fin "
                "(par exemple FAC ou TC-MUR)."
            )
        ]
    return prefix


def _payment_terms(errors: dict[str, list[str]], value: Any) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError
        days = value if isinstance(value, int) else int(str(value).strip())
    except (TypeError, ValueError):
        errors["payment_terms_days"] = [_("Indiquez un nombre de jours, de 0 à 60.")]
        return 0
    if days < 0 or days > MAX_PAYMENT_TERMS_DAYS:
        errors["payment_terms_days"] = [
            _(
                "Le délai de paiement va de 0 (à réception) à 60 jours : la loi (art. L441-10 du code de commerce) "
                "ne permet pas plus de 60 jours."
            )
        ]
    return days


@transaction.atomic
def operator_billing_save(*, actor: Any, operator: Organisation, **fields: Any) -> OperatorBilling:
    """Create or change ``operator``'s invoicing details. ``fields``: any of ``FIELDS``; those
    not given keep their current value (or the model's default for a new record)."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"operator_billing_save() got unexpected fields: {sorted(unknown)}")
    if actor is None or not actor.has_perm("telework.issue_invoices", operator):
        raise BillingError(
            _("Vous ne pouvez pas modifier les mentions des factures de cet exploitant."), code="forbidden"
        )
    billing = lock_for_update(OperatorBilling.objects.filter(operator=operator)).first()
    created = billing is None
    if billing is None:
        billing = OperatorBilling(operator=operator)
    before = {name: getattr(billing, name) for name in FIELDS}
    values = {name: fields.get(name, before[name]) for name in FIELDS}

    errors: dict[str, list[str]] = {}
    legal_name = _text(values["legal_name"])
    _check_text(
        errors,
        "legal_name",
        legal_name,
        limit=200,
        required=_("Indiquez la raison sociale : le nom légal de l'exploitant, tel qu'inscrit au registre."),
    )
    legal_form = _text(values["legal_form"])
    _check_text(errors, "legal_form", legal_form, limit=200)
    address = _text(values["address"], multiline=True)
    _check_text(
        errors,
        "address",
        address,
        limit=MAX_ADDRESS_LENGTH,
        required=_("Indiquez l'adresse du siège : elle figure obligatoirement sur les factures."),
    )
    if "address" not in errors and address.count("\n") >= MAX_ADDRESS_LINES:
        errors["address"] = [_("L'adresse tient en %(n)s lignes au plus.") % {"n": MAX_ADDRESS_LINES}]
    late_penalty_rate = _text(values["late_penalty_rate"])
    _check_text(
        errors,
        "late_penalty_rate",
        late_penalty_rate,
        limit=100,
        required=_("Indiquez le taux des pénalités de retard, par exemple « 3 fois le taux d'intérêt légal »."),
    )
    raw = {name: _text(values[name]) for name in ("siret", "vat_number", "iban", "invoice_prefix")}
    for name, value in raw.items():
        _check_text(errors, name, value, limit=60)
    vat_exempt = bool(values["vat_exempt"])
    siret = _siret(errors, raw["siret"]) if "siret" not in errors else ""
    vat_number = (
        _vat_number(errors, raw["vat_number"], vat_exempt=vat_exempt, siret=siret) if "vat_number" not in errors else ""
    )
    iban = _iban(errors, raw["iban"]) if "iban" not in errors else ""
    prefix = (
        _prefix(errors, raw["invoice_prefix"], frozen_prefix(operator, None if created else billing))
        if "invoice_prefix" not in errors
        else ""
    )
    payment_terms_days = _payment_terms(errors, values["payment_terms_days"])
    if errors:
        raise ValidationError(errors, code="invalid")

    billing.legal_name = legal_name
    billing.legal_form = legal_form
    billing.address = address
    billing.siret = siret
    billing.vat_number = vat_number
    billing.vat_exempt = vat_exempt
    billing.invoice_prefix = prefix
    billing.payment_terms_days = payment_terms_days
    billing.late_penalty_rate = late_penalty_rate
    billing.iban = iban
    changed = sorted(name for name in FIELDS if getattr(billing, name) != before[name])
    if not created and not changed:
        return billing
    try:
        with transaction.atomic():
            billing.save()
    except IntegrityError as exc:  # two first saves at the same moment (one per operator)
        raise ValidationError(
            _(
                "Les mentions de cet exploitant viennent d'être enregistrées par une autre personne : "
                "rechargez la page."
            ),
            code="conflict",
        ) from exc
    journal.record(
        actor=actor,
        action="telework.operator_billing.created" if created else "telework.operator_billing.updated",
        target=operator,
        data={"fields": changed},  # the names only: an IBAN has no place in the journal
    )
    return billing


def missing_billing(operators: Any) -> list[Organisation]:
    """Among ``operators`` (a queryset), those without invoicing details, by name."""
    return list(operators.filter(telework_billing__isnull=True).order_by("name"))
