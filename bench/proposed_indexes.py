"""Copy a bench database and add the indexes the benchmark proposes, to measure their effect.

    .venv/bin/python bench/proposed_indexes.py --scales 1,10,100                 # SQLite copies
    .venv/bin/python bench/proposed_indexes.py --scales 100 --database postgres
    .venv/bin/python bench/bench_directory.py --database-url "sqlite:////tmp/cc_bench/places-{places}-idx.sqlite3"
    .venv/bin/python bench/bench_directory.py --database-url "postgres://postgres@127.0.0.1:5432/cc_bench_{places}_idx"

The project's migrations are not touched: the copy (``places-N-idx.sqlite3`` or
``cc_bench_N_idx``) gets the indexes below by plain SQL, so the same views and queries can be
measured with and without them. What each index is for, and the Django ``Meta.indexes`` line
that would add it for real, is in ``docs/performances.md``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from typing import Any

import benchlib

COMMON = [
    # "open now": the correlated EXISTS finds a place's slots by place first (SQLite otherwise
    # walks every slot of the weekday for each place: quadratic).
    "CREATE INDEX bench_slot_place_day_idx ON places_placeopeningslot (place_id, weekday, opens, closes)",
    # nearest() box and the distance sort: status + coordinates (+ name, the tie-break) in one
    # index that covers the sort key, instead of the status-only choice of the planner.
    "CREATE INDEX bench_place_status_geo_idx ON places_place (status, latitude, longitude, name)",
]
SQLITE = [
    # Word search and service filter: LIKE '% word%' cannot seek, but scanning a narrow covering
    # index is several times cheaper than scanning the wide table rows.
    "CREATE INDEX bench_place_status_search_idx ON places_place (status, search_text)",
    "CREATE INDEX bench_place_status_services_idx ON places_place (status, services)",
]
POSTGRES = [
    # Trigram GIN indexes answer LIKE '%…%' by index (pg_trgm ships with PostgreSQL).
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX bench_place_search_trgm_idx ON places_place USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX bench_place_services_trgm_idx ON places_place USING gin (services gin_trgm_ops)",
]


_CREATE = re.compile(r"CREATE INDEX (\w+) ON (\w+) (?:USING (\w+) )?\(([^)]*)\)")


def _columns(definition: str) -> tuple[str, ...]:
    return tuple(part.strip().split()[0].strip('"') for part in definition.split(","))


def existing_indexes(connection: Any, vendor: str) -> set[tuple[str, str, tuple[str, ...]]]:
    """(table, method, columns) of the indexes already in the database (from the migrations)."""
    found = set()
    if vendor == "sqlite":
        rows = connection.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
        definitions = [row[0].replace('"', "") for row in rows]
    else:
        rows = connection.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'").fetchall()
        definitions = [re.sub(r" ON (?:public\.)?", " ON ", row[0]).replace('"', "") for row in rows]
    for definition in definitions:
        match = re.search(r"INDEX (\w+) ON (\w+) (?:USING (\w+) )?\(([^)]*)\)", definition)
        if match:
            found.add((match[2], (match[3] or "btree").lower(), _columns(match[4])))
    return found


def apply(connection: Any, vendor: str, statements: list[str]) -> list[str]:
    """Run the statements, skipping an index whose table, method and columns already exist."""
    present = existing_indexes(connection, vendor)
    done = []
    for statement in statements:
        match = _CREATE.match(statement)
        if match and (match[2], (match[3] or "btree").lower(), _columns(match[4])) in present:
            print(f"  déjà dans le projet, sauté : {match[1]} ({match[4]})")
            continue
        connection.execute(statement)
        done.append(match[1] if match else statement.split()[-1])
    return done


def indexed_url(url: str) -> str:
    path = benchlib.sqlite_path(url)
    if path is not None:
        return url.removesuffix(".sqlite3") + "-idx.sqlite3"
    return url + "_idx"


def copy_with_indexes(url: str) -> str:
    """Copy the bench database ``url`` and add the proposed indexes; returns the copy's URL."""
    benchlib.check_bench_database(url)
    target = indexed_url(url)
    benchlib.check_bench_database(target)
    path = benchlib.sqlite_path(url)
    started = time.perf_counter()
    if path is not None:
        import sqlite3

        if not path.exists():
            raise SystemExit(f"{path} n'existe pas : lancez d'abord bench/generate_places.py.")
        copy = benchlib.sqlite_path(target)
        assert copy is not None
        for suffix in ("-wal", "-shm"):
            copy.with_name(copy.name + suffix).unlink(missing_ok=True)
        source = sqlite3.connect(path)
        source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        source.close()
        shutil.copyfile(path, copy)
        connection = sqlite3.connect(copy)
        added = apply(connection, "sqlite", COMMON + SQLITE)
        connection.commit()
        connection.close()
    else:
        import psycopg
        from psycopg import sql

        source_name = url.rsplit("/", 1)[1]
        target_name = target.rsplit("/", 1)[1]
        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target_name)))
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(target_name), sql.Identifier(source_name)
                )
            )
        with psycopg.connect(target, autocommit=True) as conn:
            added = apply(conn, "postgresql", COMMON + POSTGRES)
            conn.execute("ANALYZE")
    print(f"{target} : copie de {url} + {', '.join(added) or 'rien'} ({time.perf_counter() - started:.1f} s)")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--database", default="sqlite", help="sqlite, postgres ou un modèle d'URL avec {places}")
    parser.add_argument("--database-url", default="", help="modèle d'URL avec {places} (remplace --database)")
    args = parser.parse_args(argv)
    template = args.database_url or benchlib.template_for(args.database)
    for scale in benchlib.parse_scales(args.scales):
        copy_with_indexes(benchlib.database_url(template, benchlib.places_for(scale)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
