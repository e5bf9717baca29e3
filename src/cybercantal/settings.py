"""Settings, read from the environment.

Every value that differs between a laptop and production comes from an environment
variable; the defaults are safe for local use (SQLite under ``var/``, console email).
``manage.py check --deploy`` is clean once ``DEBUG=false``, ``SECRET_KEY`` and
``CYBERCANTAL_HTTPS=true`` are set (see docs/deploiement.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from cybercantal.learning import federation

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("CYBERCANTAL_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _local_secret_key() -> str:
    """A random key kept in var/ so that sessions survive a restart on a laptop."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("CYBERCANTAL_TESTING", False)
HTTPS = env_bool("CYBERCANTAL_HTTPS", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if HTTPS:
        raise ImproperlyConfigured("SECRET_KEY doit être défini en production.")
    SECRET_KEY = _local_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# The public address of the platform, for links in emails and calendar feeds (no request there).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "cybercantal.core",
    "cybercantal.territory",
    "cybercantal.accounts",
    "cybercantal.places",
    "cybercantal.mediation",
    "cybercantal.kiosks",
    "cybercantal.grants",
    "cybercantal.telework",
    "cybercantal.learning",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rules.apps.AutodiscoverRulesConfig",
    "ninja",
    "template_partials",
    "django_htmx",
    "csp",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cybercantal.core.middleware.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cybercantal.kiosks.middleware.KioskSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "cybercantal.accounts.middleware.StaffMfaRequiredMiddleware",
]

ROOT_URLCONF = "cybercantal.urls"
WSGI_APPLICATION = "cybercantal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "cybercantal.core.context_processors.platform",
                "cybercantal.accounts.context_processors.menu",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database --------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'cybercantal.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue instead of failing at once; IMMEDIATE takes the write lock at
        # BEGIN so that read-then-write transactions are serialised (see ADR 0002).
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or None}
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"], conn_max_age=60)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["cybercantal.core.routers.ReadReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "cybercantal",
        }
    }

# --- Authentication ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id at the OWASP cost for interactive sign-in (ADR 0013); the others only read older
# hashes, which are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "cybercantal.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CyberCantal] "
# Tell people by email when their password, email addresses or two-factor setup change.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_ADAPTER = "cybercantal.accounts.adapters.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CyberCantal"
MFA_ADAPTER = "cybercantal.accounts.adapters.MfaAdapter"
# Cartable électronique: sign-in through ÉduConnect (SAML) or the académie's OpenID Connect
# provider (docs/ent-federation.md). Only when the environment configures one (ENT_SAML_*,
# ENT_OIDC_*): without them nothing is added and nothing is fetched. A federated sign-in
# never creates an account (FederationAdapter).
INSTALLED_APPS += federation.federation_apps()
SOCIALACCOUNT_PROVIDERS = federation.socialaccount_providers()
if SOCIALACCOUNT_PROVIDERS:
    SOCIALACCOUNT_ADAPTER = "cybercantal.learning.federation_adapter.FederationAdapter"

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static and media files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Private files (grant dossiers' quotes and invoices, later the ENT's documents): outside the
# web root, no URL; only permission-checked views read them (``core.uploads.serve``).
PRIVATE_ROOT = Path(os.environ.get("PRIVATE_ROOT", VAR_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": PRIVATE_ROOT}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    # Shared media storage for several application servers (S3-compatible). django-storages
    # reads only the access keys from the environment itself; the rest is passed here.
    # Private bucket: files are served through signed URLs that expire (querystring auth).
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            "location": os.environ.get("AWS_LOCATION", ""),
            "file_overwrite": False,
        },
    }
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**STORAGES["default"]["OPTIONS"], "location": os.environ.get("AWS_PRIVATE_LOCATION", "private")},
    }
if DEBUG or TESTING:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# One file of the cartable's document spaces at most (a video recorded on a phone): 100 Mio by
# default, learning.services.documents.DEFAULT_MAX_FILE_BYTES; nginx must let it through
# (client_max_body_size of /ent/ in deploy/nginx.conf).
LEARNING_DOCUMENT_MAX_BYTES = int(os.environ.get("LEARNING_DOCUMENT_MAX_BYTES", 100 * 1024 * 1024))
# Quotes, invoices and attachments of grant dossiers (checked by content, see core.uploads).
GRANTS_MAX_UPLOAD_BYTES = int(os.environ.get("GRANTS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
# An untouched draft dossier is deleted after this many days (its applicant is warned 30 days before).
GRANTS_DRAFT_RETENTION_DAYS = int(os.environ.get("GRANTS_DRAFT_RETENTION_DAYS", 365))
# Followed beneficiaries of the EPN network are erased this many months after their last
# accompaniment (job ``purge_expired_beneficiaries``).
MEDIATION_BENEFICIARY_RETENTION_MONTHS = int(os.environ.get("MEDIATION_BENEFICIARY_RETENTION_MONTHS", 24))
# Kiosk agents: a refresher training is due this many months after the last one attended; the
# agent screen looks for new help requests every this many seconds.
KIOSKS_TRAINING_REFRESHER_MONTHS = int(os.environ.get("KIOSKS_TRAINING_REFRESHER_MONTHS", 24))
KIOSKS_AGENT_POLL_SECONDS = int(os.environ.get("KIOSKS_AGENT_POLL_SECONDS", 20))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Email -------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CyberCantal <ne-pas-repondre@cybercantal.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks (ADR 0004) -----------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend" if TESTING else "django_tasks_db.DatabaseBackend",
        ),
    }
}

# Retention of finished task results, purged every night by ``core.tasks.purge``.
TASK_RESULT_RETENTION_DAYS = int(os.environ.get("TASK_RESULT_RETENTION_DAYS", "14"))
TASK_FAILED_RESULT_RETENTION_DAYS = int(os.environ.get("TASK_FAILED_RESULT_RETENTION_DAYS", "90"))
# Where ``cybercantal backup``/``restore`` find pg_dump and pg_restore (default: the PATH); they
# must be of the server's major version or newer (docs/sauvegarde.md).
PG_BIN_DIR = os.environ.get("PG_BIN_DIR", "")

# --- Legal notice, privacy and accessibility pages (docs/deploiement.md) ---------------------
# Facts about the publisher and the host are the operator's to state: empty values are shown
# as "à compléter" on the pages rather than invented.
CYBERCANTAL_PUBLISHER = os.environ.get("CYBERCANTAL_PUBLISHER", "")
CYBERCANTAL_PUBLISHER_ADDRESS = os.environ.get("CYBERCANTAL_PUBLISHER_ADDRESS", "")
CYBERCANTAL_PUBLISHER_PHONE = os.environ.get("CYBERCANTAL_PUBLISHER_PHONE", "")
CYBERCANTAL_PUBLISHER_EMAIL = os.environ.get("CYBERCANTAL_PUBLISHER_EMAIL", "")
CYBERCANTAL_PUBLICATION_DIRECTOR = os.environ.get("CYBERCANTAL_PUBLICATION_DIRECTOR", "")
CYBERCANTAL_HOST_NAME = os.environ.get("CYBERCANTAL_HOST_NAME", "")
CYBERCANTAL_HOST_ADDRESS = os.environ.get("CYBERCANTAL_HOST_ADDRESS", "")
CYBERCANTAL_HOST_PHONE = os.environ.get("CYBERCANTAL_HOST_PHONE", "")
CYBERCANTAL_DPO_EMAIL = os.environ.get("CYBERCANTAL_DPO_EMAIL", "")
CYBERCANTAL_ACCESSIBILITY_CONTACT = os.environ.get("CYBERCANTAL_ACCESSIBILITY_CONTACT", "")
CYBERCANTAL_ACCESSIBILITY_DATE = os.environ.get("CYBERCANTAL_ACCESSIBILITY_DATE", "")

# --- Security ----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^sante/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if HTTPS and not SECURE_HSTS_PRELOAD:
    # Preloading is a one-way decision for the whole domain; it is the operator's call.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Logging: one JSON object per line ------------------------------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "cybercantal.core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING" if TESTING else "INFO"},
        "cybercantal.request": {"level": os.environ.get("REQUEST_LOG_LEVEL", "WARNING" if TESTING else "INFO")},
    },
}

# --- API ---------------------------------------------------------------------------------
API_ANONYMOUS_RATE = os.environ.get("API_ANONYMOUS_RATE", "120/m")
# Kiosk heartbeats (``POST /api/bornes/signal``, kiosks/api.py): per token, refused attempts
# per address, all heartbeats per address.
KIOSK_HEARTBEAT_TOKEN_RATE = os.environ.get("KIOSK_HEARTBEAT_TOKEN_RATE", "10/m")
KIOSK_HEARTBEAT_REFUSAL_RATE = os.environ.get("KIOSK_HEARTBEAT_REFUSAL_RATE", "10/m")
KIOSK_HEARTBEAT_IP_RATE = os.environ.get("KIOSK_HEARTBEAT_IP_RATE", "600/m")
# Behind nginx every client has nginx's address (REMOTE_ADDR). TRUSTED_PROXY_COUNT is how
# many proxies in front of the application append to X-Forwarded-For (1 for one nginx): the
# client's address is then read there, for the per-address rate limits (API, sign-in) and
# the journal. 0 trusts no header (docs/deploiement.md).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
API_NUM_PROXIES = TRUSTED_PROXY_COUNT
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# --- The territory ---------------------------------------------------------------------------
DEPARTEMENT_CODE = os.environ.get("CYBERCANTAL_DEPARTEMENT", "15")
PLATFORM_NAME = os.environ.get("CYBERCANTAL_NAME", "CyberCantal")
