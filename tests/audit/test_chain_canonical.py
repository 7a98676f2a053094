"""The chain's canonical JSON is written from a template for speed; it must stay byte for
byte the generic json.dumps form, which is what the chain is defined as (and what every
event already written was hashed from)."""
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from audit import chain

text = st.text(max_size=40)
ids = st.none() | st.integers(min_value=0, max_value=2**62)
json_scalars = st.none() | st.booleans() | st.integers(min_value=-2**53, max_value=2**53) | st.text(max_size=20)
details = st.dictionaries(st.text(max_size=12), st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                                                             | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                                                             max_leaves=10), max_size=6)


def generic(values: dict) -> bytes:
    body = {name: values[name] for name in chain.CHAINED_FIELDS}
    body["occurred_at"] = body["occurred_at"].isoformat(timespec="microseconds")
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@settings(max_examples=300, database=None, derandomize=True)
@given(event_id=st.integers(min_value=1, max_value=2**62), actor_id=ids, target_id=ids, username=text,
       department=text, role=text, action=text, outcome=st.sampled_from(["allowed", "denied"]), request_id=text,
       ip=text, channel=text, detail=details, micros=st.integers(min_value=0, max_value=10**15))
def test_template_equals_generic_json(event_id, actor_id, target_id, username, department, role, action, outcome,
                                      request_id, ip, channel, detail, micros):
    values = {"id": event_id, "occurred_at": datetime(2020, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros),
              "actor_id": actor_id, "actor_username": username, "department_code": department, "role": role,
              "action": action, "target_id": target_id, "outcome": outcome, "request_id": request_id, "ip": ip,
              "channel": channel, "detail": detail}
    assert chain.canonical(values) == generic(values)


def test_iso_text_from_the_database_equals_the_datetime_form():
    at = datetime(2026, 11, 23, 1, 2, 3, 4, tzinfo=UTC)
    values = {name: "" for name in chain.CHAINED_FIELDS} | {"id": 1, "actor_id": None, "target_id": None, "detail": {}}
    as_text = values | {"occurred_at": "2026-11-23T01:02:03.000004+00:00"}
    assert chain.canonical(values | {"occurred_at": at}) == chain.canonical(as_text)
