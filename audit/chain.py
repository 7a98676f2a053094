"""Hash chain: pure functions shared by the writer and the verifier."""
import hashlib
import json

GENESIS = "0" * 64

CHAINED_FIELDS = (
    "id", "occurred_at", "actor_id", "actor_username", "department_code", "role", "action",
    "target_id", "outcome", "request_id", "ip", "channel", "detail",
)


def canonical(values: dict) -> bytes:
    body = {name: values[name] for name in CHAINED_FIELDS}
    body["occurred_at"] = body["occurred_at"].isoformat(timespec="microseconds")
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def link(prev_hash: str, values: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + b"|" + canonical(values)).hexdigest()
