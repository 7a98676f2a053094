"""Chaos soak (issue 14 "Faults", ADR 0078): approvals and releases over HTTP while random
faults fire at random moments, then every operation must be reflected exactly once.

Run through tests/chaos/run.py, which starts the private PostgreSQL and Redis and sets Django
up against them before importing this module. Processes: the emulator, two gunicorn
instances, two Celery workers and one beat. Faults: SIGKILL of a worker, of the beat, of a web
process right after an approval committed; Redis FLUSHALL + restart; PostgreSQL restart; the
emulator down / answering errors / applying then timing out; the outbound folder unwritable.

Prints every fault with its time, then approved / reflected / lost / duplicated / max
approval→reflected, the backlog, the audit chain's verification and the reconciliation's
drift. The seed (printed) decides the faults, their order, the gaps and the pauses; the
machine's timing decides the rest."""
import argparse
import datetime
import http.client
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from accounts.models import Role
from accounts.services import api_token_issue, department_create, staff_create
from audit.verify import verify_chain
from flags.models import ChangeRequest
from intermediary import channels, services
from intermediary.models import Operation, OperationStatus
from tests.chaos.servers import PrivatePostgres, PrivateRedis
from tests.conftest import PASSWORD, intake_payload
from tests.intermediary.harness import Env, counts
from victims.intake import parse_intake
from victims.services import target_register

LOAD_THREADS = 6
FAULTS = ["kill_worker", "kill_beat", "kill_web_after_commit", "redis_flushall_restart", "pg_restart",
          "emulator_down", "emulator_error", "emulator_apply_then_timeout", "outbound_not_writable"]


class Soak:
    def __init__(self, args: argparse.Namespace, root: Path, pg: PrivatePostgres, redis: PrivateRedis):
        self.args, self.root, self.pg, self.redis = args, root, pg, redis
        self.seed = args.seed if args.seed is not None else int(time.time() * 1000) % 1_000_000
        self.rng = random.Random(self.seed)
        self.t0 = time.monotonic()
        self.fault_log: list[dict[str, Any]] = []
        self.timers: list[threading.Thread] = []
        self.kill_file = root / "kill-after-commit"
        self.outbound_back: threading.Thread | None = None

    # ---- set-up ----
    def start_processes(self) -> None:
        self.env = env = Env(self.root / "run", "web_service")
        env.apply_to(settings)
        # Fast re-drive and claim expiry, so the soak settles in seconds; many attempts, so a
        # minute of faults does not make operations dead.
        self.common = {"INTERMEDIARY_SWEEP_SECONDS": "2", "INTERMEDIARY_CLAIM_TIMEOUT_SECONDS": "6",
                       "INTERMEDIARY_MAX_ATTEMPTS": "200"}
        settings.INTERMEDIARY_MAX_ATTEMPTS = 200
        web_env = {**self.common, "INTERMEDIARY_FAULT_KILL_AFTER_COMMIT_FILE": str(self.kill_file)}
        self.spawners: dict[str, Callable[[], Any]] = {
            "emulator": env.start_emulator,
            "worker1": lambda: env.start_worker("worker1", extra_env=self.common),
            "worker2": lambda: env.start_worker("worker2", extra_env=self.common),
            "beat": lambda: env._spawn("beat", [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
                                                "-s", str(self.root / "beat-schedule")], self.common),
            "web1": lambda: self.bases.__setitem__(0, env.start_web("web1", extra_env=web_env)),
            "web2": lambda: self.bases.__setitem__(1, env.start_web("web2", extra_env=web_env)),
        }
        self.bases = ["", ""]
        env.start_emulator()
        with ThreadPoolExecutor(5) as pool:
            for f in [pool.submit(self.spawners[n]) for n in ("worker1", "worker2", "beat", "web1", "web2")]:
                f.result()

    def make_people(self, n: int) -> list[Any]:
        department_create(actor=None, code="kodomo", name="子ども家庭支援課", does_linkage=True)
        self.counter = staff_create(actor=None, username="counter1", department_code="kodomo", role=Role.COUNTER,
                                    password=PASSWORD)
        self.approver = staff_create(actor=None, username="approver1", department_code="kodomo",
                                     role=Role.APPROVER, password=PASSWORD)
        self.tokens = {"counter": api_token_issue(actor=None, staff=self.counter),
                       "approver": api_token_issue(actor=None, staff=self.approver)}
        return [target_register(actor=self.counter, data=parse_intake(intake_payload(), today=timezone.localdate()))
                for _ in range(n)]

    # ---- helpers ----
    def now(self) -> float:
        return time.monotonic() - self.t0

    def say(self, text: str) -> None:
        print(f"[soak {self.now():7.1f}s] {text}", flush=True)

    def db(self, fn: Callable[[], Any], timeout: float = 120.0) -> Any:
        """fn() against the database, retried while PostgreSQL restarts."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return fn()
            except (OperationalError, InterfaceError):
                connection.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def call(self, who: str, path: str, body: dict, done: Callable[[], Any], pick: int) -> Any:
        """POST through one web instance; on any failure (a killed web process, PostgreSQL
        restarting) first ask the database whether it happened anyway, then try the other."""
        deadline = time.monotonic() + 180
        attempt = 0
        while True:
            base = self.bases[(pick + attempt) % 2]
            req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",  # noqa: S310
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Token {self.tokens[who]}"})
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 — our gunicorn on loopback
                    return json.loads(resp.read())
            except urllib.error.HTTPError as exc:
                if exc.code < 500 and exc.code not in (409,):
                    already = self.db(done)
                    if already is not None:
                        return already
                    raise AssertionError(f"{path}: {exc.code} {exc.read()[:300]!r}") from exc
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError):
                pass
            already = self.db(done)
            if already is not None:
                return already
            if time.monotonic() > deadline:
                raise AssertionError(f"{path}: no answer for 180 s")
            attempt += 1
            time.sleep(0.3)

    # ---- the load ----
    def person(self, i: int, target: Any, cr: Any, pace: float) -> None:
        rng = random.Random(self.seed * 1000 + i)
        time.sleep(rng.uniform(0, pace))

        def approved(cr_id: int) -> Callable[[], Any]:
            def check():
                return {"id": cr_id} if ChangeRequest.objects.filter(pk=cr_id, status="approved").exists() else None
            return check

        self.call("approver", f"/api/v1/change-requests/{cr.pk}/approve", {}, approved(cr.pk), i)
        time.sleep(rng.uniform(0, pace))

        def release_asked():
            row = ChangeRequest.objects.filter(target_id=target.pk, action="release").values("pk").first()
            return {"id": row["pk"]} if row else None
        asked = self.call("counter", f"/api/v1/targets/{target.pk}/release-requests/", {"reason": "wish"},
                          release_asked, i + 1)
        self.call("approver", f"/api/v1/change-requests/{asked['id']}/approve", {}, approved(asked["id"]), i)

    # ---- the faults ----
    def plan(self) -> list[str]:
        n = self.args.faults
        if self.args.short:
            # The faults that kill or wipe something always; the rest drawn by the seed.
            must = ["pg_restart", "kill_worker", "kill_web_after_commit", "redis_flushall_restart"]
            rest = [f for f in FAULTS if f not in must]
            kinds = must[:n] + self.rng.sample(rest, max(0, min(n - len(must), len(rest))))
            self.rng.shuffle(kinds)
            return kinds
        kinds = list(FAULTS) + self.rng.choices(FAULTS, k=max(0, n - len(FAULTS)))
        self.rng.shuffle(kinds)
        return kinds

    def kill_and_respawn(self, name: str) -> str:
        """SIGKILL (the whole process group) and start it again 1–4 s later. A process still
        coming back from an earlier fault is waited for, so no second copy is ever started."""
        deadline = time.monotonic() + 60
        while name not in self.env.procs and time.monotonic() < deadline:
            time.sleep(0.2)
        pid = self.env.procs[name].pid
        self.env.kill(name)
        back = self.rng.uniform(1, 4)
        self.later(back, self.spawners[name])
        return f"{name} (pid {pid}), back after {back:.1f}s"

    def later(self, seconds: float, fn: Callable[[], None]) -> threading.Thread:
        def wait_then_run() -> None:
            time.sleep(seconds)
            fn()
        t = threading.Thread(target=wait_then_run, daemon=True)
        t.start()
        self.timers.append(t)
        return t

    def fire(self, kind: str) -> None:
        env, rng = self.env, self.rng
        detail = ""
        if kind == "kill_worker":
            detail = self.kill_and_respawn(rng.choice(["worker1", "worker2"]))
        elif kind == "kill_beat":
            detail = self.kill_and_respawn("beat")
        elif kind == "kill_web_after_commit":
            self.kill_file.write_text("armed")
            deadline = time.monotonic() + 30
            while self.kill_file.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            detail = "a web worker died right after committing an approval" if not self.kill_file.exists() \
                else "no approval came within 30 s"
            self.kill_file.unlink(missing_ok=True)
        elif kind == "redis_flushall_restart":
            down = rng.uniform(1, 5)
            self.redis.flushall_and_restart(down)
            detail = f"down {down:.1f}s"
        elif kind == "pg_restart":
            started = time.monotonic()
            self.pg.restart()
            detail = f"restarted in {time.monotonic() - started:.1f}s"
        elif kind == "emulator_down":
            down = rng.uniform(3, 10)
            env.fault("down", count=-1)
            self.later(down, lambda: env.fault("none"))
            detail = f"{down:.1f}s"
        elif kind == "emulator_error":
            count = rng.randint(3, 15)
            env.fault("error", count=count, code="E503")
            detail = f"next {count} calls"
        elif kind == "emulator_apply_then_timeout":
            count = rng.randint(2, 6)
            env.fault("apply_then_timeout", count=count, delay=2.0)
            detail = f"next {count} calls applied, answered after the 1 s timeout"
        elif kind == "outbound_not_writable":
            if self.outbound_back is not None:
                self.outbound_back.join()  # one such fault at a time: the folder is back first
            outbound = env.dirs["outbound"]
            aside = outbound.with_name("outbound.aside")
            outbound.rename(aside)
            outbound.write_text("not a folder: nothing can be written here")  # root ignores chmod
            seconds = self.args.outbound_fault_seconds
            readiness = readyz(self.bases[0])

            def restore():
                outbound.unlink()
                aside.rename(outbound)
            self.outbound_back = self.later(seconds, restore)
            detail = f"{seconds:.0f}s, /readyz answered {readiness} meanwhile"
        at = datetime.datetime.now(datetime.UTC).strftime("%H:%M:%S")
        self.fault_log.append({"t": round(self.now(), 1), "utc": at, "fault": kind, "detail": detail})
        self.say(f"FAULT {kind} {detail} (UTC {at})")

    def faults(self, stop: threading.Event) -> None:
        for kind in self.plan():
            time.sleep(self.rng.uniform(0.4, 1.6) * self.args.mean_gap)
            self.fire(kind)
        stop.set()

    # ---- the end ----
    def settle(self, keys: list[str]) -> float:
        for t in self.timers:
            t.join(timeout=120)
        for name, spawn in self.spawners.items():  # anything still down comes back
            proc = self.env.procs.get(name)
            if proc is None or proc.poll() is not None:
                self.env.procs.pop(name, None)
                spawn()
        self.env.fault("none")
        started = time.monotonic()
        deadline = started + 300
        while self.db(lambda: Operation.objects.filter(unit_key__in=keys).exclude(
                status=OperationStatus.REFLECTED).exists()):
            if time.monotonic() > deadline:
                break
            time.sleep(1)
        return time.monotonic() - started

    def verdict(self, keys: list[str], changes: int, settle_s: float) -> dict[str, Any]:
        c = counts(self.env, keys)
        backlog = Operation.objects.exclude(status=OperationStatus.REFLECTED).count()
        chain = verify_chain()
        drift = services.reconcile(listing=channels.state_listing(), now=timezone.now())
        return {"seed": self.seed, "changes": changes, "faults": len(self.fault_log),
                "fault_kinds": sorted({f["fault"] for f in self.fault_log}), "approved": c["approved"],
                "reflected": c["reflected"], "lost": c["lost"], "duplicated": c["duplicated"],
                "applied_at_server": c["applied_at_server"],
                "redeliveries_absorbed": c["redeliveries_absorbed_by_idempotency_key"],
                "max_latency_s": round(c["max_latency"] or 0.0, 1), "backlog": backlog,
                "dead": Operation.objects.filter(status=OperationStatus.DEAD).count(),
                "audit_chain_ok": chain.ok, "audit_events": chain.checked, "reconcile_drift": len(drift),
                "settle_s": round(settle_s, 1), "total_s": round(self.now(), 1)}

    def run(self) -> dict[str, Any]:
        a = self.args
        self.say(f"seed={self.seed} changes={a.changes} faults={a.faults} mean gap={a.mean_gap}s "
                 f"run folder={self.root}")
        call_command("migrate", verbosity=0)
        self.start_processes()
        people = self.make_people((a.changes + 1) // 2)
        keys = [t.atena_no for t, _ in people]
        self.say(f"ready: {len(people)} people registered, web at {self.bases}")
        load_seconds = max(a.faults * a.mean_gap, 10.0)
        # Each thread takes people one after the other; with two pauses of pace/2 on average
        # per person, the load lasts about as long as the faults keep firing.
        pace = load_seconds * LOAD_THREADS / len(people)
        stop = threading.Event()
        chaos = threading.Thread(target=self.faults, args=(stop,), daemon=True)
        chaos.start()
        with ThreadPoolExecutor(LOAD_THREADS) as pool:
            for job in [pool.submit(self.person, i, t, cr, pace) for i, (t, cr) in enumerate(people)]:
                job.result()
        self.say("load done; waiting for the remaining faults")
        chaos.join()
        settle_s = self.settle(keys)
        result = self.verdict(keys, 2 * len(people), settle_s)
        for f in self.fault_log:
            print(f"  fault at {f['t']:7.1f}s (UTC {f['utc']}): {f['fault']} {f['detail']}")
        print(f"[chaos] seed={result['seed']} changes={result['changes']} faults={result['faults']} "
              f"approved={result['approved']} reflected={result['reflected']} lost={result['lost']} "
              f"duplicated={result['duplicated']} max approval→reflected={result['max_latency_s']}s "
              f"backlog={result['backlog']} dead={result['dead']} audit chain ok={result['audit_chain_ok']} "
              f"({result['audit_events']} events) reconciliation drift={result['reconcile_drift']} "
              f"settled in {result['settle_s']}s, total {result['total_s']}s")
        return result

    def close(self) -> None:
        env = getattr(self, "env", None)
        if env is not None:
            env.stop_all()


def readyz(base: str) -> int:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=10) as resp:  # noqa: S310 — our gunicorn
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0


def passed(result: dict[str, Any], args: argparse.Namespace) -> bool:
    return (result["lost"] == 0 and result["duplicated"] == 0 and result["backlog"] == 0 and result["dead"] == 0
            and result["audit_chain_ok"] and result["reconcile_drift"] == 0 and result["changes"] >= args.changes
            and result["faults"] >= args.faults and "pg_restart" in result["fault_kinds"])


