"""The short chaos soak in `make test` (issue 14, ADR 0078): 100 approvals and releases over
HTTP while 5 faults fire — a PostgreSQL restart, a worker SIGKILL, a web process SIGKILLed
right after an approval committed, Redis FLUSHALL + restart, and one more drawn by the seed.
Private PostgreSQL and Redis (tests/chaos/servers.py); `make chaos` is the long one."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = 1414


def test_short_soak_loses_and_duplicates_nothing(capsys):
    run = subprocess.run(
        [sys.executable, "-m", "tests.chaos.run", "--changes", "100", "--faults", "5", "--short", "--seed", str(SEED),
         "--mean-gap", "5", "--outbound-fault-seconds", "8"],
        cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"}, capture_output=True, text=True, timeout=600)
    with capsys.disabled():
        print("\n" + "\n".join(line for line in run.stdout.splitlines() if line.startswith(("[chaos]", "  fault"))))
    lines = [line for line in run.stdout.splitlines() if line.startswith("SOAK_RESULT ")]
    assert lines, f"no result\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    result = json.loads(lines[-1].removeprefix("SOAK_RESULT "))
    assert result["seed"] == SEED and result["changes"] >= 100 and result["faults"] >= 5
    assert {"pg_restart", "kill_worker", "kill_web_after_commit", "redis_flushall_restart"} <= set(
        result["fault_kinds"])
    assert result["approved"] == result["reflected"] > 0
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["backlog"] == 0 and result["dead"] == 0
    assert result["audit_chain_ok"] and result["reconcile_drift"] == 0
    assert run.returncode == 0, run.stderr[-3000:]
