"""Entry point of the chaos soak (ADR 0078): `python -m tests.chaos.run --changes 500 --faults 24`
(make chaos) or the short version `--changes 100 --faults 5 --short` (tests/chaos/test_short_soak.py).

The private PostgreSQL and Redis start first; Django is set up against them only then, which
is why the soak module is imported inside main()."""
import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from tests.chaos.servers import PrivatePostgres, PrivateRedis
from tests.ports import free_port


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--changes", type=int, default=500, help="approvals and releases (half each)")
    p.add_argument("--faults", type=int, default=24)
    p.add_argument("--seed", type=int, default=None, help="default: from the clock, printed")
    p.add_argument("--mean-gap", type=float, default=15.0, help="mean seconds between faults")
    p.add_argument("--outbound-fault-seconds", type=float, default=60.0)
    p.add_argument("--short", action="store_true", help="the make-test version: PostgreSQL restart first")
    p.add_argument("--keep", action="store_true", help="keep the run folder (logs) even on success")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="chaos-soak-"))
    root.chmod(0o755)  # the postgres user runs the private cluster inside it
    pg = PrivatePostgres(root / "pg", free_port())
    redis = None
    ok = False
    soak = None
    try:
        pg.init()
        redis = PrivateRedis(root / "redis", free_port())  # chosen once the cluster's port is taken
        redis.start()
        os.environ.update({
            "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": pg.url,
            "INTERMEDIARY_TEST_REDIS_URL": redis.url, "CELERY_BROKER_URL": redis.url,
            "AUDIT_ANCHOR_SINK_FILE": str(root / "anchors.jsonl"), "AUDIT_ANCHOR_SINKS": "audit.sinks.FileSink",
        })
        import django  # noqa: PLC0415 — only now: the settings read the environment set just above
        django.setup()
        from tests.chaos import soak as soak_module  # noqa: PLC0415 — it imports models: after setup
        soak = soak_module.Soak(args, root, pg, redis)
        result = soak.run()
        ok = soak_module.passed(result, args)
        print("SOAK_RESULT " + json.dumps(result, ensure_ascii=False), flush=True)
    finally:
        if soak is not None:
            soak.close()
        for server in (redis, pg):
            try:
                if server is not None:
                    server.stop()
            except (OSError, RuntimeError) as exc:
                print(f"[soak] could not stop {type(server).__name__}: {exc}")
        if ok and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"[soak] logs kept in {root}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
