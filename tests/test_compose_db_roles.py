"""The deployment stack never runs the product as a database superuser (issue 10 item 4, ADR 0018):
web, worker and beat connect as the app role, only `migrate` as the owner, and it renews the
app role's grants after every migration."""
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_the_app_services_connect_as_the_app_role():
    services = _services()
    for name in ("web", "worker", "beat"):
        assert urlsplit(services[name]["environment"]["DATABASE_URL"]).username == "dvprotect_app", name
        assert services[name]["environment"]["DATABASE_PASSWORD_FILE"] == "/run/secrets/db_app_password", name
    image_superuser = services["postgres"]["environment"]["POSTGRES_USER"]
    assert image_superuser not in {"dvprotect_app", "dvprotect_owner"}


def test_migrate_runs_as_the_owner_then_grants_the_app_role():
    migrate = _services()["migrate"]
    assert urlsplit(migrate["environment"]["DATABASE_URL"]).username == "dvprotect_owner"
    assert migrate["environment"]["DATABASE_PASSWORD_FILE"] == "/run/secrets/db_owner_password"
    # The image's entrypoint runs the role (ADR 0064): migrate, then the grants.
    assert migrate["command"] == ["migrate"]
    entrypoint = (ROOT / "deploy" / "entrypoint.sh").read_text()
    role = entrypoint[entrypoint.index("  migrate)"):entrypoint.index(";;", entrypoint.index("  migrate)"))]
    assert role.index("migrate --noinput") < role.index('db_app_role "${DVPROTECT_APP_ROLE:-dvprotect_app}"')


def test_the_first_start_script_creates_both_roles_without_superuser_rights():
    script = (ROOT / "deploy" / "postgres-init" / "10-roles.sh").read_text()
    for role in ("dvprotect_owner", "dvprotect_app"):
        line = next(ln for ln in script.splitlines() if ln.startswith(f"CREATE ROLE {role} "))
        assert "NOSUPERUSER" in line and "NOREPLICATION" in line and "NOBYPASSRLS" in line
