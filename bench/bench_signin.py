"""What one sign-in costs in password hashing, and what the ENT's Monday rush would spend on it.

    .venv/bin/python bench/bench_signin.py [--samples 20]

Times ``check_password`` (what every sign-in runs) for the hasher of the settings (Argon2id,
19 MiB, t = 2, p = 1, ADR 0013) beside Django's defaults (PBKDF2-SHA256 with 1,000,000 rounds,
Argon2 with 100 MiB and 8 lanes). CPU time (``process_time``) is reported beside elapsed time,
since a shared machine stretches the latter. Then the rush of issue 6: half of ~5,500 pupils
signing in within 10 minutes, as CPU-seconds per second of hashing (2 cores = 2.0 at most).
Figures are printed; this is not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import benchlib

RUSH_SIGNINS = 5_500 // 2
RUSH_SECONDS = 10 * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(benchlib.PROJECT_DIR / "src"))
    os.environ.pop("CYBERCANTAL_TESTING", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "cybercantal.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import get_hasher, make_password

    chosen = settings.PASSWORD_HASHERS[0]
    cases = [
        (f"settings ({chosen.rsplit('.', 1)[-1]})", get_hasher("default")),
        ("Django PBKDF2-SHA256 1 000 000", get_hasher("pbkdf2_sha256")),
    ]
    from django.contrib.auth.hashers import Argon2PasswordHasher

    cases.append(("Django Argon2 (100 MiB, p=8)", Argon2PasswordHasher()))
    print(f"{'hasher':<36} {'CPU p50':>9} {'CPU p95':>9} {'elapsed p95':>12} {'rush CPU-s/s':>13}")
    for label, hasher in cases:
        encoded = (
            make_password("Cantal-montagne-2026", hasher=hasher.algorithm)
            if hasher.algorithm != "argon2"
            else hasher.encode("Cantal-montagne-2026", hasher.salt())
        )
        hasher.verify("Cantal-montagne-2026", encoded)  # warm-up
        cpu, wall = [], []
        for _ in range(args.samples):
            c0, w0 = time.process_time(), time.perf_counter()
            assert hasher.verify("Cantal-montagne-2026", encoded)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        rush = RUSH_SIGNINS / RUSH_SECONDS * benchlib.percentile(cpu, 0.5) / 1000
        print(
            f"{label:<36} {benchlib.percentile(cpu, 0.5):>7.1f}ms {benchlib.percentile(cpu, 0.95):>7.1f}ms "
            f"{benchlib.percentile(wall, 0.95):>10.1f}ms {rush:>13.2f}"
        )
    rate = RUSH_SIGNINS / RUSH_SECONDS
    print(f"\nrush: {RUSH_SIGNINS} sign-ins in {RUSH_SECONDS // 60} min = {rate:.1f}/s; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
