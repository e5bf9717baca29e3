"""Payment of an accepted dossier (issue 7 §5): paid invoices, their check, the payment order
and the export for the paying accountant.

- The business adds its paid invoices, one or more per expense line that counts (eligible
  category, not set aside by the instructor), and asks for the payment.
- The instructor accepts each invoice with the amount retained (never above the invoice) or
  rejects it with a reason.
- ``payment_compute``: rate x Σ over counting lines of min(accepted invoices of the line,
  the line's amount), rounded half-up to the cent once, never more than what is decided and
  not yet paid. A line invoiced above its quote counts up to the quote.
- ``payment_order``: the Payment row, ``paid_amount`` raised (the database refuses more than
  the decision), the dossier moved to "paid" (which emails the applicant). The dossier row is
  locked: a double click or two instructors at once give one payment.
- ``payments_export``: the rows of the accountant's CSV; with ``only_new`` the payments not
  exported yet, marked exported in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError

from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.links import absolute_url
from cybercantal.core.money import format_euros, round_cents
from cybercantal.core.tasks import email_on_commit

from ..models import (
    ZERO,
    Application,
    DocumentKind,
    ExpenseLine,
    GrantProgramme,
    InvoiceStatus,
    PaidInvoice,
    Payment,
    Status,
)
from ..queries.payment import url_or
from . import amounts, documents, workflow

MAX_AMOUNT = Decimal("10000000")
SUPPLIER_MAX = 200
NUMBER_MAX = 60
REASON_MAX = 300
REFERENCE_MAX = 30
REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


class PaymentRefusedError(Exception):
    """An action on the payment that the state of the dossier does not allow (French ``message``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Reads used by the rules ---------------------------------------------------------------------


def counting_lines(application: Application) -> QuerySet[ExpenseLine]:
    """The expense lines that count for the aid: eligible category, not set aside."""
    return (
        application.lines.select_related("category")
        .filter(category__is_eligible=True, is_ineligible=False)
        .order_by("position", "pk")
    )


@dataclass(frozen=True)
class PaymentLine:
    line: ExpenseLine
    counts: bool
    line_amount: Decimal  # the line's amount excluding VAT (the quote)
    invoiced: Decimal  # Σ invoice amounts (every status)
    accepted: Decimal  # Σ accepted amounts
    retained: Decimal  # min(accepted, line amount) for a counting line, else 0

    @property
    def above_line(self) -> bool:
        return self.counts and self.accepted > self.line_amount


@dataclass(frozen=True)
class PaymentFigures:
    rate_percent: Decimal
    lines: tuple[PaymentLine, ...]
    paid_eligible_total: Decimal  # Σ retained
    uncapped: Decimal  # rate x paid eligible total, rounded to the cent
    decided: Decimal
    already_paid: Decimal
    amount: Decimal  # what may be paid now

    @property
    def remaining(self) -> Decimal:
        return self.decided - self.already_paid

    @property
    def capped(self) -> bool:
        return self.uncapped > self.amount


def payment_compute(application: Application) -> PaymentFigures:
    """The payment of ``application`` as it would be ordered now (no write).

    ``rate x Σ_lines min(Σ accepted invoice amounts of the line, line amount)``, over the
    lines that count, rounded half-up to the cent once, at most ``decided − already paid``."""
    lines = list(application.lines.select_related("category").order_by("position", "pk"))
    accepted: dict[int, Decimal] = {}
    invoiced: dict[int, Decimal] = {}
    for invoice in PaidInvoice.objects.filter(application=application).only(
        "line_id", "amount", "status", "accepted_amount"
    ):
        invoiced[invoice.line_id] = invoiced.get(invoice.line_id, ZERO) + invoice.amount
        if invoice.status == InvoiceStatus.ACCEPTED and invoice.accepted_amount is not None:
            accepted[invoice.line_id] = accepted.get(invoice.line_id, ZERO) + invoice.accepted_amount
    rows = []
    total = ZERO
    for line in lines:
        counts = amounts.line_counts(line)
        line_accepted = accepted.get(line.pk, ZERO)
        retained = min(line_accepted, line.amount) if counts else ZERO
        total += retained
        rows.append(
            PaymentLine(
                line=line,
                counts=counts,
                line_amount=line.amount,
                invoiced=invoiced.get(line.pk, ZERO),
                accepted=line_accepted,
                retained=retained,
            )
        )
    rate = application.programme.rate_percent
    uncapped = round_cents(total * rate / Decimal(100))
    decided = application.decided_amount if application.decided_amount is not None else ZERO
    already = application.paid_amount or ZERO
    amount = max(ZERO, min(uncapped, decided - already))
    return PaymentFigures(
        rate_percent=rate,
        lines=tuple(rows),
        paid_eligible_total=round_cents(total),
        uncapped=uncapped,
        decided=decided,
        already_paid=already,
        amount=round_cents(amount),
    )


# --- Input checks shared by the forms and the services ----------------------------------------------


def check_invoice_date(value: date, programme: GrantProgramme) -> None:
    today = timezone.localdate()
    if value > today:
        raise ValidationError(_("La date de la facture ne peut pas être dans le futur."), code="future")
    if value < programme.opens_on:
        raise ValidationError(
            _("La facture est antérieure à l'ouverture du dispositif (%(date)s) : elle ne peut pas être retenue.")
            % {"date": programme.opens_on.strftime("%d/%m/%Y")},
            code="before_programme",
        )


def check_amount(value: Any, *, allow_zero: bool = False) -> Decimal:
    """A money amount: a Decimal with at most two places, > 0 (or ≥ 0), not absurd."""
    if isinstance(value, (float, bool)):
        raise ValidationError(_("Indiquez un montant en euros."), code="invalid")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(_("Indiquez un montant en euros, par exemple 1250,50."), code="invalid") from None
    if not amount.is_finite():
        raise ValidationError(_("Indiquez un montant en euros, par exemple 1250,50."), code="invalid")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(
            _("Le montant doit être positif.") if allow_zero else _("Le montant doit être supérieur à zéro."),
            code="min_value",
        )
    if amount > MAX_AMOUNT:
        raise ValidationError(_("Ce montant n'est pas plausible (10 000 000 € au plus)."), code="max_value")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("Un montant a au plus deux chiffres après la virgule."), code="decimal_places")
    return round_cents(amount)


def normalise_iban(value: str) -> str:
    """The IBAN without spaces, upper case; ``ValidationError`` (French, field ``iban``) when its
    country format or its check digits are wrong."""
    compact = stdnum_iban.compact(value or "")
    if not compact:
        raise ValidationError({"iban": _("Indiquez l'IBAN du compte à créditer.")}, code="required")
    if len(compact) > 34 or not compact.isascii() or not compact.isalnum():
        raise ValidationError({"iban": _("Un IBAN ne contient que des lettres et des chiffres (34 au plus).")})
    try:
        return str(stdnum_iban.validate(compact))
    except StdnumValidationError:
        raise ValidationError(
            {
                "iban": _(
                    "Cet IBAN n'est pas valide : vérifiez les deux lettres du pays, la clé (2 chiffres) "
                    "et le nombre de caractères (27 pour un compte français)."
                )
            },
            code="invalid",
        ) from None


def format_iban(value: str) -> str:
    compact = stdnum_iban.compact(value or "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _require_status(application: Application, allowed: set[str], message: str) -> None:
    if application.status not in allowed:
        raise PaymentRefusedError(message)


def _not_accepted_message(application: Application) -> str:
    if application.status == Status.PAID:
        return _("Le versement du dossier %(ref)s est déjà ordonné : il ne peut plus être modifié.") % {
            "ref": application.reference
        }
    return _("Le dossier %(ref)s n'est pas accepté : les factures ne peuvent être déposées qu'après l'acceptation.") % {
        "ref": application.reference
    }


# --- The business: invoices and the request -----------------------------------------------------------


@transaction.atomic
def invoice_add(
    *,
    actor: Any,
    application: Application,
    line: ExpenseLine,
    supplier: str,
    invoice_number: str,
    invoice_date: date,
    amount: Decimal,
    file: Any,
) -> PaidInvoice:
    """Add a paid invoice for ``line``. ``ValidationError`` (per field) for bad input,
    ``PaymentRefusedError`` when the dossier is not (or no longer) waiting for invoices."""
    require_permission(actor, "grants.claim_payment", application)
    locked = workflow.lock_application(application)
    _require_status(locked, {Status.ACCEPTED}, _not_accepted_message(locked))
    errors: dict[str, list[str]] = {}
    if line is None or line.application_id != locked.pk or not counting_lines(locked).filter(pk=line.pk).exists():
        errors.setdefault("line", []).append(_("Choisissez une dépense retenue de ce dossier."))
    supplier = (supplier or "").strip()
    invoice_number = (invoice_number or "").strip()
    if not supplier:
        errors.setdefault("supplier", []).append(_("Indiquez le fournisseur."))
    elif len(supplier) > SUPPLIER_MAX:
        errors.setdefault("supplier", []).append(_("200 caractères au plus."))
    if not invoice_number:
        errors.setdefault("invoice_number", []).append(_("Indiquez le numéro de la facture."))
    elif len(invoice_number) > NUMBER_MAX:
        errors.setdefault("invoice_number", []).append(_("60 caractères au plus."))
    if not isinstance(invoice_date, date) or isinstance(invoice_date, datetime):
        errors.setdefault("invoice_date", []).append(_("Indiquez la date de la facture."))
    else:
        try:
            check_invoice_date(invoice_date, locked.programme)
        except ValidationError as exc:
            errors.setdefault("invoice_date", []).extend(exc.messages)
    try:
        amount = check_amount(amount)
    except ValidationError as exc:
        errors.setdefault("amount", []).extend(exc.messages)
    if file is None:
        errors.setdefault("file", []).append(_("Joignez la facture (PDF ou image)."))
    if errors:
        raise ValidationError(errors)
    try:
        document = documents.document_store(actor=actor, application=locked, file=file, kind=DocumentKind.INVOICE)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    invoice = PaidInvoice.objects.create(
        application=locked,
        line=line,
        document=document,
        supplier=supplier,
        invoice_number=invoice_number,
        invoice_date=invoice_date,
        amount=amount,
    )
    journal.record(
        actor=actor,
        action="grants.invoice.added",
        target=locked,
        data={"invoice": invoice.pk, "line": line.pk, "amount": str(amount), "number": invoice_number},
    )
    return invoice


@transaction.atomic
def invoice_remove(*, actor: Any, invoice: PaidInvoice) -> None:
    """Remove an invoice the instructor has not checked yet (its file with it)."""
    application = invoice.application
    require_permission(actor, "grants.claim_payment", application)
    locked = workflow.lock_application(application)
    _require_status(locked, {Status.ACCEPTED}, _not_accepted_message(locked))
    current = lock_for_update(PaidInvoice.objects.select_related("document")).filter(pk=invoice.pk).first()
    if current is None:
        return  # already removed (second click)
    if current.status != InvoiceStatus.PENDING:
        raise PaymentRefusedError(
            _("La facture %(number)s a déjà été vérifiée par l'instructeur : elle ne peut plus être retirée.")
            % {"number": current.invoice_number}
        )
    document = current.document
    data = {"invoice": current.pk, "number": current.invoice_number, "amount": str(current.amount)}
    current.delete()
    stored_file = document.file
    document.delete()
    if stored_file:
        name, storage = stored_file.name, stored_file.storage
        transaction.on_commit(lambda: storage.delete(name))
    journal.record(actor=actor, action="grants.invoice.removed", target=locked, data=data)


def payment_recipients(application: Application) -> list[str]:
    """Who is told that the business asks for the payment: the dossier's instructor, else the
    programme's contact address."""
    instructor = application.instructor
    if instructor is not None and instructor.is_active and instructor.email:
        return [instructor.email]
    if application.programme.contact_email:
        return [application.programme.contact_email]
    return []


@transaction.atomic
def payment_request(*, actor: Any, application: Application) -> list[str]:
    """ "Demander le versement": tells the instructor that invoices wait for the check.
    Returns the addresses told (may be empty when the programme has none)."""
    require_permission(actor, "grants.claim_payment", application)
    locked = workflow.lock_application(application)
    _require_status(locked, {Status.ACCEPTED}, _not_accepted_message(locked))
    invoices = PaidInvoice.objects.filter(application=locked)
    pending = invoices.filter(status=InvoiceStatus.PENDING).count()
    if not invoices.exclude(status=InvoiceStatus.REJECTED).exists():
        raise PaymentRefusedError(_("Ajoutez au moins une facture acquittée avant de demander le versement."))
    recipients = payment_recipients(locked)
    url = absolute_url(url_or("grants:payment", [locked.reference], f"/aides/instruction/{locked.reference}/paiement/"))
    if recipients:
        email_on_commit(
            subject=_("Dossier %(ref)s : demande de versement") % {"ref": locked.reference},
            body="\n".join(
                [
                    _("%(business)s demande le versement de l'aide du dossier %(ref)s.")
                    % {"business": locked.business_name or locked.organisation.name, "ref": locked.reference},
                    _("%(count)s facture(s) à vérifier.") % {"count": pending},
                    "",
                    _("Vérifier les factures : %(url)s") % {"url": url},
                ]
            ),
            to=recipients,
        )
    journal.record(
        actor=actor,
        action="grants.payment.requested",
        target=locked,
        data={"pending": pending, "told": len(recipients)},
    )
    return recipients


# --- The instructor: the check -------------------------------------------------------------------------


def _locked_invoice(invoice: PaidInvoice) -> tuple[Application, PaidInvoice]:
    locked = workflow.lock_application(invoice.application_id)
    _require_status(locked, {Status.ACCEPTED}, _not_accepted_message(locked))
    current = lock_for_update(PaidInvoice.objects.filter(application=locked)).filter(pk=invoice.pk).first()
    if current is None:
        raise PaymentRefusedError(_("Cette facture a été retirée par l'entreprise."))
    return locked, current


@transaction.atomic
def invoice_accept(*, actor: Any, invoice: PaidInvoice, accepted_amount: Decimal) -> PaidInvoice:
    """Retain the invoice for ``accepted_amount`` (at most the invoice's amount)."""
    require_permission(actor, "grants.record_payment", invoice.application)
    locked, current = _locked_invoice(invoice)
    try:
        accepted_amount = check_amount(accepted_amount, allow_zero=True)
    except ValidationError as exc:
        raise ValidationError({"accepted_amount": exc.messages}) from exc
    if accepted_amount > current.amount:
        raise ValidationError(
            {
                "accepted_amount": _("Le montant retenu ne peut pas dépasser le montant de la facture (%(amount)s).")
                % {"amount": format_euros(current.amount)}
            }
        )
    previous = current.status
    current.status = InvoiceStatus.ACCEPTED
    current.accepted_amount = accepted_amount
    current.rejection_reason = ""
    current.checked_by = actor if getattr(actor, "pk", None) else None
    current.checked_at = timezone.now()
    current.save(update_fields=["status", "accepted_amount", "rejection_reason", "checked_by", "checked_at"])
    journal.record(
        actor=actor,
        action="grants.invoice.accepted",
        target=locked,
        data={"invoice": current.pk, "accepted_amount": str(accepted_amount), "previous": previous},
    )
    invoice.status, invoice.accepted_amount = current.status, current.accepted_amount
    return current


@transaction.atomic
def invoice_reject(*, actor: Any, invoice: PaidInvoice, reason: str) -> PaidInvoice:
    """Set the invoice aside, with the reason the business will read."""
    require_permission(actor, "grants.record_payment", invoice.application)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez pourquoi la facture est écartée.")}, code="required")
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("300 caractères au plus.")}, code="max_length")
    locked, current = _locked_invoice(invoice)
    previous = current.status
    current.status = InvoiceStatus.REJECTED
    current.accepted_amount = None
    current.rejection_reason = reason
    current.checked_by = actor if getattr(actor, "pk", None) else None
    current.checked_at = timezone.now()
    current.save(update_fields=["status", "accepted_amount", "rejection_reason", "checked_by", "checked_at"])
    journal.record(
        actor=actor,
        action="grants.invoice.rejected",
        target=locked,
        data={"invoice": current.pk, "reason": reason, "previous": previous},
    )
    invoice.status, invoice.accepted_amount = current.status, None
    return current


# --- The payment order ---------------------------------------------------------------------------------


def default_reference(application: Application) -> str:
    n = Payment.objects.filter(application=application).count() + 1
    return f"{application.reference}-V{n}"[:REFERENCE_MAX]


@transaction.atomic
def payment_order(
    *,
    actor: Any,
    application: Application,
    ordered_on: date,
    iban: str,
    reference: str | None = None,
) -> Payment:
    """Order the payment of ``application``: the amount is ``payment_compute``'s, never the
    caller's. Refused (``PaymentRefusedError``) when the dossier is not accepted (a second click
    finds it paid) or when no invoice is retained; ``ValidationError`` for a bad IBAN, date or
    reference."""
    require_permission(actor, "grants.record_payment", application)
    locked = workflow.lock_application(application)
    if locked.status == Status.PAID:
        existing = Payment.objects.filter(application=locked).order_by("-pk").first()
        raise PaymentRefusedError(
            _("Le versement du dossier %(ref)s est déjà ordonné (mandat %(mandat)s).")
            % {"ref": locked.reference, "mandat": existing.reference if existing else "—"}
        )
    if locked.status != Status.ACCEPTED:
        raise PaymentRefusedError(
            _("Le dossier %(ref)s est « %(state)s » : seul un dossier accepté peut être payé.")
            % {"ref": locked.reference, "state": Status(locked.status).label}
        )
    errors: dict[str, list[str]] = {}
    try:
        iban = normalise_iban(iban)
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    if not isinstance(ordered_on, date) or isinstance(ordered_on, datetime):
        errors.setdefault("ordered_on", []).append(_("Indiquez la date du mandat."))
    else:
        if ordered_on > timezone.localdate():
            errors.setdefault("ordered_on", []).append(_("La date du mandat ne peut pas être dans le futur."))
        decided_on = timezone.localdate(locked.decided_at) if locked.decided_at else None
        if decided_on and ordered_on < decided_on:
            errors.setdefault("ordered_on", []).append(
                _("La date du mandat ne peut pas précéder la décision (%(date)s).")
                % {"date": decided_on.strftime("%d/%m/%Y")}
            )
    reference = (reference or "").strip()
    if reference:
        if len(reference) > REFERENCE_MAX:
            errors.setdefault("reference", []).append(_("30 caractères au plus."))
        elif not REFERENCE_RE.match(reference):
            errors.setdefault("reference", []).append(
                _("Lettres, chiffres et les signes - _ . / seulement, sans espace.")
            )
    if errors:
        raise ValidationError(errors)
    figures = payment_compute(locked)
    if figures.paid_eligible_total <= 0:
        raise PaymentRefusedError(_("Aucune facture n'est retenue : retenez au moins une facture avant le versement."))
    if figures.amount <= 0:
        raise PaymentRefusedError(_("L'aide accordée est entièrement versée : il ne reste rien à payer."))
    reference = reference or default_reference(locked)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                application=locked,
                amount=figures.amount,
                paid_eligible_total=figures.paid_eligible_total,
                ordered_on=ordered_on,
                iban=iban,
                reference=reference,
                recorded_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"reference": _("La référence de mandat « %(ref)s » est déjà utilisée.") % {"ref": reference}}
        ) from exc
    locked.paid_amount = (locked.paid_amount or ZERO) + figures.amount
    try:
        with transaction.atomic():
            locked.save(update_fields=["paid_amount", "updated_at"])
    except IntegrityError as exc:  # the database: never more than decided
        raise PaymentRefusedError(_("Ce versement dépasserait l'aide accordée : il est refusé.")) from exc
    journal.record(
        actor=actor,
        action="grants.payment.ordered",
        target=locked,
        data={
            "payment": reference,
            "amount": str(figures.amount),
            "paid_eligible_total": str(figures.paid_eligible_total),
            "ordered_on": ordered_on.isoformat(),
        },
    )
    workflow.application_transition(
        actor=actor,
        application=locked,
        to_status=Status.PAID,
        comment=_("Montant versé : %(amount)s (mandat %(ref)s).")
        % {"amount": format_euros(figures.amount), "ref": reference},
        data={"payment": reference, "amount": str(figures.amount)},
    )
    application.status = Status.PAID
    application.paid_amount = locked.paid_amount
    return payment


# --- The accountant's export ---------------------------------------------------------------------------


@transaction.atomic
def payments_export(
    *,
    actor: Any,
    payments: QuerySet[Payment],
    only_new: bool = False,
) -> list[Payment]:
    """The payments of the export, in order. With ``only_new``, the ones not exported yet
    among ``payments`` (already filtered by the caller), marked exported now, journalled; two
    accountants exporting at once never both get the same payment."""
    require_permission(actor, "grants.export_payments")
    if not only_new:
        return list(payments.select_related("application__programme", "application__organisation"))
    candidates = payments.filter(exported_at__isnull=True).order_by()
    pks = list(lock_for_update(Payment.objects.filter(pk__in=candidates.values("pk"))).values_list("pk", flat=True))
    # Re-read under the lock: a payment exported by a concurrent export meanwhile is left out.
    pks = list(Payment.objects.filter(pk__in=pks, exported_at__isnull=True).values_list("pk", flat=True))
    now = timezone.now()
    Payment.objects.filter(pk__in=pks).update(exported_at=now)
    rows = list(
        Payment.objects.filter(pk__in=pks)
        .select_related("application__programme", "application__organisation")
        .order_by("ordered_on", "pk")
    )
    journal.record(
        actor=actor,
        action="grants.payments.exported",
        data={
            "count": len(rows),
            "references": [p.reference for p in rows][:500],
            "total": str(sum((p.amount for p in rows), ZERO)),
        },
    )
    return rows
