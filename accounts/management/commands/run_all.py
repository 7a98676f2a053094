"""One command for the demo: web + Celery worker + exactly one beat + the intermediate-server
emulator, supervised together (Ctrl-C stops all of them).

Embedded default: no Redis needed. When CELERY_BROKER_URL is not set, Celery's filesystem
transport under var/celery (CELERY_FS_BROKER_DIR) is used, for every child alike (web, worker
and beat must agree). The beat schedule file is CELERY_BEAT_SCHEDULE_FILENAME (var/ by default).
The emulator and its clients (worker, web) share INTERMEDIARY_WS_SECRET; when it is not set a
fresh one is generated for this run and handed to every child in its environment only (never
printed or written), so the emulator on loopback is never open (ADR 0021).
Exits non-zero when a child stopped on its own (not on Ctrl-C / SIGTERM)."""
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


def children_environment(environ: dict[str, str], base: Path) -> dict[str, str]:
    """One environment for every child: web, worker and beat must agree on the broker, and
    the emulator and its clients on the shared secret."""
    env = dict(environ)
    if not env.get("CELERY_BROKER_URL"):
        fs = Path(env.get("CELERY_FS_BROKER_DIR") or base / "var" / "celery")
        for sub in ("queue", "processed"):
            (fs / sub).mkdir(parents=True, exist_ok=True)
        env["CELERY_BROKER_URL"] = "filesystem://"
        env["CELERY_FS_BROKER_DIR"] = str(fs)
    if not env.get("INTERMEDIARY_WS_SECRET"):
        env["INTERMEDIARY_WS_SECRET"] = secrets.token_urlsafe(32)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class Command(BaseCommand):
    help = "デモ環境を起動する（Web・ワーカー・beat・中間サーバーエミュレーター）"

    def handle(self, *args, **options):
        base = Path(settings.BASE_DIR)
        env = children_environment(dict(os.environ), base)
        port = env.get("PORT", "8000")
        py = sys.executable
        manage = str(base / "manage.py")
        beat_schedule = Path(settings.CELERY_BEAT_SCHEDULE_FILENAME)
        beat_schedule.parent.mkdir(parents=True, exist_ok=True)
        children = {
            "emulator": [py, manage, "run_intermediary_emulator"],
            "worker": [py, "-m", "celery", "-A", "config", "worker", "-l", "INFO", "-P", "solo", "-n", "embedded@%h"],
            # Exactly one beat: it is started here and nowhere else.
            "beat": [py, "-m", "celery", "-A", "config", "beat", "-l", "INFO", "-s", str(beat_schedule)],
            "web": [py, manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        }
        procs = {}
        stopping = False
        failed = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name, cmd in children.items():
                # Our own fixed command lines (this interpreter running manage.py / celery), no input in them.
                procs[name] = subprocess.Popen(cmd, cwd=base, env=env, start_new_session=True)  # noqa: S603
                self.stdout.write(f"started {name} (pid {procs[name].pid})")
            self.stdout.write(f"http://127.0.0.1:{port}/  — Ctrl-C で全て停止します")
            while not stopping:
                for name, p in procs.items():
                    if p.poll() is not None:
                        self.stderr.write(f"{name} exited with {p.returncode}; stopping everything")
                        stopping = failed = True
                time.sleep(0.5)
        finally:
            for p in procs.values():
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for p in procs.values():
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        if failed:
            sys.exit(1)
