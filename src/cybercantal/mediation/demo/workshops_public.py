"""Demo registrations on the demo sessions (created by ``demo/workshops_manage.py``).

Runs after the catalogue and sessions exist; does nothing when there are none. Idempotent:
a session that already has registrations is left alone. Registrations go through the
service (so counts, waitlist order and journal are right); no email is given, so nothing is
sent; a few phone-only people are promoted from the waitlist to show the "à prévenir par
téléphone" list.
"""

from __future__ import annotations

import random

from django.utils import timezone

from cybercantal.mediation.models import Channel, Registration, RegistrationStatus, Session, SessionStatus
from cybercantal.mediation.services import registrations as services

FIRST_NAMES = [
    "Marcel", "Josette", "Jean", "Odette", "Pierre", "Simone", "André", "Yvette", "Louis", "Germaine",
    "Bernard", "Monique", "Gérard", "Colette", "Henri", "Paulette", "René", "Lucienne", "Roger", "Denise",
]  # fmt: skip
LAST_NAMES = [
    "Vidal", "Delmas", "Lafon", "Bouygues", "Chabrier", "Vermenouze", "Roux", "Mazet", "Fabre", "Laborie",
    "Cantuel", "Sérieys", "Teyssedou", "Courbebaisse", "Malaval", "Rigal", "Bonal", "Estival", "Veyssier", "Lacoste",
]  # fmt: skip


def load(*, rng_seed: int = 15) -> dict[str, int]:
    rng = random.Random(rng_seed)  # noqa: S311 - demo data, not a secret
    now = timezone.now()
    sessions = list(
        Session.objects.filter(status=SessionStatus.SCHEDULED, starts_at__gt=now)
        .exclude(registrations__isnull=False)
        .select_related("workshop", "place__commune")
        .order_by("starts_at", "pk")
    )
    created = promoted = 0
    for index, session in enumerate(sessions):
        # Every third session is full with a waitlist; the others are partly filled.
        # At least one person each, so that a second run finds no session left to fill.
        partly = rng.randint(1, max(1, session.capacity - 1))
        people = session.capacity + rng.randint(1, 3) if index % 3 == 0 else partly
        registered: list[Registration] = []
        for n in range(people):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            channel = rng.choice([Channel.ONLINE, Channel.PHONE, Channel.DESK])
            try:
                registration = services.registration_create(
                    actor=None,
                    session=session,
                    first_name=first,
                    last_name=last,
                    phone=f"04 71 {rng.randint(10, 99)} {rng.randint(10, 99)} {n:02d}",
                    channel=channel,
                )
            except services.RegistrationError:
                continue  # a random duplicate name and phone: skip it
            registered.append(registration)
            created += 1
        if index % 3 == 0 and index % 2 == 0:
            first_confirmed = next((r for r in registered if r.status == RegistrationStatus.CONFIRMED), None)
            if first_confirmed is not None:
                services.registration_cancel(actor=None, registration=first_confirmed)
                promoted += 1
    # Printed by ``cybercantal load_demo`` to French readers (keys distinct from the other parts').
    return {"séances remplies": len(sessions), "inscriptions": created, "passages de liste d'attente": promoted}
