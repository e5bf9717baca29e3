"""Eligibility lookup over a whole département's buildings (issue 7: p95 < 20 ms at 200,000).

    .venv/bin/python bench/bench_grants_eligibility.py                       # SQLite and PostgreSQL
    .venv/bin/python bench/bench_grants_eligibility.py --database sqlite --buildings 50000

For each database a fresh process builds a throwaway bench database
(``/tmp/cc_bench/grants-eligibility.sqlite3`` or ``cc_bench_grants_eligibility`` on the local
PostgreSQL: schema, the Cantal's communes), writes ARCEP-shaped files for ``--buildings``
buildings spread over every current commune in proportion to its population (``base_imb_15.csv``
and ``actuel_15.csv``, about three lines per building, under ``/tmp/cc_bench/arcep/``), imports
them through the real import service (``coverage_import``: parsing, checks, batches of 5,000)
and times it, then times ``--lookups`` calls of ``eligibility_check`` by address: 70 % addresses
that exist (typed as people type them), 15 % a known street with an unknown number (fallback
to the commune), 15 % a street that does not exist (street search, then the commune). One more
lookup counts the SQL queries. Figures are printed; this is not a test.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import benchlib

TARGET_P95_MS = 20.0
URLS = {
    "sqlite": f"sqlite:///{benchlib.VAR_DIR}/grants-eligibility.sqlite3",
    "postgres": "postgres://postgres@127.0.0.1:5432/cc_bench_grants_eligibility",
}
FILES_DIR = benchlib.VAR_DIR / "arcep"
STREET_TYPES = ("Rue", "Route", "Chemin", "Avenue", "Place", "Impasse", "Allée")
STREET_NAMES = (
    "du Bourg",
    "de l'Église",
    "des Écoles",
    "de la Gare",
    "du Moulin",
    "des Prés",
    "de la Fontaine",
    "du Stade",
    "des Tilleuls",
    "de la Mairie",
    "du Lavoir",
    "des Jardins",
    "de Saint-Flour",
    "d'Aurillac",
    "du Puy Mary",
    "de la Croix",
    "des Sapins",
    "du Château",
    "de la Planèze",
    "du Pont",
)
HAMLETS = ("Le Bousquet", "Fraissinet", "Lescure", "La Borie", "Le Mas", "Les Granges", "La Vialle", "Le Cros")
CLASSES = ("INEL", "HD05", "HD3", "BHD8", "THD30", "THD100", "THD1G")


def prepare(url: str) -> None:
    """Fresh schema and the territory on the bench database ``url``."""
    path = benchlib.sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    else:
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    benchlib.configure_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("territory_import", verbosity=0)


def web_mercator(latitude: float, longitude: float) -> tuple[float, float]:
    radius = 6378137.0
    return (
        round(radius * math.radians(longitude), 2),
        round(radius * math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2)), 2),
    )


def write_files(total: int, seed: int = 15) -> tuple[Path, Path, list[tuple[str, str, str, str]]]:
    """ARCEP-shaped files for ``total`` buildings; returns the paths and the addresses written
    (insee, number, street, best class) for the lookups."""
    from cybercantal.territory.models import Commune

    rng = random.Random(seed)
    communes = list(Commune.objects.current().order_by("insee_code").values_list("insee_code", "population"))
    weights = [max(population or 50, 50) for _code, population in communes]
    scale = total / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    counts[0] += total - sum(counts)
    FILES_DIR.mkdir(parents=True, exist_ok=True)
    base_path, actuel_path = FILES_DIR / "base_imb_15.csv", FILES_DIR / "actuel_15.csv"
    addresses: list[tuple[str, str, str, str]] = []
    imb = 0
    with (
        base_path.open("w", encoding="utf-8", newline="") as base_handle,
        actuel_path.open("w", encoding="utf-8", newline="") as actuel_handle,
    ):
        base = csv.writer(base_handle, delimiter=";", lineterminator="\n")
        actuel = csv.writer(actuel_handle, delimiter=";", lineterminator="\n")
        base.writerow(
            [
                "imb_id",
                "imb_x",
                "imb_y",
                "imb_code",
                "imb_code_insee",
                "imb_nbr_logloc",
                "imb_type",
                "addr_numero",
                "addr_rep",
                "addr_nom_voie",
                "addr_nom_ld",
            ]
        )
        actuel.writerow(["imb_id", "code_operateur", "code_techno", "classe_debit_montant", "classe_debit_descendant"])
        for (insee, _population), count in zip(communes, counts, strict=True):
            fibre_share = rng.choice((0.0, 0.3, 0.6, 0.9))
            # ~60 buildings per street, hamlets of 3 to 12 buildings without numbers.
            streets = [f"{t} {n}" for t in STREET_TYPES for n in STREET_NAMES]
            rng.shuffle(streets)
            made = 0
            street_index = 0
            while made < count:
                if rng.random() < 0.15:
                    street = f"{rng.choice(HAMLETS)} {street_index}"
                    numbers: list[str] = [""] * min(rng.randint(3, 12), count - made)
                else:
                    street = streets[street_index % len(streets)]
                    if street_index >= len(streets):
                        street = f"{street} {street_index // len(streets) + 1}"
                    numbers = [str(n) for n in range(1, min(rng.randint(10, 110), count - made + 1))]
                street_index += 1
                for number in numbers:
                    imb += 1
                    imb_id = f"B{imb:09d}"
                    x, y = web_mercator(44.9 + rng.random() * 0.4, 2.2 + rng.random() * 1.0)
                    suffix = "bis" if number and rng.random() < 0.02 else ""
                    base.writerow(
                        [
                            imb_id,
                            x,
                            y,
                            f"IMB/{insee}/X/{imb:06X}",
                            insee,
                            rng.choice((1, 1, 1, 2, 4)),
                            "PA",
                            number,
                            suffix,
                            street if number else "",
                            "" if number else street,
                        ]
                    )
                    if rng.random() < fibre_share:
                        actuel.writerow([imb_id, "FRTE", "FO", "THD100", "THD1G"])
                        best = "THD1G"
                    else:
                        best = ""
                    if rng.random() < 0.85:
                        copper = rng.choice(("HD05", "HD3", "BHD8", "THD30"))
                        actuel.writerow([imb_id, "FRTE", "CU", "HD05", copper])
                        best = max(best, copper, key=lambda c: CLASSES.index(c) if c else -1)
                    actuel.writerow([imb_id, "STAK", "SAT", "BHD8", "THD100"])
                    addresses.append((insee, number, street, best or "INEL"))
                    made += 1
                    if made >= count:
                        break
    return base_path, actuel_path, addresses


def typed(rng: random.Random, number: str, street: str) -> str:
    """An address as a person types it: case, abbreviations, a stray comma."""
    text = f"{number} {street}".strip() if number else f"lieu-dit {street}"
    if rng.random() < 0.3:
        text = text.lower().replace("route ", "rte ").replace("avenue ", "av ")
    if rng.random() < 0.2:
        text = text.replace(" ", ", ", 1)
    return text


def child(database: str, buildings: int, lookups: int) -> None:
    url = URLS[database]
    prepare(url)
    pinned = benchlib.pin_to_one_core()
    from django.db import connection
    from django.utils import timezone

    from cybercantal.grants.models import Building, GrantProgramme
    from cybercantal.grants.services.coverage import coverage_import, eligibility_check
    from cybercantal.territory.models import Commune

    started = time.perf_counter()
    base_path, actuel_path, addresses = write_files(buildings)
    written = time.perf_counter() - started
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = coverage_import(actor=None, quarter="2026T2", buildings=base_path, eligibility=actuel_path)
    import_seconds = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    assert Building.objects.count() == len(addresses) == report.buildings

    today = timezone.localdate()
    programme = GrantProgramme.objects.create(
        slug="auverdata",
        code="AUV",
        name="Auverdata",
        funder="Région",
        rate_percent=50,
        budget=100000,
        opens_on=today,
        closes_on=today,
        is_published=True,
    )
    communes = {c.insee_code: c for c in Commune.objects.current()}
    rng = random.Random(2026)
    cases: list[tuple[str, object, str]] = []
    for _ in range(lookups):
        insee, number, street, _best = rng.choice(addresses)
        draw = rng.random()
        if draw < 0.70:
            cases.append(("adresse connue", communes[insee], typed(rng, number, street)))
        elif draw < 0.85:
            cases.append(("numéro inconnu", communes[insee], f"{rng.randint(500, 900)} {street}"))
        else:
            cases.append(("voie inconnue", communes[insee], f"{rng.randint(1, 99)} impasse des Coquelicots"))
    for _kind, commune, address in cases[:50]:  # warm-up
        eligibility_check(programme=programme, commune=commune, address=address)
    timings: dict[str, list[float]] = {}
    answers: dict[str, int] = {}
    for kind, commune, address in cases:
        start = time.perf_counter()
        result = eligibility_check(programme=programme, commune=commune, address=address)
        elapsed = (time.perf_counter() - start) * 1000
        timings.setdefault(kind, []).append(elapsed)
        answers[f"{kind} → {result.basis}"] = answers.get(f"{kind} → {result.basis}", 0) + 1
    queries: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        eligibility_check(programme=programme, commune=cases[0][1], address=cases[0][2])
    everything = [value for values in timings.values() for value in values]
    label = benchlib.engine_label(url)
    print(f"\n## Éligibilité à l'adresse — {label} ({pinned})\n")
    print(
        f"Immeubles : {benchlib.number(report.buildings)} sur {len(communes)} communes ; "
        f"lignes d'éligibilité : {benchlib.number(report.eligibility_lines)} ; "
        f"fichiers écrits en {written:.1f} s.\n"
    )
    print(
        f"Import (analyse, contrôles, insertion par lots de 5 000, statistiques communales) : "
        f"{import_seconds:.1f} s ; mémoire du processus : {rss_before / 1024:.0f} → {rss_after / 1024:.0f} Mo.\n"
    )
    rows = []
    for kind in ("adresse connue", "numéro inconnu", "voie inconnue"):
        values = timings.get(kind, [])
        rows.append(
            [
                kind,
                len(values),
                benchlib.ms(benchlib.percentile(values, 0.5)),
                benchlib.ms(benchlib.percentile(values, 0.95)),
                benchlib.ms(benchlib.percentile(values, 0.99)),
                benchlib.ms(max(values) if values else math.nan),
            ]
        )
    rows.append(
        [
            "toutes",
            len(everything),
            benchlib.ms(benchlib.percentile(everything, 0.5)),
            benchlib.ms(benchlib.percentile(everything, 0.95)),
            benchlib.ms(benchlib.percentile(everything, 0.99)),
            benchlib.ms(max(everything)),
        ]
    )
    print(benchlib.table(["recherche", "n", "p50 (ms)", "p95 (ms)", "p99 (ms)", "max (ms)"], rows))
    print(f"\nRequêtes SQL pour une adresse connue : {len(queries)}.")
    print("Réponses : " + ", ".join(f"{k} : {v}" for k, v in sorted(answers.items())) + ".")
    p95 = benchlib.percentile(everything, 0.95)
    verdict = "atteint" if p95 < TARGET_P95_MS else "MANQUÉ"
    print(f"\nObjectif p95 < {TARGET_P95_MS:.0f} ms : {verdict} ({p95:.1f} ms).")


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="sqlite,postgres", help="sqlite, postgres, ou les deux")
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.buildings, args.lookups)
        return
    for database in [d.strip() for d in args.database.split(",") if d.strip()]:
        if database not in URLS:
            raise SystemExit(f"Base inconnue : {database} (sqlite ou postgres)")
        if database == "postgres" and not postgres_reachable():
            print("(PostgreSQL injoignable sur 127.0.0.1:5432 : mesure sautée)")
            continue
        command = [sys.executable, __file__, "--child", database]
        command += ["--buildings", str(args.buildings), "--lookups", str(args.lookups)]
        result = subprocess.run(command, check=False, timeout=1800)
        if result.returncode != 0:
            print(f"({database} : la mesure a échoué, code {result.returncode})")


if __name__ == "__main__":
    main()
