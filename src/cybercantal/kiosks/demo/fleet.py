"""Demo kiosk fleet on top of the demo places (``places.demo.KIOSK_HOSTS``). Idempotent.

- one kiosk per demo place that offers a kiosk, its code from the commune ("murat", "maurs",
  "aurillac-cap"...); the hosts chosen at Chaudes-Aigues (canton of Neuvéglise) and Saignes
  (canton of Ydes) have none yet, so the coverage page shows those cantons without a kiosk;
- realistic hardware and internet connections; Laroquebrou's kiosk is out of service;
- heartbeats every minute for the last 2 days (the kiosks stay on day and night), except two
  outages on the last open day before today (Maurs: power cut; Riom-ès-Montagnes: internet box
  down), each with its incident and cause;
- a token per kiosk (its clear value is not kept: issue a new one on the kiosk's page);
- ``UptimeDay`` rows for the last 60 days.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cybercantal.kiosks.models import ConnectionTechnology as C
from cybercantal.kiosks.models import Heartbeat, Incident, Kiosk, KioskStatus, KioskToken, UptimeDay
from cybercantal.kiosks.queries import fleet as queries
from cybercantal.kiosks.services import fleet as services
from cybercantal.places import hours
from cybercantal.places.demo import KIOSK_HOSTS, slug_for
from cybercantal.places.models import Place, PlaceOffer

# place name -> code, hardware model, connection, speed (Mbit/s), installed on, where the agent is
FLEET = {
    "Mairie d'Arpajon-sur-Cère": (
        "arpajon",
        "Borne IER 922 (écran tactile 22 pouces)",
        C.FIBRE,
        "300",
        date(2024, 3, 12),
        "à l'accueil de la mairie",
    ),
    "Maison des services du Cap": (
        "aurillac-cap",
        "Borne IER 922 (écran tactile 22 pouces)",
        C.FIBRE,
        "500",
        date(2023, 10, 2),
        "au guichet n° 1, face à l'entrée",
    ),
    "EPN du Cap Blanc": (
        "aurillac-cap-blanc",
        "Borne Lafon Ki-Ora 21,5 pouces",
        C.FIBRE,
        "300",
        date(2024, 1, 18),
        "auprès de l'animateur, salle informatique",
    ),
    "Mairie annexe de Marmiers": (
        "aurillac-marmiers",
        "Borne Lafon Ki-Ora 21,5 pouces",
        C.ADSL,
        "15",
        date(2024, 6, 4),
        "au bureau d'accueil, à droite",
    ),
    "Communauté de communes du Pays de Mauriac": (
        "mauriac",
        "Borne Partteam Oemkiosks 24 pouces",
        C.ADSL,
        "12",
        date(2023, 11, 20),
        "à l'accueil, rez-de-chaussée",
    ),
    "Maison de services au public de Maurs": (
        "maurs",
        "Borne Partteam Oemkiosks 24 pouces",
        C.ADSL,
        "4.5",
        date(2023, 9, 25),
        "au guichet d'accueil, à votre gauche",
    ),
    "Communauté de communes Hautes Terres": (
        "murat",
        "Borne IER 922 (écran tactile 22 pouces)",
        C.ADSL,
        "8",
        date(2023, 9, 18),
        "au guichet d'accueil, à votre gauche",
    ),
    "Mairie de Jussac": (
        "jussac",
        "Borne Lafon Ki-Ora 21,5 pouces",
        C.RADIO,
        "30",
        date(2024, 9, 9),
        "au secrétariat de mairie",
    ),
    "Maison de services au public du Pays Gentiane": (
        "riom-es-montagnes",
        "Borne IER 922 (écran tactile 22 pouces)",
        C.RADIO,
        "20",
        date(2023, 12, 5),
        "à l'accueil de la maison de services",
    ),
    "Maison de services au public de Massiac": (
        "massiac",
        "Borne Partteam Oemkiosks 24 pouces",
        C.ADSL,
        "6",
        date(2024, 2, 26),
        "au guichet, premier bureau",
    ),
    "Mairie de Pierrefort": (
        "pierrefort",
        "Borne Lafon Ki-Ora 21,5 pouces",
        C.SATELLITE,
        "50",
        date(2024, 4, 15),
        "au secrétariat de mairie",
    ),
    "Mairie de Laroquebrou": (
        "laroquebrou",
        "Borne Lafon Ki-Ora 21,5 pouces",
        C.MOBILE,
        "25",
        date(2024, 5, 21),
        "au secrétariat de mairie",
    ),
    "Communauté de communes Cère et Goul en Carladès": (
        "vic-sur-cere",
        "Borne IER 922 (écran tactile 22 pouces)",
        C.FIBRE,
        "300",
        date(2024, 1, 8),
        "à l'accueil, au fond du hall",
    ),
}
OUT_OF_SERVICE = {"laroquebrou": "Écran tactile fêlé : remplacement commandé, retour prévu sous quinze jours."}
BROKEN_SINCE_DAYS = 12
# code -> (start, end) local times of the outage on the last open day, its cause
OUTAGES = {
    "maurs": (time(10, 10), time(11, 40), "Coupure électrique dans le bâtiment (orage)"),
    "riom-es-montagnes": (time(14, 5), time(16, 20), "Box internet en panne, redémarrée par l'agent d'accueil"),
}
HEARD_DAYS = 2
UPTIME_DAYS = 60


def _aware(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


def last_open_day(today: date) -> date:
    """The last weekday before today that is not a public holiday (the outages happen then)."""
    day = today - timedelta(days=1)
    while day.weekday() >= 5 or hours.is_public_holiday(day):
        day -= timedelta(days=1)
    return day


def _kiosks() -> tuple[list[Kiosk], int]:
    slugs = {slug_for(spec): spec.name for spec in KIOSK_HOSTS if PlaceOffer.KIOSK in spec.offers}
    places = {p.name: p for p in Place.objects.filter(slug__in=slugs).select_related("canton")}
    kiosks, created = [], 0
    for name, (code, model, technology, speed, installed, help_location) in FLEET.items():
        place = places.get(name)
        if place is None:
            continue
        kiosk = Kiosk.objects.filter(code=code).first()
        if kiosk is None:
            status = KioskStatus.OUT_OF_SERVICE if code in OUT_OF_SERVICE else KioskStatus.IN_SERVICE
            kiosk = services.kiosk_create(
                actor=None,
                code=code,
                place=place,
                status=status,
                status_note=OUT_OF_SERVICE.get(code, ""),
                hardware_model=model,
                serial_number=f"CC15-{installed:%y%m}-{len(kiosks) + 1:03d}",
                installed_on=installed,
                connection_technology=technology,
                connection_speed_mbps=Decimal(speed),
                idle_timeout_seconds=120,
                help_location=help_location,
            )
            created += 1
        kiosks.append(kiosk)
    return kiosks, created


def _heartbeats(kiosks: list[Kiosk], now: datetime, outage_day: date, heard_days: int) -> int:
    """Every minute of the last days, except the outages and the broken kiosk."""
    start = (now - timedelta(days=heard_days)).replace(second=0, microsecond=0)
    end = now.replace(second=0, microsecond=0)
    rows = []
    for kiosk in kiosks:
        if kiosk.status != KioskStatus.IN_SERVICE:
            continue
        gap = OUTAGES.get(kiosk.code)
        gap_start = _aware(outage_day, gap[0]) if gap else None
        gap_end = _aware(outage_day, gap[1]) if gap else None
        minute = start
        last = None
        while minute <= end:
            if not (gap_start and gap_start <= minute < gap_end):
                rows.append(Heartbeat(kiosk=kiosk, minute=minute, app_version="2.4.1"))
                last = minute
            minute += timedelta(minutes=1)
        if last and (kiosk.last_seen_at is None or kiosk.last_seen_at < last):
            Kiosk.objects.filter(pk=kiosk.pk).update(last_seen_at=last + timedelta(seconds=12))
    Heartbeat.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(rows)


def _incidents(kiosks: list[Kiosk], outage_day: date) -> int:
    created = 0
    for kiosk in kiosks:
        if kiosk.code not in OUTAGES:
            continue
        begin, finish, cause = OUTAGES[kiosk.code]
        _incident, made = Incident.objects.get_or_create(
            kiosk=kiosk,
            started_at=_aware(outage_day, begin),
            defaults={
                "ended_at": _aware(outage_day, finish),
                "alerted_at": _aware(outage_day, begin) + timedelta(minutes=35),
                "cause": cause,
            },
        )
        created += int(made)
    return created


def _uptime(kiosks: list[Kiosk], today: date, rng: random.Random, heard_days: int) -> int:
    """Synthetic days before the heartbeat window; computed days inside it."""
    rows = []
    first_computed = today - timedelta(days=heard_days - 1)
    for kiosk in kiosks:
        text = kiosk.place.opening_hours
        for offset in range(UPTIME_DAYS, 0, -1):
            day = today - timedelta(days=offset)
            if day >= first_computed:
                continue
            open_minutes = queries.open_minutes(text, day)
            if kiosk.code in OUT_OF_SERVICE and offset <= BROKEN_SINCE_DAYS:
                online = 0
            elif open_minutes and rng.random() < 0.06:  # an outage now and then
                online = max(0, open_minutes - rng.randint(30, 180))
            else:
                online = open_minutes - min(open_minutes, rng.choice((0, 0, 0, 1, 2, 5)))
            rows.append(UptimeDay(kiosk=kiosk, date=day, open_minutes=open_minutes, online_open_minutes=online))
    UptimeDay.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["kiosk", "date"],
        update_fields=["open_minutes", "online_open_minutes"],
        batch_size=1000,
    )
    computed = 0
    for offset in range(heard_days - 1, 0, -1):  # complete days inside the heartbeat window
        computed += services.uptime_compute_day(day=today - timedelta(days=offset))
    return len(rows) + computed


@transaction.atomic
def load(*, rng_seed: int = 15) -> dict[str, int]:
    """Create the demo fleet (idempotent). Returns French counts for ``cybercantal load_demo``."""
    rng = random.Random(f"{rng_seed}:kiosks-fleet")  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    today = timezone.localdate()
    kiosks, created = _kiosks()
    for kiosk in kiosks:
        if not KioskToken.objects.filter(kiosk=kiosk, revoked_at__isnull=True).exists():
            services.kiosk_token_issue(actor=None, kiosk=kiosk)
    outage_day = last_open_day(today)
    # Two days of heartbeats, more after a weekend so that the outage day is inside them.
    heard_days = max(HEARD_DAYS, (today - outage_day).days + 1)
    heartbeats = _heartbeats(kiosks, now, outage_day, heard_days)
    incidents = _incidents(kiosks, outage_day)
    uptime = _uptime(kiosks, today, rng, heard_days)
    return {"bornes": created, "signaux de vie": heartbeats, "coupures": incidents, "jours de disponibilité": uptime}
