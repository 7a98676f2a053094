"""The product refuses to start on the demo's secrets (ADR 0062).

With DEBUG off and DEMO_MODE not declared, each of these is a system check ERROR with its own id:
manage.py (every command that runs checks: migrate, runserver, check, …) stops before doing
anything, gunicorn stops while importing config.wsgi, a Celery worker or beat stops at init
(config/celery.py), and the image's entrypoint runs `manage.py check` before any role.

The checks are not tagged "deploy": `check --deploy` is opt-in, a refusal must not be."""
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register, run_checks
from django.core.checks.messages import CheckMessage
from django.core.management.base import SystemCheckError

TAG = "dvprotect_startup"
# Values this repository has ever shipped as defaults or examples, and the usual placeholders.
KNOWN_DEFAULTS = frozenset({
    "", "change-me", "change-me-in-production", "changeme", "secret", "password", "postgres",
    "dvprotect", "dvprotect-app", "dvprotect-owner", "change-me-superuser", "admin", "test",
})
# The minimum a random key has (secrets.token_urlsafe(32) gives 43 characters).
MIN_SECRET_LENGTH = 32
# A database on this host or a Unix socket: a developer's own, not reachable by anyone else.
LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})

HINT_DEMO = "デモ・開発用なら DEMO_MODE=1 を設定してください（本番では設定しないこと）。"


def _weak(value: str) -> bool:
    return value.strip().lower() in KNOWN_DEFAULTS or value == settings.DEMO_SECRET_KEY \
        or value.startswith("django-insecure-")


def _enforced() -> bool:
    return not settings.DEBUG and not settings.DEMO_MODE


@register(TAG)
def secret_key_check(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    if not _enforced():
        return []
    key = settings.SECRET_KEY
    if _weak(key) or len(key) < MIN_SECRET_LENGTH:
        return [Error(
            "SECRET_KEY がデモ用の既定値か短すぎる値のままです。起動しません。",
            hint=f"{MIN_SECRET_LENGTH} 文字以上の乱数（例: python -c 'import secrets; "
                 f"print(secrets.token_urlsafe(50))'）を SECRET_KEY か SECRET_KEY_FILE で設定してください。{HINT_DEMO}",
            id="dvprotect.E001")]
    return []


@register(TAG)
def anchor_key_check(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    if not _enforced():
        return []
    key = settings.AUDIT_ANCHOR_SINK_KEY
    if _weak(key) or len(key) < MIN_SECRET_LENGTH:
        return [Error(
            "監査ログのアンカー鍵（AUDIT_ANCHOR_SINK_KEY）がデモ用の既定値か短すぎる値です。起動しません。",
            hint="既定では SECRET_KEY と同じ値です。SECRET_KEY を入れ替えた後も、以前のアンカーを検証できるよう"
                 f"旧い値を AUDIT_ANCHOR_SINK_KEY に設定してください。{HINT_DEMO}",
            id="dvprotect.E002")]
    return []


@register(TAG)
def intermediary_secret_check(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    # Empty is allowed: the real server may authenticate the link by other means (LGWAN, TLS
    # client certificates); a known placeholder or a short value is never a real secret.
    secret = settings.INTERMEDIARY_WS_SECRET
    if not _enforced() or not secret:
        return []
    if _weak(secret) or len(secret) < 16:
        return [Error(
            "中間サーバー連携の共有シークレット（INTERMEDIARY_WS_SECRET）が既定値か短すぎる値です。起動しません。",
            hint=f"openssl rand -hex 32 などで生成した値を INTERMEDIARY_WS_SECRET_FILE で渡してください。{HINT_DEMO}",
            id="dvprotect.E003")]
    return []


@register(TAG)
def database_password_check(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    if not _enforced():
        return []
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return []
    password, host = str(db.get("PASSWORD") or ""), str(db.get("HOST") or "")
    local = host in LOCAL_HOSTS or host.startswith("/")
    # A known default is refused on any host; an empty password only on a local one (peer or
    # trust authentication on this machine).
    if (password and _weak(password)) or (not password and not local):
        return [Error(
            f"データベース（{host or 'ローカル'}）のパスワードが空か既定値です。起動しません。",
            hint="DATABASE_PASSWORD_FILE（または DATABASE_URL）に、ロールごとの乱数パスワードを設定してください。"
                 + HINT_DEMO,
            id="dvprotect.E004")]
    return []


@register(TAG)
def broker_password_check(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    if not _enforced():
        return []
    url = urlsplit(settings.CELERY_BROKER_URL)
    if url.password is not None and _weak(url.password):
        return [Error("Celery ブローカー（CELERY_BROKER_URL）のパスワードが既定値です。起動しません。",
                      hint="CELERY_BROKER_URL_FILE で乱数パスワードを含む URL を渡してください。" + HINT_DEMO,
                      id="dvprotect.E005")]
    return []


@register(TAG)
def metrics_token_check(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    token = settings.METRICS_TOKEN
    if not _enforced() or not token:
        return []
    if _weak(token) or len(token) < MIN_SECRET_LENGTH:
        return [Error(f"METRICS_TOKEN が既定値か {MIN_SECRET_LENGTH} 文字未満です。起動しません。",
                      hint="未設定なら /metrics は公開されません（404）。設定するなら乱数を METRICS_TOKEN_FILE で。",
                      id="dvprotect.E006")]
    return []


def refuse_unsafe_start() -> None:
    """For the entry points Django's check framework does not cover (gunicorn via config.wsgi,
    Celery worker and beat): raise, with every message, when any startup check fails."""
    errors = [m for m in run_checks(tags=[TAG]) if m.is_serious()]
    if errors:
        raise SystemCheckError("起動を中止しました（安全でない設定）:\n" + "\n".join(
            f"{m.id}: {m.msg}\n    HINT: {m.hint}" for m in errors))

