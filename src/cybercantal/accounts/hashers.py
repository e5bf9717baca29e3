"""Password hashing: Argon2id at the cost OWASP recommends for interactive sign-in (ADR 0013).

Django's own Argon2 hasher uses 100 MiB and 8 lanes (about 0.2 s of CPU per sign-in here),
and its PBKDF2 default 1,000,000 rounds (0.25 to 0.5 s): with 2 cores, the Monday rush of the
ENT (thousands of pupils signing in within minutes) would spend the machine on hashing. Argon2id
with 19 MiB, 2 passes and 1 lane is the OWASP minimum for this use, memory-hard (expensive to
attack on GPUs) and costs about 25 ms of CPU. The parameters are stored in each hash: when they
change, Django re-hashes the password at the next sign-in, as it does for older PBKDF2 hashes.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id, m = 19 MiB, t = 2, p = 1 (same algorithm name: hashes stay readable by Django's)."""

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
