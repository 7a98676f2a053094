"""Item 9 of issue 10: the emulator's endpoints were open — `GET /state/all` listed every
flagged number, an unauthenticated `POST /ws/flags` released a flag, `/control/faults` took the
service down — and docker-compose ran it next to production. Now every path but /health needs
the shared secret (401 and no state change without it), the product's client sends it, the
emulator does not start without one, binds to loopback by default and is in the demo profile
only (ADR 0021). The worker journey with the secret: test_web_service_integration.py."""
import json
import os
import re
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
import yaml

from intermediary import channels
from intermediary.emulator.server import Emulator, serve
from intermediary.emulator.store import Store
from intermediary.management.commands.run_intermediary_emulator import Command as RunEmulator
from intermediary.windows import WindowConfig

from .harness import PY, ROOT, emulator_request, free_port

SECRET = "s3cret-for-this-test-only"
ATENA = "123456789012345"


@pytest.fixture
def emulator(tmp_path, settings):
    """An emulator on a free loopback port in this process, with its own SQLite store."""
    emu = Emulator(store=Store(tmp_path / "emu.sqlite3"), outbound=tmp_path / "out", inbound=tmp_path / "in",
                   cfg=WindowConfig.from_settings(settings))
    server = serve(emu, "127.0.0.1", 0, secret=SECRET)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.INTERMEDIARY_WS_URL, settings.INTERMEDIARY_WS_SECRET = base, SECRET
    yield emu, base
    server.shutdown()
    server.server_close()


def flag_body(action: str) -> dict:
    return {"record_id": str(uuid.uuid4()), "unit_type": "atena", "unit_key": ATENA, "flag_kind": "NONDISCLOSURE",
            "action": action}


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
def test_without_the_secret_nothing_is_read_or_changed(emulator, secret):
    emu, base = emulator
    assert emulator_request(base, "POST", "/ws/flags", flag_body("set"), secret=SECRET)[0] == 200  # a flagged person
    for method, path, body in [("GET", "/state/all", None), ("GET", f"/state?atena_no={ATENA}", None),
                               ("GET", f"/inquiry?atena_no={ATENA}", None),
                               ("GET", f"/provision?atena_no={ATENA}", None), ("GET", "/control/stats", None),
                               ("POST", "/ws/flags", flag_body("release")),
                               ("POST", "/control/faults", {"mode": "down", "count": -1}),
                               ("POST", "/control/poll", {})]:
        status, answer = emulator_request(base, method, path, body, secret=secret)
        assert (status, answer) == (401, {"error": "unauthorized"}), (method, path)
        assert ATENA not in json.dumps(answer)
    assert emu.store.flag("atena", ATENA, "NONDISCLOSURE") is True  # the release never happened
    assert emu.store.is_down() is False  # nor the fault
    assert emu.store.stats()["deliveries"] == 1


def test_with_the_secret_flags_state_and_faults_work(emulator):
    emu, base = emulator
    assert emulator_request(base, "POST", "/ws/flags", flag_body("set"), secret=SECRET) == (200, {"result": "OK"})
    status, listing = emulator_request(base, "GET", "/state/all", secret=SECRET)
    assert status == 200 and listing["flags"] == [
        {"unit_type": "atena", "unit_key": ATENA, "flag_kind": "NONDISCLOSURE", "value": True}]
    down = {"mode": "down", "count": -1}
    assert emulator_request(base, "POST", "/control/faults", down, secret=SECRET) == (200, {"ok": True})
    assert emu.store.is_down() is True
    assert emulator_request(base, "GET", "/health") == (200, {"ok": True, "down": True})  # open for health checks only


def test_the_products_client_sends_the_secret(emulator, settings):
    emu, _ = emulator
    sent = channels.web_service_send(record_id=str(uuid.uuid4()), unit_type="atena", unit_key=ATENA,
                                     flag_kind="NO_AUTO_RESPONSE", action="set")
    assert sent == channels.SendResult(True)
    assert channels.state_listing() == {("atena", ATENA, "NO_AUTO_RESPONSE"): True}
    settings.INTERMEDIARY_WS_SECRET = "not-the-emulators"
    refused = channels.web_service_send(record_id=str(uuid.uuid4()), unit_type="atena", unit_key=ATENA,
                                        flag_kind="NO_AUTO_RESPONSE", action="release")
    assert refused.code == "HTTP401" and "共有シークレット" in refused.message
    assert emu.store.flag("atena", ATENA, "NO_AUTO_RESPONSE") is True


def test_the_emulator_does_not_start_without_a_secret(tmp_path):
    env = {**os.environ, "INTERMEDIARY_WS_SECRET": "", "INTERMEDIARY_EMULATOR_DB": str(tmp_path / "e.sqlite3")}
    done = subprocess.run([PY, "manage.py", "run_intermediary_emulator", "--bind", f"127.0.0.1:{free_port()}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "INTERMEDIARY_WS_SECRET" in done.stderr
    with pytest.raises(ValueError):
        serve(None, "127.0.0.1", 0, secret="")


def test_loopback_by_default(settings):
    assert settings.INTERMEDIARY_EMULATOR_BIND.startswith("127.0.0.1:")
    assert RunEmulator().create_parser("manage.py", "run_intermediary_emulator").parse_args([]).bind \
        == settings.INTERMEDIARY_EMULATOR_BIND


def test_compose_keeps_the_emulator_out_of_production():
    services = yaml.safe_load(Path(ROOT, "docker-compose.yml").read_text())["services"]
    # The image's entrypoint runs the emulator for the `emulator` role only (ADR 0064).
    entrypoint = Path(ROOT, "deploy", "entrypoint.sh").read_text()
    assert re.search(r"^  emulator\)\n    exec python manage.py run_intermediary_emulator ", entrypoint, re.M)
    runs_emulator = [n for n, s in services.items() if (s.get("command") or [""])[0] == "emulator"]
    assert runs_emulator == ["emulator"]
    assert services["emulator"]["profiles"] == ["demo"] and "ports" not in services["emulator"]
    for name in ("web", "worker", "beat"):
        assert "profiles" not in services[name]
        assert services[name]["environment"]["INTERMEDIARY_WS_SECRET_FILE"] == "/run/secrets/intermediary_ws_secret"


def test_make_run_generates_a_secret_shared_by_all_its_children(tmp_path):
    from accounts.management.commands.run_all import children_environment  # noqa: PLC0415

    env = children_environment({"CELERY_BROKER_URL": "redis://x"}, tmp_path)
    again = children_environment({"CELERY_BROKER_URL": "redis://x"}, tmp_path)
    assert len(env["INTERMEDIARY_WS_SECRET"]) >= 32 and env["INTERMEDIARY_WS_SECRET"] != again["INTERMEDIARY_WS_SECRET"]
    chosen = children_environment({"CELERY_BROKER_URL": "redis://x", "INTERMEDIARY_WS_SECRET": "mine"}, tmp_path)
    assert chosen["INTERMEDIARY_WS_SECRET"] == "mine"
