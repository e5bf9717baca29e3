"""Load N invented places into a bench database, spread over every commune of the département.

    .venv/bin/python bench/generate_places.py --scales 1,10,100            # SQLite under /tmp/cc_bench
    .venv/bin/python bench/generate_places.py --scales 100 --database postgres
    .venv/bin/python bench/generate_places.py --places 35000 --database-url sqlite:////tmp/cc_bench/x.sqlite3

Each bench database is built from scratch (SQLite file removed, PostgreSQL database dropped
and created), migrated, loaded with the territory (``territory_import``), then filled:

- how many: ``--scales`` (1x = 350 places, 10x = 3,500, 100x = 35,000, 1000x = 350,000) or
  ``--places N``;
- where: every current commune gets a floor of ``max(1, 20 % of N / communes)`` places, the
  rest is shared in proportion to the commune's population (largest remainders); the point
  is drawn inside the commune's polygon (``territory.queries.random_point_in_commune``);
- what: kinds, names, addresses, LMN services and fields, opening hours drawn from a palette
  of realistic OSM expressions (8 % unknown), 95 % published, 3 % drafts, 2 % closed;
- derived data exactly as the services compute it: ``services.build_search_text``,
  ``services.canton_for`` (for communes split over several cantons; a commune in one canton
  gives that canton, which is what ``canton_for`` answers for a point inside it) and
  ``hours.weekly_slots`` for the ``PlaceOpeningSlot`` rows (what ``services._replace_slots``
  stores);
- fast: ``bulk_create`` in batches, one transaction per batch; no journal entries (a bulk
  load is not an action of a person).

The same ``--seed`` gives the same data. The figures are printed; nothing here is a test.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import benchlib

# --- invented but plausible content ------------------------------------------------------

KIND_WEIGHTS = {
    "mairie": 26,
    "mediatheque": 14,
    "association": 18,
    "epn": 14,
    "other": 9,
    "college": 5,
    "telecentre": 4,
    "france_services": 4,
    "msap": 3,
    "cc_siege": 3,
}
LIEUX_DITS = [
    "le Bourg", "la Croix", "les Prades", "le Puy", "la Chapelle", "le Mas", "la Borie", "le Foirail",
    "la Gare", "le Moulin", "la Vigne", "les Granges", "le Pont", "la Fontaine", "les Issards", "le Bos",
    "la Salesse", "le Cros", "la Roche", "les Costes", "Lasfargues", "la Besse", "le Montat", "la Peyre",
]  # fmt: skip
PERSONS = [
    "Jules Ferry", "Jean Moulin", "Georges Pompidou", "Émile Duclaux", "Blaise Pascal", "Marie Curie",
    "Arsène Vermenouze", "Gerbert", "Victor Hugo", "Jean de La Fontaine", "Louise Michel", "Simone Veil",
    "Albert Camus", "Jeanne d'Arc", "Marcellin Boule", "Paul Doumer", "Pierre Mendès France", "Colette",
]  # fmt: skip
STREETS = [
    "rue de la Mairie", "place de l'Église", "avenue de la République", "rue du Four", "chemin des Écoliers",
    "rue Principale", "place du Foirail", "rue des Tilleuls", "allée des Sports", "rue du Château",
    "avenue du Général-de-Gaulle", "rue de la Poste", "impasse des Genêts", "route de la Gare",
    "rue Marcellin-Boule", "boulevard du Pont-Rouge", "rue des Écoles", "place de la Liberté",
]  # fmt: skip
ASSOCIATIONS = [
    "Club informatique", "Familles rurales", "Génération numérique", "Les Clics du Cantal", "Entraide numérique",
    "Foyer rural", "Amicale laïque", "Les Aînés connectés", "Atelier du web", "Les Puces savantes",
]  # fmt: skip
OTHER_NAMES = ["Point info", "Tiers-lieu", "Centre social", "Espace de vie sociale", "Maison des associations"]

# Opening hours (OSM syntax) by kind: (expression, weight). "" means "not known".
HOURS: dict[str, list[tuple[str, int]]] = {
    "mairie": [
        ("Mo-Fr 09:00-12:00,14:00-17:30; PH off", 5),
        ("Mo,Tu,Th,Fr 08:30-12:00; We 14:00-17:00; PH off", 3),
        ("Tu,Th 14:00-18:00; Sa 09:00-12:00; PH off", 3),
        ("Mo,We,Fr 09:00-12:00; PH off", 3),
        ("", 1),
    ],
    "mediatheque": [
        ("Tu-Sa 10:00-12:30,14:00-18:30; PH off", 4),
        ("We 14:00-18:00; Sa 10:00-12:00,14:00-17:00; PH off", 3),
        ("Tu,Fr 16:00-18:30; We 10:00-12:00,14:00-18:00; Sa 10:00-16:00; Su 10:00-12:00; PH off", 2),
        ("Jun-Sep: Tu-Sa 10:00-19:00; Oct-May: Tu-Sa 14:00-18:00; PH off", 1),
        ("", 1),
    ],
    "association": [
        ("Th 18:00-22:00", 3),
        ("Tu 14:00-17:00; Sa 09:30-11:30; PH off", 3),
        ("Mo,We 14:00-18:00; PH off", 2),
        ("Fr 20:00-23:30", 1),
        ("", 2),
    ],
    "epn": [
        ("Tu-Fr 09:00-12:00,13:30-17:30; Sa 09:00-12:00; PH off", 5),
        ("Mo-Fr 14:00-18:00; PH off", 3),
        ("We 09:00-12:00,14:00-18:00; Sa 09:00-12:00; PH off", 2),
        ("", 1),
    ],
    "other": [
        ("Mo-Fr 09:00-12:00,14:00-17:00; PH off", 4),
        ("Mo-Sa 10:00-19:00; PH off", 2),
        ("", 2),
    ],
    "college": [("Mo,Tu,Th,Fr 08:00-17:30; We 08:00-12:30; PH off", 5), ("", 1)],
    "telecentre": [("Mo-Fr 07:30-20:00; Sa 09:00-13:00; PH off", 3), ("Mo-Fr 08:00-19:00", 2), ("24/7", 1)],
    "france_services": [("Mo-Fr 08:30-12:30,13:30-17:00; PH off", 5), ("Mo-Fr 09:00-12:00; PH off", 1)],
    "msap": [("Mo-Fr 08:30-12:00,13:30-17:00; PH off", 3), ("Mo,We,Fr 09:00-12:00; PH off", 1)],
    "cc_siege": [("Mo-Fr 08:30-12:00,13:30-17:30; PH off", 1)],
}


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([value for value, _w in pairs], weights=[w for _v, w in pairs])[0]


class Content:
    """Draws the fields of one invented place (deterministic for a given ``rng``)."""

    def __init__(self, rng: random.Random) -> None:
        from cybercantal.places import schema
        from cybercantal.places.models import PlaceOffer

        self.rng = rng
        self.schema = schema
        self.offer = PlaceOffer
        self.services = list(schema.Service.values)
        self.publics = list(schema.PublicSpecifiquementAdresse.values)
        self.prises = list(schema.PriseEnChargeSpecifique.values)
        self.frais = list(schema.Frais.values)
        self.acces = list(schema.ModaliteAcces.values)
        self.accompagnement = list(schema.ModaliteAccompagnement.values)
        self.dispositifs = list(schema.DispositifProgrammeNational.values)
        self.kinds = list(KIND_WEIGHTS)
        self.kind_weights = list(KIND_WEIGHTS.values())

    def pick(self, values: list[str], low: int, high: int) -> list[str]:
        return self.rng.sample(values, self.rng.randint(low, min(high, len(values))))

    def kind(self) -> str:
        return self.rng.choices(self.kinds, weights=self.kind_weights)[0]

    def name(self, kind: str, commune: Any, nth: int) -> str:
        rng, town = self.rng, commune.name
        lieu = rng.choice(LIEUX_DITS)
        person = rng.choice(PERSONS)
        if kind == "mairie":
            return f"Mairie de {town}" if nth == 0 else f"Mairie annexe de {town} – {lieu}"
        if kind == "mediatheque":
            return rng.choice([f"Médiathèque {person}", f"Bibliothèque de {town}", f"Point lecture {lieu}"])
        if kind == "association":
            return f"{rng.choice(ASSOCIATIONS)} de {town}"
        if kind == "epn":
            return rng.choice([f"EPN de {town}", f"Espace public numérique {lieu}", f"Cyber-espace de {town}"])
        if kind == "college":
            return f"Collège {person}"
        if kind == "telecentre":
            return rng.choice([f"Télécentre de {town}", f"Espace de coworking {lieu}"])
        if kind == "france_services":
            return f"France Services {town}"
        if kind == "msap":
            return f"Maison de services au public de {town}"
        if kind == "cc_siege":
            epci = getattr(commune, "epci", None)
            return f"Siège de {epci.name}" if epci is not None else f"Communauté de communes – {town}"
        return f"{rng.choice(OTHER_NAMES)} {lieu}"

    def offers(self, kind: str) -> list[str]:
        offer, rng = self.offer, self.rng
        chosen = {
            "epn": [offer.EPN],
            "telecentre": [offer.TELECENTRE],
            "france_services": [offer.FRANCE_SERVICES, offer.KIOSK],
            "college": [offer.CYBER_ROOM] if rng.random() < 0.5 else [],
        }.get(kind, [])
        if kind in {"mairie", "msap", "cc_siege", "mediatheque"} and rng.random() < 0.15:
            chosen = [*chosen, offer.KIOSK]
        if kind in {"mediatheque", "association"} and rng.random() < 0.2:
            chosen = [*chosen, offer.EPN]
        return [str(value) for value in chosen]

    def fields(self, kind: str, commune: Any) -> dict[str, Any]:
        rng = self.rng
        address = f"{rng.randint(1, 48)} {rng.choice(STREETS)}"
        postal = commune.postal_codes[0] if commune.postal_codes else "15000"
        status = rng.choices(["published", "draft", "closed"], weights=[95, 3, 2])[0]
        services = self.pick(self.services, 1, 6)
        if kind in {"mairie", "france_services", "msap"}:
            aide = str(self.schema.Service.AIDE_AUX_DEMARCHES_ADMINISTRATIVES)
            services = [aide, *[s for s in services if s != aide]]
        slug_town = commune.slug or "commune"
        return {
            "kind": kind,
            "status": status,
            "address": address,
            "address_complement": rng.choice(["", "", "", "1er étage", f"Lieu-dit {rng.choice(LIEUX_DITS)}"]),
            "postal_code": postal,
            "phone": f"04 71 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "email": f"contact@{slug_town}.example.org" if rng.random() < 0.6 else "",
            "website": f"https://{slug_town}.example.org/" if rng.random() < 0.3 else "",
            "opening_hours": _weighted(rng, HOURS[kind]),
            "presentation_summary": rng.choice(
                [
                    "Accès libre à des ordinateurs et accompagnement aux démarches en ligne.",
                    "Aide pour les démarches administratives, avec ou sans rendez-vous.",
                    "Ateliers d'initiation au numérique pour tous les âges.",
                    "Postes de travail, imprimante et connexion à haut débit.",
                    "",
                ]
            ),
            "presentation_detail": (
                "Un médiateur numérique vous accueille pour vous aider à utiliser un ordinateur, une "
                "tablette ou un téléphone, à créer une adresse électronique, à faire vos démarches en "
                "ligne (impôts, CAF, retraite, santé) et à vous protéger des arnaques."
                if rng.random() < 0.5
                else ""
            ),
            "accessibility_details": rng.choice(
                ["", "Accès de plain-pied.", "Accès de plain-pied, place de stationnement réservée.", "Ascenseur."]
            ),
            "date_maj": date(2026, 1, 1) + timedelta(days=rng.randint(0, 60)),
            "pivot": "".join(str(rng.randint(0, 9)) for _ in range(14)) if rng.random() < 0.4 else "",
            "source": "bench",
            "services": services,
            "publics_specifiquement_adresses": self.pick(self.publics, 0, 2),
            "prise_en_charge_specifique": self.pick(self.prises, 0, 2),
            "frais_a_charge": self.pick(self.frais, 1, 1),
            "modalites_acces": self.pick(self.acces, 1, 3),
            "modalites_accompagnement": self.pick(self.accompagnement, 1, 3),
            "dispositif_programmes_nationaux": self.pick(self.dispositifs, 0, 2),
            "itinerance": ["Fixe"],
            "offers": self.offers(kind),
        }


# --- allocation ----------------------------------------------------------------------------


def allocate(total: int, populations: list[int], floor_share: float = 0.2) -> list[int]:
    """Places per commune: a floor for every commune, the rest in proportion to population."""
    count = len(populations)
    floor = max(1, int(floor_share * total / count))
    if floor * count >= total:
        floor = total // count
    rest = total - floor * count
    weights = [max(p, 1) for p in populations]
    whole = sum(weights)
    quotas = [rest * w / whole for w in weights]
    shares = [int(q) for q in quotas]
    leftover = rest - sum(shares)
    by_remainder = sorted(range(count), key=lambda i: quotas[i] - shares[i], reverse=True)
    for i in by_remainder[:leftover]:
        shares[i] += 1
    return [floor + share for share in shares]


# --- database ------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    """Start from an empty bench database (after ``check_bench_database``)."""
    benchlib.check_bench_database(url)
    path = benchlib.sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            candidate = path.with_name(path.name + suffix)
            if candidate.exists():
                candidate.unlink()
        return
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def generate(url: str, places: int, *, seed: int, batch_size: int, analyze: bool | None) -> dict[str, Any]:
    """Build the bench database ``url`` with ``places`` places; returns figures."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    recreate_database(url)
    benchlib.configure_django(url)

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils.text import slugify

    from cybercantal.places import hours, services
    from cybercantal.places.models import Place, PlaceOpeningSlot
    from cybercantal.territory.models import Commune
    from cybercantal.territory.queries import random_point_in_commune

    step = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
    timings["migrate"] = time.perf_counter() - step
    step = time.perf_counter()
    call_command("territory_import", verbosity=0, skip_checks=True)
    timings["territory_import"] = time.perf_counter() - step

    rng = random.Random(seed)
    content = Content(rng)
    communes = list(Commune.objects.current().select_related("epci").prefetch_related("cantons").order_by("insee_code"))
    counts = allocate(places, [c.population or 0 for c in communes])

    # Weekly slots per distinct expression: the helper the service calls, once per text.
    slots_for: dict[str, list[tuple[int, int, int]]] = {}
    for pairs in HOURS.values():
        for value, _w in pairs:
            message = hours.parse_error(value)
            if message:
                raise SystemExit(f"Horaires du générateur invalides : {value!r} ({message})")
            slots_for[value] = hours.weekly_slots(value)

    def drafts() -> Iterator[Place]:
        slugs: set[str] = set()
        for commune, count in zip(communes, counts, strict=True):
            cantons = list(commune.cantons.all())
            per_kind: dict[str, int] = {}
            for _ in range(count):
                kind = content.kind()
                nth = per_kind.get(kind, 0)
                per_kind[kind] = nth + 1
                name = content.name(kind, commune, nth)
                fields = content.fields(kind, commune)
                latitude, longitude = random_point_in_commune(commune, rng)
                if len(cantons) == 1:
                    canton = cantons[0]
                else:
                    canton = services.canton_for(commune=commune, latitude=latitude, longitude=longitude)
                # The slug the service would give (``unique_slug``), made unique in memory.
                base = slugify(f"{name} {commune.name}")[:150].strip("-") or "lieu"
                slug, number = base, 2
                while slug in slugs:
                    slug = f"{base}-{number}"
                    number += 1
                slugs.add(slug)
                place = Place(
                    name=name,
                    slug=slug,
                    commune=commune,
                    canton=canton,
                    latitude=latitude,
                    longitude=longitude,
                    **fields,
                )
                place.search_text = services.build_search_text(place)
                yield place

    step = time.perf_counter()
    created = slot_rows = 0
    batch: list[Place] = []

    def flush() -> None:
        nonlocal created, slot_rows
        with transaction.atomic():
            Place.objects.bulk_create(batch, batch_size=batch_size)
            slots = [
                PlaceOpeningSlot(place_id=place.pk, weekday=weekday, opens=opens, closes=closes)
                for place in batch
                for weekday, opens, closes in slots_for[place.opening_hours]
            ]
            PlaceOpeningSlot.objects.bulk_create(slots, batch_size=batch_size * 4)
        created += len(batch)
        slot_rows += len(slots)
        batch.clear()

    for place in drafts():
        batch.append(place)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    timings["places"] = time.perf_counter() - step

    if analyze is None:
        analyze = connection.vendor == "postgresql"
    if analyze:
        # PostgreSQL's autovacuum would soon vacuum and analyze a table loaded like this (the
        # visibility map lets COUNT(*) use an index-only scan); do it now for a steady state.
        # SQLite has no such daemon: ANALYZE only runs when someone asks (``--analyze yes``).
        step = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        timings["analyze"] = time.perf_counter() - step
    timings["total"] = time.perf_counter() - started
    published = Place.objects.published().count()
    return {
        "url": url,
        "places": created,
        "published": published,
        "slots": slot_rows,
        "communes": len(communes),
        "min_per_commune": min(counts),
        "max_per_commune": max(counts),
        "analyze": analyze,
        "timings": timings,
    }


def report(result: dict[str, Any]) -> None:
    t, n = result["timings"], benchlib.number
    rate = round(result["places"] / t["places"]) if t["places"] else 0
    print(
        f"{benchlib.engine_label(result['url'])} {result['url']}\n"
        f"  {n(result['places'])} lieux ({n(result['published'])} publiés), {n(result['slots'])} créneaux, "
        f"{result['communes']} communes (de {result['min_per_commune']} à {result['max_per_commune']} lieux)\n"
        f"  migrate {t['migrate']:.1f} s, territory_import {t['territory_import']:.1f} s, "
        f"lieux {t['places']:.1f} s ({n(rate)} lieux/s)"
        + (f", VACUUM/ANALYZE {t['analyze']:.1f} s" if "analyze" in t else "")
        + f", total {t['total']:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="", help="échelles, ex. 1,10,100 (1x = 350 lieux)")
    parser.add_argument("--places", type=int, default=0, help="nombre exact de lieux (au lieu de --scales)")
    parser.add_argument("--database", default="sqlite", help="sqlite, postgres ou un modèle d'URL avec {places}")
    parser.add_argument("--database-url", default="", help="URL d'une base de bench (remplace --database)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument(
        "--analyze",
        choices=["auto", "yes", "no"],
        default="auto",
        help="auto : VACUUM ANALYZE sur PostgreSQL, rien sur SQLite",
    )
    args = parser.parse_args(argv)

    template = args.database_url or benchlib.template_for(args.database)
    if args.places:
        counts = [args.places]
    else:
        counts = [benchlib.places_for(s) for s in benchlib.parse_scales(args.scales or "100")]
    analyze = {"auto": None, "yes": True, "no": False}[args.analyze]
    if len(counts) == 1:
        url = benchlib.database_url(template, counts[0])
        report(generate(url, counts[0], seed=args.seed, batch_size=args.batch_size, analyze=analyze))
        return 0
    # One process per database: Django's settings are read once per process.
    for count in counts:
        command = [sys.executable, __file__, "--places", str(count), "--database-url", template]
        command += ["--seed", str(args.seed), "--batch-size", str(args.batch_size), "--analyze", args.analyze]
        subprocess.run(command, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
