"""gunicorn settings for one CyberCantal application server (docs/deploiement.md).

Start with:  gunicorn -c /opt/cybercantal/deploy/gunicorn.conf.py cybercantal.wsgi:application

Every value can be changed through the environment (the systemd unit reads
/etc/cybercantal/env), so the file itself stays the same on every server.
"""

import multiprocessing
import os

# Listen on the private network address that nginx reaches (one line per server in the
# nginx "upstream" block). 127.0.0.1:8000 when nginx runs on the same machine.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Processes x threads = requests served at once by this server. Each thread keeps its own
# database connection (CONN_MAX_AGE=60): servers x workers x threads must stay below
# PostgreSQL's max_connections (or put PgBouncer in front of it).
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"

# A request that takes longer than this is cut (and logged); the load balancer retries elsewhere.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then: a slow leak never grows for weeks.
max_requests = 2000
max_requests_jitter = 200

# The addresses of the nginx servers, which may set X-Forwarded-Proto (HTTPS detection).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The application writes one JSON line per request itself (core.middleware.RequestLogMiddleware,
# with request_id and duration): gunicorn's own access log would only repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Django reads its settings from the environment (docs/deploiement.md, "Variables d'environnement").
raw_env = ["DJANGO_SETTINGS_MODULE=cybercantal.settings"]

# gunicorn's control socket (for gunicornc) is not used: systemd starts and stops the server.
control_socket_disable = True
