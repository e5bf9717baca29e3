"""Every write on the kiosk fleet (issue 5 §1 and §4): kiosks, their tokens, heartbeats,
incidents and the daily uptime.

- ``kiosk_create`` / ``kiosk_update``: the record (code unique, host place published and fit
  for a kiosk, canton copied from the place);
- ``kiosk_token_issue`` / ``kiosk_token_revoke``: the kiosk's secret for its heartbeats. Only
  its SHA-256 and its first 8 characters are stored; the clear token is returned once;
- ``heartbeat_record``: one signal of life (one row per kiosk and minute, idempotent);
- ``incidents_detect`` (every 5 minutes): a kiosk in service, silent for more than 30 minutes
  of its host's opening hours, gets an incident and one alert email;
- ``uptime_compute_day`` (nightly), ``heartbeats_purge_old`` (retention, 90 days);
- ``incident_set_cause``: staff say why a kiosk was offline.

Every function is keyword-only, runs in one transaction and raises ``ValidationError`` with
French messages keyed by field, ``PermissionDenied``, or ``HeartbeatRefusedError``. A race on a
unique constraint ends in the same French message, never a 500.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.models import Role, RoleMembership
from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.links import absolute_url
from cybercantal.core.tasks import email_on_commit
from cybercantal.kiosks.models import (
    ConnectionTechnology,
    Heartbeat,
    Incident,
    Kiosk,
    KioskStatus,
    KioskToken,
    UptimeDay,
)
from cybercantal.kiosks.queries import fleet as queries
from cybercantal.places.models import Place, PlaceKind, PlaceOffer, PlaceStatus

logger = logging.getLogger("cybercantal.kiosks")

MANAGE_PERM = "kiosks.manage_fleet"
CODE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Words of the staff addresses under /bornes/ (other pages of the app): never a kiosk code.
RESERVED_CODES = (
    "agent",
    "agents",
    "aide",
    "couverture",
    "demandes",
    "formations",
    "incidents",
    "nouvelle",
    "statistiques",
    "usage",
    "export",
)
TOKEN_BYTES = 32
PREFIX_LENGTH = 8
OFFLINE_AFTER = timedelta(minutes=30)  # of opening hours, before an incident is opened
HEARTBEAT_RETENTION = timedelta(days=90)
MAX_SPEED = Decimal("100000")
# Kinds of places that may host a kiosk even before "kiosk" is in their offers.
HOST_KINDS = (PlaceKind.MAIRIE, PlaceKind.MSAP, PlaceKind.FRANCE_SERVICES, PlaceKind.CC_SIEGE, PlaceKind.EPN)
EDITABLE_FIELDS = (
    "code",
    "place",
    "status",
    "status_note",
    "hardware_model",
    "serial_number",
    "installed_on",
    "connection_technology",
    "connection_speed_mbps",
    "idle_timeout_seconds",
    "help_location",
)


class HeartbeatRefusedError(Exception):
    """A heartbeat whose token is missing, unknown or revoked. ``reason`` is one of these words."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


# --- Rules shared by the forms and the services ------------------------------------------------


def place_can_host(place: Place) -> bool:
    """A published place that offers a kiosk, or whose kind suits one (mairie, MSAP...)."""
    offers = set(place.offers or [])
    return place.status == PlaceStatus.PUBLISHED and (PlaceOffer.KIOSK in offers or place.kind in HOST_KINDS)


def host_places_q() -> Q:
    """The rule of ``place_can_host`` as a filter on places."""
    return Q(status=PlaceStatus.PUBLISHED) & (Q(offers__has=PlaceOffer.KIOSK) | Q(kind__in=HOST_KINDS))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_prefix(token: str) -> str:
    """What may be shown and logged of a token: its first 8 characters, printable only."""
    return "".join(ch for ch in str(token)[:PREFIX_LENGTH] if ch.isprintable())


def _require(actor: Any, perm: str = MANAGE_PERM) -> None:
    require_permission(actor, perm, message=_("Seule l'équipe du programme gère le parc de bornes."))


def _clean(data: dict[str, Any], *, kiosk: Kiosk | None) -> dict[str, Any]:
    """Checks every field and returns the values to store; raises one ValidationError keyed by field."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    code = str(data.get("code") or "").strip().lower()
    if not code:
        errors["code"] = _("Indiquez le code de la borne (par exemple « murat »).")
    elif len(code) > 40 or not CODE_RE.match(code):
        errors["code"] = _("Le code s'écrit en minuscules sans accents, chiffres et tirets (40 caractères au plus).")
    elif code in RESERVED_CODES:
        errors["code"] = _("« %(code)s » est réservé par l'application : choisissez un autre code.") % {"code": code}
    elif Kiosk.objects.filter(code=code).exclude(pk__in=[kiosk.pk] if kiosk else []).exists():
        errors["code"] = _("Une autre borne porte déjà le code « %(code)s ».") % {"code": code}
    out["code"] = code

    place = data.get("place")
    if not isinstance(place, Place):
        errors["place"] = _("Choisissez le lieu qui accueille la borne.")
    elif not place_can_host(place):
        errors["place"] = _("Ce lieu ne peut pas accueillir de borne : il doit être publié et proposer une borne.")
    out["place"] = place

    status = str(data.get("status") or KioskStatus.PLANNED)
    if status not in KioskStatus.values:
        errors["status"] = _("État inconnu.")
    out["status"] = status

    technology = str(data.get("connection_technology") or ConnectionTechnology.ADSL)
    if technology not in ConnectionTechnology.values:
        errors["connection_technology"] = _("Type de connexion inconnu.")
    out["connection_technology"] = technology

    speed = data.get("connection_speed_mbps")
    if speed in (None, ""):
        out["connection_speed_mbps"] = None
    else:
        try:
            speed = Decimal(str(speed).replace(",", ".").strip())
        except InvalidOperation:
            errors["connection_speed_mbps"] = _("Le débit est un nombre de Mbit/s, par exemple 20 ou 8,5.")
        else:
            if not speed.is_finite() or speed < 0 or speed > MAX_SPEED:
                errors["connection_speed_mbps"] = _("Le débit est compris entre 0 et 100 000 Mbit/s.")
            else:
                out["connection_speed_mbps"] = speed.quantize(Decimal("0.1"))

    timeout = data.get("idle_timeout_seconds", 120)
    try:
        timeout = int(timeout if timeout not in (None, "") else 120)
    except (TypeError, ValueError):
        errors["idle_timeout_seconds"] = _("Indiquez un nombre de secondes.")
    else:
        if not 30 <= timeout <= 900:
            errors["idle_timeout_seconds"] = _(
                "Le retour à l'accueil se fait entre 30 et 900 secondes sans toucher l'écran."
            )
        out["idle_timeout_seconds"] = timeout

    installed_on = data.get("installed_on")
    if installed_on is not None and not isinstance(installed_on, date):
        errors["installed_on"] = _("Saisissez une date valide.")
    out["installed_on"] = installed_on

    limits = {"status_note": 255, "hardware_model": 120, "serial_number": 80, "help_location": 200}
    for name, limit in limits.items():
        value = str(data.get(name) or "").strip()
        if "\x00" in value:
            errors[name] = _("Ce texte contient un caractère interdit.")
        elif len(value) > limit:
            errors[name] = _("Ce texte compte au plus %(limit)s caractères.") % {"limit": limit}
        out[name] = value
    if out.get("status") == KioskStatus.OUT_OF_SERVICE and not out.get("status_note") and "status_note" not in errors:
        errors["status_note"] = _("Dites pourquoi la borne est hors service.")
    if errors:
        raise ValidationError(errors)
    out["canton"] = place.canton if isinstance(place, Place) else None
    return out


def _code_taken() -> ValidationError:
    return ValidationError({"code": _("Une autre borne porte déjà ce code.")})


@transaction.atomic
def kiosk_create(*, actor: Any, **data: Any) -> Kiosk:
    """Add a kiosk to the fleet (fields: ``EDITABLE_FIELDS``)."""
    _require(actor)
    values = _clean(data, kiosk=None)
    try:
        with transaction.atomic():
            kiosk = Kiosk.objects.create(**values)
    except IntegrityError as exc:
        raise _code_taken() from exc
    journal.record(actor=actor, action="kiosk.created", target=kiosk, data={"code": kiosk.code})
    return kiosk


@transaction.atomic
def kiosk_update(*, actor: Any, kiosk: Kiosk, **data: Any) -> Kiosk:
    """Change a kiosk's record; only the fields given change (others keep their value)."""
    _require(actor)
    merged = {name: getattr(kiosk, name) for name in EDITABLE_FIELDS}
    merged.update({key: value for key, value in data.items() if key in EDITABLE_FIELDS})
    values = _clean(merged, kiosk=kiosk)
    changed = {name: str(values[name]) for name in values if name != "canton" and getattr(kiosk, name) != values[name]}
    for name, value in values.items():
        setattr(kiosk, name, value)
    try:
        with transaction.atomic():
            kiosk.save()
    except IntegrityError as exc:
        raise _code_taken() from exc
    journal.record(actor=actor, action="kiosk.updated", target=kiosk, data={"changed": changed})
    return kiosk


# --- Tokens ----------------------------------------------------------------------------------


@transaction.atomic
def kiosk_token_issue(*, actor: Any, kiosk: Kiosk) -> str:
    """A new secret for ``kiosk``: revokes the active one and returns the clear token, once."""
    _require(actor)
    lock_for_update(Kiosk.objects.filter(pk=kiosk.pk)).get()
    now = timezone.now()
    KioskToken.objects.filter(kiosk=kiosk, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    try:
        with transaction.atomic():
            record = KioskToken.objects.create(
                kiosk=kiosk,
                token_hash=token_hash(token),
                prefix=token_prefix(token),
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:  # another issue won the race for "one active token"
        raise ValidationError(_("Un autre jeton vient d'être créé pour cette borne : réessayez.")) from exc
    journal.record(actor=actor, action="kiosk.token_issued", target=kiosk, data={"prefix": record.prefix})
    return token


@transaction.atomic
def kiosk_token_revoke(*, actor: Any, kiosk: Kiosk) -> int:
    """Revoke the kiosk's active token (its heartbeats are refused from now). Returns 0 or 1."""
    _require(actor)
    tokens = list(KioskToken.objects.filter(kiosk=kiosk, revoked_at__isnull=True))
    count = KioskToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=timezone.now())
    if count:
        journal.record(
            actor=actor, action="kiosk.token_revoked", target=kiosk, data={"prefix": [t.prefix for t in tokens]}
        )
    return count


# --- Heartbeats ------------------------------------------------------------------------------


def heartbeat_record(*, token: str, app_version: str = "", at: datetime | None = None, ip: str | None = None) -> Kiosk:
    """One signal of life. Refused (``HeartbeatRefusedError``, logged with the token's prefix only)
    when the token is missing, unknown or revoked.

    Idempotent per minute: a second signal in the same minute adds no row (the insert ignores
    the unique-constraint conflict, so parallel signals never fail). Three queries when all is
    well: the token (with "has an open incident"), the insert, ``last_seen_at``.
    """
    token = str(token or "").strip()
    at = at or timezone.now()
    if not token:
        _refuse("missing", token, ip)
    open_incident = Incident.objects.filter(kiosk=OuterRef("kiosk"), ended_at__isnull=True)
    record = (
        KioskToken.objects.filter(token_hash=token_hash(token))
        .select_related("kiosk")
        .annotate(has_open_incident=Exists(open_incident))
        .first()
    )
    if record is None:
        _refuse("unknown", token, ip)
    if record.revoked_at is not None:
        _refuse("revoked", token, ip)
    kiosk = record.kiosk
    minute = at.replace(second=0, microsecond=0)
    version = "".join(ch for ch in str(app_version or "") if ch.isprintable())[:40]
    with transaction.atomic():
        Heartbeat.objects.bulk_create(
            [Heartbeat(kiosk=kiosk, minute=minute, app_version=version)], ignore_conflicts=True
        )
        Kiosk.objects.filter(pk=kiosk.pk).filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=at)).update(
            last_seen_at=at
        )
        if record.has_open_incident:
            closed = Incident.objects.filter(kiosk=kiosk, ended_at__isnull=True, started_at__lte=at).update(ended_at=at)
            if closed:
                journal.record(actor=None, action="kiosk.incident_closed", target=kiosk, data={"at": at.isoformat()})
    if kiosk.last_seen_at is None or kiosk.last_seen_at < at:
        kiosk.last_seen_at = at
    return kiosk


def _refuse(reason: str, token: str, ip: str | None) -> NoReturn:
    logger.warning(
        "Signal de borne refusé (%s) : jeton « %s… » depuis %s", reason, token_prefix(token), ip or "adresse inconnue"
    )
    raise HeartbeatRefusedError(reason)


# --- Incidents -------------------------------------------------------------------------------


@transaction.atomic
def incident_set_cause(*, actor: Any, incident: Incident, cause: str) -> Incident:
    """Say why a kiosk was offline ("coupure électrique", "box internet en panne"...)."""
    _require(actor)
    text = str(cause or "").strip()
    if not text:
        raise ValidationError({"cause": _("Indiquez la cause de la coupure.")})
    if "\x00" in text:
        raise ValidationError({"cause": _("Ce texte contient un caractère interdit.")})
    if len(text) > 255:
        raise ValidationError({"cause": _("La cause compte au plus 255 caractères.")})
    incident.cause = text
    incident.save(update_fields=["cause"])
    journal.record(
        actor=actor, action="kiosk.incident_cause", target=incident.kiosk, data={"incident": incident.pk, "cause": text}
    )
    return incident


def _manager_emails() -> list[str]:
    users = (
        RoleMembership.objects.active()
        .filter(role=Role.PROGRAMME_MANAGER, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
    return sorted(set(users))


def incidents_detect(*, now: datetime | None = None) -> int:
    """Open an incident for each kiosk in service whose host is open now and that was not
    heard for more than 30 minutes of its opening hours; then send each new incident's alert
    once (host place and programme managers). Returns how many incidents were opened."""
    now = now or timezone.now()
    opened = 0
    for kiosk in queries.silent_open_kiosks(now=now, silent_for=OFFLINE_AFTER):
        since = kiosk.last_seen_at or kiosk.created_at
        started, open_minutes = queries.silence(kiosk.place.opening_hours, since, now)
        if started is None or open_minutes * 60 <= OFFLINE_AFTER.total_seconds():
            continue  # the silence fell mostly outside the opening hours
        try:
            with transaction.atomic():
                Incident.objects.create(kiosk=kiosk, started_at=started)
        except IntegrityError:  # another run opened it first (one open incident per kiosk)
            continue
        journal.record(actor=None, action="kiosk.incident_opened", target=kiosk, data={"since": started.isoformat()})
        opened += 1
    incidents_alert(now=now)
    return opened


@transaction.atomic
def incidents_alert(*, now: datetime | None = None) -> int:
    """Email each open, not yet alerted incident once (``alerted_at``). Returns how many."""
    now = now or timezone.now()
    pending = list(
        lock_for_update(Incident.objects.filter(ended_at__isnull=True, alerted_at__isnull=True)).select_related(
            "kiosk__place"
        )
    )
    if not pending:
        return 0
    managers = _manager_emails()
    for incident in pending:
        kiosk = incident.kiosk
        recipients = sorted({*managers, *([kiosk.place.email] if kiosk.place.email else [])})
        incident.alerted_at = now
        incident.save(update_fields=["alerted_at"])
        if not recipients:
            continue
        local = timezone.localtime(incident.started_at)
        email_on_commit(
            subject=_("Borne %(code)s hors ligne") % {"code": kiosk.code},
            body=_(
                "Bonjour,\n\nLa borne « %(code)s » (%(place)s) n'envoie plus de signal depuis le %(day)s à %(time)s, "
                "alors que le lieu est ouvert.\n\nVérifiez qu'elle est allumée et que la connexion à internet "
                "fonctionne (box, câble, électricité).\n\nFiche de la borne : %(url)s\n\n— CyberCantal"
            )
            % {
                "code": kiosk.code,
                "place": kiosk.place.name,
                "day": local.strftime("%d/%m/%Y"),
                "time": local.strftime("%H:%M"),
                "url": absolute_url(f"/bornes/{kiosk.code}/"),
            },
            to=recipients,
        )
    return len(pending)


# --- Uptime and retention --------------------------------------------------------------------


@transaction.atomic
def uptime_compute_day(*, day: date | None = None) -> int:
    """Per kiosk in or out of service: the host's open minutes on ``day`` (yesterday by
    default) and, of those, the minutes it was heard. Idempotent (rows are replaced).
    One heartbeat count query per distinct opening-hours text."""
    day = day or (timezone.localdate() - timedelta(days=1))
    kiosks = list(
        Kiosk.objects.filter(status__in=[KioskStatus.IN_SERVICE, KioskStatus.OUT_OF_SERVICE])
        .select_related("place")
        .only("pk", "place__opening_hours")
    )
    by_hours: dict[str, list[Kiosk]] = defaultdict(list)
    for kiosk in kiosks:
        by_hours[kiosk.place.opening_hours or ""].append(kiosk)
    rows: list[UptimeDay] = []
    for text, group in by_hours.items():
        intervals = queries.open_intervals(text, day)
        open_minutes = sum(int((end - start).total_seconds() // 60) for start, end in intervals)
        online: dict[int, int] = {}
        if intervals:
            condition = Q()
            for start, end in intervals:
                condition |= Q(minute__gte=start, minute__lt=end)
            online = dict(
                Heartbeat.objects.filter(kiosk__in=[k.pk for k in group])
                .filter(condition)
                .values("kiosk")
                .annotate(n=Count("pk"))
                .values_list("kiosk", "n")
            )
        rows.extend(
            UptimeDay(
                kiosk_id=k.pk,
                date=day,
                open_minutes=open_minutes,
                online_open_minutes=min(open_minutes, online.get(k.pk, 0)),
            )
            for k in group
        )
    UptimeDay.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["kiosk", "date"],
        update_fields=["open_minutes", "online_open_minutes"],
        batch_size=500,
    )
    return len(rows)


def heartbeats_purge_old(*, now: datetime | None = None) -> int:
    """Delete heartbeat rows older than 90 days (``UptimeDay`` keeps the history)."""
    now = now or timezone.now()
    deleted, _detail = Heartbeat.objects.filter(minute__lt=now - HEARTBEAT_RETENTION).delete()
    return deleted
