"""Run by tests/upgrade/test_upgrade.py in a subprocess, on an upgraded fixture database,
with the current code: asks the public HTTP API what the fixture's release answered.

    DATABASE_URL=… python tests/upgrade/check_api.py path/to/expected.json

- every inquiry-check expectation through POST /api/v1/inquiry-checks/ with a token of
  expected["api_username"] (a linkage counter of the fixture);
- every visibility expectation through GET /api/v1/targets/<id>/ with a token of each
  user, the id found by atena_no with raw SQL.
Tokens are issued with the operator command `issue_api_token` (its output's last word).

Prints one line `RESULT {json}` with the mismatches; the test asserts on it. Models are not
imported: they move between apps, the tables and the API paths do not."""
import io
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main(expected_path: str) -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django  # noqa: PLC0415 - a script: DJANGO_SETTINGS_MODULE and sys.path are set just above

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415 - only after django.setup()
    from django.db import connection  # noqa: PLC0415 - only after django.setup()
    from django.test import Client  # noqa: PLC0415 - only after django.setup()

    expected = json.loads(Path(expected_path).read_text())
    tokens: dict[str, str] = {}

    def token_for(username: str) -> str:
        if username not in tokens:
            out = io.StringIO()
            call_command("issue_api_token", "--username", username, stdout=out)
            tokens[username] = out.getvalue().split()[-1]
        return tokens[username]

    client = Client(raise_request_exception=False)
    inquiry, visibility = [], []
    auth = f"Token {token_for(expected['api_username'])}"
    for check in expected["inquiry_checks"]:
        resp = client.post("/api/v1/inquiry-checks/", {"atena_no": check["atena_no"], "direction": check["direction"]},
                           content_type="application/json", HTTP_AUTHORIZATION=auth)
        body = _json(resp)
        if resp.status_code != 200 or body != {"nondisclosure_code_required": check["required"]}:
            inquiry.append({**check, "status": resp.status_code, "body": body})

    for row in expected["visibility"]:
        with connection.cursor() as cur:
            cur.execute("SELECT id FROM victims_target WHERE atena_no = %s", [row["atena_no"]])
            found = cur.fetchone()
        if found is None:
            visibility.append({**row, "problem": "no target row with this atena_no"})
            continue
        resp = client.get(f"/api/v1/targets/{found[0]}/",
                          HTTP_AUTHORIZATION=f"Token {token_for(row['username'])}")
        body = _json(resp)
        if resp.status_code != row["status"] or (
                resp.status_code == 200 and (body or {}).get("atena_no") != row["atena_no"]):
            visibility.append({**row, "got": resp.status_code, "body": body})

    print("RESULT " + json.dumps({"inquiry_checks": inquiry, "visibility": visibility,
                                  "asked": {"inquiry_checks": len(expected["inquiry_checks"]),
                                            "visibility": len(expected["visibility"])}}, ensure_ascii=False))


def _json(resp):
    try:
        return json.loads(resp.content.decode() or "null")
    except ValueError:
        return resp.content.decode(errors="replace")[:300]


if __name__ == "__main__":
    main(sys.argv[1])
