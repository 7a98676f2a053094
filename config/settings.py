"""Settings, all from environment variables (12-factor).

Defaults give the embedded demo mode (SQLite under var/, no external server);
production sets DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=false.
"""
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.core import RESERVED_ATTRS

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()


def secret(name: str, default: str = "") -> str:
    """A secret from NAME_FILE (a Docker/compose secret: the file's content, without the final
    newline) or else from NAME. Both set is a mistake an operator must hear of at once."""
    path = env(f"{name}_FILE", default="")
    if path and env(name, default=""):
        raise ImproperlyConfigured(f"set {name} or {name}_FILE, not both")
    if path:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    return str(env(name, default=default))


DEBUG = env.bool("DEBUG", default=False)
# Declares the throwaway secrets and passwords of the embedded demo and the test suite acceptable
# (ADR 0062). `make run` sets it; a production deployment never does, so a process with DEBUG off
# and any of those defaults refuses to start (core/startup_checks.py).
DEMO_MODE = env.bool("DEMO_MODE", default=False)
# The embedded default key is only for the local demo; production must set SECRET_KEY.
DEMO_SECRET_KEY = "embedded-demo-only-not-for-production"  # noqa: S105 — the known value refused in production
SECRET_KEY = secret("SECRET_KEY", default=DEMO_SECRET_KEY)
# Earlier keys, still accepted for what they signed or sealed (Django's rotation list).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# The key that seals kept intake input at rest (ADR 0061); empty: derived from SECRET_KEY.
# Set it to keep sealed drafts readable across a SECRET_KEY change without fallbacks.
DRAFT_ENCRYPTION_KEY = env("DRAFT_ENCRYPTION_KEY", default="")
DRAFT_ENCRYPTION_KEY_FALLBACKS = env.list("DRAFT_ENCRYPTION_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
MUNICIPALITY_CODE = env("MUNICIPALITY_CODE", default="131041")
# 団体名 printed at the top of every 決裁票 (ADR 0028); the default matches the default code.
MUNICIPALITY_NAME = env("MUNICIPALITY_NAME", default="新宿区")

# Stricter-than-minimum local policy (DOMAIN.md §3). Each switch can only add measures.
FLAG_POLICY = {
    "both_flags_for_every_victim": env.bool("POLICY_BOTH_FLAGS_FOR_EVERY_VICTIM", default=False),
    "code_on_victim_for_case_1_1": env.bool("POLICY_CODE_ON_VICTIM_FOR_CASE_1_1", default=False),
}

# Reminders (victims/reminders.py, ADR 0026), computed from the live record each time.
# 住基DV等支援措置: the extension can be applied for from one month before the end (DOMAIN.md §7).
REMINDER_JUMIN_SUPPORT_LEAD_MONTHS = env.int("REMINDER_JUMIN_SUPPORT_LEAD_MONTHS", default=1)
# ②-I procedures not confirmed complete: follow up this many days after the set approval, and again.
REMINDER_PROCEDURE_FOLLOWUP_DAYS = env.int("REMINDER_PROCEDURE_FOLLOWUP_DAYS", default=30)
# A pending request this many days old is a reminder for the department's approvers.
REMINDER_APPROVAL_OVERDUE_DAYS = env.int("REMINDER_APPROVAL_OVERDUE_DAYS", default=3)
# A 転出 設定依頼 the receiving municipality has not confirmed this many days after it was issued (ADR 0040).
REMINDER_ONWARD_FOLLOWUP_DAYS = env.int("REMINDER_ONWARD_FOLLOWUP_DAYS", default=30)
# A reminder still due this many days after its due date is overdue: the daily job alerts the approvers.
REMINDER_OVERDUE_AFTER_DAYS = env.int("REMINDER_OVERDUE_AFTER_DAYS", default=7)
# The daily reminder job (Japan time), run by the single beat.
REMINDER_JOB_AT = env("REMINDER_JOB_AT", default="07:00")

# Auditors' anomaly views (issue 4): thresholds are the municipality's to tune.
# Daily anchor of the audit chain (Japan time), run by the single beat.
AUDIT_ANCHOR_AT = env("AUDIT_ANCHOR_AT", default="03:30")
# The daily verification is incremental and stops at this budget (the next run continues), so
# a task limit can never be outgrown however long the chain grows (ADR 0068); it is checked
# against the task's soft limit below.
AUDIT_VERIFY_BUDGET_SECONDS = env.float("AUDIT_VERIFY_BUDGET_SECONDS", default=120.0)
AUDIT_VERIFY_MAX_EVENTS_PER_RUN = env.int("AUDIT_VERIFY_MAX_EVENTS_PER_RUN", default=3_000_000)
# A full verification (audit_verify) runs id ranges in this many processes (0: one per core),
# once the chain has at least AUDIT_VERIFY_PARALLEL_MIN_EVENTS events (below, one process is faster).
AUDIT_VERIFY_WORKERS = env.int("AUDIT_VERIFY_WORKERS", default=0)
# Closed days counted for the anomaly view per run of the beat's task (ADR 0070); more continue at once.
AUDIT_DAY_COUNTS_PER_RUN = env.int("AUDIT_DAY_COUNTS_PER_RUN", default=31)
AUDIT_VERIFY_PARALLEL_MIN_EVENTS = env.int("AUDIT_VERIFY_PARALLEL_MIN_EVENTS", default=500_000)
# Each anchor and verification result also leaves the database (ADR 0018): these sinks, in
# order. The file is append-only JSON lines: put it on another volume, ideally WORM storage
# (docs/operations/audit_anchor_sinks.md); audit_verify reads it back. It belongs to this
# database: a database restored from an older backup is reported as truncated, by design.
AUDIT_ANCHOR_SINKS = env.list("AUDIT_ANCHOR_SINKS", default=["audit.sinks.FileSink", "audit.sinks.SyslogSink"])
AUDIT_ANCHOR_SINK_FILE = env("AUDIT_ANCHOR_SINK_FILE", default=str(BASE_DIR / "var" / "audit-anchors.jsonl"))
# A socket path, or host:port (UDP).
AUDIT_ANCHOR_SYSLOG_ADDRESS = env("AUDIT_ANCHOR_SYSLOG_ADDRESS", default="/dev/log")
# The HMAC key chaining the file's lines. Keep it when SECRET_KEY rotates (set it to the old value).
AUDIT_ANCHOR_SINK_KEY = secret("AUDIT_ANCHOR_SINK_KEY", default=SECRET_KEY)
AUDIT_ANOMALY = {
    "night_start_hour": env.int("AUDIT_NIGHT_START_HOUR", default=22),
    "night_end_hour": env.int("AUDIT_NIGHT_END_HOUR", default=6),
    "max_targets_per_user_day": env.int("AUDIT_MAX_TARGETS_PER_USER_DAY", default=20),
    "max_atena_per_user_day": env.int("AUDIT_MAX_ATENA_PER_USER_DAY", default=50),
    # Registrations of persons who were already targets (ADR 0015): one is a department that also
    # supports the person; several in a day by one clerk look like probing for who is protected.
    "max_duplicate_registrations_per_user_day": env.int("AUDIT_MAX_DUPLICATE_REGISTRATIONS_PER_USER_DAY",
                                                        default=2),
    # Password spraying (audit.spraying): within the window, this many accounts each failed at
    # most max_tries times, from one address or (a higher bar: staff mistype too) from all of them.
    "spray_window_minutes": env.int("AUDIT_SPRAY_WINDOW_MINUTES", default=60),
    "spray_max_tries_per_account": env.int("AUDIT_SPRAY_MAX_TRIES_PER_ACCOUNT", default=3),
    "spray_min_accounts_per_source": env.int("AUDIT_SPRAY_MIN_ACCOUNTS_PER_SOURCE", default=5),
    "spray_min_accounts_overall": env.int("AUDIT_SPRAY_MIN_ACCOUNTS_OVERALL", default=15),
}

# Bulk checks and お知らせ recipient files (issue 10 items 3 and 5, ADR 0017). Every cap is
# reached while the upload streams in, and reading stops at the first one.
BULK_MAX_NUMBERS = env.int("BULK_MAX_NUMBERS", default=1_000_000)  # the documented maximum
# The bulk check screen adds an xlsx of the result up to this many numbers (xlsx is ~10x slower
# to write than the CSV, bench/xlsx_export.py); above it the CSV alone (ADR 0059).
BULK_SCREEN_XLSX_MAX_ROWS = env.int("BULK_SCREEN_XLSX_MAX_ROWS", default=100_000)
# The numbers plus a header and some blank lines; a file of blank lines stops here.
BULK_MAX_LINES = env.int("BULK_MAX_LINES", default=BULK_MAX_NUMBERS + 1_000)
# An unreadable line refuses the call anyway; past this many, nothing more is worth reading.
BULK_MAX_MALFORMED_LINES = env.int("BULK_MAX_MALFORMED_LINES", default=1_000)
# Blank lines a file may hold. While the upload streams in, lines too short to hold a number
# (blank or malformed) are counted against both caps together, so a flood of them stops at once.
BULK_MAX_BLANK_LINES = env.int("BULK_MAX_BLANK_LINES", default=1_000)
# Bulk check body: 1,000,000 numbers as a JSON array ('"…", ' = 19 bytes each; a file takes
# 17: 15 digits + CRLF), plus 1 MiB for the envelope, a header and blank lines.
BULK_MAX_UPLOAD_BYTES = env.int("BULK_MAX_UPLOAD_BYTES", default=BULK_MAX_NUMBERS * 19 + (1 << 20))
# A 宛先ファイル keeps the department's other columns: 48 bytes a line on average (the
# benchmark's CP932 file with three columns takes 34).
RECIPIENT_FILTER_MAX_UPLOAD_BYTES = env.int("RECIPIENT_FILTER_MAX_UPLOAD_BYTES", default=BULK_MAX_NUMBERS * 48)
# Concurrent bulk jobs (bulk check or recipient filter) per caller, staff or system client:
# a caller cannot hold more than this many workers. A slot left by a killed worker expires.
BULK_JOBS_PER_CALLER = env.int("BULK_JOBS_PER_CALLER", default=1)
BULK_JOB_SLOT_SECONDS = env.int("BULK_JOB_SLOT_SECONDS", default=600)
# Numbers a caller may check in bulk per day (Japan time), bulk checks and recipient files together.
BULK_NUMBERS_PER_CALLER_DAY = env.int("BULK_NUMBERS_PER_CALLER_DAY", default=1_000_000)

# Inquiry request files stamped with 不開示コード, manual-provision files checked (ADR 0042–0045):
# the layout definitions (checks/layouts/<name>.json) in use. The stamper refuses to run until a
# system administrator confirmed the selected definition's code values (confirm_file_layout).
INQUIRY_FILE_LAYOUT = env.str("INQUIRY_FILE_LAYOUT", default="chukan_shokai_request")
PROVISION_FILE_LAYOUT = env.str("PROVISION_FILE_LAYOUT", default="manual_provision_example")
# Upload cap of these files; 0: BULK_MAX_LINES full lines of the selected layout plus 1 MiB.
FILE_STAMP_MAX_UPLOAD_BYTES = env.int("FILE_STAMP_MAX_UPLOAD_BYTES", default=0)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core",
    "audit",
    "accounts",
    "intermediary",
    "flags",
    "victims",
    "checks",
    "integration",
]

MIDDLEWARE = [
    # First: every response, an error from any later middleware included, has its request id.
    "audit.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which reads the body: a large body only where a view caps it itself.
    "core.body_cap.RequestBodyCapMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.NoStoreMiddleware",
    "accounts.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.Staff"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.capabilities",
                "accounts.context_processors.session_timeout",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url_config(secret("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'dvprotect.sqlite3'}")),
}
# The password alone may come from a secret file, so the URL in the compose file can stay public.
if env("DATABASE_PASSWORD_FILE", default="") or env("DATABASE_PASSWORD", default=""):
    DATABASES["default"]["PASSWORD"] = secret("DATABASE_PASSWORD")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default runs web and worker as separate processes on one file: a
    # transaction takes the write lock when it begins, so two audit appends cannot read the
    # same chain head; a writer waits for the lock rather than failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    # The anomaly view's failed-login indexes carry INCLUDE columns so PostgreSQL reads them
    # alone (ADR 0089); SQLite builds them as plain partial indexes, as intended, and Django
    # would say so on every migrate of the embedded default.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    # Connections are reused (ADR 0063): persistent per process/thread with a health check
    # before reuse (DB_CONN_MAX_AGE seconds), or Django's psycopg pool when DB_POOL_MAX_SIZE > 0
    # (worth it only with threaded gunicorn workers). Sizing: docs/operations/database_connections.md.
    # A conn_max_age in DATABASE_URL itself wins over DB_CONN_MAX_AGE.
    _pool_max = env.int("DB_POOL_MAX_SIZE", default=0)
    if _pool_max > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistent connections with a pool
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
            "max_size": _pool_max,
            # Waiting longer than this for a free connection is an error the request shows.
            "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
        }
    elif not DATABASES["default"].get("CONN_MAX_AGE"):
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=300)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # The account's own wait, from any address; first, so an attempt it refuses is marked as such
    # (an attempt axes refuses still counts as a failure of the account: ADR 0020).
    "accounts.login_delay.AccountDelayBackend",
    "axes.backends.AxesStandaloneBackend",  # before ModelBackend: refuses locked-out username+IP
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous object permissions at all
GUARDIAN_RAISE_403 = False

OTP_TOTP_ISSUER = "DV-Protect"

# Staff API tokens expire this many days after they were issued (ADR 0019).
# A notice to another linkage department (set / release / amend) not acknowledged this many days
# after it was sent is overdue: flagged on the recipient's home page, listed for auditors (ADR 0027).
NOTICE_ACK_DAYS = env.int("NOTICE_ACK_DAYS", default=3)
API_TOKEN_LIFETIME_DAYS = env.int("API_TOKEN_LIFETIME_DAYS", default=90)
# The department (code) whose head decides the requests of a department without an active
# approver (ADR 0035). Empty: the 情報連携 contact point (create_department --contact-point), if
# one is marked (ADR 0041); with neither, such requests wait for an approver of their own.
FALLBACK_APPROVER_DEPARTMENT = env("FALLBACK_APPROVER_DEPARTMENT", default="")

# Origins a form may be posted from besides the request's own host (behind the TLS proxy: https://<name>).
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Reverse proxies whose X-Forwarded-For and X-Request-ID are believed (IPs or CIDRs, comma
# separated). Empty: the client is REMOTE_ADDR and every request id is ours (ADR 0020).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Lockout after repeated failed logins, keyed on username + IP (django-axes). The client address
# is the one audit.proxy_headers decides (the audit log and the anomaly views use the same one).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "audit.proxy_headers.client_ip"
# Per account, from any address (accounts.login_delay, ADR 0020): after this many failures since
# the last successful login, each further attempt waits base_seconds, doubling up to max_seconds.
LOGIN_ACCOUNT_DELAY = {
    "after_failures": env.int("LOGIN_DELAY_AFTER_FAILURES", default=AXES_FAILURE_LIMIT),
    "base_seconds": env.int("LOGIN_DELAY_BASE_SECONDS", default=60),
    "max_seconds": env.int("LOGIN_DELAY_MAX_SECONDS", default=30 * 60),
    "window_hours": env.int("LOGIN_DELAY_WINDOW_HOURS", default=24),
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=["django.contrib.auth.hashers.PBKDF2PasswordHasher"],
)

LANGUAGE_CODE = "ja"
TIME_ZONE = "Asia/Tokyo"  # fixed by specification: shown in Japan time, stored in UTC
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
# Serve app static files straight from the source folders: one command runs the product,
# with no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG and env.bool("HTTPS", default=False))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=15 * 60)
# The warning with 「ログインを継続する」 appears this long before the idle timeout (WCAG 2.2.1, ADR 0048).
SESSION_IDLE_WARNING_SECONDS = env.int("SESSION_IDLE_WARNING_SECONDS", default=2 * 60)
SESSION_ABSOLUTE_TIMEOUT_SECONDS = env.int("SESSION_ABSOLUTE_TIMEOUT_SECONDS", default=12 * 60 * 60)
# Behind TLS in production (HTTPS=true): HSTS, secure cookies, redirect to https.
if env.bool("HTTPS", default=False):
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "integration.authentication.SystemClientAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api_parsers.JSONParser"],  # too deep a body is a 400, not a 500
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DV等被害者 不開示設定管理 API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # One name per choice set used by several fields (the worklist's case_types and reminders_due, ADR 0038).
    "ENUM_NAME_OVERRIDES": {"FlagKindEnum": "intermediary.flag_kinds.FLAG_KINDS",
                            "CaseTypeEnum": "victims.models.CaseType.values",
                            "ReminderKindEnum": "victims.models.ReminderKind.values",
                            "RequestOriginEnum": "victims.models.RequestOrigin.values"},
}

# Celery: the outbox table is the source of truth; the broker only triggers.
CELERY_BROKER_URL = secret("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE

# One JSON object a line in production (ADR 0066), plain text for the demo. Every line carries the
# request id, the acting user's and department's ids, the task id and the operation id where they
# exist (core/log_context.py) — ids only, never a name, birth date or 宛名番号.
LOG_FORMAT = env("LOG_FORMAT", default="text" if DEMO_MODE or DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.log_context.ContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s user=%(user_id)s "
                           "dept=%(department_id)s task=%(task_id)s op=%(operation_id)s] %(message)s"},
        # "timestamp": ISO 8601 in UTC, whatever TIME_ZONE says.
        # "request" (Django's request object on its own lines) is left out: its repr holds the full
        # URL with the query string, and the request id already identifies the request.
        "json": {"()": "pythonjsonlogger.json.JsonFormatter", "timestamp": True,
                 "reserved_attrs": [*RESERVED_ATTRS, "request"],
                 "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s "
                        "%(department_id)s %(task_id)s %(operation_id)s",
                 "rename_fields": {"levelname": "level", "name": "logger"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
# Celery keeps Django's logging (and so the format and the context fields) instead of its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# ... and leaves stdout/stderr alone: a beat or worker that redirects them into logging sends
# the console handler's own output back into logging, where Celery's recursion guard drops it
# (beat's "Sending due task" lines vanished).
CELERY_WORKER_REDIRECT_STDOUTS = False

# Prometheus metrics at /metrics (ADR 0065): off (404) unless a token is set, and then only for
# "Authorization: Bearer <token>". With several processes (gunicorn workers, Celery), set
# PROMETHEUS_MULTIPROC_DIR to an empty folder of this host so the counters of all are summed.
METRICS_TOKEN = secret("METRICS_TOKEN", default="")

# --- Intermediate server (自治体中間サーバー) --------------------------------------------
# The real interface specification is not public: everything the adapter sends or expects
# (channel, header values, windows, directories) is a setting, not a constant.
INTERMEDIARY_CHANNEL = env("INTERMEDIARY_CHANNEL", default="web_service")  # web_service | xml_batch
if INTERMEDIARY_CHANNEL not in ("web_service", "xml_batch"):
    raise ValueError("INTERMEDIARY_CHANNEL must be web_service or xml_batch")
INTERMEDIARY_WS_URL = env("INTERMEDIARY_WS_URL", default="http://127.0.0.1:8765")
INTERMEDIARY_WS_TIMEOUT = env.float("INTERMEDIARY_WS_TIMEOUT", default=5.0)
# Shared secret of the web-service link (ADR 0021): the client sends it as "Authorization:
# Bearer …" when set; the emulator refuses to start without one and answers 401 to any call
# but /health that lacks it. `make run` (run_all) generates one per run when unset.
INTERMEDIARY_WS_SECRET = secret("INTERMEDIARY_WS_SECRET", default="")
_INTERMEDIARY_VAR = Path(env("INTERMEDIARY_DATA_DIR", default=str(BASE_DIR / "var" / "intermediary")))
INTERMEDIARY_OUTBOUND_DIR = Path(env("INTERMEDIARY_OUTBOUND_DIR", default=str(_INTERMEDIARY_VAR / "outbound")))
INTERMEDIARY_INBOUND_DIR = Path(env("INTERMEDIARY_INBOUND_DIR", default=str(_INTERMEDIARY_VAR / "inbound")))
INTERMEDIARY_QUARANTINE_DIR = Path(env("INTERMEDIARY_QUARANTINE_DIR", default=str(_INTERMEDIARY_VAR / "quarantine")))
# Windows in Japan time. NO_AUTO_RESPONSE: every interval minutes inside service hours or the
# データ送受信機能停止時間; NONDISCLOSURE: once a day at DAILY_AT, which must lie in the stop hours.
INTERMEDIARY_SERVICE_HOURS = env("INTERMEDIARY_SERVICE_HOURS", default="06:00-23:30")
INTERMEDIARY_STOP_HOURS = env("INTERMEDIARY_STOP_HOURS", default="01:00-05:00")
INTERMEDIARY_DAILY_AT = env("INTERMEDIARY_DAILY_AT", default="02:00")
INTERMEDIARY_INTERVAL_MINUTES = env.int("INTERMEDIARY_INTERVAL_MINUTES", default=5)
# The batch for a window is written this long before it, so the server finds it at the window.
INTERMEDIARY_BATCH_LEAD_SECONDS = env.int("INTERMEDIARY_BATCH_LEAD_SECONDS", default=60)
INTERMEDIARY_MSG_TYPE_IDS = {
    "NO_AUTO_RESPONSE": env("INTERMEDIARY_MSG_TYPE_ID_NAR", default="TBF001"),
    "NONDISCLOSURE": env("INTERMEDIARY_MSG_TYPE_ID_ND", default="TBF002"),
}
INTERMEDIARY_MSG_MODE = env("INTERMEDIARY_MSG_MODE", default="1")  # 0 本番 / 1 テスト
INTERMEDIARY_SOURCE_SYSTEM_ID = env("INTERMEDIARY_SOURCE_SYSTEM_ID", default=f"LG{MUNICIPALITY_CODE}")
INTERMEDIARY_DESTINATION_SYSTEM_ID = env("INTERMEDIARY_DESTINATION_SYSTEM_ID", default="CHUKAN01")
# Delivery failing (retried or erroring) for longer than this raises an alert for system
# admins and a warning on the target's page for its departments (ADR 0060).
DELIVERY_FAILING_ALERT_AFTER_SECONDS = env.int("DELIVERY_FAILING_ALERT_AFTER_SECONDS", default=300)
# Who the warning tells the clerk to contact (the 情報連携 team).
DELIVERY_FAILING_CONTACT = env("DELIVERY_FAILING_CONTACT", default="情報連携担当")
INTERMEDIARY_MAX_ATTEMPTS = env.int("INTERMEDIARY_MAX_ATTEMPTS", default=8)
INTERMEDIARY_BACKOFF_BASE_SECONDS = env.float("INTERMEDIARY_BACKOFF_BASE_SECONDS", default=30.0)
INTERMEDIARY_BACKOFF_MAX_SECONDS = env.float("INTERMEDIARY_BACKOFF_MAX_SECONDS", default=3600.0)
# A claim older than this is a dead worker's; above the web-service timeout and task limit.
INTERMEDIARY_CLAIM_TIMEOUT_SECONDS = env.int("INTERMEDIARY_CLAIM_TIMEOUT_SECONDS", default=360)
INTERMEDIARY_SWEEP_SECONDS = env.float("INTERMEDIARY_SWEEP_SECONDS", default=30.0)
INTERMEDIARY_RECONCILE_AT = env("INTERMEDIARY_RECONCILE_AT", default="06:30")
# Driven clock for tests and demos only: a file holding an ISO timestamp. Unset in production.
INTERMEDIARY_CLOCK_FILE = env("INTERMEDIARY_CLOCK_FILE", default="")
# Fault-test hook only: pause between writing a batch's temp file and publishing it.
INTERMEDIARY_FAULT_PAUSE_BEFORE_PUBLISH = env.float("INTERMEDIARY_FAULT_PAUSE_BEFORE_PUBLISH", default=0.0)
# Chaos-soak hook only: when this file exists, the next process to commit an approval removes
# it and SIGKILLs itself before answering (intermediary/fault_hooks.py). Unset in production.
INTERMEDIARY_FAULT_KILL_AFTER_COMMIT_FILE = env("INTERMEDIARY_FAULT_KILL_AFTER_COMMIT_FILE", default="")
# The emulator (a separate process with its own database, never the app's). Loopback by
# default: only this machine reaches it (docker-compose runs it in the demo profile only).
INTERMEDIARY_EMULATOR_DB = env("INTERMEDIARY_EMULATOR_DB", default=str(_INTERMEDIARY_VAR / "emulator.sqlite3"))
INTERMEDIARY_EMULATOR_BIND = env("INTERMEDIARY_EMULATOR_BIND", default="127.0.0.1:8765")
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=CELERY_TASK_TIME_LIMIT)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30 if CELERY_TASK_TIME_LIMIT > 60 else None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
if CELERY_BROKER_URL.startswith("filesystem"):
    # Embedded mode: a broker that needs no server; one folder is both queue ends.
    _CELERY_FS = Path(env("CELERY_FS_BROKER_DIR", default=str(BASE_DIR / "var" / "celery")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_CELERY_FS / "queue"), "data_folder_out": str(_CELERY_FS / "queue"),
        "processed_folder": str(_CELERY_FS / "processed"), "store_processed": False,
    }
CELERY_BEAT_SCHEDULE_FILENAME = env("CELERY_BEAT_SCHEDULE_FILENAME",
                                    default=str(BASE_DIR / "var" / "celerybeat-schedule"))
# Exactly one beat (ADR 0077): the scheduler schedules only while it holds a lock — a
# PostgreSQL advisory lock (every host sees it), or with SQLite a file lock next to the schedule.
CELERY_BEAT_SCHEDULER = "config.beat:SingleBeatScheduler"
CELERY_BEAT_LOCK_FILE = env("CELERY_BEAT_LOCK_FILE", default=CELERY_BEAT_SCHEDULE_FILENAME + ".lock")
# The XML channel's files on one transfer host (ADR 0075): when set, the tasks that read or
# write the outbound/inbound folders go to this queue only, which only that host's worker
# consumes (`celery worker -Q <queue>`); unset, every worker takes them (shared storage).
INTERMEDIARY_TRANSFER_QUEUE = env("INTERMEDIARY_TRANSFER_QUEUE", default="")
INTERMEDIARY_FILE_TASKS = ("intermediary.xml_batch_tick", "intermediary.results_ingest", "intermediary.sweep")
CELERY_TASK_ROUTES = {name: {"queue": INTERMEDIARY_TRANSFER_QUEUE} for name in INTERMEDIARY_FILE_TASKS} \
    if INTERMEDIARY_TRANSFER_QUEUE else {}
if CELERY_TASK_SOFT_TIME_LIMIT and AUDIT_VERIFY_BUDGET_SECONDS >= CELERY_TASK_SOFT_TIME_LIMIT - 20:
    raise ImproperlyConfigured("AUDIT_VERIFY_BUDGET_SECONDS must stay 20 s below the task soft time limit")
# Visibility timeout stays above every time limit, or Redis would hand a running task to a second worker.
# (A raise, not an assert: asserts vanish under `python -O`.)
if CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 10**9) <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("the broker visibility_timeout must exceed CELERY_TASK_TIME_LIMIT")
# Sent XML records with no result file after this long are re-sent (same UUID) in a later window.
INTERMEDIARY_RESULT_TIMEOUT_SECONDS = env.int("INTERMEDIARY_RESULT_TIMEOUT_SECONDS", default=6 * 3600)

# Retention (ADR 0080, 0081): the beat runs every job daily at RETENTION_JOB_AT (Japan time).
RETENTION_JOB_AT = env("RETENTION_JOB_AT", default="04:30")
# Released (rejected, withdrawn) persons' personal data is erased this long after the last decision:
# 番号法 §23's record period. Ids, the flag history and the audit log stay.
PERSONAL_DATA_RETENTION_YEARS = env.int("PERSONAL_DATA_RETENTION_YEARS", default=7)
# django-axes' attempt records (lockouts last AXES_COOLOFF_HOURS; the audit log keeps every attempt).
AXES_ATTEMPT_RETENTION_DAYS = env.int("AXES_ATTEMPT_RETENTION_DAYS", default=90)
# XML files (outbound with a result, processed results, quarantined) are archived after this many
# days, and the archives removed after the record period.
INTERMEDIARY_FILE_ARCHIVE_DAYS = env.int("INTERMEDIARY_FILE_ARCHIVE_DAYS", default=30)
INTERMEDIARY_ARCHIVE_RETENTION_DAYS = env.int("INTERMEDIARY_ARCHIVE_RETENTION_DAYS", default=7 * 365 + 2)
INTERMEDIARY_ARCHIVE_DIR = Path(env("INTERMEDIARY_ARCHIVE_DIR", default=str(_INTERMEDIARY_VAR / "archive")))
