"""Exactly one beat, with real `celery beat` processes against the test PostgreSQL: a second
beat refuses to schedule and says so; once the first is SIGKILLed a replacement takes over."""
import signal

from config.beat import REFUSED
from tests.intermediary.harness import PY, Env, wait_until


def start_beat(env: Env, name: str) -> None:
    # A sweep every second: a beat that schedules shows it within a second or two.
    env._spawn(name, [PY, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
                      "-s", str(env.tmp / f"{name}-schedule")], {"INTERMEDIARY_SWEEP_SECONDS": "1"})


def log_of(env: Env, name: str) -> str:
    return env.logs[name].read_text(errors="replace")


def test_a_second_beat_refuses_and_a_replacement_takes_over_after_a_kill(live_db, tmp_path, celery_test_broker):
    env = Env(tmp_path, "web_service")
    try:
        start_beat(env, "beat1")
        wait_until(lambda: "single-beat lock acquired" in log_of(env, "beat1"), timeout=40, what="beat1 has the lock")
        start_beat(env, "beat2")
        code = env.procs["beat2"].wait(timeout=40)
        assert code != 0, "the second beat must exit with an error"
        assert REFUSED in log_of(env, "beat2")
        assert "Scheduler: Sending due task" not in log_of(env, "beat2")
        wait_until(lambda: "Scheduler: Sending due task" in log_of(env, "beat1"), timeout=40,
                   what="the first beat keeps scheduling")
        assert env.procs["beat1"].poll() is None

        env.kill("beat1", signal.SIGKILL)  # its session ends with it, and so does the lock
        start_beat(env, "beat3")
        wait_until(lambda: "single-beat lock acquired" in log_of(env, "beat3"), timeout=40,
                   what="the replacement beat has the lock")
        assert env.procs["beat3"].poll() is None
    finally:
        env.stop_all()
