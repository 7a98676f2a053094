"""Events are kept at least 7 years (番号法 §23): no code path deletes them."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
APP_DIRS = ["accounts", "audit", "victims", "flags", "intermediary", "config"]
DELETE_PATTERN = re.compile(r"(AuditEvent|AuditAnchor)\b[^\n]*\.delete\(|DELETE\s+FROM\s+audit_|TRUNCATE[^\n]*audit_",
                            re.I)


def test_no_application_code_deletes_audit_rows():
    offenders = []
    for app in APP_DIRS:
        for path in (ROOT / app).rglob("*.py"):
            if "DROP TRIGGER" in path.read_text(encoding="utf-8"):
                continue  # the migration's own down step
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if DELETE_PATTERN.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == []


def test_pattern_catches_a_delete():
    assert DELETE_PATTERN.search("AuditEvent.objects.filter(id=1).delete()")
    assert DELETE_PATTERN.search('cur.execute("DELETE FROM audit_auditevent")')
