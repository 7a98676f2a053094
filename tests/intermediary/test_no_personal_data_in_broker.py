"""Canary test: a victim registered with a planted name and birth date is approved, so real
tasks go through the real Redis broker to a real worker and the emulator. Neither the
broker's payloads (read raw from Redis while they wait, and after the worker is done) nor any
log (this process, the worker, the emulator) may contain the name or the birth date."""
import base64
import json
import logging
from typing import Any

import redis

from intermediary.models import Operation, OperationStatus
from victims import services as flag_services

from .harness import REDIS_URL, Env, wait_until

NAME = "カナリア\u3000ミツコ"
KANA = "カナリア\u3000ミツコ"
BIRTH = "1987-06-05"
# Every spelling that would betray them: as typed, JSON-escaped, as a date repr, compact.
CANARIES = ["カナリア", "ミツコ", json.dumps("カナリア")[1:-1], BIRTH, "19870605", "1987, 6, 5", "1987/06/05"]


def broker_dump(client: redis.Redis) -> str:
    """Everything in the broker's Redis database as text: every key and value, and inside
    each kombu message its headers and its base64 body decoded."""
    parts = []
    for key in client.scan_iter():
        kind = client.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        values: list[Any]  # redis-py's return types vary with the call; every item is unwrapped as text
        if kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "hash":
            values = [v for pair in client.hgetall(key).items() for v in pair]
        elif kind == "zset":
            values = client.zrange(key, 0, -1)
        elif kind == "set":
            values = list(client.smembers(key))
        else:
            values = [client.get(key) or b""]
        parts.append(key.decode(errors="replace"))
        for raw in values:
            parts.extend(_unwrap(raw))
    return "\n".join(parts)


def _unwrap(raw: object) -> list[str]:
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    out = [text]
    try:
        message = json.loads(text)
    except ValueError:
        return out
    if isinstance(message, list):  # unacked entries: [message, exchange, routing key]
        message = message[0] if message and isinstance(message[0], dict) else {}
    if isinstance(message, dict) and "body" in message:
        out.append(json.dumps(message.get("headers", {}), ensure_ascii=False))
        try:
            out.append(base64.b64decode(message["body"]).decode(errors="replace"))
        except ValueError:
            pass
    return out


def leaks(text: str) -> list[str]:
    return [c for c in CANARIES if c in text]


def test_scanner_finds_a_canary_planted_in_a_task_message(celery_test_broker):
    """The scan reads real kombu messages: a task sent with the name as its argument is found."""
    client = redis.Redis.from_url(REDIS_URL)
    celery_test_broker.send_task("intermediary.sweep", args=[NAME, BIRTH], queue="canary-control")
    try:
        assert set(leaks(broker_dump(client))) >= {"カナリア", BIRTH}
    finally:
        client.delete("canary-control")


def test_no_name_or_birth_date_in_broker_payloads_or_logs(live_db, tmp_path, settings, celery_test_broker, counter,
                                                            approver, register, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    client = redis.Redis.from_url(REDIS_URL)
    env = Env(tmp_path, "web_service")
    env.apply_to(settings)
    try:
        env.start_emulator()
        targets = []
        for _ in range(3):
            target, cr = register(counter, name=NAME, name_kana=KANA, birth_date=BIRTH)
            flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
            targets.append(target)
        keys = [t.atena_no for t in targets]
        waiting = broker_dump(client)  # no worker yet: the tasks sit in Redis as sent
        queued = sum(client.llen(k) for k in client.scan_iter() if client.type(k) == b"list")
        env.start_worker()
        wait_until(lambda: not Operation.objects.filter(unit_key__in=keys).exclude(
            status=OperationStatus.REFLECTED).exists(), timeout=60, what="every operation reflected")
        after = broker_dump(client)
        worker_log = env.logs["worker"].read_text(errors="replace")
        emulator_log = env.logs["emulator"].read_text(errors="replace")
    finally:
        env.stop_all()
    found = {"broker while queued": leaks(waiting), "broker after delivery": leaks(after),
             "worker log": leaks(worker_log), "emulator log": leaks(emulator_log),
             "test process log": leaks(caplog.text)}
    with capsys.disabled():
        print(f"\n[canary] {len(targets)} targets approved, {queued} task messages scanned while queued, "
              f"{len(waiting) + len(after)} broker chars, {len(worker_log)} worker log chars, "
              f"{len(emulator_log)} emulator log chars; leaks: {found}")
    assert queued >= len(targets), "no task messages were captured: the scan proved nothing"
    assert "deliver_operation" in worker_log, "the worker ran nothing: its log proves nothing"
    assert not any(found.values()), found


def test_the_workers_json_log_names_tasks_and_operations_and_no_person(live_db, tmp_path, settings,
                                                                        celery_test_broker, counter, approver,
                                                                        register):
    """The production log format (LOG_FORMAT=json, ADR 0066) of a real worker: its delivery lines
    carry the task id and the operation id; no name, birth date or 宛名番号 is in any line."""
    env = Env(tmp_path, "web_service")
    env.apply_to(settings)
    try:
        env.start_emulator()
        keys = []
        for _ in range(2):
            target, cr = register(counter, name=NAME, name_kana=KANA, birth_date=BIRTH)
            flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
            keys.append(target.atena_no)
        ops = {str(pk) for pk in Operation.objects.filter(unit_key__in=keys).values_list("pk", flat=True)}
        env.start_worker(extra_env={"LOG_FORMAT": "json"})
        wait_until(lambda: not Operation.objects.filter(unit_key__in=keys).exclude(
            status=OperationStatus.REFLECTED).exists(), timeout=60, what="every operation reflected")
        wait_until(lambda: env.logs["worker"].read_text(errors="replace").count("operation delivery") >= len(ops),
                   timeout=30, what="the worker's delivery lines")
        worker_log = env.logs["worker"].read_text(errors="replace")
    finally:
        env.stop_all()
    lines = [json.loads(line) for line in worker_log.splitlines() if line.startswith("{")]
    delivered = [line for line in lines if line.get("logger") == "intermediary.tasks"]
    assert {line["operation_id"] for line in delivered} == ops
    assert all(line["task_id"] not in ("", "-") for line in delivered), delivered
    assert all({"timestamp", "level", "request_id", "user_id", "department_id"} <= set(line) for line in lines)
    assert not leaks(worker_log) and not [k for k in keys if k in worker_log]
