"""docker-compose.yml, read as compose would (ADR 0064): built from this repository's image,
every service restarts and has a healthcheck that tests what it does, secrets come from files,
TLS in front, and the emulator only in the demo profile. (tests/test_compose_db_roles.py: the
database roles.)"""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("proxy", "postgres", "redis", "web", "worker", "beat", "emulator")


def _healthcheck(name: str) -> str:
    test = SERVICES[name]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL"), name
    return " ".join(test[1:])


def test_the_app_services_run_the_image_built_here_with_no_install_at_start():
    for name in (*APP, "emulator"):
        service = SERVICES[name]
        assert service["build"] == "." and service["image"] == "dvprotect:local", name
        assert "pip" not in str(service.get("command", "")) and "deps" not in service.get("depends_on", {}), name
        assert (ROOT / "Dockerfile").exists()
    assert "deps" not in SERVICES  # the old "install into a shared volume at start" service is gone


def test_every_service_restarts_unless_stopped_and_the_one_shot_migration_does_not():
    for name in LONG_RUNNING:
        assert SERVICES[name]["restart"] == "unless-stopped", name
    assert SERVICES["migrate"]["restart"] == "no" and SERVICES["migrate"]["command"] == ["migrate"]


def test_every_healthcheck_tests_what_the_service_does():
    assert "/readyz" in _healthcheck("web")  # database, migrations, broker, outbound folder
    assert re.search(r"celery -A config inspect ping -d celery@\$\$HOSTNAME", _healthcheck("worker"))
    beat = _healthcheck("beat")
    assert "celerybeat-schedule" in beat and "getmtime" in beat
    assert SERVICES["beat"]["environment"] is SERVICES["web"]["environment"] or "/data/beat" in str(
        SERVICES["beat"]["volumes"])
    assert "https://127.0.0.1/healthz" in _healthcheck("proxy")  # through TLS to the app
    assert "pg_isready" in _healthcheck("postgres") and "-d dvprotect" in _healthcheck("postgres")
    assert "redis-cli ping" in _healthcheck("redis") and "REDISCLI_AUTH" in _healthcheck("redis")
    assert "/health" in _healthcheck("emulator")
    for name in LONG_RUNNING:
        check = SERVICES[name]["healthcheck"]
        assert check["interval"] and check["timeout"] and check["retries"], name


def test_exactly_one_beat():
    assert SERVICES["beat"]["deploy"]["replicas"] == 1


def test_secrets_come_from_files_and_no_secret_is_written_in_the_compose_file():
    declared = COMPOSE["secrets"]
    for name, secret in declared.items():
        assert secret["file"].startswith("./secrets/"), name
    for name in APP:
        env = SERVICES[name]["environment"]
        for key in ("SECRET_KEY", "DATABASE_PASSWORD", "CELERY_BROKER_URL", "INTERMEDIARY_WS_SECRET", "METRICS_TOKEN"):
            assert key not in env, (name, key)
            path = env[f"{key}_FILE"]
            assert path.startswith("/run/secrets/") and path.removeprefix("/run/secrets/") in SERVICES[name]["secrets"]
        assert "@" in env["DATABASE_URL"] and ":" not in env["DATABASE_URL"].split("//")[1].split("@")[0]
        assert env["DEBUG"] == "false" and env["LOG_FORMAT"] == "json" and "DEMO_MODE" not in env
    text = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"(PASSWORD|SECRET|TOKEN)[A-Z_]*:\s*\$\{[A-Z_]+:-", text)  # no default secret values
    assert "secrets/" in (ROOT / ".gitignore").read_text()


def test_the_proxy_terminates_tls_in_front_of_gunicorn_which_publishes_nothing():
    proxy = SERVICES["proxy"]
    assert proxy["image"].startswith("nginx:") and "443:443" in proxy["ports"]
    assert "./deploy/nginx/dvprotect.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert set(proxy["secrets"]) == {"tls_certificate", "tls_private_key"}
    for name in (*APP, "postgres", "redis", "emulator"):
        assert "ports" not in SERVICES[name], name
    proxy_ip = proxy["networks"]["backend"]["ipv4_address"]
    assert SERVICES["web"]["environment"]["TRUSTED_PROXIES"] == proxy_ip
    assert SERVICES["web"]["environment"]["FORWARDED_ALLOW_IPS"] == proxy_ip


def test_the_emulator_is_only_in_the_demo_profile():
    assert SERVICES["emulator"]["profiles"] == ["demo"]
    for name, service in SERVICES.items():
        if name != "emulator":
            assert "profiles" not in service, name
            assert "emulator" not in service.get("depends_on", {}), name


def test_web_counts_metrics_of_all_its_workers():
    assert SERVICES["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prometheus"  # noqa: S108 — in the container
    assert "/tmp" in SERVICES["web"]["tmpfs"]  # noqa: S108
