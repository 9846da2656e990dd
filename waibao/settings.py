"""The only settings module. Every knob comes from the environment; defaults are safe for development.

Nothing here branches on "production": the same file runs everywhere, and the environment decides.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WAIBAO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name) or ""
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("WAIBAO_DEBUG")
# Under pytest the suite sets its own safe values (no SECRET_KEY needed, no HTTPS redirects).
TESTING = env_bool("WAIBAO_TESTING", "pytest" in sys.modules)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    key_file = os.environ.get("SECRET_KEY_FILE", "")
    if not key and key_file and Path(key_file).exists():
        key = Path(key_file).read_text(encoding="utf-8").strip()
    if key:
        return key
    if DEBUG or TESTING:
        # Only for a developer's own machine; never used with debug off.
        return "insecure-development-key-do-not-use-in-production-0123456789abcdef"
    raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when WAIBAO_DEBUG is off.")


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "django_countries",  # country names in Chinese and English (locale files only; codes stay ISO 3166)
    # Waibao, in lifecycle order: later apps may depend on earlier ones, never the reverse.
    "waibao.core",
    "waibao.accounts",
    "waibao.vendors",
    "waibao.notifications",
    "waibao.calendars",
    "waibao.contracts",
    "waibao.delivery",
    "waibao.quality",
    "waibao.portal",
]

MIDDLEWARE = [
    "waibao.core.csp.ContentSecurityPolicyMiddleware",
    # first: a body larger than any upload may be is refused before anything reads it (core.limits)
    "waibao.core.limits.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "waibao.core.middleware.RequestBodyMiddleware",
    "waibao.core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "waibao.accounts.middleware.SessionIdleTimeoutMiddleware",
    "waibao.accounts.middleware.LanguageMiddleware",
    "waibao.accounts.middleware.RequireSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "waibao.urls"
WSGI_APPLICATION = "waibao.wsgi.application"

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
                "waibao.core.context_processors.shell",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database --------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'waibao.sqlite3'}",
        conn_max_age=env_int("WAIBAO_DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; the busy timeout makes writers queue
    # instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; "
            "PRAGMA foreign_keys=ON;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_URL_PATH = "/accounts/login/"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = env_int("WAIBAO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("WAIBAO_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_ENABLED = env_bool("WAIBAO_AXES_ENABLED", True)
AXES_IPWARE_PROXY_COUNT = env_int("WAIBAO_PROXY_COUNT", 0)

WAIBAO_SESSION_IDLE_MINUTES = env_int("WAIBAO_SESSION_IDLE_MINUTES", 30)
WAIBAO_REQUIRE_2FA_FOR_ADMIN = env_bool("WAIBAO_REQUIRE_2FA_FOR_ADMIN")
OTP_TOTP_ISSUER = "Waibao"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the body's hx-headers, not from the cookie

SECURE = env_bool("WAIBAO_SECURE_PROXY", not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env_bool("WAIBAO_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SECURE_HSTS_SECONDS = env_int("WAIBAO_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The Content-Security-Policy header on every response (waibao.core.csp): everything from this origin,
# images also as data: URIs (Bootstrap draws its form controls' arrows with them), no inline scripts or
# styles, no plugins, no framing. Set WAIBAO_CSP to replace it (e.g. to add a static-files host).
WAIBAO_CSP = os.environ.get(
    "WAIBAO_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)

# --- Language and time -----------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "waibao" / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("WAIBAO_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded files live outside any web root and are served only by permission-checked views.
MEDIA_ROOT = Path(os.environ.get("WAIBAO_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"
# Where `waibao backup` writes its archives when no --output is given (copy them off the machine).
WAIBAO_BACKUP_DIR = Path(os.environ.get("WAIBAO_BACKUP_DIR", VAR_DIR / "backups"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEBUG or TESTING)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WAIBAO_MAX_UPLOAD_MB = env_int("WAIBAO_MAX_UPLOAD_MB", 20)
# A request body other than files (a JSON body, a form's fields) larger than this is answered 413
# (core.middleware.RequestBodyMiddleware); files have their own limits (above, and core.limits).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("WAIBAO_MAX_BODY_MB", 10) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
WAIBAO_CERT_EXPIRING_DAYS = env_int("WAIBAO_CERT_EXPIRING_DAYS", 60)

# --- Mail ------------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
# Without an SMTP host, mail is printed to the console, or written to files in WAIBAO_MAIL_DIR if set.
EMAIL_FILE_PATH = os.environ.get("WAIBAO_MAIL_DIR", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
    if EMAIL_FILE_PATH
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "waibao@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# How long a vendor user's invitation link (set your password) stays valid.
WAIBAO_INVITATION_DAYS = env_int("WAIBAO_INVITATION_DAYS", 7)

# --- Background work -------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("WAIBAO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": [],
    }
}

# Large imports validate rows in this many worker processes (forked, no database access); 1 = in the
# importing process only. Default: the number of CPUs, at most 4.
WAIBAO_IMPORT_WORKERS = int(os.environ.get("WAIBAO_IMPORT_WORKERS") or min(4, os.cpu_count() or 1))
# A running background job renews its lease every third of this; a job on another host that has not
# renewed it for this long is taken for dead (on the same host, a gone process is seen at once).
WAIBAO_JOB_LEASE_SECONDS = env_int("WAIBAO_JOB_LEASE_SECONDS", 30)
# A vendor list import (the vendor archive's "import"): largest file and most rows, refused before the
# rows are read. Far below record imports: each row is a vendor, with its history entry.
WAIBAO_VENDOR_ARCHIVE_IMPORT_MAX_MB = env_int("WAIBAO_VENDOR_ARCHIVE_IMPORT_MAX_MB", 10)
WAIBAO_VENDOR_ARCHIVE_IMPORT_MAX_ROWS = env_int("WAIBAO_VENDOR_ARCHIVE_IMPORT_MAX_ROWS", 10_000)
# Import limits (core.limits): size and rows of one file; vendor users upload through the portal and
# get the lower pair. A request body larger than the largest of these limits is refused unread.
WAIBAO_IMPORT_MAX_MB = env_int("WAIBAO_IMPORT_MAX_MB", 200)
WAIBAO_IMPORT_MAX_ROWS = env_int("WAIBAO_IMPORT_MAX_ROWS", 2_000_000)
WAIBAO_VENDOR_IMPORT_MAX_MB = env_int("WAIBAO_VENDOR_IMPORT_MAX_MB", 20)
WAIBAO_VENDOR_IMPORT_MAX_ROWS = env_int("WAIBAO_VENDOR_IMPORT_MAX_ROWS", 200_000)
# Every uploaded table (lib.spreadsheets.Limits): characters in one cell (Excel's own limit); for .xlsx
# files, checked on the zip directory before anything is unpacked: all parts together, the shared text
# table (read whole into memory), and how many times one part may unpack its packed size (zip bombs).
WAIBAO_SHEET_MAX_CELL_CHARS = env_int("WAIBAO_SHEET_MAX_CELL_CHARS", 32_767)
WAIBAO_SHEET_MAX_UNPACKED_MB = env_int("WAIBAO_SHEET_MAX_UNPACKED_MB", 1024)
WAIBAO_SHEET_MAX_TEXT_TABLE_MB = env_int("WAIBAO_SHEET_MAX_TEXT_TABLE_MB", 100)
WAIBAO_SHEET_MAX_RATIO = env_int("WAIBAO_SHEET_MAX_RATIO", 100)

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WAIBAO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- API -------------------------------------------------------------------------------------
NINJA_PAGINATION_MAX_LIMIT = 200
WAIBAO_API_PAGE_SIZE = 50
WAIBAO_API_MAX_PAGE_SIZE = 200
