"""ENLETS Hub settings.

Every setting that differs between machines comes from the environment, and only here.
docs/configuration.md lists each variable with its default; keep the two in step.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    # A typo such as ENLETS_HTTPS=ture must not silently switch a protection off.
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from exc
    if minimum is not None and number < minimum:
        # For example a lock-out limit of 0 would refuse every sign-in, an idle time of 0 every session.
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_rate(name: str, default: str) -> tuple[int, int] | None:
    """'600/m' -> (600, 60): so many requests per second, minute, hour or day; 'off' -> None."""
    value = os.environ.get(name, default).strip().lower()
    if value in ("", "off", "0"):
        return None
    periods = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    count, _, period = value.partition("/")
    if not count.isdigit() or int(count) < 1 or period[:1] not in periods:
        raise ImproperlyConfigured(f"{name} must look like 600/m (per s, m, h or d) or off, got {value!r}")
    return int(count), periods[period[:1]]


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("ENLETS_DEBUG")
# Demo mode seeds and prints demo sign-ins; never set it on a real deployment.
DEMO_MODE = env_bool("ENLETS_DEMO_MODE")
TESTING = env_bool("ENLETS_TESTING")

# Where the platform keeps its files (SQLite database, uploads, search index). Outside any web root.
DATA_DIR = Path(os.environ.get("ENLETS_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("ENLETS_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or DEMO_MODE or TESTING:
        # Only development, demo and test runs may use a throwaway key.
        SECRET_KEY = "insecure-development-key-not-for-production-use-0123456789abcdef"
    else:
        raise ImproperlyConfigured("ENLETS_SECRET_KEY must be set (see docs/configuration.md)")

ALLOWED_HOSTS = env_list("ENLETS_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("ENLETS_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "enlets.core",
    "enlets.network",
    "enlets.documents",
    "enlets.practices",
    "enlets.search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "enlets.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "enlets.core.middleware.ActiveAccountMiddleware",
    "enlets.core.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "enlets.core.middleware.RequireSecondFactorMiddleware",
]

ROOT_URLCONF = "enlets.urls"
WSGI_APPLICATION = "enlets.wsgi.application"
ASGI_APPLICATION = "enlets.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "enlets" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "enlets.core.context_processors.platform",
                "enlets.core.notifications.unread_notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'enlets.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("ENLETS_DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if TESTING else DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of deadlocking,
        # and the audit chain's "read the last hash, append" is serialised.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456;"
        ),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs more than it saves on the platform's short list queries
    # (80 ms of a 1.1 s plan at a million documents; docs/performance.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Parameters sent apart from the statement (server-side binding): what prepared statements need.
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
# The few statements every request runs whose plan does not depend on their values (the API token
# look-up, the access labels, the search's re-check of a page of hits) are prepared on PostgreSQL:
# the re-check took 1.2-1.3 ms, prepared 0.4-0.5 ms (enlets.core.compiled.run_prepared;
# docs/performance.md, change 20). Off for a pooler in transaction mode (PgBouncer).
DATABASE_PREPARED_STATEMENTS = env_bool("ENLETS_DB_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Caching (rate limits and lock-out counters must be shared by every app process) ---------
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "enlets_cache",
    },
    # The API rate counters: in each process's memory, so counting costs no database write per
    # request (the limit then holds per app-server process; docs/configuration.md).
    "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "enlets-throttle"},
}
if TESTING:
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "network.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests hash thousands of passwords.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# Invitation only: nobody signs themselves up.
ACCOUNT_ADAPTER = "enlets.network.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
# Lock-out: after this many failed sign-ins for one account in the window, sign-in is refused.
LOGIN_FAILURE_LIMIT = env_int("ENLETS_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("ENLETS_LOGIN_FAILURE_WINDOW_SECONDS", 900, minimum=1)
ACCOUNT_RATE_LIMITS = {
    # Per account (the lock-out) and per address (one address guessing many accounts).
    "login_failed": f"10/m/ip,{LOGIN_FAILURE_LIMIT}/{LOGIN_FAILURE_WINDOW_SECONDS}s/key",
    "login": "30/m/ip",
}
MFA_ADAPTER = "allauth.mfa.adapter.DefaultMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ENLETS Hub"
MFA_RECOVERY_CODE_COUNT = 10
# Roles that must have a second factor before they can use the platform.
ALL_ROLES = [
    "member",
    "ncp",
    "core_group",
    "core_group_leader",
    "secretariat",
    "observer",
    "external_partner",
    "administrator",
]
MFA_REQUIRED_ROLES = set(
    env_list("ENLETS_MFA_REQUIRED_ROLES", ",".join(r for r in ALL_ROLES if r != "external_partner"))
)
unknown_roles = MFA_REQUIRED_ROLES - set(ALL_ROLES)
if unknown_roles:
    raise ImproperlyConfigured(f"ENLETS_MFA_REQUIRED_ROLES names unknown roles: {sorted(unknown_roles)}")

# Sessions end after this much idle time (every request renews the cookie).
SESSION_COOKIE_AGE = env_int("ENLETS_SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
INVITATION_VALID_DAYS = env_int("ENLETS_INVITATION_VALID_DAYS", 14)
API_TOKEN_DEFAULT_DAYS = env_int("ENLETS_API_TOKEN_DEFAULT_DAYS", 90)

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("ENLETS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("ENLETS_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("ENLETS_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("ENLETS_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ENLETS_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("ENLETS_EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("ENLETS_DEFAULT_FROM_EMAIL", "ENLETS Hub <no-reply@enlets.invalid>")
# When the e-mail digests of new practices go out: daily at this hour (UTC), weekly on this weekday
# (0 = Monday) at the same hour (enlets/practices/tasks.py).
ENLETS_DIGEST_HOUR = env_int("ENLETS_DIGEST_HOUR", 6)
ENLETS_DIGEST_WEEKDAY = env_int("ENLETS_DIGEST_WEEKDAY", 0)
# The address people reach the platform at: links in e-mails sent by background tasks use it.
ENLETS_BASE_URL = os.environ.get("ENLETS_BASE_URL", "http://127.0.0.1:8000")
if TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# --- Files ------------------------------------------------------------------------------------
# Uploads live under DATA_DIR/media, which no URL maps to: they are served only by views that
# check visibility first.
MEDIA_ROOT = Path(os.environ.get("ENLETS_MEDIA_ROOT", DATA_DIR / "media")).resolve()
# No URL pattern serves this prefix (Django's test server needs some value); files go out only
# through views that check visibility.
MEDIA_URL = "/media-is-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT}},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# In development and tests whitenoise serves straight from the apps' static folders.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
MAX_UPLOAD_BYTES = env_int("ENLETS_MAX_UPLOAD_MB", 25, minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Search (enlets/search, docs/search.md) -----------------------------------------------------
SEARCH_ENGINE = os.environ.get("ENLETS_SEARCH_ENGINE", "tantivy").strip().lower() or "tantivy"
if SEARCH_ENGINE not in ("tantivy", "postgres"):
    raise ImproperlyConfigured(f"ENLETS_SEARCH_ENGINE must be tantivy or postgres; got {SEARCH_ENGINE!r}")
# The tantivy index files. Not created here: a missing index is reported on the search page.
# Test runs (several processes at once) each get their own folder, never the real index.
if TESTING and not os.environ.get("ENLETS_SEARCH_INDEX_DIR"):
    SEARCH_INDEX_DIR = Path(tempfile.mkdtemp(prefix="enlets-search-test-")).resolve()
    atexit.register(shutil.rmtree, SEARCH_INDEX_DIR, ignore_errors=True)
else:
    SEARCH_INDEX_DIR = Path(os.environ.get("ENLETS_SEARCH_INDEX_DIR") or DATA_DIR / "search").resolve()

# --- Background tasks -------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend" if TESTING else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

# --- Security headers -------------------------------------------------------------------------
HTTPS = env_bool("ENLETS_HTTPS", default=not (DEBUG or DEMO_MODE or TESTING))
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = HTTPS and env_bool("ENLETS_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("ENLETS_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # allauth's per-address sign-in limits then take the client address from the last
    # X-Forwarded-For entry (the one our proxy wrote); otherwise every sign-in would seem to come
    # from the proxy, and one attacker could use up everyone's "30 a minute".
    ALLAUTH_TRUSTED_PROXY_COUNT = 1
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS: list[str] = []

# Strict CSP: everything from this host, no inline script, no outside host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("ENLETS_TIME_ZONE", "Europe/Brussels")
USE_I18N = True
USE_TZ = True

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "enlets.core.middleware.RequestIdLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("ENLETS_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint and its font library log dozens of INFO lines per PDF.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# API requests per person (or per address, before authentication) and period; "off" disables.
# Off in the test suite, whose access matrix makes hundreds of requests per person a minute.
API_RATE_LIMIT = env_rate("ENLETS_API_RATE_LIMIT", "off" if TESTING else "600/m")

PLATFORM_NAME = "ENLETS Hub"
# The list pages count matches exactly up to this number and then say "more than".
LIST_COUNT_LIMIT = env_int("ENLETS_LIST_COUNT_LIMIT", 1_000)
