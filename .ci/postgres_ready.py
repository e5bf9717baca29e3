"""Is the PostgreSQL of ``make test`` reachable? Create its database if it is missing.

Usage: ``python .ci/postgres_ready.py postgres://user@host:port/name``

Exit 0 when the server answers and the database exists (created here if needed), 3 when
the server cannot be reached (the reason is printed). Python and psycopg only: a fresh
machine may have no ``psql``.
"""

from __future__ import annotations

import sys

import dj_database_url
import psycopg
from psycopg import sql

UNREACHABLE = 3


def main(url: str) -> int:
    config = dj_database_url.parse(url)
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "connect_timeout": 3,
    }
    name = config["NAME"]
    try:
        # The maintenance database exists on every server; ours may not exist yet.
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"Base PostgreSQL « {name} » créée.")
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        print(f"PostgreSQL injoignable ({reason}).", file=sys.stderr)
        return UNREACHABLE
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
