"""Settings for smz. Everything deployment-specific comes from the environment.

Development gets safe defaults; with SMZ_ENV=production a missing secret is a hard failure at start-up.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SMZ_VAR_DIR", BASE_DIR / "var"))

VAR_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = os.environ.get("SMZ_ENV", "development") == "production"


def env_secret(name: str, dev_default: str) -> str:
    """A secret from the environment; the dev default is refused in production."""
    value = os.environ.get(name, "")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when SMZ_ENV=production")
    return dev_default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = env_secret("SECRET_KEY", "dev-only-insecure-secret-key-change-me-0123456789")
# Off unless asked for (DEBUG=1): `make run` must not show a traceback page to a browser or a device.
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Personal-data encryption (see smz/core/crypto.py). SMZ_DATA_KEYS = "id:base64key,id:base64key";
# SMZ_DATA_KEY_ID picks the key new values are written with; older ids stay readable for rotation.
SMZ_DATA_KEYS = env_secret(
    "SMZ_DATA_KEYS",
    "dev1:ZGV2LW9ubHktZGF0YS1rZXktMzItYnl0ZXMtbG9uZyE=",
)
SMZ_DATA_KEY_ID = os.environ.get("SMZ_DATA_KEY_ID", SMZ_DATA_KEYS.split(",")[0].split(":")[0])
SMZ_BLIND_INDEX_KEY = env_secret("SMZ_BLIND_INDEX_KEY", "dev-only-blind-index-key")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "django_tasks_db",
    "smz.core",
    "smz.accounts",
    "smz.registry",
    "smz.devices",
    "smz.attendance",
    "smz.notifications",
    "smz.video",
    "smz.faceid",
    "smz.approvals",
    "smz.labor",
    "smz.docking",
    "smz.terminals",
    "smz.compliance",
    "smz.portal",
]

MIDDLEWARE = [
    # First: every later layer (HTTPS redirect, axes, rate limits) sees the resolved client address and scheme.
    "smz.core.http.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "smz.core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "smz.core.middleware.PersonalDataMiddleware",  # no personal numbers in URLs; no-store (N2)
    "smz.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "smz.core.middleware.DomainErrorMiddleware",
    # Last: marks list pages, reports and exports as reads the replica may answer (smz/core/replica.py).
    "smz.core.replica.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "smz.portal.context.navigation",
            ],
        },
    },
]

# Embedded default: SQLite in WAL mode. Production: PostgreSQL through DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # The device requests' statements (smz.core.bulk.hot_cursor) are prepared on their connection after
        # this many runs: PostgreSQL then plans each once, not on every upload (issue 17 goal 2). Behind a
        # pooler in transaction mode older than PgBouncer 1.21 (no prepared statements) set it to "off".
        _prepare = os.environ.get("SMZ_PG_PREPARE_THRESHOLD", "2")
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
            None if _prepare == "off" else int(_prepare)
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "smz.sqlite3"),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A streaming replica of the PostgreSQL primary (issue 17, docs/scaling.md): the list pages, reports and exports
# below read from it while it is within SMZ_REPLICA_MAX_LAG_SECONDS; otherwise, and for everything else, the
# primary. Never written to; never migrated.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_URL and DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60)
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = 2
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["smz.core.replica.ReplicaRouter"]
SMZ_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("SMZ_REPLICA_MAX_LAG_SECONDS", "10"))
SMZ_REPLICA_CHECK_SECONDS = float(os.environ.get("SMZ_REPLICA_CHECK_SECONDS", "5"))
SMZ_REPLICA_ROUTES = [
    # list pages
    "portal:projects",
    "portal:workers",
    "devices:list",
    "attendance:calendar",
    "attendance:anomalies",
    "attendance:passes",
    "attendance:contests",
    "approvals:list",
    "labor:alerts",
    "labor:complaints",
    "compliance:deductions",
    "compliance:appeals",
    "compliance:credit_list",
    "docking:undocked",
    "faceid:duplicates",
    "faceid:checks",
    # reports and exports
    "attendance:calendar_export",
    "compliance:reports",
    "compliance:report_excel",
    "compliance:report_pdf",
    "compliance:credit_export",
    "api:employment_export",
    # API lists
    "api:project_list",
    "api:team_list",
    "api:worker_list",
    "api:employment_list",
    "api:enterprise_list",
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"

# Lockout after repeated failures (django-axes): 5 failures per username lock it for 30 minutes;
# an administrator can unlock from the accounts page. Against a spray over many usernames, one address is also
# locked after SMZ_LOGIN_ADDRESS_FAILURE_LIMIT failures in the same 30 minutes (higher, so a shared site
# office address is not locked by a few typos): smz/accounts/lockout.py.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
SMZ_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("SMZ_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_HANDLER = "smz.accounts.lockout.UsernameAndAddressHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/locked.html"
AXES_VERBOSE = False
# The per-address limit is our own handler's (axes.W006 expects it in AXES_LOCKOUT_PARAMETERS).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Worker login codes (smz/accounts/otp.py): besides 5 an hour per phone, at most this many code requests an
# hour from one address and from everybody together (a bound on the SMS bill and on number probing).
SMZ_OTP_PER_ADDRESS_HOURLY = int(os.environ.get("SMZ_OTP_PER_ADDRESS_HOURLY", "20"))
SMZ_OTP_GLOBAL_HOURLY = int(os.environ.get("SMZ_OTP_GLOBAL_HOURLY", "1000"))

# API tokens expire this many days after issue (a rotation issues a fresh one and revokes the old).
SMZ_API_TOKEN_DAYS = int(os.environ.get("SMZ_API_TOKEN_DAYS", "30"))

# Second factor (TOTP, smz/accounts/twofactor.py) for the city's and the authorities' accounts and superusers.
# On by default in production; in development an enrolled account is still asked for its code.
SMZ_REQUIRE_2FA = env_bool("SMZ_REQUIRE_2FA", PRODUCTION)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
# Reverse proxies whose X-Forwarded-For/-Proto are believed: "10.0.0.5,10.1.0.0/16" (empty: none, the
# server faces clients directly). From any other address those headers are dropped (smz/core/http.py).
TRUSTED_PROXIES = [p for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Live video (issue 16, smz/video/views/live.py): hls.js feeds the <video> from blob: URLs (media-src), and
# fetches the playlist and segments from the video platform's media server (ZLMediaKit), which is another origin:
# list those origins here, e.g. "http://10.0.0.5:8080,https://video.example.gov.cn" (the demo's sample clip is
# served by smz itself and needs none).
SMZ_VIDEO_STREAM_ORIGINS = [
    o.strip() for o in os.environ.get("SMZ_VIDEO_STREAM_ORIGINS", "").split(",") if o.strip()
]

# Content-Security-Policy on every response: no inline script or style, nothing from other origins.
# Page scripts live in smz/portal/static/portal/*.js; htmx's indicator style is switched off (base.html).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF, *SMZ_VIDEO_STREAM_ORIGINS],
    "media-src": [CSP.SELF, "blob:", *SMZ_VIDEO_STREAM_ORIGINS],
    "frame-src": [CSP.SELF, "blob:"],
    "frame-ancestors": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    # Personal files (face and ID-card photos, scans, snapshots): never under a public URL; served by
    # permission-checked views; sealed at rest with the data key (N2, smz/core/storage.py).
    "default": {
        "BACKEND": "smz.core.storage.EncryptedFileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "private"), "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Upload limits (issue 10 item 9, docs/security.md): files past 5 MB stream to a temporary file, not memory;
# a non-file body (JSON, form, device batch) over 20 MB and a multipart request over 32 MB are refused
# with 413 by their Content-Length before anything is read (smz.core.middleware.RequestSizeLimitMiddleware);
# each file is then checked against its own limit while read in chunks (smz.core.uploads.upload_read).
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
SMZ_MAX_UPLOAD_REQUEST_BYTES = 32 * 1024 * 1024
# 附件8 gateway: a 500-record dataList with its photos (the gateway checks it itself, in its own envelope).
SMZ_DOCKING_MAX_BYTES = 40 * 1024 * 1024
# A project receiving nothing (no gateway data, no direct gate upload) for this many days is "not docked"
# (smz.docking.selectors.apps.undocked_projects; the compliance rules count it).
SMZ_DOCKING_STALE_DAYS = int(os.environ.get("SMZ_DOCKING_STALE_DAYS", "3"))
DATA_UPLOAD_MAX_NUMBER_FILES = 20

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Face identity (issue 15, docs/devices/face-identity.md): a pass's snapshot is the enrolled person when the
# distance between the two face descriptors is below the threshold (chosen on the measured error rates there).
# Key-post holders' passes are all checked; labor passes with this probability (decided by the pass id).
SMZ_FACEID_THRESHOLD = float(os.environ.get("SMZ_FACEID_THRESHOLD", "0.6"))
SMZ_FACEID_SAMPLE_RATE = float(os.environ.get("SMZ_FACEID_SAMPLE_RATE", "0.05"))

# Links in emails (notifications) point here.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "smz-noreply@localhost")

# Text messages (worker login codes): a class with send(phone, text), see smz/accounts/sms.py.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "smz.accounts.sms.ConsoleBackend")

MAILERS = {
    "default": {
        "BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    }
}

# Logs carry ids, never personal data (STYLE.md). Request bodies and querystrings are not logged.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Personal numbers masked in every line, whoever logs it (smz/core/logredact.py, N2).
    "filters": {"pii": {"()": "smz.core.logredact.PersonalNumberFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["pii"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # weasyprint and fontTools narrate every PDF at INFO.
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # urllib3 logs each request line at DEBUG; the video platform's login (WVP) carries the password's
        # digest in its query string (smz/video/platforms/wvp.py), so its lines never reach the log.
        "urllib3": {"level": "INFO"},
    },
}

# Video (issue 16, docs/devices/video.md = 附件2). Camera ids must carry the city's division code; smz's own
# GB/T 28181 SIP server (manage.py video_sip_server) listens on UDP and TCP; a camera that misses
# SMZ_SIP_MISSED_KEEPALIVES keepalives is offline. An entrance is covered when an assigned camera is online
# during the working hours; gaps up to the tolerance are forgiven (a reboot, a network blip).
SMZ_VIDEO_CITY_CODE = os.environ.get("SMZ_VIDEO_CITY_CODE", "442000")
SMZ_SIP_HOST = os.environ.get("SMZ_SIP_HOST", "127.0.0.1")
SMZ_SIP_PORT = int(os.environ.get("SMZ_SIP_PORT", "15060"))
SMZ_SIP_SERVER_ID = os.environ.get("SMZ_SIP_SERVER_ID", "44200000002000000001")
SMZ_SIP_REALM = os.environ.get("SMZ_SIP_REALM", SMZ_SIP_SERVER_ID[:10])
SMZ_SIP_KEEPALIVE_SECONDS = int(os.environ.get("SMZ_SIP_KEEPALIVE_SECONDS", "60"))
SMZ_SIP_MISSED_KEEPALIVES = 3
SMZ_VIDEO_WORKING_HOURS = ("07:00", "19:00")
SMZ_VIDEO_GAP_TOLERANCE_MINUTES = 30
