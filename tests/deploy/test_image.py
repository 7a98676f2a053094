"""The production image as far as this machine can test it without a Docker engine (ADR 0064):
the Dockerfile's structure, the runtime lock it installs from, and its entrypoint's start checks
run outside Docker. What needs an engine (the build itself) is listed in
docs/operations/deployment.md; `make docker-lint` runs hadolint where it is installed."""
import os
import re
import secrets
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from deploy.lock_hashes import lock_names, runtime_closure

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
RUNTIME_LOCK = (ROOT / "requirements" / "runtime.lock").read_text()
# The test and lint tools of pyproject's `test` extra, and what only they pull in.
TEST_ONLY = {"pytest", "pytest-django", "playwright", "hypothesis", "schemathesis", "time-machine", "ruff", "mypy",
             "django-stubs", "django-stubs-ext", "djangorestframework-stubs", "celery-types", "types-lxml",
             "import-linter", "iniconfig", "pluggy", "greenlet", "grimp", "werkzeug", "harfile", "pyrate-limiter"}


def _instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _stages() -> dict[str, list[tuple[str, str]]]:
    args: dict[str, str] = {}
    stages: dict[str, list[tuple[str, str]]] = {}
    current = None
    for word, rest in _instructions():
        if word == "ARG" and current is None and "=" in rest:
            name, value = rest.split("=", 1)
            args[name] = value
        elif word == "FROM":
            image, _, alias = rest.partition(" AS ")
            image = re.sub(r"\$\{(\w+)\}", lambda m: args[str(m.group(1))], image)
            current = alias.strip() or image
            stages[current] = [("FROM", image)]
        elif current is not None:
            stages[current].append((word, rest))
    return stages


def test_every_base_image_is_pinned_by_digest():
    stages = _stages()
    assert list(stages) == ["builder", "runtime"]
    for name, lines in stages.items():
        image = lines[0][1]
        assert re.fullmatch(r"python:3\.11[\w.-]*-slim-bookworm@sha256:[0-9a-f]{64}", image), (name, image)


def test_the_runtime_stage_runs_as_a_numeric_non_root_user():
    users = [rest for word, rest in _stages()["runtime"] if word == "USER"]
    assert users, "no USER: the image would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, users[-1]


def _pip_commands(stage: str) -> list[str]:
    runs = [rest for word, rest in _stages()[stage] if word == "RUN"]
    return [cmd for run in runs for cmd in re.split(r"&&|;", run) if re.search(r"\bpip (install|wheel|download)", cmd)]


@pytest.mark.parametrize("stage", ["builder", "runtime"])
def test_pip_never_reaches_an_index_and_checks_every_hash(stage):
    commands = _pip_commands(stage)
    assert commands, stage
    for cmd in commands:
        words = shlex.split(cmd)
        assert "--no-index" in words and "--require-hashes" in words, cmd
        assert any(w.endswith("runtime.lock") for w in words), cmd  # the runtime lock, never requirements.lock


def test_the_runtime_stage_installs_the_lock_and_collects_static_files_at_build_time():
    runtime = _stages()["runtime"]
    runs = " ".join(rest for word, rest in runtime if word == "RUN")
    assert "pip install" in runs and "pip check" in runs
    assert re.search(r"manage\.py collectstatic --noinput", runs)
    copied = [rest.split()[0] for word, rest in runtime if word == "COPY" and not rest.startswith("--from")]
    for source in copied:
        assert source.rstrip("/").split("/")[0] not in {".", "tests", "bench", "docs", "requirements.lock"}, source
    entrypoint = [rest for word, rest in runtime if word == "ENTRYPOINT"]
    assert entrypoint == ['["/app/deploy/entrypoint.sh"]']


def test_the_build_context_leaves_out_tests_secrets_and_the_developer_venv():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {"tests", "bench", ".git", ".venv", "var", "secrets"} <= ignored
    assert "deploy/wheels" not in ignored  # the bundle the builder installs from


def _lock_entries() -> dict[str, tuple[str, list[str]]]:
    entries = {}
    for block in re.split(r"\n(?=\S)", RUNTIME_LOCK):
        if block.startswith("#") or not block.strip():
            continue
        head = block.split()[0]
        name, version = head.split("==")
        entries[name] = (version, re.findall(r"--hash=sha256:([0-9a-f]+)", block))
    return entries


def test_every_runtime_requirement_is_pinned_with_a_sha256():
    entries = _lock_entries()
    assert len(entries) > 30
    for name, (version, hashes) in entries.items():
        assert version and hashes and all(len(h) == 64 for h in hashes), name


def test_the_runtime_lock_holds_no_test_or_lint_package():
    names = lock_names(RUNTIME_LOCK)
    assert not names & TEST_ONLY, names & TEST_ONLY
    test_extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    for requirement in test_extra:
        assert re.split(r"[=<>\[ ]", requirement)[0].lower() not in names, requirement


def test_the_runtime_lock_is_the_current_closure_of_pyprojects_dependencies_at_the_locked_versions():
    """A dependency added to pyproject (or a version bumped in requirements.lock) without
    `make runtime-lock` would be missing from the image: this fails first."""
    entries = {name: version for name, (version, _) in _lock_entries().items()}
    assert entries == runtime_closure()
    locked = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            locked[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    for name, version in entries.items():
        assert locked.get(name) == version, (name, version, locked.get(name))


# --- the entrypoint, outside Docker ------------------------------------------------------------

def _entrypoint(*args: str, **env: str) -> subprocess.CompletedProcess:
    # A container's environment: none of the suite's settings, and not DJANGO_ALLOW_ASYNC_UNSAFE,
    # which tests/e2e/conftest.py sets for Playwright and which `check --deploy` rightly refuses.
    base = {k: v for k, v in os.environ.items()
            if k not in {"DEMO_MODE", "DEBUG", "SECRET_KEY", "AUDIT_ANCHOR_SINK_KEY", "INTERMEDIARY_WS_SECRET",
                         "METRICS_TOKEN", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    base.update({"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                 "DATABASE_URL": "sqlite:////tmp/unused-entrypoint.sqlite3", **env})
    return subprocess.run(["sh", str(ROOT / "deploy" / "entrypoint.sh"), *args], cwd="/", env=base,
                          capture_output=True, text=True, timeout=180)


def test_the_entrypoint_refuses_to_start_any_role_on_the_demo_key():
    for role in ("check", "web", "worker", "beat", "migrate"):
        done = _entrypoint(role)
        assert done.returncode != 0, (role, done.stdout)
        assert "dvprotect.E001" in done.stderr, (role, done.stderr)


def test_the_entrypoint_checks_pass_with_secrets_from_files(tmp_path):
    key = tmp_path / "secret_key"
    key.write_text(secrets.token_urlsafe(48) + "\n")
    done = _entrypoint("check", SECRET_KEY_FILE=str(key))
    assert done.returncode == 0, done.stderr
    unknown = _entrypoint("nonsense", SECRET_KEY_FILE=str(key))
    assert unknown.returncode == 64 and "unknown role" in unknown.stderr


def test_the_proxy_terminates_tls_and_forwards_the_request_id():
    conf = (ROOT / "deploy" / "nginx" / "dvprotect.conf").read_text()
    assert re.search(r"listen 443 ssl", conf) and "ssl_protocols TLSv1.2 TLSv1.3;" in conf
    assert "ssl_certificate     /run/secrets/" in conf and "ssl_certificate_key /run/secrets/" in conf
    assert "proxy_pass http://dvprotect_web;" in conf and "server web:8000;" in conf
    for header in ("X-Forwarded-Proto https", "X-Request-ID $request_id", "X-Forwarded-For $remote_addr"):
        assert f"proxy_set_header {header};" in conf
    assert re.search(r"location / \{ return 301 https://", conf)  # port 80 only redirects
