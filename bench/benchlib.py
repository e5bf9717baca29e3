"""Shared helpers of the benchmarks: scales, bench databases, settings, percentiles.

The benchmarks never touch the developer's database under ``var/``: every bench database is
either a SQLite file under ``/tmp/cc_bench/`` or a PostgreSQL database whose name starts with
``cc_bench``. Each script runs Django with ``bench_settings`` (the project's settings plus a
bare view, see that module).

Scales: ``1x`` is 350 places, ``10x`` 3,500, ``100x`` 35,000 (the issue's "national scale"),
``1000x`` 350,000 (optional, beyond the target). They are always spread over all the current
communes of the département (see ``generate_places.py``).
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
VAR_DIR = Path(os.environ.get("CC_BENCH_DIR", "/tmp/cc_bench"))  # noqa: S108 - bench data only
PLACES_PER_SCALE = 350
DEFAULT_SCALES = (1, 10, 100)
SQLITE_TEMPLATE = f"sqlite:///{VAR_DIR}/places-{{places}}.sqlite3"
POSTGRES_TEMPLATE = "postgres://postgres@127.0.0.1:5432/cc_bench_{places}"
# Ports given to the bench engineer: gunicorn listens on the middle one.
GUNICORN_PORT = 8108
TARGET_P95_MS = 100.0


def places_for(scale: int) -> int:
    return PLACES_PER_SCALE * scale


def parse_scales(text: str) -> list[int]:
    """``"1,10,100"`` or ``"1x,10x"`` -> ``[1, 10, 100]``."""
    scales = []
    for item in text.split(","):
        item = item.strip().lower().removesuffix("x")
        if not item:
            continue
        value = int(item)
        if value <= 0:
            raise ValueError(f"échelle invalide : {item}")
        scales.append(value)
    return scales


def database_url(template: str, places: int) -> str:
    """The URL of the bench database for ``places`` (``{places}`` in the template is replaced)."""
    return template.replace("{places}", str(places))


def template_for(engine: str) -> str:
    if engine in {"sqlite", "sqlite3"}:
        return SQLITE_TEMPLATE
    if engine in {"postgres", "postgresql", "pg"}:
        return POSTGRES_TEMPLATE
    if "://" in engine:
        return engine
    raise ValueError(f"base inconnue : {engine} (sqlite, postgres ou une URL)")


def engine_label(url: str) -> str:
    return "PostgreSQL" if url.startswith(("postgres", "pgsql")) else "SQLite"


def check_bench_database(url: str) -> None:
    """Refuse any database that is not a bench one (never the developer's var/ database)."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        path = Path(parts.path[1:] if parts.path.startswith("//") else parts.path).resolve()
        if not str(path).startswith("/tmp/"):  # noqa: S108 - a check, not a file
            raise SystemExit(f"Base de bench refusée : {path} n'est pas sous /tmp/.")
        if (PROJECT_DIR / "var") in path.parents:
            raise SystemExit(f"Base de bench refusée : {path} est la base du développeur.")
        return
    if parts.scheme.startswith(("postgres", "pgsql")):
        name = parts.path.lstrip("/")
        if not name.startswith("cc_bench"):
            raise SystemExit(f"Base de bench refusée : {name!r} ne commence pas par cc_bench.")
        if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise SystemExit("Base de bench refusée : PostgreSQL doit être sur cette machine (127.0.0.1).")
        return
    raise SystemExit(f"Base de bench refusée : schéma {parts.scheme!r} inconnu.")


def sqlite_path(url: str) -> Path | None:
    parts = urlsplit(url)
    if not parts.scheme.startswith("sqlite"):
        return None
    return Path(parts.path[1:] if parts.path.startswith("//") else parts.path)


def configure_django(url: str) -> None:
    """Environment for ``bench_settings`` on the bench database ``url``, then ``django.setup()``."""
    check_bench_database(url)
    (VAR_DIR / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT (whitenoise warns without it)
    os.environ["DATABASE_URL"] = url
    os.environ["CYBERCANTAL_VAR_DIR"] = str(VAR_DIR)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    os.environ.setdefault("DEBUG", "false")
    os.environ.pop("DATABASE_REPLICA_URL", None)
    os.environ.pop("REDIS_URL", None)
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    import django

    django.setup()


def bench_env(url: str) -> dict[str, str]:
    """Environment for a child process (gunicorn) serving the bench database ``url``."""
    check_bench_database(url)
    env = dict(os.environ)
    env.pop("DATABASE_REPLICA_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        DATABASE_URL=url,
        CYBERCANTAL_VAR_DIR=str(VAR_DIR),
        DJANGO_SETTINGS_MODULE="bench_settings",
        DEBUG="false",
        PYTHONPATH=os.pathsep.join(filter(None, [str(BENCH_DIR), env.get("PYTHONPATH", "")])),
    )
    return env


def request_log_entries(log: Path, offset: int = 0) -> Iterator[dict[str, Any]]:
    """The entries of gunicorn's JSON request log (``RequestLogMiddleware``) after byte
    ``offset``; lines that are not JSON objects are skipped, a missing log gives nothing."""
    if not log.exists():
        return
    with log.open("rb") as handle:
        handle.seek(offset)
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                yield entry


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def pin_to_one_core(core: int = 0) -> str:
    """Run this process on one core only; returns a French note saying what happened."""
    try:
        os.sched_setaffinity(0, {core})
    except (AttributeError, OSError) as exc:  # pragma: no cover - not Linux
        return f"épinglage sur un cœur impossible ({exc})"
    return f"processus épinglé sur le cœur {core}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, align: str = "") -> str:
    """A Markdown table (also readable in a terminal). ``align``: 'l' or 'r' per column."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    align = (align or "l" + "r" * (len(headers) - 1)).ljust(len(headers), "r")

    def line(row: Sequence[str]) -> str:
        parts = [cell.ljust(w) if a == "l" else cell.rjust(w) for cell, w, a in zip(row, widths, align, strict=True)]
        return "| " + " | ".join(parts) + " |"

    rule = (
        "|"
        + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2)) for w, a in zip(widths, align, strict=True))
        + "|"
    )
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def number(value: int) -> str:
    """``35000`` -> ``35 000`` (French thousands separator, a narrow no-break space)."""
    return f"{value:,}".replace(",", "\u202f")


def ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1f}"
