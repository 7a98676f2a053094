"""Transport to the intermediate server. No database access: callers own the state.

Web service (単件逐次): one JSON call per operation, the operation UUID as idempotency key.
A timeout is *ambiguous* (the server may have applied it): the caller retries with the same
key, which the server treats as already done."""
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class SendResult:
    ok: bool
    code: str = ""
    message: str = ""


def _ws_url(path: str) -> str:
    """The server's address from settings, refused unless it is http(s): urlopen would also
    follow file: and other schemes."""
    base = settings.INTERMEDIARY_WS_URL.rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        raise ImproperlyConfigured("INTERMEDIARY_WS_URL must be an http:// or https:// URL")
    return base + path


def _auth_headers() -> dict[str, str]:
    """The shared secret of the link (ADR 0021); none configured, none sent."""
    secret = settings.INTERMEDIARY_WS_SECRET
    return {"Authorization": f"Bearer {secret}"} if secret else {}


def _post(path: str, payload: dict, timeout: float) -> dict:
    req = urllib.request.Request(_ws_url(path), data=json.dumps(payload).encode(),  # noqa: S310 — http(s) only, _ws_url
                                 headers={"Content-Type": "application/json", **_auth_headers()}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 — http(s) only, _ws_url
        return json.loads(resp.read().decode())


def web_service_send(*, record_id: str, unit_type: str, unit_key: str, flag_kind: str, action: str) -> SendResult:
    payload = {"record_id": record_id, "unit_type": unit_type, "unit_key": unit_key,
               "flag_kind": flag_kind, "action": action}
    try:
        body = _post("/ws/flags", payload, settings.INTERMEDIARY_WS_TIMEOUT)
    except TimeoutError:
        return SendResult(False, "TIMEOUT", "応答なし（反映済みの可能性あり）")
    except urllib.error.HTTPError as exc:
        if exc.code == 401:  # a configuration error, not an outage: say which setting to check
            return SendResult(False, "HTTP401",
                              "中間サーバーの認証に失敗しました（共有シークレットを確認してください）")
        return SendResult(False, f"HTTP{exc.code}", "中間サーバー利用不可")
    except (urllib.error.URLError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return SendResult(False, "TIMEOUT", "応答なし（反映済みの可能性あり）")
        return SendResult(False, "UNREACHABLE", "中間サーバーに接続できません")
    except ValueError:
        return SendResult(False, "BADRESPONSE", "応答を解釈できません")
    if body.get("result") == "OK":
        return SendResult(True)
    return SendResult(False, str(body.get("code") or "E999")[:20], str(body.get("message") or "")[:200])


def state_listing() -> dict[tuple[str, str, str], bool]:
    """The server's flag state listing, for the daily reconciliation."""
    req = urllib.request.Request(_ws_url("/state/all"), headers=_auth_headers())  # noqa: S310 — http(s) only
    with urllib.request.urlopen(req, timeout=max(30.0, settings.INTERMEDIARY_WS_TIMEOUT)) as resp:  # noqa: S310
        rows = json.loads(resp.read().decode())["flags"]
    return {(r["unit_type"], r["unit_key"], r["flag_kind"]): bool(r["value"]) for r in rows}
