"""Settings of the benchmarks: the project's settings, plus a bare view and quiet logs.

Selected with ``DJANGO_SETTINGS_MODULE=bench_settings`` (``bench/`` on the path), by every
bench script and by the gunicorn the load benchmark starts. Differences from production
settings, and why:

- ``ROOT_URLCONF = "bench_urls"``: the project's URLs plus ``/bench/bare/`` (the baseline
  view of the load benchmark); the project's ``urls.py`` is not changed.
- ``testserver`` is an allowed host (Django's test Client, used in-process).
- Static files: plain ``StaticFilesStorage`` (the manifest storage would need a
  ``collectstatic`` first; both make ``{% static %}`` a dictionary lookup).
- The one-line-per-request JSON log is kept (its cost is part of the server time) but goes
  to a file under the bench directory rather than the terminal.
"""

from __future__ import annotations

import os

from cybercantal.settings import *  # noqa: F403
from cybercantal.settings import ALLOWED_HOSTS, LOGGING, STORAGES, VAR_DIR

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    _name = str(DATABASES["default"]["NAME"])  # noqa: F405
    if not _name.startswith("/tmp/"):  # noqa: S108 - a check, not a file
        raise RuntimeError(f"bench_settings refuse la base {_name} : les bases de bench sont sous /tmp/.")
elif not str(DATABASES["default"]["NAME"]).startswith("cc_bench"):  # noqa: F405
    raise RuntimeError("bench_settings refuse une base PostgreSQL dont le nom ne commence pas par cc_bench.")

ROOT_URLCONF = "bench_urls"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

LOGGING = {
    **LOGGING,
    "handlers": {
        "console": {
            "class": "logging.FileHandler",
            "filename": os.environ.get("BENCH_LOG_FILE", str(VAR_DIR / "bench-requests.log")),
            "formatter": "json",
        }
    },
}

# The anonymous API rate limit stays on (its cache round trips are part of the cost) but high
# enough for thousands of requests a minute from one address.
API_ANONYMOUS_RATE = os.environ.get("BENCH_API_ANONYMOUS_RATE", "1000000/m")
