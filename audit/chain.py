"""Hash chain: pure functions shared by the writer and the verifier.

hash(n) = sha256(hash(n-1) | canonical JSON of event n). On PostgreSQL the writer hands the
canonical JSON to the database split around the id (which only the database knows at
insert time) and the database joins prefix + id + suffix and hashes it: the same bytes
this module hashes when it verifies."""
import hashlib
import json
from typing import Any

GENESIS = "0" * 64

CHAINED_FIELDS = (
    "id", "occurred_at", "actor_id", "actor_username", "department_code", "role", "action",
    "target_id", "outcome", "request_id", "ip", "channel", "detail",
)
# The canonical JSON is json.dumps(body, sort_keys=True, ensure_ascii=False,
# separators=(",", ":")). Its outer object always has exactly CHAINED_FIELDS as keys, so it
# is written from this template (keys in sorted order) and only `detail` goes through
# json.dumps: verifying 1,000,000 events spends most of its time here. A hypothesis test
# (tests/audit/test_chain_canonical.py) holds the template to json.dumps.
# c_encode_basestring is CPython's C accelerator (None without it); typeshed does not declare it.
_encode_str = json.encoder.c_encode_basestring or json.encoder.py_encode_basestring  # type: ignore[attr-defined]
_PREFIX = ('{{"action":{action},"actor_id":{actor_id},"actor_username":{actor_username},"channel":{channel},'
           '"department_code":{department_code},"detail":{detail},"id":')
_SUFFIX = (',"ip":{ip},"occurred_at":{occurred_at},"outcome":{outcome},"request_id":{request_id},"role":{role},'
           '"target_id":{target_id}}}')


def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _int_or_null(value) -> str:
    return "null" if value is None else str(int(value))


def canonical_parts(values: dict) -> tuple[str, str]:
    """The canonical JSON of an event without its id: (text before the id, text after).
    `occurred_at` is an aware datetime, or already its ISO text (the verifier reads it so)."""
    occurred = values["occurred_at"]
    if not isinstance(occurred, str):
        occurred = occurred.isoformat(timespec="microseconds")
    s = _encode_str
    prefix = _PREFIX.format(
        action=s(values["action"]), actor_id=_int_or_null(values["actor_id"]),
        actor_username=s(values["actor_username"]), channel=s(values["channel"]),
        department_code=s(values["department_code"]), detail=_dumps(values["detail"]))
    suffix = _SUFFIX.format(
        ip=s(values["ip"]), occurred_at=s(occurred), outcome=s(str(values["outcome"])),
        request_id=s(values["request_id"]), role=s(values["role"]), target_id=_int_or_null(values["target_id"]))
    return prefix, suffix


def canonical(values: dict) -> bytes:
    prefix, suffix = canonical_parts(values)
    return f"{prefix}{int(values['id'])}{suffix}".encode()


def link(prev_hash: str, values: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + b"|" + canonical(values)).hexdigest()


def hits_digest(target_ids: list[int]) -> dict[str, Any]:
    """The detail fields that tie a bulk look-up's AuditEventTarget rows to its chained event
    (audit/hits.py): count and SHA-256 of the sorted, distinct target ids."""
    text = ",".join(str(t) for t in target_ids)
    return {"hit_count": len(target_ids), "hits_sha256": hashlib.sha256(text.encode()).hexdigest()}
