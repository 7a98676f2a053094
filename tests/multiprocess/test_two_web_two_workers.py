"""Several processes (issue 14): two gunicorn instances and two Celery workers against one
PostgreSQL (the test database) and one Redis, the emulator running. 150 people are approved
and then released through the API, each call on one of the two web instances in turn
(300 approvals over HTTP, two flags each); every operation must reach the server exactly once,
counted at the emulator."""
import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from accounts.services import api_token_issue
from intermediary.models import Operation, OperationStatus
from tests.intermediary.harness import Env, counts, report, send_task, wait_until

PEOPLE = 150


def call(base: str, token: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",  # noqa: S310 — loopback
                                 headers={"Content-Type": "application/json", "Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 — our own gunicorn on loopback
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{path}: {exc.code} {exc.read()[:300]!r}") from exc


def all_reflected(keys: list[str], action: str) -> bool:
    send_task("intermediary.sweep")  # what beat does every INTERMEDIARY_SWEEP_SECONDS
    return not Operation.objects.filter(unit_key__in=keys, action=action).exclude(
        status=OperationStatus.REFLECTED).exists()


def test_approvals_and_releases_over_two_web_instances_reflected_exactly_once(
        live_db, tmp_path, settings, celery_test_broker, counter, approver, register, capsys):
    started = time.monotonic()
    env = Env(tmp_path, "web_service")
    env.apply_to(settings)
    try:
        env.start_emulator()
        with ThreadPoolExecutor(4) as pool:  # start the four processes side by side
            webs = [pool.submit(env.start_web, f"web{i}") for i in (1, 2)]
            for f in [pool.submit(env.start_worker, f"worker{i}") for i in (1, 2)] + webs:
                f.result()
        bases = [w.result() for w in webs]
        tokens = {"counter": api_token_issue(actor=None, staff=counter),
                  "approver": api_token_issue(actor=None, staff=approver)}
        people = [register(counter) for _ in range(PEOPLE)]
        keys = [t.atena_no for t, _ in people]
        ready = time.monotonic()

        def approve(i: int, cr_id: int) -> dict:
            return call(bases[i % 2], tokens["approver"], f"/api/v1/change-requests/{cr_id}/approve", {})

        def release(i: int, target_id: int) -> None:
            asked = call(bases[i % 2], tokens["counter"], f"/api/v1/targets/{target_id}/release-requests/",
                         {"reason": "wish"})
            assert approve(i + 1, asked["id"])["status"] == "approved"  # decided on the other instance

        with ThreadPoolExecutor(6) as pool:
            assert all(r["status"] == "approved"
                       for r in pool.map(approve, range(PEOPLE), [cr.pk for _, cr in people]))
        wait_until(lambda: all_reflected(keys, "set"), timeout=120, interval=0.5, what="every set reflected")
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(release, range(PEOPLE), [t.pk for t, _ in people]))
        wait_until(lambda: all_reflected(keys, "release"), timeout=120, interval=0.5,
                   what="every release reflected")
        done = time.monotonic()
        c = counts(env, keys)
        report(capsys, "two web instances, two workers", c)
        with capsys.disabled():
            print(f"[multiprocess] approvals over HTTP={2 * PEOPLE} operations={c['approved']} "
                  f"applied at the server={c['applied_at_server']} start-up={ready - started:.1f}s "
                  f"approvals→all reflected={done - ready:.1f}s")
        assert c["approved"] == 4 * PEOPLE  # two flags per person, set then released
        assert c["reflected"] == c["approved"] == c["applied_at_server"]  # each applied exactly once
        assert c["lost"] == 0 and c["duplicated"] == 0
        web_logs = [env.logs[f"web{i}"].read_text() for i in (1, 2)]
        worker_logs = [env.logs[f"worker{i}"].read_text() for i in (1, 2)]
        assert all("Task intermediary.deliver_operation[" in log for log in worker_logs), "both workers delivered"
        assert all("Traceback" not in log for log in web_logs + worker_logs)
    finally:
        env.stop_all()
